package typo

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"pasword_env", "password_env", 1}} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"password_env", "token_env", "url"}
	if got := Closest("pasword_env", known); got != "password_env" {
		t.Errorf("got %q", got)
	}
	if got := Closest("colour", known); got != "" {
		t.Errorf("a far word got %q", got)
	}
}
