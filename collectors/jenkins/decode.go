package jenkins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
)

// buildFields are the build properties codepace asks for in `tree`.
const buildFields = "number,timestamp,duration,result,building,url,queueId,actions[parameters[name,value],queuingDurationMillis]"

// itemJSON is a Jenkins item (the root, a folder, a multibranch project or
// a job) as the JSON API renders the tree codepace asks for. Jobs is nil
// unless the item holds jobs; AllBuilds is nil unless it has builds.
type itemJSON struct {
	Class     string      `json:"_class"`
	Jobs      []childJSON `json:"jobs"`
	AllBuilds []buildJSON `json:"allBuilds"`
}

// check tells what is wrong with a decoded item answer, or "". JSON that
// carries none of the properties codepace asked for (`{}`, `null`, an
// object a proxy or a plugin sent in Jenkins' place) is not an item without
// builds: taking it for one would lose the job's builds and move the
// cursor past them. Jenkins always sends _class; a job sends allBuilds
// (`[]` when it has none) and a folder jobs.
func (it *itemJSON) check() string {
	if it.Class == "" && it.Jobs == nil && it.AllBuilds == nil {
		return "is JSON but not the Jenkins item asked for: it has none of _class, jobs and allBuilds"
	}
	return ""
}

// pageJSON is a further page of a job's builds (a tree of allBuilds{M,N}
// only).
type pageJSON struct {
	Class     string      `json:"_class"`
	AllBuilds []buildJSON `json:"allBuilds"`
}

// check tells what is wrong with a decoded page of builds, or "": the
// page of a job must list allBuilds (`[]` past the last build), else the
// paging would end as if the history had.
func (p *pageJSON) check() string {
	if p.AllBuilds == nil {
		return "is JSON but not the page of builds asked for: it has no allBuilds"
	}
	return ""
}

// checker is an answer decode checks once decoded.
type checker interface{ check() string }

// childJSON is one entry of an item's jobs.
type childJSON struct {
	Class string `json:"_class"`
	Name  string `json:"name"`
	URL   string `json:"url"`
}

// buildJSON is one build (a Run).
type buildJSON struct {
	Class     string  `json:"_class"`
	Number    int64   `json:"number"`
	Timestamp int64   `json:"timestamp"` // start, epoch ms
	Duration  int64   `json:"duration"`  // ms; 0 while building
	Result    *string `json:"result"`    // null while building
	Building  bool    `json:"building"`
	URL       string  `json:"url"`
	QueueID   int64   `json:"queueId"`
	Actions   []struct {
		Class      string `json:"_class"`
		Parameters []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"parameters"`
		// QueuingDurationMillis is the metrics plugin's TimeInQueueAction:
		// the whole time the build waited in the queue.
		QueuingDurationMillis *int64 `json:"queuingDurationMillis"`
	} `json:"actions"`
}

// isFolder tells whether a child is a folder-like item (a folder, an
// organisation folder, a multibranch project) whose jobs are walked,
// rather than a job with builds, from its _class alone.
func isFolder(class string) bool {
	short := class[strings.LastIndexByte(class, '.')+1:]
	return strings.HasSuffix(short, "Folder") || strings.Contains(short, "MultiBranchProject")
}

// running tells whether a build has not finished yet.
func (b *buildJSON) running() bool { return b.Building || b.Result == nil }

// started returns when the build started.
func (b *buildJSON) started() time.Time { return time.UnixMilli(b.Timestamp).UTC() }

// params returns the build's parameters by name (the first value of a
// name wins), as text.
func (b *buildJSON) params() map[string]string {
	out := map[string]string{}
	for _, a := range b.Actions {
		for _, p := range a.Parameters {
			if _, ok := out[p.Name]; ok || p.Name == "" {
				continue
			}
			out[p.Name] = paramText(p.Value)
		}
	}
	return out
}

// paramText renders a parameter value (a string, a number, a boolean) as
// text; other values give "".
func paramText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	switch raw[0] {
	case '{', '[', 'n':
		return ""
	}
	return string(raw)
}

// queued returns the time the build waited in the queue, when the metrics
// plugin recorded it.
func (b *buildJSON) queued() *int64 {
	for _, a := range b.Actions {
		if a.QueuingDurationMillis != nil && *a.QueuingDurationMillis >= 0 {
			s := *a.QueuingDurationMillis / 1000
			return &s
		}
	}
	return nil
}

// job names one Jenkins job by its path of item names, as Jenkins spells
// them (a multibranch branch "feature/x" is the item "feature%2Fx").
type job []string

// FullName is the job's full name: its item names joined by "/", as
// Jenkins' fullName.
func (j job) FullName() string { return strings.Join(j, "/") }

// Folder is the path of the folders the job is in; "" at the top level.
func (j job) Folder() string {
	if len(j) <= 1 {
		return ""
	}
	return strings.Join(j[:len(j)-1], "/")
}

// path is the job's URL path below the Jenkins root: job/A/job/B/, each
// name escaped (so "feature%2Fx" becomes "feature%252Fx", as Jenkins wants).
func (j job) path() string {
	var b strings.Builder
	for _, n := range j {
		b.WriteString("job/")
		b.WriteString(url.PathEscape(n))
		b.WriteByte('/')
	}
	return b.String()
}

// parseJob reads a configured job path "A/B/job"; empty segments (a
// leading, trailing or doubled "/") are refused.
func parseJob(s string) (job, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, fmt.Errorf("jobs: empty job path")
	}
	parts := strings.Split(t, "/")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("jobs: %q: want a job path such as folder/job (no empty parts)", s)
		}
	}
	return job(parts), nil
}

// maxDuration bounds a build's duration: no build that lasts longer can
// start and finish within the instants ClickHouse can store (1970 to
// 2105). It keeps the finish computable: time.Duration overflows past 292
// years.
var maxDuration = collectors.MaxTime.Sub(collectors.MinTime)

// toBuild maps a finished build of j onto a record. base is the Jenkins
// root URL, used when the build carries no url. The caller checks that the
// start and finish can be stored (see storable).
func toBuild(source, base string, j job, b *buildJSON) (collectors.Build, error) {
	if b.Timestamp <= 0 {
		return collectors.Build{}, fmt.Errorf("build #%d of %s has no start time", b.Number, j.FullName())
	}
	if b.Duration < 0 {
		return collectors.Build{}, fmt.Errorf("build #%d of %s has a negative duration", b.Number, j.FullName())
	}
	if b.Duration > maxDuration.Milliseconds() {
		return collectors.Build{}, fmt.Errorf("build #%d of %s has a duration of %d ms (%.0f years), longer than any storable build (%.0f years)",
			b.Number, j.FullName(), b.Duration, float64(b.Duration)/float64(365.25*24*time.Hour/time.Millisecond), maxDuration.Hours()/(365.25*24))
	}
	started := b.started()
	u := b.URL
	if u == "" {
		u = base + j.path() + strconv.FormatInt(b.Number, 10) + "/"
	}
	out := collectors.Build{
		Source: source, System: collectors.SystemJenkins,
		Pipeline: j.Folder(), Job: j.FullName(),
		BuildID: u, URL: u,
		Result: strings.ToUpper(strings.TrimSpace(*b.Result)), Voting: true,
		Started:   started,
		Finished:  started.Add(time.Duration(b.Duration) * time.Millisecond),
		DurationS: b.Duration / 1000,
		QueuedS:   b.queued(),
	}
	p := b.params()
	change, patchset, project := "GERRIT_CHANGE_NUMBER", "GERRIT_PATCHSET_NUMBER", "GERRIT_PROJECT"
	if p[change] == "" {
		change, patchset, project = "ZUUL_CHANGE", "ZUUL_PATCHSET", "ZUUL_PROJECT"
	}
	if n, err := strconv.ParseInt(p[change], 10, 64); err == nil && n > 0 {
		out.Change = n
		if ps, err := strconv.Atoi(p[patchset]); err == nil && ps > 0 {
			out.Patchset = ps
		}
	}
	out.Project = p[project]
	if out.Project == "" {
		out.Project = p["GERRIT_PROJECT"]
		if out.Project == "" {
			out.Project = p["ZUUL_PROJECT"]
		}
	}
	return out, nil
}

// storable returns an error naming build b of j when its start or finish
// is outside the instants ClickHouse can store: such a build is skipped
// (and counted) rather than stored with a wrapped date.
func storable(j job, b *buildJSON, rec collectors.Build) error {
	if err := collectors.CheckTime("start", rec.Started); err != nil {
		return fmt.Errorf("build #%d of %s: %w", b.Number, j.FullName(), err)
	}
	if err := collectors.CheckTime("finish", rec.Finished); err != nil {
		return fmt.Errorf("build #%d of %s: %w", b.Number, j.FullName(), err)
	}
	return nil
}
