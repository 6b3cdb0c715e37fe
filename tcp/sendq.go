package tcp

// byteQueue is a queue of bytes in a ring, appended at the tail and
// consumed from the head: a connection's send data from snd_una on (sent
// and unacknowledged, then not yet sent: Linux's write and retransmission
// queues of skbs, as bytes), appended by sendmsg and consumed by ACKs, and
// its receive queue, appended by in-order segments and consumed by reads.
// In a ring, appending never moves what is queued. A byte queue kept
// contiguous from its head instead has to slide the whole queue down
// whenever the tail reaches the end of its array; with megabytes queued
// and 64 KiB appends, that slide cost several copies of every byte (40 %
// of a bulk sender's CPU time, three times the reader's own copy on a
// receiver whose reader lagged).
//
// Segments are cut from the queue as one contiguous slice each. For that
// the first mirrorMax bytes of the ring are kept a second time right after
// its end, so that a view starting anywhere and no longer than the mirror
// never wraps: a segment (at most 64 KiB) is always a plain subslice, and
// only appends to the first mirrorMax bytes pay a second copy. A longer
// view that would wrap first rotates the ring to start at its head, a
// copy of the queue that no segment size reaches.
//
// The zero value is an empty queue with no memory; the ring grows as
// appends need it, up to the socket buffer's size, and is kept (reused)
// when it empties, until Reset.
type byteQueue struct {
	buf  []byte // the ring, size bytes, then its mirror
	size int    // the ring's capacity
	head int    // where the first queued byte is, in [0, size)
	n    int    // bytes queued
}

// mirrorMax is the most of the ring's start kept again after its end: the
// largest view that is always contiguous. 64 KiB covers every segment and
// TSO super-segment (the IP packet limit).
const mirrorMax = 64 << 10

// mirror is the length of the ring's mirrored start.
func (q *byteQueue) mirror() int { return min(q.size, mirrorMax) }

// Len returns the bytes queued.
func (q *byteQueue) Len() int { return q.n }

// View returns the n bytes from offset off (off+n at most Len) as one
// slice of the ring. The slice is valid until the next Append, Consume or
// Reset, and must not be written.
func (q *byteQueue) View(off, n int) []byte {
	if off < 0 || n < 0 || off+n > q.n {
		panic("tcp: send queue view out of range")
	}
	if n == 0 {
		return nil
	}
	start := q.head + off
	if start >= q.size {
		start -= q.size
	}
	if start+n > q.size+q.mirror() {
		q.rotate()
		start = off
	}
	return q.buf[start : start+n : start+n]
}

// Append queues b. limit is the socket buffer's size, which the ring grows
// to at once when it must grow, so that a connection filling its buffer
// reallocates a few times at most; the ring grows beyond it if b needs.
func (q *byteQueue) Append(b []byte, limit int) {
	if len(b) == 0 {
		return
	}
	if need := q.n + len(b); need > q.size {
		q.grow(max(need, min(2*q.size, limit), 4096))
	}
	tail := q.head + q.n
	if tail >= q.size {
		tail -= q.size
	}
	k := copy(q.buf[tail:q.size], b)
	q.mirrorWrite(tail, b[:k])
	if k < len(b) {
		copy(q.buf, b[k:])
		q.mirrorWrite(0, b[k:])
	}
	q.n += len(b)
}

// mirrorWrite copies into the mirror what was just written at ring
// offset at, for the part of it that lies in the mirrored start.
func (q *byteQueue) mirrorWrite(at int, b []byte) {
	if m := q.mirror(); at < m {
		copy(q.buf[q.size+at:q.size+m], b)
	}
}

// Consume drops the first n bytes (n at most Len): the peer has
// acknowledged them, or the reader has taken them.
func (q *byteQueue) Consume(n int) {
	if n < 0 || n > q.n {
		panic("tcp: send queue consume out of range")
	}
	q.n -= n
	q.head += n
	if q.head >= q.size {
		q.head -= q.size
	}
	if q.n == 0 {
		q.head = 0 // the next data starts where no wrap is near
	}
}

// CopyOut copies into dst the bytes from offset off, at most n of them
// and at most to the end of the queue, and returns how many it copied.
func (q *byteQueue) CopyOut(dst []byte, off, n int) int {
	n = min(n, len(dst), q.n-off)
	if n <= 0 {
		return 0
	}
	start := q.head + off
	if start >= q.size {
		start -= q.size
	}
	k := copy(dst[:n], q.buf[start:q.size])
	if k < n {
		copy(dst[k:n], q.buf)
	}
	return n
}

// Reset empties the queue and lets its memory go.
func (q *byteQueue) Reset() { *q = byteQueue{} }

// grow moves the queued bytes, in order, to the start of a new ring of
// size bytes.
func (q *byteQueue) grow(size int) {
	nq := byteQueue{size: size}
	nq.buf = make([]byte, size+nq.mirror())
	q.copyOut(nq.buf[:q.n])
	nq.n = q.n
	copy(nq.buf[size:], nq.buf[:min(nq.n, nq.mirror())])
	*q = nq
}

// rotate moves the queued bytes to the start of the ring, in place of a
// second array: a view longer than the mirror that would wrap.
func (q *byteQueue) rotate() {
	tmp := make([]byte, q.n)
	q.copyOut(tmp)
	copy(q.buf, tmp)
	q.head = 0
	copy(q.buf[q.size:], q.buf[:q.mirror()])
}

// copyOut copies the queued bytes, in order, into dst (Len bytes long).
func (q *byteQueue) copyOut(dst []byte) {
	k := copy(dst, q.buf[q.head:q.size])
	if k < q.n {
		copy(dst[k:], q.buf[:q.n-k])
	}
}
