package wire

import (
	"net/netip"
	"testing"
)

// The data path parses and builds segments with no heap allocation; these
// benchmarks and TestZeroAllocs keep it that way.

var (
	benchSrc = netip.MustParseAddr("192.0.2.1")
	benchDst = netip.MustParseAddr("192.168.0.1")
)

// benchOptions are the options of a full-sized segment of an established
// connection with timestamps and one SACK block.
var benchOptions = TCPOptions{HasTimestamps: true, TSVal: 123456, TSEcr: 654321,
	NumSACK: 1, SACKBlocks: [4]SACKBlock{{Start: 1000, End: 2000}}}

// buildSegment writes an IPv4 TCP segment carrying payload into buf and
// returns its length, the way the TCP output path does.
func buildSegment(buf []byte, payload []byte, o *TCPOptions, seq uint32) int {
	tf := TCPFields{SrcPort: 8080, DstPort: 80, Seq: seq, Ack: 1, Flags: TCPFlagACK | TCPFlagPSH, Window: 502, Opts: o}
	hl := tf.Len()
	ipf := IPv4Fields{TotalLen: uint16(IPv4MinHeaderLen + hl + len(payload)), ID: uint16(seq),
		Flags: IPv4FlagDontFragment, TTL: 64, Protocol: ProtoTCP, Src: benchSrc, Dst: benchDst}
	ip := IPv4(buf[:ipf.TotalLen])
	ipf.Encode(ip)
	tcp := TCP(ip[IPv4MinHeaderLen:])
	tf.Encode(tcp)
	copy(tcp[hl:], payload)
	tcp.SetChecksum(tcp.ComputeChecksum(ip.Src(), ip.Dst()))
	return int(ipf.TotalLen)
}

// parseSegment validates an IPv4 TCP segment as the input path does and
// returns its options.
func parseSegment(b []byte, o *TCPOptions) bool {
	ip, err := ParseIPv4(b)
	if err != nil || !ip.ValidChecksum() || ip.Protocol() != ProtoTCP || ip.IsFragment() {
		return false
	}
	tcp, err := ParseTCP(ip.Payload())
	if err != nil || !tcp.ValidChecksum(ip.Src(), ip.Dst()) {
		return false
	}
	return ParseTCPOptions(tcp.Options(), o) == nil
}

func TestBenchSegments(t *testing.T) {
	buf := make([]byte, 1500)
	payload := make([]byte, 1448-12)
	n := buildSegment(buf, payload, &benchOptions, 7)
	if n != 1500 {
		t.Fatalf("built %d bytes", n)
	}
	var o TCPOptions
	if !parseSegment(buf[:n], &o) || o != benchOptions {
		t.Fatalf("parsed %+v", o)
	}
}

func TestZeroAllocs(t *testing.T) {
	buf := make([]byte, 1500)
	payload := make([]byte, 1436)
	n := buildSegment(buf, payload, &benchOptions, 7)
	tests := []struct {
		name string
		f    func()
	}{
		{"parse", func() {
			var o TCPOptions
			if !parseSegment(buf[:n], &o) {
				t.Fatal("parse failed")
			}
		}},
		{"build", func() {
			o := benchOptions
			buildSegment(buf, payload, &o, 9)
		}},
		{"iterators", func() {
			ip, _ := ParseIPv6(ext6Packet)
			it := ip.ExtIter()
			for it.Next() {
				oi := NewIPv6OptionIter(it.Header())
				for oi.Next() {
				}
			}
			ni := NewNDPOptionIter(nsPacket[64:])
			for ni.Next() {
				ni.LinkAddr()
			}
			ti := NewTCPOptionIter(synTCP[20:40])
			for ti.Next() {
			}
			v4 := NewIPv4OptionIter([]byte{IPv4OptRA, 4, 0, 0})
			for v4.Next() {
			}
		}},
	}
	for _, tt := range tests {
		if a := testing.AllocsPerRun(100, tt.f); a != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, a)
		}
	}
}

func BenchmarkParseTCPIPv4Segment(b *testing.B) {
	buf := make([]byte, 1500)
	n := buildSegment(buf, make([]byte, 1436), &benchOptions, 7)
	b.ReportAllocs()
	b.SetBytes(int64(n))
	var o TCPOptions
	for b.Loop() {
		if !parseSegment(buf[:n], &o) {
			b.Fatal("parse failed")
		}
	}
}

func BenchmarkBuildTCPIPv4Segment(b *testing.B) {
	buf := make([]byte, 1500)
	payload := make([]byte, 1436)
	b.ReportAllocs()
	b.SetBytes(1500)
	seq := uint32(0)
	for b.Loop() {
		seq += 1436
		buildSegment(buf, payload, &benchOptions, seq)
	}
}

// BenchmarkParseTCPIPv4SYN measures the header work alone, on synPacket.
func BenchmarkParseTCPIPv4SYN(b *testing.B) {
	b.ReportAllocs()
	var o TCPOptions
	for b.Loop() {
		if !parseSegment(synPacket, &o) {
			b.Fatal("parse failed")
		}
	}
}
