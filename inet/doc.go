// Package inet is gosock's AF_INET and AF_INET6 socket family, as Linux's
// net/ipv4/af_inet.c, net/ipv6/af_inet6.c, net/ipv4/datagram.c,
// net/ipv6/datagram.c, ip_sockglue.c, ipv6_sockglue.c and the bind-hash
// half of inet_hashtables.c / inet_connection_sock.c.
//
// # What it is
//
// Register installs the two families in a namespace. Protocols plug in
// through AddProtocol with a Protosw, Linux's inetsw_array entry: a socket
// type, a protocol number (IPPROTO_IP is the wildcard), a Proto (Linux's
// struct proto) and which proto_ops the family uses for it (DgramOps,
// StreamOps, RawOps: inet_dgram_ops, inet_stream_ops, inet_sockraw_ops).
// TCP, UDP, raw and ping sockets all register this way.
//
// inet implements what is common to every inet protocol, once:
//
//   - creation (inet_create / inet6_create): the inetsw lookup with its
//     wildcard rules and errnos, the CAP_NET_RAW check, IPPROTO_RAW
//     implying IP_HDRINCL, INET_PROTOSW_REUSE;
//   - bind (inet_bind / inet6_bind) and its address checks; the port claim
//     itself is the protocol's (ProtoSock.GetPort), usually through a
//     PortTable, the reusable bind-conflict engine with Linux's rules for
//     SO_REUSEADDR, SO_REUSEPORT, wildcards and dual-stack sockets, and
//     the randomised ephemeral search over ip_local_port_range;
//   - datagram connect (ip4_datagram_connect / ip6_datagram_connect),
//     autobind on connect and send, AF_UNSPEC disconnect dispatch;
//   - getsockname/getpeername, shutdown's state rules (inet_shutdown);
//   - SOL_IP and SOL_IPV6 options for all protocols, multicast membership
//     with IGMPv3 (and MLDv2 through the ipv6 package) reports, the error
//     queue (IP_RECVERR, MSG_ERRQUEUE) and the ancillary data helpers.
//
// # The protocol interface
//
// A Proto makes the protocol half of each socket (Init, sk_prot->init),
// a ProtoSock. ProtoSock holds what differs per protocol: GetPort,
// Connect, Disconnect, Sendmsg, Recvmsg, Shutdown, Poll and Close. Extra
// behaviour is found by type assertion: Binder (sk_prot->bind, raw and
// ping sockets), OptionHandler (the protocol's own option level and
// overrides), socket.Ioctler, and Streamer (listen, accept and the
// connect result, for TCP). See proto.go.
//
// # Locking
//
// Each Sock has Mu, Linux's lock_sock: user calls that change the socket
// (bind, connect, options, send) hold it. The lock order is
//
//	Sock.Mu → PortTable.mu → Sock queue locks (the protocol's)
//
// The packet path (softirq) never takes Sock.Mu while holding a
// PortTable lock: demultiplexing reads each socket's addresses through
// an atomically published Addrs snapshot, releases the table lock, and
// only then queues to the socket (or takes Sock.Mu for an ICMP error).
// Stack.mu (the inetsw table) and the multicast reporter's lock are
// leaves.
package inet
