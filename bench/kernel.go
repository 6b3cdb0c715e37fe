package bench

import (
	"context"
	"net"
	"net/netip"
)

// Kernel makes stacks of the host kernel's TCP over real sockets on
// 127.0.0.1 (DialFrom uses further 127.1.x.y sources). The loopback
// cannot be impaired or given another MTU from an unprivileged process,
// so only a perfect link with loopback's own MTU is supported. The
// figures include Go's runtime network poller, as any Go program on the
// host pays it; the heap figures of idle count only the Go side of a
// connection, not the kernel's memory.
var Kernel = Factory{Name: "kernel", New: newKernel}

type kernelStack struct{}

func newKernel(cfg LinkConfig) (Stack, error) {
	if cfg.Loss != 0 || cfg.RTT != 0 || cfg.GSO || (cfg.MTU != 0 && cfg.MTU < 65280) {
		return nil, ErrUnsupported
	}
	raiseFileLimit()
	return kernelStack{}, nil
}

func (kernelStack) Listen() (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1} // as the dialers: see gosockStack.Listen
	return lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
}

func (kernelStack) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1}
	return d.DialContext(ctx, "tcp4", addr.String())
}

func (kernelStack) DialFrom(ctx context.Context, src int, addr net.Addr) (net.Conn, error) {
	a := nthAddr(netip.MustParseAddr("127.1.0.1"), src)
	d := net.Dialer{KeepAlive: -1, LocalAddr: &net.TCPAddr{IP: a.AsSlice()}}
	return d.DialContext(ctx, "tcp4", addr.String())
}

func (kernelStack) Close() error { return nil }
