package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLatencyHistQuantiles(t *testing.T) {
	var h latencyHist
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Microsecond)
	}
	h.add(50 * time.Millisecond) // overflow bucket
	if got := h.quantile(0.5); got != 52*time.Microsecond {
		t.Errorf("median %v, want 52µs (the 51st of 101 samples, 51µs, is in [51µs, 52µs))", got)
	}
	if got := h.quantile(0.99); got != 101*time.Microsecond {
		t.Errorf("p99 %v, want 101µs", got)
	}
	if got := h.quantile(1); got != 50*time.Millisecond {
		t.Errorf("max %v, want the overflowed 50ms sample", got)
	}
	want := (5050*time.Microsecond + 50*time.Millisecond) / 101
	if got := h.mean(); got != want {
		t.Errorf("mean %v, want %v", got, want)
	}
}

// report builds a one-case report with gosock, gvisor and kernel cells.
func report(targets []Target, gosock, gvisor float64, lower bool) *Report {
	cell := func(v float64) Cell {
		return Cell{Metrics: []Metric{{Name: "x", Unit: "u", Value: v, LowerBetter: lower}}}
	}
	return &Report{
		Stacks: []string{"gosock", "gvisor", "kernel"},
		Results: []Result{{
			Case:  Case{Name: "c", Targets: targets},
			Cells: []Cell{cell(gosock), cell(gvisor), {Err: ErrUnsupported}},
		}},
	}
}

func TestCheckAndFailures(t *testing.T) {
	for _, tc := range []struct {
		name          string
		target        Target
		gosock, peer  float64
		lower         bool
		want          Verdict
		wantFailCount int
	}{
		{"ratio met", Target{Metric: "x", Peer: "gvisor", Ratio: 2, Gate: true}, 10, 4, false, Met, 0},
		{"ratio below", Target{Metric: "x", Peer: "gvisor", Ratio: 2, Gate: true}, 10, 6, false, Below, 0},
		{"ratio below half gated", Target{Metric: "x", Peer: "gvisor", Ratio: 2, Gate: true}, 10, 11, false, BelowHalf, 1},
		{"ratio below half ungated", Target{Metric: "x", Peer: "gvisor", Ratio: 2}, 10, 11, false, BelowHalf, 0},
		{"lower is better", Target{Metric: "x", Peer: "gvisor", Ratio: 0.5, Gate: true}, 10, 30, true, Met, 0},
		{"absolute met", Target{Metric: "x", Max: 3072, Gate: true}, 3000, 1, true, Met, 0},
		{"absolute below", Target{Metric: "x", Max: 3072, Gate: true}, 5000, 1, true, Below, 0},
		{"absolute below half", Target{Metric: "x", Max: 3072, Gate: true}, 7000, 1, true, BelowHalf, 1},
		{"zero bound", Target{Metric: "x", Max: 0, Gate: true}, 0.5, 1, true, BelowHalf, 1},
		{"unsupported peer", Target{Metric: "x", Peer: "kernel", Ratio: 2, Gate: true}, 10, 1, false, Unmeasured, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := report([]Target{tc.target}, tc.gosock, tc.peer, tc.lower)
			if v, _ := rep.Results[0].Check(tc.target, rep.Stacks); v != tc.want {
				t.Errorf("verdict %d, want %d", v, tc.want)
			}
			if f := rep.Failures(); len(f) != tc.wantFailCount {
				t.Errorf("failures %q, want %d", f, tc.wantFailCount)
			}
		})
	}
}

func TestFailuresIncludeSubjectErrors(t *testing.T) {
	rep := report(nil, 1, 1, false)
	rep.Results[0].Cells[0] = Cell{Err: errors.New("boom")}
	if f := rep.Failures(); len(f) != 1 || !strings.Contains(f[0], "boom") {
		t.Fatalf("failures %q, want gosock's error", f)
	}
	rep.Results[0].Cells[0] = Cell{Err: ErrUnsupported}
	if f := rep.Failures(); len(f) != 0 {
		t.Fatalf("failures %q for an unsupported link", f)
	}
}

func TestPrint(t *testing.T) {
	rep := report([]Target{{Metric: "x", Peer: "gvisor", Ratio: 4}}, 10, 4, false)
	var b strings.Builder
	rep.Print(&b)
	out := b.String()
	for _, want := range []string{"gosock/gvisor", "2.50x", "n/a", "≥4× gvisor BELOW TARGET", "10.00", "4.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestCases(t *testing.T) {
	all, err := Cases(nil, true, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range all {
		seen[c.Mode] = true
		if _, ok := Modes[c.Mode]; !ok {
			t.Errorf("case %q has unknown mode %q", c.Name, c.Mode)
		}
	}
	for m := range Modes {
		if !seen[m] {
			t.Errorf("no case for mode %q", m)
		}
	}
	cs, err := Cases([]string{"many"}, false, 0, []int{7, 9})
	if err != nil || len(cs) != 2 || cs[1].Params.Conns != 9 {
		t.Errorf("Cases(many 7,9) = %+v, %v", cs, err)
	}
	if _, err := Cases([]string{"nope"}, true, 0, nil); err == nil {
		t.Error("unknown mode accepted")
	}
}

// TestModes runs every mode briefly on gosock over a pipe and over
// loopback and on the kernel, and checks each produces sane figures.
// It checks that the harness works, not how fast anything is.
func TestModes(t *testing.T) {
	p := Params{Duration: 200 * time.Millisecond, Conns: 40, Chunk: 16 << 10, Workers: 2}
	lossy := LinkConfig{MTU: 1500, Loss: 0.01, RTT: 2 * time.Millisecond, Seed: 3}
	for _, f := range []Factory{GosockPipe, GosockLoopback, Kernel} {
		for _, mode := range []string{"bulk", "rr", "connrate", "idle", "many", "lossy"} {
			t.Run(f.Name+"/"+mode, func(t *testing.T) {
				cfg := LinkConfig{MTU: 1500, Seed: 1}
				if f.Name != "gosock" {
					cfg.MTU = 0
				}
				if mode == "lossy" {
					cfg = lossy
				}
				s, err := f.New(cfg)
				if errors.Is(err, ErrUnsupported) {
					if f.Name == "gosock" {
						t.Fatal("gosock over a pipe must support every link")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ms, err := Modes[mode](context.Background(), s, p)
				if err != nil {
					t.Fatal(err)
				}
				if len(ms) == 0 {
					t.Fatal("no figures")
				}
				for _, m := range ms {
					switch {
					case m.Name == "heap/conn end":
						// Can be near zero or even negative on the kernel,
						// whose sockets live outside the Go heap.
					case m.Name == "goroutines/conn end":
						if m.Value > 0.1 {
							t.Errorf("%s = %g: a goroutine per connection", m.Name, m.Value)
						}
					case m.Value <= 0:
						t.Errorf("%s = %g, want > 0", m.Name, m.Value)
					}
				}
			})
		}
	}
}

func TestGatedMiss(t *testing.T) {
	gated := []Target{{Metric: "x", Peer: "gvisor", Ratio: 4, Gate: true}}
	if rep := report(gated, 10, 6, false); !gatedMiss(rep.Results[0], rep.Stacks) {
		t.Error("ratio 1.67 against a gated 4x target is not a miss")
	}
	if rep := report(gated, 10, 4, false); gatedMiss(rep.Results[0], rep.Stacks) {
		t.Error("ratio 2.5 against a gated 4x target (half is 2) is a miss")
	}
	ungated := []Target{{Metric: "x", Peer: "gvisor", Ratio: 4}}
	if rep := report(ungated, 1, 10, false); gatedMiss(rep.Results[0], rep.Stacks) {
		t.Error("an ungated target counts as a gated miss")
	}
}

// TestPeerCase: a target with PeerCase compares the subject's figure with
// the peer's figure in the named case, prints that case in its label,
// is unmeasured when the case is missing, and never fails a run.
func TestPeerCase(t *testing.T) {
	target := Target{Metric: "x", Peer: "gvisor", Ratio: 4, PeerCase: "plain", Gate: true}
	rep := report([]Target{target}, 20, 10, false) // like-for-like: 2×
	cell := func(v float64) Cell { return Cell{Metrics: []Metric{{Name: "x", Unit: "u", Value: v}}} }
	if v, _ := rep.check(rep.Results[0], target); v != Unmeasured {
		t.Errorf("without the peer case: %v, want Unmeasured", v)
	}
	rep.Results = append(rep.Results, Result{Case: Case{Name: "plain"}, Cells: []Cell{cell(8), cell(4), {Err: ErrUnsupported}}})
	v, x := rep.check(rep.Results[0], target)
	if v != Met || x != 5 {
		t.Errorf("against the peer case: %v %g, want Met 5 (20 against gVisor's 4 there)", v, x)
	}
	rep.Results[1].Cells[1] = cell(12) // 20/12 < 2: below half
	if v, _ := rep.check(rep.Results[0], target); v != BelowHalf {
		t.Errorf("verdict %v, want BelowHalf", v)
	}
	if f := rep.Failures(); len(f) != 0 {
		t.Errorf("a PeerCase target failed the run: %q", f)
	}
	var b strings.Builder
	rep.Print(&b)
	if !strings.Contains(b.String(), "≥4× gvisor (plain) BELOW HALF TARGET (unmet, not gated)") {
		t.Errorf("table lacks the PeerCase target's label:\n%s", b.String())
	}
}
