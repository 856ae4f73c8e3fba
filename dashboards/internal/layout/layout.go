// Package layout draws a dashboard's layout as an SVG picture: each panel
// a box at its grid position with its title and kind, each row a band, so
// the README can show what every dashboard looks like.
package layout

import (
	"bytes"
	"fmt"
	"html"
	"strings"
)

// Panel is one panel or row at its position on Grafana's 24-column grid.
type Panel struct {
	Title, Type string
	// Note is shown beside the type, such as the unit.
	Note       string
	X, Y, W, H int
}

// Grid geometry: pixels per grid column and per grid row.
const (
	colPx  = 40
	rowPx  = 26
	margin = 10
	header = 34
)

var fills = map[string]string{
	"timeseries": "#dbeafe",
	"stat":       "#dcfce7",
	"table":      "#fef3c7",
}

// SVG draws the panels under the dashboard title.
func SVG(title string, panels []Panel) []byte {
	bottom := 0
	for _, p := range panels {
		bottom = max(bottom, p.Y+p.H)
	}
	width := 24*colPx + 2*margin
	height := header + bottom*rowPx + 2*margin
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#f8fafc"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="18" font-weight="bold" fill="#0f172a">%s</text>`+"\n", margin, margin+18, html.EscapeString(title))
	for _, p := range panels {
		x := margin + p.X*colPx
		y := header + margin + p.Y*rowPx
		w, h := p.W*colPx, p.H*rowPx
		if p.Type == "row" {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#334155"/>`+"\n", x, y+2, w, h-4)
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" font-weight="bold" fill="#ffffff">%s</text>`+"\n", x+8, y+h/2+5, html.EscapeString(p.Title))
			continue
		}
		fill := fills[p.Type]
		if fill == "" {
			fill = "#e5e7eb"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="#64748b"/>`+"\n", x+2, y+2, w-4, h-4, fill)
		lines := wrap(p.Title, max((w-16)/7, 8))
		maxLines := max((h-26)/15, 1)
		if len(lines) > maxLines {
			lines = append(lines[:maxLines-1], strings.TrimSpace(lines[maxLines-1])+"…")
		}
		for i, l := range lines {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#0f172a">%s</text>`+"\n", x+9, y+18+15*i, html.EscapeString(l))
		}
		kind := p.Type
		if p.Note != "" {
			kind += " · " + p.Note
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#475569">%s</text>`+"\n", x+9, y+h-9, html.EscapeString(kind))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// wrap breaks s into lines of at most n characters, at spaces.
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= n:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
