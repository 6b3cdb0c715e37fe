package tcp

import (
	"testing"
	"time"
)

// TestModelTimeout checks tcp_model_timeout's values that Linux's
// defaults give: 3 s for TCP_SYNCNT 1, 127 s for tcp_syn_retries 6
// (from the 1 s initial timeout), and 924.6 s for tcp_retries2 15 from
// the 200 ms minimum RTO, where the doubling stops at TCP_RTO_MAX.
func TestModelTimeout(t *testing.T) {
	for _, tc := range []struct {
		boundary int
		base     time.Duration
		want     time.Duration
	}{
		{0, time.Second, time.Second},
		{1, time.Second, 3 * time.Second},
		{6, time.Second, 127 * time.Second},
		{7, time.Second, 247 * time.Second},
		{15, 200 * time.Millisecond, 924600 * time.Millisecond},
	} {
		if got := modelTimeout(tc.boundary, tc.base); got != tc.want {
			t.Errorf("modelTimeout(%d, %v) = %v, want %v", tc.boundary, tc.base, got, tc.want)
		}
	}
}
