package gonet

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"
)

// A minimal DNS stub resolver (RFC 1035) over the namespace's UDP: one A
// and one AAAA query per server, recursion desired, no search list, no
// TCP fallback, no cache. It is meant for virtual networks whose test
// runs its own small DNS server.

// dnsTimeout bounds the wait for one server's answers, on the
// namespace's clock.
const dnsTimeout = 5 * time.Second

const (
	dnsTypeA    = 1
	dnsTypeAAAA = 28
	dnsClassIN  = 1

	dnsRcodeNXDomain = 3
)

var errDNSMalformed = errors.New("malformed DNS message")

func (r *Resolver) lookupDNS(ctx context.Context, host string) ([]netip.Addr, error) {
	name := canonicalHost(host)
	var lastErr error = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	for _, server := range r.Servers {
		addrs, err := r.askServer(ctx, server, name)
		if err == nil {
			if len(addrs) == 0 {
				return nil, &net.DNSError{Err: "no such host", Name: host, Server: server.String(), IsNotFound: true}
			}
			return addrs, nil
		}
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, err // an authoritative answer: no need to ask on
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// askServer sends an A and an AAAA query to server and collects the
// addresses of both answers.
func (r *Resolver) askServer(ctx context.Context, server netip.AddrPort, name string) ([]netip.Addr, error) {
	d := Dialer{Namespace: r.Namespace}
	c, err := d.DialContext(ctx, "udp", server.String())
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: name, Server: server.String()}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.SetReadDeadline(r.Namespace.Clock().Now().Add(dnsTimeout)); err != nil {
		return nil, err
	}
	ids := [2]uint16{uint16(r.Namespace.Rand()), uint16(r.Namespace.Rand())}
	types := [2]uint16{dnsTypeA, dnsTypeAAAA}
	for i := range ids {
		q, err := dnsQuery(ids[i], name, types[i])
		if err != nil {
			return nil, &net.DNSError{Err: err.Error(), Name: name, Server: server.String()}
		}
		if _, err := c.Write(q); err != nil {
			return nil, &net.DNSError{Err: err.Error(), Name: name, Server: server.String()}
		}
	}
	var addrs []netip.Addr
	var got [2]bool
	nx := true
	buf := make([]byte, 1500)
	for !got[0] || !got[1] {
		n, err := c.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				err = mapCtxErr(ctx)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, &net.DNSError{Err: "i/o timeout", Name: name, Server: server.String(), IsTimeout: true}
			}
			return nil, &net.DNSError{Err: err.Error(), Name: name, Server: server.String()}
		}
		id, rcode, answers, err := parseDNSResponse(buf[:n])
		if err != nil {
			continue // not an answer of ours
		}
		for i := range ids {
			if id != ids[i] || got[i] {
				continue
			}
			got[i] = true
			if rcode != dnsRcodeNXDomain {
				nx = false
			}
			if rcode != 0 && rcode != dnsRcodeNXDomain {
				return nil, &net.DNSError{Err: "server misbehaving", Name: name, Server: server.String(), IsTemporary: true}
			}
			addrs = append(addrs, answers...)
		}
	}
	if nx || len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: name, Server: server.String(), IsNotFound: true}
	}
	return addrs, nil
}

// dnsQuery builds a query for name's records of type typ.
func dnsQuery(id uint16, name string, typ uint16) ([]byte, error) {
	b := make([]byte, 12, 12+len(name)+6)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], 0x0100) // RD
	binary.BigEndian.PutUint16(b[4:], 1)      // QDCOUNT
	for _, label := range strings.Split(name, ".") {
		if len(label) == 0 || len(label) > 63 {
			return nil, errors.New("invalid domain name")
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0, byte(typ>>8), byte(typ), 0, dnsClassIN)
	return b, nil
}

// skipDNSName returns the offset just past the (possibly compressed)
// name at off.
func skipDNSName(b []byte, off int) (int, error) {
	for {
		if off >= len(b) {
			return 0, errDNSMalformed
		}
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1, nil
		case l&0xc0 == 0xc0:
			if off+2 > len(b) {
				return 0, errDNSMalformed
			}
			return off + 2, nil
		case l&0xc0 != 0:
			return 0, errDNSMalformed
		}
		off += 1 + l
	}
}

// parseDNSResponse returns a response's ID, RCODE and the addresses of
// its A and AAAA answers.
func parseDNSResponse(b []byte) (id uint16, rcode int, addrs []netip.Addr, err error) {
	if len(b) < 12 || b[2]&0x80 == 0 {
		return 0, 0, nil, errDNSMalformed
	}
	id = binary.BigEndian.Uint16(b)
	rcode = int(b[3] & 0x0f)
	qd, an := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	off := 12
	for range qd {
		if off, err = skipDNSName(b, off); err != nil {
			return 0, 0, nil, err
		}
		off += 4
	}
	for range an {
		if off, err = skipDNSName(b, off); err != nil {
			return 0, 0, nil, err
		}
		if off+10 > len(b) {
			return 0, 0, nil, errDNSMalformed
		}
		typ := binary.BigEndian.Uint16(b[off:])
		class := binary.BigEndian.Uint16(b[off+2:])
		rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
		off += 10
		if off+rdlen > len(b) {
			return 0, 0, nil, errDNSMalformed
		}
		rd := b[off : off+rdlen]
		off += rdlen
		if class != dnsClassIN {
			continue
		}
		switch {
		case typ == dnsTypeA && rdlen == 4:
			addrs = append(addrs, netip.AddrFrom4([4]byte(rd)))
		case typ == dnsTypeAAAA && rdlen == 16:
			addrs = append(addrs, netip.AddrFrom16([16]byte(rd)))
		}
	}
	return id, rcode, addrs, nil
}
