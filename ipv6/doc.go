// Package ipv6 is gosock's IPv6 layer with ICMPv6 and MLD, as Linux's
// net/ipv6/ip6_input.c, exthdrs.c, reassembly.c, ip6_output.c,
// ip6_forward (in ip6_output.c), icmp.c and mcast.c.
//
// Register installs it in a namespace. Input validates each packet
// (version, payload length, martian addresses), processes the hop-by-hop
// options header, decides whether the packet is for this host (a local
// address, or a multicast group the interface has joined) or is to be
// forwarded, walks the extension headers in order (routing, fragment,
// destination options), reassembles fragments, and hands the datagram to
// the transport protocol registered for its final next header, answering
// ICMPv6 parameter problem when there is none. Output adds the header,
// fragments to the path MTU (only the source fragments in IPv6) and sends
// through the neighbour layer. ICMPv6 lives here for the reason ipv4
// keeps ICMP: IPv6 sends ICMPv6 errors and ICMPv6 sends IPv6 packets.
// Neighbour Discovery is the ndp package's: it registers itself as the
// handler of NDP messages (SetNDPHandler), which this package checks
// (checksum, hop limit 255) and passes on, so ipv6 does not import ndp.
//
// Multicast: all-nodes (ff02::1) is always received; each IPv6 address
// configured on an interface that does address resolution joins its
// solicited-node group (RFC 4291 2.7.1) through a netns Observer, and
// joining or leaving a group sends MLDv2 reports (RFC 3810; Linux's
// default force_mld_version=0), answering general and group queries too.
//
// Deliberate differences from Linux:
//   - Jumbograms (RFC 2675) are never sent; a received jumbo payload
//     option is validated as Linux does, and no gosock device carries a
//     packet long enough to need one.
//   - Outgoing flow labels are the sender's (Header.FlowLabel), zero by
//     default: Linux's automatic flow labels (auto_flowlabels) and flow
//     label reflection are not implemented.
//   - Routing headers of type 2 (Mobile IPv6), 3 (RPL) and 4 (segment
//     routing) are never processed: with Linux's defaults (no home
//     address, rpl_seg_enabled=0, seg6_enabled=0) it drops them too, which
//     is what happens here. Type 0 and unknown types follow RFC 5095 and
//     RFC 8200 4.4 exactly as Linux: ignored with segments left 0,
//     parameter problem at the type field otherwise.
//   - Raw sockets see only upper-layer protocols (the RawTap is offered
//     the final next header), not each extension header as Linux's
//     raw6_local_deliver does.
//   - Packets to a link-local destination that is not ours are dropped
//     (counted InAddrErrors) rather than forwarded back out of their link.
//   - ICMPv6 redirects are neither sent nor acted on; NDP redirect messages
//     reach the NDP handler, which counts and ignores them. No ICMPv6
//     error is sent about a redirect (RFC 4443 2.4(e.2)), which Linux
//     does not check.
//   - Multicast packets sent by this host are not looped back to local
//     listeners (IPV6_MULTICAST_LOOP), and no multicast routing is done.
//   - The ICMPv6 rate mask is Linux's default (0-1,3-127, every error but
//     packet too big) and not a sysctl; the global ICMP token bucket uses
//     net.ipv4.icmp_msgs_per_sec and icmp_msgs_burst as Linux does for
//     both families, but IPv6 keeps its own bucket.
//   - The path MTU cache is keyed by destination only and learned here
//     from packet-too-big messages (never below 1280, RFC 8201), not by
//     each transport's error handler.
//   - MLD always speaks version 2 (no MLDv1 compatibility mode), and
//     sends one retransmission of each state-change report.
package ipv6
