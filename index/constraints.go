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
	allowed  []*roaring.Bitmap // per segment; nil allows every live document
	none     []bool            // per segment: nothing in it is allowed
	phrases  []phrase          // every hit holds each
	excluded []phrase          // no hit holds any
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
	c := &constraints{allowed: make([]*roaring.Bitmap, len(s.segs)), none: make([]bool, len(s.segs))}
	for _, ph := range q.phrases {
		c.phrases = append(c.phrases, newPhrase(ph))
	}
	for _, ph := range q.excludeSeq {
		c.excluded = append(c.excluded, newPhrase(ph))
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
		c.allowed[i] = allowed
		c.none[i] = allowed != nil && allowed.IsEmpty()
	}
	return c, nil
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

// phraseChecker checks the phrases of the constraints against positions,
// document by document, in increasing order within one segment.
type phraseChecker struct {
	c        *constraints
	required []phraseCursors
	excluded []phraseCursors
	checks   int // documents checked so far
}

type phraseCursors struct {
	p       phrase
	cursors []*cursor // per term; nil when the segment lacks the term
}

func (s *snapshot) phraseChecker(c *constraints, seg int) (*phraseChecker, error) {
	pc := &phraseChecker{c: c}
	open := func(ps []phrase) ([]phraseCursors, error) {
		var out []phraseCursors
		for _, p := range ps {
			cs := phraseCursors{p: p, cursors: make([]*cursor, len(p.terms))}
			for i, t := range p.terms {
				cur, err := s.cursor(s.segs[seg], fieldBodyFolded, t, 0, 0, true)
				if err != nil {
					return nil, err
				}
				cs.cursors[i] = cur
			}
			out = append(out, cs)
		}
		return out, nil
	}
	var err error
	if pc.required, err = open(c.phrases); err != nil {
		return nil, err
	}
	if pc.excluded, err = open(c.excluded); err != nil {
		return nil, err
	}
	return pc, nil
}

// ok reports whether doc holds every required phrase and no excluded one.
func (pc *phraseChecker) ok(doc uint64) (bool, error) {
	pc.checks++
	for _, p := range pc.required {
		found, err := p.holds(doc)
		if err != nil || !found {
			return false, err
		}
	}
	for _, p := range pc.excluded {
		found, err := p.holds(doc)
		if err != nil || found {
			return false, err
		}
	}
	return true, nil
}

// holds reports whether doc holds the phrase.
func (p *phraseCursors) holds(doc uint64) (bool, error) {
	positions := make([][]uint64, len(p.cursors))
	for i, c := range p.cursors {
		if c == nil {
			return false, nil
		}
		if err := c.advance(doc); err != nil {
			return false, err
		}
		if c.doc != doc {
			return false, nil
		}
		for _, l := range c.locs {
			positions[i] = append(positions[i], l.Pos())
		}
	}
	for _, start := range positions[0] {
		all := true
		for i := 1; i < len(positions) && all; i++ {
			want := start + uint64(p.p.rel[i])
			all = slices.Contains(positions[i], want)
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}
