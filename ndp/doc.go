// Package ndp is IPv6 Neighbour Discovery (RFC 4861) with stateless
// address autoconfiguration's duplicate address detection and link-local
// addresses (RFC 4862), as Linux's net/ipv6/ndisc.c and the parts of
// net/ipv6/addrconf.c that drive it.
//
// Register installs it in a namespace (after ipv6): it becomes the
// handler of NDP messages in the ipv6 layer, the IPv6 resolver of the
// namespace's neighbour tables (netns.NeighTable holds the states, timers
// and queues; this package sends the solicitations and feeds the
// advertisements in), and an observer of links and addresses:
//
//   - When an Ethernet interface comes up it gets a link-local address,
//     fe80::/64 with a modified EUI-64 interface identifier (addr_gen_mode
//     0), as Linux's addrconf_dev_config adds it.
//   - Every tentative address (netns marks new IPv6 addresses on Ethernet
//     interfaces tentative when accept_dad and dad_transmits allow) goes
//     through duplicate address detection: after a random delay below
//     router_solicitation_delay, dad_transmits neighbour solicitations
//     from the unspecified address to the solicited-node group, carrying a
//     nonce (enhanced_dad, RFC 7527), one retrans_time apart; with no
//     conflict the tentative flag is cleared a retrans_time after the
//     last. An advertisement for the address, or another node's DAD
//     solicitation for it, marks it dadfailed (it stays tentative, as in
//     Linux, and is never used).
//   - Once the link-local address is usable, the interface reports its
//     multicast memberships again (MLD) and, unless it forwards
//     (accept_ra), solicits routers: router_solicitations times (Linux's
//     default -1 is forever), with RFC 7559 backoff from
//     router_solicitation_interval up to router_solicitation_max_interval,
//     until an advertisement comes.
//   - Router advertisements (accept_ra) install a default route through
//     the router's link-local address for the router lifetime
//     (accept_ra_defrtr, metric ra_defrtr_metric, proto ra), on-link
//     prefix routes and SLAAC addresses for their valid lifetimes
//     (accept_ra_pinfo, autoconf), and set the hop limit, reachable time,
//     retransmission timer and IPv6 MTU they carry.
//
// Neighbour solicitations for the interface's usable addresses are
// answered with Linux's flags: solicited, override only when the
// solicitation was multicast (which is also when the target link-layer
// address option is included), router when the interface forwards.
//
// Deliberate differences from Linux:
//   - Addresses are not deleted when a link goes down
//     (keep_addr_on_down=0 in Linux deletes them); only the ones this
//     package configured itself (the link-local address, SLAAC addresses)
//     and the routes learned from router advertisements are removed, and
//     tentative addresses start duplicate address detection again when
//     the link comes back.
//   - Only Ethernet interfaces are configured; Linux also gives tun-like
//     devices (ARPHRD_NONE) a random link-local address.
//   - addr_gen_mode 2 and 3 (stable privacy, random) generate the EUI-64
//     identifier as mode 0 does; temporary addresses (use_tempaddr),
//     optimistic DAD, proxy NDP, anycast and route information options
//     (accept_ra_rt_info_max_plen is 0 by default) are not implemented.
//   - Redirects are validated by the ipv6 layer's checks (hop limit 255,
//     code 0) and then counted and ignored.
//   - A neighbour solicitation's source is the interface's usable address
//     best matching the target, else its link-local address; Linux uses
//     the source of the packet waiting for resolution when it can.
package ndp
