package gonet

import (
	"sync/atomic"

	"github.com/gosock/gosock/socket"
)

// fd holds a socket for a Conn or Listener as a file holds it: each call
// takes a reference for its duration (fdget), and the socket is released
// when Close has been called and the last call has returned (fput), so a
// protocol never sees Release while one of its calls runs, as in Linux.
// Close does not wait: it marks the fd closing, and the caller cancels the
// blocked calls, which then drop their references.
//
// The count and the closing mark share one atomic word, as net's
// fdMutex keeps them, so that the two per call cost no lock: a
// request/response round makes four calls.
type fd struct {
	s *socket.Socket

	// state is the number of references in its low bits, and fdClosing
	// once Close was called. After the mark the count only falls, so
	// exactly one party sees it reach zero and closes the socket.
	state atomic.Uint64
}

const fdClosing = 1 << 63

// acquire takes a reference, or reports false once Close was called.
func (f *fd) acquire() bool {
	for {
		v := f.state.Load()
		if v&fdClosing != 0 {
			return false
		}
		if f.state.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// release drops a reference, closing the socket if it was the last one
// after Close.
func (f *fd) release() {
	if f.state.Add(^uint64(0)) == fdClosing {
		f.s.Close()
	}
}

// close marks the fd closing and closes the socket unless calls hold it;
// it reports false if it was already closing.
func (f *fd) close() bool {
	for {
		v := f.state.Load()
		if v&fdClosing != 0 {
			return false
		}
		if f.state.CompareAndSwap(v, v|fdClosing) {
			if v == 0 {
				f.s.Close()
			}
			return true
		}
	}
}
