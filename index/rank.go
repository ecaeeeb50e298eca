package index

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/corpus"
)

// Ranking runs in two passes, because Bleve scores every document a query
// matches, and exact terms and positions are dear to read for all of them.
//
// Queries come in two kinds. A keyword query (up to keywordSyllables
// syllables: "ma túy", "Trùng Khánh") names what the reader wants; every
// syllable matters. A verbose query (a headline, a sentence) is evidence to
// weigh; no one syllable is indispensable.
//
// The first pass scores candidates cheaply. For a keyword query: on folded
// syllables, BM25; documents holding every
// syllable are found first, by a conjunction, which reads far fewer
// postings than a disjunction, and only when they are too few to fill the
// window are documents holding some scored too (scaled by the share they
// hold) and ranked after. For a verbose query: every document holding any
// syllable, by BM25 of the folded syllables and of the syllables typed with
// diacritics, scaled by the share held.
//
// The second pass refines the best rescoreDepth candidates, reading term
// postings directly, at those documents only. For a keyword query,
// documents holding every syllable come first, and among them those
// holding more of the syllables typed with diacritics, as typed; each score
// is multiplied by 1 + exactBoost × the share of those syllables held as
// typed. For every query, each score is multiplied by 1 + pairBoost × the
// share of the query's adjacent syllable pairs standing side by side in the
// document too, by 1 + titleBoost × the share of its syllables found in
// the title, and by 1 + leadBoost × the share found in the lead. Shares weigh each syllable by its IDF, so that "của các" side
// by side says less than "xung đột" does.
//
// Past rescoreDepth, documents keep their first-pass order, so that the
// pages of one query agree with one another.
const rescoreDepth = 100

// Verbose queries match on their informative syllables (see informative):
// those held by at most commonShare of the documents, and at least the
// minInformative rarest. On the known-item evaluation, 0.7 keeps MRR@10
// within 0.005 of matching on every syllable and cuts median latency by
// 40%; 0.5 would cut it by 60% at a cost of 0.016.
const (
	commonShare    = 0.7
	minInformative = 3
)

// Weights of the second pass, chosen on the known-item evaluation (see
// README): each is how much more a document scores when it has all of what
// the weight rewards.
const (
	// exactBoost rewards, in keyword queries, the syllables typed with
	// diacritics held as typed. (Verbose queries weigh them in the first
	// pass's BM25 instead.)
	exactBoost = 4.0
	// pairBoost rewards query syllables standing side by side, as the
	// syllables of a Vietnamese word do.
	pairBoost = 4.0
	// titleBoost rewards query syllables found in the title.
	titleBoost = 2.0
	// leadBoost rewards query syllables found in the lead — title,
	// summary, first paragraph — where a news article says what it is
	// about.
	leadBoost = 0.5
)

// snapshot is one consistent view of the index, shared by every pass of a
// search so that internal document numbers stay valid between them.
type snapshot struct {
	docs    uint64 // documents in the index
	ctx     context.Context
	reader  bleveindex.IndexReader
	mapping mapping.IndexMapping
}

func (ix *Index) snapshot(ctx context.Context) (*snapshot, error) {
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return nil, err
	}
	reader, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	docs, err := reader.DocCount()
	if err != nil {
		_ = reader.Close()
		return nil, err
	}
	// What bleve.Index.Search tells its searchers: score with BM25 — and
	// what it gets wrong: the average field lengths (see lengths.go).
	ctx = context.WithValue(ctx, bsearch.GetScoringModelCallbackKey,
		bsearch.GetScoringModelCallbackFn(func() string { return bleveindex.BM25Scoring }))
	ctx = context.WithValue(ctx, bsearch.BM25StatsKey, ix.lengths.bm25Stats(docs))
	return &snapshot{docs: docs, ctx: ctx, reader: reader, mapping: ix.bleve.Mapping()}, nil
}

func (s *snapshot) close() error { return s.reader.Close() }

var (
	byScore = bsearch.SortOrder{&bsearch.SortScore{Desc: true}}
	byDate  = bsearch.ParseSortOrderStrings([]string{"-" + fieldPublished, "-_score"})
)

// collect runs q and returns its hits from..from+size in the given order,
// and the number of documents it matches. Unscored, it only counts.
func (s *snapshot) collect(q query.Query, from, size int, order bsearch.SortOrder, scored bool) (bsearch.DocumentMatchCollection, uint64, error) {
	opts := bsearch.SearcherOptions{}
	if !scored {
		opts.Score = "none"
	}
	searcher, err := q.Searcher(s.ctx, s.reader, s.mapping, opts)
	if err != nil {
		return nil, 0, err
	}
	defer searcher.Close()
	coll := collector.NewTopNCollector(size, from, order)
	if err := coll.Collect(s.ctx, searcher, s.reader); err != nil {
		return nil, 0, err
	}
	return coll.Results(), coll.Total(), nil
}

// candidate is a document found by the first pass.
type candidate struct {
	id       string
	internal bleveindex.IndexInternalID
	score    float64
	// tier orders documents before their scores do: 0 for those holding
	// some query syllables, 1 + the number of syllables held as typed
	// for those holding all.
	tier int
	ev   *evidence // what the second pass read; nil past rescoreDepth
}

func candidates(hits bsearch.DocumentMatchCollection, tier int) []candidate {
	out := make([]candidate, len(hits))
	for i, h := range hits {
		out[i] = candidate{id: h.ID, internal: slices.Clone(h.IndexInternalID), score: h.Score, tier: tier}
	}
	return out
}

// rank returns the requested page of candidates, best first, with the
// evidence the snippets need, and the total number of matches.
func (s *snapshot) rank(p *plan, r *Request) ([]candidate, uint64, error) {
	if r.Sort == ByDate {
		hits, total, err := s.collect(p.restrict(p.syllablesQuery(false), r, nil), r.From, r.Size, byDate, true)
		if err != nil {
			return nil, 0, err
		}
		page := candidates(hits, 0)
		return page, total, s.gather(p, page)
	}
	window := max(rescoreDepth, r.From+r.Size)
	var (
		found []candidate
		total uint64
	)
	switch {
	case p.verbose():
		// A title or a sentence: no syllable is indispensable, so rank
		// every document holding any by BM25, typed diacritics counting.
		keep, err := s.informative(p)
		if err != nil {
			return nil, 0, err
		}
		hits, n, err := s.collect(p.restrict(p.verboseQuery(keep), r, nil), 0, window, byScore, true)
		if err != nil {
			return nil, 0, err
		}
		found, total = candidates(hits, 0), n
	case len(p.syllables) > 1:
		// Count every match on the other core meanwhile: when the
		// documents holding all syllables fill the window, nothing else
		// needs scoring, but the total still counts those holding some.
		type count struct {
			n   uint64
			err error
		}
		counted := make(chan count, 1)
		go func() {
			_, n, err := s.collect(p.restrict(p.countQuery(), r, nil), 0, 0, byScore, false)
			counted <- count{n, err}
		}()
		all := p.syllablesQuery(true)
		hits, n, err := s.collect(p.restrict(all, r, nil), 0, window, byScore, true)
		c := <-counted
		if err != nil {
			return nil, 0, err
		}
		found, total = candidates(hits, 1), n
		if len(found) < window {
			rest, n, err := s.collect(p.restrict(p.syllablesQuery(false), r, all), 0, window-len(found), byScore, true)
			if err != nil {
				return nil, 0, err
			}
			found, total = append(found, candidates(rest, 0)...), total+n
		} else if total = c.n; c.err != nil {
			return nil, 0, c.err
		}
	default:
		var core query.Query
		if len(p.syllables) == 1 {
			core = p.syllablesQuery(false)
		}
		hits, n, err := s.collect(p.restrict(core, r, nil), 0, window, byScore, true)
		if err != nil {
			return nil, 0, err
		}
		found, total = candidates(hits, 1), n
	}

	top := found[:min(rescoreDepth, len(found))]
	if err := s.gather(p, top); err != nil {
		return nil, 0, err
	}
	for i := range top {
		c := &top[i]
		c.score *= p.factor(c.ev)
		c.tier = 0
		if !p.verbose() && c.ev.held() == len(p.syllables) {
			c.tier = 1 + c.ev.exactCount()
		}
	}
	// Stable: equal keys keep the first pass's order.
	slices.SortStableFunc(top, func(a, b candidate) int {
		if a.tier != b.tier {
			return cmp.Compare(b.tier, a.tier)
		}
		return cmp.Compare(b.score, a.score)
	})
	page := found[min(r.From, len(found)):min(r.From+r.Size, len(found))]
	if r.From+r.Size > rescoreDepth {
		// Past the rescored top: the snippets still need evidence.
		if err := s.gather(p, page); err != nil {
			return nil, 0, err
		}
	}
	return page, total, nil
}

// informative marks the syllables of a verbose query worth matching on.
// The commonest ("của", "và", "là") add next to nothing to BM25 and cost
// the longest posting lists; they still count in the second pass.
func (s *snapshot) informative(p *plan) ([]bool, error) {
	type syllable struct {
		i  int
		df uint64
	}
	dfs := make([]syllable, len(p.syllables))
	for i, t := range p.syllables {
		tfr, err := s.reader.TermFieldReader(s.ctx, []byte(t.folded), fieldBodyFolded, false, false, false)
		if err != nil {
			return nil, err
		}
		dfs[i] = syllable{i, tfr.Count()}
		_ = tfr.Close()
	}
	slices.SortStableFunc(dfs, func(a, b syllable) int { return cmp.Compare(a.df, b.df) })
	keep := make([]bool, len(p.syllables))
	for rank, d := range dfs {
		keep[d.i] = rank < minInformative || float64(d.df) <= commonShare*float64(s.docs)
	}
	return keep, nil
}

// occurrence is where a query syllable stands in a document's body.
type occurrence struct {
	value uint64 // which value of the body: title, summary, a paragraph
	pos   uint64 // position within that value
}

// evidence is what the second pass reads of one document.
type evidence struct {
	at    [][]occurrence // per query syllable: where it stands, folded
	exact []bool         // per marked syllable: held as typed
}

func (e *evidence) held() int {
	n := 0
	for _, occ := range e.at {
		if len(occ) > 0 {
			n++
		}
	}
	return n
}

func (e *evidence) exactCount() int {
	n := 0
	for _, ok := range e.exact {
		if ok {
			n++
		}
	}
	return n
}

// adjacent reports whether syllable b stands right after syllable a in
// the same value of the body.
func (e *evidence) adjacent(a, b int) bool {
	for _, x := range e.at[a] {
		for _, y := range e.at[b] {
			if x.value == y.value && y.pos == x.pos+1 {
				return true
			}
		}
	}
	return false
}

// factor is what the evidence multiplies a first-pass score by.
func (p *plan) factor(e *evidence) float64 {
	f := 1.0
	if len(p.marked) > 0 && !p.verbose() {
		var held, all float64
		for j, i := range p.marked {
			all += p.weight[i]
			if e.exact[j] {
				held += p.weight[i]
			}
		}
		if all > 0 {
			f *= 1 + exactBoost*held/all
		}
	}
	f *= 1 + titleBoost*p.shareWithin(e, titleValue)
	f *= 1 + leadBoost*p.shareWithin(e, firstPara)
	if len(p.pairs) > 0 {
		var adjacent, all float64
		for _, pr := range p.pairs {
			w := max(p.weight[pr.first], p.weight[pr.second])
			all += w
			if e.adjacent(pr.first, pr.second) {
				adjacent += w
			}
		}
		if all > 0 {
			f *= 1 + pairBoost*adjacent/all
		}
	}
	return f
}

// shareWithin returns the IDF-weighted share of the query's syllables that
// stand in the body's values up to last.
func (p *plan) shareWithin(e *evidence, last uint64) float64 {
	var in, all float64
	for i, occ := range e.at {
		all += p.weight[i]
		for _, o := range occ {
			if o.value <= last {
				in += p.weight[i]
				break
			}
		}
	}
	if all == 0 {
		return 0
	}
	return in / all
}

// gather reads the evidence of the candidates that lack it: for every query
// syllable, its folded postings with positions, and for every syllable
// typed with diacritics, its exact postings — at those documents only.
func (s *snapshot) gather(p *plan, cands []candidate) error {
	var docs []*candidate
	for i := range cands {
		if cands[i].ev == nil {
			cands[i].ev = &evidence{at: make([][]occurrence, len(p.syllables)), exact: make([]bool, len(p.marked))}
			docs = append(docs, &cands[i])
		}
	}
	if len(docs) == 0 {
		return nil
	}
	// Postings are read forward, so visit the documents in index order.
	slices.SortFunc(docs, func(a, b *candidate) int { return a.internal.Compare(b.internal) })
	weigh := p.weight == nil
	if weigh {
		p.weight = make([]float64, len(p.syllables))
	}
	// One walk a term, spread over the cores: each writes only its own
	// syllable's slots of the evidence.
	var walks []func() error
	for i, t := range p.syllables {
		walks = append(walks, func() error {
			df, err := s.walk(t.folded, fieldBodyFolded, true, docs, func(c *candidate, doc *bleveindex.TermFieldDoc) {
				for _, v := range doc.Vectors {
					var value uint64
					if len(v.ArrayPositions) > 0 {
						value = v.ArrayPositions[0]
					}
					c.ev.at[i] = append(c.ev.at[i], occurrence{value: value, pos: v.Pos})
				}
			})
			if weigh {
				p.weight[i] = idf(s.docs, df)
			}
			return err
		})
	}
	for j, i := range p.marked {
		walks = append(walks, func() error {
			_, err := s.walk(p.syllables[i].exact, fieldBodyExact, false, docs, func(c *candidate, _ *bleveindex.TermFieldDoc) {
				c.ev.exact[j] = true
			})
			return err
		})
	}
	return parallel(walks)
}

// parallel runs the tasks on as many goroutines as there are cores and
// returns the first error.
func parallel(tasks []func() error) error {
	next := make(chan func() error)
	errs := make(chan error, len(tasks))
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for task := range next {
				errs <- task()
			}
		}()
	}
	for _, task := range tasks {
		next <- task
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// walk calls found for each of docs (in index order) holding term in
// field, and returns how many documents of the index hold it.
func (s *snapshot) walk(term, field string, positions bool, docs []*candidate, found func(*candidate, *bleveindex.TermFieldDoc)) (uint64, error) {
	tfr, err := s.reader.TermFieldReader(s.ctx, []byte(term), field, false, false, positions)
	if err != nil {
		return 0, fmt.Errorf("read %s:%s: %w", field, term, err)
	}
	defer tfr.Close()
	df := tfr.Count()
	if df == 0 {
		return 0, nil
	}
	var doc *bleveindex.TermFieldDoc
	for _, c := range docs {
		// Advance only forward: a reader sought backwards starts over.
		if doc == nil || doc.ID.Compare(c.internal) < 0 {
			if doc, err = tfr.Advance(c.internal, doc); err != nil {
				return df, err
			}
			if doc == nil {
				return df, nil // no more documents hold the term
			}
		}
		if doc.ID.Equals(c.internal) {
			found(c, doc)
		}
	}
	return df, nil
}

// idf is BM25's inverse document frequency of a term df of docs hold: how
// much finding it says.
func idf(docs, df uint64) float64 {
	return math.Log(1 + (float64(docs)-float64(df)+0.5)/(float64(df)+0.5))
}

// article reads a stored article.
func (s *snapshot) article(id string) (corpus.Article, error) {
	doc, err := s.reader.Document(id)
	if err != nil {
		return corpus.Article{}, fmt.Errorf("index: load %q: %w", id, err)
	}
	if doc == nil {
		return corpus.Article{}, fmt.Errorf("index: %q: %w", id, ErrNotFound)
	}
	var raw []byte
	doc.VisitFields(func(f bleveindex.Field) {
		if f.Name() == fieldArticle {
			raw = f.Value()
		}
	})
	return unmarshalArticle(id, raw)
}
