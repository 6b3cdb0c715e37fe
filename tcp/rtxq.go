package tcp

// The retransmission queue's storage. Every ACK takes records off the
// front of lossState.q and every transmission appends records at its end.
// Moving the remaining records down on each ACK cost a copy of the whole
// queue per ACK (thousands of records at MTU 1500 with a full send
// buffer: 12% of CPU in the 1500-MTU bulk profile). The front is dropped
// by reslicing instead, and the records move down only when the tail
// reaches the end of the array, into an array at least twice as long as
// the queue, so each record moves at most once on average.

// qPush appends r to the retransmission queue.
func (l *lossState) qPush(r rtxSeg) {
	if len(l.q) == cap(l.q) {
		n := len(l.q)
		if !l.inBase() || cap(l.qBase) < 2*n+1 {
			// No array of ours (a first record, or the queue was replaced
			// elsewhere) or one too small: a new one, twice the queue. The
			// first holds 4 records: a handshake or a short exchange never
			// needs more, and a bulk sender reaches its size in a few
			// doublings (16 records were a tenth of the bytes a short
			// connection allocates).
			l.qBase = make([]rtxSeg, 2*n+4)
		}
		copy(l.qBase[:n], l.q) // copy moves overlapping records safely
		clear(l.qBase[n:])
		l.q = l.qBase[:n]
	}
	l.q = append(l.q, r)
}

// inBase reports whether q is a window of qBase: both end at the same
// place of one array (q only ever loses records from its front).
func (l *lossState) inBase() bool {
	if cap(l.q) == 0 || cap(l.qBase) == 0 {
		return false
	}
	return &l.q[:cap(l.q)][cap(l.q)-1] == &l.qBase[:cap(l.qBase)][cap(l.qBase)-1]
}
