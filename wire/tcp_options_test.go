package wire

import (
	"bytes"
	"errors"
	"testing"
)

func cookie(b ...byte) (c [16]byte) {
	copy(c[:], b)
	return c
}

// TestEncodeTCPOptions checks the byte layout against Linux's
// tcp_options_write for the option sets Linux actually sends.
func TestEncodeTCPOptions(t *testing.T) {
	tests := []struct {
		name string
		o    TCPOptions
		want []byte
	}{
		{"none", TCPOptions{}, []byte{}},
		{"linux syn", linuxSYNOptions, []byte{2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}},
		{"syn without timestamps", TCPOptions{HasMSS: true, MSS: 1460, SACKPermitted: true, HasWScale: true, WScale: 7},
			[]byte{2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}},
		{"syn without sack", TCPOptions{HasMSS: true, MSS: 1460, HasTimestamps: true, TSVal: 0x01020304, TSEcr: 0x05060708, HasWScale: true, WScale: 14},
			[]byte{2, 4, 5, 0xb4, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 14}},
		{"mss only", TCPOptions{HasMSS: true, MSS: 536}, []byte{2, 4, 2, 0x18}},
		{"established timestamps", TCPOptions{HasTimestamps: true, TSVal: 9, TSEcr: 10},
			[]byte{1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 10}},
		{"timestamps and sack", TCPOptions{HasTimestamps: true, TSVal: 9, TSEcr: 10, NumSACK: 1, SACKBlocks: [4]SACKBlock{{0x11111111, 0x22222222}}},
			[]byte{1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 10, 1, 1, 5, 10, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22}},
		{"four sack blocks", TCPOptions{NumSACK: 4, SACKBlocks: [4]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
			[]byte{1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8}},
		{"tfo cookie request", TCPOptions{HasFastOpen: true}, []byte{34, 2, 1, 1}},
		{"tfo 8-byte cookie", TCPOptions{HasMSS: true, MSS: 1460, HasFastOpen: true, FastOpenCookieLen: 8, FastOpenCookie: cookie(1, 2, 3, 4, 5, 6, 7, 8)},
			[]byte{2, 4, 5, 0xb4, 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1}},
		{"tfo 6-byte cookie", TCPOptions{HasFastOpen: true, FastOpenCookieLen: 6, FastOpenCookie: cookie(1, 2, 3, 4, 5, 6)},
			[]byte{34, 8, 1, 2, 3, 4, 5, 6}},
		{"tfo 16-byte cookie", TCPOptions{HasFastOpen: true, FastOpenCookieLen: 16, FastOpenCookie: cookie(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)},
			[]byte{34, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 1}},
		{"exp tfo cookie request", TCPOptions{HasFastOpen: true, FastOpenExp: true}, []byte{254, 4, 0xf9, 0x89}},
		{"exp tfo 8-byte cookie", TCPOptions{HasFastOpen: true, FastOpenExp: true, FastOpenCookieLen: 8, FastOpenCookie: cookie(1, 2, 3, 4, 5, 6, 7, 8)},
			[]byte{254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"exp tfo 6-byte cookie", TCPOptions{HasFastOpen: true, FastOpenExp: true, FastOpenCookieLen: 6, FastOpenCookie: cookie(1, 2, 3, 4, 5, 6)},
			[]byte{254, 10, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 1, 1}},
		{"md5 first", TCPOptions{HasMD5: true, MD5: [16]byte{0: 0xaa, 15: 0xbb}, HasMSS: true, MSS: 1460},
			[]byte{1, 1, 19, 18, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb, 2, 4, 5, 0xb4}},
		{"everything in order", TCPOptions{HasMSS: true, MSS: 1, SACKPermitted: true, HasTimestamps: true, TSVal: 2, TSEcr: 3,
			HasWScale: true, WScale: 4, NumSACK: 1, SACKBlocks: [4]SACKBlock{{5, 6}}, HasFastOpen: true},
			[]byte{2, 4, 0, 1, 4, 2, 8, 10, 0, 0, 0, 2, 0, 0, 0, 3, 1, 3, 3, 4, 1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 6, 34, 2, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := TCPOptionsLen(&tt.o)
			if n != len(tt.want) || n%4 != 0 {
				t.Errorf("TCPOptionsLen = %d, want %d", n, len(tt.want))
			}
			b := a5(n + 4)
			if got := EncodeTCPOptions(b, &tt.o); got != n {
				t.Errorf("EncodeTCPOptions wrote %d bytes, want %d", got, n)
			}
			if !bytes.Equal(b[:n], tt.want) || !bytes.Equal(b[n:], []byte{0xa5, 0xa5, 0xa5, 0xa5}) {
				t.Errorf("encoded % x\nwant    % x", b, tt.want)
			}
			var back TCPOptions
			if err := ParseTCPOptions(b[:n], &back); err != nil || back != tt.o {
				t.Errorf("parsed back %+v (err %v)\nwant %+v", back, err, tt.o)
			}
		})
	}
}

// TestParseTCPOptions covers well-formed and malformed option areas. For
// malformed ones the struct must hold what Linux's tcp_parse_options
// would have taken (see ParseTCPOptions).
func TestParseTCPOptions(t *testing.T) {
	sackBlocks := func(n int) []byte {
		b := []byte{5, byte(2 + 8*n)}
		for i := range n {
			b = append(b, 0, 0, 0, byte(2*i+1), 0, 0, 0, byte(2*i+2))
		}
		return b
	}
	fiveBlocks := [4]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	tests := []struct {
		name string
		b    []byte
		want TCPOptions
		err  error
	}{
		{"empty", nil, TCPOptions{}, nil},
		{"nops", []byte{1, 1, 1, 1}, TCPOptions{}, nil},
		{"eol ends the list", []byte{2, 4, 5, 0xb4, 0, 3, 3, 7}, TCPOptions{HasMSS: true, MSS: 1460}, nil},
		{"eol then garbage", []byte{0, 2, 0, 0xff}, TCPOptions{}, nil},
		{"unknown skipped", []byte{200, 4, 9, 9, 3, 3, 7, 1}, TCPOptions{HasWScale: true, WScale: 7}, nil},
		{"mptcp skipped", []byte{30, 4, 0, 0x81, 2, 4, 5, 0xb4}, TCPOptions{HasMSS: true, MSS: 1460}, nil},
		{"other experiment skipped", []byte{254, 8, 0xe2, 0xd4, 0xc3, 0xd9, 1, 1}, TCPOptions{}, nil},
		{"short experiment skipped", []byte{254, 3, 0xf9, 1}, TCPOptions{}, nil},
		{"later option wins", []byte{2, 4, 5, 0xb4, 2, 4, 2, 0x18}, TCPOptions{HasMSS: true, MSS: 536}, nil},
		{"wscale above 14 kept as sent", []byte{1, 3, 3, 15}, TCPOptions{HasWScale: true, WScale: 15}, nil},
		{"sack 1 block", sackBlocks(1), TCPOptions{NumSACK: 1, SACKBlocks: [4]SACKBlock{{1, 2}}}, nil},
		{"sack 4 blocks", sackBlocks(4), TCPOptions{NumSACK: 4, SACKBlocks: fiveBlocks}, nil},
		{"sack 5 blocks keeps 4", sackBlocks(5), TCPOptions{NumSACK: 4, SACKBlocks: fiveBlocks}, nil},
		{"md5", append([]byte{19, 18}, make([]byte, 16)...), TCPOptions{HasMD5: true}, nil},
		{"tfo cookie request", []byte{34, 2, 1, 1}, TCPOptions{HasFastOpen: true}, nil},
		{"tfo cookie", []byte{34, 6, 1, 2, 3, 4}, TCPOptions{HasFastOpen: true, FastOpenCookieLen: 4, FastOpenCookie: cookie(1, 2, 3, 4)}, nil},
		{"exp tfo cookie", []byte{254, 8, 0xf9, 0x89, 1, 2, 3, 4}, TCPOptions{HasFastOpen: true, FastOpenExp: true, FastOpenCookieLen: 4, FastOpenCookie: cookie(1, 2, 3, 4)}, nil},

		// A length that lies stops the walk; what came before stays.
		{"length 0", []byte{1, 3, 3, 7, 2, 0, 5, 0xb4}, TCPOptions{HasWScale: true, WScale: 7}, ErrBadOption},
		{"length 1", []byte{2, 1, 5, 0xb4}, TCPOptions{}, ErrBadOption},
		{"length past end", []byte{3, 3, 7, 2, 4, 5}, TCPOptions{HasWScale: true, WScale: 7}, ErrBadOption},
		{"kind without length", []byte{1, 1, 1, 2}, TCPOptions{}, ErrBadOption},
		// A known option of the wrong length is skipped; the walk goes on.
		{"mss length 3", []byte{2, 3, 5, 1, 3, 3, 7, 0}, TCPOptions{HasWScale: true, WScale: 7}, ErrBadOption},
		{"wscale length 4", []byte{3, 4, 7, 0, 2, 4, 5, 0xb4}, TCPOptions{HasMSS: true, MSS: 1460}, ErrBadOption},
		{"sackOK length 3", []byte{4, 3, 0, 1}, TCPOptions{}, ErrBadOption},
		{"timestamps length 8", []byte{8, 8, 0, 0, 0, 1, 0, 0, 4, 2}, TCPOptions{SACKPermitted: true}, ErrBadOption},
		{"sack no blocks", []byte{5, 2, 4, 2}, TCPOptions{SACKPermitted: true}, ErrBadOption},
		{"sack length 9", []byte{5, 9, 0, 0, 0, 1, 0, 0, 0, 4, 2}, TCPOptions{SACKPermitted: true}, ErrBadOption},
		{"sack length 12", []byte{5, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, TCPOptions{}, ErrBadOption},
		{"md5 length 16", append([]byte{19, 16}, make([]byte, 14)...), TCPOptions{}, ErrBadOption},
		{"tfo odd cookie", []byte{34, 5, 1, 2, 3, 2, 4, 5, 0xb4}, TCPOptions{HasMSS: true, MSS: 1460}, ErrBadOption},
		{"tfo 2-byte cookie", []byte{34, 4, 1, 2}, TCPOptions{}, ErrBadOption},
		{"tfo 18-byte cookie", append([]byte{34, 20}, make([]byte, 18)...), TCPOptions{}, ErrBadOption},
		{"exp tfo odd cookie", []byte{254, 5, 0xf9, 0x89, 1, 1, 1, 1}, TCPOptions{}, ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := TCPOptions{HasMSS: true, MSS: 9, NumSACK: 3} // must be reset
			err := ParseTCPOptions(tt.b, &o)
			if !errors.Is(err, tt.err) || o != tt.want {
				t.Errorf("got %+v err %v\nwant %+v err %v", o, err, tt.want, tt.err)
			}
		})
	}
}

func TestTCPOptionIter(t *testing.T) {
	type opt struct {
		kind uint8
		data string
	}
	tests := []struct {
		name string
		b    []byte
		want []opt
		err  error
	}{
		{"linux syn", synTCP[20:40], []opt{{2, "\x05\xb4"}, {4, ""}, {8, "\x00\x00\x00\x01\x00\x00\x00\x00"}, {1, ""}, {3, "\x07"}}, nil},
		{"eol last", []byte{1, 0, 2, 4}, []opt{{1, ""}, {0, ""}}, nil},
		{"lying length", []byte{1, 30, 9}, []opt{{1, ""}}, ErrBadOption},
		{"no length", []byte{30}, nil, ErrBadOption},
		{"length 1", []byte{30, 1, 0, 0}, nil, ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []opt
			it := NewTCPOptionIter(tt.b)
			for it.Next() {
				got = append(got, opt{it.Kind(), string(it.Data())})
			}
			if len(got) != len(tt.want) || !errors.Is(it.Err(), tt.err) {
				t.Fatalf("got %q err %v, want %q err %v", got, it.Err(), tt.want, tt.err)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("option %d: %q, want %q", i, got[i], tt.want[i])
				}
			}
			if it.Next() {
				t.Error("Next true after the end")
			}
		})
	}
	// Offsets let the TCP layer find an option it wants to patch in place
	// (MD5 and TCP-AO signatures).
	b := []byte{1, 1, 19, 18}
	b = append(b, make([]byte, 16)...)
	it := NewTCPOptionIter(b)
	for it.Next() {
		if it.Kind() == TCPOptMD5 && it.Offset() != 2 {
			t.Errorf("md5 at %d, want 2", it.Offset())
		}
	}
}
