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

// lengths are token counts, summed over articles.
type lengths struct {
	body, title int64
}

func (l lengths) plus(o lengths) lengths  { return lengths{l.body + o.body, l.title + o.title} }
func (l lengths) minus(o lengths) lengths { return lengths{l.body - o.body, l.title - o.title} }

func (l lengths) encode() []byte {
	b := binary.AppendVarint(nil, l.body)
	return binary.AppendVarint(b, l.title)
}

func decodeLengths(b []byte) (lengths, error) {
	body, n := binary.Varint(b)
	title, m := binary.Varint(b[max(n, 0):])
	if n <= 0 || m <= 0 {
		return lengths{}, fmt.Errorf("damaged length totals %x", b)
	}
	return lengths{body, title}, nil
}

func slotKey(slot int) []byte { return []byte("vnsearch.lengths." + strconv.Itoa(slot)) }

// lengthBook tracks the totals of an open index.
type lengthBook struct {
	free  chan int             // slots no Add holds
	slots [lengthSlots]lengths // as last written
	mu    sync.Mutex           // guards sum
	sum   *lengths             // cached total; nil when stale
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
			if b.slots[i], err = decodeLengths(raw); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// total returns the sum of every slot.
func (b *lengthBook) total() lengths {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sum == nil {
		var s lengths
		for _, l := range b.slots {
			s = s.plus(l)
		}
		b.sum = &s
	}
	return *b.sum
}

// update records that slot's batch landed with the new slot total.
func (b *lengthBook) update(slot int, l lengths) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.slots[slot] = l
	b.sum = nil
}

// bm25Stats are the statistics Bleve's BM25 scorers take the average field
// lengths from: for each field, its total length over the document count.
func (b *lengthBook) bm25Stats(docs uint64) *bsearch.BM25Stats {
	t := b.total()
	return &bsearch.BM25Stats{
		DocCount: float64(docs),
		FieldCardinality: map[string]int{
			fieldBodyFolded: int(max(t.body, 1)),
			fieldBodyExact:  int(max(t.body, 1)),
			fieldTitle:      int(max(t.title, 1)),
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

// countTokens estimates how many tokens the analyzer finds in s: the runs
// of letters and digits. Compounds count once where the analyzer adds
// their parts; an average needs no more.
func countTokens(s string) int64 {
	n := int64(0)
	in := false
	for i := 0; i < len(s); {
		c := s[i]
		var word bool
		size := 1
		if c < utf8.RuneSelf {
			word = 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			// Letters, marks and digits outside ASCII; not the punctuation
			// of General Punctuation (quotes, dashes, ellipsis) or spaces.
			word = r != utf8.RuneError && !(r >= 0x2000 && r <= 0x206F) && r != 0xA0 && r != 0x3000
		}
		if word && !in {
			n++
		}
		in = word
		i += size
	}
	return n
}

// articleLengths are the token counts an article adds to the totals.
func articleLengths(doc *document) lengths {
	l := lengths{title: countTokens(doc.Title)}
	for _, v := range doc.Body {
		l.body += countTokens(v)
	}
	return l
}

// stamp identifies what an indexed article was: its content hash, its
// lengths and its origin. The index keeps it as a doc value, so that Add
// can tell changed articles and the totals can be kept without loading
// any article.
type stamp struct {
	hash    string
	lengths lengths
	origin  string
}

func (s stamp) String() string {
	return fmt.Sprintf("%s %d %d %s", s.hash, s.lengths.body, s.lengths.title, s.origin)
}

func parseStamp(v string) (stamp, error) {
	parts := strings.SplitN(v, " ", 4)
	if len(parts) != 4 {
		return stamp{}, fmt.Errorf("damaged stamp %q", v)
	}
	body, err1 := strconv.ParseInt(parts[1], 10, 64)
	title, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return stamp{}, fmt.Errorf("damaged stamp %q", v)
	}
	return stamp{hash: parts[0], lengths: lengths{body, title}, origin: parts[3]}, nil
}
