package nettest

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func netnsInode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestDo checks that Do runs its function inside the namespace and that
// the caller never leaves its own.
func TestDo(t *testing.T) {
	ns := New(t)
	outside := netnsInode(t, "/proc/thread-self/ns/net")
	target := netnsInode(t, ns.Path())
	if outside == target {
		t.Fatal("the test namespace is the test's own")
	}
	var inside uint64
	var names []string
	err := ns.Do(func() error {
		fi, err := os.Stat("/proc/thread-self/ns/net")
		if err != nil {
			return err
		}
		inside = fi.Sys().(*syscall.Stat_t).Ino
		ifs, err := net.Interfaces() // a netlink socket made on this thread
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != target {
		t.Errorf("Do ran in netns %d, want %d", inside, target)
	}
	if len(names) != 1 || names[0] != "lo" {
		t.Errorf("interfaces inside: %v, want [lo]", names)
	}
	if now := netnsInode(t, "/proc/thread-self/ns/net"); now != outside {
		t.Errorf("caller moved to netns %d", now)
	}
	if out := ns.IP(t, "link", "show", "dev", "lo"); !strings.Contains(out, "UP") {
		t.Errorf("lo is not up: %s", out)
	}
	if _, err := ns.RunIP("link", "show", "dev", "nonexistent0"); err == nil || !strings.Contains(err.Error(), "nonexistent0") {
		t.Errorf("RunIP error = %v", err)
	}
	if out, err := ns.Command("cat", "/proc/net/dev").Output(); err != nil || strings.Count(string(out), ":") != 1 {
		t.Errorf("Command in the namespace: %v\n%s", err, out)
	}
}

// TestManyDo checks that threads come back from the namespace: after many
// Do calls, fresh goroutines still see the original namespace.
func TestManyDo(t *testing.T) {
	ns := New(t)
	outside := netnsInode(t, "/proc/self/ns/net")
	for range 50 {
		if err := ns.Do(func() error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan uint64, 100)
	for range 100 {
		go func() {
			fi, err := os.Stat("/proc/thread-self/ns/net")
			if err != nil {
				done <- 0
				return
			}
			done <- fi.Sys().(*syscall.Stat_t).Ino
		}()
	}
	for range 100 {
		if ino := <-done; ino != outside {
			t.Fatalf("a goroutine runs in netns %d, want %d", ino, outside)
		}
	}
}

func TestAddAddr(t *testing.T) {
	ns := New(t)
	ns.AddAddr(t, "lo", "10.9.0.1/32")
	ns.AddAddr(t, "lo", "fd00:9::1/128", "nodad")
	for _, want := range []string{"local 10.9.0.1", "local fd00:9::1"} {
		fam := "-4"
		if strings.Contains(want, ":") {
			fam = "-6"
		}
		if out := ns.IP(t, fam, "route", "show", "table", "local"); !strings.Contains(out, want) {
			t.Errorf("no %q in the local table:\n%s", want, out)
		}
	}
}
