package main

import (
	"flag"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/gosock/gosock/netns"
)

// nstatCounter is one counter with its nstat name.
type nstatCounter struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// nstatSnapshot is what an instance sends to `gosock nstat`: its
// non-zero counters in nstat's order, and how long it has run.
type nstatSnapshot struct {
	Counters []nstatCounter `json:"counters"`
	Uptime   time.Duration  `json:"uptime"`
}

func takeNstat(ns *netns.Namespace) []nstatCounter {
	var out []nstatCounter
	ns.MIB.Each(func(name string, v uint64) { out = append(out, nstatCounter{name, v}) })
	return out
}

func (inst *instance) nstatSnapshot() nstatSnapshot {
	return nstatSnapshot{Counters: takeNstat(inst.ns), Uptime: time.Since(inst.born)}
}

func runNstat(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("nstat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf controlFlags
	cf.register(fs)
	fs.Bool("a", true, "absolute values since the instance started (always: there is no history file)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock nstat [--name IF] [PATTERN...]")
		fmt.Fprintln(stderr, "\nPrints the non-zero SNMP and netstat counters of a running `gosock tun`")
		fmt.Fprintln(stderr, "instance in nstat's format and with its names (IpInReceives, TcpExtTCPSackRecovery,")
		fmt.Fprintln(stderr, "...); PATTERNs are shell globs on the names (Tcp*). The rate column is the mean")
		fmt.Fprintln(stderr, "per second since the instance started.\n\nFlags:")
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
	return writeNstat(stdout, snap.Counters, snap.Uptime, fs.Args())
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
