package config

import (
	"errors"
	"fmt"
	"math"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Field types the decoder knows beside the basic kinds.
var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
	secretType   = reflect.TypeFor[Secret]()
	urlType      = reflect.TypeFor[URL]()
	globsType    = reflect.TypeFor[Globs]()
	byteSizeType = reflect.TypeFor[ByteSize]()
)

// registry is the source types a decoder accepts, with each type's keys
// derived from its configuration struct.
type registry struct {
	types []SourceType
	keys  map[string][]string // type name -> keys, in struct order
	all   []string            // every key of any type, in first-seen order
}

func newRegistry(types []SourceType) *registry {
	r := &registry{types: types, keys: map[string][]string{}}
	for _, t := range types {
		keys := Keys(t)
		r.keys[t.Name()] = keys
		for _, k := range keys {
			if !slices.Contains(r.all, k) {
				r.all = append(r.all, k)
			}
		}
	}
	if len(types) == 0 {
		r.all = structKeys(reflect.TypeFor[SourceCommon]())
	}
	return r
}

func (r *registry) names() []string {
	names := make([]string, len(r.types))
	for i, t := range r.types {
		names[i] = t.Name()
	}
	return names
}

func (r *registry) lookup(name string) SourceType {
	for _, t := range r.types {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// typesWith returns the source types that have key, as "gerrit and jenkins".
func (r *registry) typesWith(key string) string {
	var types []string
	for _, t := range r.types {
		if slices.Contains(r.keys[t.Name()], key) {
			types = append(types, t.Name())
		}
	}
	return strings.Join(types, " and ")
}

// Keys returns the keys a source of type t may have, derived from its
// configuration struct.
func Keys(t SourceType) []string {
	return structKeys(reflect.TypeOf(t.DefaultConfig()).Elem())
}

// yamlKey returns the key of a struct field from its yaml tag, and whether
// the field is inlined; "" for a field without a key.
func yamlKey(f reflect.StructField) (key string, inline bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if slices.Contains(strings.Split(opts, ","), "inline") {
		return "", true
	}
	if name == "-" || !f.IsExported() {
		return "", false
	}
	return name, false
}

// structKeys lists the keys of a configuration struct: one per field, two
// (KEY_env, KEY_file) per Secret, the keys of inline structs in place.
func structKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		key, inline := yamlKey(f)
		switch {
		case inline:
			keys = append(keys, structKeys(f.Type)...)
		case key == "":
		case f.Type == secretType:
			keys = append(keys, key+"_env", key+"_file")
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// sources decodes the sources list.
func (d *decoder) sources(root *mapping) []Source {
	f, present := root.fields["sources"]
	n, ok := root.get("sources")
	if !ok {
		blame := root.node
		if present {
			blame = f.key
		}
		d.errorf(blame, "sources", "at least one source is required")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "sources", "want a list of sources, got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "sources", "at least one source is required")
		return nil
	}
	var out []Source
	seen := map[string]int{} // name -> line
	for i, v := range n.Content {
		m := d.mapping(v, v, fmt.Sprintf("sources[%d]", i), d.reg.all)
		if m == nil {
			continue
		}
		s := d.source(m)
		if s.Name != "" {
			if line, dup := seen[s.Name]; dup {
				nn, _ := m.get("name")
				d.errorf(nn, m.at("name"), "duplicate source name %q (also on line %d)", s.Name, line)
			} else {
				seen[s.Name] = m.fields["name"].val.Line
			}
		}
		out = append(out, s)
	}
	return out
}

// source decodes one source: its type, then every key into the type's
// configuration by reflection, then validates it.
func (d *decoder) source(m *mapping) Source {
	var cfg SourceConfig
	names := d.reg.names()
	if d.required(m, "type", strings.Join(names, ", ")) {
		n, _ := m.get("type")
		typ := d.str(m, "type", "")
		if t := d.reg.lookup(typ); t != nil {
			cfg = t.DefaultConfig()
		} else if n.Kind == yaml.ScalarNode {
			d.errorf(n, m.at("type"), "unknown source type %q; want one of %s", typ, strings.Join(names, ", "))
		}
	}
	// The type is read: the struct walk leaves it as DefaultConfig set it.
	delete(m.fields, "type")
	common := &SourceCommon{}
	target := reflect.ValueOf(common).Elem()
	if cfg != nil {
		common, target = cfg.Common(), reflect.ValueOf(cfg).Elem()
		allowed := d.reg.keys[common.Type]
		for _, key := range m.order {
			if _, ok := m.fields[key]; ok && !slices.Contains(allowed, key) {
				d.errorf(m.fields[key].key, m.at(key), "%s is not a key of a %s source (it belongs to %s sources)", key, common.Type, d.reg.typesWith(key))
				delete(m.fields, key)
			}
		}
	} else {
		// Check the common settings of a source of unknown type all the same.
		*common = DefaultSourceCommon("", 100)
	}
	failed := map[string]bool{}
	d.decodeStruct(m, target, failed)

	if d.required(m, "name", "a unique name such as wikimedia; it becomes the source column") {
		if n, _ := m.get("name"); n.Kind == yaml.ScalarNode && !sourceNameRE.MatchString(common.Name) {
			d.errorf(n, m.at("name"), "bad source name %q: want letters, digits, _, . and -", common.Name)
			common.Name = ""
		}
	}
	if n, ok := m.get("schedule"); ok && !failed["schedule"] {
		if _, err := cron.ParseStandard(common.Schedule); err != nil {
			d.errorf(n, m.at("schedule"), "bad cron spec %q: %w", common.Schedule, err)
		}
	}
	d.fieldErrors(m, validateCommon(common), failed)
	if cfg != nil {
		d.fieldErrors(m, cfg.Validate(), failed)
	}
	return Source{SourceCommon: common, Settings: cfg}
}

// validator is a configuration section with checks the decoder cannot
// make; validate returns FieldErrors.
type validator interface{ validate() error }

// structSection decodes the section under key of m into the struct v
// points to, which holds the defaults, by its yaml tags (a struct field
// with a key is a section within), then reports the FieldErrors of its
// validate method, if it has one.
func (d *decoder) structSection(m *mapping, key string, v any) {
	rv := reflect.ValueOf(v).Elem()
	sm := d.section(m, key, structKeys(rv.Type()))
	if sm == nil {
		return
	}
	failed := map[string]bool{}
	d.decodeStruct(sm, rv, failed)
	if val, ok := v.(validator); ok {
		d.fieldErrors(sm, val.validate(), failed)
	}
}

// fieldErrors reports the FieldErrors in err, each at its key's line, except
// those about a key whose value already failed to decode. Any other error
// is reported at the source's line.
func (d *decoder) fieldErrors(m *mapping, err error, failed map[string]bool) {
	if err == nil {
		return
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			if _, joined := e.(interface{ Unwrap() []error }); joined {
				d.fieldErrors(m, e, failed)
				continue
			}
			d.errorf(m.node, m.path, "%w", e)
			continue
		}
		if failed[fe.Key] {
			continue
		}
		blame := m.lineOf(fe.Key)
		p := m.at(fe.Key)
		if fe.Index >= 0 {
			p = fmt.Sprintf("%s[%d]", p, fe.Index)
			if n, ok := m.get(fe.Key); ok && n.Kind == yaml.SequenceNode && fe.Index < len(n.Content) {
				blame = n.Content[fe.Index]
			}
		}
		d.errorf(blame, p, "%w", fe.Err)
	}
}

// decodeStruct sets the fields of the struct v from m, by their yaml tags.
// A field whose key is absent keeps its value (the default). Keys whose
// value could not be decoded are added to failed.
func (d *decoder) decodeStruct(m *mapping, v reflect.Value, failed map[string]bool) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key, inline := yamlKey(f)
		if inline {
			d.decodeStruct(m, v.Field(i), failed)
			continue
		}
		if key == "" {
			continue
		}
		before := d.total
		d.decodeField(m, key, v.Field(i), credentialHint(t))
		if d.total > before {
			failed[key] = true
			if f.Type == secretType {
				failed[key+"_env"], failed[key+"_file"] = true, true
			}
		}
	}
}

// decodeField sets field from the value under key, by the field's type.
func (d *decoder) decodeField(m *mapping, key string, field reflect.Value, credHint string) {
	switch {
	case field.Type() == secretType:
		field.Set(reflect.ValueOf(d.secret(m, key)))
		return
	case field.Kind() == reflect.Struct && field.Type() != timeType:
		d.structSection(m, key, field.Addr().Interface())
		return
	}
	n, ok := m.get(key)
	if !ok {
		return
	}
	switch field.Type() {
	case durationType:
		field.SetInt(int64(d.duration(m, key, time.Duration(field.Int()), false)))
	case timeType:
		field.Set(reflect.ValueOf(d.date(m, key)))
	case urlType:
		field.SetString(d.httpURL(m, key, credHint))
	case globsType:
		field.Set(reflect.ValueOf(Globs(d.strList(m, key, checkGlob))))
	case byteSizeType:
		field.SetInt(int64(d.byteSize(m, key, ByteSize(field.Int()))))
	default:
		switch field.Kind() {
		case reflect.String:
			field.SetString(d.str(m, key, field.String()))
		case reflect.Bool:
			field.SetBool(d.boolean(m, key, field.Bool()))
		case reflect.Int, reflect.Int64:
			field.SetInt(d.integer(m, key, field.Int(), math.MinInt64, math.MaxInt64))
		case reflect.Float64:
			if v, ok := d.float(m, key, field.Float()); ok {
				field.SetFloat(v)
			}
		case reflect.Slice:
			if field.Type().Elem().Kind() == reflect.String {
				field.Set(reflect.ValueOf(d.strList(m, key, nil)).Convert(field.Type()))
				return
			}
			fallthrough
		default:
			// A type's configuration uses a field type the decoder does not
			// know: a programming error the sources tests catch.
			d.errorf(n, m.at(key), "cannot decode a %s field", field.Type())
		}
	}
}

func checkGlob(glob string) error {
	if _, err := path.Match(glob, ""); err != nil {
		return fmt.Errorf("bad glob %q: %w", glob, err)
	}
	return nil
}

// credentialHint says where a URL's credentials belong instead, from the
// Secret fields of the struct t (and its username field, when it has one).
func credentialHint(t reflect.Type) string {
	keys := structKeys(t)
	var secrets []string
	for _, k := range keys {
		if base, ok := strings.CutSuffix(k, "_env"); ok && slices.Contains(keys, base+"_file") {
			secrets = append(secrets, fmt.Sprintf("%s_env or %s_file", base, base))
		}
	}
	if len(secrets) == 0 {
		return "give credentials in the keys meant for them"
	}
	hint := "use " + strings.Join(secrets, ", or ")
	if slices.Contains(keys, "username") {
		hint = "set username with " + strings.Join(secrets, ", or ")
	}
	return hint
}

var byteSizeRE = regexp.MustCompile(`^([0-9]+)\s*(B|KiB|MiB|GiB)?$`)

// byteSize reads a size: an integer number of bytes, or one with a unit
// (B, KiB, MiB, GiB).
func (d *decoder) byteSize(m *mapping, key string, def ByteSize) ByteSize {
	n, ok := m.get(key)
	if !ok {
		return def
	}
	p := byteSizeRE.FindStringSubmatch(strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || p == nil {
		d.errorf(n, m.at(key), "want a size such as 67108864, 512KiB or 64MiB, got %s", describe(n))
		return def
	}
	v, err := strconv.ParseInt(p[1], 10, 64)
	shift := map[string]uint{"": 0, "B": 0, "KiB": 10, "MiB": 20, "GiB": 30}[p[2]]
	if err != nil || v > (1<<40)>>shift {
		d.errorf(n, m.at(key), "size %s is too large; want at most 1024GiB", describe(n))
		return def
	}
	return ByteSize(v << shift)
}
