package packetdrill

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// fakeTCP is a scripted stand-in for TCP over IPv4, installed as the
// namespace's transport for protocol 6. It answers a SYN with a SYN-ACK
// (after a delay, retransmitted on a timer), sends a train of data
// segments once the handshake completes, acks data, and can open a
// connection itself. It exercises the runner's TCP machinery (ISN
// binding, ack and timestamp mapping, aggregation, timing, extra and
// missing packets) before gosock has a TCP of its own.
type fakeTCP struct {
	// Configuration.
	isn        uint32
	synAckOpts []byte
	delay      time.Duration // before the SYN-ACK
	rto        time.Duration // SYN-ACK retransmission timeout; 0: none
	retries    int           // SYN-ACK retransmissions
	train      []int         // payload sizes sent once established
	pshLast    bool          // PSH on the train's last segment
	extraAck   bool          // a pure ACK after the SYN-ACK
	tsVal      uint32        // if not 0, a TS option in the SYN-ACK
	connectAt  time.Duration // if not 0, send a SYN at this time
	connectTo  uint16

	ns  *netns.Namespace
	clk clock.Clock
	dev interface{ Transmit(*pktbuf.Buffer) error }

	mu       sync.Mutex
	peer     netip.Addr
	peerPort uint16
	local    netip.Addr
	peerNext uint32
	sent     int
	acked    bool
	timer    clock.Timer
	ecrs     []uint32
}

// install is the Options.Setup hook.
func (f *fakeTCP) install(ns *netns.Namespace) error {
	f.ns, f.clk = ns, ns.Clock()
	f.dev = ns.InterfaceByName(DeviceName).Device()
	ns.RegisterTransport(4, wire.ProtoTCP, f)
	if f.connectAt > 0 {
		f.clk.AfterFunc(f.connectAt, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.local, f.peer, f.peerPort = DefaultLocalIPv4, DefaultRemoteIPv4, f.connectTo
			f.send(wire.TCPFlagSYN, f.isn, 0, nil, opt(2, 4, 0x05, 0xb4))
		})
	}
	return nil
}

// Input implements netns.TransportProtocol.
func (f *fakeTCP) Input(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	defer pkt.Release()
	h, err := wire.ParseTCP(pkt.Bytes())
	if err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var o wire.TCPOptions
	if wire.ParseTCPOptions(h.Options(), &o) == nil && o.HasTimestamps {
		f.ecrs = append(f.ecrs, o.TSEcr)
	}
	switch fl := h.Flags(); {
	case fl&wire.TCPFlagRST != 0:
	case fl&(wire.TCPFlagSYN|wire.TCPFlagACK) == wire.TCPFlagSYN:
		f.local, f.peer, f.peerPort, f.peerNext = info.Dst, info.Src, h.SrcPort(), h.Seq()+1+uint32(len(h.Payload()))
		if f.delay > 0 {
			f.clk.AfterFunc(f.delay, func() { f.mu.Lock(); f.synAck(f.retries); f.mu.Unlock() })
		} else {
			f.synAck(f.retries)
		}
	case fl&(wire.TCPFlagSYN|wire.TCPFlagACK) == wire.TCPFlagSYN|wire.TCPFlagACK:
		// Our own active open completes.
		f.peerNext, f.acked = h.Seq()+1, true
		f.send(wire.TCPFlagACK, f.isn+1, f.peerNext, nil, nil)
	case h.Ack() == f.isn+1 && !f.acked:
		f.acked = true
		if f.timer != nil {
			f.timer.Stop()
		}
		f.sendTrain()
	case len(h.Payload()) > 0:
		f.peerNext = h.Seq() + uint32(len(h.Payload()))
		f.send(wire.TCPFlagACK, f.isn+1+uint32(f.sent), f.peerNext, nil, nil)
	}
}

// ControlInput implements netns.TransportProtocol.
func (f *fakeTCP) ControlInput(*netns.ControlError) {}

func (f *fakeTCP) synAck(retries int) {
	opts := f.synAckOpts
	if f.tsVal != 0 {
		ts := make([]byte, 12)
		copy(ts, []byte{1, 1, 8, 10})
		binary.BigEndian.PutUint32(ts[4:], f.tsVal)
		opts = append(append([]byte(nil), opts...), ts...)
	}
	f.send(wire.TCPFlagSYN|wire.TCPFlagACK, f.isn, f.peerNext, nil, opts)
	if f.extraAck {
		f.send(wire.TCPFlagACK, f.isn+1, f.peerNext, nil, nil)
	}
	if f.rto > 0 && retries > 0 {
		f.timer = f.clk.AfterFunc(f.rto, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.acked {
				f.synAck(retries - 1)
			}
		})
	}
}

func (f *fakeTCP) sendTrain() {
	for i, n := range f.train {
		fl := wire.TCPFlagACK
		if f.pshLast && i == len(f.train)-1 {
			fl |= wire.TCPFlagPSH
		}
		f.send(fl, f.isn+1+uint32(f.sent), f.peerNext, make([]byte, n), nil)
		f.sent += n
	}
}

// send transmits a segment to the peer; the caller holds f.mu.
func (f *fakeTCP) send(flags wire.TCPFlags, seq, ack uint32, payload, opts []byte) {
	sport, dport := uint16(8080), f.peerPort
	if f.connectAt > 0 {
		sport = 40000
	}
	fields := wire.TCPFields{SrcPort: sport, DstPort: dport, Seq: seq, Ack: ack, Flags: flags, Window: 502, Options: opts}
	l4 := make([]byte, fields.Len()+len(payload))
	fields.Encode(l4)
	copy(l4[fields.Len():], payload)
	h := wire.TCP(l4)
	h.SetChecksum(h.ComputeChecksum(f.local, f.peer))
	_ = f.dev.Transmit(pktbuf.FromBytes(pktbuf.DefaultHeadroom, ipPacket(f.local, f.peer, wire.ProtoTCP, 0, 64, nil, l4)))
}
