package socket

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
)

// Buffer-size limits and lock bits, as include/net/sock.h.
const (
	// SockMinSndbuf and SockMinRcvbuf are the smallest buffers
	// setsockopt leaves (2 * (2048 + 256) and 2048 + 256).
	SockMinSndbuf = 4608
	SockMinRcvbuf = 2304

	SockSndbufLock = 1
	SockRcvbufLock = 2
)

// boolOpts are the SOL_SOCKET options that are plain flags.
var boolOpts = map[int]bool{
	abi.SO_REUSEADDR: true, abi.SO_REUSEPORT: true, abi.SO_KEEPALIVE: true,
	abi.SO_DONTROUTE: true, abi.SO_BROADCAST: true, abi.SO_OOBINLINE: true,
	abi.SO_NO_CHECK: true, abi.SO_PASSCRED: true, abi.SO_PASSSEC: true,
	abi.SO_TIMESTAMP_OLD: true, abi.SO_TIMESTAMPNS_OLD: true,
	abi.SO_RXQ_OVFL: true, abi.SO_WIFI_STATUS: true, abi.SO_NOFCS: true,
	abi.SO_SELECT_ERR_QUEUE: true, abi.SO_RCVMARK: true, abi.SO_PASSPIDFD: true,
	abi.SO_DEBUG: true, abi.SO_ZEROCOPY: true,
}

// SetSockopt is setsockopt(2): SOL_SOCKET options are handled here as
// sk_setsockopt does (and then shown to the protocol), other levels go
// to the protocol.
func (s *Socket) SetSockopt(level, name int, val []byte) error {
	if level != abi.SOL_SOCKET {
		return nilIfZero(s.ops.SetSockopt(level, name, val))
	}
	if e := s.sock.setSocketOption(name, val); e != 0 {
		return e
	}
	if e := s.ops.SetSockopt(level, name, val); e != 0 && e != errno.ENOPROTOOPT {
		return e
	}
	return nil
}

func (sk *Sock) setSocketOption(name int, val []byte) errno.Errno {
	if name == abi.SO_BINDTODEVICE {
		return sk.setBindToDevice(val)
	}
	if len(val) < 4 {
		return errno.EINVAL
	}
	v := int(int32(binary.LittleEndian.Uint32(val)))
	on := v != 0
	switch name {
	case abi.SO_TYPE, abi.SO_PROTOCOL, abi.SO_DOMAIN, abi.SO_ERROR, abi.SO_ACCEPTCONN,
		abi.SO_PEERCRED, abi.SO_PEERNAME, abi.SO_PEERSEC, abi.SO_COOKIE, abi.SO_SNDLOWAT,
		abi.SO_MEMINFO, abi.SO_PEERGROUPS, abi.SO_INCOMING_NAPI_ID, abi.SO_PEERPIDFD:
		return errno.ENOPROTOOPT
	case abi.SO_DEBUG:
		if on && !sk.Creds.Has(CapNetAdmin) {
			return errno.EACCES
		}
	case abi.SO_REUSEPORT:
		if on && sk.Family != abi.AF_INET && sk.Family != abi.AF_INET6 {
			return errno.EOPNOTSUPP
		}
	case abi.SO_ZEROCOPY:
		if !(sk.Family == abi.AF_INET || sk.Family == abi.AF_INET6) ||
			!(sk.Type == abi.SOCK_STREAM || sk.Type == abi.SOCK_DGRAM) {
			return errno.EOPNOTSUPP
		}
		if v < 0 || v > 1 {
			return errno.EINVAL
		}
	case abi.SO_SNDBUF, abi.SO_SNDBUFFORCE:
		if name == abi.SO_SNDBUFFORCE {
			if !sk.Creds.Has(CapNetAdmin) {
				return errno.EPERM
			}
			v = max(v, 0)
		} else if lim := int(sk.NS.Sysctl.Int(netns.WmemMax)); uint32(v) > uint32(lim) {
			v = lim // an unsigned comparison, as Linux's min_t(u32, ...)
		}
		v = min(v, math.MaxInt32/2)
		sk.mu.Lock()
		sk.userLocks |= SockSndbufLock
		sk.sndBuf.Store(int64(max(v*2, SockMinSndbuf)))
		sk.mu.Unlock()
		sk.Wait.Notify(writeSpace)
		return 0
	case abi.SO_RCVBUF, abi.SO_RCVBUFFORCE:
		if name == abi.SO_RCVBUFFORCE {
			if !sk.Creds.Has(CapNetAdmin) {
				return errno.EPERM
			}
			v = max(v, 0)
		} else if lim := int(sk.NS.Sysctl.Int(netns.RmemMax)); uint32(v) > uint32(lim) {
			v = lim
		}
		v = min(v, math.MaxInt32/2)
		sk.mu.Lock()
		sk.userLocks |= SockRcvbufLock
		sk.rcvBuf.Store(int64(max(v*2, SockMinRcvbuf)))
		sk.mu.Unlock()
		return 0
	case abi.SO_BUF_LOCK:
		if v&^(SockSndbufLock|SockRcvbufLock) != 0 {
			return errno.EINVAL
		}
		sk.mu.Lock()
		sk.userLocks = sk.userLocks&^(SockSndbufLock|SockRcvbufLock) | int32(v)
		sk.mu.Unlock()
		return 0
	case abi.SO_LINGER:
		if len(val) < 8 {
			return errno.EINVAL
		}
		secs := int(int32(binary.LittleEndian.Uint32(val[4:])))
		sk.mu.Lock()
		sk.linger = Linger{On: on, Seconds: secs}
		if !on {
			sk.linger = Linger{}
		}
		sk.mu.Unlock()
		return 0
	case abi.SO_RCVLOWAT:
		if v < 0 {
			v = math.MaxInt32
		}
		sk.mu.Lock()
		sk.rcvLowat.Store(int64(max(v, 1)))
		sk.mu.Unlock()
		sk.Wait.Notify(readable)
		return 0
	case abi.SO_RCVTIMEO_OLD, abi.SO_RCVTIMEO_NEW, abi.SO_SNDTIMEO_OLD, abi.SO_SNDTIMEO_NEW:
		d, e := parseTimeval(val)
		if e != 0 {
			return e
		}
		sk.mu.Lock()
		if name == abi.SO_RCVTIMEO_OLD || name == abi.SO_RCVTIMEO_NEW {
			sk.rcvTimeo.Store(int64(d))
		} else {
			sk.sndTimeo.Store(int64(d))
		}
		sk.mu.Unlock()
		return 0
	case abi.SO_PRIORITY:
		if (v < 0 || v > 6) && !sk.Creds.Has(CapNetAdmin) && !sk.Creds.Has(CapNetRaw) {
			return errno.EPERM
		}
		sk.mu.Lock()
		sk.priority = uint32(v)
		sk.mu.Unlock()
		return 0
	case abi.SO_MARK:
		if !sk.Creds.Has(CapNetAdmin) && !sk.Creds.Has(CapNetRaw) {
			return errno.EPERM
		}
		sk.mu.Lock()
		sk.mark = uint32(v)
		sk.mu.Unlock()
		return 0
	case abi.SO_BINDTOIFINDEX:
		return sk.bindToIndex(v)
	case abi.SO_TIMESTAMP_NEW, abi.SO_TIMESTAMPNS_NEW:
		old := abi.SO_TIMESTAMP_OLD
		if name == abi.SO_TIMESTAMPNS_NEW {
			old = abi.SO_TIMESTAMPNS_OLD
		}
		sk.SetFlag(old, on)
		return 0
	case abi.SO_PEEK_OFF, abi.SO_INCOMING_CPU, abi.SO_BUSY_POLL, abi.SO_MAX_PACING_RATE,
		abi.SO_TXTIME, abi.SO_LOCK_FILTER, abi.SO_TIMESTAMPING_OLD, abi.SO_TIMESTAMPING_NEW:
		// Accepted and kept for the protocol, which may act on them.
		return 0
	}
	if !boolOpts[name] {
		return errno.ENOPROTOOPT
	}
	sk.SetFlag(name, on)
	return 0
}

const (
	writeSpace = 0x4 | 0x100 // EventOut | EventWrNorm
	readable   = 0x1 | 0x40  // EventIn | EventRdNorm
)

// parseTimeval reads a struct timeval (64-bit) as sock_set_timeout: a
// microsecond field out of range is EDOM; a negative time is stored as 0
// (Linux logs a warning); 0 means no timeout.
func parseTimeval(val []byte) (time.Duration, errno.Errno) {
	if len(val) < 16 {
		return 0, errno.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(val))
	usec := int64(binary.LittleEndian.Uint64(val[8:]))
	if usec < 0 || usec >= 1000000 {
		return 0, errno.EDOM
	}
	if sec < 0 {
		return 0, 0
	}
	if sec > int64(math.MaxInt64/time.Second)-1 {
		return 0, 0
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, 0
}

func (sk *Sock) setBindToDevice(val []byte) errno.Errno {
	name := val
	if len(name) > 15 {
		name = name[:15] // IFNAMSIZ - 1
	}
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	idx := 0
	if len(name) > 0 {
		ifc := sk.NS.InterfaceByName(string(name))
		if ifc == nil {
			return errno.ENODEV
		}
		idx = ifc.Index()
	}
	return sk.bindToIndex(idx)
}

// bindToIndex is sock_bindtoindex_locked: changing an existing binding
// needs CAP_NET_RAW; an unknown index is ENODEV.
func (sk *Sock) bindToIndex(idx int) errno.Errno {
	if idx < 0 {
		return errno.EINVAL
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.bindDev.Load() != 0 && !sk.Creds.Has(CapNetRaw) {
		return errno.EPERM
	}
	if idx != 0 && sk.NS.Interface(idx) == nil {
		return errno.ENODEV
	}
	sk.bindDev.Store(int64(idx))
	return 0
}

// GetSockopt is getsockopt(2): it writes the value into buf and returns
// the length to report, which for integers is min(len(buf), 4) as
// sk_getsockopt copies.
func (s *Socket) GetSockopt(level, name int, buf []byte) (int, error) {
	if level != abi.SOL_SOCKET {
		n, e := s.ops.GetSockopt(level, name, buf)
		return n, nilIfZero(e)
	}
	sk := s.sock
	var v int
	putInt := func(x int) (int, error) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(int32(x)))
		return copy(buf, b[:]), nil
	}
	switch name {
	case abi.SO_TYPE:
		v = sk.Type
	case abi.SO_PROTOCOL:
		v = sk.Protocol
	case abi.SO_DOMAIN:
		v = sk.Family
	case abi.SO_ERROR:
		// sock_getsockopt: the pending error, else the soft one; either
		// is cleared by reading it.
		v = int(sk.TakeError())
		if v == 0 {
			v = int(sk.errSoft.Swap(0))
		}
	case abi.SO_ACCEPTCONN:
		// Only the protocol knows whether it listens.
		if n, e := s.ops.GetSockopt(level, name, buf); e == 0 {
			return n, nil
		}
		v = 0
	case abi.SO_SNDBUF:
		v = sk.SndBuf()
	case abi.SO_RCVBUF:
		v = sk.RcvBuf()
	case abi.SO_BUF_LOCK:
		v = sk.BufLocks()
	case abi.SO_RCVLOWAT:
		v = sk.RcvLowat()
	case abi.SO_SNDLOWAT:
		v = 1
	case abi.SO_PRIORITY:
		v = int(sk.Priority())
	case abi.SO_MARK:
		v = int(sk.Mark())
	case abi.SO_BINDTOIFINDEX:
		v = sk.BoundDevice()
	case abi.SO_LINGER:
		l := sk.Linger()
		var b [8]byte
		if l.On {
			binary.LittleEndian.PutUint32(b[:], 1)
		}
		binary.LittleEndian.PutUint32(b[4:], uint32(int32(l.Seconds)))
		return copy(buf, b[:]), nil
	case abi.SO_RCVTIMEO_OLD, abi.SO_SNDTIMEO_OLD, abi.SO_RCVTIMEO_NEW, abi.SO_SNDTIMEO_NEW:
		rcv, snd := sk.Timeouts()
		d := snd
		if name == abi.SO_RCVTIMEO_OLD || name == abi.SO_RCVTIMEO_NEW {
			d = rcv
		}
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], uint64(d/time.Second))
		binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
		return copy(buf, b[:]), nil
	case abi.SO_PEERCRED:
		c, ok := sk.PeerCred()
		if !ok {
			c = Creds{PID: 0, UID: -1, GID: -1} // no peer: pid 0, uid and gid -1, as Linux reports
		}
		var b [12]byte
		binary.LittleEndian.PutUint32(b[:], uint32(c.PID))
		binary.LittleEndian.PutUint32(b[4:], uint32(c.UID))
		binary.LittleEndian.PutUint32(b[8:], uint32(c.GID))
		return copy(buf, b[:]), nil
	case abi.SO_BINDTODEVICE:
		idx := sk.BoundDevice()
		if idx == 0 {
			return 0, nil
		}
		if len(buf) < 16 { // IFNAMSIZ
			return 0, errno.EINVAL
		}
		ifc := sk.NS.Interface(idx)
		if ifc == nil {
			return 0, errno.ENODEV
		}
		n := copy(buf, ifc.Name())
		buf[n] = 0
		return n + 1, nil
	case abi.SO_TIMESTAMP_NEW:
		v = b2i(sk.Flag(abi.SO_TIMESTAMP_OLD))
	case abi.SO_TIMESTAMPNS_NEW:
		v = b2i(sk.Flag(abi.SO_TIMESTAMPNS_OLD))
	default:
		if !boolOpts[name] {
			if n, e := s.ops.GetSockopt(level, name, buf); e != errno.ENOPROTOOPT {
				return n, nilIfZero(e)
			}
			return 0, errno.ENOPROTOOPT
		}
		v = b2i(sk.Flag(name))
	}
	return putInt(v)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
