package gerrit

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/config"
)

// Defaults of a Gerrit source.
const (
	// defaultPageSize is how many changes one query asks for (Gerrit caps it
	// at the account's queryLimit).
	defaultPageSize = 500
	// defaultConcurrency is how many backfill windows are read at once.
	defaultConcurrency = 3
)

// typeName is the value of the type key of these sources.
const typeName = "gerrit"

// Config is the configuration of a Gerrit source (type: gerrit).
type Config struct {
	config.SourceCommon `yaml:",inline"`
	config.BotsSetting  `yaml:",inline"`
	// URL is the Gerrit base URL.
	URL config.URL `yaml:"url"`
	// Projects are the projects to collect; empty means all visible.
	Projects []string `yaml:"projects"`
	// Username and Password authenticate with HTTP Basic on the /a/
	// endpoints; an empty Username reads anonymously.
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
	// Concurrency is how many backfill windows are read at once.
	Concurrency int `yaml:"concurrency"`
}

// DefaultConfig returns a Gerrit source's configuration with its defaults.
func DefaultConfig() Config {
	return Config{
		SourceCommon: config.DefaultSourceCommon(typeName, defaultPageSize),
		Concurrency:  defaultConcurrency,
	}
}

// Validate checks what the decoder cannot.
func (c *Config) Validate() error {
	return errors.Join(
		config.Required(c.URL == "", "url", "the Gerrit base URL, such as https://gerrit.example.org/"),
		config.Between("concurrency", c.Concurrency, 1, 16),
		config.UserSecret(c.Username, c.Password, "password"),
	)
}

//go:embed example.yaml
var example string

// Type returns the gerrit source type.
func Type() collectors.SourceType {
	return collectors.NewSourceType(typeName, example, DefaultConfig, fromConfig)
}

// fromConfig returns the collector of a Gerrit source; it reads the password
// and makes no request.
func fromConfig(c *Config, env collectors.Env) (collectors.Collector, error) {
	opts := Options{
		Name: c.Name, URL: string(c.URL), Projects: c.Projects, Username: c.Username,
		PageSize: c.PageSize, Window: c.Window, Timeout: c.Timeout, Retries: c.Retries, MaxAnswerBytes: int64(c.MaxAnswerBytes),
		Concurrency: c.Concurrency, IsBot: env.IsBot, Logger: env.Logger, Progress: env.Progress,
	}
	var err error
	if opts.Password, err = c.Password.Optional(); err != nil {
		return nil, fmt.Errorf("source %s: password: %w", c.Name, err)
	}
	return New(opts)
}
