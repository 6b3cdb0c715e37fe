package tcp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/inet"
)

// SockInfo is one TCP socket as the socket-diagnostics dump reports it
// (inet_diag_msg with the INET_DIAG_INFO and INET_DIAG_CONG
// attributes), the rows `ss -t` prints.
type SockInfo struct {
	// State is the connection state.
	State State
	// V6 says the socket is AF_INET6; V6Only is its IPV6_V6ONLY, which
	// decides whether ss prints a wildcard listener as "*" or "[::]".
	V6, V6Only bool
	// Local and Remote are the addresses on the wire (IPv4 for IPv4
	// traffic even on an AF_INET6 socket); a listener's Remote is the
	// zero AddrPort and its Local address the one it is bound to, which
	// is unspecified for a wildcard.
	Local, Remote netip.AddrPort
	// RecvQ and SendQ are what ss prints in its Recv-Q and Send-Q
	// columns (inet_diag's idiag_rqueue and idiag_wqueue, filled by
	// tcp_diag_get_info): for a listener, the connections waiting in the
	// accept queue and the backlog; otherwise the bytes received and not
	// yet read, and the bytes written and not yet acknowledged.
	RecvQ, SendQ int
	// Orphan says the user closed the socket and the connection is
	// finishing on its own.
	Orphan bool
	// Congestion names the congestion-control algorithm.
	Congestion string
	// Info is what TCP_INFO reports for the socket; a listener's is left
	// zero apart from its state, as is that of a TIME-WAIT socket the
	// user closed (inet_diag reports no tcp_info for a timewait sock).
	Info abi.TCPInfo
	// TimeWaitSock says the row is a timewait sock: a connection in
	// TIME-WAIT, or an orphan in FIN-WAIT-2, that the user closed, kept as
	// a compact record (twsock.go) with no TCP_INFO; TimeWaitLeft is what
	// its timer has left (ss's "timer:(timewait,...)").
	TimeWaitSock bool
	TimeWaitLeft time.Duration
}

// Sockets returns a snapshot of every TCP socket in the namespace that
// inet_diag would dump: listeners, then connections (including those in
// SYN-RECV and TIME-WAIT), each ordered by local then remote address.
// The snapshot is a copy: it holds no reference to the sockets.
//
// Lock order is a connection's lock before the table's (done unhashes
// with the connection locked), so the tables are copied under p.mu
// first and each socket is then read under its own lock alone.
func (p *Protocol) Sockets() []SockInfo {
	p.mu.RLock()
	var listeners, conns []*conn
	for _, ls := range p.listeners {
		listeners = append(listeners, ls...)
	}
	for c := range p.conns.all {
		conns = append(conns, c)
	}
	tws := make([]*twSock, 0, p.tws.n)
	for tw := range p.tws.all {
		tws = append(tws, tw)
	}
	p.mu.RUnlock()

	out := make([]SockInfo, 0, len(listeners)+len(conns))
	for _, c := range listeners {
		if si, ok := c.diagListener(); ok {
			out = append(out, si)
		}
	}
	nl := len(out)
	for _, c := range conns {
		if si, ok := c.diag(); ok {
			out = append(out, si)
		}
	}
	for _, tw := range tws {
		if si, ok := tw.diag(); ok {
			out = append(out, si)
		}
	}
	cmp := func(a, b SockInfo) int {
		if r := a.Local.Compare(b.Local); r != 0 {
			return r
		}
		return a.Remote.Compare(b.Remote)
	}
	slices.SortFunc(out[:nl], cmp)
	slices.SortFunc(out[nl:], cmp)
	return out
}

// diagListener reports a listening socket; false if it stopped listening
// since the table was copied.
func (c *conn) diagListener() (SockInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Listen || c.sk == nil {
		return SockInfo{}, false
	}
	a := c.sk.Addrs()
	si := SockInfo{
		State:  Listen,
		V6:     c.sk.V6,
		V6Only: a.V6Only,
		Local:  netip.AddrPortFrom(listenAddr(c.sk.V6, a.RcvAddr), a.Port),
		RecvQ:  len(c.acceptQ),
		SendQ:  c.backlog,
	}
	si.Info.State = uint8(Listen)
	if c.cc != nil {
		si.Congestion = c.cc.name()
	}
	return si, true
}

// listenAddr is the address a listener is bound to, as it goes on the
// wire, or the family's unspecified address for a wildcard.
func listenAddr(v6 bool, a netip.Addr) netip.Addr {
	switch {
	case a.IsValid():
		return inet.Wire(a)
	case v6:
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// diag reports a connection; false if it was closed since the table was
// copied.
func (c *conn) diag() (SockInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Close {
		return SockInfo{}, false
	}
	si := SockInfo{
		State:  c.state,
		Local:  c.local,
		Remote: c.remote,
		RecvQ:  c.rcvQ.Len(),
		SendQ:  c.sndBuf.Len(),
		Orphan: c.orphan,
	}
	if c.sk != nil {
		si.V6 = c.sk.V6
		si.V6Only = c.sk.Addrs().V6Only
	}
	if c.cc != nil {
		si.Congestion = c.cc.name()
	}
	c.fillInfo(&si.Info)
	return si, true
}
