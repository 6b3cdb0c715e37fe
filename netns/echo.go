package netns

import (
	"sync/atomic"

	"github.com/gosock/gosock/pktbuf"
)

// EchoHook receives ICMP or ICMPv6 messages addressed to ping sockets
// (echo replies), as Linux's ping_rcv. It reports whether it took the
// reference to pkt.
type EchoHook func(pkt *pktbuf.Buffer, info *PacketInfo) bool

// EchoHooks is a chain of echo receivers: ping sockets, and gosock's own
// pinger. The IP layers embed one.
type EchoHooks struct {
	hooks atomic.Pointer[[]EchoHook]
}

// AddEchoHook adds a receiver. Receivers are asked in the order they
// were added until one takes the packet.
func (e *EchoHooks) AddEchoHook(h EchoHook) {
	for {
		old := e.hooks.Load()
		var next []EchoHook
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, h)
		if e.hooks.CompareAndSwap(old, &next) {
			return
		}
	}
}

// DeliverEcho offers pkt to the receivers and reports whether one took
// it.
func (e *EchoHooks) DeliverEcho(pkt *pktbuf.Buffer, info *PacketInfo) bool {
	hs := e.hooks.Load()
	if hs == nil {
		return false
	}
	for _, h := range *hs {
		if h(pkt, info) {
			return true
		}
	}
	return false
}
