package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// secondClickHouse is a ClickHouse server of the test's own, on free ports
// and with its own data, temporary and log directories, so that a test can
// kill and restart it without disturbing the shared server other packages'
// tests use. It has a user "codepace" with a password, to show that
// ClickHouse's password never leaks either.
type secondClickHouse struct {
	bin, dir, conf string
	addr           string // 127.0.0.1:tcp_port
	password       string
	cred           *syscall.Credential // run as the clickhouse user when root
	cmd            *exec.Cmd
	exited         chan struct{}
}

// findClickHouseServer returns the clickhouse-server binary, or skips the
// test when there is none (fails it under CODEPACE_REQUIRE_CLICKHOUSE=1).
func findClickHouseServer(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CODEPACE_REQUIRE_CLICKHOUSE") == "1" {
		t.Fatal("clickhouse-server is not installed but CODEPACE_REQUIRE_CLICKHOUSE=1: the restart test must run")
	}
	t.Skip("clickhouse-server is not installed: the ClickHouse restart test needs a server of its own")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newSecondClickHouse writes the server's configuration into a fresh
// directory and starts it.
func newSecondClickHouse(t *testing.T) *secondClickHouse {
	t.Helper()
	s := &secondClickHouse{bin: findClickHouseServer(t), password: "ch-Pa55word-e2e-7b41"}
	dir, err := os.MkdirTemp("", "codepace-clickhouse2-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() {
		s.kill(t)
		if t.Failed() {
			t.Logf("second ClickHouse kept for inspection in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	tcp, httpPort, inter := freePort(t), freePort(t), freePort(t)
	s.addr = "127.0.0.1:" + strconv.Itoa(tcp)
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>%[1]s/log/clickhouse-server.log</log>
        <errorlog>%[1]s/log/clickhouse-server.err.log</errorlog>
        <size>10M</size>
        <count>2</count>
    </logger>
    <tcp_port>%[2]d</tcp_port>
    <http_port>%[3]d</http_port>
    <interserver_http_port>%[4]d</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>200</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>%[1]s/data/</path>
    <tmp_path>%[1]s/tmp/</tmp_path>
    <user_files_path>%[1]s/user_files/</user_files_path>
    <format_schema_path>%[1]s/format_schemas/</format_schema_path>
    <users_config>%[1]s/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
</yandex>
`, dir, tcp, httpPort, inter)
	users := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
    <profiles>
        <default><max_memory_usage>4000000000</max_memory_usage><load_balancing>random</load_balancing></default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <codepace>
            <password>%s</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </codepace>
    </users>
    <quotas>
        <default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default>
    </quotas>
</yandex>
`, s.password)
	s.conf = filepath.Join(dir, "config.xml")
	if err := os.WriteFile(s.conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
	// As root, run the server as the clickhouse user, as the shared one
	// runs, and give it the directory.
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("clickhouse"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
			err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
				if err != nil {
					return err
				}
				return os.Chown(p, uid, gid)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	s.start(t)
	return s
}

// start starts the server and waits until it answers.
func (s *secondClickHouse) start(t *testing.T) {
	t.Helper()
	out, err := os.OpenFile(filepath.Join(s.dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(s.bin, "--config-file="+s.conf)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start clickhouse-server: %v", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if err := s.ping(); err == nil {
			return
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "log", "clickhouse-server.err.log"))
			so, _ := os.ReadFile(filepath.Join(s.dir, "log", "stdout.log"))
			t.Fatalf("the second clickhouse-server exited at start:\n%s\n%s", so, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second clickhouse-server on %s did not answer within 90s", s.addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *secondClickHouse) ping() error {
	conn, err := s.open()
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return conn.Ping(ctx)
}

// open connects as the default user.
func (s *secondClickHouse) open() (driver.Conn, error) {
	return clickhouse.Open(&clickhouse.Options{Addr: []string{s.addr}, DialTimeout: 2 * time.Second,
		Auth: clickhouse.Auth{Database: "default", Username: "default"}})
}

// kill ends the server with SIGKILL, as a crash or the OOM killer does,
// and waits until it is gone.
func (s *secondClickHouse) kill(t *testing.T) {
	t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("clickhouse-server %d did not die", s.cmd.Process.Pid)
	}
}

// env builds a config for history's fake Gerrit against this server, as
// the user with a password.
func (s *secondClickHouse) env(t *testing.T, gerritURL, db, extra string) *env {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "codepace.yaml")
	body := fmt.Sprintf(`clickhouse:
  addr: %s
  database: %s
  username: codepace
  password_env: E2E_CLICKHOUSE_PASSWORD
  dial_timeout: 3s
sources:
  - name: demo
    type: gerrit
    url: %s
    since: 2024-01-01
    bots: ["*-bot"]
    username: collector
    password_env: E2E_GERRIT_PASSWORD
%s`, s.addr, db, gerritURL, extra)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("E2E_CLICKHOUSE_PASSWORD", s.password)
	conn, err := s.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &env{conf: conf, db: db, conn: conn}
}

// reconnect replaces the env's connection after a restart.
func (s *secondClickHouse) reconnect(t *testing.T, e *env) {
	t.Helper()
	conn, err := s.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e.conn = conn
}

// containsAny reports which of the secrets text contains.
func containsAny(text string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}
