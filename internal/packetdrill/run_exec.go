package packetdrill

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	gsys "github.com/gosock/gosock/sys"
	gtcp "github.com/gosock/gosock/tcp"
)

// stepError stops a script: a failure or an unsupported feature, with
// the line it happened at.
type stepError struct {
	outcome Outcome
	pos     Pos
	line    string
	reason  string
	detail  string
}

// Error returns the short reason.
func (e *stepError) Error() string { return e.reason }

// lineFail returns a failure of line l.
func lineFail(l Line, reason, detail string) *stepError {
	return &stepError{outcome: Fail, pos: l.Position(), line: l.String(), reason: reason, detail: detail}
}

// lineMismatch returns the failure of l described by m.
func lineMismatch(l Line, m *Mismatch) *stepError {
	return lineFail(l, m.Summary(), m.Error())
}

// lineErr wraps an error from preparing or applying l: unsupported
// features stay unsupported, anything else fails the script.
func lineErr(l Line, err error) *stepError {
	if se, ok := err.(*stepError); ok {
		return se
	}
	if isUnsupported(err) {
		return &stepError{outcome: Unsupported, pos: l.Position(), line: l.String(), reason: err.Error()}
	}
	return lineFail(l, err.Error(), "")
}

// Ports the runner uses: the stack's port for bind(..., ...) and the
// destination of connect(..., ...), and the first port of the peer's
// passive-open connections.
const (
	scriptPort        = 8080
	firstRemotePort   = 48000
	settleLimit       = 10 * time.Second
	defaultMTU        = 1500
	defaultMTUIPv6    = 1520
	localPrefixLenV4  = 16
	localPrefixLenV6  = 64
	clockEpochSeconds = 1_000_000_000
)

// executor is the state of one script run.
type executor struct {
	opts   Options
	script *Script
	dir    string // the script's directory, for sourced shell files
	mode   IPMode
	tol    time.Duration

	// Header settings.
	strictSegments bool
	tsTickUsecs    int
	tsEcrScaled    bool

	// Addresses in wire form, and as sockets name them (IPv4-mapped in
	// ModeIPv4Mapped).
	local, remote         netip.Addr
	sockLocal, sockRemote netip.Addr

	clk  *clock.Manual
	t0   time.Time
	ns   *netns.Namespace
	dev  *Device
	proc *gsys.Process

	// Compiled lines: shell commands.
	shell map[Line][]*shellCmd

	// Connection under test.
	flow       Flow
	ts         TSState
	nextPort   uint16
	newConn    bool // the next injected SYN opens a new connection
	passive    bool // the flow was opened by an injected SYN
	fds        map[int]int
	sut        int // script fd of the socket under test (-1: none)
	listeners  map[int]bool
	childAwait bool // an injected SYN made a child not accepted yet

	// Timeline: the base of relative times, and the scheduled time of the
	// previous event (tolerance grows with the gap since it).
	anchor    time.Duration
	prevSched time.Duration

	nstatSeen map[string]uint64 // counters at the last `nstat`

	calls    []*inflight
	stuck    bool // a call neither returned nor blocked
	stackBuf []byte
	py       *pyState
}

// newExecutor applies the script's header options and builds the stack.
func newExecutor(o Options, s *Script) (*executor, error) {
	e := &executor{
		opts:      o,
		script:    s,
		dir:       filepath.Dir(s.Path),
		tol:       o.Tolerance,
		fds:       make(map[int]int),
		listeners: make(map[int]bool),
		sut:       -1,
		nextPort:  firstRemotePort,
		shell:     make(map[Line][]*shellCmd),
		stackBuf:  make([]byte, 64<<10),
		py:        newPyState(),
	}
	if err := e.applyHeader(); err != nil {
		return e, err
	}
	if err := e.compile(); err != nil {
		return e, err
	}
	e.setup()
	return e, nil
}

// applyHeader reads the script's --options and picks the mode and the
// addresses.
func (e *executor) applyHeader() error {
	mode := e.opts.Mode
	local, remote := e.opts.LocalIP, e.opts.RemoteIP
	for _, opt := range e.script.Options {
		bad := func() error {
			return &stepError{outcome: Fail, pos: opt.Pos, line: opt.String(), reason: fmt.Sprintf("bad value for --%s: %q", opt.Name, opt.Value)}
		}
		switch opt.Name {
		case "tolerance_usecs":
			n, err := strconv.Atoi(opt.Value)
			if err != nil || n < 0 {
				return bad()
			}
			e.tol = time.Duration(n) * time.Microsecond
		case "ip_version":
			m, err := ParseIPMode(opt.Value)
			if err != nil {
				return bad()
			}
			mode = m
		case "local_ip", "remote_ip":
			a, err := netip.ParseAddr(opt.Value)
			if err != nil {
				return bad()
			}
			if opt.Name == "local_ip" {
				local = a
			} else {
				remote = a
			}
		case "strict_segments":
			e.strictSegments = true
		case "tcp_ts_tick_usecs":
			n, err := strconv.Atoi(opt.Value)
			if err != nil || n <= 0 {
				return bad()
			}
			e.tsTickUsecs = n
		case "tcp_ts_ecr_scaled":
			e.tsEcrScaled = true
		case "send_omit_free", "verbose", "gateway_ip", "netmask_ip", "non_fatal":
			// Upstream run settings with no effect here.
		default:
			return &stepError{outcome: Unsupported, pos: opt.Pos, line: opt.String(), reason: "header option --" + opt.Name + " is not supported"}
		}
	}
	if mode == ModeAuto {
		mode = ModeIPv4
		if strings.HasSuffix(filepath.Base(e.script.Path), "v6.pkt") {
			mode = ModeIPv6
		}
	}
	e.mode = mode
	if !local.IsValid() {
		local = DefaultLocalIPv4
		if mode == ModeIPv6 {
			local = DefaultLocalIPv6
		}
	}
	if !remote.IsValid() {
		remote = DefaultRemoteIPv4
		if mode == ModeIPv6 {
			remote = DefaultRemoteIPv6
		}
	}
	e.local, e.remote = local.Unmap(), remote.Unmap()
	if (mode == ModeIPv6) != e.local.Is6() || e.local.Is6() != e.remote.Is6() {
		return &stepError{outcome: Fail, reason: fmt.Sprintf("addresses %s and %s do not suit mode %s", local, remote, mode)}
	}
	e.sockLocal, e.sockRemote = e.local, e.remote
	if mode == ModeIPv4Mapped {
		e.sockLocal = netip.AddrFrom16(e.local.As16())
		e.sockRemote = netip.AddrFrom16(e.remote.As16())
	}
	e.flow = Flow{IPv6: mode == ModeIPv6, Local: e.local, Remote: e.remote, LocalPort: scriptPort}
	return nil
}

// compile checks every line for features the runner cannot emulate
// before anything runs, so a script is either unsupported from the
// start or runs: shell commands, python statements, system calls.
func (e *executor) compile() error {
	for _, l := range e.script.Lines {
		switch l := l.(type) {
		case *CommandLine:
			cmds, err := parseShell(l.Command, e.dir)
			if err != nil {
				return lineErr(l, err)
			}
			e.shell[l] = cmds
		case *PythonLine:
			if err := e.py.check(l); err != nil {
				return lineErr(l, err)
			}
		case *SyscallLine:
			if _, ok := syscallTable[l.Name]; !ok {
				return lineErr(l, unsupported("system call %s() is not supported by the runner", l.Name))
			}
		case *PacketLine:
			if err := checkPacketLine(l, e.mode); err != nil {
				return lineErr(l, err)
			}
		}
	}
	return nil
}

// checkPacketLine rejects packet forms the runner cannot inject or check.
func checkPacketLine(l *PacketLine, mode IPMode) error {
	switch p := l.Packet.(type) {
	case *TCPSegment:
		if p.Options == nil {
			return nil
		}
		for _, o := range p.Options.Options {
			if o.Kind == OptMD5 {
				return unsupported("TCP MD5 signature option (md5) is not supported")
			}
		}
	case *ICMPMessage:
		if _, _, err := icmpTypeCode(p, mode == ModeIPv6); err != nil {
			return unsupported("%v", err)
		}
	}
	return nil
}

// now returns the script's virtual time.
func (e *executor) now() time.Duration { return e.clk.Now().Sub(e.t0) }

// tracef writes a trace line when tracing is on.
func (e *executor) tracef(format string, args ...any) {
	if e.opts.Trace != nil {
		fmt.Fprintf(e.opts.Trace, "%10s  %s\n", fmtSeconds(e.now()), fmt.Sprintf(format, args...))
	}
}

// run executes the script's lines in order.
func (e *executor) run() (err error) {
	defer func() {
		if cerr := e.teardown(); err == nil {
			err = cerr
		}
	}()
	if err := e.configure(); err != nil {
		return &stepError{outcome: Fail, reason: "setting up " + DeviceName + ": " + err.Error()}
	}
	if e.opts.Setup != nil {
		if err := e.opts.Setup(e.ns); err != nil {
			return &stepError{outcome: Fail, reason: "setup: " + err.Error()}
		}
	}
	deadline := time.Now().Add(e.opts.Timeout)
	for _, l := range e.script.Lines {
		if time.Now().After(deadline) {
			return lineFail(l, "script exceeded the wall-clock limit", fmt.Sprintf("limit %v", e.opts.Timeout))
		}
		if err := e.step(l); err != nil {
			return err
		}
	}
	return e.finish()
}

// schedule returns when a line is due: its window on the timeline, and
// whether it is "*" (any time).
func (e *executor) schedule(t TimeSpec) (start, end time.Duration, anyTime bool) {
	switch t.Kind {
	case TimeAbsolute:
		return t.Start, t.End, false
	case TimeRelative:
		return e.anchor + t.Start, e.anchor + t.End, false
	case TimeAny:
		return e.now(), e.now(), true
	}
	return e.now(), e.now(), false
}

// step runs one line.
func (e *executor) step(l Line) error {
	start, end, anyTime := e.schedule(l.Timing())
	if l.Timing().Kind == TimeNone {
		start, end = e.now(), e.now()
	}
	var err error
	switch l := l.(type) {
	case *PacketLine:
		if l.Dir == Inbound {
			err = e.inbound(l, start)
		} else {
			err = e.outbound(l, window{Start: start, End: end, Tol: tolerance(e.tol, end-e.prevSched), Any: anyTime})
		}
	case *SyscallLine:
		err = e.syscall(l, start)
	case *CommandLine:
		err = e.command(l, start)
	case *PythonLine:
		err = e.python(l, start)
	}
	if err != nil {
		return err
	}
	if l.Timing().Kind != TimeNone && !anyTime {
		e.prevSched = start
	}
	return nil
}

// finish waits for calls still blocked at the end of the script: each
// must return in its window.
func (e *executor) finish() error {
	return e.waitCalls()
}

// command applies a shell line at its time.
func (e *executor) command(l *CommandLine, start time.Duration) error {
	if err := e.advanceTo(start); err != nil {
		return err
	}
	e.tracef("shell `%s`", strings.TrimSpace(l.Command))
	for _, c := range e.shell[l] {
		err := c.apply(e)
		for alt := c.orElse; err != nil && alt != nil; alt = alt.orElse {
			err = alt.apply(e)
		}
		if err != nil {
			return lineErr(l, err)
		}
	}
	e.settle()
	if l.Time.Kind != TimeNone {
		e.anchor = start
	}
	return nil
}

// advanceTo moves the virtual clock to target, firing the stack's timers
// in order and letting blocked calls react to each.
func (e *executor) advanceTo(target time.Duration) error {
	return e.advanceUntil(target, nil)
}

// advanceUntil is advanceTo that stops early, at a timer's deadline, once
// done reports true.
func (e *executor) advanceUntil(target time.Duration, done func() bool) error {
	for {
		if err := e.checkCalls(); err != nil {
			return err
		}
		now := e.now()
		if now >= target || done != nil && done() {
			return nil
		}
		stop := target
		if next, ok := e.clk.Next(); ok && next.Sub(e.t0) < stop {
			stop = max(next.Sub(e.t0), now)
		}
		e.clk.AdvanceTo(e.t0.Add(stop))
		e.settle()
	}
}

// settle lets the calls in flight run until each has returned or blocked,
// fires timers that are already due, and notes the calls that returned.
func (e *executor) settle() {
	defer e.noteReturns()
	for range 1000 {
		if !settleGoroutines(e.calls, settleLimit, &e.stackBuf) {
			e.stuck = true // reported by checkCalls
			return
		}
		next, ok := e.clk.Next()
		if !ok || next.After(e.clk.Now()) {
			return
		}
		e.clk.AdvanceTo(e.clk.Now())
	}
}

// Methods of shellEnv.

func (e *executor) setSysctl(name, value string) error {
	e.tracef("sysctl %s=%s", name, value)
	if err := e.ns.Sysctl.Set(name, value); err != nil {
		if se, ok := err.(*netns.SysctlError); ok && se.Err.Name() == "ENOENT" {
			return unsupported("sysctl %s is not in gosock's table", name)
		}
		return unsupported("sysctl %s=%s: %v", name, value, err)
	}
	return nil
}

// flushMetrics empties the per-destination cache (`ip tcp_metrics
// flush`): TCP's Fast Open cookies and MSS values.
func (e *executor) flushMetrics() {
	if p := gtcp.Of(e.ns); p != nil {
		p.FlushMetrics()
	}
}

// nstat returns the MIB counters that changed since the last call.
func (e *executor) nstat() map[string]uint64 {
	changed := make(map[string]uint64)
	now := make(map[string]uint64)
	e.ns.MIB.Each(func(name string, v uint64) {
		now[name] = v
		if v != e.nstatSeen[name] {
			changed[name] = v - e.nstatSeen[name]
		}
	})
	e.nstatSeen = now
	return changed
}

func (e *executor) setDropAll(on bool) { e.dev.SetDropAll(on) }
func (e *executor) setGSO(on bool)     { e.dev.SetGSO(on) }

// result turns the end of a run into a Result.
func (e *executor) result(err error) *Result {
	res := &Result{Path: e.script.Path, Mode: e.mode, Outcome: Pass}
	if e.clk != nil {
		res.ScriptTime = e.now()
	}
	if err == nil {
		return res
	}
	se, ok := err.(*stepError)
	if !ok {
		se = &stepError{outcome: Fail, reason: err.Error()}
	}
	res.Outcome, res.Pos, res.Line, res.Reason, res.Detail = se.outcome, se.pos, se.line, se.reason, se.detail
	return res
}
