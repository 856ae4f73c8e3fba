package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNoSecret is returned by Secret.Value when neither an environment
// variable nor a file is configured.
var ErrNoSecret = errors.New("no secret configured")

// Secret says where a secret is read from: the environment variable Env (key
// <key>_env) or the file File (key <key>_file). At most one is set. A Secret
// never holds the secret itself, so printing or logging it is safe.
type Secret struct {
	Env  string
	File string
}

// IsSet reports whether a source for the secret is configured.
func (s Secret) IsSet() bool { return s.Env != "" || s.File != "" }

// Value reads the secret: the value of the environment variable, or the
// content of the file without trailing whitespace. It fails when the variable
// is unset or empty, or the file cannot be read or is empty. Errors name the
// variable or the file, never the value.
func (s Secret) Value() (string, error) {
	switch {
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		return v, nil
	case s.File != "":
		data, err := os.ReadFile(s.File)
		if err != nil {
			// *fs.PathError names the operation and the file only.
			return "", fmt.Errorf("reading secret file: %w", err)
		}
		v := strings.TrimRight(string(data), " \t\r\n")
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", s.File)
		}
		return v, nil
	default:
		return "", ErrNoSecret
	}
}

// String says where the secret comes from ("env:NAME", "file:PATH" or
// "unset"); it never reads the secret.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "env:" + s.Env
	case s.File != "":
		return "file:" + s.File
	default:
		return "unset"
	}
}
