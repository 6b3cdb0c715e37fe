package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// Case is one mode over one link with its parameters and targets: a group
// of rows in the table.
type Case struct {
	// Name labels the rows, as "bulk mtu=1500 gso".
	Name string
	// Mode is a key of Modes.
	Mode string
	// Link is the link every stack is built with.
	Link LinkConfig
	// Params size the run.
	Params Params
	// Targets are what gosock's figures should reach.
	Targets []Target
}

// Target is a goal for one figure of a case: either a ratio against a
// peer stack (gosock/peer at least Ratio, or at most Ratio for a figure
// where lower is better), or, with Peer empty, an absolute bound (the
// figure at most Max).
type Target struct {
	// Metric is the figure's Metric.Name.
	Metric string
	// Peer names the stack compared against; empty for an absolute bound.
	Peer string
	// Ratio is the goal for gosock/peer.
	Ratio float64
	// Max is the absolute bound when Peer is empty.
	Max float64
	// PeerCase, when set, takes the peer's figure from that case of the
	// same run rather than from this one: the issue sets the target for
	// gosock at MTU 1500 with GSO against gVisor at MTU 1500 (its
	// reference figure, without GSO). Such a target is never gated: a
	// rerun of one case has no other case to compare with.
	PeerCase string
	// Gate makes a short CI run fail when the figure misses half its goal
	// (a ratio below Ratio/2, or a value above twice Max, or above 0.1
	// when Max is 0). Targets that gosock does not yet reach by half are
	// left ungated, printed as below target, so the issue stays open
	// without failing every CI run.
	Gate bool
}

// String writes the target as the table shows it.
func (t Target) String() string {
	if t.Peer == "" {
		return fmt.Sprintf("≤%g", t.Max)
	}
	if t.PeerCase != "" {
		return fmt.Sprintf("≥%g× %s (%s)", t.Ratio, t.Peer, t.PeerCase)
	}
	return fmt.Sprintf("≥%g× %s", t.Ratio, t.Peer)
}

// Cases returns the cases of the named modes (all when names is empty),
// sized for a full run or, with short, for a few seconds per figure.
// conns overrides idle's connection count when positive, and many's list
// of counts when given.
func Cases(names []string, short bool, idleConns int, manyConns []int) ([]Case, error) {
	d := func(full, s time.Duration) time.Duration {
		if short {
			return s
		}
		return full
	}
	const chunk = 64 << 10
	big := LinkConfig{MTU: 65280, Seed: 1}
	var all []Case
	add := func(c Case) { all = append(all, c) }
	// Gate marks the targets gosock reached at least half of when the
	// harness was written (see the README's Benchmarks section); the
	// others are printed as unmet without failing CI.
	// idle runs first, before other runs leave garbage and timers behind.
	idle := 10000
	if short {
		idle = 2000
	}
	if idleConns > 0 {
		idle = idleConns
	}
	add(Case{Name: fmt.Sprintf("idle n=%d", idle), Mode: "idle", Link: big,
		Params: Params{Conns: idle},
		Targets: []Target{
			{Metric: "heap/conn end", Max: 3072, Gate: true},
			{Metric: "goroutines/conn end", Max: 0, Gate: true},
		}})
	add(Case{Name: "bulk mtu=65280", Mode: "bulk", Link: big,
		Params: Params{Duration: d(10*time.Second, time.Second), Chunk: chunk},
		Targets: []Target{
			{Metric: "goodput", Peer: "gvisor", Ratio: 1.5, Gate: true},
			{Metric: "goodput", Peer: "kernel", Ratio: 2},
		}})
	add(Case{Name: "bulk mtu=1500 gso", Mode: "bulk", Link: LinkConfig{MTU: 1500, GSO: true, Seed: 1},
		Params: Params{Duration: d(10*time.Second, time.Second), Chunk: chunk},
		// The ratio column compares with gVisor given GSO too; the
		// issue's target is against gVisor at MTU 1500 without it.
		Targets: []Target{{Metric: "goodput", Peer: "gvisor", Ratio: 4, PeerCase: "bulk mtu=1500"}}})
	add(Case{Name: "bulk mtu=1500", Mode: "bulk", Link: LinkConfig{MTU: 1500, Seed: 1},
		Params:  Params{Duration: d(10*time.Second, time.Second), Chunk: chunk},
		Targets: []Target{{Metric: "goodput", Peer: "gvisor", Ratio: 2, Gate: true}}})
	add(Case{Name: "rr", Mode: "rr", Link: big,
		Params:  Params{Duration: d(10*time.Second, time.Second)},
		Targets: []Target{{Metric: "tps", Peer: "gvisor", Ratio: 4, Gate: true}}})
	add(Case{Name: "connrate", Mode: "connrate", Link: big,
		Params:  Params{Duration: d(5*time.Second, time.Second), Workers: 4},
		Targets: []Target{{Metric: "rate", Peer: "gvisor", Ratio: 3, Gate: true}}})
	if len(manyConns) == 0 {
		manyConns = []int{100, 1000, 10000, 100000}
		if short {
			manyConns = []int{100}
		}
	}
	for _, n := range manyConns {
		ch := 16 << 10
		if n > 1000 {
			ch = 4 << 10
		}
		add(Case{Name: fmt.Sprintf("many n=%d", n), Mode: "many", Link: big,
			Params: Params{Duration: d(10*time.Second, time.Second), Conns: n, Chunk: ch}})
	}
	add(Case{Name: "lossy 1% rtt=20ms", Mode: "lossy", Link: LinkConfig{MTU: 1500, Loss: 0.01, RTT: 20 * time.Millisecond, Seed: 1},
		Params: Params{Duration: d(10*time.Second, 2*time.Second), Chunk: chunk}})

	if len(names) == 0 {
		return all, nil
	}
	var out []Case
	for _, n := range names {
		if _, ok := Modes[n]; !ok {
			return nil, fmt.Errorf("bench: unknown mode %q (modes: bulk, rr, connrate, idle, many, lossy)", n)
		}
		for _, c := range all {
			if c.Mode == n {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// Options configure Run.
type Options struct {
	// Stacks are the stacks to run; the first is the subject whose
	// ratios are printed (gosock), the others its peers.
	Stacks []Factory
	// Cases are what to run, from Cases.
	Cases []Case
	// Progress, if set, receives a line as each run starts and ends.
	Progress io.Writer
	// ProfileDir, if set, receives a CPU profile of each of the
	// subject's runs (<case>.cpu.pprof) and a heap profile while idle's
	// and many's connections are open (<case>.heap.pprof).
	ProfileDir string
}

// Cell is one stack's result for a case.
type Cell struct {
	// Metrics are the figures, nil when Err is set.
	Metrics []Metric
	// Err is why there are none: ErrUnsupported or the run's failure.
	Err error
}

// Result is the outcome of one case across the stacks.
type Result struct {
	Case Case
	// Cells are indexed as Options.Stacks.
	Cells []Cell
}

// Report is the outcome of a Run.
type Report struct {
	Stacks  []string
	Results []Result
}

// Run runs every case against every stack, one run at a time.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Stacks) == 0 {
		return nil, errors.New("bench: no stacks")
	}
	rep := &Report{}
	for _, f := range opts.Stacks {
		rep.Stacks = append(rep.Stacks, f.Name)
	}
	for _, c := range opts.Cases {
		res := Result{Case: c, Cells: make([]Cell, len(opts.Stacks))}
		for i, f := range opts.Stacks {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			prof := ""
			if i == 0 && opts.ProfileDir != "" {
				prof = filepath.Join(opts.ProfileDir, fileName(c.Name))
			}
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "bench: %s on %s ...", c.Name, f.Name)
			}
			t0 := time.Now()
			res.Cells[i] = runOne(ctx, f, c, prof)
			if opts.Progress != nil {
				if err := res.Cells[i].Err; err != nil {
					fmt.Fprintf(opts.Progress, " %v\n", err)
				} else {
					fmt.Fprintf(opts.Progress, " done in %v\n", time.Since(t0).Round(time.Millisecond))
				}
			}
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

func fileName(s string) string {
	return strings.NewReplacer(" ", "_", "=", "", "%", "pct", "/", "_").Replace(s)
}

func runOne(ctx context.Context, f Factory, c Case, prof string) (cell Cell) {
	mode := Modes[c.Mode]
	s, err := f.New(c.Link)
	if err != nil {
		return Cell{Err: err}
	}
	defer func() {
		if err := s.Close(); err != nil && cell.Err == nil {
			cell = Cell{Err: fmt.Errorf("close: %w", err)}
		}
		runtime.GC()
	}()
	p := c.Params
	if prof != "" {
		f, err := os.Create(prof + ".cpu.pprof")
		if err != nil {
			return Cell{Err: err}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return Cell{Err: err}
		}
		defer pprof.StopCPUProfile()
		p.steady = func() {
			if hf, err := os.Create(prof + ".heap.pprof"); err == nil {
				pprof.Lookup("heap").WriteTo(hf, 0)
				hf.Close()
			}
		}
	}
	ms, err := mode(ctx, s, p)
	return Cell{Metrics: ms, Err: err}
}
