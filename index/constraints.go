package index

import (
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/vnsearch/vnsearch/analyzer"
)

// constraints are what every hit must satisfy besides its syllables: the
// request's filters and the query's exclusions, as a bitmap of allowed
// documents per segment, and the query's quoted phrases (and excluded
// phrases), checked against positions document by document. They are
// built once per search.
type constraints struct {
	// allowed are, per segment, the documents the filters allow, that
	// hold every syllable of each phrase and no excluded word; nil allows
	// every live document.
	allowed []*roaring.Bitmap
	none    []bool   // per segment: nothing in it is allowed
	phrases []phrase // every hit holds each
	// excluded phrases: no hit holds any; suspects are, per segment, the
	// documents holding every syllable of one, which need checking.
	excluded []phrase
	suspects []*roaring.Bitmap
}

// phrase is a sequence of folded tokens at relative positions, as the
// analyzer lays out the phrase's text.
type phrase struct {
	terms []string // folded
	rel   []int    // position of each term relative to the first
}

func newPhrase(text string) phrase {
	var p phrase
	syllables := analyzer.Syllables(text)
	for _, s := range syllables {
		p.terms = append(p.terms, s.Folded)
		p.rel = append(p.rel, s.Position-syllables[0].Position)
	}
	return p
}

// verifying reports whether hits need their positions checked.
func (c *constraints) verifying() bool { return len(c.phrases) > 0 || len(c.excluded) > 0 }

// newConstraints reads the filters' and exclusions' documents in every
// segment.
func newConstraints(s *snapshot, q *analyzedQuery, r *Request) (*constraints, error) {
	c := &constraints{allowed: make([]*roaring.Bitmap, len(s.segs)), none: make([]bool, len(s.segs)),
		suspects: make([]*roaring.Bitmap, len(s.segs))}
	// A phrase of one token is matched exactly by its term's bitmap;
	// longer ones are checked on positions too.
	var required, excluded []phrase
	for _, ph := range q.phrases {
		p := newPhrase(ph)
		required = append(required, p)
		if p.needsCheck() {
			c.phrases = append(c.phrases, p)
		}
	}
	for _, ph := range q.excludeSeq {
		p := newPhrase(ph)
		excluded = append(excluded, p)
		if p.needsCheck() {
			c.excluded = append(c.excluded, p)
		}
	}
	sinceDay, untilDay := "", ""
	if !r.Since.IsZero() {
		sinceDay = dayOf(r.Since)
	}
	if !r.Until.IsZero() {
		// Until is exclusive: a bound past midnight keeps its whole day.
		u := r.Until.UTC()
		if u.Truncate(24*time.Hour) != u {
			u = u.Add(24 * time.Hour)
		}
		untilDay = dayOf(u)
	}
	sources, categories := normalizedValues(r.Sources), normalizedValues(r.Categories)
	for i, sv := range s.segs {
		var allowed *roaring.Bitmap
		narrow := func(bm *roaring.Bitmap) {
			if allowed == nil {
				allowed = bm
			} else {
				allowed.And(bm)
			}
		}
		for _, values := range []struct {
			field  string
			values []string
		}{{fieldSource, sources}, {fieldCategory, categories}} {
			if len(values.values) == 0 {
				continue
			}
			any := roaring.New()
			for _, v := range values.values {
				bm, err := sv.bitmap(values.field, v)
				if err != nil {
					return nil, err
				}
				if bm != nil {
					any.Or(bm)
				}
			}
			narrow(any)
		}
		if sinceDay != "" || untilDay != "" {
			dated := roaring.New()
			from := sinceDay
			if from == "" {
				from = "0"
			}
			err := sv.termRange(fieldDay, from, untilDay, func(_ string, docs *roaring.Bitmap) error {
				dated.Or(docs)
				return nil
			})
			if err != nil {
				return nil, err
			}
			narrow(dated)
		}
		for _, t := range q.excludes {
			field, term := fieldBodyFolded, t.folded
			if t.exact != t.folded {
				field, term = fieldBodyExact, t.exact
			}
			bm, err := sv.bitmap(field, term)
			if err != nil {
				return nil, err
			}
			if bm == nil {
				continue
			}
			if allowed == nil {
				allowed = sv.live()
			}
			allowed.AndNot(bm)
		}
		for _, p := range required {
			holding, err := p.holders(sv)
			if err != nil {
				return nil, err
			}
			narrow(holding)
		}
		suspects := roaring.New()
		for _, p := range excluded {
			holding, err := p.holders(sv)
			if err != nil {
				return nil, err
			}
			if p.needsCheck() {
				suspects.Or(holding)
				continue
			}
			if allowed == nil {
				allowed = sv.live()
			}
			allowed.AndNot(holding)
		}
		c.suspects[i] = suspects
		c.allowed[i] = allowed
		c.none[i] = allowed != nil && allowed.IsEmpty()
	}
	return c, nil
}

// needsCheck reports whether the phrase's holders may not all hold it:
// a phrase of more than one token is checked on positions.
func (p *phrase) needsCheck() bool { return len(p.terms) > 1 }

// holders returns the live documents of a segment holding every token of
// the phrase: those that may hold it, and for one token those that do (a
// new bitmap).
func (p *phrase) holders(sv *segView) (*roaring.Bitmap, error) {
	type key struct{ field, term string }
	var keys []key
	for _, t := range p.terms {
		keys = append(keys, key{fieldBodyFolded, t})
	}
	var out *roaring.Bitmap
	for _, k := range keys {
		bm, err := sv.bitmap(k.field, k.term)
		if err != nil {
			return nil, err
		}
		if bm == nil {
			return roaring.New(), nil
		}
		if out == nil {
			out = bm.Clone()
		} else {
			out.And(bm)
		}
	}
	if out == nil {
		out = sv.live()
	}
	return out, nil
}

func normalizedValues(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, analyzer.Normalize(v))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// phraseChecker checks the phrases of the constraints against the
// forward index of a segment's documents.
type phraseChecker struct {
	s   *snapshot
	c   *constraints
	seg int
}

func (s *snapshot) phraseChecker(c *constraints, seg int) (*phraseChecker, error) {
	return &phraseChecker{s: s, c: c, seg: seg}, nil
}

// ok reports whether doc, one the constraints allow, holds every required
// phrase and no excluded one.
func (pc *phraseChecker) ok(doc uint64) (bool, error) {
	if len(pc.c.phrases) == 0 && !pc.c.suspects[pc.seg].Contains(uint32(doc)) {
		return true, nil
	}
	ok := true
	err := pc.s.withLayout(pc.seg, doc, func(l *layout) {
		for _, p := range pc.c.phrases {
			if !p.in(l) {
				ok = false
				return
			}
		}
		for _, p := range pc.c.excluded {
			if p.in(l) {
				ok = false
				return
			}
		}
	})
	return ok && err == nil, err
}

// in reports whether a document's forward index holds the phrase: some
// position of its first token with each other token at its place after.
func (p *phrase) in(l *layout) bool {
	if len(p.terms) == 0 {
		return true
	}
	at := l.occurrences(p.terms)
	for _, positions := range at {
		if len(positions) == 0 {
			return false
		}
	}
	for _, start := range at[0] {
		all := true
		for i := 1; i < len(at) && all; i++ {
			_, all = slices.BinarySearch(at[i], start+p.rel[i])
		}
		if all {
			return true
		}
	}
	return false
}
