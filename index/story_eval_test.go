package index

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vnsearch/vnsearch/corpus"
)

// TestStoryPairsForLabeling samples pairs of baomoi articles at every
// level of story-key similarity, for a person to label "same story" or
// not, and, given the labels, reports how precise grouping is at each
// threshold. It runs only when asked, and writes outside the repository:
// nothing derived from baomoi is ever committed.
//
//	VNSEARCH_STORY_PAIRS=/tmp/pairs.txt go test ./index -run StoryPairs -v
//	# label: one line "N y" or "N n" per pair N, in /tmp/labels.txt
//	VNSEARCH_STORY_PAIRS=/tmp/pairs.txt VNSEARCH_STORY_LABELS=/tmp/labels.txt go test ./index -run StoryPairs -v
//
// Candidate pairs are those sharing a band of 4 signature places (16
// bands), which finds nearly every pair at similarity 0.4 and above and
// many below; they are sampled evenly across similarity bins, with a
// fixed seed, so that the same pairs come back for the labels.
func TestStoryPairsForLabeling(t *testing.T) {
	out := os.Getenv("VNSEARCH_STORY_PAIRS")
	if out == "" {
		t.Skip("set VNSEARCH_STORY_PAIRS=FILE to sample baomoi pairs for labeling")
	}
	if _, err := os.Stat(baomoiPath); err != nil {
		t.Skipf("%s absent", baomoiPath)
	}
	var articles []corpus.Article
	for a, err := range corpus.Articles(context.Background(), baomoiPath) {
		if err == nil {
			articles = append(articles, a)
		}
	}
	sigs := make([][]byte, len(articles))
	for i := range articles {
		d := analyzeArticle(&articles[i])
		sigs[i] = storySignature(&d.layout)
	}
	type pair struct {
		a, b int
		sim  float64
	}
	const bands, rows = 16, 4
	seen := map[[2]int]bool{}
	var pairs []pair
	for band := range bands {
		buckets := map[string][]int{}
		for i, sig := range sigs {
			if sig == nil {
				continue
			}
			key := string(sig[1+4*rows*band : 1+4*rows*(band+1)])
			buckets[key] = append(buckets[key], i)
		}
		for _, members := range buckets {
			if len(members) > 50 {
				continue // boilerplate shared by many: not one story
			}
			for x := range members {
				for y := x + 1; y < len(members); y++ {
					k := [2]int{members[x], members[y]}
					if seen[k] {
						continue
					}
					seen[k] = true
					pairs = append(pairs, pair{k[0], k[1], storySimilarity(sigs[k[0]], sigs[k[1]])})
				}
			}
		}
	}
	slices.SortFunc(pairs, func(p, q pair) int {
		if p.a != q.a {
			return p.a - q.a
		}
		return p.b - q.b
	})
	bins := []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01}
	byBin := make([][]pair, len(bins)-1)
	for _, p := range pairs {
		for i := range len(bins) - 1 {
			if p.sim >= bins[i] && p.sim < bins[i+1] {
				byBin[i] = append(byBin[i], p)
			}
		}
	}
	rng := rand.New(rand.NewPCG(14, 2017))
	var sample []pair
	per := 200 / len(byBin)
	for i, list := range byBin {
		rng.Shuffle(len(list), func(x, y int) { list[x], list[y] = list[y], list[x] })
		n := min(len(list), per)
		if i == len(byBin)-1 {
			n = min(len(list), 200-len(sample))
		}
		sample = append(sample, list[:n]...)
		t.Logf("similarity [%.1f, %.1f): %d candidate pairs, %d sampled", bins[i], min(bins[i+1], 1), len(list), n)
	}
	var b strings.Builder
	text := func(a *corpus.Article) string {
		s := a.Summary + " " + strings.Join(a.Paragraphs, " ")
		if utf8.RuneCountInString(s) > 400 {
			s = string([]rune(s)[:400]) + "…"
		}
		return s
	}
	for n, p := range sample {
		x, y := &articles[p.a], &articles[p.b]
		fmt.Fprintf(&b, "## %d sim=%.3f\nA %s | %s\n  %s\nB %s | %s\n  %s\n\n", n, p.sim, x.ID, x.Title, text(x), y.ID, y.Title, text(y))
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pairs written to %s", len(sample), out)

	labelsFile := os.Getenv("VNSEARCH_STORY_LABELS")
	if labelsFile == "" {
		return
	}
	f, err := os.Open(labelsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 0 || n >= len(sample) {
			t.Fatalf("%s: bad line %q", labelsFile, sc.Text())
		}
		labels[n] = fields[1] == "y"
	}
	t.Logf("%d pairs labeled", len(labels))
	// Each bin's pairs stand for all the bin's candidates: precision over
	// the pairs grouped weighs each labeled pair by its bin's size.
	for _, threshold := range []float64{0.3, 0.4, 0.5, 0.6, 0.7, 0.8} {
		var grouped, right, weighted, weightedRight float64
		var sameAll, sameGrouped int
		for n, p := range sample {
			same, ok := labels[n]
			if !ok {
				continue
			}
			if same {
				sameAll++
			}
			if p.sim < threshold {
				continue
			}
			w := 0.0
			for i := range len(bins) - 1 {
				if p.sim >= bins[i] && p.sim < bins[i+1] {
					w = float64(len(byBin[i])) / float64(min(len(byBin[i]), per))
				}
			}
			grouped++
			weighted += w
			if same {
				right++
				weightedRight += w
				sameGrouped++
			}
		}
		t.Logf("threshold %.1f: %3.0f labeled pairs grouped, %3.0f the same story: precision %.3f (weighted by bin %.3f); %d of the %d same-story pairs grouped",
			threshold, grouped, right, right/max(grouped, 1), weightedRight/max(weighted, 1), sameGrouped, sameAll)
	}
}
