package tcp

import (
	"math"
	"time"
)

// CUBIC (RFC 9438) as Linux's tcp_cubic.c with its default module
// parameters: fast convergence on, beta 717/1024, bic_scale 41, TCP
// friendliness on, HyStart with ack-train and delay detection from a
// window of 16, and time counted in jiffies of 4 ms (HZ=250, the
// reference kernel's), since the algorithm's arithmetic is in jiffies.
//
// The one deliberate difference: K is an exact integer cube root, where
// Linux uses a table and one Newton step (within 0.2%).
const (
	cubicBetaScale      = 1024
	cubicBeta           = 717
	cubicBicScale       = 41
	cubicHZShift        = 10 // BICTCP_HZ: time in 1/1024 s
	hz                  = 250
	hystartLowWindow    = 16
	hystartAckDeltaUs   = 2000
	hystartMinSamples   = 8
	hystartDelayMinUs   = 4000
	hystartDelayMaxUs   = 16000
	hystartAckTrain     = 1
	hystartDelay        = 2
	hystartDetectAll    = hystartAckTrain | hystartDelay
	cubicFastConvergent = true
)

var (
	cubicBetaScaleFriendly = uint32(8 * (cubicBetaScale + cubicBeta) / 3 / (cubicBetaScale - cubicBeta))
	cubeRTTScale           = uint64(cubicBicScale * 10)
	cubeFactor             = (uint64(1) << (10 + 3*cubicHZShift)) / (cubicBicScale * 10)
)

// jiffies converts a time to Linux's 32-bit jiffies at HZ=250.
func jiffies(t time.Time) uint32 { return uint32(t.UnixNano() / int64(time.Second/hz)) }

func usecs(t time.Time) uint32 { return uint32(t.UnixNano() / int64(time.Microsecond)) }

type cubic struct {
	cnt            uint32 // increase cwnd by 1 after this many ACKed segments
	lastMaxCwnd    uint32
	lastCwnd       uint32
	lastTime       uint32
	bicOriginPoint uint32
	bicK           uint32
	delayMin       uint32 // µs
	epochStart     uint32 // jiffies; 0 = no epoch
	ackCnt         uint32
	tcpCwnd        uint32
	found          bool
	sampleCnt      uint8
	roundStart     uint32 // µs
	endSeq         uint32
	lastAck        uint32 // µs
	currRTT        uint32 // µs

	// lastSend is when data was last sent (lsndtime), for the idle shift.
	lastSend uint32
}

func (*cubic) name() string { return "cubic" }

func (c *cubic) reset() {
	*c = cubic{lastSend: c.lastSend}
}

func (c *cubic) hystartReset(s *ccState) {
	c.roundStart = usecs(s.now)
	c.lastAck = c.roundStart
	c.endSeq = s.sndNxt
	c.currRTT = math.MaxUint32
	c.sampleCnt = 0
}

func (c *cubic) init(s *ccState) {
	c.reset()
	c.hystartReset(s)
}

func (c *cubic) cwndEvent(s *ccState, ev cwndEvent) {
	if ev != evTxStart {
		return
	}
	// Idle (application-limited) time shifts the epoch so cwnd keeps to
	// the cubic curve instead of jumping.
	now := jiffies(s.now)
	delta := int32(now - c.lastSend)
	if c.epochStart != 0 && delta > 0 {
		c.epochStart += uint32(delta)
		if int32(c.epochStart-now) > 0 {
			c.epochStart = now
		}
	}
}

// noteSend records a transmission time (lsndtime) for the idle shift.
func (c *cubic) noteSend(now time.Time) { c.lastSend = jiffies(now) }

func cubeRoot(a uint64) uint32 {
	x := uint64(math.Cbrt(float64(a)))
	for x*x*x > a {
		x--
	}
	for (x+1)*(x+1)*(x+1) <= a {
		x++
	}
	return uint32(x)
}

func (c *cubic) update(s *ccState, cwnd, acked uint32) {
	now := jiffies(s.now)
	c.ackCnt += acked
	if c.lastCwnd == cwnd && int32(now-c.lastTime) <= hz/32 {
		return
	}
	if !(c.epochStart != 0 && now == c.lastTime) {
		c.lastCwnd = cwnd
		c.lastTime = now
		if c.epochStart == 0 {
			c.epochStart = now
			c.ackCnt = acked
			c.tcpCwnd = cwnd
			if c.lastMaxCwnd <= cwnd {
				c.bicK = 0
				c.bicOriginPoint = cwnd
			} else {
				c.bicK = cubeRoot(cubeFactor * uint64(c.lastMaxCwnd-cwnd))
				c.bicOriginPoint = c.lastMaxCwnd
			}
		}
		// t: time since the epoch plus the minimum delay, in 1/1024 s.
		t := uint64(int32(now - c.epochStart))
		t += uint64((time.Duration(c.delayMin)*time.Microsecond + time.Second/hz - 1) / (time.Second / hz))
		t = (t << cubicHZShift) / hz
		var offs uint64
		if t < uint64(c.bicK) {
			offs = uint64(c.bicK) - t
		} else {
			offs = t - uint64(c.bicK)
		}
		delta := uint32((cubeRTTScale * offs * offs * offs) >> (10 + 3*cubicHZShift))
		var target uint32
		if t < uint64(c.bicK) {
			target = c.bicOriginPoint - delta
		} else {
			target = c.bicOriginPoint + delta
		}
		if target > cwnd {
			c.cnt = cwnd / (target - cwnd)
		} else {
			c.cnt = 100 * cwnd // a very small increment
		}
		// Unknown bandwidth: grow at least 5% per RTT at first.
		if c.lastMaxCwnd == 0 && c.cnt > 20 {
			c.cnt = 20
		}
	}
	// TCP friendliness: never grow slower than Reno would.
	delta := (cwnd * cubicBetaScaleFriendly) >> 3
	for delta > 0 && c.ackCnt > delta {
		c.ackCnt -= delta
		c.tcpCwnd++
	}
	if c.tcpCwnd > cwnd {
		if maxCnt := cwnd / (c.tcpCwnd - cwnd); c.cnt > maxCnt {
			c.cnt = maxCnt
		}
	}
	// At most 1 segment per 2 acked: 1.5x per RTT.
	c.cnt = max(c.cnt, 2)
}

func (c *cubic) congAvoid(s *ccState, acked uint32) {
	if !s.cwndLimited {
		return
	}
	if s.inSlowStart() {
		acked = s.slowStart(acked)
		if acked == 0 {
			return
		}
	}
	c.update(s, s.cwnd, acked)
	s.congAvoidAI(c.cnt, acked)
}

func (c *cubic) ssthresh(s *ccState) uint32 {
	c.epochStart = 0
	if s.cwnd < c.lastMaxCwnd && cubicFastConvergent {
		c.lastMaxCwnd = s.cwnd * (cubicBetaScale + cubicBeta) / (2 * cubicBetaScale)
	} else {
		c.lastMaxCwnd = s.cwnd
	}
	return max(s.cwnd*cubicBeta/cubicBetaScale, 2)
}

func (c *cubic) setState(s *ccState, st caState) {
	if st == caLoss {
		c.reset()
		c.hystartReset(s)
	}
}

func (c *cubic) hystartUpdate(s *ccState, delay uint32) {
	if int32(s.sndUna-c.endSeq) > 0 {
		c.hystartReset(s)
	}
	if s.cwnd < hystartLowWindow {
		return
	}
	now := usecs(s.now)
	if hystartDetectAll&hystartAckTrain != 0 && int32(now-c.lastAck) <= hystartAckDeltaUs {
		c.lastAck = now
		// Without pacing, the ack train counts from half the minimum delay.
		threshold := c.delayMin >> 1
		if int32(now-c.roundStart) > int32(threshold) {
			c.found = true
			s.ssthresh = s.cwnd
		}
	}
	if hystartDetectAll&hystartDelay != 0 {
		if c.currRTT > delay {
			c.currRTT = delay
		}
		if c.sampleCnt < hystartMinSamples {
			c.sampleCnt++
		} else if c.currRTT > c.delayMin+min(max(c.delayMin>>3, hystartDelayMinUs), hystartDelayMaxUs) {
			c.found = true
			s.ssthresh = s.cwnd
		}
	}
}

func (c *cubic) pktsAcked(s *ccState, smp ackSample) {
	if smp.rtt < 0 {
		return
	}
	// No delay samples right after a reduction.
	if c.epochStart != 0 && int32(jiffies(s.now)-c.epochStart) < hz {
		return
	}
	delay := uint32(smp.rtt / time.Microsecond)
	if delay == 0 {
		delay = 1
	}
	if c.delayMin == 0 || c.delayMin > delay {
		c.delayMin = delay
	}
	if !c.found && s.inSlowStart() {
		c.hystartUpdate(s, delay)
	}
}

func (*cubic) undoCwnd(s *ccState) uint32 { return max(s.cwnd, s.priorCwnd) }
