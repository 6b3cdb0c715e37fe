package link

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/pktbuf"
)

// DefaultQueueLimit is the queue limit of an Impairments whose QueueLimit
// is zero, Linux's netdev_max_backlog and netem's default limit.
const DefaultQueueLimit = 1000

// DefaultReorderDelay is how long a reordered frame is held back when
// Impairments.ReorderDelay is zero.
const DefaultReorderDelay = time.Millisecond

// Impairments describe what a Pipe's wire does to the frames travelling in
// one direction. The zero value is a perfect wire: no delay, unlimited
// bandwidth, a queue of DefaultQueueLimit frames, nothing lost.
//
// The timing model: a frame of n bytes (link header included, no preamble
// or FCS) starts on the wire when the wire is free, occupies it for
// n*8/Bandwidth seconds, and arrives Latency (plus jitter) after its last
// bit left. Frames queue behind each other for the wire, so with a
// Bandwidth they arrive at least their serialisation time apart.
//
// Random decisions come from a PCG generator seeded from Seed and the
// direction. Every frame that reaches the wire (Transmit passed the
// closed, carrier and size checks) consumes exactly six draws, in this
// order, whatever the probabilities: loss, duplicate, corrupt, corrupted
// bit, reorder, jitter. So the fate of the k-th such frame depends only on
// Seed, the direction and k: the same seed and the same sequence of frames
// give the same outcome, and turning one impairment on does not change the
// decisions of another.
type Impairments struct {
	// Latency is the one-way propagation delay.
	Latency time.Duration
	// Jitter adds a uniform random delay in [-Jitter, +Jitter] to Latency.
	// Unlike netem's, it never reorders frames: a frame whose jittered
	// arrival falls before its predecessor's arrives just after it. Use
	// Reorder for reordering.
	Jitter time.Duration
	// Bandwidth is the wire's rate in bits per second; zero is unlimited.
	Bandwidth int64
	// QueueLimit is the number of frames the direction holds waiting: for
	// the wire (the bottleneck's buffer, which only fills with a
	// Bandwidth) and, having arrived, for the peer's receive goroutine (its
	// backlog, as netdev_max_backlog). Frames still propagating are not
	// counted, so a long fat pipe is not limited by it, unlike netem's
	// limit. A Transmit beyond it is dropped at the tail with ENOBUFS.
	// Zero means DefaultQueueLimit; negative means no limit.
	QueueLimit int
	// Loss is the probability that a frame is silently lost. Transmit
	// still reports success, as with netem.
	Loss float64
	// Duplicate is the probability that a frame is delivered twice. The
	// copy is a private clone taken before any corruption, and it arrives
	// right behind the original's normal arrival time (it is neither
	// corrupted nor reordered, and takes no extra wire time).
	Duplicate float64
	// Reorder is the probability that a frame is held back ReorderDelay
	// beyond its normal arrival, so that frames sent after it overtake it.
	// It still occupies the wire in its turn.
	Reorder float64
	// ReorderDelay is the extra delay of a reordered frame; zero means
	// DefaultReorderDelay. Frames sent less than ReorderDelay after a
	// reordered one arrive before it.
	ReorderDelay time.Duration
	// Corrupt is the probability that one uniformly chosen bit of the
	// frame (link header included) is flipped. A frame that is shared
	// (pktbuf.Buffer.Shared) is copied first, so other holders never see
	// the damage. A corrupted frame loses ChecksumPartial and
	// ChecksumVerified, so the receiver verifies its checksums.
	Corrupt float64
	// Seed seeds the direction's random generator. SetImpairments restarts
	// the generator from it.
	Seed int64
}

// ImpairStats counts what one direction of a Pipe did to the frames sent
// into it.
type ImpairStats struct {
	// Sent counts frames that reached the wire's impairments (Transmit
	// passed its checks), lost ones included.
	Sent uint64
	// Delivered counts frames, duplicates included, that reached the
	// receiving end (which drops them into its RxDropped if no Receiver is
	// attached).
	Delivered uint64
	// Lost counts frames dropped by Loss.
	Lost uint64
	// QueueDrops counts frames tail-dropped over QueueLimit (ENOBUFS).
	QueueDrops uint64
	// CarrierDrops counts frames refused (ENETDOWN) or flushed from the
	// wire because the carrier was down.
	CarrierDrops uint64
	// Corrupted counts frames delivered with a flipped bit.
	Corrupted uint64
	// Duplicated counts extra copies delivered.
	Duplicated uint64
	// Reordered counts frames held back by Reorder.
	Reordered uint64
	// Flushed counts the frames of Delivered that their sender delivered
	// itself (Flusher) rather than the pipe's goroutine.
	Flushed uint64
}

type impairCounters struct {
	sent, delivered, lost, queueDrops, carrierDrops atomic.Uint64
	corrupted, duplicated, reordered, flushed       atomic.Uint64
}

func (c *impairCounters) snapshot() ImpairStats {
	return ImpairStats{
		Sent: c.sent.Load(), Delivered: c.delivered.Load(), Lost: c.lost.Load(),
		QueueDrops: c.queueDrops.Load(), CarrierDrops: c.carrierDrops.Load(),
		Corrupted: c.corrupted.Load(), Duplicated: c.duplicated.Load(), Reordered: c.reordered.Load(),
		Flushed: c.flushed.Load(),
	}
}

// entry is a frame in a queue, with its arrival time relative to the
// direction's base time and its order of sending.
type entry struct {
	pkt *pktbuf.Buffer
	due time.Duration
	seq uint64
}

// before orders entries by arrival time, then by order of sending.
func (e *entry) before(o *entry) bool {
	if e.due != o.due {
		return e.due < o.due
	}
	return e.seq < o.seq
}

// fifo is a growable ring of entries. Once it has grown to the largest
// size a workload needs it allocates nothing.
type fifo struct {
	buf  []entry // len is zero or a power of two
	head int
	n    int
}

func (q *fifo) push(e entry) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = e
	q.n++
}

func (q *fifo) grow() {
	size := 2 * len(q.buf)
	if size == 0 {
		size = 64
	}
	nb := make([]entry, size)
	for i := 0; i < q.n; i++ {
		nb[i] = *q.at(i)
	}
	q.buf, q.head = nb, 0
}

// at returns the i-th entry from the front.
func (q *fifo) at(i int) *entry { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

func (q *fifo) pop() entry {
	e := q.buf[q.head]
	q.buf[q.head] = entry{}
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return e
}

// countDue returns how many leading entries are due by now; the entries'
// due times must not decrease from front to back.
func (q *fifo) countDue(now time.Duration) int {
	lo, hi := 0, q.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if q.at(mid).due <= now {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// release gives back every frame in the queue and returns how many.
func (q *fifo) release() int {
	n := q.n
	for q.n > 0 {
		if e := q.pop(); e.pkt != nil {
			e.pkt.Release()
		}
	}
	q.head = 0
	return n
}

// heldHeap is a binary min-heap of entries by (due, seq), for frames held
// back out of order. It is written out rather than using container/heap so
// that pushing an entry does not box it.
type heldHeap []entry

func (h *heldHeap) push(e entry) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(&s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *heldHeap) pop() entry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = entry{}
	s = s[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].before(&s[m]) {
			m = l
		}
		if r < len(s) && s[r].before(&s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

func (h *heldHeap) release() int {
	n := len(*h)
	for i := range *h {
		(*h)[i].pkt.Release()
		(*h)[i] = entry{}
	}
	*h = (*h)[:0]
	return n
}

const (
	farFuture = time.Duration(math.MaxInt64)
	awake     = time.Duration(math.MinInt64)
)

// Salts mixed into the seed so that the two directions of a pipe draw
// different streams from the same Seed.
var dirSalt = [2]uint64{0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f}

// direction is one way of a pipe: the wire's queues, its random
// generator, and the goroutine that delivers frames to the receiving end.
//
// Transmit computes each frame's arrival time when it is sent and appends
// it to q (arrival times never decrease along q) or, when reordered, to
// held. The goroutine sleeps on one reusable timer until the earliest
// arrival, or until Transmit wakes it because a frame is due earlier than
// the goroutine's timer (armed).
type direction struct {
	from, to *PipeEnd
	clk      clock.Clock
	base     time.Time // the zero of the due times
	exact    bool      // the clock is a *clock.Manual: re-arm until the reading is stable
	real     bool      // the clock is clock.Real: now reads the monotonic clock only
	// serial: the clock runs timers one at a time in order (clock.Serial),
	// so each arrival is a timer of its own (timer) and there is no
	// goroutine: deliveries then take their turn with every other event.
	serial bool
	timer  clock.Timer
	salt   uint64

	mu           sync.Mutex
	imp          Impairments // as set, returned by Impairments
	eff          Impairments // as used: negative durations and rates made zero
	limit        int         // effective queue limit; negative is none
	reorderDelay time.Duration
	pcg          rand.PCG
	seq          uint64
	q            fifo     // frames in arrival order
	held         heldHeap // reordered frames
	wireQ        fifo     // start times (due) of frames waiting for the wire
	wireFree     time.Duration
	lastDue      time.Duration // arrival time of q's last frame
	armed        time.Duration // when the goroutine wakes; awake if it runs
	down         bool          // no carrier
	closed       bool
	// waiters are the senders to wake when the queue drains to half its
	// limit (txnotify.go); spare is the emptied list of the last wakeup,
	// kept so that registering does not allocate.
	waiters, spare []TxWaiter
	// perfect: no impairment at all, so a frame is due as it is sent.
	perfect bool
	// deliverer is who delivers frames now (the goroutine, or a sender's
	// flush): one at a time, so that frames arrive in order.
	deliverer deliverer
	// owed: a frame waits for its sender's flush (flush.go).
	owed bool
	// flushing counts flushes delivering, which Close waits for.
	flushing sync.WaitGroup

	wake   chan struct{} // buffer of one
	done   chan struct{} // closed by close
	exited chan struct{} // closed when the goroutine returns
	st     impairCounters
}

func newDirection(from, to *PipeEnd, clk clock.Clock, base time.Time, salt uint64, imp Impairments) *direction {
	d := &direction{
		from: from, to: to, clk: clk, base: base, salt: salt,
		armed:  awake,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	_, d.exact = clk.(*clock.Manual)
	_, d.real = clk.(clock.Real)
	if d.serial = clock.Serial(clk); d.serial {
		d.armed = farFuture
		d.timer = clk.AfterFunc(time.Hour, d.fire)
		d.timer.Stop()
	}
	d.setImpairments(imp)
	return d
}

// fire is the serial clock's timer: it delivers the earliest frame and
// sets the timer for the next one. One frame per firing, so that what the
// frame wakes settles before the next frame arrives, even at the same
// instant.
func (d *direction) fire() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	now := d.now()
	e, _, ok := d.popDue(now)
	d.armed = farFuture
	if next, _ := d.earliest(); next != nil {
		d.armed = next.due
		d.timer.Reset(next.due - now)
	}
	ws := d.writable(now)
	d.mu.Unlock()
	if ok {
		d.deliver(e.pkt)
	}
	d.wakeWaiters(ws)
}

// notify registers w to be woken when the queue has room (TxNotifier).
// If it has room now, the goroutine (or the serial clock's timer) is
// nudged to wake it, so the waiter is never called from its own
// registration.
func (d *direction) notify(w TxWaiter) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.waiters = append(d.waiters, w)
	if d.backlog(d.now()) <= d.lowWater() {
		d.nudge()
	}
}

// nudge makes the delivery side run soon, to look at the waiters. The
// caller holds mu.
func (d *direction) nudge() {
	if d.serial {
		d.armed = d.now()
		d.timer.Reset(0)
		return
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// backlog is how many frames count against the queue limit now, as send
// counts them. The caller holds mu.
func (d *direction) backlog(now time.Duration) int {
	for d.wireQ.n > 0 && d.wireQ.at(0).due <= now {
		d.wireQ.pop()
	}
	return d.wireQ.n + d.q.countDue(now)
}

// lowWater is the backlog at or below which waiters are woken: half the
// limit, so that a woken sender finds room for a burst and the wakeups
// are not one per delivered frame.
func (d *direction) lowWater() int { return d.limit / 2 }

// writable takes the waiters to wake if the queue has drained to its
// low-water mark (any backlog when the queue is unlimited). The caller
// holds mu and calls wakeWaiters with the result after unlocking.
func (d *direction) writable(now time.Duration) []TxWaiter {
	if len(d.waiters) == 0 || d.limit >= 0 && d.backlog(now) > d.lowWater() {
		return nil
	}
	ws := d.waiters
	d.waiters, d.spare = d.spare[:0], nil
	return ws
}

// wakeWaiters calls the waiters writable took, without mu (they may
// transmit on this direction and register again), and keeps the emptied
// list for reuse.
func (d *direction) wakeWaiters(ws []TxWaiter) {
	if ws == nil {
		return
	}
	for _, w := range ws {
		w.TxWritable()
	}
	clear(ws)
	d.mu.Lock()
	if d.spare == nil {
		d.spare = ws[:0]
	}
	d.mu.Unlock()
}

func (d *direction) now() time.Duration {
	if d.real {
		// The same reading, from the monotonic clock alone: time.Now
		// reads the wall clock too, and this is read for every frame
		// sent and delivered.
		return time.Since(d.base)
	}
	return d.clk.Now().Sub(d.base)
}

// setImpairments installs imp and restarts the random stream. Frames
// already on the wire keep their arrival times.
func (d *direction) setImpairments(imp Impairments) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.imp = imp
	imp.Latency, imp.Jitter, imp.Bandwidth = max(imp.Latency, 0), max(imp.Jitter, 0), max(imp.Bandwidth, 0)
	d.eff = imp
	switch {
	case imp.QueueLimit == 0:
		d.limit = DefaultQueueLimit
	case imp.QueueLimit < 0:
		d.limit = -1
	default:
		d.limit = imp.QueueLimit
	}
	d.reorderDelay = imp.ReorderDelay
	if d.reorderDelay <= 0 {
		d.reorderDelay = DefaultReorderDelay
	}
	d.pcg.Seed(uint64(imp.Seed), d.salt)
	d.perfect = imp.Loss <= 0 && imp.Duplicate <= 0 && imp.Corrupt <= 0 && imp.Reorder <= 0 &&
		imp.Latency == 0 && imp.Jitter == 0 && imp.Bandwidth == 0
}

// deliverer says who holds a direction's delivery token.
type deliverer uint8

const (
	noDeliverer deliverer = iota
	goroutineDelivers
	flushDelivers
)

func (d *direction) impairments() Impairments {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.imp
}

// chance reports whether the draw u falls under probability p.
func chance(u uint64, p float64) bool {
	return p > 0 && float64(u>>11)*0x1p-53 < p
}

// scale maps the draw u uniformly onto [0, n).
func scale(u, n uint64) uint64 {
	hi, _ := bits.Mul64(u, n)
	return hi
}

// send puts pkt on the wire, taking the reference. The caller has checked
// its size.
func (d *direction) send(pkt *pktbuf.Buffer) error {
	st := &d.from.stats
	n := pkt.Len()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		st.TxDropped.Add(1)
		pkt.Release()
		return errno.ENETDOWN
	}
	if d.down {
		d.mu.Unlock()
		d.st.carrierDrops.Add(1)
		st.TxDropped.Add(1)
		pkt.Release()
		return errno.ENETDOWN
	}
	// The fixed draws; see Impairments.
	var r [6]uint64
	for i := range r {
		r[i] = d.pcg.Uint64()
	}
	imp := &d.eff
	d.st.sent.Add(1)
	if chance(r[0], imp.Loss) {
		d.mu.Unlock()
		d.st.lost.Add(1)
		st.TxPackets.Add(1)
		st.TxBytes.Add(uint64(n))
		pkt.Release()
		return nil
	}
	now := d.now()
	for d.wireQ.n > 0 && d.wireQ.at(0).due <= now {
		d.wireQ.pop() // has started serialising: no longer waiting
	}
	if d.limit >= 0 && d.wireQ.n+d.q.countDue(now) >= d.limit {
		d.mu.Unlock()
		d.st.queueDrops.Add(1)
		st.TxDropped.Add(1)
		pkt.Release()
		return errno.ENOBUFS
	}

	start := max(now, d.wireFree)
	end := start
	if imp.Bandwidth > 0 {
		bw := imp.Bandwidth
		end += time.Duration((int64(n)*8*int64(time.Second) + bw - 1) / bw)
	}
	d.wireFree = end
	if start > now {
		d.wireQ.push(entry{due: start})
	}
	due := end + imp.Latency
	if j := imp.Jitter; j > 0 {
		due += time.Duration(scale(r[5], 2*uint64(j)+1)) - j
		due = max(due, end)
	}

	var dup *pktbuf.Buffer
	if chance(r[1], imp.Duplicate) {
		dup = pkt.Clone()
		d.st.duplicated.Add(1)
	}
	if chance(r[2], imp.Corrupt) {
		if pkt.Shared() {
			c := pkt.Clone()
			pkt.Release()
			pkt = c
		}
		bit := scale(r[3], uint64(n)*8)
		pkt.Bytes()[bit/8] ^= 1 << (bit % 8)
		pkt.ChecksumPartial, pkt.ChecksumVerified = false, false
		d.st.corrupted.Add(1)
	} else if pkt.ChecksumPartial {
		// Nothing can damage it on the way: the receiver need not
		// complete and check the checksum (a veth passes
		// CHECKSUM_PARTIAL through as valid).
		pkt.ChecksumVerified = true
	}

	due = max(due, d.lastDue) // the wire keeps order
	first := due
	d.seq++
	if chance(r[4], imp.Reorder) {
		first = due + d.reorderDelay
		d.held.push(entry{pkt: pkt, due: first, seq: d.seq})
		d.st.reordered.Add(1)
	} else {
		d.q.push(entry{pkt: pkt, due: due, seq: d.seq})
	}
	d.lastDue = due
	if dup != nil {
		if dup.ChecksumPartial {
			dup.ChecksumVerified = true
		}
		d.seq++
		d.q.push(entry{pkt: dup, due: due, seq: d.seq})
		first = min(first, due)
	}
	wake := first < d.armed
	if wake && pkt.SenderFlushes && d.perfect && !d.serial && d.q.n == 1 && len(d.held) == 0 &&
		d.deliverer == noDeliverer {
		// The goroutine is idle and this is the only frame: the sender
		// delivers it itself after its critical section (flush.go).
		d.owed = true
		wake = false
	} else if wake && d.serial {
		d.armed = first
		d.timer.Reset(first - now)
		wake = false
	} else if wake {
		d.armed = awake
	}
	d.mu.Unlock()

	st.TxPackets.Add(1)
	st.TxBytes.Add(uint64(n))
	if wake {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// popDue removes and returns the earliest frame if it is due by now;
// otherwise it returns the earliest arrival time, or farFuture.
func (d *direction) popDue(now time.Duration) (entry, time.Duration, bool) {
	best, fromQ := d.earliest()
	switch {
	case best == nil:
		return entry{}, farFuture, false
	case best.due > now:
		return entry{}, best.due, false
	case fromQ:
		return d.q.pop(), 0, true
	default:
		return d.held.pop(), 0, true
	}
}

// earliest returns the frame due first, and whether it is in q (else in
// held); nil when the wire is empty.
func (d *direction) earliest() (best *entry, fromQ bool) {
	if d.q.n > 0 {
		best, fromQ = d.q.at(0), true
	}
	if len(d.held) > 0 && (best == nil || d.held[0].before(best)) {
		best, fromQ = &d.held[0], false
	}
	return best, fromQ
}

// run is the direction's goroutine.
func (d *direction) run() {
	defer close(d.exited)
	t := d.clk.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		if d.deliverer == flushDelivers {
			// A sender's flush delivers, and drains the queue before it
			// lets go; a frame due later nudges this goroutine.
			d.armed = farFuture
			d.mu.Unlock()
			select {
			case <-d.wake:
				continue
			case <-d.done:
				return
			}
		}
		d.armed = awake
		now := d.now()
		e, next, ok := d.popDue(now)
		if ok {
			d.deliverer = goroutineDelivers // until the queue has nothing due
			ws := d.writable(now)
			d.mu.Unlock()
			d.deliver(e.pkt)
			d.wakeWaiters(ws)
			continue
		}
		d.deliverer = noDeliverer
		d.armed = next
		ws := d.writable(now)
		d.mu.Unlock()
		if ws != nil {
			d.wakeWaiters(ws)
			continue // a waiter may have sent
		}
		if next == farFuture {
			select {
			case <-d.wake:
				continue
			case <-d.done:
				return
			}
		}
		if !d.sleep(t, next, now) {
			return
		}
	}
}

// sleep waits until the clock reads next (as read now was), a frame due
// earlier is sent, or the direction closes; it reports false on close.
//
// A Timer is armed relative to the clock's reading at Reset, so if the
// clock moves between reading now and the Reset the timer fires late. The
// standard clock moves by nanoseconds (and not at all inside a synctest
// bubble), but a Manual clock may be in the middle of an Advance on
// another goroutine: then re-arm until the reading is the same before and
// after Reset, which makes the deadline exact, or until it is past next.
func (d *direction) sleep(t clock.Timer, next, now time.Duration) bool {
	for {
		select { // a Manual timer's channel may hold a stale firing
		case <-t.C():
		default:
		}
		t.Reset(next - now)
		again := d.now()
		if again >= next {
			return true
		}
		if again == now || !d.exact {
			break
		}
		now = again
	}
	select {
	case <-t.C():
	case <-d.wake:
	case <-d.done:
		return false
	}
	return true
}

// deliver hands a frame to the receiving end's Receiver.
func (d *direction) deliver(pkt *pktbuf.Buffer) {
	to := d.to
	d.st.delivered.Add(1)
	b := to.recv.Load()
	if b == nil {
		to.stats.RxDropped.Add(1)
		pkt.Release()
		return
	}
	to.stats.RxPackets.Add(1)
	to.stats.RxBytes.Add(uint64(pkt.Len()))
	pkt.Orphan() // transmit completion: the sender's count goes down (txcomplete.go)
	b.r.Receive(to, pkt)
}

// setCarrier raises or drops the carrier; dropping it flushes the wire.
func (d *direction) setCarrier(up bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.down == !up {
		return
	}
	d.down = !up
	if up {
		return
	}
	n := d.q.release() + d.held.release()
	d.wireQ.release()
	d.wireFree, d.lastDue = 0, 0
	d.st.carrierDrops.Add(uint64(n))
	if len(d.waiters) > 0 {
		d.nudge() // the queue is empty now
	}
}

// close marks the direction closed and releases the frames on its wire.
// The caller then closes done and waits for exited.
func (d *direction) close() {
	d.mu.Lock()
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
	}
	d.q.release()
	d.held.release()
	d.wireQ.release()
	clear(d.waiters)
	d.waiters, d.spare = nil, nil
	d.mu.Unlock()
}

// receiverBox holds an attached Receiver for atomic swapping.
type receiverBox struct{ r Receiver }

func storeReceiver(p *atomic.Pointer[receiverBox], r Receiver) {
	if r == nil {
		p.Store(nil)
		return
	}
	p.Store(&receiverBox{r})
}
