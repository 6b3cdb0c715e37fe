package tcp

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestConnTable checks the open-addressing table against a map through
// a seeded random run of inserts and removals, growth to tens of
// thousands and shrinking back, with clustered 4-tuples (one remote
// address, sequential ports) as a busy listener sees.
func TestConnTable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var tbl connTable
	model := map[connKey]*conn{}
	local := netip.MustParseAddrPort("10.0.0.2:80")
	mk := func() *conn {
		ip := netip.AddrFrom4([4]byte{10, 1, byte(r.IntN(4)), 1})
		return &conn{local: local, remote: netip.AddrPortFrom(ip, uint16(32768+r.IntN(28232)))}
	}
	check := func() {
		t.Helper()
		if tbl.len() != len(model) {
			t.Fatalf("len %d, model %d", tbl.len(), len(model))
		}
		n := 0
		for c := range tbl.all {
			n++
			if model[connKey{c.local, c.remote}] != c {
				t.Fatalf("table holds %v-%v, the model does not", c.local, c.remote)
			}
		}
		if n != len(model) {
			t.Fatalf("all yields %d, want %d", n, len(model))
		}
		for k, c := range model {
			if got := tbl.get(k.local, k.remote); got != c {
				t.Fatalf("get(%v, %v) = %p, want %p", k.local, k.remote, got, c)
			}
		}
	}
	for round, target := range []int{20000, 100, 30000, 0} {
		for steps := 0; len(model) != target; steps++ {
			grow := len(model) < target
			if r.IntN(4) == 0 {
				grow = !grow // some churn the other way
			}
			if grow {
				c := mk()
				_, dup := model[connKey{c.local, c.remote}]
				if got := tbl.insert(c); got == dup {
					t.Fatalf("insert of a tuple taken=%v returned %v", dup, got)
				}
				if !dup {
					model[connKey{c.local, c.remote}] = c
				}
				// A second connection on the same tuple is refused.
				if tbl.insert(&conn{local: c.local, remote: c.remote}) {
					t.Fatal("inserted a duplicate 4-tuple")
				}
			} else if len(model) > 0 {
				for k, c := range model {
					// A stranger with the same tuple is not removed.
					tbl.remove(&conn{local: k.local, remote: k.remote})
					tbl.remove(c)
					delete(model, k)
					break
				}
			}
			if steps%5000 == 0 {
				check()
			}
		}
		check()
		if target == 0 && len(tbl.slots) > 64 {
			t.Errorf("round %d: empty table kept %d slots", round, len(tbl.slots))
		}
	}
}

// BenchmarkConnTableGet is the lookup of one segment's connection among
// 100,000.
func BenchmarkConnTableGet(b *testing.B) {
	var tbl connTable
	local := netip.MustParseAddrPort("10.0.0.2:80")
	cs := make([]*conn, 100000)
	for i := range cs {
		ip := netip.AddrFrom4([4]byte{10, 1, byte(i >> 16), 1})
		cs[i] = &conn{local: local, remote: netip.AddrPortFrom(ip, uint16(i))}
		tbl.insert(cs[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := cs[i%len(cs)]
		if tbl.get(c.local, c.remote) != c {
			b.Fatal("lost")
		}
		i += 7919
	}
}
