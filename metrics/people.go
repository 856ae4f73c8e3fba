package metrics

import (
	"strings"

	"github.com/codepace/codepace/collectors"
)

// People maps accounts to the people that own them, so that newcomer
// milestones and cohorts count a person once however many accounts they
// use. The zero value maps nothing: every account is its own person.
type People struct {
	sourced map[string]string // "source:value" (lower case) -> person name
	email   map[string]string // email (lower case) -> person name
}

// NewPeople builds the mapping from person names to their accounts: each
// account is "source:value", value being the source's account id or
// username (GitHub login), or an email address, which matches in every
// source. Matching ignores case.
func NewPeople(accounts map[string][]string) People {
	p := People{sourced: map[string]string{}, email: map[string]string{}}
	for name, list := range accounts {
		for _, a := range list {
			a = strings.ToLower(strings.TrimSpace(a))
			if _, _, ok := strings.Cut(a, ":"); ok {
				p.sourced[a] = name
			} else {
				p.email[a] = name
			}
		}
	}
	return p
}

// Resolve returns the key that identifies the owner of account a in source
// (the person's name, prefixed "person:", when the account is mapped; the
// account id otherwise) and the mapped person's name ("" when unmapped).
func (p People) Resolve(source string, a collectors.Account) (key, name string) {
	prefix := strings.ToLower(source) + ":"
	for _, v := range []string{a.ID, a.Username} {
		if v == "" {
			continue
		}
		if n, ok := p.sourced[prefix+strings.ToLower(v)]; ok {
			return "person:" + n, n
		}
	}
	if a.Email != "" {
		if n, ok := p.email[strings.ToLower(a.Email)]; ok {
			return "person:" + n, n
		}
	}
	return a.ID, ""
}
