// Package bench is gosock's benchmark harness: the same workloads run
// against several TCP/IP stacks through one small interface, Stack
// (Listen and Dial returning a net.Listener and a net.Conn), and the
// figures come out in one table with the ratio gosock/peer.
//
// This package holds everything that needs no third-party code: the
// Stack interface, the modes (bulk, rr, connrate, idle, many, lossy),
// the result table with its targets, and two families of stacks, gosock
// (two namespaces joined by an in-memory pipe, or one namespace over its
// loopback) and the host kernel (real sockets on 127.0.0.1). gVisor's
// netstack lives in the nested interop module, which registers a Factory
// of its own and calls Run; that keeps the library free of the
// dependency.
//
// The harness measures wall-clock figures, so results depend on the
// machine and on what else runs on it; it compares stacks within one run,
// under the same conditions, and judges ratios, not absolute numbers.
package bench
