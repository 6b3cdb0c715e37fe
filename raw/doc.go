// Package raw is gosock's raw sockets (SOCK_RAW, Linux's net/ipv4/raw.c
// and net/ipv6/raw.c) and ICMP "ping" sockets (SOCK_DGRAM with
// IPPROTO_ICMP or IPPROTO_ICMPV6, net/ipv4/ping.c).
//
// Register installs both in a namespace's inet families, the namespace's
// RawTap (every locally delivered IP packet is offered to the raw sockets
// of its protocol) and the ipv4 and ipv6 echo hooks (echo replies go to
// the ping socket whose identifier, its bound port, they carry).
//
// Raw sockets: an IPv4 raw socket receives whole datagrams with their IP
// header, an IPv6 one only what follows the header; ICMP_FILTER
// (ICMPV6_FILTER) drops the types whose bit is set; IP_HDRINCL (on for
// IPPROTO_RAW) sends a header the user built, the stack filling in the
// total length, checksum, a zero source and a zero identification as
// raw_send_hdrinc does; an ICMPv6 raw socket's checksum is computed by
// the stack (IPV6_CHECKSUM offset 2), IPv4 ones are the user's.
//
// Ping sockets: only creators whose group is in net.ipv4.ping_group_range
// may make them (EACCES, as ping_init_sock), the identifier is the bound
// port (allocated in sequence on the first send), the user's message must
// be an echo request with code 0, and receives return the ICMP message.
//
// Deliberate differences from Linux:
//   - ICMP errors are not routed to raw and ping sockets (the ipv4 and
//     ipv6 packages hand them only to the transport protocol that sent
//     the quoted packet), so IP_RECVERR on them only sees local errors.
//   - An IPv6 raw socket sees only upper-layer protocols, not extension
//     headers (see the ipv6 package).
package raw
