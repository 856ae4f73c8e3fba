package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/dashboards"
)

// runProvision creates or updates the Grafana data source, folder,
// dashboards and alert rules (idempotent); with --out it also writes the
// dashboards' JSON, targets included, for Grafana's file provisioning.
func runProvision(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("provision")
	dryRun := fs.Bool("dry-run", false, "build everything but change nothing in Grafana (with --out, only write the JSON)")
	out := fs.String("out", "", "also write the dashboards' JSON, with the config's targets, into `DIR` (for file provisioning)")
	dsAddr := fs.String("datasource-addr", "", "ClickHouse native `host:port` as Grafana reaches it (default: the first of clickhouse.addr)")
	noAlerts := fs.Bool("no-alerts", false, "do not create or update the alert rules")
	updatePassword := fs.Bool("update-password", false, "send the ClickHouse password to Grafana even when the data source is otherwise unchanged")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	cfg := m.Config

	boards, err := dashboards.Build(dashboards.Options{Targets: provisionTargets(cfg)})
	if err != nil {
		return err
	}
	if *out != "" {
		if err := provisionWriteJSON(*out, boards); err != nil {
			return err
		}
		m.Log.Info("wrote dashboards", "dir", *out, "dashboards", len(boards))
	}
	if *dryRun {
		m.Log.Info("dry run: Grafana not contacted", "dashboards", len(boards), "targets", len(cfg.Targets))
		return nil
	}

	if cfg.Grafana.URL == "" {
		return errors.New("grafana.url is not set: add `grafana: {url: ..., token_env: GRAFANA_TOKEN}` to the config, or use --out DIR --dry-run to write the JSON for file provisioning")
	}
	if !cfg.Grafana.Token.IsSet() {
		return fmt.Errorf("grafana %s: no token: set grafana.token_env (or token_file) to a service account token with the Editor or Admin role", cfg.Grafana.URL)
	}
	token, err := cfg.Grafana.Token.Value()
	if err != nil {
		return fmt.Errorf("grafana.token: %w", err)
	}
	ch := dashboards.ClickHouse{Database: cfg.ClickHouse.Database, Username: cfg.ClickHouse.Username, Addr: *dsAddr}
	if ch.Addr == "" {
		if addrs := cfg.ClickHouse.Addrs(); len(addrs) > 0 {
			ch.Addr = addrs[0]
		}
	}
	if cfg.ClickHouse.Password.IsSet() {
		if ch.Password, err = cfg.ClickHouse.Password.Value(); err != nil {
			return fmt.Errorf("clickhouse.password: %w", err)
		}
	}
	changes, err := dashboards.Provision(ctx, dashboards.ProvisionOptions{
		URL:            string(cfg.Grafana.URL),
		Token:          token,
		FolderTitle:    cfg.Grafana.Folder,
		ClickHouse:     ch,
		Dashboards:     boards,
		Alerts:         !*noAlerts,
		UpdatePassword: *updatePassword,
	})
	for _, c := range changes {
		m.Log.Info("grafana "+string(c.Action), "kind", c.Kind, "uid", c.UID, "title", c.Title)
	}
	if err != nil {
		return err
	}
	m.Log.Info("provisioned", "grafana", cfg.Grafana.URL, "folder", cfg.Grafana.Folder, "dashboards", len(boards))
	return nil
}

// provisionTargets turns the config's targets into the key results
// dashboard's, which read the scoreboard compute writes to key_results.
func provisionTargets(cfg *config.Config) []dashboards.Target {
	var out []dashboards.Target
	for _, t := range cfg.Targets {
		dt := dashboards.Target{Metric: t.Metric, Filter: t.Filter.String(), Due: t.Due}
		if !t.Manual && !t.Figure.IsCount() {
			dt.Unit = t.Figure.Unit.Name
		}
		out = append(out, dt)
	}
	return out
}

// provisionWriteJSON writes each dashboard's JSON into dir.
func provisionWriteJSON(dir string, boards []dashboards.Dashboard) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	for _, d := range boards {
		b, err := d.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, d.File), b, 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}
