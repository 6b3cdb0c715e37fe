package inet

import (
	"net/netip"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// TestTimeWaitBind: a port moved from a socket to a TimeWaitBind stays
// taken under TCP's rules for a socket in TIME-WAIT, which the socket
// itself gave before the move: SO_REUSEADDR on both lets a non-listening
// newcomer in, SO_REUSEPORT on both lets anyone in whatever the owner,
// another address or another device never conflicts, a v4 socket and a
// dual-stack wildcard do. RemoveTimeWait frees it, in any order.
func TestTimeWaitBind(t *testing.T) {
	ns := netns.New(netns.Options{Name: "twbind", Seed: 1})
	defer ns.Close()
	st := Register(ns)
	tbl := NewPortTable(ns, StreamReuse)
	type opts struct {
		v6, reuse, reusePort, listen bool
		addr                         string
		dev, uid                     int
	}
	mk := func(o opts) *Sock {
		so := &socket.Sock{NS: ns}
		so.Creds.UID = o.uid
		so.SetFlag(abi.SO_REUSEADDR, o.reuse)
		so.SetFlag(abi.SO_REUSEPORT, o.reusePort)
		sk := newSock(st, so, o.v6, &Protosw{})
		a := Addrs{Dev: o.dev}
		if o.addr != "" {
			a.RcvAddr = netip.MustParseAddr(o.addr)
		}
		sk.SetAddrs(a)
		if o.listen {
			sk.SetState(StateListen)
		}
		return sk
	}
	for i, c := range []struct {
		old, nw  opts
		conflict bool
	}{
		{opts{addr: "10.0.0.2"}, opts{addr: "10.0.0.2"}, true},
		{opts{addr: "10.0.0.2", reuse: true}, opts{addr: "10.0.0.2"}, true},
		{opts{addr: "10.0.0.2", reuse: true}, opts{addr: "10.0.0.2", reuse: true}, false},
		{opts{addr: "10.0.0.2", reuse: true}, opts{addr: "10.0.0.2", reuse: true, listen: true}, true},
		{opts{addr: "10.0.0.2", reusePort: true, uid: 1}, opts{addr: "10.0.0.2", reusePort: true, uid: 2}, false},
		{opts{addr: "10.0.0.2"}, opts{addr: "10.0.0.3"}, false},
		{opts{addr: "10.0.0.2"}, opts{}, true},
		{opts{addr: "10.0.0.2", dev: 2}, opts{addr: "10.0.0.2", dev: 3}, false},
		{opts{addr: "10.0.0.2"}, opts{v6: true}, true},
		{opts{addr: "fd00::2", v6: true}, opts{addr: "10.0.0.2"}, false},
	} {
		port := uint16(1000 + i)
		old := mk(c.old)
		if e := tbl.Get(old, port); e != 0 {
			t.Fatalf("case %d: Get = %v", i, e)
		}
		nw := mk(c.nw)
		old.SetState(StateTimeWait) // as TCP has it by the swap
		before := tbl.Conflict(nw, port)
		b := tbl.SwapTimeWait(old)
		if b == nil || b.Port() != port || old.Num != 0 || old.Addrs().Port != 0 {
			t.Fatalf("case %d: SwapTimeWait = %+v, socket left on port %d", i, b, old.Num)
		}
		if got := tbl.Conflict(nw, port); got != c.conflict || got != before {
			t.Errorf("case %d: conflict with the TIME-WAIT port %v (with the socket %v), want %v", i, got, before, c.conflict)
		}
		tbl.RemoveTimeWait(b)
		if tbl.Conflict(nw, port) {
			t.Errorf("case %d: port still taken after RemoveTimeWait", i)
		}
		if _, ok := tbl.tws[port]; ok {
			t.Errorf("case %d: empty TIME-WAIT list kept", i)
		}
	}
	// Several on one port leave in any order, each found until it goes.
	var bs []*TimeWaitBind
	for range 5 {
		sk := mk(opts{addr: "10.0.0.2", reuse: true})
		if e := tbl.Get(sk, 2000); e != 0 {
			t.Fatal(e)
		}
		bs = append(bs, tbl.SwapTimeWait(sk))
	}
	plain := mk(opts{addr: "10.0.0.2"})
	for _, i := range []int{1, 4, 0, 3, 2} {
		if !tbl.Conflict(plain, 2000) {
			t.Fatal("port 2000 free with TIME-WAIT holders left")
		}
		tbl.RemoveTimeWait(bs[i])
		for j, o := range tbl.tws[2000] {
			if int(o.idx) != j+1 {
				t.Fatalf("holder at %d records index %d", j, o.idx-1)
			}
		}
	}
	if tbl.Conflict(plain, 2000) {
		t.Error("port 2000 taken after every holder left")
	}
}
