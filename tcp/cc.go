package tcp

import "time"

// caState is the congestion-avoidance state, as Linux's tcp_ca_state.
type caState uint8

const (
	caOpen     caState = 0 // normal
	caDisorder caState = 1 // SACKs or dupacks seen, no loss yet
	caCWR      caState = 2 // cwnd reduced by ECN or local congestion
	caRecovery caState = 3 // fast recovery
	caLoss     caState = 4 // RTO recovery
)

// cwndEvent is an event congestion control hears about, as Linux's
// tcp_ca_event.
type cwndEvent uint8

const (
	evTxStart     cwndEvent = iota // first transmit when nothing in flight
	evCwndRestart                  // congestion window restart after idle
	evCompleteCWR                  // end of CWR or recovery
	evLoss                         // RTO fired
	evECNNoCE
	evECNIsCE
)

// ccState is the part of a connection congestion control reads and
// writes (fields of Linux's tcp_sock it uses).
type ccState struct {
	cwnd      uint32 // snd_cwnd, in segments
	cwndCnt   uint32 // snd_cwnd_cnt: linear increase counter
	cwndClamp uint32 // snd_cwnd_clamp
	ssthresh  uint32 // snd_ssthresh
	// priorCwnd is saved on entering recovery or loss, for undo.
	priorCwnd uint32
	// cwndLimited says the sender used the whole window recently
	// (tcp_is_cwnd_limited): growth happens only then.
	cwndLimited bool
	// mss is the sending MSS.
	mss uint32
	// srtt is the smoothed RTT; now the clock.
	srtt time.Duration
	now  time.Time
	// sndNxt and sndUna bound HyStart's rounds.
	sndNxt uint32
	sndUna uint32
}

// infiniteSsthresh is TCP_INFINITE_SSTHRESH.
const infiniteSsthresh = 0x7fffffff

func (c *ccState) inSlowStart() bool { return c.cwnd < c.ssthresh }

// slowStart grows cwnd by acked up to ssthresh and returns what is left
// for congestion avoidance (tcp_slow_start).
func (c *ccState) slowStart(acked uint32) uint32 {
	cwnd := min(c.cwnd+acked, c.ssthresh)
	acked -= cwnd - c.cwnd
	c.cwnd = min(cwnd, c.cwndClamp)
	return acked
}

// congAvoidAI grows cwnd by one segment per w segments acked
// (tcp_cong_avoid_ai).
func (c *ccState) congAvoidAI(w, acked uint32) {
	if c.cwndCnt >= w {
		c.cwndCnt = 0
		c.cwnd++
	}
	c.cwndCnt += acked
	if c.cwndCnt >= w {
		delta := c.cwndCnt / w
		c.cwndCnt -= delta * w
		c.cwnd += delta
	}
	c.cwnd = min(c.cwnd, c.cwndClamp)
}

// ackSample is what an ACK tells congestion control (ack_sample).
type ackSample struct {
	rtt time.Duration // negative if none
}

// congestionControl is a pluggable algorithm, Linux's
// tcp_congestion_ops: chosen by net.ipv4.tcp_congestion_control or
// TCP_CONGESTION.
type congestionControl interface {
	name() string
	init(c *ccState)
	// ssthresh returns the slow-start threshold after a loss.
	ssthresh(c *ccState) uint32
	// congAvoid grows the window on an ACK acknowledging acked segments.
	congAvoid(c *ccState, acked uint32)
	// setState is told of a change of caState.
	setState(c *ccState, s caState)
	// cwndEvent is told of events.
	cwndEvent(c *ccState, ev cwndEvent)
	// pktsAcked sees each ACK's sample.
	pktsAcked(c *ccState, s ackSample)
	// undoCwnd returns the window to restore when a loss proves spurious.
	undoCwnd(c *ccState) uint32
}

// newCongestionControl returns the algorithm with the given name, or nil.
func newCongestionControl(name string) congestionControl {
	switch name {
	case "reno":
		return &reno{}
	case "cubic":
		return &cubic{}
	}
	return nil
}

// reno is NewReno (RFC 5681, RFC 6582): Linux's tcp_reno_* functions.
type reno struct{}

func (*reno) name() string                  { return "reno" }
func (*reno) init(*ccState)                 {}
func (*reno) setState(*ccState, caState)    {}
func (*reno) cwndEvent(*ccState, cwndEvent) {}
func (*reno) pktsAcked(*ccState, ackSample) {}

func (*reno) ssthresh(c *ccState) uint32 { return max(c.cwnd>>1, 2) }

func (*reno) congAvoid(c *ccState, acked uint32) {
	if !c.cwndLimited {
		return
	}
	if c.inSlowStart() {
		acked = c.slowStart(acked)
		if acked == 0 {
			return
		}
	}
	c.congAvoidAI(c.cwnd, acked)
}

func (*reno) undoCwnd(c *ccState) uint32 { return max(c.cwnd, c.priorCwnd) }
