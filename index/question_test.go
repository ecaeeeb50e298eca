package index

import (
	"slices"
	"testing"
)

func TestQuestionWordsLeftOut(t *testing.T) {
	for _, tt := range []struct {
		query    string
		runs     []string
		question bool
	}{
		{"Cuộc cách mạng Pháp diễn ra ở đâu?", []string{"Cuộc cách mạng Pháp diễn ra  , ?"}, true},
		{"Ai là người đứng đầu đoàn đại biểu", []string{" ,  là người đứng đầu đoàn đại biểu"}, true},
		{"Hội nghị lần thứ 8 được tổ chức khi nào?", []string{"Hội nghị lần thứ 8 được tổ chức  , ?"}, true},
		{"bao nhieu nguoi chet?", []string{" ,  nguoi chet?"}, true},
		// Without "?", a plain "nao" may be "não": kept.
		{"chan thuong nao", []string{"chan thuong nao"}, false},
		{"ma túy", []string{"ma túy"}, false},
		// Nothing but question words: kept, so that something is searched.
		{"ai?", []string{"ai?"}, true},
	} {
		q, err := ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		runs, question := stripQuestion(q)
		if question != tt.question || !slices.Equal(runs, tt.runs) {
			t.Errorf("%q: %q, %v; want %q, %v", tt.query, runs, question, tt.runs, tt.question)
		}
	}
}

func TestClosenessIsBounded(t *testing.T) {
	for _, tt := range []struct {
		at   [][]int
		want float64
	}{
		{[][]int{{5}}, 0},
		{[][]int{{5}, {6}}, 1},
		{[][]int{{5}, {7}}, 0.5},
		{[][]int{{5}, {5}}, 1}, // two syllables folding to one token
		{[][]int{{1, 20}, {22}, {9, 21}}, 1},
	} {
		if got := closeness(tt.at); got != tt.want {
			t.Errorf("closeness(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}
