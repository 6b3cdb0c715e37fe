package gonet

import (
	"context"
	"errors"
	"net"
	"os"

	"github.com/gosock/gosock/errno"
)

// Errors are shaped as the net package shapes them (see doc.go):
//
//	*net.OpError{Op, Net, Source, Addr, Err}
//	  Err: *os.SyscallError{Syscall, Err: errno.Errno}  a socket call failed
//	       os.ErrDeadlineExceeded                       a deadline passed
//	       net.ErrClosed                                the Conn or Listener was closed
//	       *net.AddrError, *net.DNSError, net.UnknownNetworkError,
//	       timeoutError, canceledError                  dialing and listening
//
// and io.EOF, bare, at the end of a stream.

// errMissingAddress is net's "missing address": a Dial with an empty
// address, a WriteTo without one.
var errMissingAddress = errors.New("missing address")

// timeoutError is what a dial whose context or Dialer.Timeout ran out
// wraps, as net's errTimeout: "i/o timeout", a net.Error with Timeout
// true, matching both context.DeadlineExceeded (as net's does) and
// os.ErrDeadlineExceeded under errors.Is.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Is(err error) bool {
	return err == context.DeadlineExceeded || err == os.ErrDeadlineExceeded
}

// canceledError is what a dial whose context was canceled wraps, as net's
// errCanceled; it matches context.Canceled.
type canceledError struct{}

func (canceledError) Error() string     { return "operation was canceled" }
func (canceledError) Is(err error) bool { return err == context.Canceled }

// mapCtxErr turns the end of a dial's context into the error a dial
// returns (net's mapErr).
func mapCtxErr(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return timeoutError{}
	}
	return canceledError{}
}

// syscallErr wraps an error of the socket layer: an errno becomes an
// *os.SyscallError naming the call; anything else is returned as it is.
func syscallErr(call string, err error) error {
	if e, ok := errno.Of(err); ok {
		return os.NewSyscallError(call, e)
	}
	return err
}

// isErrno reports whether err carries an errno: a failure of the call
// rather than the end of the context it was given.
func isErrno(err error) bool {
	_, ok := errno.Of(err)
	return ok
}

// nilAddr returns a as a net.Addr, or a nil interface when a is a nil
// pointer, so OpError never holds a typed nil (net's isValid rejects it).
func nilAddr(a net.Addr) net.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		if a == nil {
			return nil
		}
	case *net.UDPAddr:
		if a == nil {
			return nil
		}
	case *net.UnixAddr:
		if a == nil {
			return nil
		}
	}
	return a
}

func opError(op, network string, source, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: network, Source: nilAddr(source), Addr: nilAddr(addr), Err: err}
}
