package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rssEvery is how often peakRSS reads a running command's VmHWM.
const rssEvery = 10 * time.Millisecond

// peakRSS waits for cmd (started) and returns its peak RSS in KB.
//
// It is the command's own VmHWM, read from /proc every rssEvery while it
// runs, not the ru_maxrss wait4 answers: Linux folds into a child's
// ru_maxrss the peak RSS of the address space it leaves at exec, which
// for os/exec (vfork semantics) is the bench's own. The GitHub bench
// serves its test server in-process, so ru_maxrss gave the bench's peak
// (529 MB for a 10,000 pull request run whose codepace peaked at about
// 100 MB). VmHWM is the child's own high-water mark, which starts afresh
// at exec; what it misses is a rise in the last rssEvery of the run. Where
// /proc cannot be read (not Linux), ru_maxrss is what is left.
func peakRSS(cmd *exec.Cmd) (int64, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(rssEvery)
	defer tick.Stop()
	for {
		if kb, ok := vmHWM(status); ok {
			peak = max(peak, kb)
		}
		select {
		case err := <-done:
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && peak == 0 {
				peak = ru.Maxrss
			}
			return peak, err
		case <-tick.C:
		}
	}
}

// vmHWM reads the VmHWM line of a /proc/PID/status file, in KB.
func vmHWM(status string) (int64, bool) {
	f, err := os.Open(status)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
