package bench

import (
	"context"
	"io"
	"net"
	"testing"
)

// Benchmarks runs the go test benchmarks of one stack kind as
// sub-benchmarks of b: bulk over the three bulk links (one op is one
// 64 KiB write, so allocs/op is per write), rr (one op is one 1-byte
// round trip), connrate (one op is one connect, accept and close) and
// idle (b.N idle connections, reporting heap per connection end). The
// gVisor benchmarks in the interop module call it too.
func Benchmarks(b *testing.B, f Factory) {
	for _, l := range []struct {
		name string
		cfg  LinkConfig
	}{
		{"mtu=65280", LinkConfig{MTU: 65280, Seed: 1}},
		{"mtu=1500-gso", LinkConfig{MTU: 1500, GSO: true, Seed: 1}},
		{"mtu=1500", LinkConfig{MTU: 1500, Seed: 1}},
	} {
		b.Run("bulk/"+l.name, func(b *testing.B) { benchBulk(b, f, l.cfg) })
	}
	big := LinkConfig{MTU: 65280, Seed: 1}
	b.Run("rr", func(b *testing.B) { benchRR(b, f, big) })
	b.Run("connrate", func(b *testing.B) { benchConnRate(b, f, big) })
	b.Run("idle", func(b *testing.B) { benchIdle(b, f, big) })
}

// newBench builds a stack or skips the benchmark when f cannot make this
// link.
func newBench(b *testing.B, f Factory, cfg LinkConfig) (Stack, net.Conn, net.Conn) {
	b.Helper()
	s, err := f.New(cfg)
	if err == ErrUnsupported {
		b.Skip("link not supported by", f.Name)
	}
	if err != nil {
		b.Fatal(err)
	}
	ln, err := s.Listen()
	if err != nil {
		s.Close()
		b.Fatal(err)
	}
	c, sc, err := pair(context.Background(), s, ln)
	ln.Close()
	if err != nil {
		s.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		sc.Close()
		s.Close()
	})
	return s, c, sc
}

func benchBulk(b *testing.B, f Factory, cfg LinkConfig) {
	_, c, sc := newBench(b, f, cfg)
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyBuffer(io.Discard, onlyReader{sc}, make([]byte, 256<<10))
		done <- err
	}()
	buf := make([]byte, 64<<10)
	// Warm up: buffers grow, pools fill, windows open.
	for range 64 {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := closeWrite(c); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

func benchRR(b *testing.B, f Factory, cfg LinkConfig) {
	_, c, sc := newBench(b, f, cfg)
	go echo(sc)
	var one [1]byte
	rt := func() {
		if _, err := c.Write(one[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, one[:]); err != nil {
			b.Fatal(err)
		}
	}
	for range 1000 {
		rt()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rt()
	}
}

func benchConnRate(b *testing.B, f Factory, cfg LinkConfig) {
	s, err := f.New(cfg)
	if err == ErrUnsupported {
		b.Skip("link not supported by", f.Name)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ln, err := s.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	sd, _ := s.(SourceDialer)
	var one [1]byte
	b.ReportAllocs()
	for i := range b.N {
		var c net.Conn
		if sd != nil {
			c, err = sd.DialFrom(context.Background(), i/connsPerSource, ln.Addr())
		} else {
			c, err = s.Dial(context.Background(), ln.Addr())
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(one[:]); err != io.EOF {
			b.Fatalf("read: %v, want EOF", err)
		}
		c.Close()
	}
}

func benchIdle(b *testing.B, f Factory, cfg LinkConfig) {
	s, err := f.New(cfg)
	if err == ErrUnsupported {
		b.Skip("link not supported by", f.Name)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ms, err := Idle(context.Background(), s, Params{Conns: b.N})
	if err != nil {
		b.Fatal(err)
	}
	// Every figure Idle returns needs a unit here: ReportMetric panics on
	// an empty one (as it did once "open rate" was added).
	units := map[string]string{"heap/conn end": "B/conn-end", "goroutines/conn end": "goroutines/conn-end", "open rate": "conns/s"}
	for _, m := range ms {
		u, ok := units[m.Name]
		if !ok {
			b.Fatalf("idle figure %q has no benchmark unit", m.Name)
		}
		b.ReportMetric(m.Value, u)
	}
}
