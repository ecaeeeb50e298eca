package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// syllables are the words of the synthetic corpus.
var syllables = strings.Fields(`công an tỉnh bắt giữ đối tượng ma túy giá xăng giảm mạnh hà nội mưa lớn
trường học sinh viên kinh tế phát triển bộ y bệnh viện người dân thành phố hồ chí minh quốc hội
chính phủ thủ tướng bóng đá đội tuyển việt nam đường sắt cao tốc nông nghiệp xuất khẩu gạo
ngân hàng lãi suất thị trường chứng khoán điện lực nhà máy biển đảo du lịch văn hóa lễ hội`)

type synthArticle struct {
	ID      string `json:"id"`
	Source  string `json:"source"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
}

// synthText is n words as sentences of 8 to 20 words.
func synthText(r *rand.Rand, words int) string {
	var sb strings.Builder
	for w := 0; w < words; {
		n := min(8+r.IntN(13), words-w)
		for i := range n {
			s := syllables[r.IntN(len(syllables))]
			if i == 0 {
				rs := []rune(s)
				rs[0] = unicode.ToUpper(rs[0])
				s = string(rs)
				if sb.Len() > 0 {
					sb.WriteByte(' ')
				}
			} else {
				sb.WriteByte(' ')
			}
			sb.WriteString(s)
		}
		sb.WriteByte('.')
		w += n
	}
	return sb.String()
}

// writeSynthCorpus writes n made-up articles to dir/synth.jsonl, each with
// a body on one line (as baomoi's are) long enough to make several
// passages, and returns its path and the articles.
func writeSynthCorpus(t testing.TB, dir string, n int) (string, []synthArticle) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	var sb strings.Builder
	var arts []synthArticle
	for i := range n {
		a := synthArticle{
			ID:      fmt.Sprintf("synth-%d", i),
			Source:  []string{"VOV.VN", "Báo Thử", "Tin Nhanh"}[i%3],
			Title:   strings.TrimSuffix(synthText(r, 5+r.IntN(8)), "."),
			Summary: synthText(r, 20+r.IntN(20)),
			Body:    synthText(r, 100+r.IntN(500)),
		}
		arts = append(arts, a)
		line, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		sb.Write(line)
		sb.WriteByte('\n')
	}
	path := filepath.Join(dir, "synth.jsonl")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, arts
}
