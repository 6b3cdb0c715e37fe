package tcp

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// SYN cookies (net.ipv4.tcp_syncookies: 1 when the SYN queue overflows,
// 2 always). A listener answers a SYN with a SYN-ACK whose initial
// sequence number encodes what it must remember, and keeps nothing; the
// ACK that returns the cookie recreates the connection. The layout is
// Linux's (net/ipv4/syncookies.c), with gosock's own keyed hash:
//
//	cookie = H0(4-tuple) + peer ISN + count<<24 + (H1(4-tuple, count) + MSS index) mod 2^24
//
// where count is the minute counter: a cookie is good for two minutes.
// With timestamps on, the low 6 bits of the SYN-ACK's TSval carry the
// peer's window scale (15: none), SACK-permitted and ECN
// (cookie_init_timestamp); without them a cookie connection has no
// window scaling, no SACK and no ECN.

const (
	cookieBits      = 24
	cookieMask      = 1<<cookieBits - 1
	maxSyncookieAge = 2 // minutes

	tsOptBits       = 6
	tsOptWscaleMask = 0xf
	tsOptSACK       = 1 << 4
	tsOptECN        = 1 << 5

	// syncookieValid is how long after the last cookie sent the listener
	// checks ACKs for cookies (TCP_SYNCOOKIE_VALID).
	syncookieValid = 2 * time.Minute
)

// msstab4 and msstab6 are the MSS values a cookie can encode: the
// largest not above the peer's is used (Linux's msstab, msstab6).
var (
	msstab4 = [...]uint16{536, 1300, 1440, 1460}
	msstab6 = [...]uint16{1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60}
)

func msstab(v6 bool) []uint16 {
	if v6 {
		return msstab6[:]
	}
	return msstab4[:]
}

// cookieMSSIndex picks the table entry for a peer whose MSS is mss.
func cookieMSSIndex(mss uint16, v6 bool) uint32 {
	tab := msstab(v6)
	i := len(tab) - 1
	for ; i > 0; i-- {
		if mss >= tab[i] {
			break
		}
	}
	return uint32(i)
}

// cookieHash is the keyed hash of the connection and a counter; which
// picks one of two keys, both derived from the namespace's ISN secret
// (Linux's syncookie_secret[2]).
func (s *secrets) cookieHash(remote, local netip.AddrPort, count uint32, which int) uint32 {
	var b [40]byte
	r, l := remote.Addr().As16(), local.Addr().As16()
	copy(b[0:], r[:])
	copy(b[16:], l[:])
	binary.BigEndian.PutUint16(b[32:], remote.Port())
	binary.BigEndian.PutUint16(b[34:], local.Port())
	binary.BigEndian.PutUint32(b[36:], count)
	key := [2]uint64{s.seq[0] ^ 0x73796e636f6f6b69, s.seq[1] + uint64(which+1)*0x9e3779b97f4a7c15}
	return uint32(sipHash24(key, b[:]))
}

// cookieCount is the cookie clock: minutes on the namespace's clock
// (tcp_cookie_time).
func cookieCount(now time.Time) uint32 { return uint32(now.Unix() / 60) }

// cookieSeq makes the ISN of a cookie SYN-ACK for a SYN with sequence
// number sseq (secure_tcp_syn_cookie).
func (s *secrets) cookieSeq(remote, local netip.AddrPort, sseq, data uint32, now time.Time) uint32 {
	count := cookieCount(now)
	return s.cookieHash(remote, local, 0, 0) + sseq + count<<cookieBits +
		(s.cookieHash(remote, local, count, 1)+data)&cookieMask
}

// checkCookie recovers the data of a cookie, or false if it is forged or
// older than two minutes (check_tcp_syn_cookie).
func (s *secrets) checkCookie(remote, local netip.AddrPort, sseq, cookie uint32, now time.Time) (uint32, bool) {
	count := cookieCount(now)
	cookie -= s.cookieHash(remote, local, 0, 0) + sseq
	diff := (count - cookie>>cookieBits) & (0xffffffff >> cookieBits)
	if diff >= maxSyncookieAge {
		return 0, false
	}
	return (cookie - s.cookieHash(remote, local, count-diff, 1)) & cookieMask, true
}

// cookieTimestamp is the TSval clock value of a cookie SYN-ACK
// (cookie_init_timestamp): now in ms with the low bits replaced by the
// options, never ahead of now.
func cookieTimestamp(nowMS uint64, wscaleOK bool, peerWscale uint8, sackOK, ecnOK bool) uint32 {
	opts := uint64(tsOptWscaleMask)
	if wscaleOK {
		opts = uint64(peerWscale)
	}
	if sackOK {
		opts |= tsOptSACK
	}
	if ecnOK {
		opts |= tsOptECN
	}
	ts := nowMS>>tsOptBits<<tsOptBits | opts
	if ts > nowMS {
		ts -= 1 << tsOptBits
	}
	return uint32(ts)
}

// sendCookieSynAck answers a SYN with a cookie and keeps no state
// (tcp_conn_request with want_cookie). Called with c.mu held.
func (c *conn) sendCookieSynAck(s *segment, local, remote netip.AddrPort) {
	syn := *s
	if !syn.opts.HasTimestamps {
		// Without timestamps nothing can carry the options: none are
		// agreed (tcp_clear_options).
		syn.opts.HasWScale, syn.opts.SACKPermitted = false, false
	}
	v6 := local.Addr().Is6()
	// The peer's MSS, clamped by TCP_MAXSEG (mss_clamp): 536, or 1220 for
	// IPv6, when it sent none.
	peer := uint16(defaultMSS)
	if v6 {
		peer = 1220
	}
	if syn.opts.HasMSS && syn.opts.MSS > 0 {
		peer = syn.opts.MSS
	}
	if c.opts.userMSS > 0 {
		peer = min(peer, uint16(c.opts.userMSS))
	}
	idx := cookieMSSIndex(peer, v6)
	// A request that lives only as long as this function: what a child
	// would offer, so that the child the cookie recreates matches it.
	r := &conn{p: c.p, sk: c.sk, opts: c.opts}
	if !r.initRequest(&syn, local, remote) {
		c.listenDrop()
		return
	}
	if !syn.opts.HasTimestamps {
		r.ecn = ecnState{} // no TSval to remember it in
	}
	now := c.now()
	r.iss = c.p.secrets.cookieSeq(remote, local, s.seq, idx, now)
	f := wire.TCPFields{
		SrcPort: local.Port(), DstPort: remote.Port(),
		Seq: r.iss, Ack: r.rcvNxt, Flags: wire.TCPFlagSYN | wire.TCPFlagACK,
		Window: uint16(min(r.rcvWnd, 0xffff)),
	}
	f.Flags = r.ecnSynFlags(f.Flags)
	var o wire.TCPOptions
	r.synOptions(&o, true)
	if o.HasTimestamps {
		o.TSVal = cookieTimestamp(uint64(now.UnixMilli()), r.wsOK, r.sndWscale, r.sackOK, r.ecn.has(ecnOK)) + r.tsOffset
	}
	f.Opts = &o
	mib := c.p.ns.MIB
	c.synqOverflow = now.UnixNano()
	mib.Inc(netns.TCPExtSyncookiesSent)
	_ = c.p.transmit(local.Addr(), remote.Addr(), &f, nil, 0)
}

// cookieAck checks an ACK arriving at the listener for a SYN cookie and,
// if it holds one, makes the connection it stands for, established and
// in the accept queue, and gives it the segment (cookie_v4_check,
// tcp_get_cookie_sock, tcp_child_process). It reports whether the
// segment was taken; if not, the caller answers it with a reset. Called
// with c.mu held: the new child's lock nests inside (nobody else can
// reach the child yet).
func (c *conn) cookieAck(s *segment, local, remote netip.AddrPort) bool {
	if c.sysInt(netns.TCPSyncookies) == 0 {
		return false
	}
	now := c.now()
	if c.synqOverflow == 0 || time.Duration(now.UnixNano()-c.synqOverflow) > syncookieValid {
		return false // tcp_synq_no_recent_overflow
	}
	mib := c.p.ns.MIB
	v6 := local.Addr().Is6()
	idx, ok := c.p.secrets.checkCookie(remote, local, s.seq-1, s.ack-1, now)
	if !ok || int(idx) >= len(msstab(v6)) {
		mib.Inc(netns.TCPExtSyncookiesFailed)
		return false
	}
	mib.Inc(netns.TCPExtSyncookiesRecv)
	// The SYN the cookie answered, as far as it can be known again.
	syn := segment{seq: s.seq - 1, flags: wire.TCPFlagSYN, wnd: s.wnd}
	syn.opts.HasMSS, syn.opts.MSS = true, msstab(v6)[idx]
	if s.opts.HasTimestamps {
		// cookie_timestamp_decode: the echo's low bits are the options.
		if c.sysInt(netns.TCPTimestamps) == 0 {
			return false
		}
		tsecr := s.opts.TSEcr - c.p.secrets.tsOffset(local.Addr(), remote.Addr())
		syn.opts.HasTimestamps, syn.opts.TSVal = true, s.opts.TSVal
		syn.opts.SACKPermitted = tsecr&tsOptSACK != 0
		if syn.opts.SACKPermitted && c.sysInt(netns.TCPSack) == 0 {
			return false
		}
		if tsecr&tsOptECN != 0 {
			// cookie_ecn_ok: the SYN asked for ECN and we agreed; the
			// child sees an ECN-setup SYN and decides with tcp_ecn.
			syn.flags |= wire.TCPFlagECE | wire.TCPFlagCWR
		}
		if ws := uint8(tsecr & tsOptWscaleMask); ws != tsOptWscaleMask {
			if c.sysInt(netns.TCPWindowScaling) == 0 {
				return false
			}
			syn.opts.HasWScale, syn.opts.WScale = true, ws
		}
	}
	if c.acceptQueueFull() {
		mib.Inc(netns.TCPExtListenOverflows)
		c.listenDrop()
		return true
	}
	child := c.newChild(&syn, local, remote)
	if child == nil {
		c.listenDrop()
		return true
	}
	iss := s.ack - 1
	child.iss = iss
	child.sndUna, child.sndNxt, child.sndMax = iss, iss+1, iss+1
	child.parent = nil // queued below, under our lock, not by childEstablished
	child.mu.Lock()
	defer child.mu.Unlock()
	if !c.p.hash(child) {
		return true // a connection with this 4-tuple exists: drop
	}
	c.p.ports.Inherit(child.sk, c.sk)
	mib.Inc(netns.TCPPassiveOpens)
	child.input(s, local, remote)
	if child.state == SynRecv || child.state == Close {
		// The ACK did not complete the handshake after all.
		child.orphan = true
		child.done()
		return true
	}
	child.parent = c
	c.acceptQ = append(c.acceptQ, child)
	c.notify(waitq.EventIn | waitq.EventRdNorm)
	return true
}
