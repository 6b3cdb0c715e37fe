//go:build linux

package link

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// tunSys is the Linux part of a TUNDevice.
type tunSys struct {
	f   *os.File        // the tun fd, non-blocking, in the Go poller: Close wakes the reader
	raw syscall.RawConn // f's, for readv through the poller
	fd  int             // f's descriptor, written directly so Transmit never blocks
	// ctl is a datagram socket created in the device's namespace for the
	// SIOC*IF* ioctls, which find interfaces by name in the namespace of
	// the socket they are issued on.
	ctl int

	mu      sync.RWMutex // held for reading around uses of fd and ctl
	closed  bool
	closing atomic.Bool // set before f is closed, so the reader knows why it fails

	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed when the receive goroutine ends

	// Receive goroutine state. Each read(2) is a readv into the frame's
	// buffer, sized for the MTU, and a spill area behind it that catches
	// a larger frame (the MTU was raised while the read was pending, or
	// outside gosock), which then costs a copy instead of being lost.
	iov    [3]unix.Iovec // virtio_net_hdr (if vnet), frame, spill
	hdr    [VnetHdrLen]byte
	spill  []byte
	readFn func(fd uintptr) bool // readv bound once, so reads do not allocate
	rn     int
	rerr   unix.Errno
}

// tunMaxFrame is the largest frame a tun device can hand over: its
// largest MTU, 65535, with an Ethernet header and a VLAN tag.
const tunMaxFrame = 65535 + wire.EthernetHeaderLen + 4

// ifreq is struct ifreq: an interface name and a 24-byte union.
type ifreq struct {
	name [unix.IFNAMSIZ]byte
	data [24]byte
}

func newIfreq(name string) (*ifreq, error) {
	var r ifreq
	if len(name) >= len(r.name) {
		return nil, errno.EINVAL
	}
	copy(r.name[:], name)
	return &r, nil
}

func (r *ifreq) ifname() string {
	for i, c := range r.name {
		if c == 0 {
			return string(r.name[:i])
		}
	}
	return string(r.name[:])
}

// ioctlInt issues an ioctl whose argument is an integer value, not a
// pointer (TUNSETOFFLOAD, and TUNSETVNETHDRSZ's int, passed by address).
func ioctlInt(fd int, req uint, v int) error {
	box := int32(v)
	for {
		var e unix.Errno
		if req == unix.TUNSETVNETHDRSZ {
			_, _, e = unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(&box)))
		} else {
			_, _, e = unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(v))
		}
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return errno.Errno(e)
		}
		return nil
	}
}

func ioctl(fd int, req uint, r *ifreq) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(r)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return errno.Errno(e)
		}
		return nil
	}
}

// sysErr turns a syscall.Errno into gosock's errno.Errno, which matches
// syscall.Errno, the os sentinels and errno values under errors.Is.
func sysErr(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return errno.Errno(e)
	}
	return err
}

func openTUN(name string, opts TUNOptions) (d *TUNDevice, err error) {
	path := opts.Path
	if path == "" {
		path = DefaultTUNPath
	}
	req, err := newIfreq(name)
	if err != nil {
		return nil, &os.PathError{Op: "ioctl TUNSETIFF", Path: name, Err: err}
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: sysErr(err)}
	}
	ctl := -1
	defer func() {
		if err != nil {
			unix.Close(fd)
			if ctl >= 0 {
				unix.Close(ctl)
			}
		}
	}()

	flags := uint16(unix.IFF_TUN | unix.IFF_NO_PI)
	typ := TypeRawIP
	if opts.TAP {
		flags = unix.IFF_TAP | unix.IFF_NO_PI
		typ = TypeEthernet
	}
	vnet := !opts.NoOffload
	if vnet {
		binary.NativeEndian.PutUint16(req.data[:], flags|unix.IFF_VNET_HDR)
		if ioctl(fd, unix.TUNSETIFF, req) != nil {
			// A kernel without IFF_VNET_HDR (or refusing it): a plain
			// device, whose error, if any, is the one to report.
			vnet = false
			req, _ = newIfreq(name)
		}
	}
	if !vnet {
		binary.NativeEndian.PutUint16(req.data[:], flags)
		if err := ioctl(fd, unix.TUNSETIFF, req); err != nil {
			if name == "" {
				name = `""`
			}
			return nil, &os.PathError{Op: "ioctl TUNSETIFF", Path: name, Err: err}
		}
	}
	name = req.ifname()
	offload := false
	if vnet {
		// The header size is the kernel's default already; say it, so a
		// device set up differently by someone else still agrees.
		if err := ioctlInt(fd, unix.TUNSETVNETHDRSZ, VnetHdrLen); err != nil {
			return nil, &os.PathError{Op: "ioctl TUNSETVNETHDRSZ", Path: name, Err: err}
		}
		// Without TUNSETOFFLOAD the kernel still takes gosock's
		// super-segments; it only sends its own cut and checksummed.
		offload = ioctlInt(fd, unix.TUNSETOFFLOAD, unix.TUN_F_CSUM|unix.TUN_F_TSO4|unix.TUN_F_TSO6|unix.TUN_F_TSO_ECN) == nil
	}

	ctl, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		// A kernel without IPv4 still has AF_UNIX, whose ioctl falls
		// through to the device ioctls too.
		ctl, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, &os.SyscallError{Syscall: "socket", Err: sysErr(err)}
		}
	}

	d = &TUNDevice{name: name, typ: typ, vnet: vnet, offload: offload}
	d.sys.fd, d.sys.ctl = fd, ctl
	if opts.MTU != 0 {
		if err := d.ifioctlInt(unix.SIOCSIFMTU, "SIOCSIFMTU", int32(opts.MTU)); err != nil {
			return nil, err
		}
	}
	mtu, err := d.ifioctlGetInt(unix.SIOCGIFMTU, "SIOCGIFMTU")
	if err != nil {
		return nil, err
	}
	d.mtu.Store(mtu)
	index, err := d.ifioctlGetInt(unix.SIOCGIFINDEX, "SIOCGIFINDEX")
	if err != nil {
		return nil, err
	}
	d.index = int(index)
	if typ == TypeEthernet {
		r, _ := newIfreq(name)
		if err := ioctl(ctl, unix.SIOCGIFHWADDR, r); err != nil {
			return nil, &os.PathError{Op: "ioctl SIOCGIFHWADDR", Path: name, Err: err}
		}
		// A struct sockaddr: the family, then the address.
		copy(d.kernelHW[:], r.data[2:8])
		d.hw = opts.HardwareAddr
		for d.hw == (wire.MAC{}) {
			if m := randomMAC(); m != d.kernelHW {
				d.hw = m
			}
		}
	}

	// os.NewFile sees the non-blocking descriptor and registers it with
	// the runtime poller, so a read waits by parking the goroutine, not a
	// thread, and Close wakes it.
	d.sys.f = os.NewFile(uintptr(fd), path)
	// Cannot fail for a valid file; the descriptor is f's from here on.
	d.sys.raw, _ = d.sys.f.SyscallConn()
	d.sys.spill = make([]byte, tunMaxFrame)
	d.sys.iov[0].Base = &d.sys.hdr[0]
	d.sys.iov[0].SetLen(len(d.sys.hdr))
	d.sys.iov[2].Base = &d.sys.spill[0]
	d.sys.iov[2].SetLen(len(d.sys.spill))
	d.sys.readFn = d.readv
	d.sys.done = make(chan struct{})
	go d.readLoop()
	return d, nil
}

// randomMAC returns a random locally administered unicast address.
func randomMAC() wire.MAC {
	var m wire.MAC
	rand.Read(m[:])
	m[0] = m[0]&^1 | 2
	return m
}

func (d *TUNDevice) ifioctlInt(req uint, op string, v int32) error {
	r, _ := newIfreq(d.name)
	binary.NativeEndian.PutUint32(r.data[:], uint32(v))
	if err := ioctl(d.sys.ctl, req, r); err != nil {
		return &os.PathError{Op: "ioctl " + op, Path: d.name, Err: err}
	}
	return nil
}

func (d *TUNDevice) ifioctlGetInt(req uint, op string) (int32, error) {
	r, _ := newIfreq(d.name)
	if err := ioctl(d.sys.ctl, req, r); err != nil {
		return 0, &os.PathError{Op: "ioctl " + op, Path: d.name, Err: err}
	}
	return int32(binary.NativeEndian.Uint32(r.data[:])), nil
}

// SetMTU sets the MTU of the kernel's interface (SIOCSIFMTU) and the
// device's. The kernel checks the range (68 to 65535 for TUN and TAP)
// and answers EINVAL outside it.
func (d *TUNDevice) SetMTU(mtu int) error {
	d.sys.mu.RLock()
	defer d.sys.mu.RUnlock()
	if d.sys.closed {
		return errno.ENETDOWN
	}
	if mtu < 0 || mtu > math.MaxInt32 {
		return &os.PathError{Op: "ioctl SIOCSIFMTU", Path: d.name, Err: errno.EINVAL}
	}
	if err := d.ifioctlInt(unix.SIOCSIFMTU, "SIOCSIFMTU", int32(mtu)); err != nil {
		return err
	}
	d.mtu.Store(int32(mtu))
	return nil
}

// Transmit writes the frame to the kernel. It does not block: the tun
// driver accepts a write at once or fails it (EAGAIN is reported as
// ENOBUFS, a dropped frame). After Close, or once the kernel's interface
// is gone (ip link del), it reports ENETDOWN.
func (d *TUNDevice) Transmit(pkt *pktbuf.Buffer) error {
	b := pkt.Bytes()
	limit := int(d.mtu.Load())
	if d.vnet && pkt.GSOType != pktbuf.GSONone {
		limit = max(limit, tunGSOMaxSize)
	}
	linkLen := 0
	if d.typ == TypeEthernet {
		linkLen = wire.EthernetHeaderLen
		if isVLAN(b) {
			linkLen += 4
		}
		limit += linkLen
	}
	if len(b) > limit {
		pkt.Release()
		d.stats.TxDropped.Add(1)
		return errno.EMSGSIZE
	}
	d.sys.mu.RLock()
	if d.sys.closed || d.down.Load() {
		d.sys.mu.RUnlock()
		pkt.Release()
		d.stats.TxDropped.Add(1)
		return errno.ENETDOWN
	}
	var n int
	var err error
	if d.vnet {
		n, err = d.writeVnet(pkt, linkLen)
	} else {
		for {
			n, err = unix.Write(d.sys.fd, b)
			if err != unix.EINTR {
				break
			}
		}
	}
	d.sys.mu.RUnlock()
	pkt.Release()
	if err != nil {
		switch err {
		case unix.EAGAIN:
			d.stats.TxDropped.Add(1)
			return errno.ENOBUFS
		case unix.EBADFD:
			// The interface was deleted under us.
			d.down.Store(true)
			d.stats.TxDropped.Add(1)
			return errno.ENETDOWN
		}
		d.stats.TxErrors.Add(1)
		return sysErr(err)
	}
	d.stats.TxPackets.Add(1)
	d.stats.TxBytes.Add(uint64(n))
	return nil
}

// writeVnet writes pkt behind the virtio_net_hdr that describes its GSO
// and checksum state, in one writev(2); it returns the frame bytes
// written, without the header.
func (d *TUNDevice) writeVnet(pkt *pktbuf.Buffer, linkLen int) (int, error) {
	var vh VnetHdr
	if !vh.FromBuffer(pkt, linkLen) {
		// Headers gosock cannot describe: cut and checksum it here.
		if pkt.GSOType != pktbuf.GSONone || pkt.ChecksumPartial {
			return 0, unix.EINVAL
		}
	}
	var hdr [VnetHdrLen]byte
	vh.Encode(hdr[:])
	b := pkt.Bytes()
	var iov [2]unix.Iovec
	iov[0].Base = &hdr[0]
	iov[0].SetLen(len(hdr))
	cnt := 1
	if len(b) > 0 {
		iov[1].Base = &b[0]
		iov[1].SetLen(len(b))
		cnt = 2
	}
	for {
		n, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(d.sys.fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
		switch {
		case e == unix.EINTR:
			continue
		case e != 0:
			return 0, e
		}
		return int(n) - VnetHdrLen, nil
	}
}

func isVLAN(b []byte) bool {
	return len(b) >= wire.EthernetHeaderLen &&
		wire.EtherType(binary.BigEndian.Uint16(b[12:])) == wire.EtherTypeVLAN
}

// readv is the RawConn callback of the receive goroutine: one readv(2)
// into iov. It returns false to wait for the descriptor to be readable.
func (d *TUNDevice) readv(fd uintptr) bool {
	for {
		iov := d.sys.iov[:]
		if !d.vnet {
			iov = iov[1:]
		}
		n, _, e := unix.Syscall(unix.SYS_READV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		d.sys.rn, d.sys.rerr = int(n), e
		return true
	}
}

// readLoop is the receive goroutine: it reads one frame per readv(2) into
// a pooled buffer and hands it to the Receiver.
func (d *TUNDevice) readLoop() {
	defer close(d.sys.done)
	hdrLen := 0
	if d.vnet {
		hdrLen = VnetHdrLen
	}
	var vh VnetHdr
	for {
		size := d.maxFrame()
		pkt := pktbuf.New(pktbuf.DefaultHeadroom, size)
		d.sys.iov[1].Base = &pkt.Bytes()[0]
		d.sys.iov[1].SetLen(size)
		err := d.sys.raw.Read(d.sys.readFn)
		if err == nil && d.sys.rerr != 0 {
			err = d.sys.rerr
		}
		n := d.sys.rn - hdrLen
		if err == nil && d.sys.rn == 0 {
			err = io.EOF
		}
		if err != nil {
			d.sys.iov[1].Base = nil
			pkt.Release()
			if d.sys.closing.Load() {
				return
			}
			// EBADFD or EIO: the interface went away under us (ip link
			// del). Nothing more will come.
			d.stats.RxErrors.Add(1)
			d.down.Store(true)
			return
		}
		if n <= 0 || n > size+len(d.sys.spill) {
			// No frame behind the header, or cut short: larger than any
			// tun frame can be.
			d.sys.iov[1].Base = nil
			pkt.Release()
			d.stats.RxErrors.Add(1)
			continue
		}
		if n > size {
			big := pktbuf.New(pktbuf.DefaultHeadroom, n)
			copy(big.Bytes(), pkt.Bytes())
			copy(big.Bytes()[size:], d.sys.spill[:n-size])
			pkt.Release()
			pkt = big
		}
		d.sys.iov[1].Base = nil // the buffer is the Receiver's now
		pkt.Trim(n)
		if d.vnet {
			vh.Decode(d.sys.hdr[:])
			if !vh.ToBuffer(pkt) {
				pkt.Release()
				d.stats.RxErrors.Add(1)
				continue
			}
		}
		box := d.rx.Load()
		if box == nil {
			pkt.Release()
			d.stats.RxDropped.Add(1)
			continue
		}
		d.stats.RxPackets.Add(1)
		d.stats.RxBytes.Add(uint64(n))
		if pkt.GSOType == pktbuf.GSOUDPL4 {
			// gosock's UDP takes datagrams one at a time (it has no
			// UDP_GRO), so a UDP super-packet is cut here, as Linux's
			// udp_rcv_segment does.
			d.deliverSegments(box.r, pkt)
			continue
		}
		box.r.Receive(d, pkt)
	}
}

// deliverSegments cuts a received super-packet and hands each segment
// to r.
func (d *TUNDevice) deliverSegments(r Receiver, pkt *pktbuf.Buffer) {
	linkLen := 0
	if d.typ == TypeEthernet {
		linkLen = wire.EthernetHeaderLen
	}
	if _, err := SegmentGSO(pkt, linkLen, func(seg *pktbuf.Buffer) error {
		seg.ChecksumVerified = true
		r.Receive(d, seg)
		return nil
	}); err != nil {
		d.stats.RxErrors.Add(1)
	}
}

// Close closes the device's descriptor, which removes the kernel's
// interface, and waits for the receive goroutine to end. It must not be
// called from the Receiver, which runs on that goroutine.
func (d *TUNDevice) Close() error {
	d.sys.closeOnce.Do(func() {
		d.down.Store(true)
		d.sys.closing.Store(true)
		d.sys.mu.Lock()
		d.sys.closed = true
		// Closing the os.File wakes the reader and returns once the
		// descriptor is really closed.
		d.sys.closeErr = d.sys.f.Close()
		unix.Close(d.sys.ctl)
		d.sys.mu.Unlock()
		<-d.sys.done
	})
	return d.sys.closeErr
}
