package tcp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/socket"
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
	// The fields are grouped by size, not by topic, so that alignment
	// wastes no padding (every connection holds this state).

	// Listener: the Fast Open queue's limit (fastopenq.max_qlen; 0: no
	// Fast Open) and, in qlen, the children still in SYN-RECEIVED it
	// holds.
	maxQlen int
	// keys set with TCP_FASTOPEN_KEY (primary, then backup); nKeys 0
	// uses the namespace's.
	nKeys int
	// Client: the cookie the SYN carried (synCookie, length 0: a
	// request, -1: no option) and how much data.
	synCookieLen int
	synDataLen   int
	// A blocking Fast Open send waiting for its connection (waiting):
	// what its SYN carried.
	copied int
	// The cookie the SYN-ACK carries (cookieLen 0: none), in the form
	// the SYN used.
	cookieLen int
	// listener is the socket whose queue counts a Fast Open child (see
	// child).
	listener *conn
	// req is the client's Fast Open connect in progress.
	req       *tfoRequest
	keys      [2]tfoKey
	synCookie [16]byte
	cookie    [8]byte

	qlen atomic.Int32 // atomic: a child dying under the listener's lock gives back its place
	// waiting is read before the lock, by every send.
	waiting atomic.Bool
	// deferred: TCP_FASTOPEN_CONNECT's connect returned with the SYN
	// held for the first write (DEFER_CONNECT); atomic, as every send
	// looks at it before taking the lock.
	deferred atomic.Bool

	noCookie bool // TCP_FASTOPEN_NO_COOKIE
	connect  bool // TCP_FASTOPEN_CONNECT
	// child marks a passive Fast Open child still in SYN-RECEIVED
	// (tp->fastopen_rsk).
	child bool
	// synData says the SYN's data was accepted (TCPI_OPT_SYN_DATA).
	synData bool
	// synFastOpen says the SYN was a Fast Open one.
	synFastOpen  bool
	synCookieExp bool
	// synRexmit says the SYN went again after a path-MTU error
	// (pmtu.go): like a timed-out one, it carries no option or data.
	synRexmit    bool
	writePending bool
	resend       bool // SYN data to send again after the SYN-ACK
	cookieExp    bool
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
		child.rcvQ.Append(s.payload, 0)
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
	c.rcvSpaceInit()
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
		c.stopRTO()
	}
	c.handshakeRTT(s)
	c.backoff, c.retrans = 0, 0
	c.fastOpenDone()
	c.setState(Established)
	c.quickAcks = 16
	c.lastRecv = c.now()
	c.dackInit()
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

// The client side (tcp_fastopen_cookie_check, tcp_send_syn_data,
// tcp_rcv_fastopen_synack): sendto(MSG_FASTOPEN) on a closed socket
// connects with the data in the SYN when a cookie for the destination is
// cached (at most the cached MSS less 40 bytes of options), else with a
// cookie request and the data held back; the SYN-ACK's cookie and MSS are
// cached per destination address, and SYN data it does not acknowledge is
// sent again as ordinary data.

// tfoCacheEntry is what tcp_metrics keeps for Fast Open per destination.
type tfoCacheEntry struct {
	mss       uint16
	cookie    [16]byte
	cookieLen int
	exp       bool // the cookie came in the experimental option
	// tryExp is try_exp: 1 after a cookie request in the RFC 7413 option
	// went unanswered (the next request uses the experimental one), 2
	// once one in the experimental option did too (back to RFC 7413 for
	// good). It never goes down.
	tryExp uint8
}

// tfoCache is the per-destination Fast Open cache of a namespace.
type tfoCache struct {
	mu sync.Mutex
	m  map[netip.Addr]tfoCacheEntry
}

// FlushMetrics empties the per-destination cache of Fast Open cookies
// and MSS values (ip tcp_metrics flush).
func (p *Protocol) FlushMetrics() {
	p.tfoCache.mu.Lock()
	defer p.tfoCache.mu.Unlock()
	p.tfoCache.m = nil
}

// synExp says which option form a SYN takes (tcp_fastopen_cache_get):
// the cookie's own, or for a request the experimental one while tryExp
// is 1.
func (e *tfoCacheEntry) synExp() bool {
	if e.cookieLen > 0 {
		return e.exp
	}
	return e.tryExp == 1
}

func (p *Protocol) tfoCacheGet(a netip.Addr) (tfoCacheEntry, bool) {
	p.tfoCache.mu.Lock()
	defer p.tfoCache.mu.Unlock()
	e, ok := p.tfoCache.m[a]
	return e, ok
}

func (p *Protocol) tfoCacheUpdate(a netip.Addr, f func(*tfoCacheEntry)) {
	p.tfoCache.mu.Lock()
	defer p.tfoCache.mu.Unlock()
	if p.tfoCache.m == nil {
		p.tfoCache.m = make(map[netip.Addr]tfoCacheEntry)
	}
	e := p.tfoCache.m[a]
	f(&e)
	p.tfoCache.m[a] = e
}

// fastOpenSendmsg is tcp_sendmsg_fastopen: MSG_FASTOPEN on a closed
// socket connects to m.Name with a Fast Open SYN; done says the call was
// handled here. A non-blocking call (MSG_DONTWAIT, which the socket layer
// sets for O_NONBLOCK as Linux's sendto does) returns what the SYN
// carried, or EINPROGRESS when it carried nothing. A blocking one waits
// for the connection (EAGAIN until then, the socket layer's wait), then
// sends the rest and returns the whole count, as inet_wait_for_connect.
func (c *conn) fastOpenSendmsg(m *socket.Msg, flags int) (int, errno.Errno, bool) {
	if c.tfo.deferred.Load() {
		return c.fastOpenDeferredSend(m, flags)
	}
	if c.tfo.waiting.Load() {
		return c.fastOpenResume(m, flags)
	}
	if flags&abi.MSG_FASTOPEN == 0 {
		return 0, 0, false
	}
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	switch state {
	case SynSent, SynRecv:
		// Another connect in progress (__inet_stream_connect's
		// SS_CONNECTING): EALREADY, or a blocking wait for it.
		if flags&abi.MSG_DONTWAIT != 0 {
			return 0, errno.EALREADY, true
		}
		return 0, 0, false
	case Close:
	default:
		return 0, 0, false // connected: an ordinary send
	}
	if c.sysInt(netns.TCPFastopen)&tfoClientEnable == 0 ||
		len(m.Name) >= 2 && abi.Family(m.Name) == abi.AF_UNSPEC {
		return 0, errno.EOPNOTSUPP, true
	}
	c.mu.Lock()
	c.tfo.req = &tfoRequest{data: gather(m)}
	c.mu.Unlock()
	c.sk.Mu.Lock()
	e := c.Connect(m.Name)
	c.sk.Mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fastOpenSent(e, flags)
}

// fastOpenSent finishes a Fast Open send once its SYN went out (or the
// connect failed with e). Called with c.mu held.
func (c *conn) fastOpenSent(e errno.Errno, flags int) (int, errno.Errno, bool) {
	req := c.tfo.req
	c.tfo.req = nil
	if e != errno.EINPROGRESS && e != 0 {
		return 0, e, true
	}
	copied := 0
	if req != nil {
		copied = req.copied
	}
	if flags&abi.MSG_DONTWAIT != 0 {
		if copied > 0 {
			return copied, 0, true
		}
		return 0, errno.EINPROGRESS, true
	}
	c.tfo.waiting.Store(true)
	c.tfo.copied = copied
	// inet_wait_for_connect's writebias: data is still to be written.
	c.tfo.writePending = req != nil && copied < len(req.data)
	return 0, errno.EAGAIN, true
}

// fastOpenResume is a blocking Fast Open send called again by the socket
// layer: still EAGAIN while connecting; the connection's error if it
// failed; once connected, the data beyond what the SYN carried goes out
// and the count includes both.
func (c *conn) fastOpenResume(m *socket.Msg, flags int) (int, errno.Errno, bool) {
	c.mu.Lock()
	switch c.state {
	case SynSent, SynRecv:
		c.mu.Unlock()
		return 0, errno.EAGAIN, true
	}
	copied := c.tfo.copied
	c.tfo.waiting.Store(false)
	c.tfo.copied, c.tfo.writePending = 0, false
	if c.state == Close {
		e := c.pendingErr()
		c.mu.Unlock()
		if e == 0 {
			e = errno.EPIPE
		}
		return 0, e, true
	}
	c.mu.Unlock()
	rest := &socket.Msg{Iov: append([][]byte(nil), m.Iov...)}
	for skip := copied; skip > 0 && len(rest.Iov) > 0; {
		k := min(skip, len(rest.Iov[0]))
		rest.Iov[0] = rest.Iov[0][k:]
		skip -= k
		if len(rest.Iov[0]) == 0 {
			rest.Iov = rest.Iov[1:]
		}
	}
	n, e := c.Sendmsg(rest, flags&^abi.MSG_FASTOPEN|abi.MSG_DONTWAIT)
	if e != 0 && (copied == 0 || e != errno.EAGAIN) {
		return 0, e, true
	}
	return copied + n, 0, true
}

// tfoRequest is a Fast Open connect in progress (tcp_fastopen_request).
type tfoRequest struct {
	data   []byte
	copied int
}

func gather(m *socket.Msg) []byte {
	var b []byte
	for _, v := range m.Iov {
		b = append(b, v...)
	}
	return b
}

// fastOpenSynData is called as the SYN of a connect goes out: with a
// Fast Open request it decides the SYN's option and data
// (tcp_send_syn_data) and returns the data, queued and counted in the
// sequence space.
func (c *conn) fastOpenSynData() []byte {
	req := c.tfo.req
	if req == nil {
		if c.tfo.connect {
			// TCP_FASTOPEN_CONNECT without a cookie: the SYN asks for one
			// (tcp_fastopen_defer_connect). With a cookie, Linux defers the
			// SYN to the first write; gosock connects at once, without Fast
			// Open, instead.
			if e, ok := c.p.tfoCacheGet(c.remote.Addr()); !ok || e.cookieLen == 0 {
				c.tfo.synFastOpen = true
				c.tfo.synCookieLen, c.tfo.synCookieExp = 0, ok && e.synExp()
			}
		}
		return nil
	}
	c.tfo.synFastOpen = true
	e, ok := c.p.tfoCacheGet(c.remote.Addr())
	noCookie := c.sysInt(netns.TCPFastopen)&tfoClientNoCookie != 0 || c.tfo.noCookie
	if !noCookie && (!ok || e.cookieLen == 0) {
		c.tfo.synCookieLen = 0 // a cookie request; the data waits
		c.tfo.synCookieExp = ok && e.synExp()
		return nil
	}
	c.tfo.synCookie, c.tfo.synCookieLen, c.tfo.synCookieExp = e.cookie, e.cookieLen, e.exp
	if noCookie {
		c.tfo.synCookieLen = -1
	}
	space := c.advMSS
	if ok && e.mss > 0 {
		space = min(space, int(e.mss))
	}
	space = max(space-40, 0) // MAX_TCP_OPTION_SPACE
	n := min(space, len(req.data), c.sk.S.SndBuf())
	if n == 0 {
		return nil
	}
	c.sndBuf.Append(req.data[:n], 0)
	c.sndNxt += uint32(n)
	c.sndMax = c.sndNxt
	c.tfo.synDataLen = n
	req.copied = n
	return c.sndBuf.View(0, n)
}

// synFastOpenOption adds a SYN's Fast Open option: the cached cookie, or
// an empty one asking for a cookie. Retransmitted SYNs carry neither the
// option nor the data.
func (c *conn) synFastOpenOption(o *wire.TCPOptions) {
	if !c.tfo.synFastOpen || c.retrans > 0 || c.tfo.synRexmit || c.tfo.synCookieLen < 0 {
		return
	}
	o.HasFastOpen, o.FastOpenExp = true, c.tfo.synCookieExp
	o.FastOpenCookieLen = copy(o.FastOpenCookie[:], c.tfo.synCookie[:c.tfo.synCookieLen])
}

// fastOpenSynAck takes a SYN-ACK's answer to a Fast Open SYN
// (tcp_rcv_fastopen_synack), before sndUna moves: it caches the cookie
// and MSS, and drops from the send queue the SYN data the SYN-ACK
// acknowledged; data it did not is sent again once the connection is
// established (fastOpenAfterSynAck).
func (c *conn) fastOpenSynAck(s *segment) {
	if !c.tfo.synFastOpen {
		return
	}
	mib := c.p.ns.MIB
	o := &s.opts
	c.p.tfoCacheUpdate(c.remote.Addr(), func(e *tfoCacheEntry) {
		if o.HasMSS {
			e.mss = o.MSS
		}
		switch {
		case o.HasFastOpen && o.FastOpenCookieLen > 0 && c.tfo.synCookieLen >= 0:
			// A cookie is taken only in answer to a SYN that carried
			// the option (syn_fastopen): an unsolicited one, as to a
			// SYN with data and no cookie (TFO_CLIENT_NO_COOKIE), is
			// ignored.
			e.cookieLen = copy(e.cookie[:], o.FastOpenCookie[:o.FastOpenCookieLen])
			e.exp = o.FastOpenExp
		case c.tfo.synCookieLen == 0 && c.tfo.synDataLen == 0 && c.retrans == 0 && e.cookieLen == 0:
			// A request went unanswered: the experimental form next
			// time, or after that back to RFC 7413 (try_exp, which
			// tcp_fastopen_cache_set only raises).
			t := uint8(1)
			if c.tfo.synCookieExp {
				t = 2
			}
			if t > e.tryExp && !e.exp {
				e.tryExp = t
			}
		}
	})
	n := c.tfo.synDataLen
	if n == 0 {
		return
	}
	acked := int(s.ack - (c.iss + 1))
	if acked >= n {
		c.sndBuf.Consume(n)
		c.tfo.synData = true
		mib.Inc(netns.TCPExtTCPFastOpenActive)
		return
	}
	// Only part (normally none) of the data arrived: the rest goes again,
	// carrying the handshake's ACK (fastOpenResend).
	c.sndBuf.Consume(max(acked, 0))
	c.sndNxt = s.ack
	c.tfo.resend = true
	mib.Inc(netns.TCPExtTCPFastOpenActiveFail)
}

// fastOpenAfterSynAck runs once the SYN-ACK of a Fast Open SYN has
// established the connection: SYN data it did not acknowledge goes again
// now (tcp_rcv_fastopen_synack), and the result says whether the ACK of
// the SYN-ACK should wait for data about to go out
// (tcp_rcv_synsent_state_process): the resent data carries it, or a
// writer is waiting with more (sk_write_pending).
func (c *conn) fastOpenAfterSynAck() bool {
	resent := c.tfo.resend && c.fastOpenResend()
	c.tfo.resend = false
	if resent {
		return true
	}
	if c.tfo.writePending {
		c.enterQuickAck(maxQuickAcks)
		return true
	}
	return false
}

// fastOpenResend sends again the SYN data the SYN-ACK did not
// acknowledge, as Linux retransmits the skb that held it: marked lost,
// then one segment (a TSO super-segment when it is longer than the MSS,
// as after a path-MTU drop) with PSH, outside congestion control
// (tcp_non_congestion_loss_retransmit). It reports whether it sent.
func (c *conn) fastOpenResend() bool {
	n := min(int(c.sndMax-c.sndNxt), c.sndBuf.Len())
	if n <= 0 || c.sndNxt != c.sndUna {
		return false
	}
	mss := max(c.mss, 1)
	// __tcp_retransmit_skb: no more than the peer's window, in whole
	// segments, but at least a segment at snd_una.
	if w := int(c.sndWnd); n > w {
		n = max(w-w%mss, min(w, mss), min(n, mss))
	}
	flags := wire.TCPFlagACK | wire.TCPFlagPSH
	gso := 0
	if n > mss {
		gso = mss
	}
	start := c.sndNxt
	if c.sendSegmentGSO(flags, start, c.sndBuf.View(0, n), gso) != nil {
		c.p.ns.MIB.Inc(netns.TCPExtTCPRetransFail)
		return false
	}
	l := &c.lr
	first := len(l.q)
	c.rtxAdd(start, n, flags)
	segs := len(l.q) - first
	for i := first; i < len(l.q); i++ {
		l.q[i].flags |= rtxLost | rtxRetransOut | rtxEverRetrans
	}
	l.lostOut += segs
	l.retransOut += segs
	l.lost += uint32(segs)
	if l.retransStamp.IsZero() {
		l.retransStamp = c.now()
	}
	l.undoRetrans = max(l.undoRetrans, 0) + segs
	c.p.ns.MIB.Add(netns.TCPRetransSegs, uint64(segs))
	c.totalRetrans += uint32(segs)
	c.rttTiming = false
	c.sndNxt += uint32(n)
	c.nonCongestionLoss()
	c.armRTO()
	return true
}

// fastOpenDefer decides at connect whether TCP_FASTOPEN_CONNECT holds the
// SYN back for the first write (tcp_fastopen_defer_connect): with a
// cookie cached for the destination, or none needed. Called with c.mu.
func (c *conn) fastOpenDefer() bool {
	if !c.tfo.connect || c.tfo.req != nil {
		return false
	}
	if e, ok := c.p.tfoCacheGet(c.remote.Addr()); ok && e.cookieLen > 0 ||
		c.sysInt(netns.TCPFastopen)&tfoClientNoCookie != 0 || c.tfo.noCookie {
		c.tfo.deferred.Store(true)
		return true
	}
	return false
}

// fastOpenDeferredSend is the first send on a deferred connect: its data
// goes in the SYN (tcp_sendmsg_fastopen's tcp_connect).
func (c *conn) fastOpenDeferredSend(m *socket.Msg, flags int) (int, errno.Errno, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tfo.deferred.Swap(false) || c.state != SynSent {
		return 0, 0, false
	}
	c.tfo.req = &tfoRequest{data: gather(m)}
	c.p.ns.MIB.Inc(netns.TCPActiveOpens)
	c.ecnRequest()
	c.sendSegment(wire.TCPFlagSYN, c.iss, c.fastOpenSynData())
	c.armRTO()
	return c.fastOpenSent(errno.EINPROGRESS, flags)
}

// fastOpenPoll is the readiness of a deferred connect (tcp_poll): writable,
// so that the application writes the data the SYN will carry.
func (c *conn) fastOpenPoll() waitq.Events {
	if c.tfo.deferred.Load() {
		return waitq.EventOut | waitq.EventWrNorm
	}
	return 0
}

// fastOpenSynAckData takes the data (and FIN) a SYN-ACK carries in answer
// to a Fast Open SYN (tcp_fastopen_add_skb on the client); the ACK that
// follows covers it. Other connections ignore SYN-ACK data, as Linux.
func (c *conn) fastOpenSynAckData(s *segment) {
	if !c.tfo.synFastOpen || len(s.payload) == 0 && !s.has(wire.TCPFlagFIN) {
		return
	}
	if n := len(s.payload); n > 0 {
		c.rcvQ.Append(s.payload, 0)
		c.rcvNxt += uint32(n)
		c.bytesReceived += uint64(n)
		c.notify(waitq.EventIn | waitq.EventRdNorm)
	}
	if s.has(wire.TCPFlagFIN) {
		c.finInput()
	}
}
