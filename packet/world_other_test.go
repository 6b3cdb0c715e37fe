//go:build !linux

package packet_test

import "testing"

// newKernelWorld skips: the parity tests need Linux network namespaces.
func newKernelWorld(t testing.TB) world {
	t.Skip("skipping: the Linux side of the parity tests needs Linux")
	return nil
}
