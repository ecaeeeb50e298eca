package index

import (
	"fmt"
	"strconv"
	"strings"
)

// stamp identifies what an indexed article was: its content hash, its
// lengths and its origin. The index keeps it as a doc value, so that Add
// can tell changed articles and the totals can be kept without loading
// any article.
type stamp struct {
	hash   string
	tokens tokens
	origin string
}

func (s stamp) String() string {
	return fmt.Sprintf("%s %d %d %s", s.hash, s.tokens.all, s.tokens.marked, s.origin)
}

func parseStamp(v string) (stamp, error) {
	parts := strings.SplitN(v, " ", 4)
	if len(parts) != 4 {
		return stamp{}, fmt.Errorf("damaged stamp %q", v)
	}
	all, err1 := strconv.ParseInt(parts[1], 10, 64)
	marked, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return stamp{}, fmt.Errorf("damaged stamp %q", v)
	}
	return stamp{hash: parts[0], tokens: tokens{all, marked}, origin: parts[3]}, nil
}
