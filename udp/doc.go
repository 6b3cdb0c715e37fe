// Package udp is gosock's UDP over IPv4 and IPv6, as Linux's
// net/ipv4/udp.c and net/ipv6/udp.c: sockets registered in the inet
// families, demultiplexing, checksums, ICMP errors, corking and the Udp /
// Udp6 counters.
//
// Register installs it in a namespace (after gosock.NewNamespace or
// ipv4/ipv6 Register). One port table serves both families, as Linux's
// udp_table does, so dual-stack AF_INET6 sockets receive IPv4 too.
//
// Demultiplexing follows compute_score: a connected 4-tuple beats a bound
// address, which beats a wildcard; a bound device adds to the score;
// IPv4 sockets beat dual-stack IPv6 sockets for IPv4 packets. When the
// best socket is in an SO_REUSEPORT group, a hash of the 4-tuple (seeded
// from the namespace's random source, so a run repeats) picks the member.
// Broadcast and multicast datagrams go to every matching socket.
//
// Deliberate differences from Linux:
//   - A datagram's truesize is its IP length plus 576 bytes
//     (SKB_TRUESIZE of the data), not the allocation the driver made; the
//     receive buffer admits a datagram while the queued truesize is at
//     most SO_RCVBUF, as __udp_enqueue_schedule_skb does.
//   - Looped-back multicast and broadcast (IP_MULTICAST_LOOP) go straight
//     to the local UDP sockets, not through the loopback device, so raw
//     sockets and the Ip counters do not see them.
//   - UDP_SEGMENT cuts the datagram into segments in software before
//     output; UDP_GRO is accepted and has no effect; UDP-Lite is absent.
//   - Sent datagrams leave at once, so SIOCOUTQ is always 0 and the socket
//     is always writable.
package udp
