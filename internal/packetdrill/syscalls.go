package packetdrill

import (
	"fmt"
	"time"

	"github.com/gosock/gosock/errno"
)

// preparedCall is a system call line with its arguments evaluated.
type preparedCall struct {
	// run makes the call; it runs on the call's goroutine.
	run func() (int64, error)
	// check verifies the output arguments after a successful return
	// (getsockopt values, poll revents, epoll events); nil if none.
	check func(ret int64) *Mismatch
	// fdResult marks calls that return a descriptor: the script's value
	// names it in later lines.
	fdResult bool
	// done updates the runner's state after a successful return.
	done func(ret int64)
}

// syscall runs a system call line: it waits for the call before it to
// return (calls run one at a time, as on upstream's single syscall
// thread), makes the call at its time and, if it blocks, lets the script
// go on until it returns.
func (e *executor) syscall(l *SyscallLine, start time.Duration) error {
	if err := e.waitCalls(); err != nil {
		return err
	}
	if err := e.advanceTo(start); err != nil {
		return err
	}
	prep, err := syscallTable[l.Name](e, l)
	if err != nil {
		return lineErr(l, err)
	}
	c := &inflight{line: l, prep: prep, start: start}
	c.win = window{Start: start, End: start, Tol: e.tol}
	if l.Block != nil {
		end := l.Block.End
		if l.Time.Kind == TimeRelative {
			end += e.anchor
		}
		c.win = window{Start: end, End: end, Tol: tolerance(e.tol, end-start)}
	}
	e.tracef("call   %s", callText(l))
	c.launch()
	e.calls = append(e.calls, c)
	e.settle()
	if err := e.checkCalls(); err != nil {
		return err
	}
	e.anchor = start
	if c.returned {
		e.calls = e.calls[:len(e.calls)-1]
		e.anchor = c.at
		return e.completeCall(c)
	}
	if l.Block == nil {
		return lineFail(l, fmt.Sprintf("%s() blocked, expected to return at once", l.Name),
			"a call that may block is written with its return time: start...end "+l.Name+"(...)")
	}
	e.tracef("blocked %s", l.Name)
	return nil
}

// noteReturns records the time of the calls that have just returned.
// They are checked when the runner next waits for its calls, before the
// next system call or at the end of the script, as upstream checks its
// syscall thread: so a blocking call that returns at the wrong time does
// not hide an outbound packet's mismatch on the lines in between.
func (e *executor) noteReturns() {
	for _, c := range e.calls {
		if !c.returned && c.finished() {
			c.returned, c.at = true, e.now()
			e.tracef("return %s = %s", c.line.Name, formatResult(c.ret, c.err))
		}
	}
}

// checkCalls fails the script for a call that neither returns nor blocks.
func (e *executor) checkCalls() error {
	if !e.stuck {
		return nil
	}
	for _, c := range e.calls {
		if !c.returned {
			return lineFail(c.line, fmt.Sprintf("%s() neither returned nor blocked", c.line.Name),
				fmt.Sprintf("the call kept running for %v of wall-clock time", settleLimit))
		}
	}
	return nil
}

// lateCall fails a call still blocked after its window.
func (e *executor) lateCall(c *inflight) error {
	m := &Mismatch{What: "timing", Expected: c.line.String(),
		Diffs: []Diff{{Field: "return of " + c.line.Name + "() late", Expected: "at " + c.win.String(),
			Actual: fmt.Sprintf("still blocked at %s s", fmtSeconds(e.now()))}}}
	return lineMismatch(c.line, m)
}

// waitCalls lets virtual time run until every call in flight has
// returned, then checks each: a call still blocked after its window
// fails the script.
func (e *executor) waitCalls() error {
	for len(e.calls) > 0 {
		c := e.calls[0]
		if !c.returned {
			target := c.win.hi()
			if c.win.Any {
				target = e.now() + anyTimeLimit
			}
			if err := e.advanceUntil(target, func() bool { return c.returned }); err != nil {
				return err
			}
			if !c.returned {
				return e.lateCall(c)
			}
		}
		e.calls = e.calls[1:]
		if err := e.completeCall(c); err != nil {
			return err
		}
	}
	return nil
}

// completeReturned checks the calls that have returned so far, in
// order, so that the state they set (the socket under test, descriptor
// numbers) is current.
func (e *executor) completeReturned() error {
	for len(e.calls) > 0 && e.calls[0].returned {
		c := e.calls[0]
		e.calls = e.calls[1:]
		if err := e.completeCall(c); err != nil {
			return err
		}
	}
	return nil
}

// completeCall checks a returned call: its time, its result and errno,
// its output arguments.
func (e *executor) completeCall(c *inflight) error {
	l := c.line
	want, err := e.evalInt(l.Result)
	if err != nil {
		return lineErr(l, err)
	}
	got := c.ret
	var gotErrno errno.Errno
	if c.err != nil {
		got = -1
		if en, ok := errno.Of(c.err); ok {
			gotErrno = en
		}
	}
	wantText := l.Result.String()
	if l.Errno != "" {
		wantText += " " + l.Errno
	}
	mismatch := func(field string) error {
		gotText := formatResult(c.ret, c.err)
		reason := fmt.Sprintf("%s = %s, expected %s", callText(l), gotText, wantText)
		m := &Mismatch{What: "system call", Expected: l.String(), Actual: callText(l) + " = " + gotText,
			Diffs: []Diff{{Field: field, Expected: wantText, Actual: gotText}}}
		return &stepError{outcome: Fail, pos: l.Pos, line: l.String(), reason: reason, detail: m.Error()}
	}
	switch {
	case c.prep.fdResult && want >= 0:
		if got < 0 {
			return mismatch("return value")
		}
	case got != want:
		return mismatch("return value")
	}
	if want == -1 && l.Errno != "" {
		en, ok := errno.FromName(l.Errno)
		if !ok {
			return lineFail(l, "unknown errno "+l.Errno, "")
		}
		if gotErrno != en {
			return mismatch("errno")
		}
	}
	if l.Block != nil {
		if m := checkTiming("return of "+l.Name+"()", c.win, c.at); m != nil {
			m.Expected, m.Actual = l.String(), callText(l)+" returned "+formatResult(c.ret, c.err)
			return lineMismatch(l, m)
		}
	}
	if c.err != nil {
		return nil
	}
	if c.prep.check != nil {
		if m := c.prep.check(got); m != nil {
			m.Expected = l.String()
			return lineMismatch(l, m)
		}
	}
	if c.prep.fdResult && want >= 0 {
		e.fds[int(want)] = int(got)
	}
	if c.prep.done != nil {
		c.prep.done(want)
	}
	return nil
}

// formatResult prints a call's outcome as a script writes it:
// "1000", or "-1 EAGAIN".
func formatResult(ret int64, err error) string {
	if err == nil {
		return fmt.Sprint(ret)
	}
	if en, ok := errno.Of(err); ok {
		return "-1 " + en.Name()
	}
	return "-1 (" + err.Error() + ")"
}

// callText prints the call part of a line: "read(4, ..., 1000)".
func callText(l *SyscallLine) string {
	return l.Name + "(" + joinExprs(l.Args) + ")"
}
