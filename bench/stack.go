package bench

import (
	"context"
	"errors"
	"net"
	"time"
)

// Stack is a network stack under test: a server side that listens and a
// client side that dials it. The two sides may be two namespaces joined
// by a link, or one host talking to itself over loopback.
//
// Modes call Listen once per run, then Dial as often as they need, from
// many goroutines at once, and Close at the end.
type Stack interface {
	// Listen opens a TCP listener on the server side, on a port the
	// stack picks. Its Addr is what Dial takes.
	Listen() (net.Listener, error)
	// Dial connects from the client side to addr, a listener's Addr.
	Dial(ctx context.Context, addr net.Addr) (net.Conn, error)
	// Close releases the stack: namespaces, links and their goroutines.
	// Connections still open may fail afterwards.
	Close() error
}

// SourceDialer is a Stack that can dial from several client addresses,
// so that a run may hold more connections to one listener than one
// address has ephemeral ports. Modes find it by type assertion.
type SourceDialer interface {
	// DialFrom dials addr from the client's src-th address (src >= 0);
	// the stack adds addresses as needed.
	DialFrom(ctx context.Context, src int, addr net.Addr) (net.Conn, error)
}

// LinkConfig is what a mode asks of the link between the two sides.
type LinkConfig struct {
	// MTU of the link; zero lets the stack choose (loopback's own).
	MTU int
	// GSO offers segmentation offload on the link, so a sender may hand
	// it segments larger than the MTU, as a veth does.
	GSO bool
	// Loss is the probability that a packet is lost, in each direction.
	Loss float64
	// RTT is the round-trip time, half of it added in each direction.
	RTT time.Duration
	// Seed seeds the link's random decisions.
	Seed int64
}

// ErrUnsupported is returned by a Factory that cannot build a stack with
// the asked LinkConfig (the host's loopback cannot lose packets, say);
// the table shows such a cell as "n/a".
var ErrUnsupported = errors.New("bench: link configuration not supported by this stack")

// Factory makes stacks of one kind.
type Factory struct {
	// Name labels the stack's column: "gosock", "gvisor", "kernel".
	Name string
	// New builds a stack with the given link, or fails with
	// ErrUnsupported.
	New func(LinkConfig) (Stack, error)
}
