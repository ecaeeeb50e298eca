package index

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Params are the tuning constants of ranking, in one place. DefaultParams
// gives the values chosen on the known-item evaluation (see README); a
// weight sweep changes them without a recompile:
//
//	vnsearch eval --param pair_boost=3 --param exact_boost=5 ...
//
// or, from Go, Options.Params at Open and Request.Params per search.
// Each field's `param` tag is its name on the command line.
type Params struct {
	// KeywordSyllables is the longest a keyword query gets, in distinct
	// syllables; longer queries are verbose: evidence to weigh, no one
	// syllable indispensable.
	KeywordSyllables int `param:"keyword_syllables"`
	// MaxSyllables bounds the distinct syllables (and adjacent pairs) of
	// a query that take part in ranking; the rest of a very long query is
	// ignored.
	MaxSyllables int `param:"max_syllables"`
	// RescoreDepth is how many first-pass candidates the second pass
	// reads evidence for and reorders. Past it, documents keep their
	// first-pass order, so that the pages of one query agree.
	RescoreDepth int `param:"rescore_depth"`
	// CommonShare and MinInformative choose the syllables a verbose query
	// matches on: those held by at most CommonShare of the documents, and
	// at least the MinInformative rarest. On the known-item evaluation,
	// 0.7 keeps MRR@10 within 0.005 of matching on every syllable and cuts
	// median latency by 40%; 0.5 would cut it by 60% at a cost of 0.016.
	CommonShare    float64 `param:"common_share"`
	MinInformative int     `param:"min_informative"`
	// BM25K1 and BM25B are BM25's saturation of term frequency and
	// strength of length normalization (Robertson's usual 1.2 and 0.75).
	BM25K1 float64 `param:"bm25_k1"`
	BM25B  float64 `param:"bm25_b"`
	// MinShare is the least IDF-weighted share of a keyword query's
	// syllables a document must hold to be a result (see ranker.enough).
	MinShare float64 `param:"min_share"`
	// ExactWeight weighs, in verbose queries' first pass, the BM25 of a
	// syllable held as typed against that of its folded form.
	ExactWeight float64 `param:"exact_weight"`
	// The second pass multiplies a candidate's score by 1 + boost × the
	// IDF-weighted share of what the boost rewards:
	//
	// ExactBoost: in keyword queries, the syllables typed with diacritics
	// held as typed, and in a query carrying diacritics the syllables
	// typed plain held plain. (Verbose queries weigh the marked ones in
	// the first pass.)
	ExactBoost float64 `param:"exact_boost"`
	// PairBoost: the query's adjacent syllable pairs standing side by
	// side in the document, as the syllables of a Vietnamese word do.
	PairBoost float64 `param:"pair_boost"`
	// TitleBoost: the query's syllables found in the title.
	TitleBoost float64 `param:"title_boost"`
	// LeadBoost: the query's syllables found in the lead — title,
	// summary, first paragraph — where a news article says what it is
	// about.
	LeadBoost float64 `param:"lead_boost"`
	// PassageBoost rewards the article's best paragraph scored as a
	// passage (see passage.go): the score is multiplied by 1 +
	// PassageBoost × that paragraph's normalized score. QuestionPassageBoost
	// replaces it for questions, which name what one paragraph says.
	PassageBoost         float64 `param:"passage_boost"`
	QuestionPassageBoost float64 `param:"question_passage_boost"`
	// PassageProximity and PassagePairs weigh, within a paragraph, how
	// closely its matched syllables stand and the query's pairs standing
	// side by side.
	PassageProximity float64 `param:"passage_proximity"`
	PassagePairs     float64 `param:"passage_pairs"`
	// PassageK1 and PassageB are BM25's k1 and b for passages: a low k1
	// makes holding more of the query's syllables count for more than
	// holding one of them often.
	PassageK1 float64 `param:"passage_k1"`
	PassageB  float64 `param:"passage_b"`
	// SynonymWeight is what an article found by another form of a
	// synonym than the one typed scores, as a share of its score (see
	// expand.go): below 1, the form typed ranks first.
	SynonymWeight float64 `param:"synonym_weight"`
	// RestoreConfidence is the confidence a syllable restored with
	// diacritics needs to rank a keyword query as one typed with them
	// (see restoredQuery); below it, the syllable stays as typed.
	// RestoreConfidenceVerbose replaces it in verbose queries.
	RestoreConfidence        float64 `param:"restore_confidence"`
	RestoreConfidenceVerbose float64 `param:"restore_confidence_verbose"`
}

// DefaultParams returns the parameters vnsearch ranks with unless told
// otherwise.
func DefaultParams() Params {
	return Params{
		KeywordSyllables:     4,
		MaxSyllables:         48,
		RescoreDepth:         100,
		CommonShare:          0.7,
		MinInformative:       3,
		BM25K1:               1.2,
		BM25B:                0.75,
		MinShare:             0.5,
		ExactWeight:          1.0,
		ExactBoost:           4.0,
		PairBoost:            4.0,
		TitleBoost:           2.0,
		LeadBoost:            0.5,
		PassageBoost:         0.5,
		QuestionPassageBoost: 1,
		PassageProximity:     0.25,
		PassagePairs:         1,
		PassageK1:            1.2,
		PassageB:             0.75,
		SynonymWeight:        0.5,

		// Diacritics restored (restore.go).
		RestoreConfidence:        RestoreMinConfidence,
		RestoreConfidenceVerbose: RestoreMinConfidenceVerbose,
	}
}

// ParamNames lists the names Set accepts, in the order of the fields.
func ParamNames() []string {
	t := reflect.TypeFor[Params]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Tag.Get("param")
	}
	return names
}

// Set changes one parameter, given as name=value ("pair_boost=3").
func (p *Params) Set(assignment string) error {
	name, value, ok := strings.Cut(assignment, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return fmt.Errorf("param %q: want name=value", assignment)
	}
	v := reflect.ValueOf(p).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("param") != name {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Int:
			n, err := strconv.Atoi(value)
			if err != nil {
				return fmt.Errorf("param %s: %q is not a whole number", name, value)
			}
			f.SetInt(int64(n))
		case reflect.Float64:
			x, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return fmt.Errorf("param %s: %q is not a number", name, value)
			}
			f.SetFloat(x)
		}
		return p.Validate()
	}
	return fmt.Errorf("param %q: unknown; known: %s", name, strings.Join(ParamNames(), ", "))
}

// Validate reports a parameter out of its range.
func (p Params) Validate() error {
	var bad []string
	check := func(ok bool, what string) {
		if !ok {
			bad = append(bad, what)
		}
	}
	check(p.KeywordSyllables >= 1, "keyword_syllables must be at least 1")
	check(p.MaxSyllables >= 1 && p.MaxSyllables <= 1000, "max_syllables must be 1 to 1000")
	check(p.RescoreDepth >= 1 && p.RescoreDepth <= MaxWindow, fmt.Sprintf("rescore_depth must be 1 to %d", MaxWindow))
	check(p.CommonShare > 0 && p.CommonShare <= 1, "common_share must be in (0, 1]")
	check(p.MinInformative >= 0, "min_informative must not be negative")
	check(p.MinShare >= 0 && p.MinShare <= 1, "min_share must be 0 to 1")
	check(p.BM25K1 > 0 && p.BM25K1 <= 100, "bm25_k1 must be in (0, 100]")
	check(p.BM25B >= 0 && p.BM25B <= 1, "bm25_b must be 0 to 1")
	check(p.PassageK1 > 0 && p.PassageK1 <= 100, "passage_k1 must be in (0, 100]")
	check(p.PassageB >= 0 && p.PassageB <= 1, "passage_b must be 0 to 1")
	check(p.SynonymWeight >= 0 && p.SynonymWeight <= 1, "synonym_weight must be 0 to 1")
	check(p.RestoreConfidence >= 0 && p.RestoreConfidence <= 1, "restore_confidence must be 0 to 1")
	check(p.RestoreConfidenceVerbose >= 0 && p.RestoreConfidenceVerbose <= 1, "restore_confidence_verbose must be 0 to 1")
	for _, w := range []struct {
		name string
		v    float64
	}{{"exact_weight", p.ExactWeight}, {"exact_boost", p.ExactBoost}, {"pair_boost", p.PairBoost},
		{"title_boost", p.TitleBoost}, {"lead_boost", p.LeadBoost}, {"passage_boost", p.PassageBoost},
		{"question_passage_boost", p.QuestionPassageBoost}, {"passage_proximity", p.PassageProximity},
		{"passage_pairs", p.PassagePairs}} {
		check(w.v >= 0 && w.v <= 1000, w.name+" must be 0 to 1000")
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("params: %s", strings.Join(bad, "; "))
	}
	return nil
}
