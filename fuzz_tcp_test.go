package gosock_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/stall"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// fuzzBytes hands out the fuzzer's input field by field; once it runs
// out every field reads as zero.
type fuzzBytes []byte

func (b *fuzzBytes) u8() uint8 {
	if len(*b) == 0 {
		return 0
	}
	v := (*b)[0]
	*b = (*b)[1:]
	return v
}

func (b *fuzzBytes) u16() uint16 { return uint16(b.u8())<<8 | uint16(b.u8()) }

func (b *fuzzBytes) u32() uint32 { return uint32(b.u16())<<16 | uint32(b.u16()) }

func (b *fuzzBytes) take(n int) []byte {
	n = min(n, len(*b))
	v := (*b)[:n]
	*b = (*b)[n:]
	return v
}

// The states a FuzzTCPLive input starts from: the first byte picks one.
const (
	liveListen = iota
	liveSynSent
	liveSynRecv
	liveEstabPassive
	liveEstabActive
	liveFinWait1
	liveFinWait2
	liveCloseWait
	liveLastAck
	liveClosing
	liveTimeWait
	liveBusy // established with data both ways in flight and out of order
	liveStates
)

// liveSetup drives a fresh rawPeer into state and returns the socket
// under test (-1 for none) and the listener (-1 for none).
func liveSetup(r *rawPeer, state int) (fd, lfd int) {
	lfd = -1
	switch state {
	case liveListen:
		return -1, r.listen(8)
	case liveSynSent:
		fd, err := r.proc.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
		if err != nil {
			r.t.Fatal(err)
		}
		r.proc.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}})
		syn := r.expect(wire.TCPFlagSYN)
		r.sport, r.lport, r.peerNxt = 80, syn.SrcPort(), 777
		return fd, -1
	case liveSynRecv:
		lfd = r.listen(8)
		r.inject(seg{seq: 5000, flags: wire.TCPFlagSYN, opts: r.synOpts()})
		r.peerNxt = 5001
		r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
		return -1, lfd
	case liveEstabActive:
		return r.connect(3_000_000_000), -1
	}
	lfd = r.listen(8)
	fd = r.handshake(lfd, 40000, 0xfffff000) // close to wrapping
	ack := func() {
		r.all()
		r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, opts: r.ts()})
	}
	switch state {
	case liveFinWait1, liveFinWait2, liveClosing, liveTimeWait:
		r.proc.Shutdown(fd, abi.SHUT_WR)
		switch state {
		case liveFinWait2:
			ack()
		case liveClosing:
			r.all()
			r.inject(seg{seq: r.peerNxt, ack: r.ourNxt - 1, flags: wire.TCPFlagACK | wire.TCPFlagFIN, opts: r.ts()})
			r.peerNxt++
		case liveTimeWait:
			r.all()
			r.data(nil, wire.TCPFlagFIN)
		}
	case liveCloseWait, liveLastAck:
		r.data([]byte("bye"), wire.TCPFlagFIN)
		if state == liveLastAck {
			r.proc.Shutdown(fd, abi.SHUT_WR)
		}
	case liveBusy:
		r.proc.Write(fd, make([]byte, 20000))
		r.inject(seg{seq: r.peerNxt + 3000, ack: r.ourNxt, flags: wire.TCPFlagACK, payload: make([]byte, 1000), opts: r.ts()})
		r.data(make([]byte, 500), 0)
	}
	r.all()
	return fd, lfd
}

// liveOp applies one fuzzer-chosen operation: a segment from the peer
// (sequence and acknowledgment relative to the connection or raw, any
// flags, window, options bytes and payload), a segment on another port,
// a socket call, or time passing.
func liveOp(r *rawPeer, in *fuzzBytes, fd, lfd *int) {
	op := in.u8()
	switch op % 12 {
	case 0, 1, 2, 3: // a segment on the connection
		flags := wire.TCPFlags(in.u8())
		mode := in.u8()
		seq := r.ourAck + uint32(int32(int16(in.u16())))
		if mode&1 != 0 {
			seq = in.u32()
		}
		ack := r.ourNxt + uint32(int32(int16(in.u16())))
		if mode&2 != 0 {
			ack = in.u32()
		}
		s := seg{seq: seq, ack: ack, flags: flags, window: in.u16(), badSum: mode&4 != 0}
		if mode&8 != 0 {
			s.opts = r.ts()
			if mode&16 != 0 {
				s.opts.TSVal -= uint32(in.u16()) // old: PAWS
			}
		}
		if mode&32 != 0 {
			s.rawOpts = in.take(int(in.u8() % 41))
			if s.opts != nil {
				s.rawOpts = s.rawOpts[:min(len(s.rawOpts), 28)]
			}
		}
		if mode&64 != 0 {
			s.sport = in.u16()
		}
		s.payload = make([]byte, int(in.u16())%1461)
		copy(s.payload, in.take(16))
		if s.window == 0 && mode&128 == 0 {
			s.window = 1 // zero windows only when asked
		}
		r.inject(s)
	case 4: // in-sequence data (and FIN) from the peer, acknowledging ours
		n := int(in.u16()) % 3000
		r.data(make([]byte, n), wire.TCPFlags(in.u8())&(wire.TCPFlagFIN|wire.TCPFlagPSH))
	case 5: // read
		if *fd >= 0 {
			r.proc.Read(*fd, make([]byte, int(in.u16())))
		}
	case 6: // write
		if *fd >= 0 {
			r.proc.Write(*fd, make([]byte, int(in.u16())))
		}
	case 7: // shutdown, close, abort
		if *fd < 0 {
			break
		}
		switch in.u8() % 4 {
		case 0, 1, 2:
			r.proc.Shutdown(*fd, int(op>>4)%3)
		case 3:
			if op&0x80 != 0 {
				r.proc.SetsockoptLinger(*fd, true, 0) // abortive close
			}
			r.proc.Close(*fd)
			*fd = -1
		}
	case 8: // time passes: 1 ms to about 9 minutes
		r.advance(time.Duration(1<<(in.u8()%20)) * time.Millisecond)
	case 9: // options
		if *fd < 0 {
			break
		}
		v := int(in.u16())
		switch in.u8() % 6 {
		case 0:
			r.proc.SetsockoptInt(*fd, abi.SOL_SOCKET, abi.SO_RCVBUF, v)
		case 1:
			r.proc.SetsockoptInt(*fd, abi.SOL_SOCKET, abi.SO_SNDBUF, v)
		case 2:
			r.proc.SetsockoptInt(*fd, abi.SOL_TCP, abi.TCP_NODELAY, v&1)
		case 3:
			r.proc.SetsockoptInt(*fd, abi.SOL_TCP, abi.TCP_USER_TIMEOUT, v)
		case 4:
			r.proc.SetsockoptInt(*fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, v&1)
		case 5:
			r.proc.SetsockoptInt(*fd, abi.SOL_TCP, abi.TCP_CORK, v&1)
		}
	case 10: // accept, or a SYN from a new port at the listener
		if lfd := *lfd; lfd >= 0 {
			if nfd, _, err := r.proc.Accept4(lfd, abi.SOCK_NONBLOCK); err == nil {
				if *fd >= 0 {
					r.proc.Close(*fd)
				}
				*fd = nfd
				break
			}
			port := in.u16()
			r.inject(seg{sport: port, dport: 80, seq: in.u32(), flags: wire.TCPFlagSYN, opts: r.synOpts()})
		}
	case 11: // the peer acknowledges everything we sent
		r.inject(seg{seq: r.ourAck, ack: r.ourNxt, flags: wire.TCPFlagACK, window: in.u16() | 1, opts: r.ts()})
	}
	r.all()
}

// FuzzTCPLive drives a live TCP connection, taken first into one of
// twelve states (LISTEN, SYN-SENT, SYN-RECV, ESTABLISHED either way,
// FIN-WAIT-1/2, CLOSE-WAIT, LAST-ACK, CLOSING, TIME-WAIT, or a busy
// connection with data in flight both ways), through a fuzzer-chosen
// sequence of up to 64 segments, socket calls and clock jumps. After
// every step TCP's invariants must hold (sequence space in order, what
// was sent within what was queued,
// out-of-order data sorted and in the window, the memory charged what
// the connection holds); at the end every fd is closed and the clock
// run out, and no connection, charged memory or packet buffer may be
// left. A panic or a hang fails the input.
func FuzzTCPLive(f *testing.F) {
	for state := range liveStates {
		f.Add([]byte{byte(state)})
		// Data in, data out, then the peer's ACK and a minute passing.
		f.Add([]byte{byte(state), 4, 5, 0xdc, 0, 6, 0x10, 0, 11, 0xff, 0xff, 8, 16, 5, 0xff, 0xff})
		// A blind RST and SYN inside the window, then an ACK from the past.
		f.Add([]byte{byte(state), 0, byte(wire.TCPFlagRST), 0, 0, 100, 0, 0, 0xff, 0xff, 0, 0,
			0, byte(wire.TCPFlagSYN), 8, 0, 200, 0, 0, 0xff, 0xff, 0, 0,
			0, byte(wire.TCPFlagACK), 2, 0, 0, 0x80, 0, 0, 0, 0x10, 0, 0, 0})
		// Close, then data from the peer, then time.
		f.Add([]byte{byte(state), 7, 3, 4, 0, 100, 0, 8, 19, 8, 19})
		// Out-of-order data with lying options, a zero window, time.
		f.Add([]byte{byte(state), 0, byte(wire.TCPFlagACK), 32 | 128, 3, 0, 0, 0, 0, 0, 3, 2, 1, 255, 5, 0xdc,
			6, 0x40, 0, 8, 12, 8, 17})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		// Everything runs on the caller's goroutine and a manual clock: an
		// input still running after a minute of wall time is a deadlock or
		// a livelock (a timer re-arming itself at the same instant). Crash
		// with every goroutine's stack so the fuzzer keeps the input.
		watchdog := time.AfterFunc(time.Minute, func() {
			panic(fmt.Sprintf("FuzzTCPLive: input still running after a minute:\n%s", stall.Stacks()))
		})
		defer watchdog.Stop()
		before := pktbuf.Outstanding()
		r := newRawPeer(t, 1)
		defer r.close()
		in := fuzzBytes(data[1:])
		fd, lfd := liveSetup(r, int(data[0])%liveStates)
		r.checkInvariants()
		for i := 0; i < 64 && len(in) > 0; i++ {
			liveOp(r, &in, &fd, &lfd)
			r.checkInvariants()
		}
		r.closeAll()
		if n := pktbuf.Outstanding() - before; n != 0 {
			t.Fatalf("%d packet buffers leaked", n)
		}
	})
}
