// Package packet is gosock's AF_PACKET family, as Linux's
// net/packet/af_packet.c: sockets that see and send whole link-layer
// frames.
//
// Register installs the family and the namespace's packet tap (Linux's
// ptype_all and ptype_base handlers in one). Sockets are made with
// socket(AF_PACKET, type, htons(ETH_P_*)) and need CAP_NET_RAW:
//
//   - SOCK_RAW sockets receive frames with their link header and send
//     frames as given;
//   - SOCK_DGRAM sockets receive frames without it, and their sends get
//     an Ethernet header built from the sockaddr_ll destination;
//   - SOCK_PACKET, the obsolete interface of Linux 2.0, uses a sockaddr_pkt
//     naming the device.
//
// The protocol argument is an EtherType in network byte order (0: receive
// nothing until a bind names one); ETH_P_ALL sockets see every frame,
// including those the namespace transmits (PACKET_OUTGOING), except the
// ones they sent themselves; other sockets see the frames received with
// their EtherType. Frames are queued as references to the buffers the
// devices handed over (Linux's skb_clone), bounded by SO_RCVBUF with
// drops counted in PACKET_STATISTICS.
//
// Binding follows packet_do_bind: an unknown ifindex is ENODEV; binding to
// a device that is down succeeds but reports ENETDOWN through SO_ERROR,
// and the socket starts receiving when the device comes up, as Linux's
// packet_notifier does. A socket whose device is removed reports ifindex
// -1 and sends to it fail with ENXIO.
//
// Where gosock differs from Linux on purpose:
//
//   - There is no packet mmap (PACKET_RX_RING/TX_RING with a ring give
//     EOPNOTSUPP), no fanout (PACKET_FANOUT gives EOPNOTSUPP), no
//     virtio-net header (PACKET_VNET_HDR and PACKET_VNET_HDR_SZ accept only
//     0) and no socket filter (the generic socket layer refuses
//     SO_ATTACH_FILTER).
//   - The memory a queued frame is charged against SO_RCVBUF is modelled
//     on the skb Linux allocates for a packet socket's own send of that
//     frame (kmalloc size classes, 16 bytes of headroom, struct sk_buff and
//     skb_shared_info): 768 bytes for a minimum-size Ethernet frame, 2304
//     for a full one, as Linux charges frames that cross a veth pair.
//     Frames built by other protocols may be charged differently there.
//   - Sends are not charged against SO_SNDBUF and never block; a device
//     queue that is full gives ENOBUFS (as a qdisc drop does), other device
//     errors are ignored and the length returned, as packet_snd ignores
//     negative returns of dev_queue_xmit.
//   - Received frames are stamped with the namespace clock's time when they
//     reach the tap, for SO_TIMESTAMP and SO_TIMESTAMPNS (always as the
//     _OLD cmsg types: the generic layer keeps no _NEW flag).
package packet
