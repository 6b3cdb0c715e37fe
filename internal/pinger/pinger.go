// Package pinger sends ICMP and ICMPv6 echo requests from inside a
// namespace and matches the replies, without the socket layer. The demo
// and the network-layer tests use it.
package pinger

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Reply is one echo reply.
type Reply struct {
	From netip.Addr
	Seq  uint16
	// Size is the ICMP payload length.
	Size int
	TTL  uint8
	RTT  time.Duration
	// Payload reports whether the echoed payload matched what was sent.
	PayloadOK bool
}

// Pinger sends echo requests with one identifier.
type Pinger struct {
	ns    *netns.Namespace
	ident uint16

	mu      sync.Mutex
	waiting map[uint16]chan Reply
	sent    map[uint16]time.Time
}

// New returns a pinger for ns and installs it as the namespace's echo
// reply receiver for IPv4 (and IPv6 when registered).
func New(ns *netns.Namespace, ident uint16) *Pinger {
	p := &Pinger{ns: ns, ident: ident, waiting: make(map[uint16]chan Reply), sent: make(map[uint16]time.Time)}
	if v4 := ipv4.Of(ns); v4 != nil {
		v4.AddEchoHook(p.receive4)
	}
	registerV6(ns, p)
	return p
}

func pattern(i int) byte { return byte(i*7 + 3) }

func (p *Pinger) receive4(pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	m, err := wire.ParseICMPv4(pkt.Bytes())
	if err != nil || m.Type() != wire.ICMPv4EchoReply || m.Ident() != p.ident {
		return false
	}
	p.deliver(info, m.Seq(), m.Payload())
	pkt.Release()
	return true
}

func (p *Pinger) deliver(info *netns.PacketInfo, seq uint16, payload []byte) {
	ok := true
	for i, b := range payload {
		if b != pattern(i) {
			ok = false
			break
		}
	}
	p.mu.Lock()
	ch := p.waiting[seq]
	sent := p.sent[seq]
	delete(p.waiting, seq)
	p.mu.Unlock()
	if ch == nil {
		return
	}
	ch <- Reply{From: info.Src, Seq: seq, Size: len(payload), TTL: info.TTL, RTT: p.ns.Clock().Now().Sub(sent), PayloadOK: ok}
}

// Ping sends one echo request of size payload bytes to dst and waits for
// its reply until ctx ends.
func (p *Pinger) Ping(ctx context.Context, dst netip.Addr, seq uint16, size int) (Reply, error) {
	ch := make(chan Reply, 1)
	p.mu.Lock()
	p.waiting[seq] = ch
	p.sent[seq] = p.ns.Clock().Now()
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiting, seq)
		delete(p.sent, seq)
		p.mu.Unlock()
	}()
	if err := p.send(dst, seq, size); err != nil {
		return Reply{}, err
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
}

func (p *Pinger) send(dst netip.Addr, seq uint16, size int) error {
	rt, err := p.ns.Lookup(dst, netns.LookupFlags{})
	if err != nil {
		return err
	}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, 8+size)
	b := pkt.Bytes()
	for i := range size {
		b[8+i] = pattern(i)
	}
	if dst.Is4() {
		f := wire.ICMPv4Fields{Type: wire.ICMPv4EchoRequest, Ident: p.ident, Seq: seq}
		m := wire.ICMPv4(b)
		f.Encode(m)
		m.SetChecksum(m.ComputeChecksum())
		return ipv4.Of(p.ns).Output(&rt, &ipv4.Header{Src: rt.Src, Dst: dst, Protocol: wire.ProtoICMP}, pkt)
	}
	return send6(p, &rt, dst, seq, pkt)
}
