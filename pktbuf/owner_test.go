package pktbuf

import (
	"testing"

	"github.com/gosock/gosock/internal/israce"
)

// countOwner counts its completions.
type countOwner struct{ n int }

func (o *countOwner) TxComplete() { o.n++ }

// TestOwnerCompletesOnce checks that a buffer's owner hears of it exactly
// once however the buffer ends: orphaned by a device and released later,
// released without an orphan (dropped), or released by the last of
// several holders; and that a clone carries no owner.
func TestOwnerCompletesOnce(t *testing.T) {
	var o countOwner

	b := New(DefaultHeadroom, 100)
	b.SetOwner(&o)
	b.Orphan()
	if o.n != 1 || b.HasOwner() {
		t.Fatalf("after Orphan: %d completions, owner kept %v", o.n, b.HasOwner())
	}
	b.Orphan()
	b.Release()
	if o.n != 1 {
		t.Fatalf("orphaned then released: %d completions, want 1", o.n)
	}

	o.n = 0
	b = New(DefaultHeadroom, 100)
	b.SetOwner(&o)
	b.Release()
	if o.n != 1 {
		t.Fatalf("released unorphaned: %d completions, want 1", o.n)
	}

	o.n = 0
	b = New(DefaultHeadroom, 100)
	b.SetOwner(&o)
	c := b.Clone()
	b.Ref()
	b.Release()
	if o.n != 0 {
		t.Fatalf("a reference left: %d completions, want 0", o.n)
	}
	c.Release()
	if o.n != 0 {
		t.Fatalf("releasing a clone completed the original")
	}
	b.Release()
	if o.n != 1 {
		t.Fatalf("last reference released: %d completions, want 1", o.n)
	}

	// A pooled buffer handed out again has no owner left over.
	for range 10 {
		if n := New(DefaultHeadroom, 100); n.HasOwner() {
			t.Fatal("a new buffer has an owner")
		} else {
			n.Release()
		}
	}
}

// TestOwnerNoAlloc checks that setting an owner and completing costs no
// allocation on the data path.
func TestOwnerNoAlloc(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	var o countOwner
	New(DefaultHeadroom, 1400).Release() // warm the pool
	allocs := testing.AllocsPerRun(100, func() {
		b := New(DefaultHeadroom, 1400)
		b.SetOwner(&o)
		b.Release()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per buffer with an owner", allocs)
	}
}
