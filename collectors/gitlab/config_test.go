package gitlab

import (
	"strings"
	"testing"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/config"
)

func TestConfigErrorsNameTheirKeyAndLine(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"    url: https://gitlab.example.org/\n", "codepace.yaml:2: sources[0].group: required"},
		{"    url: https://gitlab.example.org/\n    group: wm\n    projects: [wm/a]\n", "codepace.yaml:7: sources[0].projects: set group or projects, not both"},
		{"    url: https://gitlab.example.org/\n    projects: [wm/a, lonely]\n", "codepace.yaml:6: sources[0].projects[1]: bad project \"lonely\""},
		{"    group: wm\n", "url: required"},
		{"    url: https://gitlab.example.org/\n    group: wm\n    page_size: 500\n", "page_size: must be between 1 and 100"},
	} {
		doc := "sources:\n  - name: lab\n    type: gitlab\n    since: 2024-01-01\n" + tt.yaml
		_, err := config.Parse([]byte(doc), "codepace.yaml", []config.SourceType{Type()})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestConfigBuildsTheCollector(t *testing.T) {
	t.Setenv("LAB_TOKEN", "glpat-x")
	doc := "sources:\n  - name: lab\n    type: gitlab\n    since: 2024-01-01\n    url: https://gitlab.example.org/\n" +
		"    projects: [wm/a]\n    token_env: LAB_TOKEN\n    ci: true\n"
	cfg, err := config.Parse([]byte(doc), "codepace.yaml", []config.SourceType{Type()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Type().NewCollector(cfg.Sources[0].Settings, collectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	g := c.(*Collector)
	if g.Name() != "lab" || !g.opts.CI || g.opts.Token != "glpat-x" || g.opts.PageSize != 100 || g.opts.Retries != 5 {
		t.Errorf("collector options %+v", g.opts)
	}
}
