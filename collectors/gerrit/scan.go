package gerrit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads a Gerrit answer in one pass, straight into the collector's
// structs, with encoding/json's rules for what it accepts and what a value
// becomes: the same syntax (and nesting limit), member names matched
// exactly and then by Unicode case folding, a later duplicate member
// decoding into what an earlier one left, null leaving a string, number,
// boolean or struct as it was and clearing a pointer, slice or map, and
// strings unescaped by encoding/json itself whenever they hold an escape
// or invalid UTF-8. encoding/json first scans a whole value and then
// decodes it; its reflection and the second scan were most of the
// collection's CPU time (BENCHMARKS.md).
type scanner struct {
	b     []byte
	i     int
	depth int        // objects and arrays open in the current change
	wrong *typeError // the first value of the wrong type in the current change
}

// maxDepth is encoding/json's limit on nested objects and arrays.
const maxDepth = 10000

// syntaxError is an answer that is not JSON.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

// typeError is JSON of another type than the field it is for, which
// makes a change unreadable but not the page.
type typeError struct {
	off        int
	got, field string
}

func (e *typeError) Error() string {
	return fmt.Sprintf("json: cannot unmarshal %s into a %s field", e.got, e.field)
}

// unexpected is the syntax error at the scanner's position.
func (s *scanner) unexpected() error {
	if s.i >= len(s.b) {
		return &syntaxError{"unexpected end of JSON input", s.i}
	}
	return &syntaxError{fmt.Sprintf("invalid character %q", s.b[s.i]), s.i}
}

// peek skips white space and returns the next byte, 0 at the end.
func (s *scanner) peek() byte {
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

// mismatch records that the value at the scanner is not of the field's
// type (the first such value of a change is reported) and skips it.
func (s *scanner) mismatch(field string) error {
	if s.wrong == nil {
		got := map[byte]string{'"': "string", '{': "object", '[': "array", 't': "bool", 'f': "bool", 'n': "null"}[s.peek()]
		if got == "" {
			got = "number"
		}
		s.wrong = &typeError{off: s.i, got: got, field: field}
	}
	return s.skip()
}

// open consumes the { or [ at the scanner.
func (s *scanner) open() error {
	s.i++
	if s.depth++; s.depth > maxDepth {
		return &syntaxError{"exceeded max depth", s.i - 1}
	}
	return nil
}

// next moves to the next element of an array or member of an object, whose
// closing bracket is end: false, with the bracket consumed, at the end.
// first tells that none was read yet.
func (s *scanner) next(first bool, end byte) (bool, error) {
	c := s.peek()
	switch {
	case c == end:
		s.i++
		s.depth--
		return false, nil
	case first:
		return true, nil
	case c == ',':
		s.i++
		return true, nil
	}
	return false, s.unexpected()
}

// member moves to an object's next member and reads its name and colon;
// the name is valid until the next read. false at the object's end.
func (s *scanner) member(first bool) ([]byte, bool, error) {
	more, err := s.next(first, '}')
	if !more || err != nil {
		return nil, false, err
	}
	if s.peek() != '"' {
		return nil, false, s.unexpected()
	}
	raw, plain, err := s.str()
	if err != nil {
		return nil, false, err
	}
	name := raw[1 : len(raw)-1]
	if !plain {
		name = []byte(unquote(raw))
	}
	if s.peek() != ':' {
		return nil, false, s.unexpected()
	}
	s.i++
	return name, true, nil
}

// plainByte marks the bytes a string holds as they are: not a quote, a
// backslash, a control character or part of a multi-byte character.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads the string at the scanner (at its opening quote) and returns
// it with its quotes; plain when it is valid UTF-8 without escapes, so
// that its bytes are its value.
func (s *scanner) str() (raw []byte, plain bool, err error) {
	start := s.i
	s.i++
	ascii, escaped := true, false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case plainByte[c]:
			s.i++
		case c == '"':
			s.i++
			raw = s.b[start:s.i]
			return raw, !escaped && (ascii || utf8.Valid(raw)), nil
		case c == '\\':
			escaped = true
			if err := s.escape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, s.unexpected()
		default:
			ascii = false
			s.i++
		}
	}
	return nil, false, s.unexpected()
}

// escape checks the escape sequence at the scanner's backslash.
func (s *scanner) escape() error {
	s.i++
	if s.i >= len(s.b) {
		return s.unexpected()
	}
	switch s.b[s.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i++
		return nil
	case 'u':
		s.i++
		for range 4 {
			if s.i >= len(s.b) || !isHex(s.b[s.i]) {
				return s.unexpected()
			}
			s.i++
		}
		return nil
	}
	return s.unexpected()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote is the value of a string token that has escapes or invalid
// UTF-8, as encoding/json reads it: escapes of characters outside the
// surrogates and valid UTF-8 here, the rest (U+FFFD for what is not a
// character) by encoding/json itself.
func unquote(raw []byte) string {
	in := raw[1 : len(raw)-1]
	if !utf8.Valid(in) {
		return jsonUnquote(raw)
	}
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch c = in[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := strconv.ParseUint(string(in[i+1:i+5]), 16, 16)
			if utf16.IsSurrogate(rune(r)) {
				return jsonUnquote(raw)
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default: // " \ /
			out = append(out, c)
		}
	}
	return string(out)
}

// jsonUnquote is encoding/json's reading of a checked string token.
func jsonUnquote(raw []byte) string {
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		panic("gerrit: unquote of a checked string: " + err.Error())
	}
	return v
}

// text reads a string token's value.
func text(raw []byte, plain bool) string {
	if plain {
		return string(raw[1 : len(raw)-1])
	}
	return unquote(raw)
}

// number reads the number at the scanner and returns its token.
func (s *scanner) number() ([]byte, error) {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() bool {
		at := s.i
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
		}
		return s.i > at
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case !digits():
		return nil, s.unexpected()
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !digits() {
			return nil, s.unexpected()
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !digits() {
			return nil, s.unexpected()
		}
	}
	return s.b[start:s.i], nil
}

// literal reads true, false or null.
func (s *scanner) literal(word string) error {
	for k := range len(word) {
		if s.i >= len(s.b) || s.b[s.i] != word[k] {
			return s.unexpected()
		}
		s.i++
	}
	return nil
}

// skip reads any value, checking its syntax.
func (s *scanner) skip() error {
	c := s.peek()
	switch c {
	case '"':
		_, _, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case '{', '[':
		if err := s.open(); err != nil {
			return err
		}
		end := byte(']')
		if c == '{' {
			end = '}'
		}
		for first := true; ; first = false {
			more, err := s.next(first, end)
			if !more || err != nil {
				return err
			}
			if c == '{' {
				if s.peek() != '"' {
					return s.unexpected()
				}
				if _, _, err := s.str(); err != nil {
					return err
				}
				if s.peek() != ':' {
					return s.unexpected()
				}
				s.i++
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	}
	if c == '-' || '0' <= c && c <= '9' {
		_, err := s.number()
		return err
	}
	return s.unexpected()
}

// string reads a string field.
func (s *scanner) string(dst *string) error {
	switch s.peek() {
	case '"':
		raw, plain, err := s.str()
		if err == nil {
			*dst = text(raw, plain)
		}
		return err
	case 'n':
		return s.literal("null")
	}
	return s.mismatch("string")
}

// int64 reads an integer field: a number with a fraction or an exponent,
// or out of range, is of the wrong type, as for encoding/json.
func (s *scanner) int64(dst *int64) error {
	switch c := s.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		at := s.i
		tok, err := s.number()
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			if s.wrong == nil {
				s.wrong = &typeError{off: at, got: "number " + string(tok), field: "integer"}
			}
			return nil
		}
		*dst = n
		return nil
	case c == 'n':
		return s.literal("null")
	}
	return s.mismatch("integer")
}

// int reads an integer field of Go's int.
func (s *scanner) int(dst *int) error {
	n := int64(*dst)
	if err := s.int64(&n); err != nil {
		return err
	}
	if int64(int(n)) != n {
		if s.wrong == nil {
			s.wrong = &typeError{off: s.i, got: "number " + strconv.FormatInt(n, 10), field: "int"}
		}
		return nil
	}
	*dst = int(n)
	return nil
}

// bool reads a boolean field.
func (s *scanner) bool(dst *bool) error {
	switch s.peek() {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.mismatch("bool")
}

// object opens an object for a struct field: false (and nothing to read)
// for null, which leaves a struct as it was, or for a value of another
// type.
func (s *scanner) object() (bool, error) {
	switch s.peek() {
	case '{':
		return true, s.open()
	case 'n':
		return false, s.literal("null")
	}
	return false, s.mismatch("object")
}

// array opens an array for a slice field; null sets it to nil.
func array[T any](s *scanner, dst *[]T) (bool, error) {
	switch s.peek() {
	case '[':
		return true, s.open()
	case 'n':
		*dst = nil
		return false, s.literal("null")
	}
	return false, s.mismatch("array")
}

// list reads an array into a slice as encoding/json does: element i
// decodes into what the slice holds at i, even past its length within its
// capacity, so a duplicate member merges into the earlier one's elements.
func list[T any](s *scanner, dst *[]T, elem func(*scanner, *T) error) error {
	ok, err := array(s, dst)
	if !ok || err != nil {
		return err
	}
	v := *dst
	i := 0
	for ; ; i++ {
		more, err := s.next(i == 0, ']')
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if i >= cap(v) {
			v = slices.Grow(v, 1)
		}
		if i >= len(v) {
			v = v[:i+1]
		}
		if err := elem(s, &v[i]); err != nil {
			return err
		}
	}
	if i == 0 {
		v = []T{}
	}
	*dst = v[:i]
	return nil
}

// mapOf opens an object for a map field: null sets it to nil; a nil map
// is made.
func mapOf[V any](s *scanner, dst *map[string]V) (bool, error) {
	switch s.peek() {
	case '{':
		if *dst == nil {
			*dst = map[string]V{}
		}
		return true, s.open()
	case 'n':
		*dst = nil
		return false, s.literal("null")
	}
	return false, s.mismatch("map")
}

// fields are a struct's member names, and their case folds.
type fields struct {
	names, folded []string
}

func newFields(names ...string) fields {
	f := fields{names: names}
	for _, n := range names {
		f.folded = append(f.folded, string(appendFolded(nil, []byte(n))))
	}
	return f
}

// find returns the field a member name stands for, "" for none: the exact
// name, else one equal under encoding/json's case folding.
func (f fields) find(key []byte) string {
	for _, n := range f.names {
		if string(key) == n {
			return n
		}
	}
	var buf [32]byte
	folded := appendFolded(buf[:0], key)
	for i, n := range f.folded {
		if string(folded) == n {
			return f.names[i]
		}
	}
	return ""
}

// appendFolded appends encoding/json's case fold of a member name: ASCII
// letters upper-cased, other characters mapped to the smallest of their
// Unicode simple folding orbit.
func appendFolded(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}
