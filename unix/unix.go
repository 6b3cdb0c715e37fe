package unix

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// DefaultMaxDgramQlen is net.unix.max_dgram_qlen in a new namespace.
const DefaultMaxDgramQlen = 10

// stateKey finds the family's per-namespace state.
type stateKey struct{}

// nsState is what a namespace holds for AF_UNIX (net->unx): the bound
// names and the settings.
type nsState struct {
	ns *netns.Namespace

	maxDgramQlen atomic.Int32

	// mu guards the name tables. It is taken after a socket's locks,
	// never before.
	mu sync.Mutex
	// abstract maps the abstract names to their sockets, one name space
	// per socket type as Linux's hash (which mixes in the type) makes it.
	abstract map[nameKey]*unixSock
	// paths are the filesystem names: a node stays after its socket
	// closes, until Unlink.
	paths map[string]*pathNode
}

type nameKey struct {
	typ  int
	name string // sun_path bytes, leading NUL included
}

// pathNode is a socket file: sock is nil once the socket closed.
type pathNode struct {
	sock *unixSock
}

// family is the AF_UNIX net_proto_family.
type family struct {
	st *nsState
}

// Register installs AF_UNIX in ns (sock_register and unix_net_init).
// Registering twice keeps the first registration's names and settings.
func Register(ns *netns.Namespace) {
	st, _ := ns.ProtocolState(stateKey{}).(*nsState)
	if st == nil {
		st = &nsState{
			ns:       ns,
			abstract: make(map[nameKey]*unixSock),
			paths:    make(map[string]*pathNode),
		}
		st.maxDgramQlen.Store(DefaultMaxDgramQlen)
		ns.SetProtocolState(stateKey{}, st)
	}
	ns.RegisterFamily(abi.AF_UNIX, &family{st: st})
}

func stateOf(ns *netns.Namespace) (*nsState, error) {
	st, _ := ns.ProtocolState(stateKey{}).(*nsState)
	if st == nil {
		return nil, fmt.Errorf("unix: AF_UNIX is not registered in namespace %q", ns.Name())
	}
	return st, nil
}

// SetMaxDgramQlen sets net.unix.max_dgram_qlen for sockets made from now
// on. Linux takes any int (proc_dointvec); a negative value makes every
// datagram receiver full.
func SetMaxDgramQlen(ns *netns.Namespace, n int) error {
	st, err := stateOf(ns)
	if err != nil {
		return err
	}
	if n < -1<<31 || n > 1<<31-1 {
		return errno.EINVAL
	}
	st.maxDgramQlen.Store(int32(n))
	return nil
}

// MaxDgramQlen returns net.unix.max_dgram_qlen.
func MaxDgramQlen(ns *netns.Namespace) int {
	st, err := stateOf(ns)
	if err != nil {
		return DefaultMaxDgramQlen
	}
	return int(st.maxDgramQlen.Load())
}

// Unlink removes a filesystem name, as unlink(2) of the socket file: a
// socket still bound to it keeps its address, but nothing can connect
// to it any more, and the path may be bound again. A path not in the
// table is ENOENT.
func Unlink(ns *netns.Namespace, path string) error {
	st, err := stateOf(ns)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.paths[path]; !ok {
		return errno.ENOENT
	}
	delete(st.paths, path)
	return nil
}

// Paths returns the filesystem names in the table, in no order.
func Paths(ns *netns.Namespace) []string {
	st, err := stateOf(ns)
	if err != nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]string, 0, len(st.paths))
	for p := range st.paths {
		out = append(out, p)
	}
	return out
}

// Create is unix_create: a protocol other than 0 or PF_UNIX is
// EPROTONOSUPPORT, checked before the type; SOCK_RAW is taken as
// SOCK_DGRAM, other types than stream, datagram and seqpacket are
// ESOCKTNOSUPPORT.
func (f *family) Create(s *socket.Sock, typ, protocol int, kern bool) (socket.ProtoOps, errno.Errno) {
	if protocol != 0 && protocol != abi.AF_UNIX {
		return nil, errno.EPROTONOSUPPORT
	}
	switch typ {
	case abi.SOCK_STREAM, abi.SOCK_DGRAM, abi.SOCK_SEQPACKET:
	case abi.SOCK_RAW:
		typ = abi.SOCK_DGRAM
	default:
		return nil, errno.ESOCKTNOSUPPORT
	}
	s.Type = typ
	// sk_protocol stays 0: unix_create1 never sets it.
	s.Protocol = 0
	return newSock(f.st, s, typ), 0
}

// sockName is a checked sockaddr_un: an abstract name or a path.
type sockName struct {
	raw  []byte // the address as Linux keeps it (unix_address)
	path string // "" for an abstract name
}

const sunPathOffset = 2 // offsetof(struct sockaddr_un, sun_path)

// parseName is unix_validate_addr, then unix_mkname_bsd for paths: a
// length not above the family field or beyond sockaddr_un, or another
// family, is EINVAL. A path ends at its first NUL (or the length given)
// and is kept with its NUL, as Linux stores it.
func parseName(b []byte) (*sockName, errno.Errno) {
	if len(b) <= sunPathOffset || len(b) > abi.SizeofSockaddrUnix {
		return nil, errno.EINVAL
	}
	if binary.LittleEndian.Uint16(b) != abi.AF_UNIX {
		return nil, errno.EINVAL
	}
	if b[sunPathOffset] == 0 {
		return &sockName{raw: append([]byte(nil), b...)}, 0
	}
	p := b[sunPathOffset:]
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	raw := make([]byte, sunPathOffset+len(p)+1)
	binary.LittleEndian.PutUint16(raw, abi.AF_UNIX)
	copy(raw[sunPathOffset:], p)
	return &sockName{raw: raw, path: string(p)}, 0
}

func (n *sockName) key(typ int) nameKey {
	return nameKey{typ: typ, name: string(n.raw[sunPathOffset:])}
}

// find is unix_find_other: a path that is not there is ENOENT, a path
// or abstract name with no socket ECONNREFUSED, a path held by another
// type of socket EPROTOTYPE. Abstract names are looked up among sockets
// of the caller's type only, as Linux's hash does, so another type gives
// ECONNREFUSED.
func (st *nsState) find(n *sockName, typ int) (*unixSock, errno.Errno) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n.path == "" {
		s := st.abstract[n.key(typ)]
		if s == nil {
			return nil, errno.ECONNREFUSED
		}
		return s, 0
	}
	node := st.paths[n.path]
	if node == nil {
		return nil, errno.ENOENT
	}
	s := node.sock
	if s == nil {
		return nil, errno.ECONNREFUSED
	}
	if s.typ != typ {
		return nil, errno.EPROTOTYPE
	}
	return s, 0
}

// unhash takes a closing socket out of the name tables (its path node
// stays, socketless).
func (st *nsState) unhash(u *unixSock, a *address) {
	if a == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if a.node != nil {
		if a.node.sock == u {
			a.node.sock = nil
		}
		return
	}
	k := nameKey{typ: u.typ, name: string(a.raw[sunPathOffset:])}
	if st.abstract[k] == u {
		delete(st.abstract, k)
	}
}
