package corpus

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxIDBytes bounds an article ID.
const MaxIDBytes = 512

// CheckID checks an article ID: 1 to 512 bytes of
// UTF-8, with no control character (U+0000–U+001F, U+007F–U+009F) and no
// "/". IDs end up in URL paths (/articles/{id}), logs and terminals, where
// those characters would be cut, hidden or misread. The IDs vnsearch
// derives itself ("url-…", "txt-…") always pass.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("the ID is empty")
	case len(id) > MaxIDBytes:
		return fmt.Errorf("the ID is %d bytes long, more than the %d allowed", len(id), MaxIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("the ID %q is not valid UTF-8", id)
	}
	for i, r := range id {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("the ID %q holds a control character (%U) at byte %d", id, r, i)
		case r == '/':
			return fmt.Errorf("the ID %q holds a / at byte %d: IDs never do", id, i)
		}
	}
	return nil
}
