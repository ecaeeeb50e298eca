package corpus

import (
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	tests := []struct {
		id   string
		says string // "" when the ID is good
	}{
		{"vov-123", ""},
		{"url-0123456789abcdef", ""},
		{"Bài viết số 5 (bản sửa)", ""},
		{"a.b:c?d#e%20", ""},
		{strings.Repeat("x", MaxIDBytes), ""},
		{"", "empty"},
		{strings.Repeat("x", MaxIDBytes+1), "513 bytes"},
		{"a/b", "/"},
		{"/", "/"},
		{"a\x00b", "U+0000"},
		{"tab\there", "U+0009"},
		{"line\nbreak", "U+000A"},
		{"del\x7f", "U+007F"},
		{"c1\u0085", "U+0085"},
		{"bad\xffutf8", "UTF-8"},
	}
	for _, tt := range tests {
		err := CheckID(tt.id)
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("CheckID(%q) = %v, want nil", tt.id, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("CheckID(%q) = %v, want an error naming %q", tt.id, err, tt.says)
		}
	}
}
