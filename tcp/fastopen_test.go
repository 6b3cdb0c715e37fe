package tcp

import (
	"encoding/hex"
	"net/netip"
	"testing"
)

// TestFastOpenCookie checks cookie generation against values Linux
// produced (the corpus's simple*.pkt and sockopt-fastopen-key.pkt): the
// key as net.ipv4.tcp_fastopen_key prints it and as TCP_FASTOPEN_KEY
// passes it give the same SipHash key.
func TestFastOpenCookie(t *testing.T) {
	cases := []struct {
		key, client, server, cookie string
	}{
		{"a0bf63f7-ed803d81-cd641d30-cebc4a90", "10.248.0.2", "192.168.0.2", "00abaaabe8e954c2"},
		{"00000000-00000000-00000000-00000000", "10.248.0.2", "192.168.0.2", "93b7aa4f550f8a1a"},
		{"a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4", "192.0.2.1", "192.168.0.1", "3021b9d889017eeb"},
	}
	for _, tc := range cases {
		k, ok := parseTFOKey(tc.key)
		if !ok {
			t.Fatalf("parseTFOKey(%q) failed", tc.key)
		}
		c := &conn{
			local:  netip.AddrPortFrom(netip.MustParseAddr(tc.server), 8080),
			remote: netip.AddrPortFrom(netip.MustParseAddr(tc.client), 40000),
		}
		got := tfoCookie(k, c)
		if hex.EncodeToString(got[:]) != tc.cookie {
			t.Errorf("key %s, %s → %s: cookie %x, want %s", tc.key, tc.client, tc.server, got, tc.cookie)
		}
	}
	// TCP_FASTOPEN_KEY's bytes for a0bf63f7-…: each word little-endian.
	raw, _ := hex.DecodeString("f763bfa0813d80ed301d64cd904abcce")
	if k, _ := parseTFOKey("a0bf63f7-ed803d81-cd641d30-cebc4a90"); tfoKeyFromBytes(raw) != k {
		t.Errorf("TCP_FASTOPEN_KEY bytes give %x, the sysctl form %x", tfoKeyFromBytes(raw), k)
	}
	if _, ok := parseTFOKey("1-2-3"); ok {
		t.Error("a key of three words parsed")
	}
}
