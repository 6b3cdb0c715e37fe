//go:build !linux

package nettest

import (
	"testing"

	"runtime"

	"github.com/gosock/gosock/errno"
)

func (ns *NS) do(fn func() error) error {
	runtime.UnlockOSThread()
	return errno.EOPNOTSUPP
}

// AddAddr fails: network namespaces exist only on Linux.
func (ns *NS) AddAddr(t testing.TB, dev, prefix string, flags ...string) {
	t.Helper()
	t.Fatal("nettest: AddAddr needs Linux")
}
