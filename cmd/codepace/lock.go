package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// errLocked is returned by acquireLock when another process holds the lock.
var errLocked = errors.New("another codepace run holds the lock")

// acquireLock takes an exclusive lock on path (by default
// defaultLockPath), so that two runs never overlap. With wait 0 it fails
// at once, with an error wrapping errLocked, when another process holds
// it; otherwise it retries until wait has passed.
func (m *Main) acquireLock(ctx context.Context, path string, wait time.Duration) error {
	if path == "" {
		var err error
		if path, err = defaultLockPath(m.Config.ClickHouse.Database); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			m.lock = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return fmt.Errorf("%w %s (a `codepace daemon` or `codepace run` of this database)", errLocked, path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// defaultLockPath is the lock of database when --lock is not given:
// database.lock in a directory only this user can write, so that another
// local user cannot take the lock first and keep every run out (as in a
// shared $TMPDIR). The directory is codepace under the user's cache
// directory ($XDG_CACHE_HOME or ~/.cache), made with mode 0700; where that
// cannot be made (no home, a read-only one, as in the container images),
// $TMPDIR/codepace-UID with mode 0700. Either must belong to this user and
// be writable by nobody else.
func defaultLockPath(database string) (string, error) {
	var tried []error
	if cache, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(cache, "codepace")
		err := privateDir(dir)
		if err == nil {
			return filepath.Join(dir, database+".lock"), nil
		}
		tried = append(tried, err)
	}
	dir := filepath.Join(os.TempDir(), "codepace-"+strconv.Itoa(os.Getuid()))
	if err := privateDir(dir); err != nil {
		return "", fmt.Errorf("no private directory for the lock file (pass --lock FILE): %w", errors.Join(append(tried, err)...))
	}
	return filepath.Join(dir, database+".lock"), nil
}

// privateDir makes dir (mode 0700) unless it exists, and checks that it is
// a directory of this user that no one else can write.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to uid %d, not to this user (uid %d)", dir, st.Uid, os.Getuid())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s can be written by other users (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}
