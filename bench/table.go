package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// value returns the named figure of a cell.
func (c Cell) value(name string) (Metric, bool) {
	for _, m := range c.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// metricNames lists the figures of a result in the order the first stack
// that measured anything gave them.
func (r Result) metricNames() []Metric {
	for _, c := range r.Cells {
		if len(c.Metrics) > 0 {
			return c.Metrics
		}
	}
	return nil
}

// Verdict is how a figure stands against one target.
type Verdict int

// Verdicts, from good to bad.
const (
	// Met: the target is reached.
	Met Verdict = iota
	// Below: the figure misses its target but reaches half of it.
	Below
	// BelowHalf: the figure misses even half its target.
	BelowHalf
	// Unmeasured: a figure the target needs is missing (unsupported or
	// failed run).
	Unmeasured
)

// Check judges the subject's figure of a result against t. It returns
// the verdict and the ratio or value compared.
func (r Result) Check(t Target, stacks []string) (Verdict, float64) {
	m, ok := r.Cells[0].value(t.Metric)
	if !ok {
		return Unmeasured, 0
	}
	if t.Peer == "" {
		switch {
		case m.Value <= t.Max:
			return Met, m.Value
		case (t.Max > 0 && m.Value <= 2*t.Max) || (t.Max == 0 && m.Value <= 0.1):
			return Below, m.Value
		}
		return BelowHalf, m.Value
	}
	for i, s := range stacks {
		if s != t.Peer {
			continue
		}
		pm, ok := r.Cells[i].value(t.Metric)
		if !ok || pm.Value == 0 {
			return Unmeasured, 0
		}
		ratio := m.Value / pm.Value
		good := ratio >= t.Ratio
		half := ratio >= t.Ratio/2
		if m.LowerBetter {
			good, half = ratio <= t.Ratio, ratio <= 2*t.Ratio
		}
		switch {
		case good:
			return Met, ratio
		case half:
			return Below, ratio
		}
		return BelowHalf, ratio
	}
	return Unmeasured, 0
}

// check judges r's subject figure against t, taking the peer's figure
// from the case t.PeerCase names when it is set (Unmeasured when the
// report has no such case).
func (rep *Report) check(r Result, t Target) (Verdict, float64) {
	if t.PeerCase == "" {
		return r.Check(t, rep.Stacks)
	}
	for _, other := range rep.Results {
		if other.Case.Name != t.PeerCase || len(other.Cells) != len(r.Cells) {
			continue
		}
		mixed := Result{Case: r.Case, Cells: append([]Cell{r.Cells[0]}, other.Cells[1:]...)}
		t.PeerCase = ""
		return mixed.Check(t, rep.Stacks)
	}
	return Unmeasured, 0
}

// Print writes the report as one table: per case and figure, each
// stack's value, the subject's ratio to each peer, and the targets with
// their verdicts.
func (rep *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"case", "figure", "unit"}
	for i, s := range rep.Stacks {
		head = append(head, s)
		if i > 0 {
			head = append(head, rep.Stacks[0]+"/"+s)
		}
	}
	head = append(head, "target")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rep.Results {
		names := r.metricNames()
		if names == nil {
			row := []string{r.Case.Name, "-", ""}
			for i, c := range r.Cells {
				row = append(row, cellError(c.Err))
				if i > 0 {
					row = append(row, "")
				}
			}
			fmt.Fprintln(tw, strings.Join(append(row, ""), "\t")+"\t")
			continue
		}
		for _, nm := range names {
			row := []string{r.Case.Name, nm.Name, nm.Unit}
			first, ok0 := r.Cells[0].value(nm.Name)
			for i, c := range r.Cells {
				m, ok := c.value(nm.Name)
				switch {
				case c.Err != nil:
					row = append(row, cellError(c.Err))
				case ok:
					row = append(row, formatValue(m.Value))
				default:
					row = append(row, "-")
				}
				if i == 0 {
					continue
				}
				if ok && ok0 && m.Value != 0 {
					row = append(row, fmt.Sprintf("%.2fx", first.Value/m.Value))
				} else {
					row = append(row, "")
				}
			}
			var ts []string
			for _, t := range r.Case.Targets {
				if t.Metric != nm.Name {
					continue
				}
				v, _ := rep.check(r, t)
				ts = append(ts, t.String()+" "+verdictText(v, t.Gate && t.PeerCase == ""))
			}
			row = append(row, strings.Join(ts, "; "))
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
	}
	tw.Flush()
}

func verdictText(v Verdict, gate bool) string {
	switch v {
	case Met:
		return "met"
	case Below:
		return "BELOW TARGET"
	case BelowHalf:
		if gate {
			return "BELOW HALF TARGET (gated)"
		}
		return "BELOW HALF TARGET (unmet, not gated)"
	}
	return "not measured"
}

func cellError(err error) string {
	if errors.Is(err, ErrUnsupported) {
		return "n/a"
	}
	s := err.Error()
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "error: " + s
}

// formatValue prints a figure with three significant digits or so.
func formatValue(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000 || v <= -1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.1f", v)
	case v >= 1 || v <= -1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// Failures lists what should fail a CI run: a failed run of the subject
// (gosock), and gated targets whose figure misses half its goal. A peer
// that failed makes its ratios unmeasured, which is reported but is not
// gosock's failure.
func (rep *Report) Failures() []string {
	var out []string
	for _, r := range rep.Results {
		if err := r.Cells[0].Err; err != nil && !errors.Is(err, ErrUnsupported) {
			out = append(out, fmt.Sprintf("%s: %s failed: %v", r.Case.Name, rep.Stacks[0], err))
		}
		for _, t := range r.Case.Targets {
			if !t.Gate || t.PeerCase != "" {
				continue
			}
			if v, x := rep.check(r, t); v == BelowHalf {
				out = append(out, fmt.Sprintf("%s: %s %s is %.3g, below half of the target %s", r.Case.Name, rep.Stacks[0], t.Metric, x, t))
			}
		}
	}
	return out
}
