package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/codepace/codepace/internal/typo"
	"github.com/codepace/codepace/keyresults/figure"
)

var (
	sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	databaseRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	clusterRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	manualNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	percentRE    = regexp.MustCompile(`^([+-])([0-9]+(?:\.[0-9]+)?)%$`)
	yamlLineRE   = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
)

// Keys of each section.
var (
	rootKeys     = structKeys(reflect.TypeFor[Config]())
	personKeys   = []string{"name", "accounts", "team"}
	targetKeys   = []string{"metric", "manual", "baseline", "goal", "due", "start", "min_n", "filter"}
	baselineKeys = []string{"from", "to"}
	filterKeys   = []string{"source", "project", "cohort", "team", "system", "pipeline", "job"}
)

// parseYAML parses data into the root node of its single document. It
// returns nil and no error for an empty document.
func parseYAML(data []byte, name string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, emptyError(name)
		}
		return nil, syntaxError(name, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: name, Line: next.Line, Err: errors.New("more than one YAML document; put the whole configuration in one")}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, emptyError(name)
		}
		root = root.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		return nil, emptyError(name)
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: root.Line, Err: fmt.Errorf("the configuration must be a mapping of sections (%s), not %s", strings.Join(rootKeys, ", "), describe(root))}
	}
	return root, nil
}

func emptyError(name string) error {
	return &Error{File: name, Err: errors.New("empty configuration; at least one entry under sources is required (see the example configuration)")}
}

func syntaxError(name string, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Err: fmt.Errorf("invalid YAML: %s", m[2])}
	}
	return &Error{File: name, Err: fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names what a node is, for messages. Only use it on values that
// cannot be secrets.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "an unsupported YAML node"
}

// inlineSecretKey reports whether key names a secret given inline.
func inlineSecretKey(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "_env") || strings.HasSuffix(k, "_file") {
		return false
	}
	for _, s := range []string{"password", "passwd", "token", "secret"} {
		if k == s || strings.HasSuffix(k, "_"+s) {
			return true
		}
	}
	return false
}

func inlineSecretHint(key string) string {
	switch key {
	case "password", "token":
		return fmt.Sprintf("use %s_env or %s_file", key, key)
	}
	return "read it from the environment or a file (password_env or password_file, token_env or token_file)"
}

// decoder walks the YAML tree and collects every problem it finds.
type decoder struct {
	file string
	reg  *registry
	// errs holds at most 2×maxErrors problems; cutoff is the line past
	// which no more need keeping (maxErrors problems are at or before it),
	// and total counts every problem found.
	errs   []*Error
	cutoff int
	total  int
}

// maxErrors is how many problems are reported; the rest are counted.
const maxErrors = 50

// skip counts a problem at n when it falls past the ones kept, and reports
// whether it did, so that a file with a million mistakes costs no more
// than a few.
func (d *decoder) skip(n *yaml.Node) bool {
	if n == nil || d.cutoff == 0 || n.Line <= d.cutoff {
		return false
	}
	d.total++
	return true
}

// errorf records a problem at n (the file as a whole when nil).
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	if d.skip(n) {
		return
	}
	d.total++
	line := 0
	if n != nil {
		line = n.Line
	}
	// Whatever value a message quotes, credentials in it are not repeated.
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = redactUserinfo(v)
		case error:
			if msg := redactUserinfo(v.Error()); msg != v.Error() {
				args[i] = errors.New(msg)
			}
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Err: fmt.Errorf(format, args...)})
	if len(d.errs) >= 2*maxErrors {
		d.trim()
	}
}

// trim keeps the maxErrors first problems by line.
func (d *decoder) trim() {
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].Line < d.errs[j].Line })
	if len(d.errs) > maxErrors {
		clear(d.errs[maxErrors:])
		d.errs = d.errs[:maxErrors]
		d.cutoff = max(d.errs[maxErrors-1].Line, 1)
	}
}

// userinfoRE matches the user:password@ of an address or URL (also in forms
// the URL parser does not read as credentials, such as http:u:p@host), and
// the token@ of //token@host.
var userinfoRE = regexp.MustCompile(`[^\s"'/@]+:[^\s"'/@]*@|//[^\s"'/@]+@`)

// redactUserinfo replaces the credentials of every address or URL in s.
func redactUserinfo(s string) string {
	return userinfoRE.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "//") {
			return "//[redacted]@"
		}
		return "[redacted]@"
	})
}

// hasUserinfo reports whether an address or URL holds credentials: an @
// before the first / of what follows the scheme.
func hasUserinfo(s string) bool {
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return strings.Contains(rest, "@")
}

// err returns the problems found, in line order: nil, one *Error, or
// several joined, the last counting those past the maxErrors first.
func (d *decoder) err() error {
	d.trim()
	switch {
	case len(d.errs) == 0:
		return nil
	case len(d.errs) == 1 && d.total == 1:
		return d.errs[0]
	}
	errs := make([]error, len(d.errs), len(d.errs)+1)
	for i, e := range d.errs {
		errs[i] = e
	}
	if more := d.total - len(d.errs); more > 0 {
		errs = append(errs, &Error{File: d.file, Err: fmt.Errorf("and %d more problems", more)})
	}
	return errors.Join(errs...)
}

// scanSecrets reports every key anywhere in the tree that holds a secret
// inline. The values are never read.
func (d *decoder) scanSecrets(n *yaml.Node, at string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(at, k.Value)
			if k.Kind == yaml.ScalarNode && inlineSecretKey(k.Value) {
				d.errorf(k, p, "inline secrets are not allowed; %s", inlineSecretHint(k.Value))
				continue
			}
			d.scanSecrets(v, p)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			d.scanSecrets(v, fmt.Sprintf("%s[%d]", at, i))
		}
	}
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

type field struct{ key, val *yaml.Node }

// mapping is a YAML mapping whose keys have been checked.
type mapping struct {
	node   *yaml.Node // the mapping, or the node that should have held it
	path   string
	fields map[string]field
	order  []string
}

func (m *mapping) at(key string) string { return join(m.path, key) }

// get returns the value of key, if present and not null.
func (m *mapping) get(key string) (*yaml.Node, bool) {
	f, ok := m.fields[key]
	if !ok || isNull(f.val) {
		return nil, false
	}
	return f.val, true
}

// lineOf returns the node to blame for a problem with key: the key itself if
// present, else the mapping.
func (m *mapping) lineOf(key string) *yaml.Node {
	if f, ok := m.fields[key]; ok {
		return f.key
	}
	return m.node
}

// mapping checks that n is a mapping with only known keys. A null or absent
// n is an empty mapping; owner is blamed for problems with its missing keys.
// It returns nil when n is not a mapping.
func (d *decoder) mapping(n, owner *yaml.Node, path string, known []string) *mapping {
	n = resolve(n)
	m := &mapping{node: n, path: path, fields: map[string]field{}}
	if isNull(n) {
		m.node = owner
		return m
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping with keys %s, got %s", strings.Join(known, ", "), describe(n))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain words, got %s", describe(k))
			continue
		}
		key := k.Value
		if inlineSecretKey(key) {
			continue // reported by scanSecrets
		}
		if prev, dup := m.fields[key]; dup {
			d.errorf(k, m.at(key), "duplicate key (first set on line %d)", prev.key.Line)
			continue
		}
		if !slices.Contains(known, key) {
			if !d.skip(k) {
				d.errorf(k, m.at(key), "unknown key %q%s", key, suggest(key, known))
			}
			continue
		}
		m.fields[key] = field{k, v}
		m.order = append(m.order, key)
	}
	return m
}

// section returns the mapping under key of m.
func (d *decoder) section(m *mapping, key string, known []string) *mapping {
	v, _ := m.get(key)
	return d.mapping(v, m.lineOf(key), m.at(key), known)
}

// suggest returns ` (did you mean "x"?)` when a known key is close to key,
// else the list of known keys.
func suggest(key string, known []string) string {
	if c := typo.Closest(key, known); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return "; known keys: " + strings.Join(known, ", ")
}

// Scalar readers. Each reports a problem and returns the default when the
// key is present but wrong; absent or null keys give the default silently.

func (d *decoder) str(m *mapping, key, def string) string {
	n, ok := m.get(key)
	if !ok {
		return def
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, m.at(key), "want a string, got %s", describe(n))
		return def
	}
	return n.Value
}

// required reports key as missing unless it is present and not null.
func (d *decoder) required(m *mapping, key, what string) bool {
	if _, ok := m.get(key); ok {
		return true
	}
	d.errorf(m.lineOf(key), m.at(key), "required: %s", what)
	return false
}

// strList reads a list of non-empty strings; check, when not nil, validates
// each.
func (d *decoder) strList(m *mapping, key string, check func(string) error) []string {
	n, ok := m.get(key)
	if !ok {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, m.at(key), "want a list such as [a, b], got %s", describe(n))
		return nil
	}
	var out []string
	for i, v := range n.Content {
		v = resolve(v)
		p := fmt.Sprintf("%s[%d]", m.at(key), i)
		if v.Kind != yaml.ScalarNode || isNull(v) {
			d.errorf(v, p, "want a string, got %s", describe(v))
			continue
		}
		if strings.TrimSpace(v.Value) == "" {
			d.errorf(v, p, "must not be empty")
			continue
		}
		if check != nil {
			if err := check(v.Value); err != nil {
				d.errorf(v, p, "%w", err)
				continue
			}
		}
		out = append(out, v.Value)
	}
	return out
}

// boolean reads true or false.
func (d *decoder) boolean(m *mapping, key string, def bool) bool {
	n, ok := m.get(key)
	if !ok {
		return def
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.errorf(n, m.at(key), "want true or false, got %s", describe(n))
		return def
	}
	return v
}

func (d *decoder) integer(m *mapping, key string, def, lo, hi int64) int64 {
	n, ok := m.get(key)
	if !ok {
		return def
	}
	var v int64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		d.errorf(n, m.at(key), "want an integer, got %s", describe(n))
		return def
	}
	if v < lo || v > hi {
		if hi >= math.MaxInt32 {
			d.errorf(n, m.at(key), "must be at least %d, got %d", lo, v)
		} else {
			d.errorf(n, m.at(key), "must be between %d and %d, got %d", lo, hi, v)
		}
		return def
	}
	return v
}

// number reads a finite number from a scalar node.
func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	var v float64
	switch n.Tag {
	case "!!int", "!!float":
		if n.Decode(&v) != nil {
			return 0, false
		}
	case "!!str":
		var err error
		if v, err = strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func (d *decoder) float(m *mapping, key string, def float64) (float64, bool) {
	n, ok := m.get(key)
	if !ok {
		return def, false
	}
	v, ok := number(n)
	if !ok {
		d.errorf(n, m.at(key), "want a number, got %s", describe(n))
		return def, false
	}
	return v, true
}

// duration reads a duration (time.ParseDuration syntax, plus d for days).
// It must not be negative, and must be positive when positive is set.
func (d *decoder) duration(m *mapping, key string, def time.Duration, positive bool) time.Duration {
	n, ok := m.get(key)
	if !ok {
		return def
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, m.at(key), "want a duration such as 90s, 10m, 1h30m or 30d, got %s", describe(n))
		return def
	}
	v, err := parseDuration(n.Value)
	switch {
	case err != nil:
		d.errorf(n, m.at(key), "bad duration %q: want a duration such as 90s, 10m, 1h30m or 30d", n.Value)
		return def
	case v < 0:
		d.errorf(n, m.at(key), "must not be negative, got %q", n.Value)
		return def
	case v == 0 && positive:
		d.errorf(n, m.at(key), "must be more than zero, got %q", n.Value)
		return def
	}
	return v
}

// parseDuration is time.ParseDuration that also accepts a leading number of
// days: "30d", "1.5d", "1d12h".
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, 'd')
	if i < 0 {
		return time.ParseDuration(s)
	}
	sign, num := 1.0, s[:i]
	switch {
	case strings.HasPrefix(num, "-"):
		sign, num = -1, num[1:]
	case strings.HasPrefix(num, "+"):
		num = num[1:]
	}
	days, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || strings.ContainsAny(num, "eEinfINFxX_") || days < 0 {
		return 0, fmt.Errorf("time: invalid duration %q", s)
	}
	total := days * float64(24*time.Hour)
	if rest := s[i+1:]; rest != "" {
		if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return 0, fmt.Errorf("time: invalid duration %q", s)
		}
		r, err := time.ParseDuration(rest)
		if err != nil {
			return 0, err
		}
		total += float64(r)
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("time: invalid duration %q", s)
	}
	return time.Duration(sign * total), nil
}

// parseDate accepts 2006-01-02 (midnight UTC) or RFC 3339.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q: want 2006-01-02 or an RFC 3339 time such as 2006-01-02T15:04:05Z", s)
	}
	return t.UTC(), nil
}

func (d *decoder) date(m *mapping, key string) time.Time {
	n, ok := m.get(key)
	if !ok {
		return time.Time{}
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, m.at(key), "want a date such as 2019-07-01, got %s", describe(n))
		return time.Time{}
	}
	t, err := parseDate(n.Value)
	if err != nil {
		d.errorf(n, m.at(key), "%w", err)
	}
	return t
}

// invalidSecret marks a Secret whose key was given a bad value: the key is
// present (so no other check calls it missing) and the error is reported.
const invalidSecret = "(invalid)"

// secret reads <base>_env and <base>_file.
func (d *decoder) secret(m *mapping, base string) Secret {
	envKey, fileKey := base+"_env", base+"_file"
	var s Secret
	if n, ok := m.get(envKey); ok {
		switch {
		case n.Kind != yaml.ScalarNode:
			d.errorf(n, m.at(envKey), "want the name of an environment variable, got %s", describe(n))
		case !envNameRE.MatchString(n.Value):
			// Never echo the value: it may be the secret put in the wrong key.
			d.errorf(n, m.at(envKey), "not a valid environment variable name (letters, digits and _); give the variable's name, not the secret")
			s.Env = invalidSecret
		default:
			s.Env = n.Value
		}
	}
	if n, ok := m.get(fileKey); ok {
		switch {
		case n.Kind != yaml.ScalarNode:
			d.errorf(n, m.at(fileKey), "want the path of a file, got %s", describe(n))
		case strings.TrimSpace(n.Value) == "":
			d.errorf(n, m.at(fileKey), "must name a file")
			s.File = invalidSecret
		default:
			s.File = n.Value
		}
	}
	if _, ok := m.get(envKey); ok {
		if n, ok := m.get(fileKey); ok {
			d.errorf(n, m.at(fileKey), "set only one of %s and %s", envKey, fileKey)
			s.File = ""
		}
	}
	return s
}

// httpURL reads an absolute http or https URL without credentials or query.
// credHint says where credentials belong instead.
func (d *decoder) httpURL(m *mapping, key, credHint string) string {
	n, ok := m.get(key)
	if !ok {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, m.at(key), "want a URL, got %s", describe(n))
		return ""
	}
	raw := strings.TrimSpace(n.Value)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	// The URL is echoed only once it is known to hold no credentials.
	switch {
	case hasUserinfo(raw) || (err == nil && u.User != nil):
		d.errorf(n, m.at(key), "inline secrets are not allowed in a URL; remove user:password@ and %s", credHint)
	case err != nil:
		d.errorf(n, m.at(key), "not a valid URL; want an absolute http:// or https:// URL")
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		d.errorf(n, m.at(key), "want an absolute http:// or https:// URL, got %q", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		d.errorf(n, m.at(key), "must not have a query or fragment; give the base URL")
	default:
		return raw
	}
	return ""
}

// hostPort checks a host:port address.
func hostPort(s string) error {
	if strings.Contains(s, "@") {
		return errors.New("inline secrets are not allowed in an address; remove user:password@ and give credentials in username and password_env or password_file")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", s)
	}
	if strings.ContainsAny(host, "/ ") {
		return fmt.Errorf("want host:port, got %q", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("bad port in %q", s)
	}
	return nil
}

// config decodes the whole file.
func (d *decoder) config(root *yaml.Node) *Config {
	d.scanSecrets(root, "")
	m := d.mapping(root, root, "", rootKeys)
	cfg := &Config{
		ClickHouse: DefaultClickHouse(),
		Metrics:    DefaultMetrics(),
		Grafana:    Grafana{Folder: DefaultGrafanaFolder},
		Daemon:     DefaultDaemon(),
	}
	d.structSection(m, "clickhouse", &cfg.ClickHouse)
	d.structSection(m, "metrics", &cfg.Metrics)
	d.structSection(m, "grafana", &cfg.Grafana)
	d.structSection(m, "daemon", &cfg.Daemon)
	cfg.Sources = d.sources(m)
	cfg.People = d.people(m, cfg.Sources)
	cfg.Targets = d.targets(m, cfg.Sources, cfg.People)
	cfg.Calendar = d.calendar(d.section(m, "calendar", calendarKeys), DefaultCalendar())
	cfg.Teams = d.teams(m, cfg.People, cfg.Calendar)
	return cfg
}

// people decodes the optional mapping of accounts to people.
func (d *decoder) people(root *mapping, sources []Source) []Person {
	n, ok := root.get("people")
	if !ok {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "people", "want a list of people, got %s", describe(n))
		return nil
	}
	known := map[string]bool{}
	for _, s := range sources {
		known[s.Name] = true
	}
	names := map[string]int{}    // person name -> line
	accounts := map[string]int{} // account -> line
	var out []Person
	for i, v := range n.Content {
		m := d.mapping(v, v, fmt.Sprintf("people[%d]", i), personKeys)
		if m == nil {
			continue
		}
		var p Person
		if d.required(m, "name", "how the person is shown") {
			p.Name = d.str(m, "name", "")
			k, _ := m.get("name")
			if line, dup := names[p.Name]; dup {
				d.errorf(k, m.at("name"), "%q is already a person (line %d)", p.Name, line)
			}
			names[p.Name] = k.Line
		}
		p.Team = d.str(m, "team", "")
		if n, ok := m.get("team"); ok && strings.TrimSpace(p.Team) == "" {
			d.errorf(n, m.at("team"), "must not be empty; leave it out for no team")
		}
		if !d.required(m, "accounts", `a list of "source:id-or-username" or emails`) {
			continue
		}
		list, _ := m.get("accounts")
		p.Accounts = d.strList(m, "accounts", func(a string) error {
			src, _, isSourced := strings.Cut(a, ":")
			switch {
			case isSourced && !known[src]:
				return fmt.Errorf("%q names no configured source (want source:id-or-username or an email)", a)
			case !isSourced && !strings.Contains(a, "@"):
				return fmt.Errorf("%q is neither source:id-or-username nor an email", a)
			}
			key := strings.ToLower(a)
			if line, dup := accounts[key]; dup {
				return fmt.Errorf("%q is already mapped to a person (line %d)", a, line)
			}
			accounts[key] = list.Line
			return nil
		})
		out = append(out, p)
	}
	return out
}

func (d *decoder) targets(root *mapping, sources []Source, people []Person) []Target {
	n, ok := root.get("targets")
	if !ok {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "targets", "want a list of targets, got %s", describe(n))
		return nil
	}
	var names []string
	for _, s := range sources {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	var teams []string
	for _, p := range people {
		if p.Team != "" && !slices.Contains(teams, p.Team) {
			teams = append(teams, p.Team)
		}
	}
	var out []Target
	for i, v := range n.Content {
		m := d.mapping(v, v, fmt.Sprintf("targets[%d]", i), targetKeys)
		if m == nil {
			continue
		}
		out = append(out, d.target(m, names, teams))
	}
	return out
}

// target decodes one key-result target: its metric, baseline (a number or
// a period), goal, due and start dates, minimum count and filter.
func (d *decoder) target(m *mapping, sources, teams []string) Target {
	t := Target{MinN: DefaultMinN}
	t.Manual = d.boolean(m, "manual", false)
	if d.required(m, "metric", "a figure name such as time_to_merge_mean_days (`codepace figures` lists them)") {
		n, _ := m.get("metric")
		t.Metric = d.str(m, "metric", "")
		f, err := figure.Parse(t.Metric)
		switch {
		case t.Manual && err == nil:
			d.errorf(n, m.at("metric"), "%q is a computed figure; a manual target needs a name of its own, such as developer_satisfaction", t.Metric)
		case t.Manual && !manualNameRE.MatchString(t.Metric):
			d.errorf(n, m.at("metric"), "bad name %q for a manual target: want lower-case letters, digits and _", t.Metric)
		case !t.Manual && err != nil:
			d.errorf(n, m.at("metric"), "%w (or set manual: true for values given with `codepace record`)", err)
		case !t.Manual:
			t.Figure = f
		}
	}

	baselineOK := false
	if d.required(m, "baseline", "a number, or a period {from: 2019-04-01, to: 2019-06-30}") {
		n, _ := m.get("baseline")
		if n.Kind == yaml.MappingNode {
			bm := d.mapping(n, n, m.at("baseline"), baselineKeys)
			okFrom := d.required(bm, "from", "the first day of the baseline period")
			okTo := d.required(bm, "to", "the last day of the baseline period")
			from, to := d.date(bm, "from"), d.date(bm, "to")
			if okFrom && okTo && !from.IsZero() && !to.IsZero() {
				if from.Before(to) {
					t.BaselineFrom, t.BaselineTo = from, to
				} else {
					tn, _ := bm.get("to")
					d.errorf(tn, bm.at("to"), "must be after from")
				}
			}
		} else if v, ok := number(n); ok {
			t.Baseline, baselineOK = v, true
		} else {
			d.errorf(n, m.at("baseline"), "want a number or {from: DATE, to: DATE}, got %s", describe(n))
		}
	}

	d.targetGoal(m, &t, baselineOK)

	if d.required(m, "due", "the date the goal is due, such as 2020-06-30") {
		t.Due = d.date(m, "due")
		if n, _ := m.get("due"); !t.Due.IsZero() && t.HasBaselinePeriod() && !t.Due.After(t.BaselineTo) {
			d.errorf(n, m.at("due"), "must be after the baseline period")
		}
	}
	if n, ok := m.get("start"); ok {
		t.Start = d.date(m, "start")
		if !t.Start.IsZero() && !t.Due.IsZero() && !t.Start.Before(t.Due.Add(24*time.Hour)) {
			d.errorf(n, m.at("start"), "must be before the end of the due day")
		}
	}
	t.MinN = int(d.integer(m, "min_n", DefaultMinN, 0, math.MaxInt32))
	d.targetFilter(m, &t, sources, teams)
	return t
}

// targetGoal decodes a target's goal: a number, or a signed percentage of
// the baseline. baselineOK says the baseline is a number, against which a
// goal equal to it is refused.
func (d *decoder) targetGoal(m *mapping, t *Target, baselineOK bool) {
	if d.required(m, "goal", `a number such as 10.44, or a signed percentage of the baseline such as "-10%"`) {
		n, _ := m.get("goal")
		if v, ok := number(n); ok {
			t.Goal = v
			if baselineOK && v == t.Baseline {
				d.errorf(n, m.at("goal"), "equals the baseline; there is nothing to reach")
			}
		} else if p := percentRE.FindStringSubmatch(strings.TrimSpace(n.Value)); n.Kind == yaml.ScalarNode && p != nil {
			v, _ := strconv.ParseFloat(p[2], 64)
			if p[1] == "-" {
				v = -v
			}
			t.Goal, t.GoalRelative = v, true
			if v == 0 {
				d.errorf(n, m.at("goal"), "a change of 0%% leaves the baseline where it is")
			} else if v < -100 {
				d.errorf(n, m.at("goal"), "cannot go %s%% below the baseline", p[2])
			}
		} else {
			d.errorf(n, m.at("goal"), `want a number such as 10.44 or a signed percentage such as "-10%%" or "+5%%", got %s`, describe(n))
		}
	}
}

// targetFilter decodes a target's filter: each key must be one its figure
// takes (a manual target takes none).
func (d *decoder) targetFilter(m *mapping, t *Target, sources, teams []string) {
	fm := d.section(m, "filter", filterKeys)
	if fm == nil {
		return
	}
	for _, key := range fm.order {
		n, _ := fm.get(key)
		v := d.str(fm, key, "")
		if strings.TrimSpace(v) == "" {
			d.errorf(n, fm.at(key), "must not be empty; leave it out to match everything")
			continue
		}
		switch {
		case t.Manual:
			d.errorf(n, fm.at(key), "a manual target takes no filter: its values are recorded as they are")
			continue
		case t.Figure.Measure != nil:
			if err := t.Figure.CheckFilter(key); err != nil {
				d.errorf(n, fm.at(key), "%w", err)
				continue
			}
		}
		switch key {
		case "source":
			t.Filter.Source = v
			if !slices.Contains(sources, v) {
				d.errorf(n, fm.at(key), "no source named %q; configured sources: %s", v, strings.Join(sources, ", "))
			}
		case "project":
			t.Filter.Project = v
		case "cohort":
			t.Filter.Cohort = v
			if v != CohortNew && v != CohortRamped {
				d.errorf(n, fm.at(key), "unknown cohort %q; want %s or %s", v, CohortNew, CohortRamped)
			}
		case "team":
			t.Filter.Team = v
			if !slices.Contains(teams, v) {
				d.errorf(n, fm.at(key), "no person under people: has team %q; teams: %s", v, orNone(teams))
			}
		case "system":
			t.Filter.System = v
		case "pipeline":
			t.Filter.Pipeline = v
		case "job":
			t.Filter.Job = v
		}
	}
}

// orNone joins list, or says there is none.
func orNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, ", ")
}
