package packetdrill

import (
	"bytes"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// A system call runs on a goroutine of its own, as upstream runs calls on
// a thread of their own, so a blocking call can wait while the script
// goes on injecting packets. The runner must know when such a goroutine
// has nothing more to do until the next packet or timer: then the
// virtual clock may move. It learns that from the goroutine's scheduling
// state, as upstream reads the state of its syscall thread from /proc: a
// goroutine parked on a channel or a condition variable is blocked; one
// that is runnable, running or waiting for a mutex is still busy.

// inflight is a system call in flight.
type inflight struct {
	line *SyscallLine
	prep *preparedCall
	// start is when it was made; win is when it must return.
	start time.Duration
	win   window

	gid  atomic.Uint64 // the goroutine running it, once known
	done chan struct{} // closed after ret and err are set
	ret  int64
	err  error

	// returned is set, with the virtual time at, once the runner has
	// seen the call return.
	returned bool
	at       time.Duration
}

// launch starts the call's goroutine.
func (c *inflight) launch() {
	c.done = make(chan struct{})
	go func() {
		c.gid.Store(currentGoroutineID())
		defer close(c.done)
		c.ret, c.err = c.prep.run()
	}()
}

// finished reports whether the call has returned.
func (c *inflight) finished() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// currentGoroutineID returns the id the runtime prints for the calling
// goroutine ("goroutine 42 [running]:").
func currentGoroutineID() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	id, _ := parseGoroutineHeader(buf[:n])
	return id
}

// parseGoroutineHeader reads "goroutine N [state, ...]:" at the start of
// b and returns N and state.
func parseGoroutineHeader(b []byte) (uint64, string) {
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0, ""
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return 0, ""
	}
	id, err := strconv.ParseUint(string(b[:sp]), 10, 64)
	if err != nil {
		return 0, ""
	}
	rest := b[sp+1:]
	if len(rest) == 0 || rest[0] != '[' {
		return id, ""
	}
	end := bytes.IndexAny(rest, ",]")
	if end < 0 {
		return id, ""
	}
	return id, string(rest[1:end])
}

// goroutineStates returns the scheduling state of every goroutine.
func goroutineStates(buf *[]byte) map[uint64]string {
	for {
		n := runtime.Stack(*buf, true)
		if n < len(*buf) {
			states := make(map[uint64]string)
			for _, block := range bytes.Split((*buf)[:n], []byte("\n\n")) {
				if id, st := parseGoroutineHeader(block); id != 0 {
					states[id] = st
				}
			}
			return states
		}
		*buf = make([]byte, 2*len(*buf))
	}
}

// parkedStates are the states of a goroutine waiting for an event: for
// a call, a wakeup from a packet or a timer.
var parkedStates = map[string]bool{
	"select":                  true,
	"select (no cases)":       true,
	"chan receive":            true,
	"chan send":               true,
	"chan receive (nil chan)": true,
	"chan send (nil chan)":    true,
	"sync.Cond.Wait":          true,
	"sync.WaitGroup.Wait":     true,
}

// settleGoroutines waits until every call in calls has returned or is
// parked. It reports false if that did not happen within limit (a call
// spinning in the stack).
func settleGoroutines(calls []*inflight, limit time.Duration, buf *[]byte) bool {
	deadline := time.Now().Add(limit)
	for spin := 0; ; spin++ {
		busy := false
		for _, c := range calls {
			if !c.finished() {
				busy = true
				break
			}
		}
		if !busy {
			return true
		}
		// Give the calls a chance to run before looking closer.
		if spin < 4 {
			runtime.Gosched()
			continue
		}
		states := goroutineStates(buf)
		busy = false
		for _, c := range calls {
			if c.finished() {
				continue
			}
			gid := c.gid.Load()
			if gid == 0 || !parkedStates[states[gid]] {
				busy = true
				break
			}
		}
		if !busy {
			// A goroutine parked while the dump was taken may have been
			// woken since only by the runner itself, which is here.
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		if spin < 64 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}
