//go:build linux

package nettest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// do runs fn in the namespace on the current, locked thread, and unlocks
// the thread only if it is back in its original namespace.
func (ns *NS) do(fn func() error) (err error) {
	// /proc/thread-self, not /proc/self: namespaces are per thread, and
	// /proc/self names the process's main thread.
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("nettest: open own netns: %w", err)
	}
	defer unix.Close(orig)
	target, err := unix.Open(ns.Path(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("nettest: open %s: %w", ns.Path(), err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("nettest: setns %s: %w", ns.Name, err)
	}
	defer func() {
		if rerr := unix.Setns(orig, unix.CLONE_NEWNET); rerr != nil {
			// Stay locked: the goroutine ends and takes the thread with it.
			err = errors.Join(err, errRestore, rerr)
			return
		}
		runtime.UnlockOSThread()
	}()
	return fn()
}

// AddAddr runs `ip -n NAME addr add PREFIX dev DEV FLAGS...` and returns
// once the kernel accepts packets for the address: when its local route
// is in place, which it announces over rtnetlink. An IPv4 address gets
// that route at once; an IPv6 one only after duplicate address detection
// (at once with the nodad flag, but still from a work queue, after `ip`
// has returned) and only on an interface that is up, so bring the link
// up first. It fails the test after a 5-second guard.
func (ns *NS) AddAddr(t testing.TB, dev, prefix string, flags ...string) {
	t.Helper()
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		t.Fatal(err)
	}
	addr := p.Addr()
	// Subscribe before adding, so the announcement cannot be missed.
	sock := -1
	err = ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE}
		if err := unix.Bind(fd, sa); err != nil {
			unix.Close(fd)
			return err
		}
		sock = fd
		return nil
	})
	if err != nil {
		t.Fatalf("nettest: rtnetlink socket in %s: %v", ns.Name, err)
	}
	defer unix.Close(sock)

	ns.IP(t, append([]string{"addr", "add", prefix, "dev", dev}, flags...)...)

	const guard = 5 * time.Second
	deadline := time.Now().Add(guard)
	buf := make([]byte, 1<<16)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("nettest: no local route for %s in %s within %v", addr, ns.Name, guard)
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		if err := unix.SetsockoptTimeval(sock, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			t.Fatal(err)
		}
		n, _, err := unix.Recvfrom(sock, buf, 0)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("nettest: reading rtnetlink: %v", err)
		}
		if localRouteIn(buf[:n], addr) {
			return
		}
	}
}

// localRouteIn reports whether the rtnetlink messages in b announce the
// local route of addr.
func localRouteIn(b []byte, addr netip.Addr) bool {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return false
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != unix.RTM_NEWROUTE || len(m.Data) < unix.SizeofRtMsg {
			continue
		}
		rt := (*unix.RtMsg)(unsafe.Pointer(&m.Data[0]))
		if rt.Type != unix.RTN_LOCAL || int(rt.Dst_len) != addr.BitLen() {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			continue
		}
		for _, a := range attrs {
			if a.Attr.Type == unix.RTA_DST && bytes.Equal(a.Value, addr.AsSlice()) {
				return true
			}
		}
	}
	return false
}
