package wire_test

import (
	"fmt"
	"net/netip"

	"github.com/gosock/gosock/wire"
)

func ExampleParseTCP() {
	// The TCP part of a SYN as Linux sends it.
	seg := []byte{
		0x1f, 0x90, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xa0, 0x02, 0xff, 0xff, 0xa5, 0x74, 0x00, 0x00,
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
	}
	tcp, err := wire.ParseTCP(seg) // untrusted input: always Parse
	if err != nil {
		fmt.Println("drop:", err)
		return
	}
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.168.0.1")
	fmt.Println(tcp.Format(src, dst))
	fmt.Println("checksum ok:", tcp.ValidChecksum(src, dst))

	var opts wire.TCPOptions
	if err := wire.ParseTCPOptions(tcp.Options(), &opts); err != nil {
		fmt.Println("malformed options:", err)
	}
	fmt.Printf("mss %d, wscale %d, sackOK %t, TS val %d ecr %d\n",
		opts.MSS, opts.WScale, opts.SACKPermitted, opts.TSVal, opts.TSEcr)

	if _, err := wire.ParseTCP(seg[:30]); err != nil {
		fmt.Println("cut short:", err)
	}
	// Output:
	// 192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
	// checksum ok: true
	// mss 1460, wscale 7, sackOK true, TS val 1 ecr 0
	// cut short: wire: truncated packet
}

func ExampleTCPFields_Encode() {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.168.0.1")
	payload := []byte("hello")

	// A SYN-ACK with the options Linux puts on one, and data (as a Fast
	// Open server may send), built in a buffer reused for every segment.
	var buf [1500]byte
	tf := wire.TCPFields{
		SrcPort: 80, DstPort: 8080, Seq: 1000, Ack: 1, Window: 64240,
		Flags: wire.TCPFlagSYN | wire.TCPFlagACK,
		Opts: &wire.TCPOptions{
			HasMSS: true, MSS: 1460, SACKPermitted: true,
			HasTimestamps: true, TSVal: 7, TSEcr: 1,
			HasWScale: true, WScale: 7,
		},
	}
	ipf := wire.IPv4Fields{
		TotalLen: uint16(20 + tf.Len() + len(payload)),
		Flags:    wire.IPv4FlagDontFragment, TTL: 64, Protocol: wire.ProtoTCP,
		Src: dst, Dst: src,
	}
	// Building uses the unchecked conversions; Encode fills the headers.
	ip := wire.IPv4(buf[:ipf.TotalLen])
	ipf.Encode(ip) // computes the IPv4 header checksum
	tcp := wire.TCP(ip[ipf.Len():])
	tf.Encode(tcp)
	copy(tcp[tf.Len():], payload)
	tcp.SetChecksum(tcp.ComputeChecksum(ip.Src(), ip.Dst()))

	fmt.Println(ip)
	fmt.Printf("% x\n", tcp.Options())
	fmt.Println("valid:", ip.ValidChecksum(), tcp.ValidChecksum(ip.Src(), ip.Dst()))
	// Output:
	// IP 192.168.0.1.80 > 192.0.2.1.8080: Flags [S.], seq 1000:1005, ack 1, win 64240, options [mss 1460,sackOK,TS val 7 ecr 1,nop,wscale 7], length 5
	// 02 04 05 b4 04 02 08 0a 00 00 00 07 00 00 00 01 01 03 03 07
	// valid: true true
}

func ExampleIPv6_ExtIter() {
	// An IPv6 packet with a hop-by-hop header (router alert) and a first
	// fragment, carrying UDP.
	pkt := []byte{
		0x6a, 0xb1, 0x23, 0x45, 0x00, 0x1a, 0x00, 0x40,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0x2c, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00, // hop-by-hop
		0x11, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, // fragment
		0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0a, 0x12, 0x2a, 'h', 'i', // UDP
	}
	ip, err := wire.ParseIPv6(pkt)
	if err != nil {
		fmt.Println("drop:", err)
		return
	}
	it := ip.ExtIter()
	for it.Next() {
		fmt.Printf("header %d at %d, %d bytes\n", it.Type(), it.Offset(), len(it.Header()))
		if it.Type() == wire.ProtoIPv6Hop {
			opts := wire.NewIPv6OptionIter(it.Header())
			for opts.Next() {
				fmt.Printf("  option %d, %d data bytes\n", opts.Type(), len(opts.Data()))
			}
		}
	}
	if err := it.Err(); err != nil {
		fmt.Println("drop:", err)
		return
	}
	proto, off := it.Upper()
	fmt.Printf("upper layer %d at %d\n", proto, off)
	if udp, err := wire.ParseUDP(ip.Payload()[off:]); err == nil {
		fmt.Println(udp, "checksum ok:", udp.ValidChecksum(ip.Src(), ip.Dst()))
	}
	// Output:
	// header 0 at 0, 8 bytes
	//   option 5, 2 data bytes
	//   option 1, 0 data bytes
	// header 44 at 8, 8 bytes
	// upper layer 17 at 16
	// 5353 > 5353: UDP, length 2 checksum ok: true
}
