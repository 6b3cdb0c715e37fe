package intercept_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/gosock/gosock/intercept"
)

// BenchmarkListen_Connection measures an intercepted connection's whole
// life on the real clock over a pipe without latency: the client's
// connect (its SYN held until Accept), one byte each way, and the close
// of both ends.
func BenchmarkListen_Connection(b *testing.B) {
	for _, early := range []bool{false, true} {
		name := "deferred"
		if early {
			name = "early"
		}
		b.Run(name, func(b *testing.B) {
			w := newWorld(b)
			defer w.close()
			ln, err := intercept.Listen(w.proxy, nil, &intercept.Options{EarlyHandshake: early})
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
					go func() {
						var one [1]byte
						if _, err := io.ReadFull(c, one[:]); err == nil {
							c.Write(one[:])
						}
						c.Close()
					}()
				}
			}()
			d := func() (net.Conn, error) { return w.dial(context.Background(), "tcp", "198.51.100.7:80") }
			b.ResetTimer()
			for b.Loop() {
				c, err := d()
				if err != nil {
					b.Fatal(err)
				}
				var one [1]byte
				c.Write([]byte{1})
				if _, err := io.ReadFull(c, one[:]); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
