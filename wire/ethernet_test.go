package wire

import (
	"bytes"
	"errors"
	"testing"
)

var (
	testMACA = MAC{0x02, 0, 0, 0, 0, 0x01}
	testMACB = MAC{0x02, 0, 0, 0, 0, 0x02}
)

// ethFrame is arpPacket in an Ethernet frame to testMACB from testMACA,
// padded to the 60-byte minimum as a NIC delivers it.
var ethFrame = append(append([]byte{
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // dst
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // src
	0x08, 0x06, // ARP
}, arpPacket...), make([]byte, 18)...)

func TestEthernetDeconstruct(t *testing.T) {
	e, err := ParseEthernet(ethFrame)
	if err != nil {
		t.Fatal(err)
	}
	if e.Dst() != testMACB || e.Src() != testMACA || e.Type() != EtherTypeARP {
		t.Errorf("got dst %v src %v type %v", e.Dst(), e.Src(), e.Type())
	}
	if len(e.Payload()) != 46 || !bytes.Equal(e.Payload()[:28], arpPacket) {
		t.Errorf("payload % x", e.Payload())
	}
	if got, want := e.Fields(), (EthernetFields{Dst: testMACB, Src: testMACA, Type: EtherTypeARP}); got != want {
		t.Errorf("Fields() = %+v, want %+v", got, want)
	}
}

func TestEthernetConstruct(t *testing.T) {
	f := EthernetFields{Dst: testMACB, Src: testMACA, Type: EtherTypeARP}
	b := a5(f.Len() + 1)
	f.Encode(Ethernet(b))
	if !bytes.Equal(b[:EthernetHeaderLen], ethFrame[:EthernetHeaderLen]) || b[EthernetHeaderLen] != 0xa5 {
		t.Errorf("encoded % x", b)
	}
}

func TestEthernetTruncated(t *testing.T) {
	for n := range EthernetHeaderLen {
		if _, err := ParseEthernet(ethFrame[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("len %d: err %v, want ErrTruncated", n, err)
		}
	}
	if _, err := ParseEthernet(ethFrame[:EthernetHeaderLen]); err != nil {
		t.Errorf("header only: %v", err)
	}
}

func TestMACString(t *testing.T) {
	tests := []struct {
		m    MAC
		want string
	}{
		{MAC{}, "00:00:00:00:00:00"},
		{BroadcastMAC, "ff:ff:ff:ff:ff:ff"},
		{MAC{0x02, 0x42, 0xac, 0x11, 0x00, 0x0a}, "02:42:ac:11:00:0a"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%v: got %q, want %q", [6]byte(tt.m), got, tt.want)
		}
	}
	if !BroadcastMAC.IsMulticast() || testMACA.IsMulticast() || !(MAC{0x33, 0x33, 0, 0, 0, 1}).IsMulticast() {
		t.Error("IsMulticast")
	}
}

func TestEtherTypeString(t *testing.T) {
	tests := []struct {
		t    EtherType
		want string
	}{
		{EtherTypeIPv4, "IPv4"}, {EtherTypeARP, "ARP"}, {EtherTypeIPv6, "IPv6"},
		{EtherTypeVLAN, "802.1Q"}, {0x88cc, "0x88cc"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("%#04x: got %q, want %q", uint16(tt.t), got, tt.want)
		}
	}
}

// TestEthernetString checks the tcpdump -e style line, with the payload
// decoded as tcpdump prints it.
func TestEthernetString(t *testing.T) {
	ip4 := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}, synPacket...)
	ip6 := append([]byte{0x33, 0x33, 0xff, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}, nsPacket...)
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"arp", ethFrame, "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype ARP (0x0806), length 60: ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28"},
		{"ipv4", ip4, "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 74: IP 192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
		{"ipv6", ip6, "02:00:00:00:00:01 > 33:33:ff:00:00:02, ethertype IPv6 (0x86dd), length 86: IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32"},
		{"bad ipv4", ip4[:30], "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 30: IP [|ip]"},
		{"other", append(bytes.Clone(ethFrame[:12]), 0x88, 0xcc), "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 0x88cc (0x88cc), length 14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEthernet(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
