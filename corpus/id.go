package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// finish gives a an ID when it has none and fills Hash and Origin.
func finish(a *Article, origin string) {
	if a.ID == "" {
		a.ID = deriveID(a)
	}
	a.Hash = a.ContentHash()
	a.Origin = origin
}

// deriveID returns the ID an article without one gets, so that reading the
// same source again yields the same IDs:
//
//   - with a URL: "url-" and 16 hex digits of the SHA-256 of the URL with
//     its scheme and host lowercased and its fragment dropped;
//   - otherwise: "txt-" and 16 hex digits of the SHA-256 of the title and
//     the text (summary and paragraphs), each in Unicode NFC with runs of
//     whitespace collapsed to one space. Paragraph breaks and passage cuts
//     do not change it.
func deriveID(a *Article) string {
	if u := strings.TrimSpace(a.URL); u != "" {
		sum := sha256.Sum256([]byte(normalizeURL(u)))
		return "url-" + hex.EncodeToString(sum[:8])
	}
	h := sha256.New()
	var b []byte
	b = appendNormalized(b[:0], a.Title)
	b = append(b, '\n')
	h.Write(b)
	first := true
	for _, t := range append([]string{a.Summary}, a.Paragraphs...) {
		b = appendNormalized(b[:0], t)
		if len(b) == 0 {
			continue
		}
		if !first {
			h.Write([]byte{' '})
		}
		first = false
		h.Write(b)
	}
	return "txt-" + hex.EncodeToString(h.Sum(nil)[:8])
}

func normalizeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// appendNormalized appends s in NFC with whitespace runs collapsed to a
// single space and no leading or trailing space.
func appendNormalized(dst []byte, s string) []byte {
	start := len(dst)
	space := false
	s = norm.NFC.String(s)
	for i := 0; i < len(s); {
		c, size := s[i], 1
		isSpace := asciiSpace(c)
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			isSpace = unicode.IsSpace(r)
		}
		if isSpace {
			space = true
		} else {
			if space && len(dst) > start {
				dst = append(dst, ' ')
			}
			space = false
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
