package corpus

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestSkip(t *testing.T) {
	canceled := context.Canceled
	seq := func(yield func(Article, error) bool) {
		_ = yield(Article{ID: "a"}, nil) &&
			yield(Article{}, &Problem{Path: "x.jsonl", Line: 2, Err: ErrMalformed}) &&
			yield(Article{ID: "b"}, nil) &&
			yield(Article{}, canceled) &&
			yield(Article{ID: "never"}, nil)
	}
	var problems []string
	articles, err := Skip(seq, func(p *Problem) { problems = append(problems, p.Error()) })
	var ids []string
	for a := range articles {
		ids = append(ids, a.ID)
	}
	if !slices.Equal(ids, []string{"a", "b"}) {
		t.Errorf("articles %q, want a and b, none after the error", ids)
	}
	if !slices.Equal(problems, []string{"x.jsonl:2: malformed JSON"}) {
		t.Errorf("problems %q", problems)
	}
	if !errors.Is(err(), canceled) {
		t.Errorf("err() = %v, want the context's error", err())
	}

	// Stopping early is no error, and a nil onProblem is allowed.
	articles, err = Skip(seq, nil)
	for range articles {
		break
	}
	if err() != nil {
		t.Errorf("err() = %v after the consumer stopped", err())
	}
}
