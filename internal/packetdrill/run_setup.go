package packetdrill

import (
	"net/netip"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	gsys "github.com/gosock/gosock/sys"
)

// defaultSeed makes runs repeat when Options.Seed is zero.
const defaultSeed = 0x7061636b65746472 // "packetdr"

// setup builds the stack under test: a namespace on a manual clock, the
// runner's device "tun0" with the stack's address and a default route to
// the peer through it, and a root process.
func (e *executor) setup() {
	e.t0 = time.Unix(clockEpochSeconds, 0)
	e.clk = clock.NewManual(e.t0)
	seed := e.opts.Seed
	if seed == 0 {
		seed = defaultSeed
	}
	// gosock.NewNamespace registers every protocol gosock has.
	e.ns = gosock.NewNamespace(netns.Options{Name: "packetdrill", Clock: e.clk, Seed: seed})
	mtu := defaultMTU
	if e.mode == ModeIPv6 {
		// Upstream gives its TUN device 1520 bytes for IPv6 runs so the
		// scripts' "mss 1460" holds for both families.
		mtu = defaultMTUIPv6
	}
	e.dev = NewDevice(DeviceName, mtu, e.clk)
	e.proc = gsys.NewProcess(e.ns, gsys.Options{})
}

// configure brings the device up with the addresses: separate from setup
// so that errors become the script's failure.
func (e *executor) configure() error {
	ifc, err := e.ns.AddInterface(e.dev)
	if err != nil {
		return err
	}
	if err := ifc.SetUp(true); err != nil {
		return err
	}
	bits, def := localPrefixLenV4, netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if e.local.Is6() {
		bits, def = localPrefixLenV6, netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	if err := ifc.AddAddressFlags(netip.PrefixFrom(e.local, bits), netns.AddrNoDAD); err != nil {
		return err
	}
	if err := e.ns.AddRoute(netns.Route{Dst: def, Iface: ifc}); err != nil {
		return err
	}
	e.settle()
	// Drop what bringing the device up sent (IPv6 reports and the like).
	for e.dev.Pending() > 0 {
		e.dev.Next()
	}
	return nil
}

// teardown ends the process (waking any call still blocked), waits for
// the calls' goroutines and closes the namespace.
func (e *executor) teardown() error {
	if e.proc == nil {
		return nil
	}
	e.proc.Exit()
	deadline := time.Now().Add(settleLimit)
	for _, c := range e.calls {
		select {
		case <-c.done:
		case <-time.After(time.Until(deadline)):
		}
	}
	e.calls = nil
	// A stack that deadlocked must not hang the runner too.
	closed := make(chan error, 1)
	go func() { closed <- e.ns.Close() }()
	select {
	case err := <-closed:
		return err
	case <-time.After(settleLimit):
		return &stepError{outcome: Fail, reason: "closing the namespace did not finish (a deadlock in the stack?)"}
	}
}
