package inet

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// TestPortTableInherited holds a listener's port through many accepted
// children taken out in random order: every child stays found by the
// conflict check until it is removed, the port is free once the listener
// and every child are gone, and the children's list shrinks back.
func TestPortTableInherited(t *testing.T) {
	ns := netns.New(netns.Options{Name: "ports", Seed: 1})
	defer ns.Close()
	st := Register(ns)
	tbl := NewPortTable(ns, StreamReuse)
	mk := func(addr string) *Sock {
		sk := newSock(st, &socket.Sock{NS: ns}, false, &Protosw{})
		sk.SetAddrs(Addrs{RcvAddr: netip.MustParseAddr(addr)})
		return sk
	}
	ln := mk("10.0.0.2")
	if e := tbl.Get(ln, 80); e != 0 {
		t.Fatalf("Get(listener, 80) = %v", e)
	}
	const n = 1000
	kids := make([]*Sock, n)
	for i := range kids {
		kids[i] = mk("10.0.0.2")
		tbl.Inherit(kids[i], ln)
		if kids[i].Num != 80 || kids[i].Addrs().Port != 80 {
			t.Fatalf("child %d on port %d (%d), want 80", i, kids[i].Num, kids[i].Addrs().Port)
		}
	}
	// The listener leaves first: its children keep the port.
	tbl.Remove(ln)
	other := mk("10.0.0.2")
	if !tbl.Conflict(other, 80) {
		t.Fatal("port 80 free while the listener's children hold it")
	}
	if got := len(tbl.Socks(80)); got != 0 {
		t.Errorf("Socks(80) lists %d sockets, want none (children are not bound sockets)", got)
	}
	all := 0
	tbl.All(func(*Sock) { all++ })
	if all != n {
		t.Errorf("All visits %d sockets, want %d", all, n)
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(n, func(i, j int) { kids[i], kids[j] = kids[j], kids[i] })
	for i, k := range kids {
		if !tbl.Conflict(other, 80) {
			t.Fatalf("port 80 free with %d children left", n-i)
		}
		tbl.Remove(k)
		if k.Num != 0 || k.portKid != 0 {
			t.Fatalf("removed child still has port %d, index %d", k.Num, k.portKid)
		}
		l := tbl.kids[80]
		for j, o := range l {
			if int(o.portKid) != j+1 {
				t.Fatalf("after %d removals child at %d records index %d", i+1, j, o.portKid-1)
			}
		}
		if left := n - i - 1; left > 64 && cap(l) > 4*left+64 {
			t.Fatalf("%d children left in a list of capacity %d", left, cap(l))
		}
	}
	if tbl.Conflict(other, 80) {
		t.Fatal("port 80 still taken after every child left")
	}
	if _, ok := tbl.kids[80]; ok {
		t.Error("empty children list kept")
	}
	if e := tbl.Get(other, 80); e != 0 {
		t.Fatalf("Get(80) after all left = %v", e)
	}
}

// BenchmarkPortTableInherit is one accept and one close on a listener's
// port that already holds 100,000 connections: constant time, where
// copying the port's list made a million connections quadratic.
func BenchmarkPortTableInherit(b *testing.B) {
	ns := netns.New(netns.Options{Name: "ports", Seed: 1})
	defer ns.Close()
	st := Register(ns)
	tbl := NewPortTable(ns, StreamReuse)
	ln := newSock(st, &socket.Sock{NS: ns}, false, &Protosw{})
	if e := tbl.Get(ln, 80); e != 0 {
		b.Fatal(e)
	}
	for range 100000 {
		tbl.Inherit(newSock(st, &socket.Sock{NS: ns}, false, &Protosw{}), ln)
	}
	sk := newSock(st, &socket.Sock{NS: ns}, false, &Protosw{})
	b.ReportAllocs()
	for b.Loop() {
		tbl.Inherit(sk, ln)
		tbl.Remove(sk)
	}
}
