package sys

import (
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

// Socketpair is socketpair(2), as __sys_socketpair: flags other than
// SOCK_NONBLOCK and SOCK_CLOEXEC are EINVAL; two free descriptors are
// needed first (EMFILE); then both sockets are made (the family's
// errors) and joined by the family (EOPNOTSUPP for a family without
// socketpair, as AF_INET).
func (p *Process) Socketpair(domain, typ, proto int) ([2]int, error) {
	bad := [2]int{-1, -1}
	flags := typ &^ sockTypeMask
	if flags&^(abi.SOCK_CLOEXEC|abi.SOCK_NONBLOCK) != 0 {
		return bad, errno.EINVAL
	}
	if !p.freeFDs(2) {
		return bad, errno.EMFILE
	}
	o := socket.Options{Creds: p.creds, Hooks: p.hooks}
	s1, e := socket.Create(p.ns, domain, typ&sockTypeMask, proto, o)
	if e != 0 {
		return bad, e
	}
	s2, e := socket.Create(p.ns, domain, typ&sockTypeMask, proto, o)
	if e != 0 {
		s1.Close()
		return bad, e
	}
	pr, ok := s1.Ops().(socket.Pairer)
	if !ok {
		s2.Close()
		s1.Close()
		return bad, errno.EOPNOTSUPP
	}
	if e := pr.Pair(s2.Ops()); e != 0 {
		s2.Close()
		s1.Close()
		return bad, e
	}
	fd1, err := p.installSocket(s1, flags)
	if err != nil {
		s2.Close()
		return bad, err
	}
	fd2, err := p.installSocket(s2, flags)
	if err != nil {
		p.uninstall(fd1)
		return bad, err
	}
	return [2]int{fd1, fd2}, nil
}
