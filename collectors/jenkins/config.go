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

// typeName is the value of the type key of these sources.
const typeName = "jenkins"

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
		SourceCommon: config.DefaultSourceCommon(typeName, defaultPageSize),
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

// Type returns the jenkins source type.
func Type() collectors.SourceType {
	return collectors.NewSourceType(typeName, example, DefaultConfig, fromConfig)
}

// fromConfig returns the collector of a Jenkins source; it reads the token
// and makes no request.
func fromConfig(c *Config, env collectors.Env) (collectors.Collector, error) {
	opts := Options{
		Name: c.Name, URL: string(c.URL), Jobs: c.Jobs, Username: c.Username,
		PageSize: c.PageSize, Timeout: c.Timeout, Retries: c.Retries, MaxRunning: c.MaxRunning, MaxAnswerBytes: int64(c.MaxAnswerBytes),
		Logger: env.Logger, Progress: env.Progress,
	}
	var err error
	if opts.Token, err = c.Token.Optional(); err != nil {
		return nil, fmt.Errorf("source %s: token: %w", c.Name, err)
	}
	return New(opts)
}
