// Package stall makes a test that stops making progress impossible to
// miss: it writes every goroutine's stack and the TCP socket tables of
// the namespaces involved to a file that outlives the test, copies the
// report to standard error, and crashes the test binary.
//
// Long tests on fake time (testing/synctest) need it because a stuck
// connection does not always make the bubble durably blocked, which
// synctest would report with stacks: a fault injector or a timer that
// re-arms keeps fake time moving, so the test runs on in real time until
// something outside kills it, and a test binary killed by a signal other
// than SIGQUIT prints nothing. A watchdog on fake time (Watch) and a
// signal handler (OnSignal) close both gaps.
package stall

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/tcp"
)

// Stacks returns every goroutine's stack, as a panic with
// GOTRACEBACK=all prints them, growing the buffer until it fits.
func Stacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Sockets writes the TCP sockets of each namespace, one line each, in the
// columns ss prints plus the fields that show where a connection waits:
// its timers' backoff, what it has in flight, and whether it is orphaned.
func Sockets(w io.Writer, nss ...*netns.Namespace) {
	for _, ns := range nss {
		socks := tcp.Of(ns).Sockets()
		fmt.Fprintf(w, "== %s: %d TCP sockets\n", ns.Name(), len(socks))
		for _, s := range socks {
			in := &s.Info
			fmt.Fprintf(w, "%-11s %s -> %s recvq %d sendq %d orphan %v retransmits %d backoff %d probes %d unacked %d lost %d rto %dus last_recv %dms last_send %dms\n",
				s.State.SSName(), s.Local, s.Remote, s.RecvQ, s.SendQ, s.Orphan,
				in.Retransmits, in.Backoff, in.Probes, in.Unacked, in.Lost, in.RTO,
				in.LastDataRecv, in.LastDataSent)
		}
	}
}

// Fail reports a stall and crashes the test binary: the stacks first (so
// they are out even if a socket table cannot be read because the stall
// holds a connection's lock), then the socket tables, into a file in the
// system's temporary directory that is kept, and to standard error. It
// panics rather than calling t.Fatal because it runs on a watchdog's
// goroutine, and because the stuck goroutines would keep a failed test
// from returning anyway.
func Fail(why string, nss ...*netns.Namespace) {
	stacks := Stacks()
	f, err := os.CreateTemp("", "gosock-stall-*.txt")
	var w io.Writer = os.Stderr
	path := "(no file: " + fmt.Sprint(err) + ")"
	if err == nil {
		path = f.Name()
		w = io.MultiWriter(os.Stderr, f)
	}
	fmt.Fprintf(w, "\n=== STALL: %s\n=== report in %s\n=== goroutines\n%s\n", why, path, stacks)
	Sockets(w, nss...)
	if f != nil {
		f.Close()
	}
	panic(fmt.Sprintf("stall: %s (stacks and sockets above and in %s)", why, path))
}

// A Watchdog fails the test (Fail) when Progress is not called for a
// stretch of the clock the test runs on: fake time inside a synctest
// bubble, where the watchdog's own timer is what lets a durably blocked
// bubble advance to it.
type Watchdog struct {
	mu    sync.Mutex
	last  time.Time
	what  string
	limit time.Duration
	nss   []*netns.Namespace
	info  func() string
	stop  chan struct{}
	once  sync.Once
}

// Watch starts a watchdog that fails when nothing reports progress for
// limit; what names the test in the report, info (if not nil) adds the
// test's own account of what it is waiting for, nss are the namespaces
// whose sockets the report lists. Call it from the goroutine (and
// bubble) whose clock should count; Stop it when the test is done.
func Watch(what string, limit time.Duration, info func() string, nss ...*netns.Namespace) *Watchdog {
	w := &Watchdog{last: time.Now(), what: what, limit: limit, info: info, nss: nss, stop: make(chan struct{})}
	go w.run()
	return w
}

// Progress records that the test moved forward now.
func (w *Watchdog) Progress() {
	w.mu.Lock()
	w.last = time.Now()
	w.mu.Unlock()
}

// Stop ends the watchdog. It may be called more than once.
func (w *Watchdog) Stop() { w.once.Do(func() { close(w.stop) }) }

func (w *Watchdog) run() {
	// One timer at a time, set for when the limit would run out: a
	// ticker would keep a bubble's clock busy for nothing.
	for {
		w.mu.Lock()
		due := w.last.Add(w.limit)
		w.mu.Unlock()
		wait := time.Until(due)
		if wait <= 0 {
			why := fmt.Sprintf("%s: no progress for %v (clock at %v)", w.what, w.limit, time.Now().Format(time.TimeOnly))
			if w.info != nil {
				why += "\n" + w.info()
			}
			Fail(why, w.nss...)
		}
		t := time.NewTimer(wait)
		select {
		case <-w.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// OnSignal dumps every goroutine's stack to standard error and a kept
// file when the test binary receives SIGTERM or SIGINT (timeout(1), a
// harness giving up, ^C), then exits with status 2, so a hang killed from
// outside leaves its stacks behind. Call it outside any synctest bubble;
// the returned function restores the default handling.
func OnSignal(what string) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			stacks := Stacks()
			path := filepath.Join(os.TempDir(), fmt.Sprintf("gosock-stall-%d.txt", os.Getpid()))
			report := fmt.Appendf(nil, "\n=== %s: killed by %v; goroutines:\n%s\n", what, sig, stacks)
			os.Stderr.Write(report)
			if os.WriteFile(path, report, 0o644) == nil {
				fmt.Fprintf(os.Stderr, "=== stacks also in %s\n", path)
			}
			os.Exit(2)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
