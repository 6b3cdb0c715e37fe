// Package nettest helps tests that need the host kernel: it creates
// throw-away network namespaces, runs code and `ip` commands inside them,
// and decides whether such a test runs at all.
//
// Privileged tests skip, with a message saying why, when the process is
// not root or lacks /dev/net/tun or the ip command, except under CI=true,
// where they must run and fail instead.
package nettest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where a test that
// cannot run fails instead of skipping.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips the test with the reason, or fails it under CI=true.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI=true: this test must run in CI)", msg)
	}
	t.Skip("skipping: " + msg)
}

// RequireTUN is RequireRoot plus /dev/net/tun.
func RequireTUN(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		SkipOrFail(t, "needs /dev/net/tun: %v", err)
	}
}

// RequireRoot skips the test (fails it under CI=true) unless the process
// is root on Linux with the ip command (iproute2) available.
func RequireRoot(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		if InCI() {
			t.Fatalf("test needs Linux network namespaces; this is %s", runtime.GOOS)
		}
		t.Skipf("skipping: needs Linux network namespaces; this is %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		SkipOrFail(t, "needs root to create network namespaces (run the tests as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		SkipOrFail(t, "needs the ip command (iproute2; .ci/install-deps installs it)")
	}
}

// NS is a named network namespace made for one test, as
// `ip netns add` makes one (bound at /run/netns/NAME).
type NS struct {
	Name string
}

// New creates a namespace named gosock-test-<random>, with its loopback
// up, and deletes it when the test ends. It calls RequireRoot first.
func New(t testing.TB) *NS {
	t.Helper()
	RequireRoot(t)
	var b [4]byte
	rand.Read(b[:])
	ns := &NS{Name: "gosock-test-" + hex.EncodeToString(b[:])}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", ns.Name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", ns.Name, err, bytes.TrimSpace(out))
		}
	})
	ns.IP(t, "link", "set", "dev", "lo", "up")
	return ns
}

// Path returns the namespace's bind mount, which setns(2) takes.
func (ns *NS) Path() string { return "/run/netns/" + ns.Name }

// Do runs fn on a goroutine whose OS thread has entered the namespace,
// and returns its error. Sockets and devices fn creates belong to the
// namespace and keep working from any thread afterwards. Only fn's own
// goroutine is inside: goroutines it starts run in the original
// namespace.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// The goroutine exits still locked if its thread could not be put
		// back, and the runtime then ends the thread rather than reusing
		// it in the wrong namespace.
		runtime.LockOSThread()
		errc <- ns.do(fn)
	}()
	return <-errc
}

// Command returns a command that runs inside the namespace, through
// `ip netns exec`.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// IP runs `ip -n NAME args...` and returns its standard output; it fails
// the test if the command fails.
func (ns *NS) IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := ns.RunIP(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// RunIP runs `ip -n NAME args...` and returns its standard output, or an
// error quoting the command and its standard error.
func (ns *NS) RunIP(args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("ip -n %s %s: %v: %s", ns.Name, strings.Join(args, " "), err,
			bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// errRestore says the thread could not return to its namespace.
var errRestore = errors.New("nettest: could not restore the thread's network namespace")
