package index

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"

	"github.com/vnsearch/vnsearch/analyzer"
)

// # BM25's average field length, and what Bleve gets wrong
//
// BM25 normalizes a document's term frequency by the document's length
// against the field's average length, avgdl. An upstream-style note on
// Bleve v2.6.1 (search/searcher/search_term.go, bm25ScoreMetrics):
//
//   - Bleve takes avgdl = ceil(FieldCardinality / DocCount), where the
//     field's cardinality is the number of DISTINCT TERMS in the field's
//     dictionary, not the number of tokens. For Vietnamese news that is
//     about 6 "tokens" per document for articles of hundreds of syllables,
//     so every document looks fifty times longer than average and the
//     length normalization swamps the term frequencies. (Per document,
//     zap v17 stores the true token count as the "norm", so only the
//     average is wrong.)
//   - bluge (github.com/blugelabs/bluge, search/similarity/bm25.go) does
//     what BM25 means: avgdl = sumTotalTermFreq / docCount, the sum of
//     every document's field length over the number of documents, with
//     the sum kept by the index as documents come and go.
//   - A fix upstream would keep that sum per field in each segment
//     (merges add them up, deletions subtract) and compute avgdl from it.
//
// vnsearch does bluge's arithmetic itself: it keeps the token totals of
// its two body fields and scores with their averages (its own BM25, in
// topk.go, reads the true per-document lengths zap keeps).
//
// The totals live in the index's internal store, updated in the same batch
// as the articles, so that a crash cannot part them. Batches run
// concurrently and Bleve may land them in any order, so each running write
// holds one of lengthSlots slots and updates only that slot's total: the
// slots' sum is the total. Compact recomputes the totals from the
// documents' stamps, and VerifyLengths reports any drift.
const lengthSlots = 16

// tokens counts the body's tokens — all of them, and those written with
// diacritics, which alone the exact field holds — of one article, or
// summed over articles. The counts are exactly the tokens the analyzers
// give the two body fields.
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

// countTokens counts the tokens the body analyzers find in s: every
// syllable (and every compound, whole and by its parts), and those of them
// with a letter beyond ASCII, which the exact field keeps.
func countTokens(s string) tokens {
	var n tokens
	for _, syl := range analyzer.Syllables(s) {
		n.all++
		if isMarked(syl.Exact) {
			n.marked++
		}
	}
	return n
}

// isMarked reports whether a token holds a byte beyond ASCII: it is
// written with diacritics (or letters other than a–z).
func isMarked[T string | []byte](term T) bool {
	for i := 0; i < len(term); i++ {
		if term[i] >= 0x80 {
			return true
		}
	}
	return false
}

func slotKey(slot int) []byte { return []byte("vnsearch.lengths." + strconv.Itoa(slot)) }

// lengthBook tracks the totals of an open index.
type lengthBook struct {
	free  chan int            // slots no write holds
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

// holdAll takes every slot, so that no write runs until release.
func (b *lengthBook) holdAll() (release func()) {
	for range lengthSlots {
		<-b.free
	}
	return func() {
		for i := range lengthSlots {
			b.free <- i
		}
	}
}

// LengthTotals are the body's token totals BM25 averages over.
type LengthTotals struct {
	Tokens int64 `json:"tokens"` // every token of every article's body
	Marked int64 `json:"marked"` // the tokens written with diacritics
}

// LengthCheck compares the totals the index keeps with the sum of what
// its articles hold.
type LengthCheck struct {
	Articles uint64       `json:"articles"`
	Recorded LengthTotals `json:"recorded"`
	Counted  LengthTotals `json:"counted"`
}

// Drift reports whether the kept totals differ from the articles' sum.
func (c LengthCheck) Drift() bool { return c.Recorded != c.Counted }

func (t tokens) totals() LengthTotals { return LengthTotals{Tokens: t.all, Marked: t.marked} }

// VerifyLengths sums the lengths every article's stamp records and
// compares the sum with the totals BM25 uses. Writes wait meanwhile.
func (ix *Index) VerifyLengths(ctx context.Context) (LengthCheck, error) {
	release := ix.lengths.holdAll()
	defer release()
	counted, docs, err := ix.sumStamps(ctx)
	if err != nil {
		return LengthCheck{}, fmt.Errorf("index: verify lengths: %w", err)
	}
	return LengthCheck{Articles: docs, Recorded: ix.lengths.total().totals(), Counted: counted.totals()}, nil
}

// recountLengths replaces the kept totals by the sum of the articles'
// stamps, so that no drift outlives a Compact.
func (ix *Index) recountLengths(ctx context.Context) error {
	release := ix.lengths.holdAll()
	defer release()
	counted, _, err := ix.sumStamps(ctx)
	if err != nil {
		return err
	}
	batch := ix.bleve.NewBatch()
	for slot := range lengthSlots {
		t := tokens{}
		if slot == 0 {
			t = counted
		}
		batch.SetInternal(slotKey(slot), t.encode())
	}
	if err := ix.bleve.Batch(batch); err != nil {
		return err
	}
	for slot := range lengthSlots {
		t := tokens{}
		if slot == 0 {
			t = counted
		}
		ix.lengths.update(slot, t)
	}
	return nil
}

// sumStamps adds up the token counts of every article's stamp.
func (ix *Index) sumStamps(ctx context.Context) (tokens, uint64, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return tokens{}, 0, err
	}
	defer snap.close()
	ids, err := snap.reader.DocIDReaderAll()
	if err != nil {
		return tokens{}, 0, err
	}
	defer ids.Close()
	dv, err := snap.reader.DocValueReader([]string{fieldStamp})
	if err != nil {
		return tokens{}, 0, err
	}
	var (
		sum  tokens
		docs uint64
		bad  error
	)
	for {
		id, err := ids.Next()
		if err != nil {
			return tokens{}, 0, err
		}
		if id == nil {
			break
		}
		if docs%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return tokens{}, 0, err
			}
		}
		docs++
		err = dv.VisitDocValues(id, func(field string, term []byte) {
			st, err := parseStamp(string(term))
			if err != nil {
				bad = err
				return
			}
			sum = sum.plus(st.tokens)
		})
		if err != nil {
			return tokens{}, 0, err
		}
		if bad != nil {
			return tokens{}, 0, bad
		}
	}
	return sum, docs, nil
}
