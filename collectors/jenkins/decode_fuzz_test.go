package jenkins

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// FuzzDecodeItem feeds arbitrary answers to the Jenkins decoder and maps
// every finished build it accepts, as the collector does: it must never
// panic, every error must wrap ErrNotJSON, and every build it turns into a
// record must be sane: a start time, a finish not before the start, a
// duration that is not negative, the finish equal to the start plus the
// duration (to the second), no negative queue time, change or patch set,
// an id, a result in upper case without surrounding space.
func FuzzDecodeItem(f *testing.F) {
	if body, err := os.ReadFile("testdata/builds.json"); err == nil {
		f.Add(body)
	}
	f.Add([]byte(`{"_class":"hudson.model.Hudson","jobs":[{"_class":"com.cloudbees.hudson.plugins.folder.Folder","name":"team","url":"http://j/job/team/"},{"_class":"hudson.model.FreeStyleProject","name":"a b","url":"http://j/job/a%20b/"}]}`))
	f.Add([]byte(`{"_class":"hudson.model.FreeStyleProject","allBuilds":[{"_class":"hudson.model.FreeStyleBuild","number":7,"timestamp":1709546400123,"duration":754321,"result":"SUCCESS","building":false,"url":"","queueId":3,"actions":[{"_class":"hudson.model.ParametersAction","parameters":[{"name":"GERRIT_CHANGE_NUMBER","value":"12345"},{"name":"GERRIT_PATCHSET_NUMBER","value":3},{"name":"GERRIT_PROJECT","value":"core/lib"}]},{"queuingDurationMillis":42500}]}]}`))
	f.Add([]byte(`{"_class":"x","allBuilds":[{"number":1,"timestamp":1,"duration":-1,"result":" aborted ","building":false},{"number":2,"timestamp":1709546400000,"duration":0,"result":null,"building":true}]}`))
	f.Add([]byte(`{"allBuilds":[{"number":9,"timestamp":1709546400000,"duration":86400000,"result":"FAILURE","actions":[{"parameters":[{"name":"ZUUL_CHANGE","value":"-3"},{"name":"ZUUL_PATCHSET","value":"9999999999999"}]},{"queuingDurationMillis":-7}]}]}`))
	f.Add([]byte(`<html><head><title>Sign in [Jenkins]</title></head></html>`))
	f.Add([]byte(`{"_class":"hudson.model.FreeStyleProject","allBuilds":[{"number":1,"timest`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var item itemJSON
		if err := decode(body, "http://j/job/x/api/json", &item); err != nil {
			if !errors.Is(err, httpx.ErrNotJSON) {
				t.Fatalf("error %v does not wrap ErrNotJSON", err)
			}
			return
		}
		_ = isFolder(item.Class)
		for _, c := range item.Jobs {
			_ = isFolder(c.Class)
			_ = (job{"f", c.Name}).path()
		}
		j := job{"folder", "x"}
		for i := range item.AllBuilds {
			b := &item.AllBuilds[i]
			_ = b.params()
			if q := b.queued(); q != nil && *q < 0 {
				t.Fatalf("negative queue time %d", *q)
			}
			if b.running() {
				continue
			}
			rec, err := toBuild("ci", "http://j/", j, b)
			if err != nil {
				continue // skipped and counted by the collector
			}
			checkBuild(t, rec, b)
		}
	})
}

// checkBuild asserts what every stored Jenkins build must satisfy.
func checkBuild(t *testing.T, rec collectors.Build, b *buildJSON) {
	t.Helper()
	if rec.BuildID == "" || rec.URL == "" || rec.System != collectors.SystemJenkins || rec.Job != "folder/x" {
		t.Fatalf("build without identity: %+v", rec)
	}
	if rec.Started.IsZero() || b.Timestamp <= 0 {
		t.Fatalf("build without a start: %+v", rec)
	}
	if rec.DurationS < 0 || rec.Change < 0 || rec.Patchset < 0 || (rec.QueuedS != nil && *rec.QueuedS < 0) {
		t.Fatalf("negative figure: %+v", rec)
	}
	if rec.Result != strings.ToUpper(strings.TrimSpace(rec.Result)) {
		t.Fatalf("result %q", rec.Result)
	}
	// The finish is the start plus the duration, to the second.
	d := rec.Finished.Sub(rec.Started)
	if rec.Finished.Before(rec.Started) || int64(d/time.Second) != rec.DurationS {
		if b.Duration > math.MaxInt64/int64(time.Millisecond) {
			// More than 292 years: time.Duration(ms) * time.Millisecond
			// overflows in toBuild.
			knownBug(t, "B6", "build %d: duration %d ms gives finished %v for started %v (finish − start %v, duration_s %d)",
				b.Number, b.Duration, rec.Finished, rec.Started, d, rec.DurationS)
		}
		t.Fatalf("build %d: finished %v, started %v, duration_s %d", b.Number, rec.Finished, rec.Started, rec.DurationS)
	}
}
