package metrics

import (
	"testing"

	"github.com/codepace/codepace/collectors"
)

func TestPeopleResolve(t *testing.T) {
	p := NewPeople(map[string][]string{
		"Alice": {"gerrit:1000001", "gerrit:alice-old", "hub:Alice", "alice@example.org"},
	})
	tests := []struct {
		source string
		a      collectors.Account
		key    string
		name   string
	}{
		{"gerrit", collectors.Account{ID: "1000001"}, "person:Alice", "Alice"},
		{"gerrit", collectors.Account{ID: "1000777", Username: "ALICE-OLD"}, "person:Alice", "Alice"},
		{"hub", collectors.Account{ID: "42", Username: "alice"}, "person:Alice", "Alice"},
		{"jenkins", collectors.Account{ID: "9", Email: "Alice@Example.org"}, "person:Alice", "Alice"},
		{"hub", collectors.Account{ID: "1000001"}, "1000001", ""}, // the id belongs to another source
		{"gerrit", collectors.Account{ID: "5", Username: "bob"}, "5", ""},
		{"gerrit", collectors.Account{}, "", ""},
	}
	for _, tt := range tests {
		key, name := p.Resolve(tt.source, tt.a)
		if key != tt.key || name != tt.name {
			t.Errorf("Resolve(%s, %+v) = %q, %q; want %q, %q", tt.source, tt.a, key, name, tt.key, tt.name)
		}
	}
	if key, _ := (People{}).Resolve("gerrit", collectors.Account{ID: "7"}); key != "7" {
		t.Errorf("the zero People maps account 7 to %q", key)
	}
}
