package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// a5 returns an n-byte buffer filled with 0xa5, so an encoder that forgets
// a byte shows up in the comparison (smoltcp's construct tests).
func a5(n int) []byte { return bytes.Repeat([]byte{0xa5}, n) }

// refSum is the textbook RFC 1071 sum: 16-bit words, carries folded at
// the end. The fast Checksum is compared against it.
func refSum(b []byte, initial uint32) uint16 {
	s := uint64(initial)
	for i := 0; i+1 < len(b); i += 2 {
		s += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint64(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func TestChecksumKnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want uint16 // the checksum field value, FoldChecksum(Checksum(b, 0))
	}{
		// RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
		{"rfc1071", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, ^uint16(0xddf2)},
		{"empty", nil, 0xffff},
		{"zeros", make([]byte, 7), 0xffff},
		{"odd byte pads low", []byte{0x01}, ^uint16(0x0100)},
		{"all ones", bytes.Repeat([]byte{0xff}, 64), 0x0000},
		// The IPv4 header of synPacket with its checksum field zeroed.
		{"ipv4 header", append(append(append([]byte{}, synPacket[:10]...), 0, 0), synPacket[12:20]...), 0x9bcb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FoldChecksum(Checksum(tt.b, 0)); got != tt.want {
				t.Errorf("FoldChecksum(Checksum(% x)) = %#04x, want %#04x", tt.b, got, tt.want)
			}
		})
	}
}

// TestChecksumMatchesReference compares the 8-bytes-at-a-time sum with
// refSum over random lengths, alignments and initial values (seeded, so a
// failure reproduces).
func TestChecksumMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096+8)
	for i := range 5000 {
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		if i%7 == 0 { // stress carries
			for j := range buf {
				buf[j] = 0xff - byte(rng.IntN(2))
			}
		}
		off := rng.IntN(8)
		n := rng.IntN(4096)
		if i < 300 {
			n = i % 70 // every short length, every tail path
		}
		b := buf[off : off+n]
		init := rng.Uint32()
		if i%3 == 0 {
			init = 0
		}
		got := FoldChecksum(Checksum(b, init))
		want := ^refSum(b, init)
		if got != want {
			t.Fatalf("len %d off %d init %#x: got %#04x, want %#04x", n, off, init, got, want)
		}
	}
}

func TestChecksumChaining(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 1001)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	whole := FoldChecksum(Checksum(b, 0))
	for split := 0; split <= len(b); split += 2 {
		if got := FoldChecksum(Checksum(b[split:], Checksum(b[:split], 0))); got != whole {
			t.Fatalf("split at %d: %#04x, want %#04x", split, got, whole)
		}
	}
}

func TestPseudoHeaderChecksum(t *testing.T) {
	ref := func(proto uint8, src, dst netip.Addr, n int) uint16 {
		var b []byte
		if src.Is4() {
			s, d := src.As4(), dst.As4()
			b = append(append(b, s[:]...), d[:]...)
			b = append(b, 0, proto, byte(n>>8), byte(n))
		} else {
			s, d := src.As16(), dst.As16()
			b = append(append(b, s[:]...), d[:]...)
			b = binary.BigEndian.AppendUint32(b, uint32(n))
			b = append(b, 0, 0, 0, proto)
		}
		return refSum(b, 0)
	}
	tests := []struct {
		src, dst string
		proto    uint8
		n        int
	}{
		{"192.0.2.1", "192.168.0.1", ProtoTCP, 40},
		{"255.255.255.255", "255.255.255.255", ProtoUDP, 65535},
		{"0.0.0.0", "0.0.0.0", ProtoUDP, 0},
		{"2001:db8::1", "2001:db8::2", ProtoICMPv6, 32},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ProtoTCP, 70000},
		{"fe80::1", "ff02::1:ff00:2", ProtoICMPv6, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.src, ">", tt.dst), func(t *testing.T) {
			src, dst := netip.MustParseAddr(tt.src), netip.MustParseAddr(tt.dst)
			got := FoldChecksum(PseudoHeaderChecksum(tt.proto, src, dst, tt.n))
			if want := ^ref(tt.proto, src, dst, tt.n); got != want {
				t.Errorf("got %#04x, want %#04x", got, want)
			}
		})
	}
}

// TestUpdateChecksum checks RFC 1624 incremental updates against a full
// recomputation for random data and random word changes.
func TestUpdateChecksum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		b := make([]byte, 2*(2+rng.IntN(30)))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if i%5 == 0 {
			clear(b)
			b[0] = 1 // keep the sum non-zero, as every real header is
		}
		check := FoldChecksum(Checksum(b, 0))
		if rng.IntN(2) == 0 {
			w := 2 * rng.IntN(len(b)/2)
			old := binary.BigEndian.Uint16(b[w:])
			nw := uint16(rng.Uint32())
			if i%11 == 0 {
				nw = ^old
			}
			binary.BigEndian.PutUint16(b[w:], nw)
			got := UpdateChecksum16(check, old, nw)
			if want := FoldChecksum(Checksum(b, 0)); got != want {
				t.Fatalf("16-bit update % x: got %#04x, want %#04x", b, got, want)
			}
		} else {
			w := 2 * rng.IntN(len(b)/2-1)
			old := binary.BigEndian.Uint32(b[w:])
			nw := rng.Uint32()
			binary.BigEndian.PutUint32(b[w:], nw)
			got := UpdateChecksum32(check, old, nw)
			if want := FoldChecksum(Checksum(b, 0)); got != want {
				t.Fatalf("32-bit update % x: got %#04x, want %#04x", b, got, want)
			}
		}
	}
}

// TestUpdateChecksumNAT rewrites the source address of synPacket as NAT
// does and checks that both the IPv4 and the TCP checksum stay valid.
func TestUpdateChecksumNAT(t *testing.T) {
	p := bytes.Clone(synPacket)
	ip, err := ParseIPv4(p)
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := ParseTCP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	old := binary.BigEndian.Uint32(p[ipv4Src:])
	nu := netip.MustParseAddr("203.0.113.77")
	n4 := nu.As4()
	nw := binary.BigEndian.Uint32(n4[:])
	ip.SetSrc(nu)
	ip.SetChecksum(UpdateChecksum32(ip.Checksum(), old, nw))
	tcp.SetChecksum(UpdateChecksum32(tcp.Checksum(), old, nw))
	if !ip.ValidChecksum() {
		t.Error("IPv4 checksum invalid after incremental update")
	}
	if !tcp.ValidChecksum(ip.Src(), ip.Dst()) {
		t.Error("TCP checksum invalid after incremental update")
	}
}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{20, 64, 576, 1500, 9000, 65535} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var s uint32
			for b.Loop() {
				s = Checksum(buf, s)
			}
		})
	}
}

func BenchmarkChecksumReference(b *testing.B) {
	buf := make([]byte, 1500)
	b.SetBytes(int64(len(buf)))
	var s uint16
	for b.Loop() {
		s = refSum(buf, uint32(s))
	}
}
