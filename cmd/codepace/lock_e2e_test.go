package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// holdLock takes the lock on path as another process would, until the
// test ends.
func holdLock(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
}

// TestLockHeldMessages: when the lock is held, `run` suggests --lock-wait
// and `daemon`, which has no such flag, does not.
func TestLockHeldMessages(t *testing.T) {
	e := setup(t, history(), "")
	lock := filepath.Join(t.TempDir(), "held.lock")
	holdLock(t, lock)
	out, err := e.codepace(t, "run", "--lock", lock)
	if err == nil || !strings.Contains(out, "another codepace run holds the lock "+lock) || !strings.Contains(out, "use --lock-wait") {
		t.Errorf("run with the lock held: %v\n%s", err, out)
	}
	out, err = e.codepace(t, "daemon", "--lock", lock, "--listen", freeAddr(t))
	if err == nil || !strings.Contains(out, "holds the lock "+lock) || !strings.Contains(out, "the daemon did not start") ||
		strings.Contains(out, "--lock-wait") {
		t.Errorf("daemon with the lock held: %v\n%s", err, out)
	}
}

// TestDefaultLockIsPrivate: without --lock, the lock lives in a directory
// of the user's own (mode 0700 under the cache directory), so a lock file
// another user made in the shared $TMPDIR, under the old default name,
// does not keep the run out.
func TestDefaultLockIsPrivate(t *testing.T) {
	e := setup(t, history(), "")
	tmp, cache := t.TempDir(), t.TempDir()
	if err := os.Chmod(tmp, 0o1777); err != nil {
		t.Fatal(err)
	}
	holdLock(t, filepath.Join(tmp, "codepace-"+e.db+".lock"))
	cmd := exec.Command(binary, "run", "--config", e.conf)
	cmd.Env = append(os.Environ(), "E2E_GERRIT_PASSWORD=s3cret-pass", "TMPDIR="+tmp, "XDG_CACHE_HOME="+cache)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run with a stranger's lock in $TMPDIR: %v\n%s", err, out)
	}
	fi, err := os.Stat(filepath.Join(cache, "codepace"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("lock directory: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(cache, "codepace", e.db+".lock")); err != nil {
		t.Error(err)
	}
}

// TestDefaultLockDirectory: the lock directory falls back to
// $TMPDIR/codepace-UID when the cache directory cannot be made, and a
// directory other users can write is refused with its name.
func TestDefaultLockDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_CACHE_HOME", "/dev/null/cache")
	path, err := defaultLockPath("codepace")
	fallback := filepath.Join(tmp, "codepace-"+strconv.Itoa(os.Getuid()))
	if err != nil || path != filepath.Join(fallback, "codepace.lock") {
		t.Fatalf("defaultLockPath = %q, %v; want it under %s", path, err, fallback)
	}
	if err := os.Chmod(fallback, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := defaultLockPath("codepace"); err == nil || !strings.Contains(err.Error(), fallback+" can be written by other users") ||
		!strings.Contains(err.Error(), "--lock") {
		t.Errorf("a world-writable lock directory: %v", err)
	}
}
