package tcp

import "time"

// RTO limits, as Linux's TCP_RTO_MIN, TCP_RTO_MAX and TCP_TIMEOUT_INIT.
const (
	RTOMin  = 200 * time.Millisecond
	RTOMax  = 120 * time.Second
	RTOInit = time.Second
	// RTOFallback is the RTO after a lost SYN or SYN-ACK when the
	// handshake had to retransmit (TCP_TIMEOUT_FALLBACK, RFC 6298 5.7).
	RTOFallback = 3 * time.Second
)

// rttEstimator is Linux's tcp_rtt_estimator: SRTT and the mean deviation
// in microseconds scaled as Linux scales them (srtt_us is 8 × SRTT,
// mdev_us 4 × the deviation), so TCP_INFO reports the same numbers.
type rttEstimator struct {
	srttUs   uint32 // smoothed RTT << 3
	mdevUs   uint32 // mean deviation << 2
	mdevMax  uint32 // max mdev over the last RTT
	rttvarUs uint32 // smoothed mdevMax, at least rto_min
	rttSeq   uint32 // snd_nxt when rttvar was last updated
	minRTO   time.Duration
}

// sample feeds one RTT measurement (Linux: tcp_rtt_estimator, with
// sndUna and sndNxt to run the once-per-RTT rttvar decay).
func (e *rttEstimator) sample(m time.Duration, sndUna, sndNxt uint32) {
	mrtt := int64(m / time.Microsecond)
	if mrtt <= 0 {
		mrtt = 1
	}
	minRTOUs := uint32(e.rtoMin() / time.Microsecond)
	srtt := int64(e.srttUs)
	if srtt != 0 {
		mrtt -= srtt >> 3 // the error
		srtt += mrtt      // srtt = 7/8 srtt + 1/8 new
		if mrtt < 0 {
			mrtt = -mrtt
			mrtt -= int64(e.mdevUs >> 2)
			if mrtt > 0 {
				mrtt >>= 3 // a falling RTT counts less (Eifel-like)
			}
		} else {
			mrtt -= int64(e.mdevUs >> 2)
		}
		mdev := int64(e.mdevUs) + mrtt // mdev = 3/4 mdev + 1/4 new
		e.mdevUs = uint32(mdev)
		if e.mdevUs > e.mdevMax {
			e.mdevMax = e.mdevUs
			if e.mdevMax > e.rttvarUs {
				e.rttvarUs = e.mdevMax
			}
		}
		if int32(sndUna-e.rttSeq) > 0 {
			if e.mdevMax < e.rttvarUs {
				e.rttvarUs -= (e.rttvarUs - e.mdevMax) >> 2
			}
			e.rttSeq = sndNxt
			e.mdevMax = minRTOUs
		}
	} else {
		// First measurement: srtt = m, mdev = m/2, rttvar at least rto_min.
		srtt = mrtt << 3
		e.mdevUs = uint32(mrtt << 1)
		e.rttvarUs = max(e.mdevUs, minRTOUs)
		e.mdevMax = e.rttvarUs
		e.rttSeq = sndNxt
	}
	if srtt < 1 {
		srtt = 1
	}
	e.srttUs = uint32(srtt)
}

func (e *rttEstimator) rtoMin() time.Duration {
	if e.minRTO > 0 {
		return e.minRTO
	}
	return RTOMin
}

// rto returns the retransmission timeout (tcp_set_rto: srtt + rttvar,
// which already includes the rto_min floor through rttvar, capped at
// RTOMax); RTOInit before any sample.
func (e *rttEstimator) rto() time.Duration {
	if e.srttUs == 0 {
		return RTOInit
	}
	us := int64(e.srttUs>>3) + int64(e.rttvarUs)
	return min(time.Duration(us)*time.Microsecond, RTOMax)
}

// srtt returns the smoothed RTT.
func (e *rttEstimator) srtt() time.Duration {
	return time.Duration(e.srttUs>>3) * time.Microsecond
}
