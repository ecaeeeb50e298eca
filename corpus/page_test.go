package corpus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// pageWant describes what a parsed page must look like. Empty fields are
// not checked, except where noted.
type pageWant struct {
	title      string // exact; "-" means must be empty
	source     string
	byline     string // exact; "-" means must be empty
	published  string // Date.String()
	firstStart string // first paragraph starts with
	lastStart  string // last paragraph starts with
	lastExact  string
	absent     []string // no paragraph (nor title, byline) contains these
	notPara    []string // no paragraph equals these
}

func checkPage(t *testing.T, page []byte, a Article, w pageWant) {
	t.Helper()
	exact := func(field, got, want string) {
		t.Helper()
		switch want {
		case "":
		case "-":
			if got != "" {
				t.Errorf("%s = %q, want empty", field, got)
			}
		default:
			if got != want {
				t.Errorf("%s = %q, want %q", field, got, want)
			}
		}
	}
	exact("Title", a.Title, w.title)
	exact("Source", a.Source, w.source)
	exact("Byline", a.Byline, w.byline)
	if w.published != "" && a.Published.String() != w.published {
		t.Errorf("Published = %q, want %q", a.Published, w.published)
	}
	if len(a.Paragraphs) == 0 {
		t.Fatal("no paragraphs")
	}
	first, last := a.Paragraphs[0], a.Paragraphs[len(a.Paragraphs)-1]
	if w.firstStart != "" && !strings.HasPrefix(first, w.firstStart) {
		t.Errorf("first paragraph = %.80q…, want it to start with %q", first, w.firstStart)
	}
	if w.lastStart != "" && !strings.HasPrefix(last, w.lastStart) {
		t.Errorf("last paragraph = %.80q…, want it to start with %q", last, w.lastStart)
	}
	if w.lastExact != "" && last != w.lastExact {
		t.Errorf("last paragraph = %q, want %q", last, w.lastExact)
	}
	for _, p := range append([]string{a.Title, a.Byline}, a.Paragraphs...) {
		for _, bad := range w.absent {
			if strings.Contains(p, bad) {
				t.Errorf("text contains %q: %.100q", bad, p)
			}
		}
	}
	for _, p := range a.Paragraphs {
		if strings.HasPrefix(p, "date") {
			t.Errorf("paragraph starts with a date marker: %.60q", p)
		}
		for _, bad := range w.notPara {
			if p == bad {
				t.Errorf("%q is a paragraph", bad)
			}
		}
	}
	checkInvariants(t, page, a)
}

// checkInvariants holds for every parsed page: text is never invented,
// passages are bounded, and the derived fields are filled.
func checkInvariants(t *testing.T, page []byte, a Article) {
	t.Helper()
	src := string(page)
	for _, s := range append([]string{a.Title, a.Byline, a.Source}, a.Paragraphs...) {
		if !strings.Contains(src, s) {
			t.Errorf("%.80q is not a substring of the page", s)
		}
	}
	for _, p := range a.Paragraphs {
		if p == "" || p != strings.TrimSpace(p) {
			t.Errorf("paragraph %q is empty or untrimmed", p)
		}
		if n := utf8.RuneCountInString(p); n > MaxPassage {
			t.Errorf("paragraph of %d characters exceeds MaxPassage", n)
		}
	}
	if a.ID == "" || a.Hash != a.ContentHash() {
		t.Errorf("ID %q / Hash %q not filled", a.ID, a.Hash)
	}
}

var seedWants = map[string]pageWant{
	"000": {
		title:      "Việt Nam – Trung Quốc đẩy mạnh hợp tác phòng, chống tội phạm",
		source:     "ANTV",
		firstStart: "(ANTV) - Nhận lời mời của Bộ Công an Trung Quốc",
		lastExact:  "Bộ trưởng Tô Lâm và đoàn cũng đã tới thăm Đại sứ quán Việt Nam tại Trung Quốc.",
		absent:     []string{"Hotline", "Du lịch Việt Nam tiếp tục", "Đắk Lắk", "Email", "GMT+7", "Tin Cậy"},
		notPara:    []string{"Sự kiện", "Chính trị", "ANTV"},
	},
	"001": {
		title:      "Việt Nam - Trung Quốc hợp tác phòng, chống tội phạm",
		source:     "VOV.VN",
		firstStart: "VOV.VN -\u00a0Chiều 27/10, tại Bắc Kinh", // as scraped: NBSP
		lastStart:  "Trước đó, Bộ trưởng Trần Đại Quang",
		absent:     []string{"Mời quý độc giả", "24Gold", "Haivl", "Tin liên quan"},
		// Photo captions.
		notPara: []string{
			"Bộ trưởng Trần Đại Quang và Bộ trưởng Quách Thanh Côn.",
			"Bộ trưởng Trần Đại Quang và Bộ trưởng Quách Thanh Côn chủ trì Hội nghị",
		},
	},
	"002": {
		title:      "-",
		published:  "2023-09",
		firstStart: "Trong chuyến thăm chính thức Trung Quốc",
		lastStart:  "Kết thúc Hội nghị, Bộ trưởng Tô Lâm",
	},
	"003": {
		title:     "Bộ Công an Việt Nam và Trung Quốc hội đàm cấp cao",
		source:    "VOV.VN",
		lastStart: "Kết thúc hội nghị, hai Bộ trưởng đã ký kết",
		absent:    []string{"Campuchia", "Hàn Quốc", "Hoa Kỳ", "Mời quý độc giả"},
		notPara: []string{
			"Bộ Công an hai nước tiến hành hội đàm cấp cao",
			"Bộ trưởng Công an hai nước ký kết Bản ghi nhớ kết quả hội nghị",
		},
	},
	"004": {
		title:      "Tăng cường hợp tác quốc tế trong phòng, chống tội phạm",
		source:     "ANTV",
		byline:     "BT",
		firstStart: "(ANTV) - Thời gian qua",
		lastStart:  "Thông qua hợp tác quốc tế",
		absent:     []string{"Cuba", "Venezuela", "Philippines", "Hotline", "Lâm Đồng"},
		notPara:    []string{"BT"},
	},
}

// TestSeeds is the acceptance test: the five seed pages as scraped.
func TestSeeds(t *testing.T) {
	pages := seedPages(t)
	for _, p := range pages {
		key := strings.TrimPrefix(p.name, "seeds/")[:3]
		w, ok := seedWants[key]
		if !ok {
			t.Fatalf("no expectations for %s", p.name)
		}
		t.Run(key, func(t *testing.T) {
			a, err := ParsePage(p.data, p.name)
			if err != nil {
				t.Fatal(err)
			}
			if a.Origin != p.name {
				t.Errorf("Origin = %q, want %q", a.Origin, p.name)
			}
			checkPage(t, p.data, a, w)
		})
	}
}

func TestSeedsIterator(t *testing.T) {
	var got []Article
	for a, err := range Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if len(got) != 5 {
		t.Fatalf("Seeds yielded %d articles, want 5", len(got))
	}
	ids := map[string]bool{}
	for i, a := range got {
		if !strings.HasPrefix(a.Origin, "seeds/") || !strings.HasSuffix(a.Origin, ".txt") {
			t.Errorf("Origin = %q", a.Origin)
		}
		if i > 0 && a.Origin <= got[i-1].Origin {
			t.Errorf("seeds out of order: %q after %q", a.Origin, got[i-1].Origin)
		}
		if !strings.HasPrefix(a.ID, "txt-") || ids[a.ID] {
			t.Errorf("ID %q not a fresh text-derived ID", a.ID)
		}
		ids[a.ID] = true
	}
	// Reading again yields the same IDs and hashes.
	i := 0
	for a, err := range Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != got[i].ID || a.Hash != got[i].Hash {
			t.Errorf("%s: re-read gives ID %s hash %s, first read %s %s", a.Origin, a.ID, a.Hash, got[i].ID, got[i].Hash)
		}
		i++
	}
}

// Synthetic pages of the seed outlets' shapes, with invented text: the
// rules must hold for pages other than the seeds.

const syntheticANTV = `Chủ Nhật, 05/04/2026 09:15 GMT+7
  • ANTV
  • Hotline: 0123 456 789
  • Email: toasoan@vidu.vn

Nhân Văn - Tin Cậy - Kịp Thời - Hấp dẫn

Sự kiện

Xã hội

Triệt phá đường dây lừa đảo qua mạng tại ba tỉnh miền Tây

PV

(ANTV) - Ngày 4/4, Công an tỉnh Hậu Giang cho biết đã phối hợp với công an hai tỉnh lân cận triệt phá một đường dây lừa đảo chiếm đoạt tài sản qua mạng xã hội, bắt giữ 14 đối tượng.

Theo cơ quan điều tra, từ đầu năm 2025, các đối tượng lập nhiều tài khoản giả danh nhân viên ngân hàng, dụ dỗ người dân cung cấp mã OTP rồi chiếm đoạt hơn 8.500.000.000 đồng.

Lực lượng chức năng tại hiện trường

Tại cơ quan công an, các đối tượng đã khai nhận toàn bộ hành vi phạm tội. Vụ án đang được tiếp tục mở rộng điều tra.

Công an khuyến cáo người dân không cung cấp thông tin cá nhân, mã xác thực cho bất kỳ ai qua điện thoại.

Tin cùng chuyên mục

Tin mới nhất

Khởi công cầu vượt sông Hậu nối hai tỉnh

Khởi công cầu vượt sông Hậu nối hai tỉnh

Kinh tế 04/04/2026

(ANTV) - Sáng 4/4, dự án cầu vượt sông Hậu chính thức được khởi công với tổng vốn đầu tư hơn 6.000 tỷ đồng.

Mưa lớn gây ngập sâu nhiều tuyến phố

Mưa lớn gây ngập sâu nhiều tuyến phố

Xã hội 04/04/2026

(ANTV) - Trận mưa kéo dài hơn hai giờ chiều qua khiến nhiều tuyến phố ngập sâu, giao thông ùn tắc.

Xem thêm
`

const syntheticVOV = `Hà Nội mở rộng mạng lưới xe buýt điện đến các huyện ngoại thành

VOV.VN - Từ tháng tới, thành phố sẽ đưa thêm 120 xe buýt điện vào khai thác trên 9 tuyến mới nối khu vực trung tâm với các huyện ngoại thành.

Theo Sở Xây dựng, các tuyến mới được thiết kế để giảm thời gian chờ xuống dưới 15 phút vào giờ cao điểm. Mỗi xe có sức chứa khoảng 60 hành khách.

` + "\u00a0Xe buýt điện chạy thử trên tuyến Cầu Giấy – Sóc Sơn.\u00a0" + `

Ông Trần Văn B. cho biết, giá vé sẽ giữ nguyên ở mức 7.000 đồng/lượt trong năm đầu tiên để khuyến khích người dân chuyển sang phương tiện công cộng.
Trạm sạc tại bến xe Mỹ Đình
Thành phố cũng sẽ xây thêm 30 trạm sạc nhanh tại các điểm đầu cuối, dự kiến hoàn thành trước cuối năm nay./.

Minh Anh/VOV.VN
Mời quý độc giả theo dõi VOV.VN trên

Tin liên quan

Giá xăng giảm nhẹ từ chiều nay
Giá xăng giảm nhẹ từ chiều nay

VOV.VN - Liên bộ Công Thương - Tài chính vừa điều chỉnh giá bán lẻ xăng dầu theo chu kỳ.
`

func TestSyntheticPages(t *testing.T) {
	antv := pageWant{
		title:      "Triệt phá đường dây lừa đảo qua mạng tại ba tỉnh miền Tây",
		source:     "ANTV",
		byline:     "PV",
		firstStart: "(ANTV) - Ngày 4/4, Công an tỉnh Hậu Giang",
		lastStart:  "Công an khuyến cáo người dân",
		absent:     []string{"Hotline", "Khởi công", "Mưa lớn", "toasoan", "Tin Cậy", "05/04/2026"},
		notPara:    []string{"Sự kiện", "Xã hội", "PV", "Lực lượng chức năng tại hiện trường"},
	}
	vov := pageWant{
		title:      "Hà Nội mở rộng mạng lưới xe buýt điện đến các huyện ngoại thành",
		source:     "VOV.VN",
		byline:     "Minh Anh/VOV.VN",
		firstStart: "VOV.VN - Từ tháng tới",
		lastStart:  "Thành phố cũng sẽ xây thêm 30 trạm sạc",
		absent:     []string{"Giá xăng", "Mời quý độc giả", "Tin liên quan"},
		notPara: []string{
			"Xe buýt điện chạy thử trên tuyến Cầu Giấy – Sóc Sơn.",
			"Trạm sạc tại bến xe Mỹ Đình",
		},
	}
	// The same ANTV page without its "(ANTV) -" lead marker: the outlet
	// comes from the header bullet and the headline from the page shape.
	noMarker := strings.Replace(syntheticANTV, "(ANTV) - Ngày 4/4", "Ngày 4/4", 1)
	noMarkerWant := antv
	noMarkerWant.firstStart = "Ngày 4/4, Công an tỉnh Hậu Giang"
	// Related headlines without a heading: the repeated headline ends the
	// article.
	noHeading := strings.Replace(syntheticANTV, "Tin cùng chuyên mục\n\nTin mới nhất\n\n", "", 1)

	tests := []struct {
		name string
		page string
		want pageWant
	}{
		{"antv", syntheticANTV, antv},
		{"vov", syntheticVOV, vov},
		{"antv-crlf", strings.ReplaceAll(syntheticANTV, "\n", "\r\n"), antv},
		{"vov-nfd", norm.NFD.String(syntheticVOV), pageWant{
			title:     norm.NFD.String(vov.title),
			source:    "VOV.VN",
			lastStart: norm.NFD.String(vov.lastStart),
			absent:    []string{norm.NFD.String("Giá xăng"), norm.NFD.String("Mời quý")},
		}},
		{"antv-no-marker", noMarker, noMarkerWant},
		{"antv-no-heading", noHeading, antv},
		// A related list whose items are single punctuated teasers: only
		// the heading tells them from the article.
		{"related-teasers", "Giá điện tăng từ tháng sau theo quyết định mới của bộ\n\n" +
			"(ANTV) - Bộ Công Thương vừa ban hành quyết định điều chỉnh giá bán lẻ điện bình quân, áp dụng từ ngày đầu tháng sau.\n\n" +
			"Theo quyết định, mức tăng được tính toán để bù đắp chi phí sản xuất và bảo đảm an sinh xã hội cho hộ nghèo.\n\n" +
			"Tin liên quan\n\n" +
			"Giá xăng giảm nhẹ từ chiều nay, người dân vui mừng vì chi phí đi lại được giảm bớt đáng kể.\n\n" +
			"Nhiều địa phương chủ động phương án cấp điện mùa nắng nóng để tránh quá tải lưới điện.\n", pageWant{
			title:     "Giá điện tăng từ tháng sau theo quyết định mới của bộ",
			source:    "ANTV",
			lastStart: "Theo quyết định, mức tăng",
			absent:    []string{"Giá xăng", "mùa nắng nóng"},
		}},
		// Without an outlet marker, a later paragraph opening with an
		// acronym and a dash is not taken for the lead.
		{"late-dash", "Hội nghị cấp cao khu vực bàn về an ninh biển Đông\n\n" +
			"Sáng nay, hội nghị cấp cao khu vực đã khai mạc tại Hà Nội với sự tham dự của lãnh đạo nhiều nước.\n\n" +
			"ASEAN - Trung Quốc cam kết tiếp tục thúc đẩy đàm phán bộ quy tắc ứng xử trên biển trong năm nay.\n", pageWant{
			title:      "Hội nghị cấp cao khu vực bàn về an ninh biển Đông",
			source:     "-",
			firstStart: "Sáng nay, hội nghị",
			lastStart:  "ASEAN - Trung Quốc",
		}},
		{"stated-date", "date 2024-02-29 Hôm nay, hội nghị tổng kết công tác năm đã diễn ra tại Hà Nội với sự tham dự của nhiều đại biểu.\n", pageWant{
			title: "-", published: "2024-02-29", firstStart: "Hôm nay, hội nghị",
		}},
		{"stated-date-line", "Tiêu đề bài báo thử nghiệm về thời tiết\n\ndate 2023-09\n\nTrời nắng nóng kéo dài ở nhiều tỉnh miền Bắc trong tuần qua, nhiệt độ cao nhất vượt 39 độ.\n", pageWant{
			title: "Tiêu đề bài báo thử nghiệm về thời tiết", published: "2023-09", firstStart: "Trời nắng",
		}},
		{"date-under-title", "Tiêu đề bài báo thử nghiệm về giao thông\n\nThứ Hai, 27/10/2014 19:51 GMT+7\n\nVOV.VN - Sáng nay, nhiều tuyến đường trong nội thành đã được phân luồng để phục vụ lễ hội đường phố.\n", pageWant{
			title: "Tiêu đề bài báo thử nghiệm về giao thông", source: "VOV.VN", published: "2014-10-27T19:51:00+07:00",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParsePage([]byte(tc.page), tc.name+".txt")
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, []byte(tc.page), a, tc.want)
		})
	}
}

func TestParsePageProblems(t *testing.T) {
	tests := []struct {
		name string
		page string
		want error
		line int
	}{
		{"empty", "", ErrEmpty, 0},
		{"blank", " \n\u00a0\n\t\n", ErrEmpty, 0},
		{"chrome only", "Thứ Hai, 12/01/2026 07:36 GMT+7\n  • ANTV\n  • Hotline: 0692324026\n\nSự kiện\n\nTin liên quan\n", ErrNoText, 0},
		{"invalid utf-8", "Dòng một ổn.\nDòng hai \xff hỏng.\n", ErrInvalidUTF8, 2},
		{"truncated rune", "Một câu.\n\nHai câu \xe1\xba", ErrInvalidUTF8, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParsePage([]byte(tc.page), "x.txt")
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var p *Problem
			if !errors.As(err, &p) || p.Path != "x.txt" || p.Line != tc.line {
				t.Errorf("problem = %#v, want path x.txt line %d", p, tc.line)
			}
			if a.ID != "" || len(a.Paragraphs) != 0 {
				t.Errorf("article returned with a problem: %+v", a)
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Path: "seeds/001.txt", Line: 12, Err: ErrNoText}, "seeds/001.txt:12: no article text"},
		{Problem{Path: "a.jsonl", Err: ErrEmpty}, "a.jsonl: empty input"},
		{Problem{Path: "request body", Line: 3, Err: errors.New("boom")}, "request body:3: boom"},
		{Problem{Line: 7, Err: ErrMalformed}, "<input>:7: malformed JSON"},
	}
	for _, tc := range tests {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(&tc.p, tc.p.Err) {
			t.Errorf("Unwrap does not reach %v", tc.p.Err)
		}
	}
}

// A page keeps its paragraphs whole however long; only a page that lost
// its paragraph breaks (its article is one line) is cut into passages.
func TestPageLongParagraphs(t *testing.T) {
	long := func(n int) string {
		var b strings.Builder
		for i := 0; utf8.RuneCountInString(b.String()) < n; i++ {
			fmt.Fprintf(&b, "Câu thứ %d kể về việc xây dựng cầu mới ở thành phố. ", i)
		}
		return strings.TrimSpace(b.String())
	}
	p1, p2 := "VOV.VN - "+long(1200), long(2000)
	head := "Hà Nội mở rộng mạng lưới xe buýt điện đến các huyện ngoại thành\n\n"

	a, err := ParsePage([]byte(head+p1+"\n\n"+p2+"\n"), "two.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Paragraphs) != 2 || a.Paragraphs[1] != p2 || !strings.HasSuffix(p1, a.Paragraphs[0]) {
		t.Errorf("two long paragraphs came back as %d", len(a.Paragraphs))
	}

	a, err = ParsePage([]byte(head+p1+" "+p2+"\n"), "one.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Paragraphs) < 4 {
		t.Errorf("a page of one %d-character line gave %d passages", utf8.RuneCountInString(p1+p2), len(a.Paragraphs))
	}
	for _, p := range a.Paragraphs {
		if utf8.RuneCountInString(p) > MaxPassage {
			t.Errorf("passage of %d characters", utf8.RuneCountInString(p))
		}
	}
}
