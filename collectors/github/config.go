package github

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
const typeName = "github"

// Config is the configuration of a GitHub source (type: github).
type Config struct {
	config.SourceCommon `yaml:",inline"`
	config.BotsSetting  `yaml:",inline"`
	// Owner is the organisation or user whose repositories are read.
	Owner string `yaml:"owner"`
	// Repos are repositories, "name" (of Owner) or "owner/name"; empty
	// means every repository of Owner.
	Repos []string `yaml:"repos"`
	// Token is the personal access or installation token.
	Token config.Secret `yaml:"token"`
	// BaseURL is the GitHub Enterprise API URL; empty means github.com.
	BaseURL config.URL `yaml:"base_url"`
	// API is how pull requests are read: "graphql" (the default: a few
	// queries per hundred pull requests) or "rest" (about five requests
	// per pull request), for servers without GraphQL.
	API string `yaml:"api"`
	// Actions also collects the repositories' GitHub Actions workflow runs
	// and jobs as builds.
	Actions bool `yaml:"actions"`
	// ActionsLookback is how far before the window's start workflow runs
	// are listed again, to store runs that completed or were re-run since
	// the last collection.
	ActionsLookback time.Duration `yaml:"actions_lookback"`
}

// DefaultConfig returns a GitHub source's configuration with its defaults.
func DefaultConfig() Config {
	return Config{
		SourceCommon:    config.DefaultSourceCommon(typeName, maxPageSize),
		ActionsLookback: defaultActionsLookback,
		API:             APIGraphQL,
	}
}

// Validate checks what the decoder cannot.
func (c *Config) Validate() error {
	errs := []error{
		config.Between("page_size", c.PageSize, 1, maxPageSize),
		config.Positive("actions_lookback", c.ActionsLookback),
	}
	if c.API != APIGraphQL && c.API != APIREST {
		errs = append(errs, config.KeyError("api", "want graphql or rest, got %q", c.API))
	}
	if c.Owner == "" {
		errs = append(errs, config.Required(true, "owner", "the organisation or user whose repositories are collected"))
	} else if strings.ContainsAny(c.Owner, "/ \t") {
		errs = append(errs, config.KeyError("owner", "bad owner %q: want an organisation or user name", c.Owner))
	}
	for i, r := range c.Repos {
		if strings.Count(r, "/") > 1 || strings.HasPrefix(r, "/") || strings.HasSuffix(r, "/") || strings.ContainsAny(r, " \t") {
			errs = append(errs, config.ItemError("repos", i, "bad repository %q: want name (of owner) or owner/name", r))
		}
	}
	if !c.Token.IsSet() {
		errs = append(errs, config.KeyError("token_env", "required: a GitHub source needs token_env or token_file"))
	}
	return errors.Join(errs...)
}

//go:embed example.yaml
var example string

// Type returns the github source type.
func Type() collectors.SourceType {
	return collectors.NewSourceType(typeName, example, DefaultConfig, fromConfig)
}

// fromConfig returns the collector of a GitHub source; it reads the token
// and makes no request.
func fromConfig(c *Config, env collectors.Env) (collectors.Collector, error) {
	opts := Options{
		Name: c.Name, Owner: c.Owner, Repos: c.Repos, BaseURL: string(c.BaseURL), API: c.API,
		PageSize: c.PageSize, Timeout: c.Timeout, Retries: c.Retries, MaxAnswerBytes: int64(c.MaxAnswerBytes),
		Actions: c.Actions, ActionsLookback: c.ActionsLookback,
		Logger: env.Logger, Progress: env.Progress,
	}
	var err error
	if opts.Token, err = c.Token.Optional(); err != nil {
		return nil, fmt.Errorf("source %s: token: %w", c.Name, err)
	}
	return New(opts)
}
