package jenkins

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/config"
)

// Config is the configuration of a Jenkins source (type: jenkins).
type Config struct {
	config.SourceCommon `yaml:",inline"`
	// URL is the Jenkins root URL.
	URL config.URL `yaml:"url"`
	// Jobs are job or folder paths such as "folder/job"; empty means all.
	Jobs []string `yaml:"jobs"`
	// Username and Token (an API token of that user) authenticate with
	// HTTP Basic; an empty Username reads anonymously.
	Username string        `yaml:"username"`
	Token    config.Secret `yaml:"token"`
	// MaxRunning is how long a running build holds the cursor back so that
	// it is stored once finished.
	MaxRunning time.Duration `yaml:"max_running"`
}

// DefaultConfig returns a Jenkins source's configuration with its
// defaults.
func DefaultConfig() Config {
	return Config{
		SourceCommon: config.DefaultSourceCommon(Type{}.Name(), defaultPageSize),
		MaxRunning:   defaultMaxRunning,
	}
}

// Validate checks what the decoder cannot.
func (c *Config) Validate() error {
	errs := []error{
		config.Required(c.URL == "", "url", "the Jenkins base URL, such as https://jenkins.example.org/"),
		config.Positive("max_running", c.MaxRunning),
		config.UserSecret(c.Username, c.Token, "token"),
	}
	for i, j := range c.Jobs {
		for _, part := range strings.Split(j, "/") {
			if strings.TrimSpace(part) == "" {
				errs = append(errs, config.ItemError("jobs", i, "bad job path %q: want folder/job, with no empty part", j))
				break
			}
		}
	}
	return errors.Join(errs...)
}

//go:embed example.yaml
var example string

// Type is the jenkins source type.
type Type struct{}

// Name returns "jenkins".
func (Type) Name() string { return "jenkins" }

// DefaultConfig returns a *Config holding the defaults.
func (Type) DefaultConfig() config.SourceConfig {
	c := DefaultConfig()
	return &c
}

// Example returns a commented example of a Jenkins source.
func (Type) Example() string { return example }

// NewCollector returns the collector of a Jenkins source; cfg is a
// *Config.
func (Type) NewCollector(cfg config.SourceConfig, env collectors.Env) (collectors.Collector, error) {
	c := cfg.(*Config)
	opts := Options{
		Name: c.Name, URL: string(c.URL), Jobs: c.Jobs, Username: c.Username,
		PageSize: c.PageSize, Timeout: c.Timeout, Retries: c.Retries, MaxRunning: c.MaxRunning,
		Logger: env.Logger, Progress: env.Progress,
	}
	if c.Token.IsSet() {
		var err error
		if opts.Token, err = c.Token.Value(); err != nil {
			return nil, fmt.Errorf("source %s: token: %w", c.Name, err)
		}
	}
	return New(opts)
}
