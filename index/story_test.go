package index

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// storyBody is a news report long enough for its shingles to say
// something; storyOther is another report on the same subject (drugs
// seized) that is not the same story.
var (
	storyBody = []string{
		"Ngày 16/6, Công an tỉnh Thanh Hóa cho biết Phòng Cảnh sát điều tra tội phạm về ma túy vừa bắt quả tang một đối tượng vận chuyển 1.200 viên ma túy tổng hợp trên quốc lộ 1A, đoạn qua huyện Tĩnh Gia.",
		"Đối tượng là Lê Văn Hùng, 34 tuổi, trú tại huyện Quan Hóa. Khi bị phát hiện, Hùng đã chống trả quyết liệt, dùng dao tấn công lực lượng làm nhiệm vụ nhưng nhanh chóng bị khống chế.",
		"Khám xét phương tiện, lực lượng chức năng thu giữ 1.200 viên ma túy tổng hợp được giấu trong thùng xe, cùng hai điện thoại di động và 15 triệu đồng tiền mặt.",
		"Bước đầu, Hùng khai nhận mua số ma túy trên của một người đàn ông ở biên giới để mang về bán kiếm lời. Vụ việc đang được tiếp tục điều tra, mở rộng.",
	}
	storyOther = []string{
		"Bộ đội Biên phòng tỉnh Sơn La vừa phá thành công chuyên án ma túy lớn, bắt giữ ba đối tượng người địa phương, thu giữ 10 bánh heroin và 3.000 viên ma túy tổng hợp.",
		"Theo hồ sơ, nhóm đối tượng đã nhiều lần vận chuyển ma túy từ Lào về Việt Nam qua đường mòn, lợi dụng địa hình rừng núi hiểm trở để tránh sự kiểm tra của lực lượng chức năng.",
		"Chuyên án được xác lập từ đầu năm, với sự phối hợp của Công an tỉnh và Cục Phòng chống ma túy và tội phạm, Bộ Tư lệnh Bộ đội Biên phòng.",
	}
)

// storyCopies are the same story as storyBody, written again: a re-post
// with another title, one with a sentence changed and one added, one
// typed without diacritics and decomposed (NFD).
func storyCopies() []corpus.Article {
	orig := corpus.Article{ID: "orig", Title: "Bắt đối tượng vận chuyển 1.200 viên ma túy tổng hợp", Source: "Báo A", Paragraphs: storyBody}
	repost := orig
	repost.ID, repost.Source, repost.Title = "repost", "Báo B", "Thanh Hóa: Đối tượng vận chuyển ma túy chống trả công an quyết liệt"
	edited := orig
	edited.ID, edited.Source = "edited", "Báo C"
	edited.Paragraphs = slices.Clone(storyBody)
	edited.Paragraphs[1] = "Đối tượng là Lê Văn Hùng, 34 tuổi, trú tại huyện Quan Hóa, tỉnh Thanh Hóa. Khi bị phát hiện, Hùng đã chống trả quyết liệt nhưng nhanh chóng bị khống chế."
	edited.Paragraphs = append(edited.Paragraphs, "Công an khuyến cáo người dân kịp thời tố giác các hành vi mua bán, vận chuyển trái phép chất ma túy.")
	plain := orig
	plain.ID, plain.Source, plain.Title = "plain", "Báo D", analyzer.Fold(orig.Title)
	plain.Paragraphs = nil
	for _, p := range storyBody {
		plain.Paragraphs = append(plain.Paragraphs, norm.NFD.String(analyzer.Fold(p)))
	}
	return []corpus.Article{orig, repost, edited, plain}
}

func signatureOf(a corpus.Article) []byte {
	d := analyzeArticle(&a)
	return storySignature(&d.layout)
}

func TestStorySimilarity(t *testing.T) {
	copies := storyCopies()
	orig := signatureOf(copies[0])
	for _, c := range copies[1:] {
		if sim := storySimilarity(orig, signatureOf(c)); sim < StoryThreshold {
			t.Errorf("%s: similarity %.3f to the original, below the threshold %.2f", c.ID, sim, StoryThreshold)
		}
	}
	other := corpus.Article{ID: "other", Title: "Phá chuyên án ma túy lớn ở Sơn La", Paragraphs: storyOther}
	if sim := storySimilarity(orig, signatureOf(other)); sim >= 0.2 {
		t.Errorf("another drugs story: similarity %.3f to the original, want well below the threshold", sim)
	}
	if got := signatureOf(corpus.Article{ID: "short", Title: "Tin"}); got != nil {
		t.Errorf("an article of one syllable has a signature %x", got)
	}
	if sim := storySimilarity(nil, orig); sim != 0 {
		t.Errorf("a missing signature is %.3f similar", sim)
	}
}

// TestSearchStories groups near copies under the best of them, keeps
// other stories apart, pages over groups, and counts facets and totals
// over every article.
func TestSearchStories(t *testing.T) {
	ctx := context.Background()
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	articles := storyCopies()
	articles = append(articles, corpus.Article{ID: "other", Title: "Phá chuyên án ma túy lớn ở Sơn La", Source: "Báo A", Paragraphs: storyOther})
	for i, text := range []string{
		"Học sinh trường trung học cơ sở được tuyên truyền về tác hại của ma túy trong buổi chào cờ sáng thứ Hai.",
		"Tòa án nhân dân tỉnh Nghệ An mở phiên xét xử lưu động vụ án mua bán ma túy, tuyên phạt bị cáo tù chung thân.",
		"Hội thảo quốc tế về cai nghiện ma túy dựa vào cộng đồng diễn ra tại Đà Nẵng với hơn hai trăm đại biểu.",
		"Hải quan sân bay Tân Sơn Nhất phát hiện hành khách giấu ma túy trong vali hai đáy khi nhập cảnh.",
		"Chương trình nghệ thuật hưởng ứng tháng hành động phòng chống ma túy thu hút đông đảo thanh niên.",
		"Xã vùng cao ký cam kết không trồng cây thuốc phiện, chuyển sang trồng chè và nuôi ong lấy mật, tránh xa ma túy.",
	} {
		articles = append(articles, corpus.Article{ID: fmt.Sprintf("filler%d", i), Source: "Báo E",
			Title: fmt.Sprintf("Tin ma túy số %d", i), Paragraphs: []string{text}})
	}
	addArticles(t, ix, articles...)

	res, err := ix.Search(ctx, Request{Query: "ma túy", Size: 20, Group: GroupStory, Facets: []string{"source"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != uint64(len(articles)) {
		t.Errorf("total %d, want every article: %d", res.Total, len(articles))
	}
	var story *Story
	seen := map[string]bool{}
	for _, h := range res.Hits {
		if h.Story == nil {
			t.Fatalf("hit %s has no story", h.ID)
		}
		ids := []string{h.ID}
		for _, o := range h.Story.Others {
			ids = append(ids, o.ID)
		}
		if h.Story.Size != len(ids) || h.Story.ID != h.ID {
			t.Errorf("hit %s: story %+v, holding %v", h.ID, h.Story, ids)
		}
		for _, id := range ids {
			if seen[id] {
				t.Errorf("%s is in two groups", id)
			}
			seen[id] = true
		}
		if slices.Contains(ids, "orig") {
			story = h.Story
			slices.Sort(ids)
			if want := []string{"edited", "orig", "plain", "repost"}; !slices.Equal(ids, want) {
				t.Errorf("the story holds %v, want %v", ids, want)
			}
		} else if len(ids) != 1 {
			t.Errorf("unrelated articles grouped: %v", ids)
		}
	}
	if story == nil || len(seen) != len(articles) {
		t.Fatalf("groups hold %d articles of %d; story %v", len(seen), len(articles), story)
	}
	if len(res.Hits) != len(articles)-3 {
		t.Errorf("%d groups, want %d", len(res.Hits), len(articles)-3)
	}
	if n := res.Facets["source"]; len(n) == 0 || n[0].Value != "báo e" || n[0].Count != 6 {
		t.Errorf("facets count articles, not groups: %v", n)
	}

	// Pages of groups follow on from one another.
	var paged []string
	for from := 0; ; from += 3 {
		page, err := ix.Search(ctx, Request{Query: "ma túy", From: from, Size: 3, Group: GroupStory})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Hits) == 0 {
			break
		}
		for _, h := range page.Hits {
			paged = append(paged, h.ID)
		}
	}
	var whole []string
	for _, h := range res.Hits {
		whole = append(whole, h.ID)
	}
	if !slices.Equal(paged, whole) {
		t.Errorf("paged groups %v, want %v", paged, whole)
	}

	if _, err := ix.Search(ctx, Request{Query: "ma túy", Group: "topic"}); err == nil || !strings.Contains(err.Error(), "group") {
		t.Errorf("an unknown group: %v", err)
	}
}
