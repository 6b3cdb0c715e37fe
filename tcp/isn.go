package tcp

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"time"
)

// secrets are a namespace's keys for initial sequence numbers and
// timestamp offsets, as Linux's net_secret and ts_secret: drawn from the
// namespace's seeded random source, so a run repeats.
type secrets struct {
	seq [2]uint64
	ts  [2]uint64
}

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein) of msg under key, the
// PRF Linux uses for secure_tcp_seq (RFC 6528's F).
func sipHash24(key [2]uint64, msg []byte) uint64 {
	v0 := key[0] ^ 0x736f6d6570736575
	v1 := key[1] ^ 0x646f72616e646f6d
	v2 := key[0] ^ 0x6c7967656e657261
	v3 := key[1] ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(msg)
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		round()
		round()
		v0 ^= m
		msg = msg[8:]
	}
	var last [8]byte
	copy(last[:], msg)
	last[7] = byte(n)
	m := binary.LittleEndian.Uint64(last[:])
	v3 ^= m
	round()
	round()
	v0 ^= m
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}

// isn returns the initial sequence number for a connection (RFC 6528,
// Linux's secure_tcp_seq): a keyed hash of the 4-tuple plus a clock that
// ticks every 64 ns, so a new incarnation of a connection starts beyond
// the old one's sequence space.
func (s *secrets) isn(src, dst netip.AddrPort, now time.Time) uint32 {
	var b [36]byte
	a, d := src.Addr().As16(), dst.Addr().As16()
	copy(b[0:], a[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[32:], src.Port())
	binary.BigEndian.PutUint16(b[34:], dst.Port())
	h := uint32(sipHash24(s.seq, b[:]))
	return h + uint32(now.UnixNano()>>6)
}

// tsOffset returns the per-destination timestamp offset (RFC 7323
// section 7.1, Linux's secure_tcp_ts_off), which hides the host's uptime
// and lets PAWS work across connections between the same pair.
func (s *secrets) tsOffset(src, dst netip.Addr) uint32 {
	var b [32]byte
	a, d := src.As16(), dst.As16()
	copy(b[0:], a[:])
	copy(b[16:], d[:])
	return uint32(sipHash24(s.ts, b[:]))
}
