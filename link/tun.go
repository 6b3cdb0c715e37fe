package link

import (
	"sync/atomic"

	"github.com/gosock/gosock/wire"
)

// TUNOptions configure OpenTUN and OpenTAP.
type TUNOptions struct {
	// TAP makes an Ethernet (IFF_TAP) device; otherwise the device is a
	// TUN (IFF_TUN) carrying bare IP packets. OpenTAP sets it.
	TAP bool
	// MTU, if not zero, is set on the kernel's interface (SIOCSIFMTU)
	// when it is created; otherwise the kernel's default (1500) stays.
	MTU int
	// HardwareAddr is gosock's own MAC on a TAP device, the source of the
	// frames it writes; the zero value picks a random locally administered
	// unicast address. The kernel's side of the wire has its own address
	// (KernelHardwareAddr). Unused on a TUN.
	HardwareAddr wire.MAC
	// Path is the clone device, /dev/net/tun when empty.
	Path string
	// NoOffload opens the device without IFF_VNET_HDR: frames are plain,
	// the kernel segments and checksums everything it sends, and gosock
	// must send MTU-sized packets with complete checksums. By default the
	// device is opened with a virtio_net_hdr on every frame and
	// TUNSETOFFLOAD(TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6|TUN_F_TSO_ECN), so the
	// kernel hands gosock 64 KiB TCP super-packets with partial checksums
	// and takes gosock's super-segments whole; a kernel that refuses
	// IFF_VNET_HDR gets the plain device.
	NoOffload bool
}

// DefaultTUNPath is the Linux clone device that creates TUN and TAP
// interfaces.
const DefaultTUNPath = "/dev/net/tun"

// TUNDevice is a Linux TUN or TAP interface seen from its user-space end:
// frames gosock transmits are received by the host's kernel on the
// interface, and what the kernel sends out of the interface is received
// by gosock. A TUN (TypeRawIP) carries bare IPv4 and IPv6 packets; a TAP
// (TypeEthernet) carries Ethernet frames, so gosock answers ARP and
// neighbour discovery for its own addresses.
//
// The device is opened with IFF_NO_PI (no packet-information prefix)
// and, unless TUNOptions.NoOffload, IFF_VNET_HDR with checksum and TCP
// segmentation offload (vnet.go): each frame then travels behind a
// virtio_net_hdr that says whether it is a super-segment and whether its
// transport checksum is partial, and Capabilities reports GSO up to
// 64 KiB and checksum offload. Each Transmit is one write(2) of one
// frame (a writev(2) with the header), and each received frame one
// readv(2) straight into a pooled pktbuf, sized for the MTU without
// offload and for a 64 KiB super-packet with it (with a spill area
// behind it, so a frame larger than expected is copied rather than
// lost). Batching and multi-queue devices are left for later.
//
// The interface is not persistent: it disappears when the device is
// closed. It belongs to the network namespace of the thread that opened
// it, and the device keeps working from any thread afterwards.
type TUNDevice struct {
	name     string
	typ      Type
	hw       wire.MAC // gosock's MAC (TAP)
	kernelHW wire.MAC // the kernel interface's MAC (TAP)
	index    int
	mtu      atomic.Int32
	down     atomic.Bool // closed, or the interface went away
	rx       atomic.Pointer[tunReceiver]
	stats    Stats
	vnet     bool // IFF_VNET_HDR: a virtio_net_hdr on every frame
	offload  bool // TUNSETOFFLOAD accepted: the kernel sends super-packets

	sys tunSys // platform part
}

type tunReceiver struct{ r Receiver }

var _ Device = (*TUNDevice)(nil)

// OpenTAP is OpenTUN with opts.TAP set: an Ethernet device.
func OpenTAP(name string, opts TUNOptions) (*TUNDevice, error) {
	opts.TAP = true
	return OpenTUN(name, opts)
}

// OpenTUN creates the TUN interface name (or a TAP one if opts.TAP) in
// the calling thread's network namespace and starts its receive
// goroutine. An empty name lets the kernel choose (tun0, tap0, ...);
// Name returns the one it chose. It needs CAP_NET_ADMIN; the errors wrap
// errno values and read as the host's do, for example
// "open /dev/net/tun: no such file or directory" or
// "ioctl TUNSETIFF gs0: operation not permitted".
//
// Frames start arriving once the kernel's side is up (ip link set dev
// NAME up) and a Receiver is attached; until then they are dropped and
// counted.
func OpenTUN(name string, opts TUNOptions) (*TUNDevice, error) {
	return openTUN(name, opts)
}

// Name returns the interface name the kernel gave the device.
func (d *TUNDevice) Name() string { return d.name }

// Index returns the kernel's interface index, as `ip link` shows it.
func (d *TUNDevice) Index() int { return d.index }

// Type is TypeRawIP for a TUN, TypeEthernet for a TAP.
func (d *TUNDevice) Type() Type { return d.typ }

// MTU returns the MTU read from the kernel at open or set with SetMTU.
// A change made outside gosock (ip link set mtu) is not seen here, though
// larger frames the kernel then sends are still received whole.
func (d *TUNDevice) MTU() int { return int(d.mtu.Load()) }

// HardwareAddr returns gosock's MAC on a TAP, zero on a TUN.
func (d *TUNDevice) HardwareAddr() wire.MAC { return d.hw }

// KernelHardwareAddr returns the MAC of the kernel's interface on a TAP
// (read with SIOCGIFHWADDR), the address the kernel's frames come from;
// zero on a TUN.
func (d *TUNDevice) KernelHardwareAddr() wire.MAC { return d.kernelHW }

// Flags reports point-to-point without ARP for a TUN, broadcast for a
// TAP, both multicast-capable, and a carrier while the device is open.
func (d *TUNDevice) Flags() Flags {
	f := FlagMulticast
	if d.typ == TypeRawIP {
		f |= FlagPointToPoint | FlagNoARP
	} else {
		f |= FlagBroadcast
	}
	if !d.down.Load() {
		f |= FlagRunning | FlagLowerUp
	}
	return f
}

// Capabilities reports segmentation offload up to 64 KiB and checksum
// offload when the device has a virtio_net_hdr (the kernel cuts and
// checksums what gosock sends), none otherwise.
func (d *TUNDevice) Capabilities() Capabilities {
	if !d.vnet {
		return Capabilities{}
	}
	return Capabilities{GSOMaxSize: tunGSOMaxSize, ChecksumOffload: true}
}

// Offload reports whether the device carries virtio_net_hdr and whether
// the kernel accepted TUNSETOFFLOAD, so that it sends super-packets and
// partial checksums.
func (d *TUNDevice) Offload() (vnetHdr, kernelOffload bool) { return d.vnet, d.offload }

// tunGSOMaxSize is the largest super-segment gosock writes: an IP packet
// can be no longer (its total length field), and the tun driver takes
// no more than that in one write.
const tunGSOMaxSize = 65535

// Attach sets the receiver of incoming frames; nil detaches.
func (d *TUNDevice) Attach(r Receiver) {
	if r == nil {
		d.rx.Store(nil)
		return
	}
	d.rx.Store(&tunReceiver{r})
}

// Stats returns the device's counters, counted on gosock's side: a
// transmitted frame is one the kernel accepted, a received one a frame
// read from the kernel.
func (d *TUNDevice) Stats() *Stats { return &d.stats }

// maxFrame is the largest frame the device carries at the current MTU:
// the MTU for a TUN, plus an Ethernet header and a VLAN tag for a TAP.
func (d *TUNDevice) maxFrame() int {
	n := int(d.mtu.Load())
	if d.offload {
		n = max(n, tunGSOMaxSize)
	}
	if d.typ == TypeEthernet {
		n += wire.EthernetHeaderLen + 4
	}
	return n
}
