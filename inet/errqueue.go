package inet

import (
	"encoding/binary"
	"net/netip"
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// Error origins, as SO_EE_ORIGIN_*.
const (
	OriginLocal = abi.SO_EE_ORIGIN_LOCAL
	OriginICMP  = abi.SO_EE_ORIGIN_ICMP
	OriginICMP6 = abi.SO_EE_ORIGIN_ICMP6
)

// ExtErr is one entry of a socket's error queue: a struct
// sock_extended_err with what recvmsg(MSG_ERRQUEUE) reports alongside.
type ExtErr struct {
	Errno  errno.Errno
	Origin uint8
	Type   uint8
	Code   uint8
	Info   uint32
	Data   uint32
	// Offender is the sender of the ICMP message (unset for local
	// errors).
	Offender netip.Addr
	// Addr is the original destination (the quoted packet's), reported
	// as msg_name.
	Addr netip.AddrPort
	// Payload is the returned data: the quoted payload after the
	// transport header (ICMP errors) or the datagram (local errors).
	Payload []byte
}

// maxErrQueue bounds the error queue, as the receive buffer bounds it in
// Linux (sock_queue_err_skb).
const errTruesize = 768

type errQueue struct {
	mu    sync.Mutex
	q     []ExtErr
	bytes int
}

func (q *errQueue) purge() {
	q.mu.Lock()
	q.q, q.bytes = nil, 0
	q.mu.Unlock()
}

// Len returns the number of queued errors.
func (q *errQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.q)
}

// ErrQueueLen returns the number of entries in the error queue.
func (sk *Sock) ErrQueueLen() int { return sk.errq.Len() }

// QueueError adds an entry to the error queue (ip_icmp_error,
// ip_local_error, ipv6_icmp_error) and wakes pollers with EPOLLERR;
// dropped when the queue holds more than the receive buffer.
func (sk *Sock) QueueError(e ExtErr) {
	q := &sk.errq
	cost := errTruesize + len(e.Payload)
	q.mu.Lock()
	if q.bytes+cost >= sk.S.RcvBuf() {
		q.mu.Unlock()
		return
	}
	e.Payload = append([]byte(nil), e.Payload...)
	q.q = append(q.q, e)
	q.bytes += cost
	q.mu.Unlock()
	sk.S.Wait.Notify(waitq.EventErr)
}

// ReportError is the common tail of a protocol's ICMP error handler
// (__udp4_lib_err, __udp6_lib_err, raw_err, ping_err): with IP_RECVERR
// the error is queued and recorded; without it only a hard error of a
// connected socket is recorded (sk_err), to be returned once by the next
// call.
func (sk *Sock) ReportError(e ExtErr, hard bool) {
	if !sk.RecvErr() {
		if !hard || sk.State() != StateEstablished {
			return
		}
	} else {
		sk.QueueError(e)
	}
	sk.S.SetError(e.Errno)
}

// LocalError queues an error the stack raised itself (ip_local_error):
// only with IP_RECVERR.
func (sk *Sock) LocalError(en errno.Errno, dst netip.AddrPort, info uint32, payload []byte) {
	if !sk.RecvErr() {
		return
	}
	sk.QueueError(ExtErr{Errno: en, Origin: OriginLocal, Info: info, Addr: dst, Payload: payload})
}

// RecvError is ip_recv_error / ipv6_recv_error: recvmsg(MSG_ERRQUEUE).
// It returns EAGAIN at once when the queue is empty (it never waits).
func (sk *Sock) RecvError(m *socket.Msg, flags int) (int, errno.Errno) {
	q := &sk.errq
	q.mu.Lock()
	if len(q.q) == 0 {
		q.mu.Unlock()
		return 0, errno.EAGAIN
	}
	e := q.q[0]
	if flags&abi.MSG_PEEK == 0 {
		q.q = q.q[1:]
		q.bytes -= errTruesize + len(e.Payload)
		if len(q.q) > 0 {
			n := q.q[0]
			if n.Origin == OriginICMP || n.Origin == OriginICMP6 {
				sk.S.SetError(n.Errno)
			}
		} else if e.Origin == OriginICMP || e.Origin == OriginICMP6 {
			sk.S.TakeError()
		}
	}
	q.mu.Unlock()
	n := copyOut(m.Iov, e.Payload)
	if n < len(e.Payload) {
		m.Flags |= abi.MSG_TRUNC
	}
	v6 := sk.V6
	if cap(m.Name) > 0 {
		var b [abi.SizeofSockaddrInet6]byte
		addr := e.Addr.Addr()
		if v6 {
			addr = sk.ForFamily(addr)
		}
		l := PutSockaddr(b[:], v6, addr, e.Addr.Port(), 0)
		m.NameLen = l
		copy(m.Name[:cap(m.Name)], b[:l])
	}
	level, typ := abi.SOL_IP, abi.IP_RECVERR
	if v6 {
		level, typ = abi.SOL_IPV6, abi.IPV6_RECVERR
	}
	data := make([]byte, 16, 16+abi.SizeofSockaddrInet6)
	binary.LittleEndian.PutUint32(data[0:], uint32(e.Errno))
	data[4], data[5], data[6] = e.Origin, e.Type, e.Code
	binary.LittleEndian.PutUint32(data[8:], e.Info)
	binary.LittleEndian.PutUint32(data[12:], e.Data)
	salen := abi.SizeofSockaddrInet4
	if v6 {
		salen = abi.SizeofSockaddrInet6
	}
	off := data[16 : 16+salen]
	if e.Offender.IsValid() {
		a := e.Offender
		if v6 {
			a = sk.ForFamily(a)
		}
		PutSockaddr(off, v6, a, 0, 0)
	}
	PutCmsg(m, level, typ, data[:16+salen])
	m.Flags |= abi.MSG_ERRQUEUE
	return n, 0
}

// copyOut copies p into the buffers of iov and returns the bytes copied.
func copyOut(iov [][]byte, p []byte) int {
	n := 0
	for _, b := range iov {
		if len(p) == 0 {
			break
		}
		c := copy(b, p)
		p = p[c:]
		n += c
	}
	return n
}

// CopyOut copies p into iov, returning the bytes copied.
func CopyOut(iov [][]byte, p []byte) int { return copyOut(iov, p) }

// ICMPErrorFor converts a ControlError into the error-queue entry and
// hard flag the datagram protocols use, applying the IP_MTU_DISCOVER
// rule for fragmentation-needed / packet-too-big (reported only unless
// path MTU discovery is off). ok false means the message is ignored.
func (sk *Sock) ICMPErrorFor(ce *netns.ControlError, dst netip.AddrPort, payload []byte) (ExtErr, bool, bool) {
	e := ExtErr{
		Errno: errno.Errno(ce.Errno), Type: ce.Type, Code: ce.Code, Info: ce.Info,
		Offender: ce.From, Addr: dst, Payload: payload,
	}
	hard := ce.Fatal
	if ce.Version == 4 {
		e.Origin = OriginICMP
		switch {
		case ce.Type == 3 && ce.Code == 4: // fragmentation needed
			if sk.pmtuDisc.Load() == abi.IP_PMTUDISC_DONT {
				return e, false, false
			}
			e.Errno, hard = errno.EMSGSIZE, true
		case ce.Type == 3 && ce.Code > 15:
			return e, false, false
		case ce.Type == 3 && ce.Code != 4:
			e.Info = 0
		}
	} else {
		e.Origin = OriginICMP6
		if ce.Type == 2 { // packet too big
			if sk.pmtuDisc6.Load() == abi.IPV6_PMTUDISC_DONT {
				return e, false, false
			}
			hard = true
		}
	}
	return e, hard, true
}
