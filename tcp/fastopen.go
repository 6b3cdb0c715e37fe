package tcp

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// TCP Fast Open (RFC 7413), the server side as Linux's tcp_fastopen.c: a
// listener with a Fast Open queue (TCP_FASTOPEN, or any listener when
// net.ipv4.tcp_fastopen has 0x400) answers a cookie request with a cookie
// (SipHash-2-4 of the two addresses under the namespace's key,
// net.ipv4.tcp_fastopen_key, or the listener's TCP_FASTOPEN_KEY), and a
// SYN carrying a valid cookie (or any SYN, with 0x200 or
// TCP_FASTOPEN_NO_COOKIE) makes a child at once: the SYN's data is
// queued for reading, the SYN-ACK acknowledges it, and the child goes to
// the accept queue while still in SYN-RECEIVED, able to read and write.

// net.ipv4.tcp_fastopen bits (include/net/tcp.h).
const (
	tfoClientEnable       = 0x1
	tfoServerEnable       = 0x2
	tfoClientNoCookie     = 0x4
	tfoServerCookieNotReq = 0x200
	tfoServerWOSockopt1   = 0x400
)

// tfoKey is one SipHash key (siphash_key_t).
type tfoKey [2]uint64

// tfoState is a connection's Fast Open state.
type tfoState struct {
	// Listener: the Fast Open queue's limit (fastopenq.max_qlen; 0: no
	// Fast Open) and the children still in SYN-RECEIVED it holds.
	maxQlen int
	qlen    atomic.Int32 // atomic: a child dying under the listener's lock gives back its place
	// keys set with TCP_FASTOPEN_KEY (primary, then backup); nKeys 0
	// uses the namespace's.
	keys  [2]tfoKey
	nKeys int

	noCookie bool // TCP_FASTOPEN_NO_COOKIE
	connect  bool // TCP_FASTOPEN_CONNECT

	// child marks a passive Fast Open child still in SYN-RECEIVED
	// (tp->fastopen_rsk); listener is the socket whose queue counts it.
	child    bool
	listener *conn
	// synData says the SYN's data was accepted (TCPI_OPT_SYN_DATA).
	synData bool

	// The cookie the SYN-ACK carries (cookieLen 0: none), in the form
	// the SYN used.
	cookie    [8]byte
	cookieLen int
	cookieExp bool
}

// parseTFOKey reads a key as net.ipv4.tcp_fastopen_key prints it,
// "%08x-%08x-%08x-%08x": four 32-bit words whose little-endian bytes are
// the key (proc_tcp_fastopen_key, tcp_fastopen_reset_cipher).
func parseTFOKey(s string) (tfoKey, bool) {
	parts := strings.Split(strings.TrimSpace(s), "-")
	if len(parts) != 4 {
		return tfoKey{}, false
	}
	var b [16]byte
	for i, p := range parts {
		w, err := strconv.ParseUint(p, 16, 32)
		if err != nil {
			return tfoKey{}, false
		}
		binary.LittleEndian.PutUint32(b[4*i:], uint32(w))
	}
	return tfoKeyFromBytes(b[:]), true
}

// tfoKeyFromBytes reads 16 key bytes as TCP_FASTOPEN_KEY passes them.
func tfoKeyFromBytes(b []byte) tfoKey {
	return tfoKey{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
}

// bytes returns the key's 16 bytes.
func (k tfoKey) bytes() [16]byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], k[0])
	binary.LittleEndian.PutUint64(b[8:], k[1])
	return b
}

// tfoKeys returns the keys cookies are made and checked with: the
// listener's own, else the namespace's (net.ipv4.tcp_fastopen_key; a
// random one is installed there on first use if it was never written,
// as tcp_fastopen_init_key_once).
func (c *conn) tfoKeys() []tfoKey {
	if c.tfo.nKeys > 0 {
		return c.tfo.keys[:c.tfo.nKeys]
	}
	sysctl := c.p.ns.Sysctl
	if !sysctl.FastopenKeyWritten() {
		c.p.tfoInitKey()
	}
	var keys []tfoKey
	for part := range strings.SplitSeq(sysctl.String(netns.TCPFastopenKey), ",") {
		if k, ok := parseTFOKey(part); ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		keys = append(keys, c.p.tfoKey)
	}
	return keys
}

// tfoInitKey installs a random namespace key, drawn once from the
// namespace's seeded source, as net.ipv4.tcp_fastopen_key shows it.
func (p *Protocol) tfoInitKey() {
	p.tfoOnce.Do(func() {
		p.tfoKey = tfoKey{p.ns.Rand(), p.ns.Rand()}
		b := p.tfoKey.bytes()
		var words [4]string
		for i := range words {
			words[i] = fmt.Sprintf("%08x", binary.LittleEndian.Uint32(b[4*i:]))
		}
		_ = p.ns.Sysctl.Set("net.ipv4.tcp_fastopen_key", strings.Join(words[:], "-"))
	})
}

// tfoCookie is the cookie for a SYN from src to dst
// (__tcp_fastopen_cookie_gen_cipher): SipHash of the source address then
// the destination address, written little-endian.
func tfoCookie(k tfoKey, c *conn) [8]byte {
	var msg [32]byte
	n := 0
	src, dst := c.remote.Addr(), c.local.Addr()
	if src.Is4() {
		a, b := src.As4(), dst.As4()
		n += copy(msg[n:], a[:])
		n += copy(msg[n:], b[:])
	} else {
		a, b := src.As16(), dst.As16()
		n += copy(msg[n:], a[:])
		n += copy(msg[n:], b[:])
	}
	var out [8]byte
	binary.LittleEndian.PutUint64(out[:], sipHash24(k, msg[:n]))
	return out
}

// fastOpenRequest decides what a SYN's Fast Open option earns
// (tcp_try_fastopen), for child, the connection the SYN made, before the
// SYN-ACK goes out: a cookie for a request; with a valid cookie (or none
// needed) the SYN's data is taken and the child becomes a Fast Open child,
// which it reports. Called with the listener's lock.
func (c *conn) fastOpenRequest(child *conn, s *segment) bool {
	mib := c.p.ns.MIB
	o := &s.opts
	if o.HasFastOpen && o.FastOpenCookieLen == 0 {
		mib.Inc(netns.TCPExtTCPFastOpenCookieReqd)
	}
	sysctl := c.sysInt(netns.TCPFastopen)
	synData := len(s.payload) > 0
	if sysctl&tfoServerEnable == 0 || !synData && !o.HasFastOpen || !c.fastOpenQueueCheck() {
		return false
	}
	keys := c.tfoKeys()
	valid := tfoCookie(keys[0], child)
	setCookie := func() {
		child.tfo.cookie, child.tfo.cookieLen, child.tfo.cookieExp = valid, len(valid), o.FastOpenExp
	}
	if sysctl&tfoServerCookieNotReq == 0 && !c.tfo.noCookie {
		switch {
		case !o.HasFastOpen:
			return false
		case o.FastOpenCookieLen == 0:
			setCookie() // a cookie request
			return false
		}
		match := 0
		for i, k := range keys {
			if cookie := tfoCookie(k, child); o.FastOpenCookieLen == len(cookie) &&
				string(o.FastOpenCookie[:len(cookie)]) == string(cookie[:]) {
				match = i + 1
				break
			}
		}
		if match == 0 {
			mib.Inc(netns.TCPExtTCPFastOpenPassiveFail)
			setCookie()
			return false
		}
		if match == 2 {
			setCookie() // the client should move to the primary key's cookie
			mib.Inc(netns.TCPExtTCPFastOpenPassiveAltKey)
		}
	}
	mib.Inc(netns.TCPExtTCPFastOpenPassive)
	c.tfo.qlen.Add(1)
	child.tfo.child = true
	child.tfo.listener = c
	// tcp_fastopen_create_child: the window of a SYN is never scaled; the
	// connection starts now (tcp_init_transfer), with the SYN's data.
	child.sndWnd = s.wnd
	child.maxWindow = child.sndWnd
	child.sndUna = child.iss + 1 // sending may start before the handshake ends
	child.startTransfer()
	if synData {
		child.rcvQ = append(child.rcvQ, s.payload...)
		child.rcvNxt += uint32(len(s.payload))
		child.bytesReceived += uint64(len(s.payload))
		child.tfo.synData = true
	}
	child.rcvWup = child.rcvNxt
	return true
}

// startTransfer gives a connection its congestion window and buffers as
// it starts carrying data (tcp_init_transfer).
func (c *conn) startTransfer() {
	c.ccs.cwnd = 10 // RFC 6928, Linux's TCP_INIT_CWND
	c.ccs.now = c.now()
	c.ccs.sndNxt = c.sndNxt
	c.lossInit()
	c.cc.init(&c.ccs)
	c.sndbufExpand()
	c.rcvSpaceStart = c.now()
}

// fastOpenQueueCheck is tcp_fastopen_queue_check: the listener takes Fast
// Open children, and its queue has room.
func (c *conn) fastOpenQueueCheck() bool {
	if c.tfo.maxQlen == 0 {
		return false
	}
	if int(c.tfo.qlen.Load()) >= c.tfo.maxQlen {
		c.p.ns.MIB.Inc(netns.TCPExtTCPFastOpenListenOverflow)
		return false
	}
	return true
}

// fastOpenAccept puts a Fast Open child on the accept queue at once
// (inet_csk_reqsk_queue_add in tcp_conn_request); it never counted as a
// SYN-queue request. Called with the listener's lock, after the SYN-ACK.
func (c *conn) fastOpenAccept(child *conn) {
	c.synRecvs--
	c.acceptQ = append(c.acceptQ, child)
	c.notify(waitq.EventIn | waitq.EventRdNorm)
}

// fastOpenDone ends a child's Fast Open phase, when its handshake
// completes or it dies (reqsk_fastopen_remove): the listener's queue has
// room again. Called with the child's lock (and maybe the listener's).
func (c *conn) fastOpenDone() {
	if !c.tfo.child {
		return
	}
	c.tfo.child = false
	if l := c.tfo.listener; l != nil {
		c.tfo.listener = nil
		l.tfo.qlen.Add(-1)
	}
}

// fastOpenListen gives a listener a Fast Open queue when the sysctl
// enables it for every listener (inet_listen, TFO_SERVER_WO_SOCKOPT1).
func (c *conn) fastOpenListen(backlog int) {
	t := c.sysInt(netns.TCPFastopen)
	if t&tfoServerWOSockopt1 != 0 && t&tfoServerEnable != 0 && c.tfo.maxQlen == 0 {
		c.tfo.maxQlen = min(backlog, int(c.sysInt(netns.Somaxconn)))
	}
}

// synAckFastOpen adds the cookie a SYN-ACK carries (tcp_synack_options).
func (c *conn) synAckFastOpen(o *wire.TCPOptions) {
	if c.tfo.cookieLen == 0 {
		return
	}
	o.HasFastOpen, o.FastOpenExp = true, c.tfo.cookieExp
	o.FastOpenCookieLen = copy(o.FastOpenCookie[:], c.tfo.cookie[:c.tfo.cookieLen])
}

// fastOpenSetOption handles the Fast Open options of setsockopt
// (do_tcp_setsockopt); ok is false for other options.
func (c *conn) fastOpenSetOption(name int, val []byte) (e errno.Errno, ok bool) {
	switch name {
	case abi.TCP_FASTOPEN_KEY:
		// 16 bytes, or 32 with a backup key; checked before the value.
		if len(val) != 16 && len(val) != 32 {
			return errno.EINVAL, true
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.tfo.keys[0] = tfoKeyFromBytes(val)
		c.tfo.nKeys = 1
		if len(val) == 32 {
			c.tfo.keys[1] = tfoKeyFromBytes(val[16:])
			c.tfo.nKeys = 2
		}
		return 0, true
	case abi.TCP_FASTOPEN, abi.TCP_FASTOPEN_CONNECT, abi.TCP_FASTOPEN_NO_COOKIE:
	default:
		return 0, false
	}
	if len(val) < 4 {
		return errno.EINVAL, true
	}
	v := int(int32(binary.LittleEndian.Uint32(val)))
	c.mu.Lock()
	defer c.mu.Unlock()
	closedOrListen := c.state == Close || c.state == Listen
	switch name {
	case abi.TCP_FASTOPEN:
		if v < 0 || !closedOrListen {
			return errno.EINVAL, true
		}
		c.tfo.maxQlen = min(v, int(c.sysInt(netns.Somaxconn)))
	case abi.TCP_FASTOPEN_CONNECT:
		switch {
		case v < 0 || v > 1:
			return errno.EINVAL, true
		case c.sysInt(netns.TCPFastopen)&tfoClientEnable == 0:
			return errno.EOPNOTSUPP, true
		case c.state != Close:
			return errno.EINVAL, true
		}
		c.tfo.connect = v == 1
	case abi.TCP_FASTOPEN_NO_COOKIE:
		if v < 0 || v > 1 || !closedOrListen {
			return errno.EINVAL, true
		}
		c.tfo.noCookie = v == 1
	}
	return 0, true
}

// fastOpenGetOption reads the Fast Open options (do_tcp_getsockopt).
// Called with c.mu held.
func (c *conn) fastOpenGetOption(name int, buf []byte) (int, bool) {
	switch name {
	case abi.TCP_FASTOPEN:
		return putInt(buf, c.tfo.maxQlen), true
	case abi.TCP_FASTOPEN_CONNECT:
		return putInt(buf, b2i(c.tfo.connect)), true
	case abi.TCP_FASTOPEN_NO_COOKIE:
		return putInt(buf, b2i(c.tfo.noCookie)), true
	case abi.TCP_FASTOPEN_KEY:
		var b [32]byte
		keys := c.tfoKeys()
		for i, k := range keys {
			kb := k.bytes()
			copy(b[16*i:], kb[:])
		}
		return copy(buf, b[:16*len(keys)]), true
	}
	return 0, false
}

// fastOpenInfo fills the Fast Open parts of TCP_INFO.
func (c *conn) fastOpenInfo(t *abi.TCPInfo) {
	if c.tfo.synData {
		t.Options |= abi.TCPI_OPT_SYN_DATA
	}
}

// fastOpenEstablish completes a Fast Open child's handshake on an ACK
// (tcp_rcv_state_process's SYN-RECEIVED step for a fastopen_rsk): the ACK
// must cover the SYN-ACK and nothing unsent; the child is already on the
// accept queue and already set up for transfer, so only the window, the
// timers and the state change. It reports whether processing goes on.
func (c *conn) fastOpenEstablish(s *segment) bool {
	if !seqnum.Value(s.ack).InRange(seqnum.Value(c.iss+1), seqnum.Value(c.sndNxt+1)) {
		c.p.sendResetFor(s, c.local, c.remote)
		return false
	}
	c.sndWnd = s.wnd << c.sndWscale
	c.sndWl1, c.sndWl2 = s.seq, s.ack
	c.maxWindow = max(c.maxWindow, c.sndWnd)
	if s.ack == c.sndNxt {
		c.rtoTimer.Stop()
	}
	c.handshakeRTT(s)
	c.backoff, c.retrans = 0, 0
	c.fastOpenDone()
	c.setState(Established)
	c.quickAcks = 16
	c.lastRecv = c.now()
	c.keepaliveChanged()
	return true
}

// fastOpenSynAckTimer is the retransmission timer of a Fast Open child
// whose SYN-ACK is unacknowledged (tcp_fastopen_synack_timer): the
// SYN-ACK again, with exponential backoff from the initial RTO, up to
// TCP_SYNCNT or tcp_synack_retries + 1 times; then the connection fails
// with ETIMEDOUT (tcp_write_err), on the accept queue or already accepted.
func (c *conn) fastOpenSynAckTimer() {
	limit := c.opts.synCnt
	if limit == 0 {
		limit = int(c.sysInt(netns.TCPSynackRetries)) + 1
	}
	if c.retrans >= limit {
		c.abort(errno.ETIMEDOUT)
		return
	}
	c.retrans++
	c.p.ns.MIB.Inc(netns.TCPRetransSegs)
	c.p.ns.MIB.Inc(netns.TCPExtTCPSynRetrans)
	c.sendSegment(wire.TCPFlagSYN|wire.TCPFlagACK, c.iss, nil)
	c.rtoTimer.Reset(min(RTOInit<<c.retrans, RTOMax))
}
