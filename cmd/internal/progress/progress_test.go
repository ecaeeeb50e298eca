package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	tests := []struct {
		done, total int64
		elapsed     time.Duration
		want        string
	}{
		{0, -1, 0, "0 articles"},
		{1500, -1, 3 * time.Second, "1,500 articles  500/s"},
		{250, 1000, 5 * time.Second, "[======>                 ] 250/1,000 articles  50/s  ETA 0:15"},
		{1000, 1000, 10 * time.Second, "[========================] 1,000/1,000 articles  100/s"},
		// An estimate too low: the count wins and there is no ETA.
		{1200, 1000, 10 * time.Second, "[========================] 1,200/1,200 articles  120/s"},
	}
	for _, tt := range tests {
		if got := Bar(tt.done, tt.total, tt.elapsed, "articles"); got != tt.want {
			t.Errorf("Bar(%d, %d, %s) = %q, want %q", tt.done, tt.total, tt.elapsed, got, tt.want)
		}
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		done, total int64
		elapsed     time.Duration
		want        string
	}{
		{0, -1, time.Second, "0 articles after 0:01"},
		{12000, -1, 4 * time.Second, "12,000 articles after 0:04 (3,000/s)"},
		{3000, 30000, 10 * time.Second, "3,000 of 30,000 articles after 0:10 (300/s, about 1:30 left)"},
	}
	for _, tt := range tests {
		if got := Plain(tt.done, tt.total, tt.elapsed, "articles"); got != tt.want {
			t.Errorf("Plain(%d, %d, %s) = %q, want %q", tt.done, tt.total, tt.elapsed, got, tt.want)
		}
	}
}

func TestCountAndClock(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0:00", 59 * time.Second: "0:59", 61 * time.Second: "1:01", 3723 * time.Second: "1:02:03"} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%s) = %q, want %q", d, got, want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the meter's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMeterPlainLines(t *testing.T) {
	var out syncBuffer
	m := Start(&out, false, "articles", 5*time.Millisecond)
	m.SetTotal(100)
	m.Set(40)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "40 of 100 articles") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	m.Println("a.jsonl:3: malformed JSON")
	m.Stop()
	got := out.String()
	if !strings.Contains(got, "40 of 100 articles") || !strings.Contains(got, "a.jsonl:3: malformed JSON\n") {
		t.Errorf("output %q lacks the progress line or the message", got)
	}
	if strings.Contains(got, "\r") || strings.Contains(got, "\x1b") {
		t.Errorf("plain output %q holds terminal controls", got)
	}
}

func TestMeterTerminal(t *testing.T) {
	var out syncBuffer
	m := Start(&out, true, "articles", 5*time.Millisecond)
	m.Set(7)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "7 articles") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	m.Println("problem")
	m.Stop()
	got := out.String()
	if !strings.Contains(got, "\r\x1b[K7 articles") {
		t.Errorf("output %q: want the bar drawn in place", got)
	}
	// The message starts on a cleared line, and Stop leaves the line clear.
	if !strings.Contains(got, "\r\x1b[Kproblem\n") {
		t.Errorf("output %q: want the bar cleared before the message", got)
	}
	if i, j := strings.LastIndex(got, "\r\x1b[K"), strings.LastIndex(got, "articles"); j > i {
		t.Errorf("output %q: Stop left the bar on the terminal", got)
	}
}
