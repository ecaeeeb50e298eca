package analyzer

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var (
	testOnsets = []string{"", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m",
		"n", "ng", "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"}
	testNuclei = []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
		"ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi",
		"ôi", "ơi", "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
		"iêu", "yêu", "oai", "oay", "oao", "oeo", "uây", "uôi", "uya", "uyê", "uyu", "ươi", "ươu"}
	testCodas = []string{"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
)

// syllable is one generated Vietnamese syllable without its tone.
type syllable struct {
	bare []rune
	tone tone
}

// allSyllables enumerates every onset × nucleus × coda × tone. Onsets whose
// own vowel letter would merge with the nucleus (qu + u…, gi + i…) are left
// out: "quu" or "gii" is no spelling anyone writes.
func allSyllables() []syllable {
	var out []syllable
	for _, on := range testOnsets {
		for _, nu := range testNuclei {
			if on == "qu" && (nu[0] == 'u' || strings.HasPrefix(nu, "ư")) ||
				on == "gi" && (nu[0] == 'i' || nu[0] == 'y') {
				continue
			}
			for _, co := range testCodas {
				for tn := toneGrave; tn < numTones; tn++ {
					out = append(out, syllable{bare: []rune(on + nu + co), tone: tn})
				}
			}
		}
	}
	return out
}

// spellings writes s with its tone mark on each vowel letter in turn:
// every style, right or wrong, that a writer might use.
func (s syllable) spellings() []string {
	var out []string
	for i, r := range s.bare {
		if bareVowelIndex(r) < 0 {
			continue
		}
		rs := append([]rune(nil), s.bare...)
		rs[i] = compose(r, s.tone)
		out = append(out, string(rs))
	}
	return out
}

// TestToneSpellingNeverMatters is the equivalence property over every
// syllable: wherever the tone mark sits, in NFC or NFD, in any case, the
// syllable analyzes to one exact token, and folding gives its bare ASCII
// letters.
func TestToneSpellingNeverMatters(t *testing.T) {
	syllables := allSyllables()
	for _, s := range syllables {
		spellings := s.spellings()
		want := Normalize(spellings[0])
		if !utf8.ValidString(want) || strings.ContainsFunc(want, isCombiningMark) {
			t.Fatalf("Normalize(%q) = %q: not composed", spellings[0], want)
		}
		wantFolded := Fold(string(s.bare))
		for _, sp := range spellings {
			for _, form := range []string{
				sp, norm.NFD.String(sp), strings.ToUpper(sp), norm.NFD.String(strings.ToUpper(sp)),
				titleCase(sp),
			} {
				if got := Normalize(form); got != want {
					t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q", form, got, spellings[0], want)
				}
				if got := join(Tokens(form, true)); got != wantFolded {
					t.Fatalf("folded Tokens(%q) = %q, want %q", form, got, wantFolded)
				}
			}
		}
	}
	t.Logf("%d syllables in every spelling agree", len(syllables))
}

// TestRandomTextSpellingNeverMatters checks whole sentences: random
// syllables, each written in a random style, form and case, analyze to the
// same exact and folded tokens as the canonical text.
func TestRandomTextSpellingNeverMatters(t *testing.T) {
	syllables := allSyllables()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var canonical, variant []string
		for range 1 + rng.IntN(12) {
			s := syllables[rng.IntN(len(syllables))]
			sp := s.spellings()
			canonical = append(canonical, sp[0])
			w := sp[rng.IntN(len(sp))]
			switch rng.IntN(4) {
			case 1:
				w = norm.NFD.String(w)
			case 2:
				w = strings.ToUpper(w)
			case 3:
				w = norm.NFD.String(strings.ToUpper(w))
			}
			variant = append(variant, w)
		}
		a, b := strings.Join(canonical, " "), strings.Join(variant, " ")
		for _, folded := range []bool{false, true} {
			if ta, tb := join(Tokens(a, folded)), join(Tokens(b, folded)); ta != tb {
				t.Fatalf("folded=%v:\n%q -> %s\n%q -> %s", folded, a, ta, b, tb)
			}
			if ba, bb := join(Bigrams(a, folded)), join(Bigrams(b, folded)); ba != bb {
				t.Fatalf("bigrams folded=%v:\n%q -> %s\n%q -> %s", folded, a, ba, b, bb)
			}
		}
	}
}

func titleCase(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[size:]
}
