package socket

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/waitq"
)

// Capabilities a process may hold, as Linux's CAP_* numbers.
const (
	CapNetBindService = 10
	CapNetBroadcast   = 11
	CapNetAdmin       = 12
	CapNetRaw         = 13
)

// Creds are the credentials of the process that made a socket: checked
// for privileged operations and reported by SO_PEERCRED.
type Creds struct {
	PID, UID, GID int
	// Caps is a bit set of capabilities (1 << CapNetRaw …).
	Caps uint64
}

// Has reports whether the credentials hold capability c.
func (c Creds) Has(cap int) bool { return c.Caps&(1<<cap) != 0 }

// AllCaps is the capability set of root.
const AllCaps = ^uint64(0)

// Shutdown flags, as sk_shutdown.
const (
	RcvShutdown  = 1
	SendShutdown = 2
)

// Linger is SO_LINGER's value.
type Linger struct {
	On      bool
	Seconds int
}

// Sock is the protocol-facing half of a socket: what Linux keeps in the
// common part of struct sock. Protocols read its option values; the
// generic layer writes them in setsockopt(SOL_SOCKET).
type Sock struct {
	// NS is the namespace the socket lives in.
	NS *netns.Namespace
	// Family, Type and Protocol are as given to socket(2) (Protocol as
	// resolved by the family: IPPROTO_TCP for a SOCK_STREAM 0).
	Family, Type, Protocol int
	// Creds are the creator's credentials.
	Creds Creds
	// Wait is the socket's wait queue (sk_wq): protocols Notify it when
	// readiness changes.
	Wait waitq.Queue

	err      atomic.Int32 // sk_err, reported once by SO_ERROR or a call
	errSoft  atomic.Int32 // sk_err_soft: reported by SO_ERROR when err is 0
	shutdown atomic.Uint32
	// userLocks (SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK) is guarded by mu
	// like the option fields below, but sits here in the word the three
	// atomics leave: as an int among the options it took the Sock from
	// the 224-byte allocation size class to 240 (TestSockAllocSize).
	userLocks int32
	urgent    atomic.Pointer[func()]

	mu sync.Mutex // guards the option fields below
	// Buffer sizes as getsockopt reports them (already doubled), and the
	// other options a protocol reads on every segment or call, are
	// atomics: written under mu, read without it. The receive path reads
	// the receive buffer for every segment while the reader's calls read
	// it too, and taking mu for that was 6% of a bulk transfer's CPU.
	rcvBuf, sndBuf atomic.Int64
	rcvLowat       atomic.Int64
	rcvTimeo       atomic.Int64 // a time.Duration
	sndTimeo       atomic.Int64 // a time.Duration
	linger         Linger
	flags          [2]uint64 // SO_* boolean options, bit = option number
	mark           uint32
	priority       uint32
	bindDev        atomic.Int64
	peerCred       *Creds
}

// Flag reports a boolean SOL_SOCKET option (SO_REUSEADDR, SO_KEEPALIVE,
// SO_BROADCAST, …) by its option number.
func (s *Sock) Flag(opt int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return opt >= 0 && opt < 128 && s.flags[opt/64]&(1<<(opt%64)) != 0
}

// SetFlag sets a boolean SOL_SOCKET option by its option number.
func (s *Sock) SetFlag(opt int, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if opt < 0 || opt >= 128 {
		return
	}
	if on {
		s.flags[opt/64] |= 1 << (opt % 64)
	} else {
		s.flags[opt/64] &^= 1 << (opt % 64)
	}
}

// RcvBuf returns the receive buffer size (SO_RCVBUF, doubled).
func (s *Sock) RcvBuf() int { return int(s.rcvBuf.Load()) }

// SndBuf returns the send buffer size (SO_SNDBUF, doubled).
func (s *Sock) SndBuf() int { return int(s.sndBuf.Load()) }

// SetBufs sets both buffer sizes directly (protocol defaults: tcp_rmem[1],
// tcp_wmem[1]) without locking them against auto-tuning.
func (s *Sock) SetBufs(rcv, snd int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcvBuf.Store(int64(rcv))
	s.sndBuf.Store(int64(snd))
}

// GrowSndBuf raises the send buffer to n unless the user fixed its size
// (SO_SNDBUF), as tcp_sndbuf_expand does.
func (s *Sock) GrowSndBuf(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userLocks&SockSndbufLock == 0 && int64(n) > s.sndBuf.Load() {
		s.sndBuf.Store(int64(n))
	}
}

// GrowRcvBuf raises the receive buffer to n unless the user fixed its
// size (SO_RCVBUF), as receive-buffer auto-tuning does.
func (s *Sock) GrowRcvBuf(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userLocks&SockRcvbufLock == 0 && int64(n) > s.rcvBuf.Load() {
		s.rcvBuf.Store(int64(n))
	}
}

// BufLocks returns the SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK bits: set when
// the user fixed a size, which turns off auto-tuning.
func (s *Sock) BufLocks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.userLocks)
}

// RcvLowat returns SO_RCVLOWAT (at least 1).
func (s *Sock) RcvLowat() int { return int(max(s.rcvLowat.Load(), 1)) }

// Timeouts returns SO_RCVTIMEO and SO_SNDTIMEO (0: none).
func (s *Sock) Timeouts() (rcv, snd time.Duration) {
	return time.Duration(s.rcvTimeo.Load()), time.Duration(s.sndTimeo.Load())
}

// Linger returns SO_LINGER.
func (s *Sock) Linger() Linger {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.linger
}

// Mark returns SO_MARK.
func (s *Sock) Mark() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mark
}

// Priority returns SO_PRIORITY.
func (s *Sock) Priority() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.priority
}

// BoundDevice returns SO_BINDTODEVICE's interface index (0: none).
func (s *Sock) BoundDevice() int { return int(s.bindDev.Load()) }

// SetBoundDevice sets the bound interface (protocols that bind through
// IP_PKTINFO or a scoped address).
func (s *Sock) SetBoundDevice(ifindex int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bindDev.Store(int64(ifindex))
}

// SetPeerCred records the peer's credentials (AF_UNIX connect and
// socketpair; SO_PEERCRED).
func (s *Sock) SetPeerCred(c Creds) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peerCred = &c
}

// PeerCred returns the peer's credentials, if known.
func (s *Sock) PeerCred() (Creds, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peerCred == nil {
		return Creds{}, false
	}
	return *s.peerCred, true
}

// SetUrgentNotifier installs what Urgent calls: the syscall layer sends
// SIGURG to the owner set with F_SETOWN.
func (s *Sock) SetUrgentNotifier(f func()) { s.urgent.Store(&f) }

// Urgent reports that urgent (out-of-band) data arrived, as
// sk_send_sigurg. Protocols call it on the packet path; the notifier must
// not block.
func (s *Sock) Urgent() {
	if f := s.urgent.Load(); f != nil {
		(*f)()
	}
}

// SetError records a pending error (sk_err) and wakes waiters with
// EventErr, as sk_error_report.
func (s *Sock) SetError(e errno.Errno) {
	s.err.Store(int32(e))
	s.Wait.Notify(waitq.EventErr)
}

// PendingError returns the pending error without clearing it.
func (s *Sock) PendingError() errno.Errno { return errno.Errno(s.err.Load()) }

// TakeError returns and clears the pending error (sock_error).
func (s *Sock) TakeError() errno.Errno { return errno.Errno(s.err.Swap(0)) }

// SetSoftError records a soft error (sk_err_soft): one a protocol does not
// fail calls with, such as TCP's record of an ICMP error on an
// established connection, reported if the connection later times out.
// SO_ERROR returns it when there is no hard error. Zero clears it.
func (s *Sock) SetSoftError(e errno.Errno) { s.errSoft.Store(int32(e)) }

// SoftError returns the soft error without clearing it.
func (s *Sock) SoftError() errno.Errno { return errno.Errno(s.errSoft.Load()) }

// Shutdown returns the shutdown bits (RcvShutdown | SendShutdown).
func (s *Sock) Shutdown() int { return int(s.shutdown.Load()) }

// SetShutdown adds shutdown bits.
func (s *Sock) SetShutdown(bits int) { s.shutdown.Or(uint32(bits)) }

// InitDefaults sets the buffer sizes a new socket takes from the
// namespace's net.core sysctls (sock_init_data).
func (s *Sock) InitDefaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcvBuf.Store(s.NS.Sysctl.Int(netns.RmemDefault))
	s.sndBuf.Store(s.NS.Sysctl.Int(netns.WmemDefault))
	s.rcvLowat.Store(1)
}
