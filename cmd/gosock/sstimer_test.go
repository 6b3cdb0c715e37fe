package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock/tcp"
)

// TestSSTimeWaitTimer: with -i, a timewait sock's row carries its timer
// as ss -o prints it (print_ms_timer's units) instead of a TCP_INFO line.
func TestSSTimeWaitTimer(t *testing.T) {
	for d, want := range map[time.Duration]string{
		60 * time.Second:       "1min",
		59*time.Second + 400e6: "59sec",
		5*time.Second + 250e6:  "5.250ms",
		800 * time.Millisecond: "800ms",
		61*time.Second + 500e6: "1min1sec",
		125 * time.Second:      "2min5sec",
		10*time.Minute + 5e9:   "10min",
	} {
		if got := ssTimer(d); got != want {
			t.Errorf("ssTimer(%v) = %q, want %q", d, got, want)
		}
	}
	ap := netip.MustParseAddrPort
	snap := ssSnapshot{TCP: []tcp.SockInfo{
		{State: tcp.TimeWait, Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.3:40001"), Orphan: true,
			TimeWaitSock: true, TimeWaitLeft: 59*time.Second + 300e6},
		{State: tcp.FinWait2, Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.3:40002"), Orphan: true,
			TimeWaitSock: true, TimeWaitLeft: 30 * time.Second},
	}}
	var b strings.Builder
	writeSS(&b, snap, ssOptions{all: true, info: true})
	out := b.String()
	for _, want := range []string{"timer:(timewait,59sec,0)", "timer:(timewait,30sec,0)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ss -a -i output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rto:") {
		t.Errorf("a timewait sock printed a TCP_INFO line:\n%s", out)
	}
}
