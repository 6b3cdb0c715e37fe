package main

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/internal/services"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/tcp"
	"github.com/gosock/gosock/udp"
)

// pipeInstance is an instance as `gosock tun` builds it, on an
// in-memory wire instead of a TUN device, with its control socket, so
// the client commands are tested without privileges. peer is the other
// end of the wire, at 10.9.0.1.
func pipeInstance(t *testing.T) (inst *instance, peer *netns.Namespace, ctl string) {
	t.Helper()
	ea, eb := link.NewPipe(link.PipeConfig{Names: [2]string{"gs0", "eth0"}})
	inst = &instance{dev: newTapDevice(ea), born: time.Now()}
	inst.ns = gosock.NewNamespace(netns.Options{Name: "gs0", Seed: 1})
	peer = gosock.NewNamespace(netns.Options{Name: "peer", Seed: 2})
	t.Cleanup(func() { inst.ns.Close(); peer.Close() })
	for _, c := range []struct {
		ns   *netns.Namespace
		dev  link.Device
		addr string
	}{{inst.ns, inst.dev, "10.9.0.2/24"}, {peer, eb, "10.9.0.1/24"}} {
		ifc, err := c.ns.AddInterface(c.dev)
		if err != nil {
			t.Fatal(err)
		}
		if err := ifc.SetUp(true); err != nil {
			t.Fatal(err)
		}
		if err := ifc.AddAddressFlags(netip.MustParsePrefix(c.addr), netns.AddrNoDAD); err != nil {
			t.Fatal(err)
		}
		if c.ns == inst.ns {
			inst.ifc = ifc
		}
	}
	ctl = filepath.Join(t.TempDir(), "gs0.sock")
	srv, err := listenControl(inst, ctl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return inst, peer, ctl
}

func gosockCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// TestControlCommands drives ss, nstat, ping and capture against an
// instance through its control socket.
func TestControlCommands(t *testing.T) {
	inst, peer, ctl := pipeInstance(t)
	specs, _ := services.ParseSpecs("echo:7,http:80")
	srv, err := services.Start(inst.ns, specs, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := (&gonet.Dialer{Namespace: peer}).Dial("tcp", "10.9.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "hi")
	io.ReadFull(c, make([]byte, 2))

	out, errs, code := gosockCmd(t, "ss", "--control", ctl, "-tuna")
	if code != 0 {
		t.Fatalf("ss: %d %s", code, errs)
	}
	for _, re := range []string{
		`^Netid +State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port\n`,
		`(?m)^udp +UNCONN +0 +0 +\*:7 +\*:\*$`,
		`(?m)^tcp +LISTEN +0 +4096 +\*:80 +\*:\*$`,
		`(?m)^tcp +ESTAB +0 +0 +\[::ffff:10\.9\.0\.2\]:7 +\[::ffff:10\.9\.0\.1\]:\d+$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("ss -tuna output lacks %s:\n%s", re, out)
		}
	}
	if out, _, _ := gosockCmd(t, "ss", "--control", ctl, "-t"); strings.Contains(out, "LISTEN") || !strings.Contains(out, "ESTAB") {
		t.Errorf("ss -t shows listeners or no connection:\n%s", out)
	}
	if out, _, _ := gosockCmd(t, "ss", "--control", ctl, "-tl"); !strings.Contains(out, "LISTEN") || strings.Contains(out, "ESTAB") {
		t.Errorf("ss -tl:\n%s", out)
	}
	if out, _, _ := gosockCmd(t, "ss", "--control", ctl, "-ti"); !regexp.MustCompile(`\n\t cubic .*cwnd:10 .*bytes_acked:\d+`).MatchString(out) {
		t.Errorf("ss -ti lacks the info line:\n%s", out)
	}

	// nstat: absolute values at first, then increments since the last
	// run, which the history file remembers.
	t.Setenv("NSTAT_HISTORY", filepath.Join(t.TempDir(), "nstat.history"))
	nstat := func(want string, args ...string) {
		t.Helper()
		out, errs, code := gosockCmd(t, append([]string{"nstat", "--control", ctl}, args...)...)
		if code != 0 || !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("nstat %v: %d %s\n%q, want %s", args, code, errs, out, want)
		}
	}
	nstat(`^#kernel\nTcpPassiveOpens +1 +\d+\.\d\n$`, "TcpPassiveOpens", "Udp*")
	nstat(`^#kernel\n$`, "TcpPassiveOpens")
	c2, err := (&gonet.Dialer{Namespace: peer}).Dial("tcp", "10.9.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	io.WriteString(c2, "hi")
	io.ReadFull(c2, make([]byte, 2))
	nstat(`^#kernel\nTcpPassiveOpens +2 +\d+\.\d\n$`, "-a", "-s", "TcpPassiveOpens")
	nstat(`^#kernel\nTcpPassiveOpens +1 +\d+\.\d\n$`, "TcpPassiveOpens")
	nstat(`^#kernel\nTcpPassiveOpens +2 +\d+\.\d\n$`, "-r", "TcpPassiveOpens")
	nstat(`^$`, "-n")

	// Ping the peer while a capture of 4 frames runs.
	file := filepath.Join(t.TempDir(), "c.pcap")
	capDone := make(chan string, 1)
	go func() {
		_, errs, code := gosockCmd(t, "capture", "--control", ctl, "-w", file, "-c", "4")
		if code != 0 {
			capDone <- errs
		}
		close(capDone)
	}()
	// Wait until the request has arrived (on real time), unless the
	// capture is already over: background frames (IPv6 neighbour
	// discovery, MLD) may fill its four.
wait:
	for !captureAttached(inst) {
		select {
		case e, ok := <-capDone:
			if ok && e != "" {
				t.Fatalf("capture: %s", e)
			}
			break wait
		case <-time.After(time.Millisecond):
		}
	}
	out, errs, code = gosockCmd(t, "ping", "--control", ctl, "-c", "3", "-i", "0.01", "10.9.0.1")
	if code != 0 || !regexp.MustCompile(`^PING 10\.9\.0\.1 \(10\.9\.0\.1\) 56\(84\) bytes of data\.
64 bytes from 10\.9\.0\.1: icmp_seq=1 ttl=64 time=[0-9.]+ ms
64 bytes from 10\.9\.0\.1: icmp_seq=2 ttl=64 time=[0-9.]+ ms
64 bytes from 10\.9\.0\.1: icmp_seq=3 ttl=64 time=[0-9.]+ ms

--- 10\.9\.0\.1 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time \d+ms
rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms
$`).MatchString(out) {
		t.Errorf("ping: %d %s\n%s", code, errs, out)
	}
	if e := <-capDone; e != "" {
		t.Fatalf("capture: %s", e)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcap.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		n++
	}
	if n != 4 || r.LinkType() != pcap.LinkTypeEthernet {
		t.Errorf("capture: %d frames, link type %v", n, r.LinkType())
	}
	if captureAttached(inst) {
		t.Error("the capture is still attached after it ended")
	}

	// An endless ping ends with its statistics when the client
	// half-closes, as Ctrl-C makes `gosock ping` do.
	cl, err := (&controlFlags{path: ctl}).dial()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.request(controlRequest{Op: "ping", Ping: &pingRequest{Dst: "10.9.0.1", Size: 8,
		Interval: 10 * time.Millisecond, Timeout: time.Second}}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for len(lines) < 3 { // the header and two replies
		l, err := cl.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	cl.conn.CloseWrite()
	rest, err := io.ReadAll(cl.body())
	if err != nil || !regexp.MustCompile(`\n--- 10\.9\.0\.1 ping statistics ---\n(\d+) packets transmitted, (\d+) received, 0% packet loss`).Match(rest) {
		t.Errorf("after the half-close: %v\n%s%s", err, strings.Join(lines, ""), rest)
	}

	// A second instance on the same control socket is refused.
	if _, err := listenControl(inst, ctl); err == nil || !strings.Contains(err.Error(), "another gosock instance") {
		t.Errorf("second listenControl: %v", err)
	}
}

func captureAttached(inst *instance) bool { return inst.dev.taps.Load() != nil }

// TestPingUnreachable: requests without replies are counted as loss and
// there is no rtt line, as in Linux's ping.
func TestPingUnreachable(t *testing.T) {
	var out bytes.Buffer
	req := &pingRequest{Dst: "10.9.0.9", Count: 2, Size: 56, Interval: 10 * time.Millisecond, Timeout: 5 * time.Millisecond}
	runPingLoop(context.Background(), &out, netip.MustParseAddr("10.9.0.9"), req,
		func(ctx context.Context, size int) (pinger.Reply, error) {
			<-ctx.Done()
			return pinger.Reply{}, ctx.Err()
		})
	if !regexp.MustCompile(`^PING 10\.9\.0\.9 \(10\.9\.0\.9\) 56\(84\) bytes of data\.

--- 10\.9\.0\.9 ping statistics ---
2 packets transmitted, 0 received, 100% packet loss, time \d+ms
$`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestPingTime(t *testing.T) {
	for ms, want := range map[float64]string{0.0456: "0.046", 1.234: "1.23", 12.34: "12.3", 123.4: "123"} {
		if got := pingTime(ms); got != want {
			t.Errorf("pingTime(%v) = %s, want %s", ms, got, want)
		}
	}
}

func TestSplitShortFlags(t *testing.T) {
	got := strings.Join(splitShortFlags([]string{"-tuna", "--name", "x", "-tx", "-i", "--", "-ta"}, "tulain"), " ")
	if want := "-t -u -n -a --name x -tx -i -- -ta"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestWriteSS checks ss's address forms: IPv4, IPv6, dual-stack and
// v6-only wildcards, IPv4 on an AF_INET6 socket.
func TestWriteSS(t *testing.T) {
	ap := netip.MustParseAddrPort
	snap := ssSnapshot{
		TCP: []tcp.SockInfo{
			{State: tcp.Listen, Local: ap("0.0.0.0:22"), SendQ: 128},
			{State: tcp.Listen, V6: true, V6Only: true, Local: ap("[::]:22"), SendQ: 128},
			{State: tcp.Established, Local: ap("10.0.0.1:22"), Remote: ap("10.0.0.2:40000"), RecvQ: 5, SendQ: 7},
			{State: tcp.TimeWait, V6: true, Local: ap("10.0.0.1:80"), Remote: ap("10.0.0.3:40001")},
			{State: tcp.SynSent, V6: true, V6Only: true, Local: ap("[fd00::1]:50000"), Remote: ap("[fd00::2]:80")},
		},
		UDP: []udp.SockInfo{{V6: true, Local: ap("[::]:53"), RecvQ: 768}},
	}
	var b strings.Builder
	writeSS(&b, snap, ssOptions{all: true})
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	wantFields := [][]string{
		{"Netid", "State", "Recv-Q", "Send-Q", "Local", "Address:Port", "Peer", "Address:Port"},
		{"udp", "UNCONN", "768", "0", "*:53", "*:*"},
		{"tcp", "LISTEN", "0", "128", "0.0.0.0:22", "0.0.0.0:*"},
		{"tcp", "LISTEN", "0", "128", "[::]:22", "[::]:*"},
		{"tcp", "ESTAB", "5", "7", "10.0.0.1:22", "10.0.0.2:40000"},
		{"tcp", "TIME-WAIT", "0", "0", "[::ffff:10.0.0.1]:80", "[::ffff:10.0.0.3]:40001"},
		{"tcp", "SYN-SENT", "0", "0", "[fd00::1]:50000", "[fd00::2]:80"},
	}
	if len(lines) != len(wantFields) {
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	// Without -a, ss leaves out listeners, TIME-WAIT and SYN-RECV.
	var def strings.Builder
	writeSS(&def, snap, ssOptions{})
	if d := def.String(); strings.Count(d, "\n") != 3 || !strings.Contains(d, "ESTAB") || !strings.Contains(d, "SYN-SENT") {
		t.Errorf("default ss view:\n%s", d)
	}
	for i, l := range lines {
		if f := strings.Fields(l); strings.Join(f, " ") != strings.Join(wantFields[i], " ") {
			t.Errorf("line %d: %q, want fields %q", i, l, wantFields[i])
		}
	}
	// Columns line up: every local address ends where the header's does.
	end := strings.Index(lines[0], "Address:Port") + len("Address:Port")
	for _, l := range lines[1:] {
		if l[end] != ' ' || l[end-1] == ' ' {
			t.Errorf("local address not right-aligned at column %d: %q", end, l)
		}
	}
}

// TestDemoSocketTables checks the demo's ss tables and nstat-formatted
// counters.
func TestDemoSocketTables(t *testing.T) {
	out, errs, code := gosockCmd(t, "demo", "-latency", "1ms", "-count", "1")
	if code != 0 {
		t.Fatalf("demo exited %d: %s", code, errs)
	}
	for _, re := range []string{
		`bob\$ ss -tan\n  Netid +State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port\n  tcp +LISTEN +0 +4096 +\*:80 +\*:\*\n`,
		`(?m)^  tcp +ESTAB +0 +\d+ +\[::ffff:10\.2\.0\.2\]:80 +\[::ffff:10\.1\.0\.2\]:\d+$`,
		`(?m)^  tcp +ESTAB +0 +\d+ +\[2001:db8:2::2\]:80 +\[2001:db8:1::2\]:\d+$`,
		`alice\$ ss -tni\n(.*\n)*  \t cubic wscale:\d+,\d+ rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+ .*bytes_received:\d+`,
		`alice\$ nstat 'Tcp\*'\n  #kernel\n  TcpActiveOpens +2 +[0-9.]+\n`,
		`(?m)^  IpForwDatagrams +\d+ +[0-9.]+$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("demo output lacks %s:\n%s", re, out)
		}
	}
}
