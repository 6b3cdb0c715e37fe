package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/waitq"
)

// The write queue's skb structure, as Linux's tcp_sendmsg builds it, and
// the send-buffer accounting that follows from it.
//
// gosock keeps the data of the send queue in one ring (sendq.go); Linux
// keeps it in skbs of up to size_goal bytes (tcp_xmit_size_goal: half the
// largest window the peer offered, at most the GSO limit, in whole MSS).
// Two things visible from outside depend on where those skbs begin and
// end, so gosock records the boundaries beside the ring:
//
//   - PSH. tcp_sendmsg marks PSH on an skb when the user's write ends in it
//     (tcp_push) and when more than half the peer's largest window was
//     written since the last mark (forced_push); a segment carries PSH when
//     it ends such an skb. Linux 6.18 also sends every TSO packet of more
//     than one segment with PSH (measured on this machine's kernel through
//     a TUN device with TSO: with tcp_min_tso_segs=10 a 26000-byte write
//     goes as P. 1:5001, P. 5001:10001, P. 10001:20001, P. 20001:26001,
//     and the middle of a 100000-byte write likewise; a one-segment piece
//     cut from the head of an skb, as limited transmit sends, has none).
//   - sk_wmem_queued. Linux charges each skb's truesize: its payload plus
//     skbTruesize. New skbs are only started while the charge is below
//     SO_SNDBUF (sk_stream_memory_free), so a write may overshoot the
//     buffer by up to an skb; each TSO packet cut from an skb
//     (tso_fragment) is an skb of its own until fully acknowledged. The
//     socket is writable when a third of the buffer is free
//     (sk_stream_is_writeable) and, with TCP_NOTSENT_LOWAT, when the unsent
//     bytes are below half the mark (tcp_stream_memory_free); waiting
//     writers and epoll are woken only when that becomes true after a
//     write ran out of room (SOCK_NOSPACE, sk_stream_write_space).

// skbTruesize is what Linux 6.18 on x86-64 charges to sk_wmem_queued for
// a send skb beyond its payload: a 1-byte write into an empty queue reads
// 833 in SO_MEMINFO's wmem_queued, and a 58000-byte write that leaves 8
// skbs (5 sent TSO packets, 3 unsent) reads 64656.
const skbTruesize = 832

// gsoLegacyMaxSize is the GSO limit of a Linux device that sets none
// (GSO_LEGACY_MAX_SIZE): Linux does GSO in software for TCP whatever the
// device, so the size goal never falls to one MSS.
const gsoLegacyMaxSize = 65536

// txSkb is an unsent skb of the write queue: it ends at end and starts
// where the one before it ends (the first where sndMax is).
type txSkb struct {
	end uint32
	psh bool // tcp_mark_push: its last segment carries PSH
}

// fifo is a queue that reuses its array: no allocation once it has grown
// to the connection's working size.
type fifo[T any] struct {
	buf  []T
	head int
}

func (f *fifo[T]) Len() int    { return len(f.buf) - f.head }
func (f *fifo[T]) At(i int) *T { return &f.buf[f.head+i] }
func (f *fifo[T]) Last() *T    { return &f.buf[len(f.buf)-1] }

func (f *fifo[T]) Push(v T) {
	if f.head > 0 && len(f.buf) == cap(f.buf) {
		n := copy(f.buf, f.buf[f.head:])
		f.buf, f.head = f.buf[:n], 0
	}
	f.buf = append(f.buf, v)
}

func (f *fifo[T]) Pop() {
	f.head++
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
	}
}

// wqState is the skb structure of a connection's send queue. It is kept
// apart from conn, allocated at the first write, so connections that
// never send pay one pointer for it.
type wqState struct {
	skbs fifo[txSkb] // unsent skbs, oldest first
	// chunks are the ends of the sent skbs (TSO packets) not yet acked in
	// full, oldest first: each is still charged skbTruesize.
	chunks    fifo[uint32]
	pushedSeq uint32      // write_seq at the last tcp_mark_push
	lsndtime  time.Time   // when data last went out
	noSpace   bool        // SOCK_NOSPACE: a writer or poll found no room
	chrono    chronoState // TCP_INFO's busy and limited times (chrono.go)
	probeAt   time.Time   // when the probe timer for refused data fires (probe0.go)
	sndSml    uint32      // snd_sml: the end of the last short segment sent (nagle.go)
	txWait    bool        // registered with a full device to be woken (txwake.go)
}

// wqInit returns the connection's write queue state, creating it.
func (c *conn) wqInit() *wqState {
	if c.wq == nil {
		c.wq = &wqState{pushedSeq: c.writeSeq()}
	}
	return c.wq
}

// wqReset forgets the queue's structure with its data.
func (c *conn) wqReset() {
	if c.wq != nil {
		*c.wq = wqState{}
	}
}

// writeSeq is the sequence number after the last byte queued
// (tp->write_seq).
func (c *conn) writeSeq() uint32 { return c.sndUna + uint32(c.sndBuf.Len()) }

// wqSync moves the skbs that have gone out in full (their end at or
// before sndMax) to the sent chunks, and drops the chunks acked in full.
func (c *conn) wqSync() {
	w := c.wq
	if w == nil {
		return
	}
	for w.skbs.Len() > 0 && int32(w.skbs.At(0).end-c.sndMax) <= 0 {
		end := w.skbs.At(0).end
		w.skbs.Pop()
		if w.chunks.Len() == 0 || int32(end-*w.chunks.Last()) > 0 {
			w.chunks.Push(end)
		}
	}
	for w.chunks.Len() > 0 && int32(*w.chunks.At(0)-c.sndUna) <= 0 {
		w.chunks.Pop()
	}
}

// wmemQueued is sk_wmem_queued: the bytes queued (sent or not) plus the
// overhead of each skb holding them.
func (c *conn) wmemQueued() int {
	n := c.sndBuf.Len()
	if w := c.wq; w != nil {
		c.wqSync()
		n += skbTruesize * (w.chunks.Len() + w.skbs.Len())
	}
	return n
}

// notsentLowat is the TCP_NOTSENT_LOWAT in force: the socket option, or
// the sysctl when the option is 0 (tcp_notsent_lowat()).
func (c *conn) notsentLowat() uint64 {
	if v := c.opts.notsentLow; v != 0 {
		return uint64(uint32(v))
	}
	return uint64(c.sysInt(netns.TCPNotsentLowat))
}

// notsentBytes is what is queued and never sent.
func (c *conn) notsentBytes() uint64 {
	if d := int32(c.writeSeq() - c.sndMax); d > 0 {
		return uint64(d)
	}
	return 0
}

// sndMemFree is sk_stream_memory_free: whether a write may start a new
// skb. wake (1 for poll and wakeups, 0 for writes) halves the
// TCP_NOTSENT_LOWAT mark, as tcp_stream_memory_free.
func (c *conn) sndMemFree(wake uint) bool {
	if c.wmemQueued() >= c.sk.S.SndBuf() {
		return false
	}
	return c.notsentBytes()<<wake < c.notsentLowat()
}

// sndWritable is __sk_stream_is_writeable(sk, 1): a third of the send
// buffer free and the unsent bytes under half TCP_NOTSENT_LOWAT.
func (c *conn) sndWritable() bool {
	q := c.wmemQueued()
	return c.sk.S.SndBuf()-q >= q>>1 && c.sndMemFree(1)
}

// wakeWriters is sk_stream_write_space after an ACK freed send memory
// (tcp_check_space): waiters are woken only when one ran out of room
// and the socket is writable again.
func (c *conn) wakeWriters() {
	w := c.wq
	if c.sk == nil || w == nil || !w.noSpace || !c.sndWritable() {
		return
	}
	w.noSpace = false
	c.chronoStop(chronoSndbufLimited) // tcp_check_space
	c.notify(waitq.EventOut | waitq.EventWrNorm)
}

// sizeGoal is tcp_xmit_size_goal: the payload an skb of the write queue
// grows to: the GSO limit less header room, bounded to half the largest
// window the peer offered (tcp_bound_to_half_wnd), in whole MSS.
func (c *conn) sizeGoal(mss int) int {
	gsoMax, _ := c.gsoMaxSize()
	if gsoMax == 0 {
		gsoMax = gsoLegacyMaxSize
	}
	goal := gsoMax - 1 - maxTCPHeader
	cutoff := int(c.maxWindow)
	if cutoff > defaultMSS {
		cutoff >>= 1
	}
	if cutoff > 0 && goal > cutoff {
		goal = max(cutoff, 68-tcpHeaderLen(c))
	}
	return max(goal/mss, 1) * mss
}

// tcpHeaderLen is tp->tcp_header_len: the header with the options every
// segment carries.
func tcpHeaderLen(c *conn) int {
	if c.tsOK {
		return 32
	}
	return 20
}

// forcedPush is forced_push: more than half the peer's largest window
// was written since PSH was last marked.
func (c *conn) forcedPush() bool {
	return int32(c.writeSeq()-(c.wq.pushedSeq+c.maxWindow>>1)) > 0
}

// markPush is tcp_mark_push on the last unsent skb.
func (c *conn) markPush() {
	w := c.wq
	if w.skbs.Len() > 0 {
		w.skbs.Last().psh = true
	}
	w.pushedSeq = c.writeSeq()
}

// tailSkb returns the skb a write may append to: the last unsent one,
// unless a record ends it (MSG_EOR, tcp_skb_can_collapse_to), with its
// length.
func (c *conn) tailSkb() (*txSkb, int) {
	w := c.wq
	if w.skbs.Len() == 0 {
		return nil, 0
	}
	t := w.skbs.Last()
	if len(c.eorEnds) > 0 && c.eorEnds[len(c.eorEnds)-1] == t.end {
		return nil, 0
	}
	start := c.sndMax
	if w.skbs.Len() > 1 {
		start = w.skbs.At(w.skbs.Len() - 2).end
	}
	return t, int(int32(t.end - start))
}

// skbPushIn reports whether new data [seq, seq+n) carries PSH: it ends
// an skb marked by tcp_mark_push, or it covers the end of the first skb
// it starts in, grown past it (tcp_grow_skb keeps that skb's flags). A
// piece cut from an skb (tso_fragment) has none. Data queued past every
// recorded skb (a Fast Open SYN's) counts as one skb with PSH.
func (c *conn) skbPushIn(seq uint32, n int) bool {
	end := seq + uint32(n)
	c.wqSync() // drop the skbs sent in full: the scan starts at seq's
	w := c.wq
	if w == nil || w.skbs.Len() == 0 {
		return end == c.writeSeq()
	}
	for i := 0; i < w.skbs.Len(); i++ {
		s := w.skbs.At(i)
		if int32(s.end-seq) <= 0 {
			continue
		}
		if d := int32(s.end - end); d >= 0 {
			return d == 0 && s.psh
		}
		if s.psh {
			return true
		}
	}
	return false
}

// noteChunkSent records a TSO packet of new data ending at end: one skb
// until acked in full (tso_fragment cut it from an skb, or tcp_grow_skb
// took in the skbs it covers, which are freed).
func (c *conn) noteChunkSent(end uint32) {
	w := c.wq
	if w == nil {
		return
	}
	for w.skbs.Len() > 0 && int32(w.skbs.At(0).end-end) <= 0 {
		w.skbs.Pop()
	}
	if w.chunks.Len() == 0 || int32(end-*w.chunks.Last()) > 0 {
		w.chunks.Push(end)
	}
}

// queueWrite copies the user's data into the send queue as tcp_sendmsg
// fills skbs, sending on the way where Linux does (a full skb at the
// head of the queue, a forced push), and returns the bytes taken; 0
// means no room. The caller pushes at the end (tcp_push).
func (c *conn) queueWrite(iov [][]byte, total int) int {
	w := c.wqInit()
	c.wqSync()
	goal := c.sizeGoal(max(c.mss, 1))
	n := 0
	vi, vo := 0, 0 // position in iov
	for n < total {
		t, tlen := c.tailSkb()
		room := 0
		if t != nil {
			room = goal - tlen
		}
		if room <= 0 {
			if !c.sndMemFree(0) {
				break
			}
			c.idleRestart()
			if w.skbs.Len() == 0 {
				c.chronoStart(chronoBusy) // tcp_add_write_queue_tail
			}
			w.skbs.Push(txSkb{end: c.writeSeq()})
			t, tlen, room = w.skbs.Last(), 0, goal
		}
		take := c.sndRoom(min(room, total-n)) // tcp_wmem_schedule
		if take <= 0 {
			break
		}
		for left := take; left > 0; {
			b := iov[vi][vo:]
			k := min(len(b), left)
			// The ring is sized for the buffer plus the skb a write
			// may overshoot it by, so that it grows once, not on every
			// append past SO_SNDBUF.
			c.sndBuf.Append(b[:k], c.sk.S.SndBuf()+goal)
			left -= k
			vo += k
			if vo == len(iov[vi]) {
				vi, vo = vi+1, 0
			}
		}
		if n == 0 {
			t.psh = false // a new write moves the push mark on
		}
		t.end += uint32(take)
		tlen += take
		n += take
		if n == total || tlen < goal {
			continue
		}
		if c.forcedPush() {
			c.markPush()
			c.output()
		} else if w.skbs.Len() == 1 {
			c.output() // tcp_push_one: the skb at the head is full
		}
		c.wqSync()
	}
	if n < total {
		w.noSpace = true // wait_for_space
	}
	return n
}

// noteDataSent records when data last went out (tp->lsndtime), for the
// restart after idle.
func (c *conn) noteDataSent() {
	if c.wq != nil {
		c.wq.lsndtime = c.now()
	}
}

// idleRestart is tcp_slow_start_after_idle_check: after more than an
// RTO with nothing in flight, the congestion window falls back towards
// the initial window, halved for each RTO idle (tcp_cwnd_restart, RFC
// 2861). Linux runs it when a write starts an skb (tcp_skb_entail), and
// Linux 6.18 also restarts before sending data a window update lets out
// after an idle spent probing a zero window (measured: cwnd 36 before
// the update, 10 after, the data going as 5000-byte TSO packets), so
// output runs it too.
func (c *conn) idleRestart() {
	w := c.wq
	if w.lsndtime.IsZero() || c.sndMax != c.sndUna || c.sysInt(netns.TCPSlowStartAfterIdle) == 0 {
		return
	}
	rto := c.rtt.rto()
	delta := c.now().Sub(w.lsndtime)
	if rto <= 0 || delta <= rto {
		return
	}
	s := &c.ccs
	restart := min(uint32(10), s.cwnd) // tcp_init_cwnd: TCP_INIT_CWND
	s.ssthresh = c.currentSsthresh()
	cwnd := s.cwnd
	for delta -= rto; delta > 0 && cwnd > restart; delta -= rto {
		cwnd >>= 1
	}
	s.cwnd = max(cwnd, restart)
}

// rtxRunContinues reports whether tcp_xmit_retransmit_queue would send
// record i+1 in the same skb as record i, run records already being in
// it: the next record continues the same original TSO packet (i carries
// neither its PSH nor a FIN), is lost and not yet retransmitted, and the
// congestion window and tcp_tso_autosize's segment limit leave room for
// both. Linux 6.18 sends such a retransmission of several segments with
// PSH, as new data (measured in the corpus's Fast Open recovery script:
// a 2000-byte retransmission cut from a 5000-byte packet goes as P.).
func (c *conn) rtxRunContinues(i, run int) bool {
	l := &c.lr
	if i+1 >= len(l.q) {
		return false
	}
	r, n := &l.q[i], &l.q[i+1]
	if r.has(rtxPSH|rtxFIN) || n.start != r.end || !n.has(rtxLost) || n.has(rtxSacked|rtxRetransOut) {
		return false
	}
	if int(c.ccs.cwnd)-c.packetsInFlight() < 2 || l.retransOut+1 >= l.lostOut {
		return false
	}
	mss := max(c.mss, 1)
	return run+2 <= c.tsoAutosize(mss, gsoLegacyMaxSize)
}
