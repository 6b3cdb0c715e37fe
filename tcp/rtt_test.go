package tcp

import (
	"testing"
	"time"
)

func TestRTTEstimatorFollowsLinux(t *testing.T) {
	var e rttEstimator
	if e.rto() != time.Second {
		t.Fatalf("initial RTO %v", e.rto())
	}
	// First sample of 100 ms: srtt 100 ms, rttvar max(2*100/... ) and
	// RTO = srtt + max(mdev, rto_min) = 100 + 200 = 300 ms.
	e.sample(100*time.Millisecond, 1000, 2000)
	if e.srtt() != 100*time.Millisecond || e.rto() != 300*time.Millisecond {
		t.Fatalf("after one sample: srtt %v rto %v", e.srtt(), e.rto())
	}
	// A long run of identical samples converges srtt and keeps the RTO at
	// the 200 ms floor above it.
	una := uint32(2000)
	for range 100 {
		una += 1000
		e.sample(100*time.Millisecond, una, una+1000)
	}
	if e.srtt() != 100*time.Millisecond || e.rto() != 300*time.Millisecond {
		t.Errorf("steady: srtt %v rto %v", e.srtt(), e.rto())
	}
	// A sudden rise raises the RTO at once.
	e.sample(time.Second, una+1000, una+2000)
	if e.rto() <= 300*time.Millisecond {
		t.Errorf("after a 1 s sample rto %v", e.rto())
	}
	// And never beyond 120 s.
	var big rttEstimator
	big.sample(200*time.Second, 1, 2)
	if big.rto() != RTOMax {
		t.Errorf("rto %v, want cap %v", big.rto(), RTOMax)
	}
}
