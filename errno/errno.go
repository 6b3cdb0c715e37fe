// Package errno defines Linux error numbers as Go errors.
//
// Every call of gosock's syscall and socket layers reports failure as an
// Errno with the value x86-64 Linux uses, so code written against the
// kernel compares the same numbers. An Errno matches the syscall.Errno of
// the same number under errors.Is, in both directions where the standard
// library allows it (errors.Is(gosockErr, syscall.ECONNREFUSED) is true),
// and reports Timeout and Temporary the way syscall.Errno does, so
// net.Error checks written for the host's sockets keep working.
package errno

import (
	"os"
	"strconv"
	"syscall"
)

// Errno is a Linux error number. The zero value means success and is never
// returned as a non-nil error by gosock.
type Errno uint16

// Error returns strerror(3)'s text for the number, in the lower-case form
// Go's syscall package uses, so messages read like the host's errors.
func (e Errno) Error() string {
	if int(e) < len(table) && table[e].msg != "" {
		return table[e].msg
	}
	return "errno " + strconv.Itoa(int(e))
}

// Name returns the symbolic name ("ECONNREFUSED"), or "errno N" for a
// number Linux does not define.
func (e Errno) Name() string {
	if int(e) < len(table) && table[e].name != "" {
		return table[e].name
	}
	return "errno " + strconv.Itoa(int(e))
}

// String returns the symbolic name, as packetdrill and strace print it.
func (e Errno) String() string { return e.Name() }

// Is reports whether target is the same error number: another Errno, a
// syscall.Errno, or one of the os package's sentinel errors that
// syscall.Errno matches (os.ErrPermission, os.ErrExist, os.ErrNotExist,
// errors.ErrUnsupported).
func (e Errno) Is(target error) bool {
	switch t := target.(type) {
	case Errno:
		return e == t
	case syscall.Errno:
		return uintptr(e) == uintptr(t)
	}
	return syscall.Errno(e).Is(target)
}

// As lets errors.As find the number as a syscall.Errno, so code written
// for the host's errors (var e syscall.Errno; errors.As(err, &e)) works.
func (e Errno) As(target any) bool {
	if t, ok := target.(*syscall.Errno); ok {
		*t = syscall.Errno(e)
		return true
	}
	return false
}

// Syscall returns the host's syscall.Errno of the same number. Go's
// runtime defines the same numbering on Linux; gosock uses the Linux
// values on every platform.
func (e Errno) Syscall() syscall.Errno { return syscall.Errno(e) }

// Timeout reports whether the error means a time limit passed
// (EAGAIN, EWOULDBLOCK, ETIMEDOUT), matching syscall.Errno.Timeout.
func (e Errno) Timeout() bool { return e == EAGAIN || e == ETIMEDOUT }

// Temporary reports whether retrying may succeed, matching
// syscall.Errno.Temporary.
func (e Errno) Temporary() bool {
	return e == EINTR || e == EMFILE || e == ENFILE || e.Timeout()
}

// FromName returns the Errno with the symbolic name, such as "EINPROGRESS"
// as packetdrill scripts write it.
func FromName(name string) (Errno, bool) {
	switch name {
	case "EWOULDBLOCK":
		return EWOULDBLOCK, true
	case "EDEADLOCK":
		return EDEADLOCK, true
	case "ENOTSUP":
		return ENOTSUP, true
	}
	for i, r := range table {
		if r.name == name {
			return Errno(i), true
		}
	}
	return 0, false
}

// Of extracts the Errno from err: an Errno or a syscall.Errno anywhere in
// its chain (for example inside *net.OpError or *os.SyscallError). It
// returns 0 and false for nil and for errors that carry no number.
func Of(err error) (Errno, bool) {
	for err != nil {
		switch e := err.(type) {
		case Errno:
			return e, true
		case syscall.Errno:
			return Errno(e), true
		case *os.SyscallError:
			err = e.Err
			continue
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return 0, false
		}
		err = u.Unwrap()
	}
	return 0, false
}

// Max is the largest number in the table.
const Max = Errno(len(table) - 1)
