// Package gvstack runs gVisor's netstack over gosock's devices, for
// interoperability tests and benchmarks against gosock.
//
// Link adapts any gosock link.Device of TypeRawIP (a link.Pipe end, say)
// into a gVisor stack.LinkEndpoint, so a gVisor stack and a gosock
// namespace can sit at the two ends of one in-memory wire with gosock's
// seeded impairments, and two gVisor stacks can be joined by the very
// same wire the gosock benchmark uses. NewStack builds a gVisor stack
// with IPv4 and TCP configured as close to Linux's defaults as gVisor
// allows (SACK, cubic, receive-buffer moderation, Linux's buffer
// ranges), and Factory plugs it into the bench harness as "gvisor".
package gvstack
