// Package progress reports how far a long job has got: on a terminal, one
// line redrawn in place with a bar, the rate and the time left; elsewhere
// (a log, a pipe) a plain line every few seconds.
package progress

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Meter counts work done against an optional total and shows it.
type Meter struct {
	w        io.Writer
	tty      bool
	unit     string
	interval time.Duration
	start    time.Time

	mu    sync.Mutex // guards the fields below and every write to w
	done  int64
	total int64 // < 0 while unknown
	drawn bool  // a bar is on the terminal's current line

	stop     chan struct{}
	finished sync.WaitGroup
}

// How often a Meter shows itself.
const (
	TerminalInterval = 200 * time.Millisecond
	PlainInterval    = 5 * time.Second
)

// Start shows a meter on w, counting in unit ("articles"), until Stop. On
// a terminal (tty) it redraws a bar in place; otherwise it writes a line
// every interval.
func Start(w io.Writer, tty bool, unit string, interval time.Duration) *Meter {
	m := &Meter{
		w:        w,
		tty:      tty,
		unit:     unit,
		interval: interval,
		start:    time.Now(),
		total:    -1,
		stop:     make(chan struct{}),
	}
	m.finished.Go(m.loop)
	return m
}

func (m *Meter) loop() {
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
			m.mu.Lock()
			m.show()
			m.mu.Unlock()
		}
	}
}

// SetTotal tells how much work there is, when it becomes known.
func (m *Meter) SetTotal(n int64) {
	m.mu.Lock()
	m.total = n
	m.mu.Unlock()
}

// Set records how much work is done.
func (m *Meter) Set(done int64) {
	m.mu.Lock()
	m.done = done
	m.mu.Unlock()
}

// Println writes a line of its own (a warning, say) without garbling the
// bar, which is redrawn at the next tick.
func (m *Meter) Println(line string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
	fmt.Fprintln(m.w, line)
}

// Stop stops the meter and takes its bar off the terminal.
func (m *Meter) Stop() {
	close(m.stop)
	m.finished.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
}

// clear erases the bar; m.mu is held.
func (m *Meter) clear() {
	if m.drawn {
		io.WriteString(m.w, "\r\x1b[K")
		m.drawn = false
	}
}

// show draws the bar, or writes a plain line; m.mu is held.
func (m *Meter) show() {
	elapsed := time.Since(m.start)
	if m.tty {
		fmt.Fprintf(m.w, "\r\x1b[K%s", Bar(m.done, m.total, elapsed, m.unit))
		m.drawn = true
		return
	}
	fmt.Fprintln(m.w, Plain(m.done, m.total, elapsed, m.unit))
}

// barWidth is the bar's width in cells; the whole line fits 80 columns.
const barWidth = 24

// Bar renders the terminal line: a bar when the total is known, the count,
// the rate and the time left.
func Bar(done, total int64, elapsed time.Duration, unit string) string {
	var b strings.Builder
	if total > 0 {
		filled := int(min(done, total) * barWidth / total)
		b.WriteString("[")
		b.WriteString(strings.Repeat("=", filled))
		if filled < barWidth {
			b.WriteString(">")
			b.WriteString(strings.Repeat(" ", barWidth-filled-1))
		}
		b.WriteString("] ")
		fmt.Fprintf(&b, "%s/%s %s", Count(done), Count(max(total, done)), unit)
	} else {
		fmt.Fprintf(&b, "%s %s", Count(done), unit)
	}
	if rate, ok := rate(done, elapsed); ok {
		fmt.Fprintf(&b, "  %s/s", Count(int64(rate)))
		if left, ok := eta(done, total, rate); ok {
			fmt.Fprintf(&b, "  ETA %s", Clock(left))
		}
	}
	return b.String()
}

// Plain renders the line written when not on a terminal.
func Plain(done, total int64, elapsed time.Duration, unit string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", Count(done))
	if total > 0 {
		fmt.Fprintf(&b, " of %s", Count(max(total, done)))
	}
	fmt.Fprintf(&b, " %s after %s", unit, Clock(elapsed))
	if r, ok := rate(done, elapsed); ok {
		fmt.Fprintf(&b, " (%s/s", Count(int64(r)))
		if left, ok := eta(done, total, r); ok {
			fmt.Fprintf(&b, ", about %s left", Clock(left))
		}
		b.WriteString(")")
	}
	return b.String()
}

func rate(done int64, elapsed time.Duration) (float64, bool) {
	if done <= 0 || elapsed <= 0 {
		return 0, false
	}
	return float64(done) / elapsed.Seconds(), true
}

func eta(done, total int64, rate float64) (time.Duration, bool) {
	if total <= 0 || done >= total || rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(total-done) / rate * float64(time.Second)), true
}

// Clock formats a duration as m:ss, or h:mm:ss past an hour.
func Clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Count formats n with thousands separators: 1,234,567.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
