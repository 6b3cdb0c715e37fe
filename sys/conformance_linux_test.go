//go:build linux

package sys

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/nettest"
)

// kernelExec runs cases against the host kernel: raw system calls on an
// arena mapped with a PROT_NONE guard page right after it, so fault and
// the tails of partial and mmsgEnd meet unmapped memory as in gosock's
// SliceMemory.
type kernelExec struct {
	mapping []byte
}

func newKernelExec(t *testing.T) *kernelExec {
	t.Helper()
	b, err := unix.Mmap(-1, 0, confArenaSize+4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	if err := unix.Mprotect(b[confArenaSize:], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return &kernelExec{mapping: b}
}

func (k *kernelExec) arena() (uintptr, []byte) {
	b := k.mapping[:confArenaSize]
	clear(b)
	return uintptr(unsafe.Pointer(&b[0])), b
}

func (k *kernelExec) call(nr int, a [6]uintptr) (int, errno.Errno) {
	r, _, e := unix.Syscall6(uintptr(nr), a[0], a[1], a[2], a[3], a[4], a[5])
	if e != 0 {
		return -1, errno.Errno(e)
	}
	return int(r), 0
}

// unprivileged runs fn with the calling thread's effective uid set to
// 1000, which empties its effective capabilities (credentials are per
// thread; the raw system call changes only this one, which the caller
// has locked). It puts uid 0 and the capabilities back; if that fails,
// the thread stays locked so that the runtime ends it with its
// goroutine.
func unprivileged(fn func()) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var saved, now [2]unix.CapUserData
	if err := unix.Capget(&hdr, &saved[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), 1000, ^uintptr(0)); e != 0 {
		return fmt.Errorf("setresuid(-1, 1000, -1): %w", e)
	}
	restored := false
	defer func() {
		if !restored {
			runtime.LockOSThread() // never give this thread back
		}
	}()
	if err := unix.Capget(&hdr, &now[0]); err != nil || now[0].Effective != 0 || now[1].Effective != 0 {
		return fmt.Errorf("capabilities still effective after setresuid: %+v %v", now, err)
	}
	fn()
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0)); e != 0 {
		return fmt.Errorf("setresuid(-1, 0, -1): %w", e)
	}
	if err := unix.Capget(&hdr, &now[0]); err != nil || now != saved {
		return fmt.Errorf("capabilities not restored: %+v, want %+v (%v)", now, saved, err)
	}
	restored = true
	return nil
}

// TestConformanceKernel runs the conformance table against the host
// kernel, in a network namespace made for the run (loopback up, deleted
// afterwards), and checks every step against the table. It needs root;
// under CI=true it must run.
func TestConformanceKernel(t *testing.T) {
	nettest.RequireRoot(t)
	ns := nettest.New(t)
	k := newKernelExec(t)
	for _, c := range confCases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := ns.Do(func() error {
				if c.unpriv {
					return unprivileged(func() { got = runConfCase(k, c) })
				}
				got = runConfCase(k, c)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			checkConf(t, "linux", c, got)
		})
	}
}
