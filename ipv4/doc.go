// Package ipv4 is gosock's IPv4 layer with ICMP, as Linux's
// net/ipv4/ip_input.c, ip_output.c, ip_forward.c, ip_fragment.c and
// icmp.c.
//
// Register installs it in a namespace. Input validates each packet
// (version, header length, total length, checksum, options), decides
// where it goes (local delivery, broadcast, multicast, forwarding),
// reassembles fragments and hands the datagram to the transport protocol
// registered for its protocol number, answering ICMP protocol-unreachable
// when there is none. Output adds the header, fragments to the path MTU
// and sends through the neighbour layer. ICMP lives here rather than in a
// package of its own because IP sends ICMP errors and ICMP sends IP
// packets; one package avoids an import cycle, as the kernel keeps both
// in net/ipv4.
//
// Deliberate differences from Linux: no IP options are generated or
// echoed back (received options are validated, source-routed packets are
// dropped as with accept_source_route=0), ICMP redirects are counted and
// ignored, and reverse-path filtering is not implemented (rp_filter
// defaults to 0 in a new Linux namespace too).
package ipv4
