// Package abi holds the Linux socket ABI: constant values, and the binary
// layouts of the structures that cross the syscall boundary (sockaddrs,
// msghdr, cmsg, linger, timeval, tcp_info), for x86-64.
//
// Inside gosock, protocol code receives socket addresses as the bytes
// Linux's protocols receive (struct sockaddr *, addr_len), so argument
// checks happen in the same order with the same errno. The typed
// Sockaddr values here are the face that golang.org/x/sys/unix users
// know; Marshal and Unmarshal convert between the two.
package abi

import (
	"encoding/binary"
	"net/netip"

	"github.com/gosock/gosock/errno"
)

// Sizes of the sockaddr structures.
const (
	SizeofSockaddrInet4   = 16
	SizeofSockaddrInet6   = 28
	SizeofSockaddrUnix    = 110
	SizeofSockaddrLL      = 20
	SizeofSockaddrStorage = 128
	// UnixPathMax is the size of sun_path.
	UnixPathMax = 108
)

// Sockaddr is a typed socket address, as golang.org/x/sys/unix's.
type Sockaddr interface {
	// Family returns the AF_* number.
	Family() int
}

// SockaddrInet4 is a struct sockaddr_in.
type SockaddrInet4 struct {
	Port int
	Addr [4]byte
}

// Family returns AF_INET.
func (*SockaddrInet4) Family() int { return AF_INET }

// AddrPort returns the address as a netip.AddrPort.
func (sa *SockaddrInet4) AddrPort() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
}

// SockaddrInet6 is a struct sockaddr_in6.
type SockaddrInet6 struct {
	Port     int
	FlowInfo uint32
	ZoneId   uint32
	Addr     [16]byte
}

// Family returns AF_INET6.
func (*SockaddrInet6) Family() int { return AF_INET6 }

// AddrPort returns the address as a netip.AddrPort (without zone).
func (sa *SockaddrInet6) AddrPort() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
}

// SockaddrUnix is a struct sockaddr_un. A Name starting with a NUL byte
// (or "@" in the typed form, as in x/sys/unix) is an abstract address;
// an empty Name is unnamed (autobind when binding).
type SockaddrUnix struct {
	Name string
}

// Family returns AF_UNIX.
func (*SockaddrUnix) Family() int { return AF_UNIX }

// SockaddrLinklayer is a struct sockaddr_ll.
type SockaddrLinklayer struct {
	Protocol uint16 // EtherType, host order here (network order on the wire)
	Ifindex  int
	Hatype   uint16
	Pkttype  uint8
	Halen    uint8
	Addr     [8]byte
}

// Family returns AF_PACKET.
func (*SockaddrLinklayer) Family() int { return AF_PACKET }

// SockaddrFromAddrPort returns the sockaddr for ap: sockaddr_in for IPv4
// addresses, sockaddr_in6 otherwise.
func SockaddrFromAddrPort(ap netip.AddrPort) Sockaddr {
	a := ap.Addr()
	if a.Is4() {
		return &SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

// Marshal writes sa in Linux's layout into b (which should be
// SizeofSockaddrStorage bytes) and returns its length. A nil sa writes
// nothing. An address that does not fit gives EINVAL.
func Marshal(sa Sockaddr, b []byte) (int, errno.Errno) {
	switch sa := sa.(type) {
	case nil:
		return 0, 0
	case *SockaddrInet4:
		if len(b) < SizeofSockaddrInet4 || sa.Port < 0 || sa.Port > 0xffff {
			return 0, errno.EINVAL
		}
		clear(b[:SizeofSockaddrInet4])
		binary.LittleEndian.PutUint16(b, AF_INET)
		binary.BigEndian.PutUint16(b[2:], uint16(sa.Port))
		copy(b[4:8], sa.Addr[:])
		return SizeofSockaddrInet4, 0
	case *SockaddrInet6:
		if len(b) < SizeofSockaddrInet6 || sa.Port < 0 || sa.Port > 0xffff {
			return 0, errno.EINVAL
		}
		binary.LittleEndian.PutUint16(b, AF_INET6)
		binary.BigEndian.PutUint16(b[2:], uint16(sa.Port))
		binary.BigEndian.PutUint32(b[4:], sa.FlowInfo)
		copy(b[8:24], sa.Addr[:])
		binary.LittleEndian.PutUint32(b[24:], sa.ZoneId)
		return SizeofSockaddrInet6, 0
	case *SockaddrUnix:
		name := sa.Name
		n := len(name)
		if n > UnixPathMax || len(b) < 2+n {
			return 0, errno.EINVAL
		}
		binary.LittleEndian.PutUint16(b, AF_UNIX)
		copy(b[2:], name)
		if n > 0 && name[0] == '@' {
			b[2] = 0 // abstract
		}
		if n > 0 && name[0] != '@' && name[0] != 0 && n < UnixPathMax && len(b) > 2+n {
			// Path names carry their terminating NUL when it fits, as
			// x/sys/unix writes them.
			b[2+n] = 0
			n++
		}
		return 2 + n, 0
	case *SockaddrLinklayer:
		if len(b) < SizeofSockaddrLL || sa.Ifindex < 0 || sa.Halen > 8 {
			return 0, errno.EINVAL
		}
		binary.LittleEndian.PutUint16(b, AF_PACKET)
		binary.BigEndian.PutUint16(b[2:], sa.Protocol)
		binary.LittleEndian.PutUint32(b[4:], uint32(sa.Ifindex))
		binary.LittleEndian.PutUint16(b[8:], sa.Hatype)
		b[10] = sa.Pkttype
		b[11] = sa.Halen
		copy(b[12:20], sa.Addr[:])
		return SizeofSockaddrLL, 0
	}
	return 0, errno.EAFNOSUPPORT
}

// Family returns the family field of a marshalled sockaddr, or -1 if b is
// too short to hold one.
func Family(b []byte) int {
	if len(b) < 2 {
		return -1
	}
	return int(binary.LittleEndian.Uint16(b))
}

// Unmarshal decodes a marshalled sockaddr. Lengths are checked as the
// family's protocols check them (short → EINVAL); an unknown family is
// EAFNOSUPPORT.
func Unmarshal(b []byte) (Sockaddr, errno.Errno) {
	switch Family(b) {
	case AF_INET:
		if len(b) < SizeofSockaddrInet4 {
			return nil, errno.EINVAL
		}
		sa := &SockaddrInet4{Port: int(binary.BigEndian.Uint16(b[2:]))}
		copy(sa.Addr[:], b[4:8])
		return sa, 0
	case AF_INET6:
		if len(b) < 24 { // SIN6_LEN_RFC2133: Linux accepts the old 24-byte form
			return nil, errno.EINVAL
		}
		sa := &SockaddrInet6{Port: int(binary.BigEndian.Uint16(b[2:])), FlowInfo: binary.BigEndian.Uint32(b[4:])}
		copy(sa.Addr[:], b[8:24])
		if len(b) >= SizeofSockaddrInet6 {
			sa.ZoneId = binary.LittleEndian.Uint32(b[24:])
		}
		return sa, 0
	case AF_UNIX:
		path := b[2:min(len(b), SizeofSockaddrUnix)]
		if len(path) > 0 && path[0] == 0 {
			return &SockaddrUnix{Name: "@" + string(path[1:])}, 0
		}
		for i, c := range path {
			if c == 0 {
				path = path[:i]
				break
			}
		}
		return &SockaddrUnix{Name: string(path)}, 0
	case AF_PACKET:
		// Linux reports sockaddr_ll as 12 bytes plus the hardware
		// address actually held (getsockname gives 12 or 18).
		if len(b) < 12 {
			return nil, errno.EINVAL
		}
		if len(b) < SizeofSockaddrLL {
			var full [SizeofSockaddrLL]byte
			copy(full[:], b)
			b = full[:]
		}
		sa := &SockaddrLinklayer{
			Protocol: binary.BigEndian.Uint16(b[2:]),
			Ifindex:  int(int32(binary.LittleEndian.Uint32(b[4:]))),
			Hatype:   binary.LittleEndian.Uint16(b[8:]),
			Pkttype:  b[10],
			Halen:    b[11],
		}
		copy(sa.Addr[:], b[12:20])
		return sa, 0
	case -1:
		return nil, errno.EINVAL
	}
	return nil, errno.EAFNOSUPPORT
}
