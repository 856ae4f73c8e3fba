// Package codecheck holds tests over the repository's own Go source: the
// rules of its code that a compiler does not check (docs/definitions.md
// is for metrics; these are for the code).
package codecheck
