package analyzer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

func terms(tokens []Token) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.Term
	}
	return out
}

func join(tokens []Token) string { return strings.Join(terms(tokens), "|") }

func TestNormalizeSyllables(t *testing.T) {
	tests := []struct{ in, want string }{
		// The two tone-placement styles meet in the traditional one.
		{"hòa", "hòa"}, {"hoà", "hòa"},
		{"thúy", "thúy"}, {"thuý", "thúy"},
		{"tùy", "tùy"}, {"tuỳ", "tùy"},
		{"khỏe", "khỏe"}, {"khoẻ", "khỏe"},
		{"họa", "họa"}, {"hoạ", "họa"},
		{"lũy", "lũy"}, {"luỹ", "lũy"},
		// Misplaced marks from sloppy typing are repaired.
		{"qủa", "quả"}, {"lựơng", "lượng"}, {"nghịêm", "nghiệm"},
		{"gịa", "giạ"}, {"ngòai", "ngoài"}, {"ngoaì", "ngoài"}, {"tuôỉ", "tuổi"},
		{"hoàng", "hoàng"}, {"hòang", "hoàng"}, {"huỳnh", "huỳnh"}, {"hủynh", "huỷnh"},
		// Already canonical, including the qu and gi onsets.
		{"quý", "quý"}, {"giữ", "giữ"}, {"gìn", "gìn"}, {"già", "già"},
		{"quốc", "quốc"}, {"người", "người"}, {"rượu", "rượu"}, {"khuỷu", "khuỷu"},
		{"thuở", "thuở"}, {"chuyện", "chuyện"}, {"khuấy", "khuấy"},
		// NFD input and the Ð look-alike.
		{"Du\u031bo\u031b\u0300ng", "dường"}, {"ho\u0300a", "hòa"}, {"hoa\u0300", "hòa"},
		{"\u00d0à Nẵng", "đà nẵng"}, {"\u00f0ường", "đường"},
		// Case.
		{"ĐƯỜNG", "đường"}, {"Ươm", "ươm"}, {"TRÙNG KHÁNH", "trùng khánh"}, {"HOÀ", "hòa"},
		// Words that are not Vietnamese syllables keep their marks.
		{"café", "café"}, {"Zürich", "zürich"}, {"José", "josé"},
		{"covid-19", "covid-19"}, {"hoà-bình", "hòa-bình"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ma túy", "ma tuy"},
		{"Đắk Lắk", "Dak Lak"},
		{"đường", "duong"},
		{"ă â ê ô ơ ư Ă Â Ê Ô Ơ Ư", "a a e o o u A A E O O U"},
		{"à á ả ã ạ", "a a a a a"},
		{"ỳ ý ỷ ỹ ỵ", "y y y y y"},
		{"Du\u031bo\u031b\u0300ng", "Duong"}, // NFD: the marks drop out
		{"\u00d0à", "Da"},
		{"café Zürich", "cafe Zurich"},
		{"Москва 北京", "Москва 北京"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		name, in string
		folded   bool
		want     string
	}{
		{"punctuation separates", "Bộ Công an, Trung Quốc (ANTV) - ma túy...", false,
			"bộ|công|an|trung|quốc|antv|ma|túy"},
		{"folded", "Bộ Công an, Trung Quốc (ANTV) - ma túy...", true,
			"bo|cong|an|trung|quoc|antv|ma|tuy"},
		{"numbers with separators", "8.500.000 đồng, 21,2 triệu, tăng 20,4% so với", false,
			"8.500.000|đồng|21,2|triệu|tăng|20,4|so|với"},
		{"dates", "ngày 12/01/2026 và 16/9/2023.", false, "ngày|12/01/2026|và|16/9/2023"},
		{"times", "từ 7h30 đến 18:45", false, "từ|7h30|đến|18:45"},
		{"codes", "xổ số 6x36, Chuyên án 568P, sàn vàng 24Gold", false,
			"xổ|số|6x36|chuyên|án|568p|sàn|vàng|24gold"},
		{"email", "Email: news@antv.gov.vn.", false, "email|news@antv.gov.vn"},
		{"urls", "xem https://vov.vn/xa-hoi/a-123.vov, hoặc www.antv.gov.vn.", false,
			"xem|https://vov.vn/xa-hoi/a-123.vov|hoặc|www.antv.gov.vn"},
		{"hyphen compound", "dịch Covid-19", false, "dịch|covid-19|covid|19"},
		{"dot compound", "TP.HCM", false, "tp.hcm|tp|hcm"},
		{"compound of syllables", "biên giới Việt-Trung", true, "bien|gioi|viet-trung|viet|trung"},
		{"hyphen with spaces separates", "Việt Nam - Trung Quốc", false, "việt|nam|trung|quốc"},
		{"year range", "2016-2020", false, "2016-2020|2016|2020"},
		{"no stop words", "Mỹ số đó và the of", true, "my|so|do|va|the|of"},
		{"apostrophe compound", "O’Neil", false, "o'neil|o|neil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := join(Tokens(tt.in, tt.folded)); got != tt.want {
				t.Errorf("Tokens(%q, %v)\n got %s\nwant %s", tt.in, tt.folded, got, tt.want)
			}
		})
	}
}

func TestTokensKeepOffsetsIntoOriginal(t *testing.T) {
	// NFD text: the terms are composed but offsets still cut the original.
	in := "Tp. Du\u031bo\u031b\u0300ng TP.HCM"
	tokens := Tokens(in, false)
	want := []struct {
		term, text string
		pos        int
	}{
		{"tp", "Tp", 1},
		{"dường", "Du\u031bo\u031b\u0300ng", 2},
		{"tp.hcm", "TP.HCM", 3},
		{"tp", "TP", 4},
		{"hcm", "HCM", 5},
	}
	if len(tokens) != len(want) {
		t.Fatalf("got %d tokens %v, want %d", len(tokens), tokens, len(want))
	}
	for i, w := range want {
		tok := tokens[i]
		if tok.Term != w.term || in[tok.Start:tok.End] != w.text || tok.Position != w.pos {
			t.Errorf("token %d = %q at %d [%d:%d] %q, want %q at %d over %q",
				i, tok.Term, tok.Position, tok.Start, tok.End, in[tok.Start:tok.End], w.term, w.pos, w.text)
		}
	}
}

func TestSeedSentences(t *testing.T) {
	tests := []struct {
		in, exact, folded string
	}{
		{
			"(ANTV) - Nhận lời mời của Bộ Công an Trung Quốc, trong các ngày từ 12 đến 16/9/2023, Đoàn đại biểu cấp cao",
			"antv|nhận|lời|mời|của|bộ|công|an|trung|quốc|trong|các|ngày|từ|12|đến|16/9/2023|đoàn|đại|biểu|cấp|cao",
			"antv|nhan|loi|moi|cua|bo|cong|an|trung|quoc|trong|cac|ngay|tu|12|den|16/9/2023|doan|dai|bieu|cap|cao",
		},
		{
			"Việt Nam đón lượng khách quốc tế cao kỷ lục - đạt gần 21,2 triệu lượt, tăng 20,4% so với năm trước.",
			"việt|nam|đón|lượng|khách|quốc|tế|cao|kỷ|lục|đạt|gần|21,2|triệu|lượt|tăng|20,4|so|với|năm|trước",
			"viet|nam|don|luong|khach|quoc|te|cao|ky|luc|dat|gan|21,2|trieu|luot|tang|20,4|so|voi|nam|truoc",
		},
		{
			"vật tư y tế chống dịch Covid-19...",
			"vật|tư|y|tế|chống|dịch|covid-19|covid|19",
			"vat|tu|y|te|chong|dich|covid-19|covid|19",
		},
		{
			"cùng nhau duy trì môi trường hòa bình, ổn định",
			"cùng|nhau|duy|trì|môi|trường|hòa|bình|ổn|định",
			"cung|nhau|duy|tri|moi|truong|hoa|binh|on|dinh",
		},
		{
			"Hotline: 0692324026 • Email: news@antv.gov.vn",
			"hotline|0692324026|email|news@antv.gov.vn",
			"hotline|0692324026|email|news@antv.gov.vn",
		},
		{
			"Bí thư Đảng uỷ Chính phủ, Thủ tướng Phạm Minh Chính",
			"bí|thư|đảng|ủy|chính|phủ|thủ|tướng|phạm|minh|chính",
			"bi|thu|dang|uy|chinh|phu|thu|tuong|pham|minh|chinh",
		},
	}
	for _, tt := range tests {
		if got := join(Tokens(tt.in, false)); got != tt.exact {
			t.Errorf("exact %q\n got %s\nwant %s", tt.in, got, tt.exact)
		}
		if got := join(Tokens(tt.in, true)); got != tt.folded {
			t.Errorf("folded %q\n got %s\nwant %s", tt.in, got, tt.folded)
		}
	}
}

func TestBigrams(t *testing.T) {
	tests := []struct {
		in     string
		folded bool
		want   string
	}{
		{"Bộ Công an Trung Quốc", false, "bộ công|công an|an trung|trung quốc"},
		{"Bộ Công an Trung Quốc", true, "bo cong|cong an|an trung|trung quoc"},
		// Punctuation breaks adjacency; whitespace of any kind does not.
		{"ma, túy. Ma\n  TÚY", false, "ma túy"},
		{"phòng, chống tội phạm ma tuý", false, "chống tội|tội phạm|phạm ma|ma túy"},
		// A compound joins its parts; its whole form takes no part.
		{"dịch Covid-19 tăng", true, "dich covid|covid 19|19 tang"},
		{"một", false, ""},
	}
	for _, tt := range tests {
		if got := join(Bigrams(tt.in, tt.folded)); got != tt.want {
			t.Errorf("Bigrams(%q, %v)\n got %s\nwant %s", tt.in, tt.folded, got, tt.want)
		}
	}
	in := "xa  ma túy"
	bi := Bigrams(in, false)
	if len(bi) != 2 || in[bi[1].Start:bi[1].End] != "ma túy" || bi[0].Position != 1 || bi[1].Position != 2 {
		t.Errorf("Bigrams(%q) = %+v: want offsets spanning both syllables and positions 1, 2", in, bi)
	}
}

func TestLongRunsAreCut(t *testing.T) {
	in := strings.Repeat("ả", 1000) // 3 bytes a letter
	tokens := Tokens(in, false)
	if len(tokens) < 1000*3/MaxTokenBytes {
		t.Fatalf("got %d tokens, want the run cut into pieces of at most %d bytes", len(tokens), MaxTokenBytes)
	}
	for _, tok := range tokens {
		if tok.End-tok.Start > MaxTokenBytes {
			t.Errorf("token [%d:%d] longer than %d bytes", tok.Start, tok.End, MaxTokenBytes)
		}
	}
}

func TestRegisteredWithBleve(t *testing.T) {
	cache := registry.NewCache()
	for _, name := range []string{Name, FoldedName, BigramName, FoldedBigramName} {
		a, err := cache.AnalyzerNamed(name)
		if err != nil {
			t.Fatalf("analyzer %q: %v", name, err)
		}
		if len(a.Analyze([]byte("ma túy"))) == 0 {
			t.Errorf("analyzer %q found no tokens in %q", name, "ma túy")
		}
	}
	for _, name := range []string{NormalizeName, FoldName} {
		if _, err := cache.TokenFilterNamed(name); err != nil {
			t.Errorf("token filter %q: %v", name, err)
		}
	}
	if _, err := cache.TokenizerNamed(TokenizerName); err != nil {
		t.Errorf("tokenizer %q: %v", TokenizerName, err)
	}
}

// TestLetterTables checks the tables against Unicode for every vowel and
// tone, so that no precomposed letter is missing.
func TestLetterTables(t *testing.T) {
	for _, v := range bareVowels {
		for tn := toneNone; tn < numTones; tn++ {
			r := compose(v, tn)
			for _, c := range []rune{r, []rune(strings.ToUpper(string(r)))[0]} {
				l := lookup(c)
				if c >= 0x80 && l == nil {
					t.Errorf("%q (U+%04X) missing from tables", c, c)
					continue
				}
				code, gotTone := codeOf([]rune(strings.ToLower(string(c)))[0])
				if codeLetters[code] != v || gotTone != tn || !isVowelCode(code) {
					t.Errorf("codeOf(%q) = %d (%q), %d; want %q, %d", c, code, codeLetters[code], gotTone, v, tn)
				}
				nfd := norm.NFD.String(string(c))
				if Fold(nfd) != Fold(string(c)) || len(Fold(string(c))) != 1 {
					t.Errorf("Fold(%q) = %q, Fold(NFD) = %q: want one ASCII letter", c, Fold(string(c)), Fold(nfd))
				}
			}
		}
	}
}

func TestDecodeRuneAgreesWithUTF8(t *testing.T) {
	inputs := [][]byte{{}, {0x41}, {0xC3}, {0xC3, 0xA0}, {0xC3, 0x41}, {0xE1, 0xBA, 0xA1}, {0xE1, 0xBA},
		{0xE1, 0x41, 0x80}, {0xED, 0xA0, 0x80}, {0xE0, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, {0xF0, 0x9F, 0x98, 0x80}, {0x80}, {0xC0, 0x80}}
	for c0 := 0x80; c0 < 0x100; c0++ {
		for c1 := 0x70; c1 < 0xD0; c1 += 0x0F {
			inputs = append(inputs, []byte{byte(c0), byte(c1), 0xA5}, []byte{byte(c0), byte(c1)})
		}
	}
	for _, in := range inputs {
		r1, n1 := decodeRune(in)
		r2, n2 := utf8.DecodeRune(in)
		if r1 != r2 || n1 != n2 {
			t.Errorf("decodeRune(% x) = %U, %d; utf8.DecodeRune = %U, %d", in, r1, n1, r2, n2)
		}
	}
}

// TestSyllablesAgreeWithAnalyzers checks that the one-pass analysis gives
// exactly the registered analyzers' tokens and bigrams.
func TestSyllablesAgreeWithAnalyzers(t *testing.T) {
	texts := []string{
		"(ANTV) - Nhận lời mời của Bộ Công an Trung Quốc, từ 12 đến 16/9/2023, Đoàn đại biểu",
		"dịch Covid-19 tại TP.HCM, ma, túy. Ma\n túy; hoà bình Du\u031bo\u031b\u0300ng news@antv.gov.vn",
		"", "một", "a-b-c d",
	}
	for _, text := range texts {
		syl := Syllables(text)
		var exact, folded, bi, fbi []string
		var prev *Syllable
		for i := range syl {
			s := &syl[i]
			exact = append(exact, s.Exact)
			folded = append(folded, s.Folded)
			if s.Whole {
				continue
			}
			if s.Joined && prev != nil {
				bi = append(bi, prev.Exact+" "+s.Exact)
				fbi = append(fbi, prev.Folded+" "+s.Folded)
			}
			prev = s
		}
		for _, c := range []struct {
			name      string
			got, want []string
		}{
			{"exact", exact, terms(Tokens(text, false))},
			{"folded", folded, terms(Tokens(text, true))},
			{"bigrams", bi, terms(Bigrams(text, false))},
			{"folded bigrams", fbi, terms(Bigrams(text, true))},
		} {
			if strings.Join(c.got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s of %q:\nSyllables %q\nanalyzer  %q", c.name, text, c.got, c.want)
			}
		}
	}
}

func TestSpansAreSyllablesOffsets(t *testing.T) {
	for _, text := range []string{"", "Bộ Công an", "ma túy Covid-19, TP.HCM 12/3/2024 a@b.vn https://x.vn/a?b", "Du\u031bo\u031b\u0300ng  ,,  đi"} {
		syllables := Syllables(text)
		spans := Spans(text)
		if len(spans) != len(syllables) {
			t.Fatalf("%q: %d spans, %d syllables", text, len(spans), len(syllables))
		}
		for i, s := range syllables {
			if spans[i] != [2]int{s.Start, s.End} {
				t.Errorf("%q token %d: span %v, syllable at %d–%d", text, i, spans[i], s.Start, s.End)
			}
		}
	}
}

func TestEachTokenIsSyllables(t *testing.T) {
	text := "Ma TÚY hoà Covid-19, TP.HCM ngày 12/3/2024; Du\u031bo\u031b\u0300ng café"
	want := Syllables(text)
	var got []Syllable
	EachToken(text, func(v TokenView) {
		got = append(got, Syllable{Exact: string(v.Exact), Folded: string(v.Folded), Start: v.Start, End: v.End, Position: v.Position})
	})
	if len(got) != len(want) {
		t.Fatalf("%d tokens, Syllables gives %d", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		w.Whole, w.Joined = false, false
		if got[i] != w {
			t.Errorf("token %d: %+v, want %+v", i, got[i], w)
		}
	}
}
