package index

import (
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

// analyzeArticle analyzes the article's units in one pass each. Terms
// and their frequencies are allocated in a few slabs per article rather
// than one by one: a batch of a thousand articles holds some hundred
// thousand of them until Bleve has built its segment.
func analyzeArticle(a *corpus.Article) docFields {
	units := splitUnits(a)
	d := docFields{
		folded: make(bleveindex.TokenFrequencies, 256),
		exact:  make(bleveindex.TokenFrequencies, 192),
	}
	var (
		lexIDs = make(map[string]int32, 256)
		ids    = make(map[string]uint32, 256)
		freqs  []bleveindex.TokenFreq // slab of the TokenFreqs both maps point into
		terms  []byte                 // slab of their terms
		pos    = 1
	)
	// intern returns a term's TokenFreq in m, making it when new. The
	// map's key and the Term share the slab's bytes.
	intern := func(m bleveindex.TokenFrequencies, term []byte) *bleveindex.TokenFreq {
		if tf, ok := m[string(term)]; ok {
			return tf
		}
		if len(freqs) == cap(freqs) {
			freqs = make([]bleveindex.TokenFreq, 0, 256)
		}
		if cap(terms)-len(terms) < len(term) {
			terms = make([]byte, 0, max(4096, len(term)))
		}
		start := len(terms)
		terms = append(terms, term...)
		b := terms[start:len(terms):len(terms)]
		freqs = append(freqs, bleveindex.TokenFreq{Term: b})
		tf := &freqs[len(freqs)-1]
		m[unsafe.String(unsafe.SliceData(b), len(b))] = tf
		return tf
	}
	for i := range units {
		u := &units[i]
		u.pos = pos
		lexBegun := false
		text := unitText(a, u)
		analyzer.EachToken(text, func(t analyzer.TokenView) {
			u.tokens++
			tf := intern(d.folded, t.Folded)
			tf.SetFrequency(tf.Frequency() + 1)
			id, ok := ids[string(t.Folded)]
			if !ok {
				id = uint32(len(d.layout.terms))
				term := unsafe.String(unsafe.SliceData(tf.Term), len(tf.Term))
				ids[term] = id
				d.layout.terms = append(d.layout.terms, term)
				d.layout.positions = append(d.layout.positions, nil)
			}
			d.layout.positions[id] = append(d.layout.positions[id], u.pos+t.Position-1)
			d.tokens.all++
			exact := tf.Term
			if isMarked(t.Exact) {
				d.tokens.marked++
				xf := intern(d.exact, t.Exact)
				xf.SetFrequency(xf.Frequency() + 1)
				exact = xf.Term
			}
			if !t.Whole {
				key := unsafe.String(unsafe.SliceData(exact), len(exact))
				lid, ok := lexIDs[key]
				if !ok {
					lid = int32(len(d.lex.forms))
					lexIDs[key] = lid
					d.lex.forms = append(d.lex.forms, [2]string{key, unsafe.String(unsafe.SliceData(tf.Term), len(tf.Term))})
				}
				if t.Joined && lexBegun {
					lid |= lexPair
					if capital, ok := caseOf(text[t.Start:t.End]); ok {
						lid |= lexCase
						if capital {
							lid |= lexCapital
						}
					}
				}
				d.lex.seq = append(d.lex.seq, lid)
				lexBegun = true
			}
		})
		// One empty position between units.
		pos += u.tokens + 1
	}
	d.layout.units = units
	if !a.Published.IsZero() {
		d.layout.published = a.Published.Time.Unix()
	}
	return d
}

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
func (f *field) Size() int                                             { return len(f.value) + f.freqs.Size() + 64 }
func (f *field) EncodedFieldType() byte                                { return 't' }
func (f *field) AnalyzedLength() int                                   { return f.length }
func (f *field) AnalyzedTokenFrequencies() bleveindex.TokenFrequencies { return f.freqs }

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
