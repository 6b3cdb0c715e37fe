package udp

import (
	"net/netip"
	"slices"

	"github.com/gosock/gosock/inet"
)

// SockInfo is one UDP socket as the socket-diagnostics dump reports it
// (udp_diag's inet_diag_msg), the rows `ss -u` prints.
type SockInfo struct {
	// Connected says the socket has a default peer (ss prints ESTAB,
	// otherwise UNCONN).
	Connected bool
	// V6 says the socket is AF_INET6; V6Only is its IPV6_V6ONLY.
	V6, V6Only bool
	// Local is the bound address (unspecified for a wildcard) and port,
	// Remote the connected peer or the zero AddrPort; both are addresses
	// of the wire (v4-mapped addresses shown as IPv4).
	Local, Remote netip.AddrPort
	// RecvQ is the memory the queued datagrams take (sk_rmem_alloc, as
	// ss prints it for UDP); Datagrams counts them.
	RecvQ, Datagrams int
	// Drops counts datagrams dropped for want of buffer space (sk_drops).
	Drops uint32
}

// Sockets returns a snapshot of every bound UDP socket in the namespace,
// ordered by local then remote address.
func (p *Proto) Sockets() []SockInfo {
	var out []SockInfo
	p.table.All(func(sk *inet.Sock) {
		s, ok := sk.Proto.(*sock)
		if !ok {
			return
		}
		a := sk.Addrs()
		if a.Port == 0 {
			return
		}
		local := inet.Wire(a.RcvAddr)
		if !local.IsValid() {
			local = netip.IPv4Unspecified()
			if sk.V6 {
				local = netip.IPv6Unspecified()
			}
		}
		si := SockInfo{V6: sk.V6, V6Only: a.V6Only, Local: netip.AddrPortFrom(local, a.Port), Drops: sk.Drops()}
		if a.Dst.IsValid() && a.DstPort != 0 {
			si.Connected = true
			si.Remote = netip.AddrPortFrom(inet.Wire(a.Dst), a.DstPort)
		}
		s.qmu.Lock()
		si.RecvQ, si.Datagrams = s.rmem, len(s.q)
		s.qmu.Unlock()
		out = append(out, si)
	})
	slices.SortFunc(out, func(a, b SockInfo) int {
		if r := a.Local.Compare(b.Local); r != 0 {
			return r
		}
		return a.Remote.Compare(b.Remote)
	})
	return out
}
