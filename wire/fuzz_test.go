package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// The fuzz targets feed arbitrary bytes to every parser and then use every
// accessor, iterator and String method of the views that parse: the
// package's contract is that none of them can panic after a successful
// Parse. Where a header has a field struct, they also check that decoding
// and re-encoding reproduces the header. Seed corpora live in
// testdata/fuzz/FuzzXxx.

var (
	fuzzSrc4 = netip.MustParseAddr("192.0.2.1")
	fuzzDst4 = netip.MustParseAddr("192.0.2.2")
	fuzzSrc6 = netip.MustParseAddr("2001:db8::1")
	fuzzDst6 = netip.MustParseAddr("fe80::2")
)

// checkSentinel fails unless err is one of the package's sentinel errors.
func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrTruncated, ErrBadLength, ErrBadVersion, ErrBadOption, ErrBadHeader} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("unexpected error %v", err)
}

func FuzzParseEthernet(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEthernet(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		_ = e.String()
		_ = e.Payload()
		fl := e.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(Ethernet(out))
		if !bytes.Equal(out, b[:EthernetHeaderLen]) {
			t.Fatalf("re-encoded % x, want % x", out, b[:EthernetHeaderLen])
		}
	})
}

func FuzzParseARP(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseARP(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		_ = a.String()
		fl := a.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(ARP(out))
		if !bytes.Equal(out, a) {
			t.Fatalf("re-encoded % x, want % x", out, []byte(a))
		}
	})
}

func FuzzParseIPv4(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, err := ParseIPv4(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if int(ip.TotalLen()) != len(ip) || ip.HeaderLen() > len(ip) {
			t.Fatalf("view of %d bytes, total length %d, header %d", len(ip), ip.TotalLen(), ip.HeaderLen())
		}
		_, _, _, _ = ip.TOS(), ip.ID(), ip.IsFragment(), ip.TTL()
		_ = ip.String()
		it := ip.OptionIter()
		end := 0
		for it.Next() {
			if it.Offset() != end || len(it.Option()) == 0 {
				t.Fatalf("option at %d, previous ended at %d", it.Offset(), end)
			}
			end = it.Offset() + len(it.Option())
			_, _ = it.Type(), it.Data()
		}
		if it.Err() != nil {
			checkSentinel(t, it.Err())
		}
		// Re-encoding reproduces the header (Encode recomputes the
		// checksum, so only when it was right).
		if ip.ValidChecksum() {
			fl := ip.Fields()
			out := make([]byte, fl.Len())
			fl.Encode(IPv4(out))
			if !bytes.Equal(out, ip[:ip.HeaderLen()]) {
				t.Fatalf("re-encoded % x, want % x", out, ip[:ip.HeaderLen()])
			}
		}
		// Setters write back what was read without disturbing the rest.
		c := IPv4(bytes.Clone(ip))
		c.SetFlags(ip.Flags())
		c.SetFragmentOffset(ip.FragmentOffset())
		c.SetSrc(ip.Src())
		c.SetDst(ip.Dst())
		if !bytes.Equal(c, ip) {
			t.Fatal("setters changed the header")
		}
	})
}

func FuzzParseIPv6(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, err := ParseIPv6(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if int(ip.PayloadLen()) != len(ip.Payload()) {
			t.Fatalf("payload %d bytes, field %d", len(ip.Payload()), ip.PayloadLen())
		}
		_ = ip.String()
		it := ip.ExtIter()
		end := 0
		for it.Next() {
			if it.Offset() != end || len(it.Header()) < 8 {
				t.Fatalf("header at %d (%d bytes), previous ended at %d", it.Offset(), len(it.Header()), end)
			}
			end = it.Offset() + len(it.Header())
			switch it.Type() {
			case ProtoIPv6Hop, ProtoIPv6DstOpts:
				oi := NewIPv6OptionIter(it.Header())
				for oi.Next() {
					_, _, _ = oi.Type(), oi.Data(), oi.Offset()
				}
				if oi.Err() != nil {
					checkSentinel(t, oi.Err())
				}
			case ProtoIPv6Frag:
				fr, err := ParseIPv6Fragment(it.Header())
				if err != nil {
					t.Fatalf("fragment header from the walk: %v", err)
				}
				_ = fr.String()
				fl := fr.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(IPv6Fragment(out))
				// Byte 1 and two bits of byte 3 are reserved.
				out[1], out[3] = fr[1], out[3]|fr[3]&6
				if !bytes.Equal(out, fr[:8]) {
					t.Fatalf("fragment re-encoded % x, want % x", out, []byte(fr[:8]))
				}
			case ProtoIPv6Route:
				r, err := ParseIPv6Routing(it.Header())
				if err != nil {
					t.Fatalf("routing header from the walk: %v", err)
				}
				_ = r.String()
				fl := r.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(IPv6Routing(out))
				if !bytes.Equal(out, r) {
					t.Fatalf("routing re-encoded % x, want % x", out, []byte(r))
				}
			}
		}
		if it.Err() != nil {
			checkSentinel(t, it.Err())
		} else if _, off := it.Upper(); off != end || off > len(ip.Payload()) {
			t.Fatalf("upper layer at %d, headers end at %d, payload %d", off, end, len(ip.Payload()))
		}
		fl := ip.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(IPv6(out))
		if !bytes.Equal(out, ip[:IPv6HeaderLen]) {
			t.Fatalf("re-encoded % x, want % x", out, ip[:IPv6HeaderLen])
		}
	})
}

func FuzzParseICMPv4(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseICMPv4(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		_ = c.String()
		_, _, _, _ = c.MTU(), c.Pointer(), c.Gateway(), c.Payload()
		if c.ComputeChecksum() == c.Checksum() && !c.ValidChecksum() {
			t.Fatalf("checksum %#04x computes but does not verify", c.Checksum())
		}
		fl := c.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(ICMPv4(out))
		back, err := ParseICMPv4(out)
		if err != nil || back.Fields() != fl {
			t.Fatalf("round trip %+v -> %+v (%v)", fl, back.Fields(), err)
		}
	})
}

func FuzzParseICMPv6(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseICMPv6(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		_ = c.String()
		_, _, _ = c.MTU(), c.Pointer(), c.ValidChecksum(fuzzSrc6, fuzzDst6)
		fl := c.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(ICMPv6(out))
		if back, err := ParseICMPv6(out); err != nil || back.Fields() != fl {
			t.Fatalf("round trip %+v -> %+v (%v)", fl, back.Fields(), err)
		}
		var opts []byte
		switch c.Type() {
		case ICMPv6RouterSolicit:
			if v, err := ParseNDPRouterSolicit(b); err == nil {
				_ = v.String()
				opts = v.Options()
				fl := v.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(NDPRouterSolicit(out))
				checkNDPRoundTrip(t, fl, ParseNDPRouterSolicit, out, NDPRouterSolicit.Fields)
			}
		case ICMPv6RouterAdvert:
			if v, err := ParseNDPRouterAdvert(b); err == nil {
				_ = v.String()
				opts = v.Options()
				fl := v.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(NDPRouterAdvert(out))
				checkNDPRoundTrip(t, fl, ParseNDPRouterAdvert, out, NDPRouterAdvert.Fields)
			}
		case ICMPv6NeighborSolicit:
			if v, err := ParseNDPNeighborSolicit(b); err == nil {
				_ = v.String()
				opts = v.Options()
				fl := v.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(NDPNeighborSolicit(out))
				checkNDPRoundTrip(t, fl, ParseNDPNeighborSolicit, out, NDPNeighborSolicit.Fields)
			}
		case ICMPv6NeighborAdvert:
			if v, err := ParseNDPNeighborAdvert(b); err == nil {
				_ = v.String()
				_, _, _ = v.Router(), v.Solicited(), v.Override()
				opts = v.Options()
				fl := v.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(NDPNeighborAdvert(out))
				checkNDPRoundTrip(t, fl, ParseNDPNeighborAdvert, out, NDPNeighborAdvert.Fields)
			}
		case ICMPv6Redirect:
			if v, err := ParseNDPRedirect(b); err == nil {
				_ = v.String()
				opts = v.Options()
				fl := v.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(NDPRedirect(out))
				checkNDPRoundTrip(t, fl, ParseNDPRedirect, out, NDPRedirect.Fields)
			}
		default:
			opts = c.Payload()
		}
		it := NewNDPOptionIter(opts)
		for it.Next() {
			if len(it.Option()) == 0 || len(it.Option())%8 != 0 {
				t.Fatalf("option of %d bytes", len(it.Option()))
			}
			_, _ = it.LinkAddr()
			_, _ = it.MTU()
			if p, ok := it.PrefixInfo(); ok {
				_, _ = p.String(), p.Prefix()
				fl := p.Fields()
				out := make([]byte, fl.Len())
				fl.Encode(NDPPrefixInfo(out))
				copy(out[12:16], p[12:16]) // reserved
				if !bytes.Equal(out, p) {
					t.Fatalf("prefix info re-encoded % x, want % x", out, []byte(p))
				}
			}
		}
		if it.Err() != nil {
			checkSentinel(t, it.Err())
		}
	})
}

// checkNDPRoundTrip parses out, an NDP message encoded from fl, and checks
// that its fields are fl again.
func checkNDPRoundTrip[V ~[]byte, F any](t *testing.T, fl F, parse func([]byte) (V, error), out []byte, fields func(V) F) {
	t.Helper()
	v, err := parse(out)
	if err != nil {
		t.Fatalf("re-encoded message does not parse: %v", err)
	}
	if got := fields(v); !reflect.DeepEqual(got, fl) {
		t.Fatalf("round trip %+v -> %+v", fl, got)
	}
}

func FuzzParseUDP(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseUDP(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if int(u.Length()) != len(u) {
			t.Fatalf("view of %d bytes, length field %d", len(u), u.Length())
		}
		_, _ = u.String(), u.Format(fuzzSrc6, fuzzDst6)
		if c := u.ComputeChecksum(fuzzSrc4, fuzzDst4); c == 0 {
			t.Fatal("ComputeChecksum returned 0")
		}
		_ = u.ValidChecksum(fuzzSrc6, fuzzDst6)
		fl := u.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(UDP(out))
		if !bytes.Equal(out, b[:UDPHeaderLen]) {
			t.Fatalf("re-encoded % x, want % x", out, b[:UDPHeaderLen])
		}
	})
}

func FuzzParseTCP(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseTCP(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		_, _ = h.String(), h.Format(fuzzSrc4, fuzzDst4)
		_, _ = h.Payload(), h.ValidChecksum(fuzzSrc6, fuzzDst6)
		var o TCPOptions
		if err := ParseTCPOptions(h.Options(), &o); err != nil {
			checkSentinel(t, err)
		}
		it := h.OptionIter()
		for it.Next() {
			_, _ = it.Kind(), it.Data()
		}
		fl := h.Fields()
		out := make([]byte, fl.Len())
		fl.Encode(TCP(out))
		if !bytes.Equal(out, b[:h.HeaderLen()]) {
			t.Fatalf("re-encoded % x, want % x", out, b[:h.HeaderLen()])
		}
		// Building from the decoded options gives a header that parses to
		// the same options.
		if TCPOptionsLen(&o) <= TCPMaxOptionsLen {
			fl.Options, fl.Opts = nil, &o
			out = make([]byte, fl.Len())
			fl.Encode(TCP(out))
			var back TCPOptions
			if err := ParseTCPOptions(TCP(out).Options(), &back); err != nil || back != o {
				t.Fatalf("options %+v -> %+v (%v)", o, back, err)
			}
		}
	})
}

func FuzzParseTCPOptions(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var o TCPOptions
		err := ParseTCPOptions(b, &o)
		if err != nil {
			checkSentinel(t, err)
		}
		if o.NumSACK < 0 || o.NumSACK > TCPMaxSACKBlocks || o.FastOpenCookieLen < 0 || o.FastOpenCookieLen > 16 {
			t.Fatalf("out of range: %+v", o)
		}
		// The iterator's generic length checks are a subset of the
		// parser's.
		it := NewTCPOptionIter(b)
		for it.Next() {
		}
		if it.Err() != nil && err == nil {
			t.Fatalf("iterator error %v, parser none", it.Err())
		}
		// Parse, encode, parse gives the same struct.
		n := TCPOptionsLen(&o)
		out := a5(n + 4)
		if m := EncodeTCPOptions(out, &o); m != n || n%4 != 0 {
			t.Fatalf("wrote %d bytes, TCPOptionsLen %d", m, n)
		}
		if !bytes.Equal(out[n:], []byte{0xa5, 0xa5, 0xa5, 0xa5}) {
			t.Fatal("EncodeTCPOptions wrote past its length")
		}
		var back TCPOptions
		if err := ParseTCPOptions(out[:n], &back); err != nil || back != o {
			t.Fatalf("%+v -> % x -> %+v (%v)", o, out[:n], back, err)
		}
	})
}

func FuzzChecksum(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, initial uint32) {
		got := FoldChecksum(Checksum(b, initial))
		if want := ^refSum(b, initial); got != want {
			t.Fatalf("Checksum(% x, %#x) folds to %#04x, reference %#04x", b, initial, got, want)
		}
		split := len(b) / 2 &^ 1
		if chained := FoldChecksum(Checksum(b[split:], Checksum(b[:split], initial))); chained != got {
			t.Fatalf("chained at %d: %#04x, whole %#04x", split, chained, got)
		}
	})
}
