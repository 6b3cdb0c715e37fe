//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/internal/services"
	"github.com/gosock/gosock/pcap"
)

// buildGosock builds this command once per test into a temporary
// directory, without the race detector, so the stack runs at full speed
// in its subprocess.
func buildGosock(t *testing.T) string {
	t.Helper()
	// go test puts its own GOROOT/bin first in the PATH of tests.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool to build gosock with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "gosock")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// needTool returns the path of a host tool the test drives; without it
// the test skips, or fails under CI=true (.ci/install-deps installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		nettest.SkipOrFail(t, "needs %s (.ci/install-deps installs it)", name)
	}
	return p
}

// tunProc is a running `gosock tun`.
type tunProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	ready  chan struct{}
	exited chan error
	gone   chan struct{} // closed once the process has been waited for
}

// startTun runs `gosock tun args...` and waits until it reports ready
// (or, in --get mode, until it exits).
func startTun(t *testing.T, bin string, stdin io.Reader, args ...string) *tunProc {
	t.Helper()
	p := &tunProc{cmd: exec.Command(bin, append([]string{"tun"}, args...)...), ready: make(chan struct{}),
		exited: make(chan error, 1), gone: make(chan struct{})}
	p.cmd.Stdout = &p.stdout
	p.cmd.Stdin = stdin
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(sc.Text())
			if strings.Contains(sc.Text(), "ready;") {
				once.Do(func() { close(p.ready) })
			}
		}
		err := p.cmd.Wait()
		close(p.gone)
		p.exited <- err
	}()
	t.Cleanup(func() {
		select {
		case <-p.gone:
		default:
			p.cmd.Process.Kill()
			<-p.gone
		}
	})
	return p
}

func (p *tunProc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-p.ready:
	case err := <-p.exited:
		t.Fatalf("gosock tun exited before it was ready: %v", err)
	case <-time.After(20 * time.Second): // a guard, not a timing assumption
		t.Fatal("gosock tun not ready after 20 s")
	}
}

// stop interrupts the instance as Ctrl-C does and waits for it to exit.
func (p *tunProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	p.wait(t)
}

func (p *tunProc) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("gosock tun: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("gosock tun did not exit within 20 s")
	}
}

// TestTunEndToEnd is the acceptance test. Inside a network
// namespace it creates, `gosock tun` serves on a TUN device and the
// host's tools use it: curl fetches 100 MiB over HTTP (SHA-256 checked),
// wrk runs 10 s with 100 connections without socket errors or non-2xx
// answers, socat and nc exchange data with the echo service, the
// kernel's ping gets replies; gosock ss, nstat, ping and capture talk to
// the instance; Ctrl-C closes an open connection with a FIN. Then gosock
// is the client, fetching from a kernel HTTP server in the namespace.
func TestTunEndToEnd(t *testing.T) {
	nettest.RequireTUN(t)
	curl := needTool(t, "curl")
	needTool(t, "ping")
	kns := nettest.New(t)
	bin := buildGosock(t)
	ctl := filepath.Join(t.TempDir(), "gst0.sock")
	p := startTun(t, bin, nil, "--netns", kns.Name, "--name", "gst0", "--addr", "10.7.0.2/24,fd00:7::2/64",
		"--peer-addr", "10.7.0.1/24,fd00:7::1/64", "--serve", "echo:7,discard:9,http:80,chargen:19", "--control", ctl)
	p.waitReady(t)
	gosock := func(args ...string) (string, error) {
		args = append(args[:1:1], append([]string{"--control", ctl}, args[1:]...)...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}

	t.Run("curl 100 MiB", func(t *testing.T) {
		const size = 100 << 20
		h := sha256.New()
		io.Copy(h, services.Bytes(7, size))
		want := hex.EncodeToString(h.Sum(nil))
		cmd := kns.Command(curl, "-sS", "--max-time", "60", "http://10.7.0.2/bytes/"+strconv.Itoa(size)+"?seed=7")
		got := sha256.New()
		cmd.Stdout = got
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("curl: %v: %s", err, stderr.Bytes())
		}
		took := time.Since(start)
		if g := hex.EncodeToString(got.Sum(nil)); g != want {
			t.Fatalf("SHA-256 %s, want %s", g, want)
		}
		t.Logf("100 MiB in %v (%.0f Mbit/s)", took.Round(time.Millisecond), size*8/took.Seconds()/1e6)
	})

	t.Run("wrk", func(t *testing.T) {
		wrk := needTool(t, "wrk")
		out, err := kns.Command(wrk, "-t", "2", "-c", "100", "-d", "10s", "http://10.7.0.2/bytes/1024").CombinedOutput()
		t.Logf("wrk:\n%s", out)
		if err != nil {
			t.Fatalf("wrk: %v", err)
		}
		s := string(out)
		if strings.Contains(s, "Socket errors") || strings.Contains(s, "Non-2xx") {
			t.Error("wrk saw socket errors or non-2xx answers")
		}
		m := regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(s)
		if m == nil || m[1] == "0" {
			t.Error("wrk made no requests")
		}
	})

	t.Run("echo", func(t *testing.T) {
		data, _ := io.ReadAll(services.Bytes(11, 1<<20))
		for _, c := range []struct{ tool, args string }{
			{"socat", "-t 5 - TCP:10.7.0.2:7"},
			{"nc", "-N -w 5 10.7.0.2 7"},
			{"socat", "-t 2 - UDP:10.7.0.2:7"},
		} {
			tool := needTool(t, c.tool)
			in := data
			if strings.Contains(c.args, "UDP") {
				in = data[:1000] // one datagram
			}
			cmd := kns.Command(tool, strings.Fields(c.args)...)
			cmd.Stdin = bytes.NewReader(in)
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("%s %s: %v: %s", c.tool, c.args, err, stderr.Bytes())
				continue
			}
			if !bytes.Equal(out.Bytes(), in) {
				t.Errorf("%s %s: %d bytes back of %d, equal prefix: %v", c.tool, c.args, out.Len(), len(in),
					bytes.HasPrefix(in, out.Bytes()))
			}
		}
	})

	t.Run("kernel ping", func(t *testing.T) {
		out, err := kns.Command("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.7.0.2").CombinedOutput()
		if err != nil || !strings.Contains(string(out), " 0% packet loss") {
			t.Errorf("ping: %v\n%s", err, out)
		}
	})

	t.Run("IPv6", func(t *testing.T) {
		out, err := kns.Command("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd00:7::2").CombinedOutput()
		if err != nil || !strings.Contains(string(out), " 0% packet loss") {
			t.Errorf("ping -6: %v\n%s", err, out)
		}
		h := sha256.New()
		io.Copy(h, services.Bytes(5, 5<<20))
		cmd := kns.Command(curl, "-sS", "--max-time", "30", "http://[fd00:7::2]/bytes/5242880?seed=5")
		got := sha256.New()
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = got, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("curl over IPv6: %v: %s", err, stderr.Bytes())
		}
		if !bytes.Equal(got.Sum(nil), h.Sum(nil)) {
			t.Error("curl over IPv6: SHA-256 differs")
		}
	})

	t.Run("gosock ss nstat ping capture", func(t *testing.T) {
		out, err := gosock("ss", "-tln")
		if err != nil || !regexp.MustCompile(`(?m)^tcp +LISTEN +0 +4096 +\*:80 +\*:\*`).MatchString(out) {
			t.Errorf("gosock ss -tln: %v\n%s", err, out)
		}
		out, err = gosock("nstat", "-a", "-s", "Tcp*")
		if err != nil || !regexp.MustCompile(`(?m)^TcpPassiveOpens +[1-9]\d* +\d+\.\d$`).MatchString(out) ||
			strings.Contains(out, "Udp") {
			t.Errorf("gosock nstat Tcp*: %v\n%s", err, out)
		}
		out, err = gosock("ping", "-c", "2", "-i", "0.1", "10.7.0.1")
		if err != nil || !strings.HasPrefix(out, "PING 10.7.0.1 (10.7.0.1) 56(84) bytes of data.\n64 bytes from 10.7.0.1: icmp_seq=1 ttl=64 time=") ||
			!strings.Contains(out, "2 packets transmitted, 2 received, 0% packet loss") {
			t.Errorf("gosock ping: %v\n%s", err, out)
		}
		// A capture of a request the kernel's curl makes meanwhile.
		file := filepath.Join(t.TempDir(), "c.pcap")
		capture := exec.Command(bin, "capture", "--control", ctl, "-w", file, "-c", "4")
		var stderr bytes.Buffer
		capture.Stderr = &stderr
		if err := capture.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- capture.Wait() }()
		for i := 0; ; i++ {
			kns.Command(curl, "-sS", "-o", "/dev/null", "http://10.7.0.2/").Run()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("gosock capture: %v: %s", err, stderr.Bytes())
				}
			case <-time.After(100 * time.Millisecond): // until the capture is attached
				if i == 100 {
					t.Fatal("gosock capture got no 4 frames")
				}
				continue
			}
			break
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
			pkt, err := r.Next()
			if err != nil {
				break
			}
			// The kernel's IPv6 housekeeping (MLD, neighbour discovery)
			// may be among them.
			if len(pkt.Data) < 20 || pkt.Data[0]>>4 != 4 && pkt.Data[0]>>4 != 6 {
				t.Errorf("frame %d is not IP: % x", n, pkt.Data[:min(len(pkt.Data), 20)])
			}
			n++
		}
		if n != 4 || r.LinkType() != pcap.LinkTypeRaw {
			t.Errorf("capture: %d frames of link type %v, want 4 raw IP", n, r.LinkType())
		}
	})

	// Ctrl-C with a connection open: the peer reads EOF (a FIN), not a
	// reset, and the instance removes its device and control socket.
	socat := needTool(t, "socat")
	hold := kns.Command(socat, "-t", "0.5", "-", "TCP:10.7.0.2:7")
	pw, err := hold.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var holdOut lockedBuffer
	var holdErr bytes.Buffer
	hold.Stdout, hold.Stderr = &holdOut, &holdErr
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	io.WriteString(pw, "before the interrupt\n")
	for i := 0; !bytes.Contains(holdOut.Snapshot(), []byte("before")); i++ {
		if i == 500 {
			t.Fatal("no echo on the held connection")
		}
		time.Sleep(10 * time.Millisecond) // polling another process's progress, bounded
	}
	p.stop(t)
	holdDone := make(chan error, 1)
	go func() { holdDone <- hold.Wait() }()
	select {
	case err := <-holdDone:
		// A reset would make socat fail with "Connection reset by peer".
		if err != nil {
			t.Errorf("socat on a connection gosock closed: %v: %s", err, holdErr.Bytes())
		}
	case <-time.After(10 * time.Second):
		t.Error("socat saw no end of the connection gosock closed")
		hold.Process.Kill()
	}
	if _, err := os.Stat(ctl); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket still there after exit: %v", err)
	}
	if _, err := kns.RunIP("link", "show", "gst0"); err == nil {
		t.Error("device gst0 still there after exit")
	}

	t.Run("gosock fetches from the kernel", func(t *testing.T) {
		var ln net.Listener
		if err := kns.Do(func() error {
			var err error
			ln, err = net.Listen("tcp4", "0.0.0.0:8000")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: services.HTTPHandler()}
		go srv.Serve(ln)
		defer srv.Shutdown(context.Background())
		const size = 30 << 20
		h := sha256.New()
		io.Copy(h, services.Bytes(3, size))
		want := hex.EncodeToString(h.Sum(nil))
		c := startTun(t, bin, nil, "--netns", kns.Name, "--name", "gst1", "--addr", "10.8.0.2/24",
			"--peer-addr", "10.8.0.1/24", "--control", filepath.Join(t.TempDir(), "gst1.sock"),
			"--get", fmt.Sprintf("http://10.8.0.1:8000/bytes/%d?seed=3", size))
		c.wait(t)
		out := c.stdout.String()
		if !strings.Contains(out, fmt.Sprintf("200 OK %d bytes sha256 %s", size, want)) {
			t.Errorf("gosock --get printed %q, want the size and SHA-256 %s", out, want)
		}
	})

	t.Run("gosock connects to a kernel echo server", func(t *testing.T) {
		var ln net.Listener
		if err := kns.Do(func() error {
			var err error
			ln, err = net.Listen("tcp4", "0.0.0.0:8007")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(c, c)
			c.Close()
		}()
		data, _ := io.ReadAll(services.Bytes(12, 3<<20))
		file := filepath.Join(t.TempDir(), "connect.pcap")
		c := startTun(t, bin, bytes.NewReader(data), "--netns", kns.Name, "--name", "gst2", "--addr", "10.9.0.2/24",
			"--peer-addr", "10.9.0.1/24", "--control", filepath.Join(t.TempDir(), "gst2.sock"),
			"--connect", "10.9.0.1:8007", "--pcap", file)
		c.wait(t)
		if got := c.stdout.Bytes(); !bytes.Equal(got, data) {
			t.Errorf("gosock --connect got %d bytes back of %d", len(got), len(data))
		}
		// --pcap kept every frame: the data went out and came back.
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcap.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var frames, total int
		for {
			pkt, err := r.Next()
			if err != nil {
				break
			}
			frames++
			total += pkt.OrigLen
		}
		if r.LinkType() != pcap.LinkTypeRaw || total < 2*len(data) {
			t.Errorf("--pcap: %d frames, %d bytes, link type %v; want over %d bytes of raw IP", frames, total,
				r.LinkType(), 2*len(data))
		}
	})
}

// TestTunErrors checks that the usual mistakes read as one clear line.
func TestTunErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tun"}, "--addr is required"},
		{[]string{"tun", "--addr", "10.0.0.300/24"}, "--addr:"},
		{[]string{"tun", "--addr", "10.0.0.2/24", "--serve", "ftp:21"}, `unknown service "ftp"`},
		{[]string{"tun", "--addr", "10.0.0.2/24", "--get", "https://x/"}, "--get takes an http:// URL"},
		{[]string{"tun", "--addr", "10.0.0.2/24", "--connect", "x:7"}, "--connect takes a numeric ADDRESS:PORT"},
		{[]string{"tun", "--addr", "10.0.0.2/24", "--get", "http://x/", "--connect", "10.0.0.1:7"}, "exclude each other"},
		{[]string{"ss", "--control", filepath.Join(t.TempDir(), "none.sock")}, "no gosock instance at"},
		{[]string{"ping", "--control", "x", "-s", "70000", "10.0.0.1"}, "invalid -s value"},
		{[]string{"ping", "--control", "x", "host.example"}, "not a numeric"},
		{[]string{"capture", "--control", "x"}, "-w FILE is required"},
	} {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("gosock %v: exit %d, stderr %q; want exit 1 and %q", c.args, code, errb.String(), c.want)
		}
	}
	if os.Geteuid() != 0 {
		// Unprivileged: one readable line about the privilege.
		var out, errb bytes.Buffer
		code := run([]string{"tun", "--addr", "10.0.0.2/24", "--name", "gsnopriv0"}, &out, &errb)
		if code != 1 || strings.Count(errb.String(), "\n") != 1 ||
			!(strings.Contains(errb.String(), "CAP_NET_ADMIN") || strings.Contains(errb.String(), "/dev/net/tun")) {
			t.Errorf("unprivileged tun: exit %d, stderr %q", code, errb.String())
		}
	}
}
