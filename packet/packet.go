package packet

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// EtherTypes a packet socket names (if_ether.h), in host byte order: the
// socket(2) argument and sll_protocol carry them in network byte order.
const (
	ETH_P_802_3     = 0x0001 // Novell raw 802.3 (an IPX hack)
	ETH_P_ALL       = 0x0003 // every frame
	ETH_P_802_2     = 0x0004 // 802.2 LLC
	ETH_P_IP        = 0x0800
	ETH_P_ARP       = 0x0806
	ETH_P_8021Q     = 0x8100
	ETH_P_IPV6      = 0x86DD
	ETH_P_8021AD    = 0x88A8
	ETH_P_802_3_MIN = 0x0600 // smaller values are 802.3 lengths
)

// Hardware types (if_arp.h), as sll_hatype reports them.
const (
	ARPHRD_ETHER    = 1
	ARPHRD_LOOPBACK = 772
	ARPHRD_NONE     = 0xFFFE // a raw-IP device, as a Linux TUN
)

// tp_status bits of struct tpacket_auxdata.
const (
	TP_STATUS_USER            = 0x1
	TP_STATUS_CSUMNOTREADY    = 0x8
	TP_STATUS_VLAN_VALID      = 0x10
	TP_STATUS_VLAN_TPID_VALID = 0x40
	TP_STATUS_CSUM_VALID      = 0x80
)

// PACKET_VERSION values.
const (
	TPACKET_V1 = 0
	TPACKET_V2 = 1
	TPACKET_V3 = 2
)

// Sizes of the structures the family exchanges with user space.
const (
	SizeofTpacketAuxdata = 20 // struct tpacket_auxdata
	SizeofTpacketStats   = 8  // struct tpacket_stats
	SizeofTpacketStatsV3 = 12 // struct tpacket_stats_v3
	SizeofSockaddrPkt    = 18 // struct sockaddr_pkt (SOCK_PACKET)
	SizeofPacketMreq     = 16 // struct packet_mreq
	sizeofPacketMreqMax  = 40 // packet_mreq with MAX_ADDR_LEN (32) address bytes
	sizeofSockaddr       = 16 // struct sockaddr
	llAddrOff            = 12 // offsetof(struct sockaddr_ll, sll_addr)
	vlanHLen             = 4  // VLAN_HLEN
	maxAddrLen           = 32 // MAX_ADDR_LEN
)

// msgCmsgCompat is MSG_CMSG_COMPAT, which packet_recvmsg accepts.
const msgCmsgCompat = 0x80000000

type stateKey struct{}

// table is the family's state in one namespace: its sockets
// (net->packet.sklist), the running receive hooks, and what memberships
// asked of each device.
type table struct {
	ns *netns.Namespace

	// hooks is the immutable list of running hooks, replaced on every
	// change so the tap reads it without locks (ptype_all and ptype_base,
	// RCU-read there).
	hooks atomic.Pointer[[]*hook]
	next  atomic.Pointer[tapBox]

	mu    sync.Mutex // guards the fields below and replacing hooks
	socks []*sock
	devs  map[int]*devState
}

// hook is one running socket's registration (struct packet_type).
type hook struct {
	s       *sock
	proto   uint16 // ETH_P_ALL or the EtherType received
	ifindex int    // 0: every interface
}

type tapBox struct{ t netns.PacketTap }

// devState counts what PACKET_ADD_MEMBERSHIP asked of one device:
// dev_set_promiscuity, dev_set_allmulti, dev_mc_add, dev_uc_add.
type devState struct {
	promisc, allmulti int
	mc, uc            map[string]int
}

// Register installs AF_PACKET in ns: the family, the namespace's packet
// tap and an observer of link changes. Registering twice does nothing.
//
// The tap replaces whatever tap ns had (netns has one slot and no getter);
// another user of frames chains itself behind the packet sockets with
// SetNextTap.
func Register(ns *netns.Namespace) {
	if _, ok := ns.ProtocolState(stateKey{}).(*table); ok {
		return
	}
	t := &table{ns: ns, devs: make(map[int]*devState)}
	ns.SetProtocolState(stateKey{}, t)
	ns.RegisterFamily(abi.AF_PACKET, family{t})
	ns.SetPacketTap(t)
	ns.AddObserver(t)
}

func tableOf(ns *netns.Namespace) *table {
	t, _ := ns.ProtocolState(stateKey{}).(*table)
	return t
}

// SetNextTap chains next behind the packet sockets of ns: it sees every
// frame after they have, on the same goroutine and under the same rules
// (it must not block or keep the buffer without a reference). Nil removes
// it. It panics if Register was not called for ns.
func SetNextTap(ns *netns.Namespace, next netns.PacketTap) {
	t := tableOf(ns)
	if t == nil {
		panic("packet: SetNextTap before Register")
	}
	if next == nil {
		t.next.Store(nil)
		return
	}
	t.next.Store(&tapBox{next})
}

// Promiscuity reports how many PACKET_MR_PROMISC and PACKET_MR_ALLMULTI
// memberships hold the interface with the given index (the counts
// dev_set_promiscuity and dev_set_allmulti keep in Linux). gosock devices
// deliver every frame whatever these say, as a veth does.
func Promiscuity(ns *netns.Namespace, ifindex int) (promisc, allmulti int) {
	t := tableOf(ns)
	if t == nil {
		return 0, 0
	}
	if ns.Interface(ifindex) == nil {
		return 0, 0 // the counts went with the device
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.devs[ifindex]; d != nil {
		return d.promisc, d.allmulti
	}
	return 0, 0
}

// family creates packet sockets (packet_create).
type family struct{ t *table }

// Create checks CAP_NET_RAW, then the type; the protocol is kept as the
// 16-bit network-order value Linux casts it to ("weird, but documented").
// A non-zero protocol starts reception on every interface at once.
func (f family) Create(sk *socket.Sock, typ, protocol int, kern bool) (socket.ProtoOps, errno.Errno) {
	if !kern && !sk.Creds.Has(socket.CapNetRaw) {
		return nil, errno.EPERM
	}
	if typ != abi.SOCK_DGRAM && typ != abi.SOCK_RAW && typ != abi.SOCK_PACKET {
		return nil, errno.ESOCKTNOSUPPORT
	}
	// Linux never sets sk_protocol for packet sockets: SO_PROTOCOL is 0.
	sk.Protocol = 0
	s := &sock{sk: sk, t: f.t, typ: typ, num: ntohs(uint16(protocol))}
	f.t.mu.Lock()
	f.t.socks = append(f.t.socks, s)
	f.t.mu.Unlock()
	if s.num != 0 {
		s.mu.Lock()
		s.registerLocked()
		s.mu.Unlock()
	}
	return s, 0
}

func ntohs(v uint16) uint16 { return bits.ReverseBytes16(v) }

// addHook and removeHook replace the hook list (dev_add_pack,
// __dev_remove_pack).
//
// The list keeps Linux's delivery order: the namespace's ptype_all, the
// device's ptype_all, ptype_base, the device's ptype_specific, each
// newest first (list_add_rcu at the head).
func (t *table) addHook(h *hook) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var old []*hook
	if p := t.hooks.Load(); p != nil {
		old = *p
	}
	i := 0
	for i < len(old) && old[i].rank() < h.rank() {
		i++
	}
	next := slices.Insert(slices.Clone(old), i, h)
	t.hooks.Store(&next)
}

// rank orders the hook lists: 0 for ETH_P_ALL on every device, 1 for
// ETH_P_ALL on one, 2 for a protocol on every device, 3 on one.
func (h *hook) rank() int {
	r := 0
	if h.proto != ETH_P_ALL {
		r = 2
	}
	if h.ifindex != 0 {
		r++
	}
	return r
}

func (t *table) removeHook(s *sock) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.hooks.Load()
	if old == nil {
		return
	}
	next := slices.DeleteFunc(slices.Clone(*old), func(h *hook) bool { return h.s == s })
	t.hooks.Store(&next)
}

func (t *table) removeSock(s *sock) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.socks = slices.DeleteFunc(t.socks, func(o *sock) bool { return o == s })
}

// LinkChanged is packet_notifier's NETDEV_DOWN and NETDEV_UP: sockets
// bound to a device going down stop receiving and get ENETDOWN; when it
// comes up they receive again.
func (t *table) LinkChanged(ifc *netns.Interface, up bool) {
	t.mu.Lock()
	socks := slices.Clone(t.socks)
	t.mu.Unlock()
	for _, s := range socks {
		report := false
		s.mu.Lock()
		if s.dev == ifc && s.ifindex == ifc.Index() {
			switch {
			case !up && s.running:
				s.unregisterLocked()
				report = true
			case up && s.num != 0:
				s.registerLocked()
			}
		}
		s.mu.Unlock()
		if report {
			s.sk.SetError(errno.ENETDOWN)
		}
	}
}

// AddressChanged is of no interest to packet sockets.
func (t *table) AddressChanged(*netns.Interface, netns.Address, bool) {}

// devMc applies one membership to the device with index ifindex and
// address length alen, or takes it back (delta -1), as packet_dev_mc.
// Unknown types are accepted and do nothing.
func (t *table) devMc(ifindex, alen int, m *mcEntry, delta int) errno.Errno {
	switch m.typ {
	case abi.PACKET_MR_MULTICAST, abi.PACKET_MR_UNICAST:
		if delta > 0 && int(m.alen) != alen {
			return errno.EINVAL
		}
	case abi.PACKET_MR_PROMISC, abi.PACKET_MR_ALLMULTI:
	default:
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.devs[ifindex]
	if d == nil {
		if delta < 0 {
			return 0
		}
		d = &devState{mc: make(map[string]int), uc: make(map[string]int)}
		t.devs[ifindex] = d
	}
	key := string(m.addr[:m.alen])
	switch m.typ {
	case abi.PACKET_MR_MULTICAST:
		if d.mc[key] += delta; d.mc[key] <= 0 {
			delete(d.mc, key)
		}
	case abi.PACKET_MR_UNICAST:
		if d.uc[key] += delta; d.uc[key] <= 0 {
			delete(d.uc, key)
		}
	case abi.PACKET_MR_PROMISC:
		d.promisc = max(d.promisc+delta, 0)
	case abi.PACKET_MR_ALLMULTI:
		d.allmulti = max(d.allmulti+delta, 0)
	}
	if d.promisc == 0 && d.allmulti == 0 && len(d.mc) == 0 && len(d.uc) == 0 {
		delete(t.devs, ifindex)
	}
	return 0
}

// dropMemberships takes back memberships a socket no longer holds.
func (t *table) dropMemberships(ml []*mcEntry) {
	for _, m := range ml {
		t.devMc(m.ifindex, 0, m, -1)
	}
}

// Device properties as Linux's net_device has them.

func hatype(ifc *netns.Interface) uint16 {
	switch {
	case ifc.Device().Type() == link.TypeRawIP:
		return ARPHRD_NONE
	case ifc.IsLoopback():
		return ARPHRD_LOOPBACK
	}
	return ARPHRD_ETHER
}

// addrLen is dev->addr_len.
func addrLen(ifc *netns.Interface) int {
	if ifc.Device().Type() == link.TypeEthernet {
		return 6
	}
	return 0
}

// hardHeaderLen is dev->hard_header_len (and min_header_len).
func hardHeaderLen(ifc *netns.Interface) int {
	if ifc.Device().Type() == link.TypeEthernet {
		return wire.EthernetHeaderLen
	}
	return 0
}

// ethProto is the protocol eth_type_trans finds in an Ethernet header:
// the EtherType, or for an 802.3 length field ETH_P_802_3 (payload
// starting 0xFFFF, raw IPX) or ETH_P_802_2.
func ethProto(frame []byte) uint16 {
	t := binary.BigEndian.Uint16(frame[12:])
	if t >= ETH_P_802_3_MIN {
		return t
	}
	if len(frame) >= 16 && frame[14] == 0xFF && frame[15] == 0xFF {
		return ETH_P_802_3
	}
	return ETH_P_802_2
}

// frame is what the tap learnt about one frame, shared by the sockets it
// is delivered to.
type frame struct {
	ifc      *netns.Interface
	buf      *pktbuf.Buffer // holds data
	data     []byte         // the frame from its link header (one VLAN tag stripped)
	hdrLen   int            // link header length
	proto    uint16         // skb->protocol, host order
	pkttype  uint8
	hatype   uint16
	halen    uint8
	addr     [8]byte // source hardware address (dev_parse_header)
	outgoing bool
	vlan     bool
	vlanTCI  uint16
	vlanTPID uint16
	status   uint32 // checksum bits of tp_status
	mark     uint32
	stamp    time.Time
}

// Tap is the namespace's packet tap: Linux's dev_queue_xmit_nit for
// transmitted frames and the ptype_all and ptype_base deliveries of
// __netif_receive_skb_core for received ones.
func (t *table) Tap(ifc *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) {
	if hs := t.hooks.Load(); hs != nil && len(*hs) > 0 {
		t.deliver(*hs, ifc, pkt, outgoing)
	}
	if n := t.next.Load(); n != nil {
		n.t.Tap(ifc, pkt, outgoing)
	}
}

func (t *table) deliver(hooks []*hook, ifc *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) {
	var f frame
	if !parseFrame(&f, ifc, pkt, outgoing) {
		return
	}
	if f.buf != pkt {
		defer f.buf.Release()
	}
	idx := ifc.Index()
	stamped := false
	for _, h := range hooks {
		if h.ifindex != 0 && h.ifindex != idx {
			continue
		}
		all := h.proto == ETH_P_ALL
		switch {
		case !all && (outgoing || h.proto != f.proto):
			// ptype_base handlers see received frames of their type only.
			continue
		case all && outgoing && (h.s.ignoreOutgoing.Load() || h.s.isSending(pkt)):
			// skb_loop_sk: a socket does not see the frames it sends.
			continue
		}
		if !stamped {
			f.stamp = t.ns.Clock().Now()
			stamped = true
		}
		h.s.rcv(&f, all)
	}
}

// parseFrame fills f for a frame the tap sees, or reports that Linux
// would deliver it to no packet socket (a frame too short for its link
// header, a raw-IP frame that is neither IPv4 nor IPv6, which a TUN
// refuses). A received frame with an 802.1Q or 802.1ad tag is delivered
// with the tag stripped into f's VLAN fields, as skb_vlan_untag does
// before the taps run; f.buf is then a new buffer.
func parseFrame(f *frame, ifc *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) bool {
	b := pkt.Bytes()
	*f = frame{ifc: ifc, buf: pkt, data: b, outgoing: outgoing, hatype: hatype(ifc), mark: pkt.Mark}
	if outgoing {
		f.pkttype = abi.PACKET_OUTGOING
	}
	if pkt.ChecksumPartial {
		f.status = TP_STATUS_CSUMNOTREADY
	} else if !outgoing && pkt.ChecksumVerified {
		f.status = TP_STATUS_CSUM_VALID
	}
	switch ifc.Device().Type() {
	case link.TypeEthernet:
		if len(b) < wire.EthernetHeaderLen {
			return false
		}
		f.hdrLen = wire.EthernetHeaderLen
		f.halen = 6
		copy(f.addr[:], b[6:12])
		if outgoing {
			// The sender set skb->protocol; the header is only the
			// fallback.
			f.proto = pkt.Protocol
			if f.proto == 0 {
				f.proto = ethProto(b)
			}
			return true
		}
		if t := binary.BigEndian.Uint16(b[12:]); t == ETH_P_8021Q || t == ETH_P_8021AD {
			if len(b) < wire.EthernetHeaderLen+vlanHLen+2 {
				return false // skb_vlan_untag frees it
			}
			c := pktbuf.New(pktbuf.DefaultHeadroom, len(b)-vlanHLen)
			cb := c.Bytes()
			copy(cb, b[:12])
			copy(cb[12:], b[16:])
			f.buf, f.data = c, cb
			f.vlan, f.vlanTPID, f.vlanTCI = true, t, binary.BigEndian.Uint16(b[14:])
			b = cb
		}
		f.proto = ethProto(b)
		var dst wire.MAC
		copy(dst[:], b[:6])
		switch {
		case dst == wire.BroadcastMAC:
			f.pkttype = abi.PACKET_BROADCAST
		case dst.IsMulticast():
			f.pkttype = abi.PACKET_MULTICAST
		case dst != ifc.Device().HardwareAddr():
			f.pkttype = abi.PACKET_OTHERHOST
		default:
			f.pkttype = abi.PACKET_HOST
		}
		return true
	case link.TypeRawIP:
		if outgoing && pkt.Protocol != 0 {
			f.proto = pkt.Protocol
			return true
		}
		if len(b) > 0 {
			switch b[0] >> 4 {
			case 4:
				f.proto = ETH_P_IP
			case 6:
				f.proto = ETH_P_IPV6
			}
		}
		return f.proto != 0 || outgoing
	}
	return false
}

// truesize is the memory a queued frame of n bytes is charged: the
// SKB_TRUESIZE of a linear skb holding it behind LL_RESERVED_SPACE (16
// bytes), its data area rounded to a kmalloc size class, as packet_snd
// allocates the frames that cross a veth pair.
func truesize(n int) int {
	const (
		headroom  = 16
		shinfo    = 320 // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
		skbStruct = 256 // SKB_DATA_ALIGN(sizeof(struct sk_buff))
	)
	size := (n+headroom+63)&^63 + shinfo
	return kmallocSize(size) - shinfo + skbStruct + shinfo
}

// kmallocSize rounds a request up as kmalloc_size_roundup does on x86-64.
func kmallocSize(n int) int {
	for _, c := range []int{8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192} {
		if n <= c {
			return c
		}
	}
	return 1 << bits.Len(uint(n-1))
}

// waitqueue events a packet socket raises.
const (
	evReadable = waitq.EventIn | waitq.EventRdNorm
	evWritable = waitq.EventOut | waitq.EventWrNorm | waitq.EventWrBand
)
