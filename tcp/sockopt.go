package tcp

import (
	"encoding/binary"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Limits of TCP options, as include/net/tcp.h.
const (
	tcpMinMSS       = 88    // TCP_MIN_MSS
	maxTCPKeepIdle  = 32767 // MAX_TCP_KEEPIDLE
	maxTCPKeepIntvl = 32767
	maxTCPKeepCnt   = 127
	maxTCPSyncnt    = 127
	caNameMax       = 16 // TCP_CA_NAME_MAX
)

// tcpOpts are the SOL_TCP settings of a socket.
type tcpOpts struct {
	userMSS     int
	cork        bool
	inq         bool // TCP_INQ (beside cork: no padding after each)
	keepIdle    int  // seconds; 0: net.ipv4.tcp_keepalive_time
	keepIntvl   int
	keepCnt     int
	synCnt      int
	userTimeout int // ms
	deferAccept int
	linger2     int
	notsentLow  int
}

// SetOption handles SOL_TCP options (do_tcp_setsockopt) and the
// SOL_SOCKET ones TCP reacts to; everything else goes on to inet.
func (c *conn) SetOption(level, name int, val []byte) (errno.Errno, bool) {
	if level == abi.SOL_SOCKET {
		if name == abi.SO_KEEPALIVE {
			c.mu.Lock()
			c.keepaliveChanged()
			c.mu.Unlock()
		}
		return 0, false
	}
	if level != abi.SOL_TCP {
		return 0, false
	}
	if name == abi.TCP_CONGESTION {
		n := string(trimNUL(val[:min(len(val), caNameMax-1)]))
		cc := newCongestionControl(n)
		if cc == nil || !c.p.ns.Sysctl.CongestionAllowed(n) && !c.sk.S.Creds.Has(socket.CapNetAdmin) {
			return errno.ENOENT, true
		}
		c.mu.Lock()
		c.cc = cc
		c.ccs.now = c.now()
		cc.init(&c.ccs)
		c.mu.Unlock()
		return 0, true
	}
	if e, ok := c.fastOpenSetOption(name, val); ok {
		return e, true
	}
	if len(val) < 4 {
		return errno.EINVAL, true
	}
	v := int(int32(binary.LittleEndian.Uint32(val)))
	c.mu.Lock()
	defer c.mu.Unlock()
	o := &c.opts
	switch name {
	case abi.TCP_NODELAY:
		c.nodelay = v != 0
		if c.nodelay {
			c.output()
		}
	case abi.TCP_MAXSEG:
		if v != 0 && (v < tcpMinMSS || v > maxTCPWindow*2-1) {
			return errno.EINVAL, true
		}
		o.userMSS = v
	case abi.TCP_CORK:
		o.cork = v != 0
		if !o.cork {
			c.output()
		}
	case abi.TCP_KEEPIDLE:
		if v < 1 || v > maxTCPKeepIdle {
			return errno.EINVAL, true
		}
		o.keepIdle = v
		c.keepaliveChanged()
	case abi.TCP_KEEPINTVL:
		if v < 1 || v > maxTCPKeepIntvl {
			return errno.EINVAL, true
		}
		o.keepIntvl = v
	case abi.TCP_KEEPCNT:
		if v < 1 || v > maxTCPKeepCnt {
			return errno.EINVAL, true
		}
		o.keepCnt = v
	case abi.TCP_SYNCNT:
		if v < 1 || v > maxTCPSyncnt {
			return errno.EINVAL, true
		}
		o.synCnt = v
	case abi.TCP_USER_TIMEOUT:
		if v < 0 {
			return errno.EINVAL, true
		}
		o.userTimeout = v
	case abi.TCP_QUICKACK:
		c.setQuickAckOpt(v != 0) // delack.go
	case abi.TCP_DEFER_ACCEPT:
		o.deferAccept = deferSecsToRetrans(v) // kept as SYN-ACK timeouts (deferaccept.go)
	case abi.TCP_LINGER2:
		o.linger2 = v
	case abi.TCP_WINDOW_CLAMP:
		if v == 0 {
			if c.state != Close {
				return errno.EINVAL, true
			}
			c.windowClmp = 0
		} else {
			c.windowClmp = uint32(max(v, socket.SockMinRcvbuf/2))
		}
	case abi.TCP_INQ:
		if v < 0 || v > 1 {
			return errno.EINVAL, true
		}
		o.inq = v != 0
	case abi.TCP_NOTSENT_LOWAT:
		o.notsentLow = v
	default:
		return errno.ENOPROTOOPT, true
	}
	return 0, true
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// GetOption reads SOL_TCP options (do_tcp_getsockopt): integers are
// copied as min(len, 4) bytes; TCP_INFO as min(len, sizeof).
func (c *conn) GetOption(level, name int, buf []byte) (int, errno.Errno, bool) {
	if level == abi.SOL_SOCKET && name == abi.SO_ACCEPTCONN {
		c.mu.Lock()
		v := 0
		if c.state == Listen {
			v = 1
		}
		c.mu.Unlock()
		return putInt(buf, v), 0, true
	}
	if level != abi.SOL_TCP {
		return 0, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.fastOpenGetOption(name, buf); ok {
		return n, 0, true
	}
	o := &c.opts
	var v int
	switch name {
	case abi.TCP_NODELAY:
		v = b2i(c.nodelay)
	case abi.TCP_MAXSEG:
		switch {
		case c.state == Close || c.state == Listen:
			v = o.userMSS
			if v == 0 {
				v = defaultMSS
			}
		default:
			v = c.mss
		}
	case abi.TCP_CORK:
		v = b2i(o.cork)
	case abi.TCP_KEEPIDLE:
		v = int(c.keepIdle() / time.Second)
	case abi.TCP_KEEPINTVL:
		v = int(c.keepIntvl() / time.Second)
	case abi.TCP_KEEPCNT:
		v = c.keepCnt()
	case abi.TCP_SYNCNT:
		v = o.synCnt
		if v == 0 {
			v = int(c.sysInt(netns.TCPSynRetries))
		}
	case abi.TCP_USER_TIMEOUT:
		v = o.userTimeout
	case abi.TCP_QUICKACK:
		v = b2i(!c.pingpongMode())
	case abi.TCP_DEFER_ACCEPT:
		v = deferRetransToSecs(o.deferAccept)
	case abi.TCP_LINGER2:
		v = o.linger2
		if v == 0 {
			v = int(c.sysInt(netns.TCPFinTimeout))
		}
	case abi.TCP_WINDOW_CLAMP:
		v = int(c.windowClmp)
	case abi.TCP_INQ:
		v = b2i(o.inq)
	case abi.TCP_NOTSENT_LOWAT:
		v = o.notsentLow
	case abi.TCP_CONGESTION:
		name := c.cc.name()
		var b [caNameMax]byte
		copy(b[:], name)
		return copy(buf, b[:]), 0, true
	case abi.TCP_INFO:
		var info abi.TCPInfo
		c.fillInfo(&info)
		var b [abi.SizeofTCPInfo]byte
		info.Marshal(b[:])
		return copy(buf, b[:]), 0, true
	default:
		return 0, errno.ENOPROTOOPT, true
	}
	return putInt(buf, v), 0, true
}

func putInt(buf []byte, v int) int {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	return copy(buf, b[:])
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fillInfo reports the connection as tcp_get_info does.
func (c *conn) fillInfo(t *abi.TCPInfo) {
	t.State = uint8(c.state)
	t.CAState = uint8(c.caState)
	t.Retransmits = uint8(c.retrans)
	t.Backoff = uint8(c.backoff)
	t.Probes = uint8(min(c.probes, 255))
	if c.tsOK {
		t.Options |= abi.TCPI_OPT_TIMESTAMPS
	}
	if c.sackOK {
		t.Options |= abi.TCPI_OPT_SACK
	}
	if c.wsOK {
		t.Options |= abi.TCPI_OPT_WSCALE
		t.SndWscale, t.RcvWscale = c.sndWscale, c.rcvWscale
	}
	c.ecnInfo(t)
	c.fastOpenInfo(t)
	c.chronoInfo(t)
	t.RTO = uint32(c.currentRTO() / time.Microsecond)
	t.ATO = uint32(c.dack.ato / time.Microsecond)
	if !c.dack.lrcvTime.IsZero() {
		// Milliseconds since data last arrived (or since the
		// connection was set up, as Linux starts lrcvtime then).
		t.LastDataRecv = uint32(c.now().Sub(c.dack.lrcvTime) / time.Millisecond)
	}
	t.SndMSS = uint32(c.mss)
	t.RcvMSS = uint32(c.advMSS)
	mss := uint32(max(c.mss, 1))
	t.Unacked = (c.inFlight() + mss - 1) / mss
	c.lossInfo(t)
	t.RcvSsthresh = c.rcvSsthresh
	t.RTT = c.rtt.srttUs >> 3
	t.RTTVar = c.rtt.mdevUs >> 2
	t.SndSsthresh = c.ccs.ssthresh
	t.SndCwnd = c.ccs.cwnd
	t.AdvMSS = uint32(c.advMSS)
	if t.Reordering == 0 {
		t.Reordering = uint32(c.sysInt(netns.TCPReordering))
	}
	t.TotalRetrans = c.totalRetrans
	t.BytesAcked = c.bytesAcked
	t.BytesReceived = c.bytesReceived
	t.SegsOut, t.SegsIn = c.segsOut, c.segsIn
	t.NotsentBytes = uint32(max(c.sndBuf.Len()-int(c.sndNxt-c.sndUna), 0))
	t.SndWnd = c.sndWnd
	t.RcvWnd = c.rcvWnd
	t.PMTU = uint32(c.pmtu)
}

// Ioctl handles SIOCINQ (FIONREAD), SIOCOUTQ and SIOCOUTQNSD (tcp_ioctl):
// EINVAL on a listener, ENOTTY for other requests.
func (c *conn) Ioctl(cmd uint, arg []byte) errno.Errno {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v int
	switch cmd {
	case abi.SIOCINQ:
		if c.state == Listen {
			return errno.EINVAL
		}
		v = c.inq()
	case abi.SIOCOUTQ:
		if c.state == Listen {
			return errno.EINVAL
		}
		v = c.sndBuf.Len()
	case abi.SIOCATMARK:
		if c.atMark() {
			v = 1
		}
	case abi.SIOCOUTQNSD:
		if c.state == Listen {
			return errno.EINVAL
		}
		v = max(c.sndBuf.Len()-int(c.sndNxt-c.sndUna), 0)
	default:
		return errno.ENOTTY
	}
	if len(arg) < 4 {
		return errno.EFAULT
	}
	putInt(arg, v)
	return 0
}
