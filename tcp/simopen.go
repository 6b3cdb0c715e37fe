package tcp

import "github.com/gosock/gosock/wire"

// simultaneousSynAck reports a SYN-ACK that completes a simultaneous
// open in SYN-RECEIVED (tcp_validate_incoming's exception to the SYN
// challenge): the peer's SYN again, already received (its sequence
// number is just below rcv_nxt), now acknowledging everything we sent.
// Linux takes its ACK and answers its SYN as duplicate data, with a
// D-SACK.
func (c *conn) simultaneousSynAck(s *segment) bool {
	return c.state == SynRecv && c.parent == nil && !c.tfo.child &&
		s.flags&(wire.TCPFlagSYN|wire.TCPFlagACK|wire.TCPFlagRST|wire.TCPFlagFIN) == wire.TCPFlagSYN|wire.TCPFlagACK &&
		len(s.payload) == 0 && s.seq+1 == c.rcvNxt && s.ack == c.sndNxt
}
