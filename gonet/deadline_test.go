package gonet

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gosock/gosock/clock"
)

// TestDeadlineLazyChannel: a deadline holds no channel until a call
// waits or a deadline is armed, and behaves the same either way: expiry
// with and without a channel, clearing, rearming and close.
func TestDeadlineLazyChannel(t *testing.T) {
	clk := clock.NewManual(time.Unix(1000, 0))
	d := newDeadline()
	if d.cancel != nil {
		t.Fatal("a new deadline made a channel")
	}
	// Expired before any call: no channel of its own is made.
	d.set(clk, clk.Now().Add(-time.Second))
	if _, err := d.wait(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("wait after a past deadline = %v, want ErrDeadlineExceeded", err)
	}
	d.set(clk, time.Time{})
	if d.cancel != nil {
		t.Fatal("clearing an expired deadline kept a channel")
	}
	ctx, err := d.wait()
	if err != nil || ctx.Done() == nil {
		t.Fatalf("wait with no deadline = %v, %v; want a context that can be ended", ctx, err)
	}
	// A future deadline ends the waiting call when it passes.
	d.set(clk, clk.Now().Add(time.Second))
	ctx, _ = d.wait()
	select {
	case <-ctx.Done():
		t.Fatal("done before the deadline")
	default:
	}
	clk.Advance(2 * time.Second)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("not done after the deadline passed")
	}
	// Close on a fresh deadline, never waited on.
	d2 := newDeadline()
	d2.close()
	if _, err := d2.wait(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("wait after close = %v, want net.ErrClosed", err)
	}
	// Close ends a call already waiting.
	d3 := newDeadline()
	ctx, _ = d3.wait()
	d3.close()
	select {
	case <-ctx.Done():
	default:
		t.Fatal("close did not end the waiting call")
	}
	select {
	case <-closedChan:
	default:
		t.Fatal("the shared closed channel is open")
	}
}
