package index

import (
	"slices"
	"time"
	"unsafe"

	"github.com/blevesearch/bleve/v2/document"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// An article becomes one Bleve document, built here directly rather than
// through Bleve's mapping, so that its text is analyzed ONCE for both body
// fields: analyzer.Syllables gives every token in its exact and folded
// form at once, where a mapping would run one analyzer per field and per
// value of the body.
//
// The body is one value, not an array: the title, the summary and the
// passages of the paragraphs are units laid end to end, each unit's tokens
// at consecutive positions and one position left empty between units, so
// that no phrase or adjacent pair spans two units. The stored layout says
// where each unit starts and what part of the article it is, and holds the
// document's folded tokens in order (its forward index).
//
// The inverted body field keeps no term vectors. Zap keeps five numbers
// for each occurrence of a term — position, start and end offsets, field,
// array positions — about six bytes a token, the largest part of an index
// that kept them (1.36 times the raw text on baomoi). What positions are
// needed for — adjacency and the title and lead in the second pass,
// phrases, the best passage for the snippet — is read for the few
// candidates from the forward index: a dictionary of the document's
// distinct folded tokens and one small number a token.

// docFields are the analyzed and stored fields of one article.
type docFields struct {
	folded bleveindex.TokenFrequencies // body_f: folded syllables
	exact  bleveindex.TokenFrequencies // body_x: syllables written with diacritics
	tokens tokens
	layout layout
	lex    lexTokens // what the lexicon counts of it
}

// analyzeArticle analyzes the article's units in one pass each, with
// scratch of its own; a worker analyzing article after article keeps an
// articleAnalyzer instead.
func analyzeArticle(a *corpus.Article) docFields {
	var z articleAnalyzer
	return z.analyze(a)
}

// articleAnalyzer analyzes articles one after another, keeping the maps
// and lists of one article's analysis for the next: an article then
// allocates little beyond what Bleve keeps until its segment is built —
// the terms, their frequencies and the two maps of them, each made once at
// its size. On baomoi this saved a third of what a build allocated, and a
// token costs one map lookup instead of three or four (by its exact form,
// which determines the folded one).
//
// What analyze returns is valid until its next call, but for the two
// maps of frequencies and the terms, which are the article's own.
type articleAnalyzer struct {
	forms   map[string]int32 // exact form (the folded one when unmarked) → entries index
	folds   map[string]int32 // folded term → its number, its place in layout.terms
	entries []formEntry
	folded  []termCount // by number
	exact   []termCount // the marked forms
	occ     []uint64    // each token's folded number<<32 | position, in order
	flat    []int       // positions, grouped by folded number
	lists   [][]int
	terms   []string
	lex     lexTokens
	slab    []byte // the terms' bytes: the article's own, shared with Bleve
}

// formEntry is an exact form's folded number, its number among the
// marked forms (-1 when unmarked) and among the lexicon's forms (-1 until
// it is counted there).
type formEntry struct{ folded, exact, lex int32 }

type termCount struct {
	term []byte
	n    int
}

func (z *articleAnalyzer) analyze(a *corpus.Article) docFields {
	if z.forms == nil {
		z.forms = make(map[string]int32, 512)
		z.folds = make(map[string]int32, 512)
	}
	clear(z.forms)
	clear(z.folds)
	z.entries, z.folded, z.exact, z.occ = z.entries[:0], z.folded[:0], z.exact[:0], z.occ[:0]
	z.terms, z.lex.forms, z.lex.seq = z.terms[:0], z.lex.forms[:0], z.lex.seq[:0]
	z.slab = nil

	units := splitUnits(a)
	var d docFields
	pos := 1
	for i := range units {
		u := &units[i]
		u.pos = pos
		lexBegun := false
		text := unitText(a, u)
		analyzer.EachToken(text, func(t analyzer.TokenView) {
			u.tokens++
			k, ok := z.forms[string(t.Exact)]
			if !ok {
				k = z.newForm(t)
			}
			e := &z.entries[k]
			z.folded[e.folded].n++
			z.occ = append(z.occ, uint64(e.folded)<<32|uint64(u.pos+t.Position-1))
			d.tokens.all++
			if e.exact >= 0 {
				d.tokens.marked++
				z.exact[e.exact].n++
			}
			if t.Whole {
				return
			}
			if e.lex < 0 {
				e.lex = int32(len(z.lex.forms))
				exact := z.folded[e.folded].term
				if e.exact >= 0 {
					exact = z.exact[e.exact].term
				}
				z.lex.forms = append(z.lex.forms, [2]string{viewString(exact), z.terms[e.folded]})
			}
			lid := e.lex
			if t.Joined && lexBegun {
				lid |= lexPair
				if capital, ok := caseOf(text[t.Start:t.End]); ok {
					lid |= lexCase
					if capital {
						lid |= lexCapital
					}
				}
			}
			z.lex.seq = append(z.lex.seq, lid)
			lexBegun = true
		})
		// One empty position between units.
		pos += u.tokens + 1
	}

	// What Bleve keeps: the TokenFreqs in one slab, each map made at its
	// size.
	freqs := make([]bleveindex.TokenFreq, len(z.folded)+len(z.exact))
	frequencies := func(counts []termCount, freqs []bleveindex.TokenFreq) bleveindex.TokenFrequencies {
		m := make(bleveindex.TokenFrequencies, len(counts))
		for i, c := range counts {
			tf := &freqs[i]
			tf.Term = c.term
			tf.SetFrequency(c.n)
			m[viewString(c.term)] = tf
		}
		return m
	}
	d.folded = frequencies(z.folded, freqs[:len(z.folded)])
	d.exact = frequencies(z.exact, freqs[len(z.folded):])

	// Each folded term's positions, in order: its tokens' places grouped
	// by term, a term's slice of them as long as its count.
	z.flat = slices.Grow(z.flat[:0], len(z.occ))[:len(z.occ)]
	z.lists = slices.Grow(z.lists[:0], len(z.folded))[:len(z.folded)]
	at := 0
	for i, c := range z.folded {
		z.lists[i] = z.flat[at : at : at+c.n]
		at += c.n
	}
	for _, o := range z.occ {
		id := o >> 32
		z.lists[id] = append(z.lists[id], int(uint32(o)))
	}
	d.layout = layout{units: units, terms: z.terms, positions: z.lists}
	if !a.Published.IsZero() {
		d.layout.published = a.Published.Time.Unix()
	}
	d.lex = z.lex
	return d
}

// newForm enters the exact form of t, and its folded term when new.
func (z *articleAnalyzer) newForm(t analyzer.TokenView) int32 {
	fid, ok := z.folds[string(t.Folded)]
	if !ok {
		term := z.keep(t.Folded)
		fid = int32(len(z.folded))
		z.folds[viewString(term)] = fid
		z.folded = append(z.folded, termCount{term: term})
		z.terms = append(z.terms, viewString(term))
	}
	e := formEntry{folded: fid, exact: -1, lex: -1}
	key := z.terms[fid]
	if isMarked(t.Exact) {
		term := z.keep(t.Exact)
		e.exact = int32(len(z.exact))
		z.exact = append(z.exact, termCount{term: term})
		key = viewString(term)
	}
	k := int32(len(z.entries))
	z.forms[key] = k
	z.entries = append(z.entries, e)
	return k
}

// keep copies a term into the article's slab.
func (z *articleAnalyzer) keep(term []byte) []byte {
	if cap(z.slab)-len(z.slab) < len(term) {
		z.slab = make([]byte, 0, max(4096, len(term)))
	}
	start := len(z.slab)
	z.slab = append(z.slab, term...)
	return z.slab[start:len(z.slab):len(z.slab)]
}

// viewString views b as a string, without a copy: b is never changed
// after.
func viewString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// field is a document field whose analysis is done: Bleve's indexing
// reads its token frequencies and length, and its value when stored.
type field struct {
	name    string
	options bleveindex.FieldIndexingOptions
	value   []byte
	length  int
	freqs   bleveindex.TokenFrequencies
}

var _ document.Field = (*field)(nil)

func (f *field) Name() string                                          { return f.name }
func (f *field) ArrayPositions() []uint64                              { return nil }
func (f *field) Options() bleveindex.FieldIndexingOptions              { return f.options }
func (f *field) Analyze()                                              {}
func (f *field) Value() []byte                                         { return f.value }
func (f *field) NumPlainTextBytes() uint64                             { return uint64(len(f.value)) }
func (f *field) EncodedFieldType() byte                                { return 't' }
func (f *field) AnalyzedLength() int                                   { return f.length }
func (f *field) AnalyzedTokenFrequencies() bleveindex.TokenFrequencies { return f.freqs }

// Size is Bleve's estimate of the field's memory, for its statistics:
// reckoned per term rather than summed over every TokenFreq, which was 2%
// of a build.
func (f *field) Size() int { return len(f.value) + len(f.freqs)*termSize + 64 }

// termSize is about what a term of a field takes: its TokenFreq, its map
// entry and its bytes.
const termSize = int(unsafe.Sizeof(bleveindex.TokenFreq{})) + 32

// keywordField indexes value as one term (with a doc value), or nothing
// when value is empty.
func keywordField(name, value string) *field {
	f := &field{name: name, options: bleveindex.IndexField | bleveindex.DocValues, freqs: bleveindex.TokenFrequencies{}}
	if value == "" {
		return f
	}
	tf := &bleveindex.TokenFreq{Term: []byte(value)}
	tf.SetFrequency(1)
	f.freqs[value] = tf
	f.length = 1
	return f
}

// storedField stores value; nothing is indexed.
func storedField(name string, value []byte) *field {
	return &field{name: name, options: bleveindex.StoreField, value: value, freqs: bleveindex.TokenFrequencies{}}
}

// dayTerm is the term of the day an article was published, as it states
// it (an instant's own date, in its own time zone): "20230916". Filters
// and the newest-first order read these terms, which sort as dates do.
func dayTerm(d corpus.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Time.Format("20060102")
}

// monthTerm is "2023-09", what the facets by month count.
func monthTerm(d corpus.Date) string {
	if d.IsZero() || d.Precision == corpus.Year {
		return ""
	}
	return d.Time.Format("2006-01")
}

// dayOf returns the day term of an instant given as a filter bound.
func dayOf(t time.Time) string { return t.UTC().Format("20060102") }

// bleveDocument builds the document of an article whose fields are
// analyzed; stored is the article packed for storage, layout its layout.
func bleveDocument(a *corpus.Article, d *docFields, st stamp, stored, layout []byte) *document.Document {
	doc := document.NewDocument(a.ID)
	add := func(f *field) { doc.AddField(f) }
	add(&field{name: fieldBodyFolded, options: bleveindex.IndexField,
		length: int(d.tokens.all), freqs: d.folded})
	add(&field{name: fieldBodyExact, options: bleveindex.IndexField,
		length: int(d.tokens.marked), freqs: d.exact})
	add(keywordField(fieldSource, analyzer.Normalize(a.Source)))
	add(keywordField(fieldCategory, analyzer.Normalize(a.Category)))
	add(keywordField(fieldDay, dayTerm(a.Published)))
	add(keywordField(fieldMonth, monthTerm(a.Published)))
	add(keywordField(fieldOrigin, a.Origin))
	add(keywordField(fieldStamp, st.String()))
	add(storedField(fieldStory, storySignature(&d.layout)))
	add(storedField(fieldArticle, stored))
	add(storedField(fieldLayout, layout))
	return doc
}
