package gonet

import (
	"sync"

	"github.com/gosock/gosock/socket"
)

// fd holds a socket for a Conn or Listener as a file holds it: each call
// takes a reference for its duration (fdget), and the socket is released
// when Close has been called and the last call has returned (fput), so a
// protocol never sees Release while one of its calls runs, as in Linux.
// Close does not wait: it marks the fd closing, and the caller cancels the
// blocked calls, which then drop their references.
type fd struct {
	s *socket.Socket

	mu      sync.Mutex
	refs    int
	closing bool
}

// acquire takes a reference, or reports false once Close was called.
func (f *fd) acquire() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return false
	}
	f.refs++
	return true
}

// release drops a reference, closing the socket if it was the last one
// after Close.
func (f *fd) release() {
	f.mu.Lock()
	f.refs--
	last := f.closing && f.refs == 0
	f.mu.Unlock()
	if last {
		f.s.Close()
	}
}

// close marks the fd closing and closes the socket unless calls hold it;
// it reports false if it was already closing.
func (f *fd) close() bool {
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return false
	}
	f.closing = true
	last := f.refs == 0
	f.mu.Unlock()
	if last {
		f.s.Close()
	}
	return true
}
