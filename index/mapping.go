package index

import (
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/analyzer"
)

// MappingVersion names the layout of the index: fields, analyzers and
// what the analyzers produce. Bump it whenever an index built before the
// change would answer differently; Open then refuses older indexes and says
// to rebuild.
const MappingVersion = "vnsearch-8"

// versionKey holds MappingVersion in the index's internal store.
const versionKey = "vnsearch.mapping_version"

// Fields other than text.
const (
	fieldSource   = "source"   // outlet, normalized keyword
	fieldCategory = "category" // normalized keyword
	fieldDay      = "day"      // publication day, "20230916"
	fieldMonth    = "month"    // publication month, "2023-09"
	fieldOrigin   = "origin"   // the file an article came from, for pruning
	fieldStamp    = "stamp"    // content hash, lengths and origin, for change detection
	fieldArticle  = "article"  // the article as given, deflated JSON: stored
	fieldLayout   = "layout"   // where each unit of the body is: stored
	fieldStory    = "story"    // the story key, a MinHash signature (story.go): stored
)

// keywordAnalyzer indexes a whole value as one term, normalized as words
// are (case, NFC, tone placement), so "--source vov.vn" finds "VOV.VN".
const keywordAnalyzer = "vnsearch_keyword"

// The text fields. The body holds the whole text — title, summary, then
// the passages of each paragraph, laid end to end (see document.go) — so
// that whether a document holds a syllable, and where, is one term of one
// field: conjunctions stay flat, and positions tell the title and each
// paragraph apart.
const (
	fieldBodyExact  = "body_x" // syllables written with diacritics, exact
	fieldBodyFolded = "body_f" // folded syllables
)

// newMapping describes the index's fields to Bleve. vnsearch builds its
// documents itself (document.go) and reads the body fields itself
// (segments.go); the mapping is what Bleve's own searches — doc values
// sorts and facets, ID and prefix lookups on the write path — rely on, and
// it names the analyzers whose output the body fields hold. Only the
// folded body keeps term vectors, for their positions: quoted phrases and
// adjacent query syllables are matched there. The exact body serves
// ranking, which needs term frequencies only. Nothing but the article and
// its layout is stored; snippets are cut from the article.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	im.ScoringModel = bleveindex.BM25Scoring
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.DefaultAnalyzer = analyzer.Name
	if err := im.AddCustomAnalyzer(keywordAnalyzer, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []string{analyzer.NormalizeName},
	}); err != nil {
		return nil, err
	}

	doc := mapping.NewDocumentStaticMapping()
	// field indexes property under name ("" keeps the property's
	// name); nothing is put in _all.
	field := func(property, name, analyzerName string, positions, docValues bool) {
		fm := mapping.NewTextFieldMapping()
		fm.Name = name
		fm.Analyzer = analyzerName
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = positions
		fm.DocValues = docValues
		doc.AddFieldMappingsAt(property, fm)
	}
	field("body", fieldBodyExact, markedAnalyzer, false, false)
	field("body", fieldBodyFolded, positionsAnalyzer, false, false)
	field(fieldSource, "", keywordAnalyzer, false, true)
	field(fieldCategory, "", keywordAnalyzer, false, true)
	field(fieldDay, "", keyword.Name, false, true)
	field(fieldMonth, "", keyword.Name, false, true)
	field(fieldOrigin, "", keyword.Name, false, true)
	field(fieldStamp, "", keyword.Name, false, true)
	for _, name := range []string{fieldArticle, fieldLayout, fieldStory} {
		stored := mapping.NewTextFieldMapping()
		stored.Index = false
		stored.Store = true
		stored.IncludeInAll = false
		stored.IncludeTermVectors = false
		stored.DocValues = false
		doc.AddFieldMappingsAt(name, stored)
	}

	// No _all field: every query names its fields, and _all would index
	// every token once more.
	doc.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	im.DefaultMapping = doc
	return im, im.Validate()
}

// markedAnalyzer is vi keeping only the tokens with a letter beyond ASCII:
// those written with diacritics. A plain syllable ("ma", "an") is its own
// folded form, found in the folded field; only a marked one can be matched
// as typed against its variants, so only those are worth a term in the
// exact field — about a quarter fewer postings.
const markedAnalyzer = "vnsearch_marked"

type markedOnly struct{ exact analysis.Analyzer }

func (m markedOnly) Analyze(input []byte) analysis.TokenStream {
	stream := m.exact.Analyze(input)
	kept := stream[:0]
	for _, tok := range stream {
		for _, c := range tok.Term {
			if c >= utf8.RuneSelf {
				kept = append(kept, tok)
				break
			}
		}
	}
	return kept
}

// positionsAnalyzer is vi_folded with its tokens' offsets set to zero.
//
// Bleve keeps a term vector per token — position, start and end offsets,
// array position — and has no option to keep positions alone (Lucene's and
// Elasticsearch's index_options: positions). Phrases need positions only;
// snippets are cut by analyzing the stored paragraph again, so the offsets
// would be dead weight, about a fifth of the term vectors.
const positionsAnalyzer = "vnsearch_folded_positions"

type positionsOnly struct{ folded analysis.Analyzer }

func (p positionsOnly) Analyze(input []byte) analysis.TokenStream {
	stream := p.folded.Analyze(input)
	for _, tok := range stream {
		tok.Start, tok.End = 0, 0
	}
	return stream
}

func init() {
	for name, a := range map[string]analysis.Analyzer{
		positionsAnalyzer: positionsOnly{analyzer.New(true)},
		markedAnalyzer:    markedOnly{analyzer.New(false)},
	} {
		err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			return a, nil
		})
		if err != nil {
			panic(err)
		}
	}
}
