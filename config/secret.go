package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// Bounds of the files codepace reads.
const (
	// maxSecretBytes bounds a secret file: a token, a password, or a key
	// of a few KiB.
	maxSecretBytes = 16 << 10
	// maxConfigBytes bounds the configuration file.
	maxConfigBytes = 4 << 20
)

// readRegular reads the regular file at path, of at most limit bytes;
// what names the file in errors. Anything else is refused without reading
// it: a FIFO would wait for a writer, /dev/zero never ends.
func readRegular(path string, limit int64, what string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file (%s)", what, path, fi.Mode().Type())
	}
	// O_NONBLOCK: should a FIFO replace the file after Stat, opening it
	// does not wait; f.Stat below refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file", what, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s %s is larger than %d KiB; it should hold only the %s", what, path, limit>>10, strings.TrimSuffix(what, " file"))
	}
	return data, nil
}

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
		data, err := readRegular(s.File, maxSecretBytes, "secret file")
		if err != nil {
			// The errors name the operation and the file only.
			return "", err
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

// Optional reads the secret when one is configured (see Value), and
// returns "" when none is.
func (s Secret) Optional() (string, error) {
	if !s.IsSet() {
		return "", nil
	}
	return s.Value()
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
