package inet_test

import (
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/sys"
)

const (
	inet4   = abi.AF_INET
	inet6   = abi.AF_INET6
	dgram   = abi.SOCK_DGRAM
	sockraw = abi.SOCK_RAW
	solIP   = abi.SOL_IP
	solIP6  = abi.SOL_IPV6
)

// confCase is one scenario: the outcome of each call, in order, as the
// reference kernel reports it ("ok", "ok:<value>", or the errno name).
type confCase struct {
	name string
	want string
	run  func(r *run)
}

var confCases = []confCase{
	// socket(2): inet_create's checks and the inetsw lookup.
	{"socket udp ok", "ok", func(r *run) { r.socket(inet4, dgram, 0) }},
	{"socket dgram tcp", "EPROTONOSUPPORT", func(r *run) { r.socket(inet4, dgram, abi.IPPROTO_TCP) }},
	{"socket seqpacket", "ESOCKTNOSUPPORT", func(r *run) { r.socket(inet4, abi.SOCK_SEQPACKET, 0) }},
	{"socket rdm", "ESOCKTNOSUPPORT", func(r *run) { r.socket(inet4, abi.SOCK_RDM, 0) }},
	{"socket raw 0", "EPROTONOSUPPORT", func(r *run) { r.socket(inet4, sockraw, 0) }},
	{"socket dgram 255", "EPROTONOSUPPORT", func(r *run) { r.socket(inet4, dgram, 255) }},
	{"socket dgram 262", "EPROTONOSUPPORT", func(r *run) { r.socket(inet4, dgram, 262) }},
	{"socket dgram 263", "EINVAL", func(r *run) { r.socket(inet4, dgram, 263) }},
	{"socket dgram -1", "EINVAL", func(r *run) { r.socket(inet4, dgram, -1) }},
	{"socket ping default range", "EACCES", func(r *run) { r.socket(inet4, dgram, abi.IPPROTO_ICMP) }},
	{"socket ping6 default range", "EACCES", func(r *run) { r.socket(inet6, dgram, abi.IPPROTO_ICMPV6) }},
	{"socket icmp on v6", "EPROTONOSUPPORT", func(r *run) { r.socket(inet6, dgram, abi.IPPROTO_ICMP) }},
	{"socket raw icmp defaults", "ok ok:01000000 ok:00000000", func(r *run) {
		fd := r.socket(inet4, sockraw, abi.IPPROTO_ICMP)
		r.get(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, 4)
		r.get(fd, solIP, abi.IP_HDRINCL, 4)
	}},
	{"socket raw IPPROTO_RAW hdrincl", "ok ok:01000000", func(r *run) {
		fd := r.socket(inet4, sockraw, abi.IPPROTO_RAW)
		r.get(fd, solIP, abi.IP_HDRINCL, 4)
	}},
	{"socket udp protocol resolved", "ok ok:11000000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.get(fd, abi.SOL_SOCKET, abi.SO_PROTOCOL, 4)
	}},

	// bind(2): inet_bind.
	{"bind short", "ok EINVAL", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(2, 0, "0.0.0.0")[:15]) }},
	{"bind family 6 on v4", "ok EAFNOSUPPORT", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(10, 0, "0.0.0.0")) }},
	{"bind AF_UNSPEC any", "ok ok", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(0, 0, "0.0.0.0")) }},
	{"bind AF_UNSPEC lo", "ok EAFNOSUPPORT", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(0, 0, "127.0.0.1")) }},
	{"bind nonlocal", "ok EADDRNOTAVAIL", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(2, 0, "10.9.9.9")) }},
	{"bind multicast", "ok ok", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(2, 0, "224.1.2.3")) }},
	{"bind broadcast", "ok ok", func(r *run) { fd := r.socket(inet4, dgram, 0); r.bind(fd, sin(2, 0, "255.255.255.255")) }},
	{"bind 127.5.5.5", "ok ok ok:127.5.5.5:eph", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.bind(fd, sin(2, 0, "127.5.5.5"))
		r.name(fd, false)
	}},
	{"bind freebind nonlocal", "ok ok ok ok:10.9.9.9:eph", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, abi.IP_FREEBIND, i32(1))
		r.bind(fd, sin(2, 0, "10.9.9.9"))
		r.name(fd, false)
	}},
	{"bind twice", "ok ok EINVAL", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.bind(fd, sin(2, 0, "127.0.0.1"))
		r.bind(fd, sin(2, 0, "127.0.0.1"))
	}},
	{"bind no port then getsockname", "ok ok ok ok:127.0.0.1:0", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, abi.IP_BIND_ADDRESS_NO_PORT, i32(1))
		r.bind(fd, sin(2, 0, "127.0.0.1"))
		r.name(fd, false)
	}},
	{"bind conflict plain", "ok ok ok EADDRINUSE", pairBind(nil, nil, sin(2, 5000, "0.0.0.0"), sin(2, 5000, "0.0.0.0"))},
	{"bind conflict reuseaddr both", "ok ok ok ok ok ok", pairBind([]int{abi.SO_REUSEADDR}, []int{abi.SO_REUSEADDR}, sin(2, 5000, "0.0.0.0"), sin(2, 5000, "0.0.0.0"))},
	{"bind conflict reuseaddr one", "ok ok ok ok EADDRINUSE", pairBind([]int{abi.SO_REUSEADDR}, nil, sin(2, 5000, "0.0.0.0"), sin(2, 5000, "0.0.0.0"))},
	{"bind conflict reuseport both", "ok ok ok ok ok ok", pairBind([]int{abi.SO_REUSEPORT}, []int{abi.SO_REUSEPORT}, sin(2, 5000, "0.0.0.0"), sin(2, 5000, "0.0.0.0"))},
	{"bind specific vs any", "ok ok ok EADDRINUSE", pairBind(nil, nil, sin(2, 5000, "127.0.0.1"), sin(2, 5000, "0.0.0.0"))},
	{"bind two specific", "ok ok ok ok", pairBind(nil, nil, sin(2, 5000, "127.0.0.1"), sin(2, 5000, "127.0.0.2"))},
	{"bind v6 any vs v4 any", "ok ok ok EADDRINUSE", pairBind(nil, nil, sin6(5000, "::", 0), sin(2, 5000, "0.0.0.0"))},
	{"bind v6only any vs v4 any", "ok ok ok ok ok ok:01000000", func(r *run) {
		a := r.socket(inet6, dgram, 0)
		r.set(a, solIP6, abi.IPV6_V6ONLY, i32(1))
		r.bind(a, sin6(5000, "::", 0))
		b := r.socket(inet4, dgram, 0)
		r.bind(b, sin(2, 5000, "0.0.0.0"))
		r.get(a, solIP6, abi.IPV6_V6ONLY, 4)
	}},
	{"bind v6 ::1 vs v4 any", "ok ok ok ok", pairBind(nil, nil, sin6(5000, "::1", 0), sin(2, 5000, "0.0.0.0"))},
	{"bind v4 any vs v6 any", "ok ok ok EADDRINUSE", pairBind(nil, nil, sin(2, 5000, "0.0.0.0"), sin6(5000, "::", 0))},
	{"bind v6 mapped lo vs v4 lo", "ok ok ok EADDRINUSE", pairBind(nil, nil, sin6(5000, "::ffff:127.0.0.1", 0), sin(2, 5000, "127.0.0.1"))},
	{"bind v6 any vs v6 ::1", "ok ok ok EADDRINUSE", pairBind(nil, nil, sin6(5000, "::", 0), sin6(5000, "::1", 0))},
	{"bind v6 short", "ok EINVAL", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "::", 0)[:23]) }},
	{"bind v6 24 bytes", "ok ok", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "::", 0)[:24]) }},
	{"bind v6 family 4", "ok EAFNOSUPPORT", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		b := sin6(0, "::", 0)
		b[0] = 2
		r.bind(fd, b)
	}},
	{"bind v6 mapped lo", "ok ok ok:[::ffff:127.0.0.1]:eph ok:00000000", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.bind(fd, sin6(0, "::ffff:127.0.0.1", 0))
		r.name(fd, false)
		r.get(fd, solIP6, abi.IPV6_V6ONLY, 4)
	}},
	{"bind v6only mapped", "ok ok EINVAL", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.set(fd, solIP6, abi.IPV6_V6ONLY, i32(1))
		r.bind(fd, sin6(0, "::ffff:127.0.0.1", 0))
	}},
	{"bind v6 mapped nonlocal", "ok EADDRNOTAVAIL", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "::ffff:10.1.1.1", 0)) }},
	{"bind v6 nonlocal", "ok EADDRNOTAVAIL", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "2001:db8::1", 0)) }},
	{"bind v6 link-local no scope", "ok EINVAL", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "fe80::1", 0)) }},
	{"bind v6 link-local bad scope", "ok ENODEV", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "fe80::1", 99)) }},
	{"bind v6 link-local scope lo", "ok EADDRNOTAVAIL", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "fe80::1", 1)) }},
	{"bind v6 ff02::1 no scope", "ok EINVAL", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "ff02::1", 0)) }},
	{"bind v6 ff02::1 scope", "ok ok", func(r *run) { fd := r.socket(inet6, dgram, 0); r.bind(fd, sin6(0, "ff02::1", 1)) }},
	{"bind v6 ::1 then v6only", "ok ok ok:01000000 EINVAL", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.bind(fd, sin6(0, "::1", 5))
		r.get(fd, solIP6, abi.IPV6_V6ONLY, 4)
		r.set(fd, solIP6, abi.IPV6_V6ONLY, i32(0))
	}},
	{"bind raw any family", "ok ok ok:127.0.0.1:1 ok", func(r *run) {
		fd := r.socket(inet4, sockraw, abi.IPPROTO_ICMP)
		r.bind(fd, sin(10, 77, "127.0.0.1"))
		r.name(fd, false)
		r.bind(fd, sin(2, 0, "127.0.0.1"))
	}},
	{"bind raw nonlocal", "ok EADDRNOTAVAIL", func(r *run) { fd := r.socket(inet4, sockraw, 1); r.bind(fd, sin(2, 0, "10.1.1.1")) }},

	// connect(2), getsockname/getpeername.
	{"connect and names", "ok ok ok:127.0.0.1:eph ok:127.0.0.1:9", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.connect(fd, sin(2, 9, "127.0.0.1"))
		r.name(fd, false)
		r.name(fd, true)
	}},
	{"connect port 0 then getpeername", "ok ok ENOTCONN", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.connect(fd, sin(2, 0, "127.0.0.1"))
		r.name(fd, true)
	}},
	{"connect AF_UNSPEC disconnects", "ok ok ok ENOTCONN ok:0.0.0.0:0", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.connect(fd, sin(2, 9, "127.0.0.1"))
		r.connect(fd, sin(0, 0, "0.0.0.0"))
		r.name(fd, true)
		r.name(fd, false)
	}},
	{"connect short", "ok EINVAL", func(r *run) { fd := r.socket(inet4, dgram, 0); r.connect(fd, sin(2, 9, "127.0.0.1")[:8]) }},
	{"connect AF_UNSPEC len 1", "ok EINVAL", func(r *run) { fd := r.socket(inet4, dgram, 0); r.connect(fd, []byte{0}) }},
	{"connect unreachable", "ok ENETUNREACH", func(r *run) { fd := r.socket(inet4, dgram, 0); r.connect(fd, sin(2, 53, "8.8.8.8")) }},
	{"connect broadcast no route", "ok ENETUNREACH", func(r *run) { fd := r.socket(inet4, dgram, 0); r.connect(fd, sin(2, 53, "255.255.255.255")) }},
	{"connect v6 to mapped", "ok ok ok:[::ffff:127.0.0.1]:eph ok:[::ffff:127.0.0.1]:9", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.connect(fd, sin6(9, "::ffff:127.0.0.1", 0))
		r.name(fd, false)
		r.name(fd, true)
	}},
	{"connect v6only to mapped", "ok ok ENETUNREACH", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.set(fd, solIP6, abi.IPV6_V6ONLY, i32(1))
		r.connect(fd, sin6(9, "::ffff:127.0.0.1", 0))
	}},
	{"connect v6 then v6only", "ok ok EINVAL", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.connect(fd, sin6(9, "::1", 0))
		r.set(fd, solIP6, abi.IPV6_V6ONLY, i32(1))
	}},
	{"getpeername unconnected", "ok ENOTCONN ok:0.0.0.0:0", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.name(fd, true)
		r.name(fd, false)
	}},
	{"ping connect port 0 getpeername", "ok ok ok ENOTCONN", func(r *run) {
		r.rec("sysctl", r.a.SetSysctl("net.ipv4.ping_group_range", "0 0"))
		fd := r.socket(inet4, dgram, abi.IPPROTO_ICMP)
		r.connect(fd, sin(2, 0, "127.0.0.1"))
		r.name(fd, true)
	}},

	// sendto(2).
	{"send no destination", "ok EDESTADDRREQ", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 1, 0, nil) }},
	{"send port 0", "ok EINVAL", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 1, 0, sin(2, 0, "127.0.0.1")) }},
	{"send 65507", "ok ok", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 65507, 0, sin(2, 9, "127.0.0.1")) }},
	{"send 65508", "ok EMSGSIZE", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 65508, 0, sin(2, 9, "127.0.0.1")) }},
	{"send v6 65488", "ok ok", func(r *run) { fd := r.socket(inet6, dgram, 0); r.sendto(fd, 65488, 0, sin6(9, "::1", 0)) }},
	{"send v6 65528", "ok EMSGSIZE", func(r *run) { fd := r.socket(inet6, dgram, 0); r.sendto(fd, 65528, 0, sin6(9, "::1", 0)) }},
	{"send unreachable", "ok ENETUNREACH", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 1, 0, sin(2, 53, "8.8.8.8")) }},
	{"send short name", "ok EINVAL", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 1, 0, sin(2, 9, "127.0.0.1")[:10]) }},
	{"send family 6 on v4", "ok EAFNOSUPPORT", func(r *run) { fd := r.socket(inet4, dgram, 0); r.sendto(fd, 1, 0, sin(10, 9, "127.0.0.1")) }},
	{"send autobinds", "ok EDESTADDRREQ ok:0.0.0.0:eph", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.sendto(fd, 1, 0, nil)
		r.name(fd, false)
	}},
	{"send v6only to mapped", "ok ok ENETUNREACH", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.set(fd, solIP6, abi.IPV6_V6ONLY, i32(1))
		r.sendto(fd, 1, 0, sin6(9, "::ffff:127.0.0.1", 0))
	}},
	{"send v4 sockaddr on v6", "ok ok", func(r *run) { fd := r.socket(inet6, dgram, 0); r.sendto(fd, 1, 0, sin(2, 9, "127.0.0.1")) }},
	{"ping send checks", "ok ok EINVAL EINVAL EINVAL EDESTADDRREQ", func(r *run) {
		r.rec("sysctl", r.a.SetSysctl("net.ipv4.ping_group_range", "0 0"))
		fd := r.socket(inet4, dgram, abi.IPPROTO_ICMP)
		r.rec("sendto", r.a.Sendto(fd, []byte{8, 0, 0, 0, 0, 0, 0}, 0, sin(2, 0, "127.0.0.1")))
		r.rec("sendto", r.a.Sendto(fd, []byte{0, 0, 0, 0, 0, 0, 0, 0}, 0, sin(2, 0, "127.0.0.1")))
		r.rec("sendto", r.a.Sendto(fd, []byte{8, 1, 0, 0, 0, 0, 0, 0}, 0, sin(2, 0, "127.0.0.1")))
		r.rec("sendto", r.a.Sendto(fd, []byte{8, 0, 0, 0, 0, 0, 0, 0}, 0, nil))
	}},
	{"ping bind checks", "ok ok EADDRNOTAVAIL ok EADDRNOTAVAIL ok ok", func(r *run) {
		r.rec("sysctl", r.a.SetSysctl("net.ipv4.ping_group_range", "0 0"))
		fd := r.socket(inet4, dgram, abi.IPPROTO_ICMP)
		r.bind(fd, sin(2, 0, "224.0.0.1"))
		fd = r.socket(inet4, dgram, abi.IPPROTO_ICMP)
		r.bind(fd, sin(2, 0, "255.255.255.255"))
		fd = r.socket(inet4, dgram, abi.IPPROTO_ICMP)
		r.bind(fd, sin(2, 7, "127.0.0.1"))
	}},

	// shutdown(2).
	{"shutdown unconnected", "ok ENOTCONN EPIPE", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.shutdown(fd, abi.SHUT_WR)
		r.sendto(fd, 1, 0, sin(2, 9, "127.0.0.1"))
	}},
	{"shutdown connected", "ok ok ok EPIPE EAGAIN", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.connect(fd, sin(2, 9, "127.0.0.1"))
		r.shutdown(fd, abi.SHUT_RDWR)
		r.sendto(fd, 1, 0, nil)
		r.recv(fd, 10, abi.MSG_DONTWAIT)
	}},
	{"shutdown raw", "ok ENOTCONN", func(r *run) { fd := r.socket(inet4, sockraw, 1); r.shutdown(fd, abi.SHUT_RDWR) }},
	{"recv errqueue empty", "ok EAGAIN", func(r *run) { fd := r.socket(inet4, dgram, 0); r.recv(fd, 10, abi.MSG_ERRQUEUE) }},

	// SOL_IP options.
	{"IP_TTL values", "ok EINVAL ok ok EINVAL ok EINVAL ok:40000000 EINVAL ok ok:05000000 ok ok:07000000 ok:07", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, abi.IP_TTL, i32(0))
		r.set(fd, solIP, abi.IP_TTL, i32(1))
		r.set(fd, solIP, abi.IP_TTL, i32(255))
		r.set(fd, solIP, abi.IP_TTL, i32(256))
		r.set(fd, solIP, abi.IP_TTL, i32(-1))
		r.set(fd, solIP, abi.IP_TTL, i32(-2))
		r.get(fd, solIP, abi.IP_TTL, 4)
		r.set(fd, solIP, abi.IP_TTL, nil)
		r.set(fd, solIP, abi.IP_TTL, []byte{5})
		r.get(fd, solIP, abi.IP_TTL, 4)
		r.set(fd, solIP, abi.IP_TTL, []byte{7, 0})
		r.get(fd, solIP, abi.IP_TTL, 4)
		r.get(fd, solIP, abi.IP_TTL, 1)
	}},
	{"IP_TOS", "ok ok ok:ff000000 ok ok:10000000 ok:10", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, abi.IP_TOS, i32(0x1ff))
		r.get(fd, solIP, abi.IP_TOS, 4)
		r.set(fd, solIP, abi.IP_TOS, []byte{0x10})
		r.get(fd, solIP, abi.IP_TOS, 4)
		r.get(fd, solIP, abi.IP_TOS, 2)
	}},
	{"IP_MTU_DISCOVER", "ok ok:01000000 ok EINVAL ok:05000000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.get(fd, solIP, abi.IP_MTU_DISCOVER, 4)
		r.set(fd, solIP, abi.IP_MTU_DISCOVER, i32(5))
		r.set(fd, solIP, abi.IP_MTU_DISCOVER, i32(6))
		r.get(fd, solIP, abi.IP_MTU_DISCOVER, 4)
	}},
	{"IP_MTU", "ok ENOTCONN ok ok:ffff0000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.get(fd, solIP, abi.IP_MTU, 4)
		r.connect(fd, sin(2, 9, "127.0.0.1"))
		r.get(fd, solIP, abi.IP_MTU, 4)
	}},
	{"IP_HDRINCL on udp", "ok ENOPROTOOPT ok:00000000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, abi.IP_HDRINCL, i32(1))
		r.get(fd, solIP, abi.IP_HDRINCL, 4)
	}},
	{"IP_MULTICAST_TTL and LOOP", "ok ok:01000000 ok:01000000 EINVAL ok ok:01000000 EINVAL ok ok:00000000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.get(fd, solIP, abi.IP_MULTICAST_TTL, 4)
		r.get(fd, solIP, abi.IP_MULTICAST_LOOP, 4)
		r.set(fd, solIP, abi.IP_MULTICAST_TTL, i32(256))
		r.set(fd, solIP, abi.IP_MULTICAST_TTL, i32(-1))
		r.get(fd, solIP, abi.IP_MULTICAST_TTL, 4)
		r.set(fd, solIP, abi.IP_MULTICAST_TTL, i32(-2))
		r.set(fd, solIP, abi.IP_MULTICAST_LOOP, i32(0))
		r.get(fd, solIP, abi.IP_MULTICAST_LOOP, 4)
	}},
	{"IP flags", "ok ok ok:01000000 ok ok ok ok ok:01000000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, abi.IP_PKTINFO, i32(1))
		r.get(fd, solIP, abi.IP_PKTINFO, 4)
		r.set(fd, solIP, abi.IP_RECVERR, nil)
		r.set(fd, solIP, abi.IP_RECVTTL, i32(1))
		r.set(fd, solIP, abi.IP_TRANSPARENT, i32(1))
		r.set(fd, solIP, abi.IP_FREEBIND, i32(1))
		r.get(fd, solIP, abi.IP_FREEBIND, 4)
	}},
	{"SOL_IP unknown", "ok ENOPROTOOPT ENOPROTOOPT EINVAL EINVAL ENOPROTOOPT EOPNOTSUPP EOPNOTSUPP ENOPROTOOPT", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, solIP, 99, i32(1))
		r.get(fd, solIP, 70, 4)
		r.get(fd, solIP, 99, 4)
		r.get(fd, solIP, 64, 4)
		r.get(fd, solIP, abi.IP_PKTOPTIONS, 4)
		r.set(fd, solIP, 201, i32(0))
		r.get(fd, solIP, 201, 4)
		r.set(fd, solIP, abi.IP_MTU, i32(0))
	}},
	{"membership", "ok EINVAL ok EADDRINUSE ok EADDRNOTAVAIL EINVAL", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		mreq := func(g string) []byte {
			b := sin(2, 0, g)[4:8]
			return append(append([]byte{}, b...), 127, 0, 0, 1)
		}
		r.set(fd, solIP, abi.IP_ADD_MEMBERSHIP, mreq("224.1.1.1")[:7])
		r.set(fd, solIP, abi.IP_ADD_MEMBERSHIP, mreq("224.1.1.1"))
		r.set(fd, solIP, abi.IP_ADD_MEMBERSHIP, mreq("224.1.1.1"))
		r.set(fd, solIP, abi.IP_DROP_MEMBERSHIP, mreq("224.1.1.1"))
		r.set(fd, solIP, abi.IP_DROP_MEMBERSHIP, mreq("224.1.1.1"))
		r.set(fd, solIP, abi.IP_ADD_MEMBERSHIP, mreq("10.1.1.1"))
	}},

	// SOL_IPV6 options.
	{"IPV6 hops and tclass", "ok EINVAL ok ok:40000000 EINVAL EINVAL EINVAL ok ok:00000000", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.set(fd, solIP6, abi.IPV6_UNICAST_HOPS, i32(256))
		r.set(fd, solIP6, abi.IPV6_UNICAST_HOPS, i32(-1))
		r.get(fd, solIP6, abi.IPV6_UNICAST_HOPS, 4)
		r.set(fd, solIP6, abi.IPV6_UNICAST_HOPS, i32(-2))
		r.set(fd, solIP6, abi.IPV6_UNICAST_HOPS, []byte{5})
		r.set(fd, solIP6, abi.IPV6_TCLASS, i32(256))
		r.set(fd, solIP6, abi.IPV6_TCLASS, i32(-1))
		r.get(fd, solIP6, abi.IPV6_TCLASS, 4)
	}},
	{"IPV6 misc", "ok ENOTCONN ENOPROTOOPT ENOPROTOOPT ok ok ok:01000000 ok ENOPROTOOPT", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		r.get(fd, solIP6, abi.IPV6_MTU, 4)
		r.get(fd, solIP6, 99, 4)
		r.set(fd, solIP6, 99, i32(0))
		r.set(fd, solIP, abi.IP_TTL, i32(5))
		r.set(fd, solIP6, abi.IPV6_RECVPKTINFO, i32(1))
		r.get(fd, solIP6, abi.IPV6_RECVPKTINFO, 4)
		r.set(fd, solIP6, abi.IPV6_RECVERR, i32(1))
		r.set(fd, solIP6, abi.IPV6_CHECKSUM, i32(0))
	}},
	{"IPV6 join", "ok EINVAL ok EADDRINUSE ok EADDRNOTAVAIL", func(r *run) {
		fd := r.socket(inet6, dgram, 0)
		mreq := append(sin6(0, "ff02::1:2", 0)[8:24], i32(1)...)
		r.set(fd, solIP6, abi.IPV6_JOIN_GROUP, mreq[:19])
		r.set(fd, solIP6, abi.IPV6_JOIN_GROUP, mreq)
		r.set(fd, solIP6, abi.IPV6_JOIN_GROUP, mreq)
		r.set(fd, solIP6, abi.IPV6_LEAVE_GROUP, mreq)
		r.set(fd, solIP6, abi.IPV6_LEAVE_GROUP, mreq)
	}},

	// SOL_UDP and SOL_RAW.
	{"SOL_UDP", "ok ok ok:01000000 EINVAL ENOPROTOOPT ENOPROTOOPT ok:00000000", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, abi.SOL_UDP, abi.UDP_CORK, i32(1))
		r.get(fd, abi.SOL_UDP, abi.UDP_CORK, 4)
		r.set(fd, abi.SOL_UDP, abi.UDP_CORK, []byte{1})
		r.set(fd, abi.SOL_UDP, 50, i32(1))
		r.get(fd, abi.SOL_UDP, 50, 4)
		r.get(fd, abi.SOL_UDP, abi.UDP_SEGMENT, 4)
	}},
	{"SOL_RAW ICMP_FILTER", "ok ok ok ok:01000000 ok EOPNOTSUPP EOPNOTSUPP ENOPROTOOPT ENOPROTOOPT", func(r *run) {
		fd := r.socket(inet4, sockraw, abi.IPPROTO_ICMP)
		r.set(fd, abi.SOL_RAW, 1, []byte{0, 0})
		r.set(fd, abi.SOL_RAW, 1, []byte{1, 0, 0, 0, 0, 0})
		r.get(fd, abi.SOL_RAW, 1, 8)
		u := r.socket(inet4, sockraw, abi.IPPROTO_UDP)
		r.set(u, abi.SOL_RAW, 1, i32(0))
		r.get(u, abi.SOL_RAW, 1, 4)
		r.set(fd, abi.SOL_RAW, 2, i32(0))
		r.set(fd, abi.SOL_UDP, 1, i32(0))
	}},
	{"udp foreign levels", "ok ENOPROTOOPT ENOPROTOOPT", func(r *run) {
		fd := r.socket(inet4, dgram, 0)
		r.set(fd, abi.SOL_RAW, 1, i32(0))
		r.set(fd, abi.SOL_TCP, 1, i32(0))
	}},
	{"raw send hdrincl too short", "ok EINVAL", func(r *run) {
		fd := r.socket(inet4, sockraw, abi.IPPROTO_RAW)
		r.rec("sendto", r.a.Sendto(fd, append([]byte{0x45}, make([]byte, 10)...), 0, sin(2, 0, "127.0.0.1")))
	}},
}

// pairBind binds two sockets (options set on each first) and reports
// every step.
func pairBind(o1, o2 []int, a1, a2 []byte) func(r *run) {
	return func(r *run) {
		fam := func(sa []byte) int {
			if sa[0] == 10 {
				return inet6
			}
			return inet4
		}
		x := r.socket(fam(a1), dgram, 0)
		for _, o := range o1 {
			r.set(x, abi.SOL_SOCKET, o, i32(1))
		}
		r.bind(x, a1)
		y := r.socket(fam(a2), dgram, 0)
		for _, o := range o2 {
			r.set(y, abi.SOL_SOCKET, o, i32(1))
		}
		r.bind(y, a2)
	}
}

// TestConformance runs every case on gosock against the expectations
// recorded from Linux 6.18.
func TestConformance(t *testing.T) {
	for _, c := range confCases {
		t.Run(c.name, func(t *testing.T) {
			g := newGosock(sys.Options{})
			defer g.close()
			r := &run{a: g}
			c.run(r)
			if got := r.String(); got != c.want {
				t.Errorf("gosock: %s\n                want: %s", got, c.want)
			}
		})
	}
}

// TestConformanceKernel runs every case against the host kernel in a
// throw-away network namespace and checks the recorded expectations are
// what the kernel does (root only; required under CI=true).
func TestConformanceKernel(t *testing.T) {
	ns := nettest.New(t)
	for _, c := range confCases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			err := ns.Do(func() error {
				k := &kernelAPI{}
				defer k.closeAll()
				r := &run{a: k}
				c.run(r)
				got = r.String()
				return k.SetSysctl("net.ipv4.ping_group_range", "1 0")
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("kernel: %s\n                want: %s", got, c.want)
			}
		})
	}
}

// TestPrivileges checks the capability checks with an unprivileged
// process (gosock only: the kernel test runs as root).
func TestPrivileges(t *testing.T) {
	g := newGosock(sys.Options{UID: 1000, GID: 1000, Caps: 1 << 40})
	defer g.close()
	r := &run{a: g}
	r.socket(inet4, sockraw, abi.IPPROTO_ICMP)
	r.socket(inet4, sockraw, 0) // the protocol lookup fails first
	fd := r.socket(inet4, dgram, 0)
	r.bind(fd, sin(2, 80, "127.0.0.1"))
	r.bind(fd, sin(2, 1024, "127.0.0.1"))
	r.set(fd, solIP, abi.IP_TRANSPARENT, i32(1))
	r.set(fd, solIP, abi.IP_TRANSPARENT, i32(0))
	fd6 := r.socket(inet6, dgram, 0)
	r.bind(fd6, sin6(1023, "::1", 0))
	r.rec("sysctl", g.SetSysctl("net.ipv4.ping_group_range", "1000 1000"))
	r.socket(inet4, dgram, abi.IPPROTO_ICMP)
	r.rec("sysctl", g.SetSysctl("net.ipv4.ip_unprivileged_port_start", "80"))
	fd2 := r.socket(inet4, dgram, 0)
	r.bind(fd2, sin(2, 80, "127.0.0.1"))
	want := "EPERM EPROTONOSUPPORT ok EACCES ok EPERM ok ok EACCES ok ok ok ok ok"
	if got := r.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
