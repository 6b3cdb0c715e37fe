package tcp

import "github.com/gosock/gosock/seqnum"

// Nagle's algorithm in Minshall's variant, as Linux applies it
// (tcp_nagle_check): a segment shorter than the MSS is held back only
// while an earlier short segment is still unacknowledged, not whenever
// anything is in flight, so a write that ends in a partial segment
// sends it at once behind its full ones unless a small segment before
// it is still out. TCP_CORK holds it regardless, TCP_NODELAY never.

// minshallCheck is tcp_minshall_check: the last short segment sent is
// not yet acknowledged.
func (c *conn) minshallCheck() bool {
	if c.wq == nil {
		return false
	}
	sml := seqnum.Value(c.wq.sndSml)
	return sml.GreaterThan(seqnum.Value(c.sndUna)) && sml.LessThanEq(seqnum.Value(c.sndNxt))
}

// minshallUpdate is tcp_minshall_update for new data of n bytes at seq
// sent in MSS-sized pieces: a short last piece becomes snd_sml.
func (c *conn) minshallUpdate(seq uint32, n, mss int) {
	if c.wq != nil && mss > 0 && n%mss != 0 {
		c.wq.sndSml = seq + uint32(n)
	}
}
