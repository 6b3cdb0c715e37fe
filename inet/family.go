package inet

import (
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// IPProtoMax is IPPROTO_MAX: protocol numbers at or above it are EINVAL.
const IPProtoMax = 263

// Protosw flags, as Linux's INET_PROTOSW_*.
const (
	// ProtoswReuse turns SO_REUSEADDR on in new sockets (raw and ping).
	ProtoswReuse = 1 << iota
	// ProtoswPermanent marks an entry later registrations cannot override.
	ProtoswPermanent
	// ProtoswICSK marks connection-oriented protocols (TCP).
	ProtoswICSK
)

// OpsKind selects the socket operations a protocol's sockets get.
type OpsKind int

// The three flavours of proto_ops Linux's inet families use.
const (
	DgramOps  OpsKind = iota // inet_dgram_ops: UDP
	StreamOps                // inet_stream_ops: TCP
	RawOps                   // inet_sockraw_ops: raw and ping sockets
)

// Protosw is one entry of the inetsw table (struct inet_protosw): which
// Proto serves sockets of Type and Protocol. Protocol IPPROTO_IP (0) is a
// wildcard that matches any protocol number (raw sockets).
type Protosw struct {
	Type     int
	Protocol int
	Proto    Proto
	Ops      OpsKind
	Flags    int
	// V4 and V6 say which families the entry serves (both if neither).
	V4, V6 bool
}

func (p *Protosw) serves(v6 bool) bool {
	if p.V4 == p.V6 {
		return true
	}
	return p.V6 == v6
}

type stateKey struct{}

// Stack is the inet state of one namespace: the inetsw table and the
// multicast reporter.
type Stack struct {
	ns *netns.Namespace

	mu sync.RWMutex
	sw [sockMax][]Protosw

	igmp igmpState
}

const sockMax = 11

// Register installs AF_INET and AF_INET6 in ns and returns the inet
// state; a second call returns the state already installed.
func Register(ns *netns.Namespace) *Stack {
	if s := Of(ns); s != nil {
		return s
	}
	s := &Stack{ns: ns}
	s.igmp.init(s)
	ns.SetProtocolState(stateKey{}, s)
	ns.RegisterFamily(abi.AF_INET, family{s, false})
	ns.RegisterFamily(abi.AF_INET6, family{s, true})
	return s
}

// Of returns the inet state of ns, or nil.
func Of(ns *netns.Namespace) *Stack {
	s, _ := ns.ProtocolState(stateKey{}).(*Stack)
	return s
}

// Namespace returns the namespace.
func (s *Stack) Namespace() *netns.Namespace { return s.ns }

// AddProtocol registers a protocol in ns's inetsw table, registering the
// families first if needed (inet_register_protosw). An entry with the
// type and protocol of a permanent one is refused with EPERM; otherwise
// the new entry goes after the permanent ones and before older
// non-permanent ones, so it overrides them.
func AddProtocol(ns *netns.Namespace, p Protosw) error {
	s := Register(ns)
	if p.Type <= 0 || p.Type >= sockMax || p.Proto == nil {
		return errno.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.sw[p.Type]
	at := 0
	for i, o := range list {
		if o.Protocol == p.Protocol && o.Flags&ProtoswPermanent != 0 && (o.V4 == p.V4 && o.V6 == p.V6 || !o.V4 && !o.V6) {
			return errno.EPERM
		}
		if o.Flags&ProtoswPermanent != 0 {
			at = i + 1
		}
	}
	next := make([]Protosw, 0, len(list)+1)
	next = append(next, list[:at]...)
	next = append(next, p)
	next = append(next, list[at:]...)
	s.sw[p.Type] = next
	return nil
}

// lookup is inet_create's search of inetsw[typ]. The entry it returns
// is shared: Register replaces a type's list whole, never an entry in it.
func (s *Stack) lookup(typ, protocol int, v6 bool) (*Protosw, int, errno.Errno) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := errno.ESOCKTNOSUPPORT
	list := s.sw[typ]
	for i := range list {
		a := &list[i]
		if !a.serves(v6) {
			continue
		}
		err = 0
		if protocol == a.Protocol {
			if protocol != abi.IPPROTO_IP {
				return a, protocol, 0
			}
		} else {
			// Check the non-wildcard case first.
			if protocol == abi.IPPROTO_IP {
				return a, a.Protocol, 0
			}
			if a.Protocol == abi.IPPROTO_IP {
				return a, protocol, 0
			}
		}
		err = errno.EPROTONOSUPPORT
	}
	return nil, 0, err
}

// family is the socket.Family of AF_INET (v6 false) or AF_INET6.
type family struct {
	s  *Stack
	v6 bool
}

// Create is inet_create / inet6_create.
func (f family) Create(so *socket.Sock, typ, protocol int, kern bool) (socket.ProtoOps, errno.Errno) {
	if protocol < 0 || protocol >= IPProtoMax {
		return nil, errno.EINVAL
	}
	if typ < 0 || typ >= sockMax {
		return nil, errno.ESOCKTNOSUPPORT
	}
	sw, proto, e := f.s.lookup(typ, protocol, f.v6)
	if e != 0 {
		return nil, e
	}
	if typ == abi.SOCK_RAW && !kern && !so.Creds.Has(socket.CapNetRaw) {
		return nil, errno.EPERM
	}
	so.Protocol = proto
	sk := newSock(f.s, so, f.v6, sw)
	if sw.Flags&ProtoswReuse != 0 {
		so.SetFlag(abi.SO_REUSEADDR, true)
	}
	if typ == abi.SOCK_RAW {
		sk.Num = uint16(proto)
		if proto == abi.IPPROTO_RAW {
			sk.opts.hdrincl = true
		}
	}
	ps, e := sw.Proto.Init(sk)
	if e != 0 {
		return nil, e
	}
	sk.Proto = ps
	return sk.ops(), 0
}
