package tcp

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// timeWaitLen is 2MSL as Linux has it (TCP_TIMEWAIT_LEN).
const timeWaitLen = 60 * time.Second

// twSock is a connection in TIME-WAIT after the user closed it (Linux's
// inet_timewait_sock with tcp_timewait_sock): only what TIME-WAIT
// processing needs. A server closing connections at a high rate holds
// one TIME-WAIT connection per connection closed in the last minute;
// keeping the whole connection (about 1.5 KB, its timers and its
// queues) for each made the heap, and the garbage collector's work,
// grow with the connection rate. The record holds the port without the
// socket (inet.TimeWaitBind, Linux's timewait sock on the bind bucket):
// bind conflicts and SO_REUSEADDR judge it as they judged the socket.
type twSock struct {
	p  *Protocol
	tb *inet.TimeWaitBind // the port held; nil if the socket had none

	mu sync.Mutex // guards what follows
	// local and remote are the 4-tuple on the wire.
	local, remote netip.AddrPort
	// stamp is when TIME-WAIT began (tw_entry_stamp), expires when the
	// record's timer fires, both as offsets on the protocol's clock
	// (twTimers.off); expires and hidx, one more than the record's index
	// in the timers' heap (0: not in it), are guarded by the timers' lock.
	stamp, expires int64
	hidx           int32
	// lastOOW is when an ACK last answered a segment out of the window,
	// the clock's milliseconds (tw_last_oow_ack_time); 0: never.
	lastOOW uint32
	sndNxt  uint32
	rcvNxt  uint32
	// tsRecent and tsOffset are the timestamp state: the peer's last
	// timestamp and our clock's offset (tw_ts_recent, tw_ts_offset).
	tsRecent, tsOffset uint32
	// rcvWnd is the window last offered, unscaled (tw_rcv_wnd), and
	// maxWindow the largest window the peer offered (the too-old ACK
	// bound).
	rcvWnd, maxWindow uint32
	rcvWscale         uint8
	tsOK              bool
	df                bool // the connection set DF (IP_PMTUDISC_*)
	dead              bool // out of the table: the record is finished
	// fw2 says the record is in FIN-WAIT-2 (tw_substate TCP_FIN_WAIT2):
	// our FIN is acknowledged and the peer's is still to come.
	fw2 bool
}

// twTable is the TIME-WAIT half of the established hash: the records by
// 4-tuple, consulted after the connection table misses, so the lookup
// of a live connection costs what it did. Built as connTable, with its
// hash. Guarded by Protocol.mu.
type twTable struct {
	seed  uint64
	slots []twSlot
	n     int
}

type twSlot struct {
	h  uint64
	tw *twSock
}

func (t *twTable) hash(local, remote netip.AddrPort) uint64 {
	ct := connTable{seed: t.seed}
	return ct.hash(local, remote)
}

// get returns the record with the 4-tuple, or nil.
func (t *twTable) get(local, remote netip.AddrPort) *twSock {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	h := t.hash(local, remote)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.tw == nil {
			return nil
		}
		if sl.h == h && sl.tw.local == local && sl.tw.remote == remote {
			return sl.tw
		}
	}
}

// insert adds tw unless its 4-tuple is taken.
func (t *twTable) insert(tw *twSock) bool {
	if t.get(tw.local, tw.remote) != nil {
		return false
	}
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(2*len(t.slots), 64))
	}
	t.place(twSlot{t.hash(tw.local, tw.remote), tw})
	t.n++
	return true
}

func (t *twTable) place(sl twSlot) {
	mask := uint64(len(t.slots) - 1)
	i := sl.h & mask
	for t.slots[i].tw != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = sl
}

// remove takes tw out, if it is there (backward-shift deletion, as
// connTable.remove).
func (t *twTable) remove(tw *twSock) bool {
	if t.n == 0 {
		return false
	}
	mask := uint64(len(t.slots) - 1)
	i := t.hash(tw.local, tw.remote) & mask
	for t.slots[i].tw != tw {
		if t.slots[i].tw == nil {
			return false
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		t.slots[i] = twSlot{}
		for {
			j = (j + 1) & mask
			o := t.slots[j]
			if o.tw == nil {
				t.n--
				if len(t.slots) > 64 && t.n*8 < len(t.slots) {
					t.resize(len(t.slots) / 2)
				}
				return true
			}
			home := o.h & mask
			if i <= j {
				if i < home && home <= j {
					continue
				}
			} else if i < home || home <= j {
				continue
			}
			t.slots[i] = o
			i = j
			break
		}
	}
}

func (t *twTable) resize(size int) {
	old := t.slots
	if t.slots == nil {
		var s maphash.Hash
		t.seed = s.Sum64() // a random seed, as connTable's
	}
	t.slots = make([]twSlot, size)
	for _, sl := range old {
		if sl.tw != nil {
			t.place(sl)
		}
	}
}

// all yields every record.
func (t *twTable) all(yield func(*twSock) bool) {
	for _, sl := range t.slots {
		if sl.tw != nil && !yield(sl.tw) {
			return
		}
	}
}

// twSwap replaces a closed connection entering TIME-WAIT, or FIN-WAIT-2
// (st), by a record whose timer runs for tmo (tcp_time_wait's
// inet_twsk_alloc, inet_twsk_hashdance and tcp_done): the record takes
// the connection's place in the lookup under one hold of the table lock,
// so no segment finds neither, and the connection is finished without
// giving up its port, which the record keeps. Beyond
// net.ipv4.tcp_max_tw_buckets records the connection closes instead,
// counted TCPTimeWaitOverflow. It reports whether the connection is gone
// (swapped or closed). Called with c.mu held; entering is false when
// Close swaps a connection already in TIME-WAIT, which the limit let in
// before.
func (c *conn) twSwap(st State, tmo time.Duration, entering bool) bool {
	p := c.p
	limit := int(p.ns.Sysctl.Int(netns.TCPMaxTwBuckets))
	p.mu.RLock()
	full := entering && p.tws.n >= limit
	p.mu.RUnlock()
	if full {
		p.ns.MIB.Inc(netns.TCPExtTCPTimeWaitOverflow)
		c.done() // an orphan's port goes with it
		return true
	}
	if entering {
		// Counted once per socket entering TIME-WAIT or an orphan's
		// FIN-WAIT-2, when its timer is first armed: TWKilled for a
		// timer of 4 seconds or less, TW otherwise (__inet_twsk_schedule;
		// Linux 6.18 counts on entry, not when the timer runs out).
		if tmo <= 4*time.Second {
			p.ns.MIB.Inc(netns.TCPExtTWKilled)
		} else {
			p.ns.MIB.Inc(netns.TCPExtTW)
		}
	}
	if !c.orphan || c.sk == nil {
		return false // the user still holds the socket: Close swaps
	}
	now := c.now()
	tw := &twSock{
		p: p, local: c.local, remote: c.remote,
		sndNxt: c.sndMax, rcvNxt: c.rcvNxt,
		tsRecent: c.tsRecent, tsOffset: c.tsOffset, tsOK: c.tsOK,
		// What is left of the window last offered (tcp_receive_window);
		// entering TIME-WAIT it was just offered afresh with the ACK.
		rcvWnd:    uint32(max(int32(c.rcvWup+c.rcvWnd-c.rcvNxt), 0)),
		rcvWscale: c.rcvWscale, maxWindow: c.maxWindow,
		df: c.dontFragment(), fw2: st == FinWait2,
	}
	tw.stamp = p.twt.off(now)
	if !c.twStamp.IsZero() {
		tw.stamp = p.twt.off(c.twStamp)
	}
	p.mu.Lock()
	if c.hashed {
		p.conns.remove(c)
		c.hashed = false
	}
	// The record takes the port over from the socket before it is in
	// the table, so the port is held throughout and a segment that finds
	// the record finds it complete; the connection and the socket end
	// (done finds the socket's port gone already).
	tw.tb = p.ports.SwapTimeWait(c.sk)
	p.tws.insert(tw)
	p.mu.Unlock()
	c.done()
	tw.mu.Lock()
	p.twt.schedule(tw, now, tmo)
	tw.mu.Unlock()
	return true
}

// fw2Swap is tcp_rcv_state_process's FIN-WAIT-1 case for an orphan whose
// FIN the segment s acknowledged: unless s carries data or the peer's
// FIN, or tcp_fin_timeout is longer than TIME-WAIT, a record in
// FIN-WAIT-2 replaces the connection for the rest of the FIN timeout
// (tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)). It reports whether the
// connection is gone.
func (c *conn) fw2Swap(s *segment) bool {
	tmo := c.finTimeout()
	if len(s.payload) > 0 || s.has(wire.TCPFlagFIN) || tmo > timeWaitLen {
		return false
	}
	return c.twSwap(FinWait2, tmo, true)
}

// kill takes the record out of the table and frees its port
// (inet_twsk_kill); false if it was gone already. Called with tw.mu
// held.
func (tw *twSock) kill() bool {
	if tw.dead {
		return false
	}
	tw.dead = true
	p := tw.p
	p.twt.remove(tw)
	p.mu.Lock()
	p.tws.remove(tw)
	p.mu.Unlock()
	if tw.tb != nil {
		p.ports.RemoveTimeWait(tw.tb)
	}
	return true
}

// dev is the device the socket was bound to, 0 for none.
func (tw *twSock) dev() int {
	if tw.tb == nil {
		return 0
	}
	return tw.tb.Dev()
}

// reschedule restarts the 2MSL timer (inet_twsk_reschedule).
func (tw *twSock) reschedule() {
	if tw.dead {
		return
	}
	tw.p.twt.schedule(tw, tw.p.ns.Clock().Now(), timeWaitLen)
}

// sendAck answers from TIME-WAIT with the record's sequence numbers,
// window and timestamps (tcp_v4_timewait_ack, tcp_v6_timewait_ack).
func (tw *twSock) sendAck() {
	f := wire.TCPFields{
		SrcPort: tw.local.Port(), DstPort: tw.remote.Port(),
		Seq: tw.sndNxt, Ack: tw.rcvNxt, Flags: wire.TCPFlagACK,
		Window: uint16(min(tw.rcvWnd>>tw.rcvWscale, 0xffff)),
	}
	var opts wire.TCPOptions
	if tw.tsOK {
		opts.HasTimestamps = true
		opts.TSVal = uint32(tw.p.ns.Clock().Now().UnixMilli()) + tw.tsOffset
		opts.TSEcr = tw.tsRecent
	}
	f.Opts = &opts
	_ = tw.p.transmitGSO(tw.local.Addr(), tw.remote.Addr(), &f, nil, 0, 0, tw.df, time.Time{}, nil)
}

// oowAck answers a segment out of the window with an ACK unless one
// answered another less than net.ipv4.tcp_invalid_ratelimit ago
// (tcp_timewait_check_oow_rate_limit, tcp_oow_rate_limited): then the
// ACK is skipped and counted in skipped. Segments carrying data or a FIN,
// without SYN, are always answered: they are not part of an ACK loop.
func (tw *twSock) oowAck(s *segment, skipped netns.Counter) {
	if s.seqLen() == 0 || s.has(wire.TCPFlagSYN) {
		now := uint32(tw.p.ns.Clock().Now().UnixMilli())
		if tw.lastOOW != 0 {
			if el := int32(now - tw.lastOOW); el >= 0 && int64(el) < tw.p.ns.Sysctl.Int(netns.TCPInvalidRatelimit) {
				tw.p.ns.MIB.Inc(skipped)
				return
			}
		}
		tw.lastOOW = now
	}
	tw.sendAck()
}

// challengeAck is conn.challengeAck for a record.
func (tw *twSock) challengeAck() {
	tw.p.ns.MIB.Inc(netns.TCPExtTCPChallengeACK)
	tw.sendAck()
}

// acceptable is conn.acceptable against the record's window: the window
// last offered, whose left edge is rcv_nxt.
func (tw *twSock) acceptable(s *segment) bool {
	wnd := tw.rcvWnd
	seq, n := seqnum.Value(s.seq), s.seqLen()
	nxt := seqnum.Value(tw.rcvNxt)
	switch {
	case n == 0 && wnd == 0:
		return seq == nxt
	case n == 0:
		return seq.InWindow(nxt, seqnum.Size(wnd))
	case wnd == 0:
		return false
	}
	end := seq.Add(seqnum.Size(n - 1))
	return seq.InWindow(nxt, seqnum.Size(wnd)) || end.InWindow(nxt, seqnum.Size(wnd)) ||
		seq.LessThan(nxt) && end.GreaterThanEq(nxt)
}

// twInput processes a segment for a record (tcp_timewait_state_process):
// a new SYN may reopen the 4-tuple; PAWS drops old duplicates with an
// ACK; a segment out of the window is answered with an ACK (a
// retransmitted FIN among them) and restarts the 2MSL timer; an RST at
// rcv_nxt ends the record, one elsewhere in the window earns a challenge
// ACK, as does a SYN; data in the window is acknowledged. ic is the
// steering rule that matched, or nil.
func (p *Protocol) twInput(tw *twSock, s *segment, local, remote netip.AddrPort, ic *netns.Intercept) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.dead {
		// Gone between the lookup and the lock: as a closed connection.
		p.sendResetFor(s, local, remote)
		return
	}
	pureSyn := s.flags&(wire.TCPFlagSYN|wire.TCPFlagACK|wire.TCPFlagRST) == wire.TCPFlagSYN
	if ic != nil && pureSyn {
		if l := p.steeredListener(ic, local, remote, tw.dev()); l != nil {
			// A SYN for a 4-tuple in TIME-WAIT goes to the transparent
			// listener, and the old incarnation ends
			// (nf_tproxy_handle_time_wait4).
			tw.kill()
			tw.mu.Unlock()
			l.mu.Lock()
			if l.state == Listen {
				l.steeredInput(s, local, remote, ic)
			}
			l.mu.Unlock()
			tw.mu.Lock()
			return
		}
	}
	if tw.fw2 {
		tw.finWait2Input(s, local, remote)
		return
	}
	if tw.syn(s, local, remote) {
		return
	}
	mib := p.ns.MIB
	if tw.tsOK && s.opts.HasTimestamps && !s.has(wire.TCPFlagRST) &&
		int32(s.opts.TSVal-tw.tsRecent) < 0 {
		// Counted apart from ESTABLISHED's PAWS drops since Linux 6.15
		// (LINUX_MIB_PAWS_TW_REJECTED, SKB_DROP_REASON_TCP_RFC7323_TW_PAWS).
		mib.Inc(netns.TCPExtPAWSTimewait)
		mib.Drop(netns.DropTCPRFC7323TWPAWS)
		tw.reschedule()
		tw.oowAck(s, netns.TCPExtTCPACKSkippedTimeWait)
		return
	}
	if !tw.acceptable(s) {
		if !s.has(wire.TCPFlagRST) {
			if s.has(wire.TCPFlagACK) {
				tw.reschedule() // a retransmitted FIN, most often
			}
			tw.oowAck(s, netns.TCPExtTCPACKSkippedTimeWait)
		}
		mib.Drop(netns.DropTCPInvalidSequence)
		return
	}
	if s.has(wire.TCPFlagRST) {
		if s.seq != tw.rcvNxt {
			tw.challengeAck()
			return
		}
		if p.ns.Sysctl.Int(netns.TCPRFC1337) != 0 {
			// net.ipv4.tcp_rfc1337: TIME-WAIT is not assassinated by a
			// reset (RFC 1337's fix); the RST is dropped.
			if tw.tsOK && s.opts.HasTimestamps {
				tw.tsRecent = s.opts.TSVal
			}
			return
		}
		tw.kill() // TIME-WAIT assassination (RFC 1337), as Linux allows by default
		return
	}
	if s.has(wire.TCPFlagSYN) {
		tw.challengeAck()
		return
	}
	if !s.has(wire.TCPFlagACK) {
		mib.Drop(netns.DropTCPFlags)
		return
	}
	if tw.tsOK && s.opts.HasTimestamps && seqnum.Value(s.seq).LessThanEq(seqnum.Value(tw.rcvNxt)) {
		tw.tsRecent = s.opts.TSVal
	}
	ack := seqnum.Value(s.ack)
	if ack.GreaterThan(seqnum.Value(tw.sndNxt)) {
		mib.Drop(netns.DropTCPAckUnsentData)
		tw.sendAck()
		return
	}
	if ack.LessThan(seqnum.Value(tw.sndNxt - tw.maxWindow)) {
		mib.Drop(netns.DropTCPTooOldAck)
		tw.challengeAck()
		return
	}
	tw.reschedule()
	if len(s.payload) > 0 || s.has(wire.TCPFlagFIN) {
		tw.sendAck() // data after the FIN: acknowledged, not taken
	}
}

// finWait2Input processes a segment for a record in FIN-WAIT-2
// (tcp_timewait_state_process's TCP_FIN_WAIT2 case, which repeats
// tcp_rcv_state_process's checks): PAWS failures and segments out of the
// window get an ACK; an RST ends the record; a SYN at or beyond rcv_nxt,
// or new data after the close, is answered with a reset and ends it; the
// peer's FIN at rcv_nxt moves the record to TIME-WAIT for 2MSL, with an
// ACK. Duplicate ACKs are dropped. Called with tw.mu held.
func (tw *twSock) finWait2Input(s *segment, local, remote netip.AddrPort) {
	p := tw.p
	paws := tw.tsOK && s.opts.HasTimestamps && !s.has(wire.TCPFlagRST) &&
		int32(s.opts.TSVal-tw.tsRecent) < 0
	seq, end := s.seq, s.seq+s.seqLen()
	if paws || !inWindow(seq, end, tw.rcvNxt, tw.rcvNxt+tw.rcvWnd) {
		if paws {
			// Linux's TCP_FIN_WAIT2 case counts no PAWS rejection.
			p.ns.MIB.Drop(netns.DropTCPRFC7323TWPAWS)
		} else {
			p.ns.MIB.Drop(netns.DropTCPInvalidSequence)
		}
		// An ACK, even to an RST out of the window, as Linux's
		// TCP_FIN_WAIT2 case answers every such segment.
		tw.oowAck(s, netns.TCPExtTCPACKSkippedFinWait2)
		return
	}
	if s.has(wire.TCPFlagRST) {
		tw.kill()
		return
	}
	if s.has(wire.TCPFlagSYN) && !seqnum.Value(seq).LessThan(seqnum.Value(tw.rcvNxt)) {
		p.sendResetFor(s, local, remote)
		tw.kill()
		return
	}
	if !s.has(wire.TCPFlagACK) || !seqnum.Value(end).GreaterThan(seqnum.Value(tw.rcvNxt)) || end == seq {
		return // a duplicate ACK
	}
	if !s.has(wire.TCPFlagFIN) || end != tw.rcvNxt+1 {
		// New data after the user closed: the connection aborts
		// (TCPAbortOnData, as the connection itself counted it).
		p.ns.MIB.Inc(netns.TCPExtTCPAbortOnData)
		p.ns.MIB.Drop(netns.DropTCPAbortOnData)
		p.sendResetFor(s, local, remote)
		tw.kill()
		return
	}
	// The peer's FIN: TIME-WAIT proper.
	tw.fw2 = false
	tw.rcvNxt = end
	if tw.tsOK && s.opts.HasTimestamps {
		tw.tsRecent = s.opts.TSVal
	}
	tw.stamp = p.twt.off(p.ns.Clock().Now())
	tw.reschedule()
	tw.sendAck()
}

// inWindow is Linux's tcp_in_window: a segment [seq, end) meets the
// window [lo, hi) if it starts at its left edge, overlaps it, or is
// empty at its right edge.
func inWindow(seq, end, lo, hi uint32) bool {
	if seq == lo {
		return true
	}
	if seqnum.Value(end).GreaterThan(seqnum.Value(lo)) && seqnum.Value(seq).LessThan(seqnum.Value(hi)) {
		return true
	}
	return seq == hi && seq == end
}

// syn is timeWaitSyn for a record: a SYN newer than anything the old
// connection saw reopens the 4-tuple, the listener answering with an
// ISN beyond the old connection's. Called with tw.mu held; takes the
// listener's lock after letting the record's go.
func (tw *twSock) syn(s *segment, local, remote netip.AddrPort) bool {
	if !s.has(wire.TCPFlagSYN) || s.has(wire.TCPFlagRST|wire.TCPFlagACK) {
		return false
	}
	sawTS := s.opts.HasTimestamps
	if tw.tsOK && sawTS && int32(s.opts.TSVal-tw.tsRecent) < 0 {
		return false
	}
	if !(int32(s.seq-tw.rcvNxt) > 0 || tw.tsOK && sawTS && int32(tw.tsRecent-s.opts.TSVal) < 0) {
		return false
	}
	isn := tw.sndNxt + 65535 + 2
	if isn == 0 {
		isn = 1
	}
	p := tw.p
	l := p.lookup(local, remote, tw.dev())
	if l == nil {
		return false
	}
	tw.kill()
	tw.mu.Unlock()
	defer tw.mu.Lock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != Listen {
		return true
	}
	l.connRequest(s, local, remote, isn)
	return true
}

// reuse is reuseTimeWait's half for a record: connect may take its
// 4-tuple when the old connection used timestamps and, for a port
// connect chose, tcp_tw_reuse allows it. It returns the ISN and
// ts_recent the new connection continues from.
func (tw *twSock) reuse(bound bool) (uint32, uint32, bool) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.dead || tw.fw2 || !tw.tsOK {
		return 0, 0, false
	}
	p := tw.p
	if !bound {
		r := p.ns.Sysctl.Int(netns.TCPTwReuse)
		if r == 2 && !tw.local.Addr().IsLoopback() && !tw.remote.Addr().IsLoopback() {
			r = 0
		}
		delay := time.Duration(p.ns.Sysctl.Int(netns.TCPTwReuseDelay)) * time.Millisecond
		if r == 0 || time.Duration(p.twt.off(p.ns.Clock().Now())-tw.stamp) <= delay {
			return 0, 0, false
		}
	}
	isn := tw.sndNxt + 65535 + 2
	if isn == 0 {
		isn = 1
	}
	tsRecent := tw.tsRecent
	tw.kill()
	p.ns.MIB.Inc(netns.TCPExtTWRecycled)
	return isn, tsRecent, true
}

// diag reports the record as inet_diag does a timewait sock; false if
// it ended since the table was copied.
func (tw *twSock) diag() (SockInfo, bool) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.dead {
		return SockInfo{}, false
	}
	st := TimeWait
	if tw.fw2 {
		st = FinWait2 // inet_diag reports a timewait sock's substate
	}
	si := SockInfo{
		State: st, Local: tw.local, Remote: tw.remote, Orphan: true, TimeWaitSock: true,
		V6: tw.tb != nil && tw.tb.V6(), V6Only: tw.tb != nil && tw.tb.V6Only(),
		TimeWaitLeft: tw.p.twt.left(tw),
	}
	si.Info.State = uint8(st)
	return si, true
}

// twTimers is the one timer of a protocol's TIME-WAIT records, over a
// heap of them by expiry (Linux gives each timewait sock its own timer):
// a runtime timer per record cost about 110 bytes, a quarter of a
// record, and kept the runtime's timer heap as large as the table.
type twTimers struct {
	mu      sync.Mutex
	base    time.Time // the clock reading offsets count from
	h       []*twSock // a min-heap by expires
	t       clock.Timer
	armedAt int64 // the expiry t is armed for; 0 when not armed
	p       *Protocol
}

// off is t's offset from the base reading, with the monotonic clock when
// there is one (a wall-clock jump moves no expiry).
func (tt *twTimers) off(t time.Time) int64 {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.offLocked(t)
}

func (tt *twTimers) offLocked(t time.Time) int64 {
	if tt.base.IsZero() {
		tt.base = t.Add(-time.Hour) // keeps offsets of earlier stamps positive
	}
	return int64(t.Sub(tt.base))
}

// schedule (re)arms tw's timer to fire d after now
// (inet_twsk_schedule, inet_twsk_reschedule).
func (tt *twTimers) schedule(tw *twSock, now time.Time, d time.Duration) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	at := tt.offLocked(now) + int64(d)
	tw.expires = at
	if tw.hidx == 0 {
		tw.hidx = int32(len(tt.h)) + 1
		tt.h = append(tt.h, tw)
		tt.up(len(tt.h) - 1)
	} else {
		i := int(tw.hidx) - 1
		tt.up(i)
		tt.down(int(tw.hidx) - 1)
	}
	if tt.armedAt == 0 || at < tt.armedAt {
		tt.arm(now, at)
	}
}

// arm sets the timer for the expiry at. Called with tt.mu held.
func (tt *twTimers) arm(now time.Time, at int64) {
	d := max(time.Duration(at-tt.offLocked(now)), 0)
	tt.armedAt = at
	if tt.t == nil {
		tt.t = tt.p.ns.Clock().AfterFunc(d, tt.fire)
		return
	}
	tt.t.Reset(d)
}

// remove takes tw out of the heap, stopping the timer with the last
// record so that nothing is left armed once TIME-WAIT is empty.
func (tt *twTimers) remove(tw *twSock) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tw.hidx == 0 {
		return
	}
	i, last := int(tw.hidx)-1, len(tt.h)-1
	tt.swap(i, last)
	tt.h[last] = nil
	tt.h = tt.h[:last]
	tw.hidx = 0
	if i < last {
		tt.up(i)
		tt.down(i)
	}
	if len(tt.h) == 0 {
		tt.stopLocked()
	}
	if cap(tt.h) > 64 && len(tt.h) < cap(tt.h)/4 {
		tt.h = slices.Clone(tt.h) // give memory back as records go
	}
}

func (tt *twTimers) stopLocked() {
	if tt.t != nil && tt.armedAt != 0 {
		clock.Halt(tt.t)
	}
	tt.armedAt = 0
}

// left is what tw's timer has left.
func (tt *twTimers) left(tw *twSock) time.Duration {
	now := tt.p.ns.Clock().Now()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return max(time.Duration(tw.expires-tt.offLocked(now)), 0)
}

// fire ends the records whose time ran out (tw_timer_handler) and arms
// the timer for the next.
func (tt *twTimers) fire() {
	now := tt.p.ns.Clock().Now()
	tt.mu.Lock()
	tt.armedAt = 0
	cur := tt.offLocked(now)
	var due []*twSock
	for len(tt.h) > 0 && tt.h[0].expires <= cur {
		tw := tt.h[0]
		last := len(tt.h) - 1
		tt.swap(0, last)
		tt.h[last] = nil
		tt.h = tt.h[:last]
		tw.hidx = 0
		tt.down(0)
		due = append(due, tw)
	}
	if len(tt.h) > 0 {
		tt.arm(now, tt.h[0].expires)
	}
	tt.mu.Unlock()
	for _, tw := range due {
		tw.mu.Lock()
		// Rescheduled since (back in the heap) or ended: not ours.
		tt.mu.Lock()
		expired := tw.hidx == 0
		tt.mu.Unlock()
		if expired {
			tw.kill()
		}
		tw.mu.Unlock()
	}
}

func (tt *twTimers) less(i, j int) bool { return tt.h[i].expires < tt.h[j].expires }

func (tt *twTimers) swap(i, j int) {
	tt.h[i], tt.h[j] = tt.h[j], tt.h[i]
	tt.h[i].hidx = int32(i) + 1
	tt.h[j].hidx = int32(j) + 1
}

func (tt *twTimers) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !tt.less(i, parent) {
			return
		}
		tt.swap(i, parent)
		i = parent
	}
}

func (tt *twTimers) down(i int) {
	n := len(tt.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && tt.less(r, l) {
			m = r
		}
		if !tt.less(m, i) {
			return
		}
		tt.swap(i, m)
		i = m
	}
}
