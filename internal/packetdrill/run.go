package packetdrill

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gosock/gosock/netns"
)

// IPMode is the address family a script runs in, as upstream's
// --ip_version.
type IPMode uint8

const (
	// ModeAuto picks the mode from the script: its --ip_version option,
	// else IPv6 for a file named *v6.pkt, else IPv4.
	ModeAuto IPMode = iota
	// ModeIPv4: AF_INET sockets, IPv4 packets.
	ModeIPv4
	// ModeIPv6: AF_INET6 sockets, IPv6 packets.
	ModeIPv6
	// ModeIPv4Mapped: AF_INET6 sockets bound and connected to
	// IPv4-mapped addresses (::ffff:a.b.c.d), IPv4 packets.
	ModeIPv4Mapped
)

// String returns the --ip_version spelling of the mode.
func (m IPMode) String() string {
	switch m {
	case ModeIPv4:
		return "ipv4"
	case ModeIPv6:
		return "ipv6"
	case ModeIPv4Mapped:
		return "ipv4-mapped-ipv6"
	}
	return "auto"
}

// ParseIPMode parses an --ip_version value: "ipv4", "ipv6",
// "ipv4-mapped-ipv6" or "auto" (also "").
func ParseIPMode(s string) (IPMode, error) {
	switch s {
	case "", "auto":
		return ModeAuto, nil
	case "ipv4":
		return ModeIPv4, nil
	case "ipv6":
		return ModeIPv6, nil
	case "ipv4-mapped-ipv6":
		return ModeIPv4Mapped, nil
	}
	return ModeAuto, fmt.Errorf("packetdrill: unknown IP version %q (want ipv4, ipv6 or ipv4-mapped-ipv6)", s)
}

// Default addresses, as upstream's batch runner uses (GRAMMAR.md section
// 6): the stack is the local end, the injected peer the remote one.
var (
	DefaultLocalIPv4  = netip.MustParseAddr("192.168.0.1")
	DefaultRemoteIPv4 = netip.MustParseAddr("192.0.2.1")
	DefaultLocalIPv6  = netip.MustParseAddr("fd3d:a0b:17d6::1")
	DefaultRemoteIPv6 = netip.MustParseAddr("fd3d:fa7b:d17d::1")
)

// DefaultDefines returns the defines upstream's batch runner passes for
// a mode (TIERS.md): the Fast Open cookie the default addresses and key
// give, and the ICMP code one script takes from the command line.
func DefaultDefines(m IPMode) map[string]string {
	cookie := "3021b9d889017eeb"
	if m == ModeIPv6 {
		cookie = "c1d1e9742a47a9bc"
	}
	return map[string]string{
		"TFO_COOKIE":        cookie,
		"CODE":              "host_unreachable",
		"CMSG_LEVEL_IP":     "SOL_IP",
		"CMSG_TYPE_RECVERR": "IP_RECVERR",
	}
}

// Options configure a Runner. The zero value runs scripts as upstream's
// batch runner does.
type Options struct {
	// Tolerance is the timing tolerance (default DefaultTolerance); a
	// script's --tolerance_usecs overrides it.
	Tolerance time.Duration
	// Mode is the address family; a script's --ip_version overrides it.
	Mode IPMode
	// LocalIP and RemoteIP override the default addresses of the mode; a
	// script's --local_ip and --remote_ip override these.
	LocalIP, RemoteIP netip.Addr
	// Defines are "-D NAME=value" replacements, added to (and
	// overriding) DefaultDefines of the script's mode.
	Defines map[string]string
	// Seed seeds the namespace (ISNs, ports); 0 uses a fixed seed so runs
	// repeat.
	Seed uint64
	// Trace, if set, receives a line for every event as it runs.
	Trace io.Writer
	// Timeout bounds the wall-clock time of one script (default 60 s), in
	// case the stack under test spins.
	Timeout time.Duration
	// Setup, if set, is called with each script's namespace once its
	// protocols are registered and tun0 is configured, before the first
	// line runs: to install extra protocols or change defaults.
	Setup func(ns *netns.Namespace) error
}

// Outcome is the result class of a script.
type Outcome uint8

const (
	// Pass: every line behaved as the script says.
	Pass Outcome = iota + 1
	// Fail: a line did not (wrong packet, return value, errno, timing), or
	// the script is invalid.
	Fail
	// Unsupported: the script needs something the runner cannot emulate
	// or the stack does not provide (a shell command, a python statement,
	// an unknown sysctl, TCP_INFO).
	Unsupported
)

// String returns "pass", "fail" or "unsupported".
func (o Outcome) String() string {
	switch o {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Unsupported:
		return "unsupported"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// ParseOutcome parses the String form of an outcome.
func ParseOutcome(s string) (Outcome, error) {
	for _, o := range []Outcome{Pass, Fail, Unsupported} {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("packetdrill: unknown outcome %q", s)
}

// Result is the outcome of one script.
type Result struct {
	// Path is the script's file name.
	Path string
	// Mode is the address family the script ran in.
	Mode    IPMode
	Outcome Outcome
	// Pos and Line are the line that failed or needed an unsupported
	// feature (zero Pos for problems that belong to no line).
	Pos  Pos
	Line string
	// Reason is a short description, the same for the same problem in
	// different scripts (for grouping); Detail adds the expected and
	// actual values.
	Reason string
	Detail string
	// ScriptTime is how far the script's virtual clock got; Elapsed the
	// wall-clock time the run took.
	ScriptTime time.Duration
	Elapsed    time.Duration
}

// String prints the result on one line: "pass PATH", or
// "fail PATH:LINE: REASON".
func (r *Result) String() string {
	if r.Outcome == Pass {
		return "pass " + r.Path
	}
	loc := r.Path
	if r.Pos.IsValid() {
		loc = fmt.Sprintf("%s:%d", r.Path, r.Pos.Line)
	}
	return fmt.Sprintf("%s %s: %s", r.Outcome, loc, r.Reason)
}

// Runner executes packetdrill scripts, each against a fresh namespace and
// process of the gosock stack on a virtual clock. A Runner is safe for
// concurrent use: every run has its own state.
//
// How a script runs:
//
//   - The namespace (gosock.NewNamespace) runs on a clock.Manual. Its
//     interface tun0 is a raw-IP Device holding the stack's address, with
//     a default route to the peer; the runner injects inbound packets into
//     it and captures what the stack transmits, with the time.
//   - Before anything runs, every line is checked for features the runner
//     cannot emulate (shell commands, python statements, system calls):
//     such a script is Unsupported from the start.
//   - Lines run in order at their times: the clock advances to each,
//     firing the stack's timers in order. An outbound line looks for the
//     next captured packet at once (an early packet fails), advancing the
//     clock through timer deadlines until one appears; it must come within
//     the tolerance of its time (a late one is still taken up to two
//     seconds later, to report it as late rather than missing).
//   - System calls go through the sys package on a goroutine each, as
//     upstream's syscall thread; the runner waits until the goroutine has
//     returned or parked (it reads goroutine states, as upstream reads
//     /proc), so a blocking call lets the script go on. Calls are checked
//     when the next call needs the syscall thread, or at the end.
//   - Packets are compared field by field by MatchOutbound and built by
//     BuildInbound, through the Flow's sequence number bindings.
type Runner struct {
	opts Options
}

// NewRunner returns a runner with the given options.
func NewRunner(o Options) *Runner {
	if o.Tolerance <= 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	return &Runner{opts: o}
}

// RunFile parses and runs the script at path.
func (r *Runner) RunFile(path string) *Result {
	src, err := os.ReadFile(path)
	if err != nil {
		return &Result{Path: path, Outcome: Fail, Reason: "cannot read script", Detail: err.Error()}
	}
	return r.RunSource(path, src)
}

// RunSource parses src (named path, which also anchors the relative
// paths of the script's shell commands) and runs it.
func (r *Runner) RunSource(path string, src []byte) *Result {
	mode := r.modeFor(path, src)
	defines := DefaultDefines(mode)
	for k, v := range r.opts.Defines {
		defines[k] = v
	}
	s, err := Parse(path, src, defines)
	if err != nil {
		res := &Result{Path: path, Mode: mode, Outcome: Fail, Reason: "parse error", Detail: err.Error()}
		if pe, ok := err.(*ParseError); ok {
			res.Pos = pe.Pos()
			res.Reason = "parse error: " + pe.Msg
		}
		return res
	}
	return r.Run(s)
}

// modeFor picks the mode of a script before it is parsed (the defines
// depend on it): --ip_version in the header, then the options, then the
// file name.
func (r *Runner) modeFor(path string, src []byte) IPMode {
	for _, line := range bytes.Split(src, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if v, ok := strings.CutPrefix(l, "--ip_version="); ok {
			if m, err := ParseIPMode(v); err == nil && m != ModeAuto {
				return m
			}
		}
	}
	if r.opts.Mode != ModeAuto {
		return r.opts.Mode
	}
	if strings.HasSuffix(filepath.Base(path), "v6.pkt") {
		return ModeIPv6
	}
	return ModeIPv4
}

// Run executes a parsed script.
func (r *Runner) Run(s *Script) *Result {
	start := time.Now()
	e, err := newExecutor(r.opts, s)
	var res *Result
	if err != nil {
		res = e.result(err)
	} else {
		res = e.result(e.run())
	}
	res.Elapsed = time.Since(start)
	return res
}
