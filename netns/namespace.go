package netns

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Options configure a new Namespace.
type Options struct {
	// Name identifies the namespace in logs and views ("host1").
	Name string
	// Clock is the namespace's time source; clock.Real{} when nil.
	Clock clock.Clock
	// Seed seeds the namespace's random choices (ISNs, ephemeral ports,
	// IP IDs, timer jitter) so a run repeats. Zero picks a random seed.
	Seed uint64
	// NoLoopback leaves out the "lo" interface every Linux namespace has.
	NoLoopback bool
}

// Namespace is one network stack instance.
type Namespace struct {
	name  string
	clock clock.Clock

	// Sysctl is the namespace's /proc/sys/net.
	Sysctl *Sysctls
	// MIB holds the SNMP and netstat counters.
	MIB *MIB

	mu         sync.RWMutex
	ifaces     map[int]*Interface
	nextIndex  int
	network    map[wire.EtherType]NetworkProtocol
	transport  [2][256]TransportProtocol
	rawTap     RawTap
	families   map[int]any
	state      map[any]any
	observers  []Observer
	neighProto [2]NeighProtocol
	packetTap  atomic.Pointer[tapBox]
	closed     bool

	routes4, routes6 atomic.Pointer[routeTable]

	intercepts interceptTable // steering rules (intercept.go)

	rngMu sync.Mutex
	rng   *rand.Rand

	loopback *Interface
}

// New makes a namespace. Unless opts.NoLoopback, it has a loopback
// interface "lo" (index 1) with 127.0.0.1/8 and ::1/128, brought up, as
// `ip netns add` followed by `ip link set lo up` leaves it. Protocols are
// not registered here: the layers register themselves (the gosock package
// does it all in one call).
func New(opts Options) *Namespace {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	ns := &Namespace{
		name:      opts.Name,
		clock:     clk,
		Sysctl:    NewSysctls(),
		MIB:       NewMIB(),
		ifaces:    make(map[int]*Interface),
		nextIndex: 1,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	ns.MIB.BindSysctls(ns.Sysctl)
	ns.routes4.Store(&routeTable{})
	ns.routes6.Store(&routeTable{})
	if !opts.NoLoopback {
		lo, err := ns.AddInterface(link.NewLoopback())
		if err != nil {
			panic(fmt.Sprintf("netns: adding lo: %v", err))
		}
		ns.loopback = lo
		mustPrefix := func(s string) {
			if err := lo.AddAddress(mustParsePrefix(s)); err != nil {
				panic(fmt.Sprintf("netns: lo address %s: %v", s, err))
			}
		}
		mustPrefix("127.0.0.1/8")
		mustPrefix("::1/128")
		if err := lo.SetUp(true); err != nil {
			panic(fmt.Sprintf("netns: lo up: %v", err))
		}
	}
	return ns
}

// Name returns the namespace's name.
func (ns *Namespace) Name() string { return ns.name }

// Clock returns the namespace's clock.
func (ns *Namespace) Clock() clock.Clock { return ns.clock }

// Loopback returns the "lo" interface, or nil if it was left out.
func (ns *Namespace) Loopback() *Interface { return ns.loopback }

// Rand returns a pseudo-random number from the namespace's seeded source.
func (ns *Namespace) Rand() uint64 {
	ns.rngMu.Lock()
	defer ns.rngMu.Unlock()
	return ns.rng.Uint64()
}

// AddInterface attaches dev to the namespace under the next free index.
// The interface starts down, as a new Linux device does; names must be
// unique (EEXIST).
func (ns *Namespace) AddInterface(dev link.Device) (*Interface, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.closed {
		return nil, errno.ENODEV
	}
	for _, ifc := range ns.ifaces {
		if ifc.dev.Name() == dev.Name() {
			return nil, fmt.Errorf("netns: interface %q: %w", dev.Name(), errno.EEXIST)
		}
	}
	ifc := &Interface{ns: ns, index: ns.nextIndex, dev: dev}
	ifc.mtu.Store(int64(dev.MTU()))
	ifc.addrs.Store(&[]Address{})
	ns.nextIndex++
	ns.ifaces[ifc.index] = ifc
	flags := dev.Flags()
	if err := ns.Sysctl.AddDeviceInfo(dev.Name(), DeviceInfo{
		MTU:      dev.MTU(),
		Loopback: flags&link.FlagLoopback != 0,
		NoARP:    flags&link.FlagNoARP != 0 || dev.Type() != link.TypeEthernet,
	}); err != nil {
		delete(ns.ifaces, ifc.index)
		return nil, err
	}
	dev.Attach(ifc)
	return ifc, nil
}

// RemoveInterface takes the interface down, drops its addresses and
// routes, detaches and closes its device.
func (ns *Namespace) RemoveInterface(ifc *Interface) error {
	if err := ifc.SetUp(false); err != nil {
		return err
	}
	ns.mu.Lock()
	if ns.ifaces[ifc.index] != ifc {
		ns.mu.Unlock()
		return errno.ENODEV
	}
	delete(ns.ifaces, ifc.index)
	ns.mu.Unlock()
	ifc.addrs.Store(&[]Address{})
	ns.removeRoutesVia(ifc)
	ns.Sysctl.RemoveDevice(ifc.dev.Name())
	ifc.dev.Attach(nil)
	return ifc.dev.Close()
}

// Interface returns the interface with the given index, or nil.
func (ns *Namespace) Interface(index int) *Interface {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.ifaces[index]
}

// InterfaceByName returns the interface with the given name, or nil.
func (ns *Namespace) InterfaceByName(name string) *Interface {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for _, ifc := range ns.ifaces {
		if ifc.dev.Name() == name {
			return ifc
		}
	}
	return nil
}

// Interfaces returns the interfaces in index order.
func (ns *Namespace) Interfaces() []*Interface {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	out := make([]*Interface, 0, len(ns.ifaces))
	for i := 1; i < ns.nextIndex; i++ {
		if ifc := ns.ifaces[i]; ifc != nil {
			out = append(out, ifc)
		}
	}
	return out
}

// Close removes every interface (closing its device) and stops the
// namespace's timers. Sockets are the socket layer's to close first.
func (ns *Namespace) Close() error {
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return nil
	}
	ns.closed = true
	ns.mu.Unlock()
	var first error
	for _, ifc := range ns.Interfaces() {
		if err := ns.RemoveInterface(ifc); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// dispatch hands a frame whose link header is gone to its network
// protocol, or drops it.
func (ns *Namespace) dispatch(ifc *Interface, proto wire.EtherType, pkt *pktbuf.Buffer) {
	pkt.Protocol = uint16(proto)
	pkt.SetNetworkHeader()
	p := ns.Network(proto)
	if p == nil {
		ns.MIB.Drop(DropUnhandledProto)
		pkt.Release()
		return
	}
	p.Input(ifc, pkt)
}
