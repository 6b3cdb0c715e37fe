package stall_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/stall"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// childEnv makes a Test...Child function do its work: a stall report
// ends the process, so the tests run the test binary again as a child
// and read what it printed.
const childEnv = "STALL_CHILD"

// child runs the test named name in a child process and returns its
// output and exit error; interact (if not nil) runs once the child
// started, with its output so far readable through r.
func child(t *testing.T, name string, interact func(cmd *exec.Cmd, r *bufio.Reader)) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var out bytes.Buffer
	r := bufio.NewReader(io.TeeReader(pr, &out))
	if interact != nil {
		interact(cmd, r)
	}
	io.Copy(io.Discard, r)
	pr.Close()
	return out.String(), cmd.Wait()
}

// stuckForever blocks on a channel nobody sends to; its name must show in
// a report's stacks.
func stuckForever(ch chan int) { <-ch }

// TestWatchdogChild stalls as the 10-minute soak did: one goroutine
// blocked for good while a ticker keeps the bubble's fake time moving,
// so synctest never sees a durable deadlock and only the watchdog can end
// the test. A namespace with a TCP listener gives the report a socket.
func TestWatchdogChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestWatchdogReports")
	}
	synctest.Test(t, func(t *testing.T) {
		ns := gosock.NewNamespace(netns.Options{Name: "stuck", Seed: 1})
		p := sys.NewProcess(ns, sys.Options{PID: 1})
		fd, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		if err == nil {
			err = p.Bind(fd, &abi.SockaddrInet4{Port: 4242})
		}
		if err == nil {
			err = p.Listen(fd, 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		dog := stall.Watch("stuck test", 10*time.Minute, func() string { return "waiting for stuckForever" }, ns)
		defer dog.Stop()
		go func() {
			for {
				time.Sleep(time.Second) // a fault injector's tick
			}
		}()
		stuckForever(make(chan int))
	})
}

// TestWatchdogReports checks that a stalled test crashes with the
// watchdog's report: the reason, the test's own account, every
// goroutine's stack (the stuck one's included) and the socket table, on
// standard error and in a file that is kept.
func TestWatchdogReports(t *testing.T) {
	out, err := child(t, "TestWatchdogChild", nil)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("child ended with %v, want a crash; output:\n%s", err, out)
	}
	for _, want := range []string{
		"=== STALL: stuck test: no progress for 10m0s",
		"waiting for stuckForever",
		"stall_test.stuckForever(",
		"== stuck: 1 TCP sockets",
		"LISTEN      0.0.0.0:4242",
		"panic: stall: stuck test",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q; output:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`=== report in (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no report file named; output:\n%s", out)
	}
	file, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(m[1])
	if !strings.Contains(string(file), "stall_test.stuckForever(") || !strings.Contains(string(file), "== stuck: 1 TCP sockets") {
		t.Errorf("report file %s lacks the stacks or sockets:\n%s", m[1], file)
	}
}

// TestWatchdogQuiet checks the other side: progress within the limit
// keeps the watchdog silent however long the test runs, and Stop ends
// its goroutine (synctest.Test fails if one is left in the bubble).
func TestWatchdogQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dog := stall.Watch("quiet", time.Minute, nil)
		for range 100 {
			time.Sleep(59 * time.Second)
			dog.Progress()
		}
		dog.Stop()
		dog.Stop()
	})
}

// TestSignalChild installs the signal handler and blocks until killed.
func TestSignalChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestSignalDumps")
	}
	defer stall.OnSignal("signal test")()
	os.Stdout.WriteString("ready\n")
	stuckForever(make(chan int))
}

// TestSignalDumps checks that a test killed from outside with SIGTERM
// (as timeout(1) does) prints every goroutine's stack before it exits.
func TestSignalDumps(t *testing.T) {
	out, err := child(t, "TestSignalChild", func(cmd *exec.Cmd, r *bufio.Reader) {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Errorf("child ended before it was ready: %v", err)
				return
			}
			if line == "ready\n" {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
	})
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("child ended with %v, want exit status 2; output:\n%s", err, out)
	}
	// The test goroutine's frame, not stuckForever's: the signal can
	// arrive while the child is still returning from writing "ready".
	for _, want := range []string{"=== signal test: killed by terminated", "stall_test.TestSignalChild("} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q; output:\n%s", want, out)
		}
	}
	if m := regexp.MustCompile(`stacks also in (\S+)`).FindStringSubmatch(out); m != nil {
		os.Remove(m[1])
	}
}
