package main

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors/sources"
	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/internal/chtest"
)

// chromium returns the path of a Chromium to render pages with:
// CODEPACE_TEST_CHROMIUM, else chromium on the PATH. Without one the test
// skips, unless CODEPACE_REQUIRE_BROWSER=1 (deploy/test.sh, which installs
// Debian's chromium), where it fails: CI never skips the browser check.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CODEPACE_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CODEPACE_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium on the PATH (nor CODEPACE_TEST_CHROMIUM) but CODEPACE_REQUIRE_BROWSER=1: the browser test must run")
	}
	t.Skip("no chromium on the PATH: set CODEPACE_TEST_CHROMIUM, or run deploy/test.sh, which installs it")
	return ""
}

// headless runs Chromium headless on the file page with args and returns
// its standard output.
func headless(t *testing.T, browser, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, append(args, "file://"+page)...)
	cmd := exec.CommandContext(ctx, browser, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// The demo (deploy/demo.sh) writes its scoreboard as an HTML page; a real
// browser renders it: the DOM holds a card for every target of the demo's
// config, in order, with the target's status, and the screenshot is not
// blank and shows each status's colour.
func TestDemoReportInBrowser(t *testing.T) {
	browser := chromium(t)
	addr, db := chtest.Database(t)
	dir := t.TempDir()
	demo := exec.Command("bash", "../../deploy/demo.sh")
	demo.Env = append(os.Environ(), "DEMO_CLICKHOUSE="+addr, "DEMO_DATABASE="+db, "DEMO_DIR="+dir,
		"DEMO_PORT="+strconv.Itoa(freePort(t)))
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("deploy/demo.sh: %v\n%s", err, out)
	}
	cfg, err := config.Load(filepath.Join(dir, "codepace.yaml"), sources.Config())
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "key-results.html")

	dom := string(headless(t, browser, page, "--dump-dom"))
	cards := regexp.MustCompile(`<section class="card (\w+)">\s*<h2>([^<]*)</h2>`).FindAllStringSubmatch(dom, -1)
	if len(cards) != len(cfg.Targets) || len(cards) == 0 {
		t.Fatalf("%d cards for %d targets in the rendered page:\n%s", len(cards), len(cfg.Targets), dom)
	}
	statuses := map[string]bool{}
	for i, c := range cards {
		if c[2] != cfg.Targets[i].Metric {
			t.Errorf("card %d shows %s, want %s", i, c[2], cfg.Targets[i].Metric)
		}
		statuses[c[1]] = true
	}
	// The newcomer targets lack data and the survey is on track whatever
	// the date; the others move with the weekday the history starts on.
	if !statuses["no_data"] || !statuses["on_track"] {
		t.Errorf("the demo shows statuses %v: want a mix, no_data and on_track among them", statuses)
	}
	if n := strings.Count(dom, "<svg "); n != len(cfg.Targets) {
		t.Errorf("%d charts for %d targets", n, len(cfg.Targets))
	}

	shot := filepath.Join(dir, "key-results.png")
	headless(t, browser, page, "--window-size=1280,1600", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Not blank: a good share of the pixels is neither the page's
	// background nor a card's white; each status shown has its colour.
	colours := map[string]color.RGBA{"met": {0x1a, 0x7f, 0x37, 0xff}, "on_track": {0x09, 0x69, 0xda, 0xff},
		"behind": {0xcf, 0x22, 0x2e, 0xff}, "no_data": {0x81, 0x8b, 0x98, 0xff}}
	counts := map[color.RGBA]int{}
	drawn, total := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgba(img, x, y)
			counts[c]++
			total++
			if c != (color.RGBA{0xf6, 0xf8, 0xfa, 0xff}) && c != (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
				drawn++
			}
		}
	}
	if drawn*100 < total*3 {
		t.Errorf("the screenshot is nearly blank: %d of %d pixels drawn", drawn, total)
	}
	for status := range statuses {
		if counts[colours[status]] < 200 {
			t.Errorf("the screenshot has %d pixels of %s's colour", counts[colours[status]], status)
		}
	}
}

func rgba(img image.Image, x, y int) color.RGBA {
	r, g, b, a := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}
