package index

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// BM25 normalizes a document's term frequencies by its length against the
// average length of the field. Bleve 2.6 takes that average to be the
// number of distinct terms in the field over the number of documents —
// about 6 for Vietnamese news, whose articles run to hundreds of syllables
// — so it punishes every long article as if it were fifty times too long.
// vnsearch keeps the true totals and hands them to Bleve's scorers through
// the BM25 statistics a search context may carry.
//
// The totals live in the index's internal store, updated in the same batch
// as the articles, so that a crash cannot part them. Batches run
// concurrently and Bleve may land them in any order, so each running Add
// holds one of lengthSlots slots and updates only that slot's total: the
// slots' sum is the total.
const lengthSlots = 16

// tokens counts the body's tokens — all of them, and those written with
// diacritics, which alone the exact field holds — of one article, or
// summed over articles.
type tokens struct{ all, marked int64 }

func (t tokens) plus(o tokens) tokens  { return tokens{t.all + o.all, t.marked + o.marked} }
func (t tokens) minus(o tokens) tokens { return tokens{t.all - o.all, t.marked - o.marked} }

func (t tokens) encode() []byte {
	return binary.AppendVarint(binary.AppendVarint(nil, t.all), t.marked)
}

func decodeTokens(b []byte) (tokens, error) {
	all, n := binary.Varint(b)
	marked, m := binary.Varint(b[max(n, 0):])
	if n <= 0 || m <= 0 {
		return tokens{}, fmt.Errorf("damaged length total %x", b)
	}
	return tokens{all, marked}, nil
}

func slotKey(slot int) []byte { return []byte("vnsearch.lengths." + strconv.Itoa(slot)) }

// lengthBook tracks the totals of an open index.
type lengthBook struct {
	free  chan int            // slots no Add holds
	slots [lengthSlots]tokens // as last written
	mu    sync.Mutex          // guards sum
	sum   *tokens             // cached total; nil when stale
}

func newLengthBook(get func(key []byte) ([]byte, error)) (*lengthBook, error) {
	b := &lengthBook{free: make(chan int, lengthSlots)}
	for i := range lengthSlots {
		b.free <- i
		raw, err := get(slotKey(i))
		if err != nil {
			return nil, err
		}
		if len(raw) > 0 {
			if b.slots[i], err = decodeTokens(raw); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// total returns the sum of every slot.
func (b *lengthBook) total() tokens {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sum == nil {
		var s tokens
		for _, t := range b.slots {
			s = s.plus(t)
		}
		b.sum = &s
	}
	return *b.sum
}

// update records that slot's batch landed with the new slot total.
func (b *lengthBook) update(slot int, t tokens) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.slots[slot] = t
	b.sum = nil
}

// bm25Stats are the statistics Bleve's BM25 scorers take the average field
// lengths from: for each field, its total length over the document count.
func (b *lengthBook) bm25Stats(docs uint64) *bsearch.BM25Stats {
	t := b.total()
	return &bsearch.BM25Stats{
		DocCount: float64(docs),
		FieldCardinality: map[string]int{
			fieldBodyFolded: int(max(t.all, 1)),
			fieldBodyExact:  int(max(t.marked, 1)),
			// Keywords and dates: one term a document (a date's range
			// terms are searched like any other; their scores are all one).
			fieldSource:    int(max(docs, 1)),
			fieldCategory:  int(max(docs, 1)),
			fieldPublished: int(max(docs, 1)),
			fieldOrigin:    int(max(docs, 1)),
			fieldStamp:     int(max(docs, 1)),
			// Bleve's unscored union of term bitmaps poses as a searcher
			// of field "*", and looks its statistics up too.
			"*": int(max(docs, 1)),
		},
	}
}

// countTokens estimates how many tokens the analyzer finds in s, and how
// many of them are written with diacritics (or any letter beyond ASCII):
// the runs of letters and digits. Compounds count once where the analyzer
// adds their parts; an average needs no more.
func countTokens(s string) tokens {
	var n tokens
	in, marked := false, false
	for i := 0; i < len(s); {
		c := s[i]
		var word, beyond bool
		size := 1
		if c < utf8.RuneSelf {
			word = 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			// Letters, marks and digits outside ASCII; not the punctuation
			// of General Punctuation (quotes, dashes, ellipsis) or spaces.
			word = r != utf8.RuneError && !(r >= 0x2000 && r <= 0x206F) && r != 0xA0 && r != 0x3000
			beyond = word
		}
		switch {
		case word && !in:
			n.all++
			marked = beyond
			if marked {
				n.marked++
			}
		case word && beyond && !marked:
			marked = true
			n.marked++
		}
		in = word
		i += size
	}
	return n
}

// bodyTokens is the token count an article adds to the total.
func bodyTokens(doc *document) tokens {
	var n tokens
	for _, v := range doc.Body {
		n = n.plus(countTokens(v))
	}
	return n
}

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
