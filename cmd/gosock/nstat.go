package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gosock/gosock/netns"
)

// nstatCounter is one counter with its nstat name.
type nstatCounter struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// nstatSnapshot is what an instance sends to `gosock nstat`: its
// non-zero counters in nstat's order, when it started and how long it
// has run.
type nstatSnapshot struct {
	Counters []nstatCounter `json:"counters"`
	Started  time.Time      `json:"started"`
	Uptime   time.Duration  `json:"uptime"`
}

func takeNstat(ns *netns.Namespace) []nstatCounter {
	var out []nstatCounter
	ns.MIB.Each(func(name string, v uint64) { out = append(out, nstatCounter{name, v}) })
	return out
}

func (inst *instance) nstatSnapshot() nstatSnapshot {
	return nstatSnapshot{Counters: takeNstat(inst.ns), Started: inst.born, Uptime: time.Since(inst.born)}
}

func runNstat(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("nstat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf controlFlags
	cf.register(fs)
	abs := fs.Bool("a", false, "absolute values, not increments since the last run")
	noPrint := fs.Bool("n", false, "print nothing, only update the history")
	reset := fs.Bool("r", false, "forget the history (the increments are then since the instance started)")
	noUpdate := fs.Bool("s", false, "do not update the history")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock nstat [--name IF] [-anrs] [PATTERN...]")
		fmt.Fprintln(stderr, "\nPrints the SNMP and netstat counters of a running `gosock tun` instance in")
		fmt.Fprintln(stderr, "nstat's format and with its names (IpInReceives, TcpExtTCPSackRecovery, ...): as")
		fmt.Fprintln(stderr, "nstat, the non-zero increments since the last run, remembered in a history file")
		fmt.Fprintln(stderr, "($NSTAT_HISTORY, or one per instance in the temporary directory), and their rate")
		fmt.Fprintln(stderr, "per second. PATTERNs are shell globs on the names (Tcp*).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, p := range fs.Args() {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("bad pattern %q: %v", p, err)
		}
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	var snap nstatSnapshot
	if err := c.call(controlRequest{Op: "nstat"}, &snap); err != nil {
		return err
	}
	now := time.Now()
	hpath := nstatHistoryPath(cf.socketPath())
	var hist *nstatHistory
	if !*reset {
		hist = loadNstatHistory(hpath, snap.Started)
	}
	if !*noUpdate {
		if err := saveNstatHistory(hpath, snap, now); err != nil {
			fmt.Fprintf(stderr, "gosock nstat: history not saved: %v\n", err)
		}
	}
	if *noPrint {
		return nil
	}
	if *abs || hist == nil {
		return writeNstat(stdout, snap.Counters, snap.Uptime, fs.Args())
	}
	var deltas []nstatCounter
	for _, c := range snap.Counters {
		if d := c.Value - hist.Counters[c.Name]; c.Value > hist.Counters[c.Name] {
			deltas = append(deltas, nstatCounter{c.Name, d})
		}
	}
	return writeNstat(stdout, deltas, now.Sub(hist.Taken), fs.Args())
}

// nstatHistory is what `gosock nstat` remembers of an instance between
// runs, as nstat keeps /tmp/.nstat.uUID.
type nstatHistory struct {
	// Started tells a restarted instance, whose counters began again,
	// from the one the history was taken of.
	Started  time.Time         `json:"started"`
	Taken    time.Time         `json:"taken"`
	Counters map[string]uint64 `json:"counters"`
}

// nstatHistoryPath is $NSTAT_HISTORY, as nstat's, or a file per user and
// control socket in the temporary directory.
func nstatHistoryPath(socket string) string {
	if p := os.Getenv("NSTAT_HISTORY"); p != "" {
		return p
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(strings.TrimPrefix(socket, "/"))
	return filepath.Join(os.TempDir(), fmt.Sprintf(".gosock-nstat.u%d.%s", os.Getuid(), name))
}

// loadNstatHistory returns the history at path if it is of the instance
// started at started, else nil.
func loadNstatHistory(path string, started time.Time) *nstatHistory {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var h nstatHistory
	if json.Unmarshal(b, &h) != nil || !h.Started.Equal(started) || h.Counters == nil {
		return nil
	}
	return &h
}

func saveNstatHistory(path string, snap nstatSnapshot, now time.Time) error {
	h := nstatHistory{Started: snap.Started, Taken: now, Counters: make(map[string]uint64, len(snap.Counters))}
	for _, c := range snap.Counters {
		h.Counters[c.Name] = c.Value
	}
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	// Written aside and renamed, so a concurrent run never reads half.
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeNstat prints counters as nstat does: a "#kernel" line, then one
// line per counter with its value and rate, keeping only names that
// match one of patterns (all if none).
func writeNstat(w io.Writer, counters []nstatCounter, uptime time.Duration, patterns []string) error {
	if _, err := fmt.Fprintln(w, "#kernel"); err != nil {
		return err
	}
	for _, c := range counters {
		if !matchAny(patterns, c.Name) {
			continue
		}
		rate := 0.0
		if uptime > 0 {
			rate = float64(c.Value) / uptime.Seconds()
		}
		if _, err := fmt.Fprintf(w, "%-32s%-16d%6.1f\n", c.Name, c.Value, rate); err != nil {
			return err
		}
	}
	return nil
}

func matchAny(patterns []string, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
