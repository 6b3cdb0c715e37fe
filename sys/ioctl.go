package sys

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Generic file ioctls (asm-generic/ioctls.h) that abi does not carry.
const (
	FIONREAD  = 0x541b // = SIOCINQ
	FIONBIO   = 0x5421
	FIONCLEX  = 0x5450
	FIOCLEX   = 0x5451
	FIOASYNC  = 0x5452
	FIOQSIZE  = 0x5460
	FIOSETOWN = 0x8901
	FIOGETOWN = 0x8903
)

// enoioctlcmd is the kernel's ENOIOCTLCMD (515), which a protocol's
// ioctl returns for a command it does not know; user space never sees
// it (ENOTTY, or the device ioctls get their turn).
const enoioctlcmd = errno.Errno(515)

// Sizes of struct ifreq and its parts.
const (
	SizeofIfreq = 40
	ifNameSize  = 16 // IFNAMSIZ
	sockIocType = 0x89
)

// ARP hardware types reported by SIOCGIFHWADDR.
const (
	arphrdEther    = 1
	arphrdLoopback = 772
	arphrdNone     = 0xfffe
)

// Ifreq is struct ifreq: an interface name and a 24-byte union.
type Ifreq [SizeofIfreq]byte

// NewIfreq returns an ifreq naming the interface.
func NewIfreq(name string) *Ifreq {
	var r Ifreq
	copy(r[:ifNameSize-1], name)
	return &r
}

// Name returns the interface name.
func (r *Ifreq) Name() string {
	n := r[:ifNameSize]
	if i := bytes.IndexByte(n, 0); i >= 0 {
		n = n[:i]
	}
	return string(n)
}

// Uint32 returns the union's first four bytes (ifr_ifindex, ifr_mtu,
// ifr_metric, ifr_qlen).
func (r *Ifreq) Uint32() uint32 { return binary.LittleEndian.Uint32(r[ifNameSize:]) }

// SetUint32 sets the union's first four bytes.
func (r *Ifreq) SetUint32(v uint32) { binary.LittleEndian.PutUint32(r[ifNameSize:], v) }

// Uint16 returns the union's first two bytes (ifr_flags).
func (r *Ifreq) Uint16() uint16 { return binary.LittleEndian.Uint16(r[ifNameSize:]) }

// Inet4Addr returns the sockaddr_in address in the union (ifr_addr,
// ifr_netmask …).
func (r *Ifreq) Inet4Addr() netip.Addr {
	return netip.AddrFrom4([4]byte(r[ifNameSize+4 : ifNameSize+8]))
}

// HardwareAddr returns ifr_hwaddr's family (an ARPHRD_* type) and its
// first six data bytes.
func (r *Ifreq) HardwareAddr() (uint16, [6]byte) {
	return binary.LittleEndian.Uint16(r[ifNameSize:]), [6]byte(r[ifNameSize+2 : ifNameSize+8])
}

// Ioctl is ioctl(2) with the argument's memory in arg, which the call
// reads and writes in place (a pointer argument in Linux; an int command
// takes four bytes, an ifreq one 40). A buffer too short for what the
// command accesses is EFAULT, as an unmapped pointer is.
//
// Every file: FIOCLEX, FIONCLEX, FIONBIO (O_NONBLOCK of the open file),
// FIOASYNC (O_ASYNC; ENOTTY for files without async notification, such
// as epoll instances). Pipes: FIONREAD. Epoll instances: EPIOCSPARAMS,
// EPIOCGPARAMS, EINVAL for the rest. Sockets: FIOSETOWN/SIOCSPGRP,
// FIOGETOWN/SIOCGPGRP, the protocol's own commands (socket.Ioctler:
// SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, SIOCATMARK, SIOCGSTAMP …), the
// AF_INET address commands (SIOCGIFADDR, SIOCGIFBRDADDR,
// SIOCGIFNETMASK, SIOCGIFDSTADDR) and the device commands of any socket
// (SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFMETRIC,
// SIOCGIFTXQLEN, SIOCGIFMAP, SIOCGIFHWADDR) from the namespace's
// interfaces. Anything else is ENOTTY.
func (p *Process) Ioctl(fd int, req uint, arg []byte) error {
	return p.ioctl(fd, uint32(req), arg)
}

// IoctlGetInt runs an ioctl that writes an int and returns it.
func (p *Process) IoctlGetInt(fd int, req uint) (int, error) {
	var b [4]byte
	if err := p.ioctl(fd, uint32(req), b[:]); err != nil {
		return 0, err
	}
	return int(int32(binary.LittleEndian.Uint32(b[:]))), nil
}

// IoctlSetInt runs an ioctl that reads an int (FIONBIO, FIOASYNC,
// FIOSETOWN …).
func (p *Process) IoctlSetInt(fd int, req uint, value int) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(value)))
	return p.ioctl(fd, uint32(req), b[:])
}

// IoctlIfreq runs an interface ioctl on ifr.
func (p *Process) IoctlIfreq(fd int, req uint, ifr *Ifreq) error {
	return p.ioctl(fd, uint32(req), ifr[:])
}

func argInt(arg []byte) (int, error) {
	if len(arg) < 4 {
		return 0, errno.EFAULT
	}
	return int(int32(binary.LittleEndian.Uint32(arg))), nil
}

func putArgInt(arg []byte, v int) error {
	if len(arg) < 4 {
		return errno.EFAULT
	}
	binary.LittleEndian.PutUint32(arg, uint32(int32(v)))
	return nil
}

// hasFasync reports files with async notification (fasync), to which
// FIOASYNC and O_ASYNC apply.
func hasFasync(f File) bool {
	switch f.(type) {
	case *sockFile, *pipeEnd:
		return true
	}
	return false
}

// ioctl is do_vfs_ioctl, then the file's own ioctl.
func (p *Process) ioctl(fd int, cmd uint32, arg []byte) error {
	ref, err := p.fdget(fd)
	if err != nil {
		return err
	}
	defer p.fdput(ref)
	switch cmd {
	case FIOCLEX, FIONCLEX:
		p.setCloexec(fd, ref, cmd == FIOCLEX)
		return nil
	case FIONBIO:
		on, err := argInt(arg)
		if err != nil {
			return err
		}
		ref.mu.Lock()
		if on != 0 {
			ref.flags |= abi.O_NONBLOCK
		} else {
			ref.flags &^= abi.O_NONBLOCK
		}
		ref.mu.Unlock()
		if s, ok := ref.file.(*sockFile); ok {
			s.s.SetNonblock(on != 0)
		}
		return nil
	case FIOASYNC:
		on, err := argInt(arg)
		if err != nil {
			return err
		}
		ref.mu.Lock()
		defer ref.mu.Unlock()
		if (ref.flags&abi.O_ASYNC != 0) == (on != 0) {
			return nil
		}
		if !hasFasync(ref.file) {
			return errno.ENOTTY
		}
		ref.flags ^= abi.O_ASYNC
		p.syncAsync(ref)
		return nil
	case FIOQSIZE:
		// Only directories, regular files and links have a size.
		return errno.ENOTTY
	}
	switch f := ref.file.(type) {
	case *pipeEnd:
		if cmd == FIONREAD {
			return putArgInt(arg, f.pp.queued())
		}
		return errno.ENOTTY
	case *eventpoll:
		return f.ioctl(cmd, arg)
	case *sockFile:
		return p.sockIoctl(f, ref, cmd, arg)
	}
	if io, ok := ref.file.(interface {
		Ioctl(cmd uint, arg []byte) errno.Errno
	}); ok {
		if e := io.Ioctl(uint(cmd), arg); e != 0 && e != enoioctlcmd {
			return e
		} else if e == 0 {
			return nil
		}
	}
	return errno.ENOTTY
}

func (p *Process) setCloexec(fd int, ref *fileRef, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd < len(p.fds) && p.fds[fd].ref == ref {
		p.fds[fd].cloexec = on
	}
}

// devPrivate reports the SIOCDEVPRIVATE range.
func devPrivate(cmd uint32) bool { return cmd >= abi.SIOCDEVPRIVATE && cmd <= abi.SIOCDEVPRIVATE+15 }

// sockIoctl is sock_ioctl and sock_do_ioctl.
func (p *Process) sockIoctl(f *sockFile, ref *fileRef, cmd uint32, arg []byte) error {
	if devPrivate(cmd) {
		return p.devIoctlArg(cmd, arg)
	}
	switch cmd {
	case FIOSETOWN, abi.SIOCSPGRP:
		pid, err := argInt(arg)
		if err != nil {
			return err
		}
		p.setOwner(ref, pid)
		return nil
	case FIOGETOWN, abi.SIOCGPGRP:
		ref.mu.Lock()
		owner := ref.owner
		ref.mu.Unlock()
		return putArgInt(arg, owner)
	case abi.SIOCGSTAMP_OLD, abi.SIOCGSTAMPNS_OLD, abi.SIOCGSTAMP_NEW, abi.SIOCGSTAMPNS_NEW:
		// ops->gettstamp: the protocol's, and ENOTTY (not the device
		// ioctls) without one.
		if e := protoIoctl(f.s, cmd, arg); e != enoioctlcmd {
			return nilErr(e)
		}
		return errno.ENOTTY
	}
	if e := protoIoctl(f.s, cmd, arg); e != enoioctlcmd {
		return nilErr(e)
	}
	if f.s.Sock().Family == abi.AF_INET {
		switch cmd {
		case abi.SIOCGIFADDR, abi.SIOCGIFBRDADDR, abi.SIOCGIFNETMASK, abi.SIOCGIFDSTADDR, abi.SIOCGIFPFLAGS:
			return p.devinetIoctl(cmd, arg)
		}
	}
	if cmd>>8&0xff != sockIocType {
		return errno.ENOTTY
	}
	return p.devIoctlArg(cmd, arg)
}

// protoIoctl gives the protocol its turn: enoioctlcmd when it has no
// ioctls or does not know the command (ENOTTY counts as that too).
func protoIoctl(s *socket.Socket, cmd uint32, arg []byte) errno.Errno {
	io, ok := s.Ops().(socket.Ioctler)
	if !ok {
		return enoioctlcmd
	}
	e := io.Ioctl(uint(cmd), arg)
	if e == errno.ENOTTY {
		return enoioctlcmd
	}
	return e
}

func nilErr(e errno.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// loadIfreq copies arg into an ifreq (get_user_ifreq): EFAULT without
// one; a shorter buffer is taken as the start of one.
func loadIfreq(arg []byte) (*Ifreq, error) {
	if arg == nil {
		return nil, errno.EFAULT
	}
	var r Ifreq
	copy(r[:], arg)
	return &r, nil
}

// devIoctlArg is the device part of sock_do_ioctl: read the ifreq, run
// dev_ioctl, write it back.
func (p *Process) devIoctlArg(cmd uint32, arg []byte) error {
	ifr, err := loadIfreq(arg)
	if err != nil {
		return err
	}
	if err := p.devIoctl(cmd, ifr); err != nil {
		return err
	}
	copy(arg, ifr[:])
	return nil
}

// ifName terminates the name and cuts an alias suffix (":1"), returning
// the device name and where the colon was (-1 if none).
func ifName(ifr *Ifreq) (string, int) {
	ifr[ifNameSize-1] = 0
	name := ifr.Name()
	for i := 0; i < len(name); i++ {
		if name[i] == ':' {
			return name[:i], i
		}
	}
	return name, -1
}

// devIoctl is dev_ioctl for the commands that read interface state.
func (p *Process) devIoctl(cmd uint32, ifr *Ifreq) error {
	if cmd == abi.SIOCGIFNAME {
		ifr[ifNameSize-1] = 0
		ifc := p.iface(int(int32(ifr.Uint32())))
		if ifc == nil {
			return errno.ENODEV
		}
		n := copy(ifr[:ifNameSize-1], ifc.Name())
		ifr[n] = 0
		return nil
	}
	name, _ := ifName(ifr)
	u := ifr[ifNameSize:]
	switch cmd {
	case abi.SIOCGIFFLAGS, abi.SIOCGIFMETRIC, abi.SIOCGIFMTU, abi.SIOCGIFSLAVE,
		abi.SIOCGIFMAP, abi.SIOCGIFINDEX, abi.SIOCGIFTXQLEN:
		ifc := p.ifaceByName(name)
		if ifc == nil {
			return errno.ENODEV
		}
		switch cmd {
		case abi.SIOCGIFFLAGS:
			// ifr_flags is a short: IFF_LOWER_UP and above are cut.
			binary.LittleEndian.PutUint16(u, uint16(ifc.Flags()))
		case abi.SIOCGIFMETRIC:
			binary.LittleEndian.PutUint32(u, 0)
		case abi.SIOCGIFMTU:
			binary.LittleEndian.PutUint32(u, uint32(ifc.MTU()))
		case abi.SIOCGIFSLAVE:
			return errno.EINVAL
		case abi.SIOCGIFMAP:
			clear(u[:21]) // struct ifmap's fields: no memory, I/O or IRQ resources
		case abi.SIOCGIFINDEX:
			binary.LittleEndian.PutUint32(u, uint32(ifc.Index()))
		case abi.SIOCGIFTXQLEN:
			// gosock devices have no qdisc; report Linux's default.
			binary.LittleEndian.PutUint32(u, 1000)
		}
		return nil
	case abi.SIOCGIFHWADDR:
		ifc := p.ifaceByName(name)
		if ifc == nil {
			return errno.ENODEV
		}
		// sa_family is the ARPHRD type; sa_data gets the address's
		// bytes, the rest of it untouched (all zeroed without one).
		var typ uint16
		switch {
		case ifc.IsLoopback():
			typ = arphrdLoopback
			clear(u[2:8]) // lo has a zero Ethernet address
		case ifc.Device().Type() == link.TypeEthernet:
			typ = arphrdEther
			mac := ifc.Device().HardwareAddr()
			copy(u[2:8], mac[:])
		default:
			typ = arphrdNone
			clear(u[2:16])
		}
		binary.LittleEndian.PutUint16(u, typ)
		return nil
	case abi.SIOCWANDEV:
		if p.ifaceByName(name) == nil {
			return errno.ENODEV
		}
		return errno.EOPNOTSUPP
	}
	if devPrivate(cmd) {
		if p.ifaceByName(name) == nil {
			return errno.ENODEV
		}
		return errno.EOPNOTSUPP
	}
	return errno.ENOTTY
}

// devinetIoctl is devinet_ioctl for the address commands of AF_INET
// sockets (inet_ioctl): the address, broadcast, netmask or destination
// of the interface's first IPv4 address whose label is the given name
// (preferring the one equal to the address passed in, 4.4BSD style).
func (p *Process) devinetIoctl(cmd uint32, arg []byte) error {
	ifr, err := loadIfreq(arg)
	if err != nil {
		return err
	}
	ifr[ifNameSize-1] = 0
	label := ifr.Name()
	var orig [16]byte
	copy(orig[:], ifr[ifNameSize:])
	name, _ := ifName(ifr)
	if cmd == abi.SIOCGIFPFLAGS {
		return errno.EINVAL
	}
	tryMatch := binary.LittleEndian.Uint16(orig[:]) == abi.AF_INET
	sin := ifr[ifNameSize : ifNameSize+16]
	clear(sin)
	binary.LittleEndian.PutUint16(sin, abi.AF_INET)
	ifc := p.ifaceByName(name)
	if ifc == nil {
		return errno.ENODEV
	}
	// gosock's addresses carry no label of their own: each is labelled
	// with its interface's name, as addresses added without one are.
	var found *netns.Address
	if label == ifc.Name() {
		addrs := ifc.Addresses()
		for i := range addrs {
			if tryMatch && addrs[i].Addr().Is4() && addrs[i].Addr().As4() == [4]byte(orig[4:8]) {
				found = &addrs[i]
				break
			}
		}
		for i := range addrs {
			if found == nil && addrs[i].Addr().Is4() {
				found = &addrs[i]
			}
		}
	}
	if found == nil {
		return errno.EADDRNOTAVAIL
	}
	var v [4]byte
	switch cmd {
	case abi.SIOCGIFADDR, abi.SIOCGIFDSTADDR:
		v = found.Addr().As4()
	case abi.SIOCGIFBRDADDR:
		if found.Broadcast.Is4() {
			v = found.Broadcast.As4()
		}
	case abi.SIOCGIFNETMASK:
		bits := found.Prefix.Bits()
		m := ^uint32(0) << (32 - bits)
		if bits == 0 {
			m = 0
		}
		binary.BigEndian.PutUint32(v[:], m)
	}
	copy(sin[4:8], v[:])
	copy(arg, ifr[:])
	return nil
}

func (p *Process) iface(index int) *netns.Interface {
	if p.ns == nil || index <= 0 {
		return nil
	}
	return p.ns.Interface(index)
}

func (p *Process) ifaceByName(name string) *netns.Interface {
	if p.ns == nil || name == "" {
		return nil
	}
	return p.ns.InterfaceByName(name)
}
