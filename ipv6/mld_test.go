package ipv6_test

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/wire"
)

// mldRecord is one multicast address record of an MLDv2 report.
type mldRecord struct {
	typ   uint8
	group netip.Addr
}

// mldReport waits for an MLDv2 report and returns its records, checking
// the packet around it (RFC 3810 5.2: hop limit 1, router alert, to
// ff02::16).
func (p *rawPeer) mldReport(t *testing.T) ([]mldRecord, bool) {
	t.Helper()
	h, ok := p.expect(func(h wire.IPv6) bool { return h.Dst() == ipv6.AllMLDv2Routers })
	if !ok {
		return nil, false
	}
	b := h.Payload()
	if h.NextHeader() != wire.ProtoIPv6Hop || h.HopLimit() != 1 || len(b) < 16 || b[0] != wire.ProtoICMPv6 || b[2] != wire.IPv6OptRouterAlert {
		t.Errorf("MLD report packet %v: want hop limit 1 and a router alert", h)
		return nil, false
	}
	m := wire.ICMPv6(b[8:])
	if m.Type() != wire.ICMPv6MLDv2Report || !m.ValidChecksum(h.Src(), h.Dst()) {
		t.Errorf("MLD report %v: bad type or checksum", h)
	}
	n := int(binary.BigEndian.Uint16(m[6:]))
	var recs []mldRecord
	for i := range n {
		r := m[8+20*i:]
		recs = append(recs, mldRecord{r[0], netip.AddrFrom16([16]byte(r[4:20]))})
	}
	return recs, true
}

func mldQuery(group netip.Addr, maxRespMs uint16) []byte {
	b := make([]byte, 28)
	b[0] = uint8(wire.ICMPv6MLDQuery)
	binary.BigEndian.PutUint16(b[4:], maxRespMs)
	a := group.As16()
	copy(b[8:], a[:])
	return b
}

func TestMLD(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		settle(3 * time.Second)
		p.drain()
		g := addr("ff05::123")

		// Joining: a state-change report, then one repetition within
		// mldv2_unsolicited_report_interval.
		n.ip.JoinGroup(p.ifc, g)
		for i := range 2 {
			recs, ok := p.mldReport(t)
			if !ok || !slices.Contains(recs, mldRecord{4, g}) {
				t.Fatalf("report %d after joining: %v", i, recs)
			}
		}
		if recs, ok := p.mldReport(t); ok {
			t.Errorf("a third report after joining: %v", recs)
		}
		// A second member changes nothing; the last one leaving reports.
		n.ip.JoinGroup(p.ifc, g)
		n.ip.LeaveGroup(p.ifc, g)
		if recs, ok := p.mldReport(t); ok {
			t.Errorf("report while a member remains: %v", recs)
		}
		n.ip.LeaveGroup(p.ifc, g)
		if recs, ok := p.mldReport(t); !ok || !slices.Contains(recs, mldRecord{3, g}) {
			t.Errorf("report after leaving: %v", recs)
		}
		p.drain()

		// A general query is answered with every reportable membership,
		// from the link-local address, within the response delay.
		n.ip.JoinGroup(p.ifc, g)
		p.drain()
		time.Sleep(2 * time.Second)
		p.drain()
		ll := addr("fe80::1")
		q := mldQuery(netip.IPv6Unspecified(), 1000)
		m := wire.ICMPv6(q)
		m.SetChecksum(m.ComputeChecksum(ll, ipv6.AllNodes))
		start := time.Now()
		p.send(ip6(ll, ipv6.AllNodes, wire.ProtoICMPv6, 1, q))
		recs, ok := p.mldReport(t)
		if !ok || time.Since(start) > time.Second {
			t.Fatalf("no answer to a general query within 1s")
		}
		want := []mldRecord{{2, g}, {2, ipv6.SolicitedNode(nodeAddr)}}
		for _, w := range want {
			if !slices.Contains(recs, w) {
				t.Errorf("answer %v lacks %v", recs, w)
			}
		}
		for _, r := range recs {
			if r.group == ipv6.AllNodes {
				t.Errorf("all-nodes reported")
			}
		}
		// A query from outside the link is ignored (RFC 3810 5.1.14).
		q = mldQuery(netip.IPv6Unspecified(), 1000)
		m = wire.ICMPv6(q)
		m.SetChecksum(m.ComputeChecksum(peerAddr, ipv6.AllNodes))
		p.send(ip6(peerAddr, ipv6.AllNodes, wire.ProtoICMPv6, 1, q))
		if recs, ok := p.mldReport(t); ok {
			t.Errorf("answered a query from a global address: %v", recs)
		}
		// A group query only about that group.
		q = mldQuery(g, 500)
		m = wire.ICMPv6(q)
		m.SetChecksum(m.ComputeChecksum(ll, g))
		p.send(ip6(ll, g, wire.ProtoICMPv6, 1, q))
		if recs, ok := p.mldReport(t); !ok || !slices.Equal(recs, []mldRecord{{2, g}}) {
			t.Errorf("answer to a group query: %v", recs)
		}
	})
}
