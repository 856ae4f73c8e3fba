// Package sources lists the source types codepace collects from: adding a
// type is one folder under collectors/ and one line in Types. It builds the
// collector of a configured source.
package sources

import (
	"fmt"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/gerrit"
	"github.com/codepace/codepace/collectors/github"
	"github.com/codepace/codepace/collectors/gitlab"
	"github.com/codepace/codepace/collectors/jenkins"
	"github.com/codepace/codepace/config"
)

// Types returns every source type, one line each.
func Types() []collectors.SourceType {
	return []collectors.SourceType{
		gerrit.Type(),
		github.Type(),
		gitlab.Type(),
		jenkins.Type(),
	}
}

// Config returns the source types as the configuration sees them, for
// config.Load and config.Parse.
func Config() []config.SourceType {
	var out []config.SourceType
	for _, t := range Types() {
		out = append(out, t)
	}
	return out
}

// NewCollector returns the collector of a configured source.
func NewCollector(src config.Source, env collectors.Env) (collectors.Collector, error) {
	for _, t := range Types() {
		if t.Name() == src.Type {
			return t.NewCollector(src.Settings, env)
		}
	}
	return nil, fmt.Errorf("source %s: type %s is not supported by this version of codepace", src.Name, src.Type)
}
