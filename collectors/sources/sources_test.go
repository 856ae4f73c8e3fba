package sources

import (
	"strings"
	"testing"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/config"
)

// TestTypes checks every type's registration: unique names, an example that
// parses as an entry of sources into the type's own configuration, and a
// collector built from it.
func TestTypes(t *testing.T) {
	seen := map[string]bool{}
	for _, typ := range Types() {
		name := typ.Name()
		if name == "" || seen[name] {
			t.Fatalf("type name %q empty or registered twice", name)
		}
		seen[name] = true
		if c := typ.DefaultConfig().Common(); c.Type != name || c.PageSize <= 0 {
			t.Errorf("%s: DefaultConfig common settings = %+v", name, c)
		}
		ex := typ.Example()
		if !strings.HasPrefix(ex, "  - name: ") || !strings.Contains(ex, "type: "+name) {
			t.Errorf("%s: example is not an entry of sources of this type:\n%s", name, ex)
		}
		cfg, err := config.Parse([]byte("sources:\n"+ex), name+".yaml", Config())
		if err != nil {
			t.Errorf("%s: example does not parse: %v", name, err)
			continue
		}
		src := cfg.Sources[0]
		if src.Type != name || src.Settings == nil {
			t.Errorf("%s: example parsed as %+v", name, src)
			continue
		}
		for _, sec := range src.Secrets() {
			if sec.Env != "" {
				t.Setenv(sec.Env, "s3cret")
			}
		}
		c, err := NewCollector(src, collectors.Env{})
		if err != nil || c == nil {
			t.Errorf("%s: NewCollector: %v", name, err)
		}
	}
}
