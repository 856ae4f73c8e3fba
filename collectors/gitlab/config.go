package gitlab

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/config"
)

// Config is the configuration of a GitLab source (type: gitlab).
type Config struct {
	config.SourceCommon `yaml:",inline"`
	config.BotsSetting  `yaml:",inline"`
	// URL is the GitLab instance, such as https://gitlab.com/.
	URL config.URL `yaml:"url"`
	// Group is a group's full path; its projects and its subgroups' are
	// read. Projects are project paths read instead; one of the two.
	Group    string   `yaml:"group"`
	Projects []string `yaml:"projects"`
	// Token is an access token with the read_api scope; without one only
	// public projects can be read.
	Token config.Secret `yaml:"token"`
	// CI also collects the projects' GitLab CI jobs as builds.
	CI bool `yaml:"ci"`
}

// Validate checks what the decoder cannot.
func (c *Config) Validate() error {
	errs := []error{
		config.Required(c.URL == "", "url", "the GitLab instance, such as https://gitlab.com/"),
		config.Between("page_size", c.PageSize, 1, maxPageSize),
	}
	switch {
	case c.Group == "" && len(c.Projects) == 0:
		errs = append(errs, config.KeyError("group", "required: a group's full path, or projects (project paths such as group/name)"))
	case c.Group != "" && len(c.Projects) > 0:
		errs = append(errs, config.KeyError("projects", "set group or projects, not both"))
	}
	for i, p := range c.Projects {
		if strings.Trim(p, "/") != p || !strings.Contains(p, "/") || strings.ContainsAny(p, " \t") {
			errs = append(errs, config.ItemError("projects", i, "bad project %q: want its full path, such as group/name", p))
		}
	}
	return errors.Join(errs...)
}

//go:embed example.yaml
var example string

// Type returns the gitlab source type.
func Type() collectors.SourceType {
	return collectors.NewSourceType("gitlab", example, DefaultConfig, fromConfig)
}

// DefaultConfig returns a GitLab source's configuration with its defaults.
func DefaultConfig() Config {
	return Config{SourceCommon: config.DefaultSourceCommon("gitlab", maxPageSize)}
}

// fromConfig returns the collector of a GitLab source. It reads the
// token and makes no request.
func fromConfig(c *Config, env collectors.Env) (collectors.Collector, error) {
	token, err := c.Token.Optional()
	if err != nil {
		return nil, fmt.Errorf("source %s: token: %w", c.Name, err)
	}
	return New(Options{
		Name: c.Name, URL: string(c.URL), Group: c.Group, Projects: c.Projects, Token: token, CI: c.CI,
		PageSize: c.PageSize, Timeout: c.Timeout, Retries: c.Retries, MaxAnswerBytes: int64(c.MaxAnswerBytes),
		Logger: env.Logger, Progress: env.Progress,
	})
}
