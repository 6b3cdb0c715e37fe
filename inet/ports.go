package inet

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
)

// ReuseRule decides whether newcomer may share a port with old although
// their addresses overlap: the protocol-specific half of the bind
// conflict check.
type ReuseRule func(old, newcomer *Sock) bool

// DatagramReuse is UDP's rule (udp_lib_lport_inuse): both sockets set
// SO_REUSEADDR, or both set SO_REUSEPORT and belong to the same user.
func DatagramReuse(old, nw *Sock) bool {
	if old.Reuse() && nw.Reuse() {
		return true
	}
	return old.ReusePort() && nw.ReusePort() && old.Uid() == nw.Uid()
}

// StreamReuse is TCP's rule (inet_csk_bind_conflict): SO_REUSEADDR on
// both only while the existing socket is not listening; SO_REUSEPORT on
// both with the same owner (any owner for a socket in TIME-WAIT).
func StreamReuse(old, nw *Sock) bool {
	if old.Reuse() && nw.Reuse() && !old.Listening() && !nw.Listening() {
		return true
	}
	return old.ReusePort() && nw.ReusePort() && (old.State() == StateTimeWait || old.Uid() == nw.Uid())
}

// PortTable is a protocol's table of bound local ports in one namespace
// (Linux's udptable / bhash): the bind-conflict engine and, for
// datagram protocols, the demultiplexing table. Each port's list of
// bound sockets is replaced whole on change, so lookups iterate a
// snapshot without the lock. Connections a listener accepted (Inherit)
// are kept apart, in a list changed in place: a busy listener's port
// holds one per connection, and copying that list on every accept and
// close made a million connections quadratic.
type PortTable struct {
	ns    *netns.Namespace
	reuse ReuseRule

	mu    sync.RWMutex
	ports map[uint16][]*Sock // in bind order
	// kids are the inherited sockets by port, in no order; each knows
	// its index (Sock.portKid).
	kids map[uint16][]*Sock
	// tws are the ports held by TCP connections in TIME-WAIT whose
	// sockets are gone, in no order; each knows its index.
	tws map[uint16][]*TimeWaitBind
}

// TimeWaitBind is a port held by a TCP connection in TIME-WAIT (or an
// orphan's FIN-WAIT-2) after its socket is gone, as Linux's timewait sock
// stays on its bind bucket: what the bind-conflict check reads of the
// socket, kept without the socket (about 64 bytes instead of the
// socket's 700). SwapTimeWait makes one; RemoveTimeWait frees the port.
type TimeWaitBind struct {
	rcvAddr netip.Addr // the bound address (Addrs.RcvAddr)
	dev     int        // the bound device, 0 for none
	idx     int32      // one more than its index in its port's list
	port    uint16
	// v6 and v6only are the socket's family and IPV6_V6ONLY; reuse and
	// reusePort its SO_REUSEADDR and SO_REUSEPORT (tw_reuse,
	// tw_reuseport).
	v6, v6only, reuse, reusePort bool
}

// Port returns the port held.
func (b *TimeWaitBind) Port() uint16 { return b.port }

// Dev returns the device the socket was bound to, 0 for none.
func (b *TimeWaitBind) Dev() int { return b.dev }

// V6 reports whether the socket was AF_INET6.
func (b *TimeWaitBind) V6() bool { return b.v6 }

// V6Only reports the socket's IPV6_V6ONLY.
func (b *TimeWaitBind) V6Only() bool { return b.v6only }

// NewPortTable makes an empty table with the protocol's reuse rule.
func NewPortTable(ns *netns.Namespace, reuse ReuseRule) *PortTable {
	return &PortTable{ns: ns, reuse: reuse, ports: make(map[uint16][]*Sock), kids: make(map[uint16][]*Sock),
		tws: make(map[uint16][]*TimeWaitBind)}
}

// Socks returns the sockets bound to port, oldest first, leaving out
// those inherited from a listener. The slice must not be modified.
func (t *PortTable) Socks(port uint16) []*Sock {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.ports[port]
}

// All calls fn for every bound socket.
func (t *PortTable) All(fn func(*Sock)) {
	t.mu.RLock()
	var all []*Sock
	for _, l := range t.ports {
		all = append(all, l...)
	}
	for _, l := range t.kids {
		all = append(all, l...)
	}
	t.mu.RUnlock()
	for _, sk := range all {
		fn(sk)
	}
}

// Get claims port for sk, whose Addrs already hold the address it binds
// to, or an ephemeral port when port is 0 (udp_lib_get_port,
// inet_csk_get_port): EADDRINUSE on a conflict or when the local port
// range has no free port. On success it sets sk.Num and Addrs().Port.
// Called with sk.Mu held.
func (t *PortTable) Get(sk *Sock, port uint16) errno.Errno {
	t.mu.Lock()
	defer t.mu.Unlock()
	if port == 0 {
		r := t.ns.Sysctl.Vec(netns.IPLocalPortRange)
		lo, hi := int(r[0]), int(r[1])
		remaining := hi - lo + 1
		if remaining <= 0 {
			return errno.EADDRINUSE
		}
		// RFC 6056 style: a random first port and a random odd step
		// coprime with the range, so the walk covers every port once.
		rnd := t.ns.Rand()
		first := int(uint64(uint32(rnd)) * uint64(remaining) >> 32)
		step := int(rnd>>32)%remaining | 1
		for gcd(step, remaining) != 1 {
			step += 2
		}
		found := false
		for i := range remaining {
			p := uint16(lo + (first+i*step)%remaining)
			if !t.conflictLocked(sk, p) {
				port, found = p, true
				break
			}
		}
		if !found {
			return errno.EADDRINUSE
		}
	} else if t.conflictLocked(sk, port) {
		return errno.EADDRINUSE
	}
	t.ports[port] = append(slices.Clip(t.ports[port]), sk)
	sk.Num = port
	a := *sk.Addrs()
	a.Port = port
	sk.SetAddrs(a)
	return 0
}

// Inherit puts child on parent's port without a conflict check, as a
// connection accepted by a listener shares its bind bucket
// (inet_inherit_port): the port stays taken while the child lives,
// even once the listener is gone. It sets child.Num and Addrs().Port.
func (t *PortTable) Inherit(child, parent *Sock) {
	port := parent.Num
	if p := child.Addrs().Port; p != 0 {
		// The SYN's port, which a steered (TPROXY) connection does not
		// share with its listener (__inet_inherit_port).
		port = p
	}
	t.mu.Lock()
	l := t.kids[port]
	child.portKid = int32(len(l)) + 1
	t.kids[port] = append(l, child)
	t.mu.Unlock()
	child.Num = port
	a := *child.Addrs()
	a.Port = port
	child.SetAddrs(a)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Conflict reports whether sk could not bind port now.
func (t *PortTable) Conflict(sk *Sock, port uint16) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.conflictLocked(sk, port)
}

func (t *PortTable) conflictLocked(sk *Sock, port uint16) bool {
	na := sk.Addrs()
	for _, l := range [2][]*Sock{t.ports[port], t.kids[port]} {
		for _, o := range l {
			if t.conflictsWith(o, sk, na) {
				return true
			}
		}
	}
	for _, b := range t.tws[port] {
		if b.conflictsWith(sk, na) {
			return true
		}
	}
	return false
}

// conflictsWith is conflictsWith for a port held in TIME-WAIT, with TCP's
// rule (StreamReuse for an old socket in TIME-WAIT, which never listens):
// SO_REUSEADDR on both unless the newcomer listens, or SO_REUSEPORT on
// both whoever owns them.
func (b *TimeWaitBind) conflictsWith(sk *Sock, na *Addrs) bool {
	if b.dev != 0 && na.Dev != 0 && b.dev != na.Dev {
		return false
	}
	if !overlap(coverFor(b.v6, b.rcvAddr, b.v6only), coverOf(sk, na)) {
		return false
	}
	if b.reuse && sk.Reuse() && !sk.Listening() {
		return false
	}
	return !(b.reusePort && sk.ReusePort())
}

// SwapTimeWait moves sk's hold on its port to a TimeWaitBind (inet_twsk_
// hashdance's move onto the bind bucket) under one hold of the table's
// lock, so the port is never free between the two, and takes sk off the
// port as Remove does. It returns nil if sk holds no port.
func (t *PortTable) SwapTimeWait(sk *Sock) *TimeWaitBind {
	port := sk.Num
	if port == 0 {
		return nil
	}
	a := sk.Addrs()
	b := &TimeWaitBind{
		rcvAddr: a.RcvAddr, dev: a.Dev, port: port, v6: sk.V6, v6only: a.V6Only,
		reuse: sk.Reuse(), reusePort: sk.ReusePort(),
	}
	t.mu.Lock()
	t.removeLocked(sk, port)
	l := t.tws[port]
	b.idx = int32(len(l)) + 1
	t.tws[port] = append(l, b)
	t.mu.Unlock()
	sk.Num = 0
	na := *a
	na.Port = 0
	sk.SetAddrs(na)
	return b
}

// RemoveTimeWait frees the port b holds (inet_twsk_bind_unhash).
func (t *PortTable) RemoveTimeWait(b *TimeWaitBind) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b.idx == 0 {
		return
	}
	l := t.tws[b.port]
	i, last := int(b.idx)-1, len(l)-1
	if i > last || l[i] != b {
		panic("inet: TIME-WAIT port not at its index in the port table")
	}
	l[i] = l[last]
	l[i].idx = int32(i) + 1
	l[last] = nil
	l = l[:last]
	b.idx = 0
	switch {
	case len(l) == 0:
		delete(t.tws, b.port)
	case cap(l) > 64 && len(l) < cap(l)/4:
		t.tws[b.port] = slices.Clone(l)
	default:
		t.tws[b.port] = l
	}
}

// conflictsWith reports whether o, bound to the port sk wants, keeps sk
// (with addresses na) from it.
func (t *PortTable) conflictsWith(o, sk *Sock, na *Addrs) bool {
	if o == sk {
		return false
	}
	oa := o.Addrs()
	if oa.Dev != 0 && na.Dev != 0 && oa.Dev != na.Dev {
		return false
	}
	if !Overlap(o, oa, sk, na) {
		return false
	}
	return t.reuse == nil || !t.reuse(o, sk)
}

// Remove unhashes sk from port (its Num), clearing Num and the port.
// Called with sk.Mu held.
func (t *PortTable) Remove(sk *Sock) {
	port := sk.Num
	if port == 0 {
		return
	}
	t.mu.Lock()
	t.removeLocked(sk, port)
	t.mu.Unlock()
	sk.Num = 0
	a := *sk.Addrs()
	a.Port = 0
	sk.SetAddrs(a)
}

// removeLocked takes sk off port; t.mu is held.
func (t *PortTable) removeLocked(sk *Sock, port uint16) {
	if k := sk.portKid; k != 0 {
		t.removeKid(sk, port, int(k)-1)
	} else if l := t.ports[port]; slices.Contains(l, sk) {
		next := slices.DeleteFunc(slices.Clone(l), func(o *Sock) bool { return o == sk })
		if len(next) == 0 {
			delete(t.ports, port)
		} else {
			t.ports[port] = next
		}
	}
}

// removeKid takes the inherited sk, at index i of port's list, out in
// constant time by moving the list's last socket into its place. Called
// with t.mu held.
func (t *PortTable) removeKid(sk *Sock, port uint16, i int) {
	l := t.kids[port]
	last := len(l) - 1
	if i > last || l[i] != sk {
		panic("inet: inherited socket not at its index in the port table")
	}
	l[i] = l[last]
	l[i].portKid = int32(i) + 1
	l[last] = nil
	l = l[:last]
	sk.portKid = 0
	switch {
	case len(l) == 0:
		delete(t.kids, port)
	case cap(l) > 64 && len(l) < cap(l)/4:
		// Give back the memory once most connections are gone.
		t.kids[port] = slices.Clone(l)
	default:
		t.kids[port] = l
	}
}

// cover is the set of local addresses a binding receives for.
type cover struct {
	v4, v6       bool
	v4all, v6all bool
	v4a, v6a     netip.Addr
}

func coverOf(sk *Sock, a *Addrs) cover { return coverFor(sk.V6, a.RcvAddr, a.V6Only) }

// coverFor is the cover of a binding to addr by a socket of the family
// v6 with IPV6_V6ONLY v6only.
func coverFor(v6 bool, addr netip.Addr, v6only bool) cover {
	if !v6 {
		if !isSet(addr) {
			return cover{v4: true, v4all: true}
		}
		return cover{v4: true, v4a: addr}
	}
	switch {
	case !addr.IsValid() || addr.IsUnspecified():
		return cover{v6: true, v6all: true, v4: !v6only, v4all: true}
	case addr == mappedAny:
		return cover{v4: true, v4all: true}
	case addr.Is4In6():
		return cover{v4: true, v4a: addr.Unmap()}
	}
	return cover{v6: true, v6a: addr}
}

// Overlap reports whether two bindings share a local address, counting
// wildcards, dual-stack IPv6 sockets and v4-mapped addresses as Linux's
// inet_rcv_saddr_equal and ipv6_rcv_saddr_equal do.
func Overlap(a *Sock, aa *Addrs, b *Sock, ba *Addrs) bool {
	return overlap(coverOf(a, aa), coverOf(b, ba))
}

// overlap reports whether two covers share an address.
func overlap(ca, cb cover) bool {
	if ca.v4 && cb.v4 && (ca.v4all || cb.v4all || ca.v4a == cb.v4a) {
		return true
	}
	return ca.v6 && cb.v6 && (ca.v6all || cb.v6all || ca.v6a == cb.v6a)
}
