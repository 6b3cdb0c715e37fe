package gonet

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/gosock/gosock/netns"
)

// Hosts is a namespace's static host table, its /etc/hosts: names
// (compared without case, a trailing dot ignored) with their addresses.
// Every Dialer and ListenConfig in the namespace resolves names through
// it. The zero value is not used: HostsOf returns a namespace's table.
// Its methods may be called concurrently.
type Hosts struct {
	mu sync.RWMutex
	m  map[string][]netip.Addr
}

type hostsKey struct{}

// hostsMu serialises the creation of a namespace's table.
var hostsMu sync.Mutex

// HostsOf returns ns's host table, empty until set.
func HostsOf(ns *netns.Namespace) *Hosts {
	if h, ok := ns.ProtocolState(hostsKey{}).(*Hosts); ok {
		return h
	}
	hostsMu.Lock()
	defer hostsMu.Unlock()
	if h, ok := ns.ProtocolState(hostsKey{}).(*Hosts); ok {
		return h
	}
	h := &Hosts{m: make(map[string][]netip.Addr)}
	ns.SetProtocolState(hostsKey{}, h)
	return h
}

// SetHosts replaces ns's host table with the names in m.
func SetHosts(ns *netns.Namespace, m map[string][]netip.Addr) {
	HostsOf(ns).Replace(m)
}

// Replace replaces the whole table with the names in m.
func (h *Hosts) Replace(m map[string][]netip.Addr) {
	t := make(map[string][]netip.Addr, len(m))
	for name, addrs := range m {
		if len(addrs) > 0 {
			t[canonicalHost(name)] = append([]netip.Addr(nil), addrs...)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m = t
}

// Set gives name the addresses addrs, in that order; no addresses
// removes the name.
func (h *Hosts) Set(name string, addrs ...netip.Addr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(addrs) == 0 {
		delete(h.m, canonicalHost(name))
		return
	}
	h.m[canonicalHost(name)] = append([]netip.Addr(nil), addrs...)
}

// Lookup returns name's addresses, if the table has it.
func (h *Hosts) Lookup(name string) ([]netip.Addr, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a, ok := h.m[canonicalHost(name)]
	return append([]netip.Addr(nil), a...), ok
}

// All returns a copy of the table.
func (h *Hosts) All() map[string][]netip.Addr {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := make(map[string][]netip.Addr, len(h.m))
	for k, v := range h.m {
		m[k] = append([]netip.Addr(nil), v...)
	}
	return m
}

func canonicalHost(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// Resolver resolves host names for a Dialer or ListenConfig: IP literals
// stand for themselves; names are looked up in the namespace's Hosts
// table, then "localhost" and its subdomains are the loopback addresses
// (127.0.0.1 and ::1) as in the net package, then Hook is asked, then the
// DNS Servers over the namespace's UDP; a name nobody knows gives a
// *net.DNSError with IsNotFound set.
type Resolver struct {
	// Namespace is where the host table and the DNS client live; nil
	// means the Dialer's or ListenConfig's.
	Namespace *netns.Namespace
	// Hook, if set, resolves names the table does not know. It returns
	// the addresses, or an error (a *net.DNSError with IsNotFound for an
	// unknown name lets the DNS servers try next).
	Hook func(ctx context.Context, host string) ([]netip.Addr, error)
	// Servers are DNS servers asked, in turn, for A and AAAA records of
	// names that neither the table nor Hook resolved.
	Servers []netip.AddrPort
}

// LookupNetIP looks up host, returning only IPv4 addresses for network
// "ip4", IPv6 for "ip6", both for "ip", as net.Resolver.LookupNetIP.
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	addrs, err := r.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		switch {
		case network == "ip4" && !a.Unmap().Is4(), network == "ip6" && a.Unmap().Is4():
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// LookupHost looks up host and returns its addresses as strings.
func (r *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	addrs, err := r.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

func (r *Resolver) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if host == "" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if r.Namespace != nil {
		if addrs, ok := HostsOf(r.Namespace).Lookup(host); ok {
			return addrs, nil
		}
	}
	if name := canonicalHost(host); name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, nil
	}
	if r.Hook != nil {
		addrs, err := r.Hook(ctx, host)
		if err == nil && len(addrs) > 0 {
			return addrs, nil
		}
		if dnsErr, ok := err.(*net.DNSError); err != nil && !(ok && dnsErr.IsNotFound) {
			return nil, err
		}
	}
	if len(r.Servers) > 0 && r.Namespace != nil {
		return r.lookupDNS(ctx, host)
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// services are the well-known ports net's own fallback table knows.
var services = map[string]map[string]int{
	"udp": {"domain": 53, "bootps": 67, "bootpc": 68, "ntp": 123, "snmp": 161},
	"tcp": {
		"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "gopher": 70,
		"http": 80, "pop3": 110, "imap2": 143, "imap3": 220, "https": 443,
		"submissions": 465, "imaps": 993, "pop3s": 995,
	},
}

// lookupPort parses a port number or looks up a service name, as
// net.LookupPort.
func lookupPort(network, service string) (int, error) {
	if service == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(service, 10, 64); err == nil {
		if n < 0 || n > 0xffff {
			return 0, &net.AddrError{Err: "invalid port", Addr: service}
		}
		return int(n), nil
	}
	base := strings.TrimRight(network, "46")
	if port, ok := services[base][strings.ToLower(service)]; ok {
		return port, nil
	}
	return 0, &net.DNSError{Err: "unknown port", Name: base + "/" + service, IsNotFound: true}
}

// resolveInet resolves a "host:port" for an inet network: for op "listen"
// an empty host is the wildcard (an invalid netip.Addr) and a name gives
// its first IPv4 address if it has one; for op "dial" every address that
// suits the network and the local address hint, in order.
func (r *Resolver) resolveInet(ctx context.Context, op, network string, p proto, address string, hint netip.AddrPort, hasHint bool) ([]netip.AddrPort, error) {
	if op == "dial" && address == "" {
		return nil, errMissingAddress
	}
	host, service := "", "0"
	if address != "" {
		var err error
		if host, service, err = net.SplitHostPort(address); err != nil {
			return nil, err
		}
	}
	port, err := lookupPort(network, service)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if host == "" {
		if op == "dial" {
			// The local system, as net assumes for ":80".
			addrs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
			if p.v6 {
				addrs[0] = netip.IPv6Loopback()
			}
		} else {
			addrs = []netip.Addr{{}}
		}
	} else if addrs, err = r.lookup(ctx, host); err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, a := range addrs {
		if a.IsValid() {
			if a.Is4In6() {
				a = a.Unmap()
			}
			if p.v4 && !a.Is4() || p.v6 && a.Is4() || hasHint && !hint.Addr().IsUnspecified() && hint.Addr().Is4() != a.Is4() {
				continue
			}
		}
		out = append(out, netip.AddrPortFrom(a, uint16(port)))
	}
	if len(out) == 0 {
		return nil, &net.AddrError{Err: "no suitable address found", Addr: host}
	}
	if op == "listen" {
		for _, ap := range out {
			if ap.Addr().Is4() {
				return []netip.AddrPort{ap}, nil
			}
		}
		return out[:1], nil
	}
	return out, nil
}
