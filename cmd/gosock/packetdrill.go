package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gosock/gosock/internal/packetdrill"
)

// runPacketdrill is "gosock packetdrill [flags] PATH...": it runs
// packetdrill scripts (files, or folders searched for *.pkt) against
// gosock, one fresh namespace per script on a virtual clock, and prints
// one line per script and a closing tally.
//
// Exit status: 0 when every script ran, whatever the outcomes (scripts
// that fail or are unsupported are the stack's to-do list, not an error
// of the command; the corpus test in internal/packetdrill guards against
// regressions); 1 for bad flags or an unreadable path, and with -strict
// when a script failed.
func runPacketdrill(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("packetdrill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print the expected and actual values of scripts that do not pass")
	trace := fs.Bool("trace", false, "print every event as it runs")
	asJSON := fs.Bool("json", false, "print one JSON object per script, then one with the tally")
	strict := fs.Bool("strict", false, "exit with status 1 if a script fails")
	mode := fs.String("ip_version", "auto", "address family: ipv4, ipv6, ipv4-mapped-ipv6, or auto (the script's --ip_version, else by file name)")
	tolerance := fs.Int("tolerance_usecs", 0, "timing tolerance in microseconds (default 4000; a script's own option wins)")
	local := fs.String("local_ip", "", "the stack's address (default 192.168.0.1 or fd3d:a0b:17d6::1)")
	remote := fs.String("remote_ip", "", "the peer's address (default 192.0.2.1 or fd3d:fa7b:d17d::1)")
	var defines defineList
	fs.Var(&defines, "D", "define `NAME=value` (repeatable), as upstream's -D")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock packetdrill [flags] PATH...")
		fmt.Fprintln(stderr, "\nRuns packetdrill scripts (files, or folders searched for *.pkt) against gosock on a")
		fmt.Fprintln(stderr, "virtual clock and prints pass, fail (with the first mismatch) or unsupported (with the")
		fmt.Fprintln(stderr, "reason) for each. Exit status is 0 unless -strict is given and a script fails.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no script or folder given")
	}
	opts := packetdrill.Options{Tolerance: time.Duration(*tolerance) * time.Microsecond}
	var err error
	if opts.Mode, err = packetdrill.ParseIPMode(*mode); err != nil {
		return err
	}
	for _, a := range []struct {
		s   string
		dst *netip.Addr
	}{{*local, &opts.LocalIP}, {*remote, &opts.RemoteIP}} {
		if a.s == "" {
			continue
		}
		if *a.dst, err = netip.ParseAddr(a.s); err != nil {
			return fmt.Errorf("bad address %q", a.s)
		}
	}
	if opts.Defines, err = packetdrill.ParseDefines(defines); err != nil {
		return err
	}
	if *trace {
		opts.Trace = stdout
	}
	scripts, err := collectScripts(fs.Args())
	if err != nil {
		return err
	}
	r := packetdrill.NewRunner(opts)
	var all []packetdrill.Expectation
	enc := json.NewEncoder(stdout)
	for _, path := range scripts {
		res := r.RunFile(path)
		all = append(all, res.Expect(path))
		if *asJSON {
			if err := enc.Encode(jsonResult(res)); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, res)
		if *verbose && res.Outcome != packetdrill.Pass {
			if res.Line != "" {
				fmt.Fprintf(stdout, "    line: %s\n", strings.TrimSpace(res.Line))
			}
			for _, l := range strings.Split(res.Detail, "\n") {
				if l != "" {
					fmt.Fprintf(stdout, "    %s\n", l)
				}
			}
		}
	}
	tally := packetdrill.Count(all)
	if *asJSON {
		if err := enc.Encode(map[string]int{"passed": tally.Passed, "failed": tally.Failed, "unsupported": tally.Unsupported}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, tally)
	}
	if *strict && tally.Failed > 0 {
		return fmt.Errorf("%d of %d scripts failed", tally.Failed, len(all))
	}
	return nil
}

// jsonResult is the JSON form of a result.
func jsonResult(r *packetdrill.Result) any {
	return struct {
		Path       string  `json:"path"`
		Mode       string  `json:"mode"`
		Outcome    string  `json:"outcome"`
		Line       int     `json:"line,omitempty"`
		Text       string  `json:"text,omitempty"`
		Reason     string  `json:"reason,omitempty"`
		Detail     string  `json:"detail,omitempty"`
		ScriptTime float64 `json:"script_seconds"`
		Elapsed    float64 `json:"elapsed_seconds"`
	}{r.Path, r.Mode.String(), r.Outcome.String(), r.Pos.Line, strings.TrimSpace(r.Line), r.Reason, r.Detail,
		r.ScriptTime.Seconds(), r.Elapsed.Seconds()}
}

// collectScripts expands folders into the *.pkt files below them, in
// lexical order; files are taken as given.
func collectScripts(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".pkt") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// defineList collects repeated -D flags.
type defineList []string

// String implements flag.Value.
func (d *defineList) String() string { return strings.Join(*d, ",") }

// Set implements flag.Value.
func (d *defineList) Set(v string) error { *d = append(*d, v); return nil }
