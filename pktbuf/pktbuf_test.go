package pktbuf

import (
	"bytes"
	"testing"

	"github.com/gosock/gosock/internal/israce"
)

func TestPushPullPut(t *testing.T) {
	b := FromBytes(DefaultHeadroom, []byte("payload"))
	defer b.Release()
	b.SetTransportHeader()
	copy(b.Push(4), "tcp:")
	b.SetTransportHeader()
	copy(b.Push(3), "ip:")
	b.SetNetworkHeader()
	copy(b.Put(2), "!!")
	if got := string(b.Bytes()); got != "ip:tcp:payload!!" {
		t.Fatalf("data %q", got)
	}
	if b.Headroom() != DefaultHeadroom-7 {
		t.Errorf("headroom %d", b.Headroom())
	}
	if h := b.Pull(3); string(h) != "ip:" {
		t.Errorf("pulled %q", h)
	}
	if got := string(b.NetworkHeader()); got != "ip:tcp:payload!!" {
		t.Errorf("network header %q after pull", got)
	}
	if got := string(b.TransportHeader()); got != "tcp:payload!!" {
		t.Errorf("transport header %q", got)
	}
	if b.LinkHeader() != nil {
		t.Error("unset link header not nil")
	}
	if b.Pull(100) != nil || b.Len() != 13 {
		t.Error("over-long Pull changed the buffer")
	}
	b.Trim(4)
	if string(b.Bytes()) != "tcp:" {
		t.Errorf("after Trim %q", b.Bytes())
	}
	b.Trim(10)
	if b.Len() != 4 {
		t.Error("Trim beyond length grew the data")
	}
}

func TestGrowKeepsOffsets(t *testing.T) {
	b := FromBytes(2, []byte("data"))
	defer b.Release()
	b.SetNetworkHeader()
	hdr := b.Push(20) // more than the headroom: moves the data
	for i := range hdr {
		hdr[i] = 'h'
	}
	copy(b.Put(3000), bytes.Repeat([]byte{'t'}, 3000))
	if got := string(b.NetworkHeader()[:4]); got != "data" {
		t.Errorf("network header moved to %q", got)
	}
	if b.Len() != 3024 || !bytes.HasPrefix(b.Bytes(), bytes.Repeat([]byte{'h'}, 20)) {
		t.Errorf("data wrong after growth: len %d", b.Len())
	}
}

func TestRefcountAndOutstanding(t *testing.T) {
	before := Outstanding()
	b := New(DefaultHeadroom, 100)
	if Outstanding() != before+1 {
		t.Fatalf("outstanding %d, want %d", Outstanding(), before+1)
	}
	r := b.Ref()
	if !b.Shared() {
		t.Error("two references, not shared")
	}
	c := b.Clone()
	if c.Shared() || c.Len() != 100 || c.Headroom() != DefaultHeadroom {
		t.Error("clone wrong")
	}
	b.Release()
	if Outstanding() != before+2 {
		t.Errorf("first release returned the buffer")
	}
	r.Release()
	c.Release()
	if Outstanding() != before {
		t.Errorf("outstanding %d, want %d", Outstanding(), before)
	}
	defer func() {
		if recover() == nil {
			t.Error("double release did not panic")
		}
	}()
	r.Release()
}

func TestLargeBufferOutsidePools(t *testing.T) {
	b := New(DefaultHeadroom, 200000)
	if b.Len() != 200000 || b.pool != nil {
		t.Error("oversized buffer")
	}
	b.Release()
}

func TestSteadyStateAllocationFree(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector drops pooled items at random")
	}
	// Warm the pool, then a get/push/release cycle must not allocate.
	for range 10 {
		New(DefaultHeadroom, 1500).Release()
	}
	allocs := testing.AllocsPerRun(1000, func() {
		b := New(DefaultHeadroom, 1460)
		b.Push(20)
		b.Push(20)
		b.Push(14)
		b.Release()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

func BenchmarkNewRelease(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p := New(DefaultHeadroom, 1460)
		p.Push(54)
		p.Release()
	}
}
