package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// synTCP is the TCP segment of synPacket.
var synTCP = synPacket[20:]

// linuxSYNOptions are the options of synTCP, as Linux's tcp_syn_options
// chooses them with the default sysctls.
var linuxSYNOptions = TCPOptions{
	HasMSS: true, MSS: 1460, SACKPermitted: true,
	HasTimestamps: true, TSVal: 1, TSEcr: 0,
	HasWScale: true, WScale: 7,
}

func TestTCPDeconstruct(t *testing.T) {
	h, err := ParseTCP(synTCP)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SrcPort", h.SrcPort(), uint16(8080)},
		{"DstPort", h.DstPort(), uint16(80)},
		{"Seq", h.Seq(), uint32(0)},
		{"Ack", h.Ack(), uint32(0)},
		{"DataOffset", h.DataOffset(), uint8(10)},
		{"HeaderLen", h.HeaderLen(), 40},
		{"Reserved", h.Reserved(), uint8(0)},
		{"Flags", h.Flags(), TCPFlagSYN},
		{"Window", h.Window(), uint16(65535)},
		{"Checksum", h.Checksum(), uint16(0xa574)},
		{"Urgent", h.Urgent(), uint16(0)},
		{"Options", h.Options(), synTCP[20:40]},
		{"len(Payload)", len(h.Payload()), 0},
		{"ValidChecksum", h.ValidChecksum(testSrc4, testDst4), true},
		{"ComputeChecksum", h.ComputeChecksum(testSrc4, testDst4), uint16(0xa574)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var o TCPOptions
	if err := ParseTCPOptions(h.Options(), &o); err != nil || o != linuxSYNOptions {
		t.Errorf("options %+v (err %v), want %+v", o, err, linuxSYNOptions)
	}
}

func TestTCPConstruct(t *testing.T) {
	opts := linuxSYNOptions
	f := TCPFields{SrcPort: 8080, DstPort: 80, Flags: TCPFlagSYN, Window: 65535, Opts: &opts}
	if f.Len() != 40 {
		t.Fatalf("Len() = %d, want 40", f.Len())
	}
	b := a5(f.Len())
	f.Encode(TCP(b))
	TCP(b).SetChecksum(TCP(b).ComputeChecksum(testSrc4, testDst4))
	if !bytes.Equal(b, synTCP) {
		t.Errorf("encoded\n% x\nwant\n% x", b, synTCP)
	}
	// The same header from raw option bytes.
	f = TCPFields{SrcPort: 8080, DstPort: 80, Flags: TCPFlagSYN, Window: 65535, Checksum: 0xa574, Options: synTCP[20:40]}
	b = a5(f.Len())
	f.Encode(TCP(b))
	if !bytes.Equal(b, synTCP) {
		t.Errorf("encoded from raw options\n% x\nwant\n% x", b, synTCP)
	}
}

// TestTCPConstructMixedOptions checks that raw options follow the
// structured ones and are padded with EOL.
func TestTCPConstructMixedOptions(t *testing.T) {
	f := TCPFields{Flags: TCPFlagACK, Opts: &TCPOptions{HasTimestamps: true, TSVal: 5, TSEcr: 6}, Options: []byte{TCPOptNOP, 200, 2}}
	if f.Len() != 20+12+4 {
		t.Fatalf("Len() = %d", f.Len())
	}
	b := a5(f.Len())
	f.Encode(TCP(b))
	want := []byte{1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 200, 2, 0}
	if !bytes.Equal(b[20:], want) || TCP(b).HeaderLen() != 36 {
		t.Errorf("options % x, want % x", b[20:], want)
	}
}

func TestTCPBad(t *testing.T) {
	withOff := func(off byte) []byte {
		b := bytes.Clone(synTCP)
		b[tcpDataOff] = off << 4
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", synTCP[:19], ErrTruncated},
		{"data offset 0", withOff(0), ErrBadLength},
		{"data offset 4", withOff(4), ErrBadLength},
		{"options cut", synTCP[:39], ErrTruncated},
		{"data offset 15", withOff(15), ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseTCP(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTCPSetters(t *testing.T) {
	b := make([]byte, 24)
	h := TCP(b)
	h.SetSrcPort(1)
	h.SetDstPort(2)
	h.SetSeq(0xfffffffe)
	h.SetAck(7)
	h.SetReserved(1)
	h.SetHeaderLen(24)
	h.SetFlags(TCPFlagACK | TCPFlagURG)
	h.SetWindow(3)
	h.SetChecksum(4)
	h.SetUrgent(5)
	want := TCPFields{SrcPort: 1, DstPort: 2, Seq: 0xfffffffe, Ack: 7, Reserved: 1, Flags: TCPFlagACK | TCPFlagURG,
		Window: 3, Checksum: 4, Urgent: 5, Options: []byte{0, 0, 0, 0}}
	if got := h.Fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if h.HeaderLen() != 24 || h.Reserved() != 1 {
		t.Error("SetHeaderLen and SetReserved disturb each other")
	}
}

func TestTCPRoundTrip(t *testing.T) {
	tests := []TCPFields{
		{SrcPort: 443, DstPort: 51234, Seq: 1, Ack: 2, Flags: TCPFlagSYN | TCPFlagACK | TCPFlagECE, Window: 65160, Options: []byte{}},
		{SrcPort: 1, DstPort: 2, Seq: 0xffffffff, Ack: 0x80000000, Reserved: 0xf, Flags: 0xff, Window: 0, Checksum: 0xbeef, Urgent: 9,
			Options: []byte{1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, f := range tests {
		b := make([]byte, f.Len()+3)
		f.Encode(TCP(b))
		h, err := ParseTCP(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Fields(); !reflect.DeepEqual(got, f) {
			t.Errorf("got  %+v\nwant %+v", got, f)
		}
		if len(h.Payload()) != 3 {
			t.Errorf("payload %d bytes", len(h.Payload()))
		}
	}
}

func TestTCPFlagsString(t *testing.T) {
	tests := []struct {
		f    TCPFlags
		want string
	}{
		{0, "none"},
		{TCPFlagSYN, "S"},
		{TCPFlagSYN | TCPFlagACK, "S."},
		{TCPFlagPSH | TCPFlagACK, "P."},
		{TCPFlagFIN | TCPFlagACK, "F."},
		{TCPFlagRST, "R"},
		{TCPFlagRST | TCPFlagACK, "R."},
		{TCPFlagACK, "."},
		{TCPFlagSYN | TCPFlagECE | TCPFlagCWR, "SEW"},
		{TCPFlagURG | TCPFlagACK, ".U"},
		{0xff, "FSRP.UEW"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#02x: got %q, want %q", uint8(tt.f), got, tt.want)
		}
		back, err := ParseTCPFlags(tt.want)
		if err != nil || back != tt.f {
			t.Errorf("ParseTCPFlags(%q) = %v, %v", tt.want, back, err)
		}
	}
	if f, err := ParseTCPFlags(".S"); err != nil || f != TCPFlagSYN|TCPFlagACK {
		t.Errorf("ParseTCPFlags(\".S\") = %v, %v", f, err)
	}
	if f, err := ParseTCPFlags(""); err != nil || f != 0 {
		t.Errorf("ParseTCPFlags(\"\") = %v, %v", f, err)
	}
	if _, err := ParseTCPFlags("SX"); err == nil {
		t.Error("ParseTCPFlags accepted X")
	}
}

// TestTCPString compares with what tcpdump 4.99.3 -nn -S prints for the
// same segments.
func TestTCPString(t *testing.T) {
	build := func(f TCPFields, payload string) TCP {
		b := make([]byte, f.Len()+len(payload))
		f.Encode(TCP(b))
		copy(b[f.Len():], payload)
		return TCP(b)
	}
	tests := []struct {
		name string
		h    TCP
		want string
	}{
		{"syn", TCP(synTCP), "8080 > 80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
		{"syn-ack", build(TCPFields{SrcPort: 8080, DstPort: 80, Seq: 100, Ack: 200, Flags: TCPFlagSYN | TCPFlagACK, Window: 64240,
			Opts: &TCPOptions{HasMSS: true, MSS: 1460, SACKPermitted: true, HasWScale: true, WScale: 7}}, ""),
			"8080 > 80: Flags [S.], seq 100, ack 200, win 64240, options [mss 1460,nop,nop,sackOK,nop,wscale 7], length 0"},
		{"data with sack", build(TCPFields{SrcPort: 8080, DstPort: 80, Seq: 100, Ack: 200, Flags: TCPFlagPSH | TCPFlagACK, Window: 501,
			Opts: &TCPOptions{HasTimestamps: true, TSVal: 1000, TSEcr: 2000, NumSACK: 2, SACKBlocks: [4]SACKBlock{{10, 20}, {30, 40}}}}, "hello"),
			"8080 > 80: Flags [P.], seq 100:105, ack 200, win 501, options [nop,nop,TS val 1000 ecr 2000,nop,nop,sack 2 {10:20}{30:40}], length 5"},
		{"tfo cookie", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagSYN, Window: 1,
			Opts: &TCPOptions{HasMSS: true, MSS: 1460, HasFastOpen: true, FastOpenCookieLen: 8, FastOpenCookie: [16]byte{1, 2, 3, 4, 5, 6, 7, 8}}}, ""),
			"1 > 2: Flags [S], seq 0, win 1, options [mss 1460,tfo  cookie 0102030405060708,nop,nop], length 0"},
		{"tfo cookie request", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagSYN, Window: 1, Opts: &TCPOptions{HasFastOpen: true}}, ""),
			"1 > 2: Flags [S], seq 0, win 1, options [tfo  cookiereq,nop,nop], length 0"},
		{"exp tfo", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagSYN | TCPFlagECE | TCPFlagCWR, Window: 1,
			Opts: &TCPOptions{HasFastOpen: true, FastOpenExp: true, FastOpenCookieLen: 6, FastOpenCookie: [16]byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}}, ""),
			"1 > 2: Flags [SEW], seq 0, win 1, options [exp-tfo cookie aabbccddeeff,nop,nop], length 0"},
		{"unknown, mptcp, eol", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagRST | TCPFlagACK | TCPFlagURG | TCPFlagFIN, Urgent: 7, Window: 1,
			Options: []byte{200, 4, 1, 2, 30, 3, 0x10, 1, 0}}, ""),
			"1 > 2: Flags [FR.U], seq 0, ack 0, win 1, urg 7, options [unknown-200 0x0102,mptcp 0x10,nop,eol], length 0"},
		{"bad mss", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagACK, Window: 1, Options: []byte{2, 3, 1, 1}}, ""),
			"1 > 2: Flags [.], ack 0, win 1, options [mss [bad opt]], length 0"},
		{"length past end", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagACK, Window: 1, Options: []byte{1, 8, 20, 1}}, ""),
			"1 > 2: Flags [.], ack 0, win 1, options [nop,[bad opt]], length 0"},
		{"bad sack", build(TCPFields{SrcPort: 1, DstPort: 2, Window: 1, Options: []byte{5, 6, 1, 1, 1, 1, 0, 0}}, ""),
			"1 > 2: Flags [none], win 1, options [sack invalid sack,eol], length 0"},
		{"other experiment", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagACK, Window: 1, Options: []byte{254, 6, 0x12, 0x34, 1, 2}}, ""),
			"1 > 2: Flags [.], ack 0, win 1, options [exp-1234,eol], length 0"},
		{"md5", build(TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagSYN, Window: 1, Opts: &TCPOptions{HasMD5: true, MD5: [16]byte{1, 2, 3}, HasMSS: true, MSS: 536}}, ""),
			"1 > 2: Flags [S], seq 0, win 1, options [nop,nop,md5 0x01020300000000000000000000000000,mss 536], length 0"},
		{"fin with data", build(TCPFields{SrcPort: 1, DstPort: 2, Seq: 0xfffffffe, Flags: TCPFlagFIN | TCPFlagACK, Ack: 9}, "abcd"),
			"1 > 2: Flags [F.], seq 4294967294:2, ack 9, win 0, length 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseTCP(tt.h)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	h, _ := ParseTCP(synTCP)
	want := "192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"
	if got := h.Format(testSrc4, testDst4); got != want {
		t.Errorf("Format:\ngot  %s\nwant %s", got, want)
	}
}

func TestTCPEncodePanicsOnLongOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f := TCPFields{Opts: &TCPOptions{HasMD5: true, HasTimestamps: true, NumSACK: 2}}
	f.Encode(TCP(make([]byte, 80)))
}
