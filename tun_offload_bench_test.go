package gosock_test

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// BenchmarkTUNBulk measures bulk TCP between the host kernel and gosock
// through a TUN device in a test namespace, with the device's offloads
// (IFF_VNET_HDR, TSO and checksum offload both ways) and without, next
// to the kernel's own figure over a veth pair in the same run: compare
// the MB/s of tun-offload/* with veth/kernel-to-kernel. One op is one
// 1 MiB write. It needs root and /dev/net/tun.
func BenchmarkTUNBulk(b *testing.B) {
	nettest.RequireTUN(b)
	for _, mode := range []struct {
		name      string
		noOffload bool
	}{{"tun-offload", false}, {"tun-plain", true}} {
		b.Run(mode.name+"/kernel-to-gosock", func(b *testing.B) { benchTUN(b, mode.noOffload, true) })
		b.Run(mode.name+"/gosock-to-kernel", func(b *testing.B) { benchTUN(b, mode.noOffload, false) })
	}
	b.Run("veth/kernel-to-kernel", benchVeth)
}

const tunBenchWrite = 1 << 20

// tunBenchSetup makes a kernel namespace with a TUN device whose other
// end is a gosock namespace: the kernel is 10.203.0.1, gosock 10.203.0.2.
func tunBenchSetup(b *testing.B, noOffload bool) (*nettest.NS, *sys.Process) {
	kns := nettest.New(b)
	var tun *link.TUNDevice
	if err := kns.Do(func() error {
		var err error
		tun, err = link.OpenTUN("gsbench0", link.TUNOptions{NoOffload: noOffload})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	kns.IP(b, "link", "set", "gsbench0", "up")
	kns.AddAddr(b, "gsbench0", "10.203.0.1/24")
	ns := gosock.NewNamespace(netns.Options{Name: "gosock", Seed: 1})
	b.Cleanup(func() { ns.Close() })
	ifc, err := ns.AddInterface(tun)
	if err != nil {
		b.Fatal(err)
	}
	if err := ifc.SetUp(true); err != nil {
		b.Fatal(err)
	}
	if err := ifc.AddAddress(netip.MustParsePrefix("10.203.0.2/24")); err != nil {
		b.Fatal(err)
	}
	vnet, off := tun.Offload()
	b.Logf("vnet header %v, kernel offload %v, capabilities %+v", vnet, off, tun.Capabilities())
	return kns, sys.NewProcess(ns, sys.Options{})
}

func benchTUN(b *testing.B, noOffload, kernelSends bool) {
	kns, p := tunBenchSetup(b, noOffload)
	ls, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ls)
	if err := p.Bind(ls, &abi.SockaddrInet4{Port: 9100}); err != nil {
		b.Fatal(err)
	}
	if err := p.Listen(ls, 1); err != nil {
		b.Fatal(err)
	}
	var c net.Conn
	if err := kns.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp4", "10.203.0.2:9100", 10*time.Second)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	fd, _, err := p.Accept(ls)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(fd)

	buf := make([]byte, tunBenchWrite)
	done := make(chan error, 1)
	var send func() error
	if kernelSends {
		go func() {
			rb := make([]byte, 256<<10)
			for {
				n, err := p.Read(fd, rb)
				if err != nil || n == 0 {
					done <- err
					return
				}
			}
		}()
		send = func() error { _, err := c.Write(buf); return err }
	} else {
		go func() {
			_, err := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
			done <- err
		}()
		send = func() error {
			for off := 0; off < len(buf); {
				n, err := p.Write(fd, buf[off:])
				if err != nil {
					return err
				}
				off += n
			}
			return nil
		}
	}
	for range 16 { // windows open, buffers grow
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(tunBenchWrite)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	if kernelSends {
		c.(*net.TCPConn).CloseWrite()
	} else {
		p.Shutdown(fd, abi.SHUT_WR)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}

// benchVeth is the kernel's own figure: bulk TCP from one namespace to
// another over a veth pair.
func benchVeth(b *testing.B) {
	a, z := nettest.New(b), nettest.New(b)
	a.IP(b, "link", "add", "gsv0", "type", "veth", "peer", "name", "gsv1", "netns", z.Name)
	a.AddAddr(b, "gsv0", "10.204.0.1/24")
	z.AddAddr(b, "gsv1", "10.204.0.2/24")
	a.IP(b, "link", "set", "gsv0", "up")
	z.IP(b, "link", "set", "gsv1", "up")
	var ln net.Listener
	if err := z.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", "10.204.0.2:9100")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var c net.Conn
	if err := a.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp4", "10.204.0.2:9100", 10*time.Second)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sc, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyBuffer(io.Discard, sc, make([]byte, 256<<10))
		done <- err
	}()
	buf := make([]byte, tunBenchWrite)
	b.SetBytes(tunBenchWrite)
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
