// Package interop holds tests of gosock against other software that the
// library itself must not depend on: gRPC here, gVisor's netstack in
// gvstack, and the benchmark program with every stack in cmd/bench.
package interop
