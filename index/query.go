package index

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBadQuery marks a query or request the caller must fix: empty, too
// long, not UTF-8, or out of range. Callers map it to a usage error (HTTP
// 400, exit code 2).
var ErrBadQuery = errors.New("bad query")

// MaxQueryLength bounds a query, in characters.
const MaxQueryLength = 1000

// Query is a parsed query. The language is small on purpose: words;
// "quoted phrases" that must match as a phrase; -word and -"phrase" to
// exclude. Nothing else is special: a stray quote, a lone -, a : or a * is
// text like any other, so no query is ever a syntax error.
type Query struct {
	// Runs are the stretches of plain words, in order. Each is analyzed
	// on its own, so syllables on either side of a phrase make no bigram.
	Runs           []string `json:"runs,omitempty"`
	Phrases        []string `json:"phrases,omitempty"`
	ExcludeWords   []string `json:"exclude_words,omitempty"`
	ExcludePhrases []string `json:"exclude_phrases,omitempty"`
	// Asked reports that the query ends with a question mark.
	Asked bool `json:"asked,omitempty"`
}

// isQuote reports whether r opens or closes a phrase: the ASCII quote and
// the curly quotes phones type.
func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' || r == '„' }

// ParseQuery parses a query string.
func ParseQuery(s string) (Query, error) {
	q := Query{Asked: strings.HasSuffix(strings.TrimSpace(s), "?")}
	if !utf8.ValidString(s) {
		return q, fmt.Errorf("%w: query is not valid UTF-8", ErrBadQuery)
	}
	if n := utf8.RuneCountInString(s); n > MaxQueryLength {
		return q, fmt.Errorf("%w: query has %d characters, more than the %d allowed", ErrBadQuery, n, MaxQueryLength)
	}
	var run []string
	flush := func() {
		if len(run) > 0 {
			q.Runs = append(q.Runs, strings.Join(run, " "))
			run = run[:0]
		}
	}
	rest := s
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		exclude := false
		word := rest
		if strings.HasPrefix(word, "-") && len(word) > 1 {
			if r, _ := utf8.DecodeRuneInString(word[1:]); !unicode.IsSpace(r) {
				exclude, word = true, word[1:]
			}
		}
		if r, size := utf8.DecodeRuneInString(word); isQuote(r) {
			if end := strings.IndexFunc(word[size:], isQuote); end >= 0 {
				phrase := strings.TrimSpace(word[size : size+end])
				rest = word[size+end:]
				_, closeSize := utf8.DecodeRuneInString(rest)
				rest = rest[closeSize:]
				if phrase == "" {
					continue
				}
				flush()
				if exclude {
					q.ExcludePhrases = append(q.ExcludePhrases, phrase)
				} else {
					q.Phrases = append(q.Phrases, phrase)
				}
				continue
			}
			// An unclosed quote is text.
		}
		end := strings.IndexFunc(word, unicode.IsSpace)
		if end < 0 {
			end = len(word)
		}
		token := word[:end]
		rest = word[end:]
		if exclude {
			flush()
			q.ExcludeWords = append(q.ExcludeWords, token)
		} else {
			run = append(run, token)
		}
	}
	flush()
	return q, nil
}
