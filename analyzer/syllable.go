package analyzer

// Canonical tone placement.
//
// Vietnamese writes one tone mark per syllable, and two conventions disagree
// on which vowel carries it in open syllables whose vowel cluster is oa, oe
// or uy: the traditional style ("kiểu cũ": hòa, khỏe, thúy, tùy) and the
// newer one ("kiểu mới": hoà, khoẻ, thuý, tuỳ). Real text mixes both, and
// sloppy typing misplaces marks outright (qủa, lựơng, nghịêm). Search must
// treat all of these as one word, so every syllable is rewritten to one
// canonical spelling.
//
// The canonical style is the traditional one. It is what most Vietnamese
// news sites and the default settings of the common input methods (Unikey,
// Telex) produce, so the canonical terms shown by `vnsearch analyze` look
// like the words readers see, and most tokens need no rewriting at all.
//
// The rule, applied to the parsed syllable (onset, vowel nucleus, coda):
//  1. If the nucleus holds a vowel with a hat, horn or breve (ă â ê ô ơ ư),
//     the tone goes on the last such vowel: lượng, nghiệm, người, thuở.
//  2. Otherwise, if a final consonant follows the nucleus, the tone goes on
//     the last vowel: hoàng, toán, huỳnh.
//  3. Otherwise (open syllable) it goes on the second-to-last vowel of a
//     cluster of two or three (hòa, thúy, ngoài, khuỷu), on the only vowel
//     of a cluster of one.
//
// The u of qu and the i of gi (before another vowel) belong to the onset,
// so quý, quả, giữ and già place the mark on the vowel after them.
// Syllables that do not parse as Vietnamese (café, Zürich) are left as
// they are.

// onsets, codas and nuclei are the parts of a Vietnamese syllable, in bare
// lowercase form, packed by pack so that checking them allocates nothing.
// gi and qu are not onsets here: they are found apart because their vowel
// letter may carry a misplaced tone.
var (
	onsets = packedSet("", "b", "c", "ch", "d", "đ", "g", "gh", "h", "k", "kh",
		"l", "m", "n", "ng", "ngh", "nh", "p", "ph", "r", "s", "t", "th", "tr",
		"v", "x")
	codas  = packedSet("", "c", "ch", "m", "n", "ng", "nh", "p", "t")
	nuclei = packedSet("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư",
		"y", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu",
		"oa", "oă", "oe", "oi", "ôi", "ơi", "oo", "ua", "uâ", "uê", "ui", "uô",
		"uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê", "iêu", "yêu", "oai", "oay",
		"oao", "oeo", "uây", "uôi", "uya", "uyê", "uyu", "ươi", "ươu")
)

// packedBits is a bitset over pack's 18-bit keys.
type packedBits [1 << 18 / 64]uint64

func packedSet(parts ...string) *packedBits {
	var set packedBits
	for _, p := range parts {
		var codes []uint8
		for _, r := range p {
			code, _ := codeOf(r)
			if code == 0 {
				panic("analyzer: not a letter code: " + p)
			}
			codes = append(codes, code)
		}
		key, ok := pack(codes)
		if !ok {
			panic("analyzer: cannot pack " + p)
		}
		set[key/64] |= 1 << (key % 64)
	}
	return &set
}

// Letter codes number the bare lowercase letters of Vietnamese syllables:
// 1–26 for a–z, then ă â ê ô ơ ư đ; 0 is any other letter.
var codeLetters = [...]rune{0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm',
	'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ'}

const (
	codeA, codeE, codeG, codeI, codeO, codeQ, codeU, codeY = 1, 5, 7, 9, 15, 17, 21, 25
	firstModified, lastModified                            = 27, 32 // ă … ư
	codeD                                                  = 33     // đ
)

// codeOf returns the code of lowercase letter r without its tone, and the
// tone; code 0 means r is no letter of a Vietnamese syllable.
func codeOf(r rune) (uint8, tone) {
	if r >= 'a' && r <= 'z' {
		return uint8(r-'a') + 1, toneNone
	}
	if l := lookup(r); l != nil {
		return l.code, l.tone
	}
	return 0, toneNone
}

func isVowelCode(c uint8) bool {
	switch c {
	case codeA, codeE, codeI, codeO, codeU, codeY:
		return true
	}
	return c >= firstModified && c <= lastModified
}

// pack encodes up to three letter codes into one integer, six bits each.
func pack(codes []uint8) (key uint32, ok bool) {
	if len(codes) > 3 {
		return 0, false
	}
	for _, c := range codes {
		key = key<<6 | uint32(c)
	}
	return key, true
}

func inSet(set *packedBits, codes []uint8) bool {
	key, ok := pack(codes)
	return ok && set[key/64]&(1<<(key%64)) != 0
}

// maxSyllable is the longest syllable in letters (nghiêng has 7).
const maxSyllable = 8

// placeTone moves the tone mark of one lowercase syllable to its canonical
// vowel, in place. It reports whether s parsed as a Vietnamese syllable
// with exactly one tone mark.
func placeTone(s []rune) bool {
	n := len(s)
	if n == 0 || n > maxSyllable {
		return false
	}
	var codes [maxSyllable]uint8
	marked, t := -1, toneNone
	for i, r := range s {
		code, rt := codeOf(r)
		if code == 0 {
			return false
		}
		codes[i] = code
		if rt != toneNone {
			if marked >= 0 {
				return false // two tone marks: not a syllable
			}
			marked, t = i, rt
		}
	}
	if marked < 0 {
		return false
	}

	// Onset: the leading consonants, extended over the u of qu and the i
	// of gi when another vowel follows.
	on := 0
	for on < n && !isVowelCode(codes[on]) {
		on++
	}
	if on == 1 && n > 2 && isVowelCode(codes[2]) &&
		(codes[0] == codeQ && codes[1] == codeU || codes[0] == codeG && codes[1] == codeI) {
		on = 2
	} else if !inSet(onsets, codes[:on]) {
		return false
	}
	end := on
	for end < n && isVowelCode(codes[end]) {
		end++
	}
	if end == on || !inSet(nuclei, codes[on:end]) || !inSet(codas, codes[end:n]) {
		return false
	}

	target := -1
	for i := end - 1; i >= on; i-- {
		if codes[i] >= firstModified && codes[i] <= lastModified {
			target = i
			break
		}
	}
	if target < 0 {
		switch size := end - on; {
		case end < n, size == 1:
			target = end - 1
		default:
			target = end - 2
		}
	}
	if target != marked {
		s[marked] = compose(codeLetters[codes[marked]], toneNone)
		s[target] = compose(codeLetters[codes[target]], t)
	}
	return true
}

func compose(bare rune, t tone) rune {
	return composeTable[bareVowelIndex(bare)][t]
}
