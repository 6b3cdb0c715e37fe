package tcp

import "math/bits"

// Window and MSS constants, as Linux's.
const (
	maxWScale = 14 // TCP_MAX_WSCALE
	// maxTCPWindow is the largest window offered to peers that may treat
	// the field as signed (MAX_TCP_WINDOW).
	maxTCPWindow = 32767
	// defaultMSS is the MSS assumed when the peer sends none (RFC 9293
	// 3.7.1: 536 for IPv4; Linux's TCP_MSS_DEFAULT).
	defaultMSS = 536
	// minSndMSS is tcp_min_snd_mss's default.
	minSndMSS = 48
	// rmemToWinScale is TCP_RMEM_TO_WIN_SCALE: window = space *
	// scalingRatio >> 8.
	rmemToWinScale = 8
	// defaultScalingRatio is TCP_DEFAULT_SCALING_RATIO: until the receive
	// path has measured the payload-to-truesize ratio, half the buffer is
	// offered as window.
	defaultScalingRatio = 1 << (rmemToWinScale - 1)
)

// winFromSpace converts receive-buffer space to advertisable window
// (tcp_win_from_space).
func winFromSpace(space int, scalingRatio uint8) int {
	return int(int64(space) * int64(scalingRatio) >> rmemToWinScale)
}

// initialWindow is the outcome of tcp_select_initial_window.
type initialWindow struct {
	rcvWnd      uint32 // the window offered in the SYN or SYN-ACK
	windowClamp uint32
	rcvWScale   uint8
}

// selectInitialWindow chooses the initial receive window and our window
// scale, as Linux's tcp_select_initial_window: space is the full window
// space of the receive buffer, clamp a TCP_WINDOW_CLAMP (0: none),
// rmemMax the larger of tcp_rmem[2] and net.core.rmem_max, which sets the
// scale so the window can grow to the buffer's limit later.
func selectInitialWindow(space int, mss uint32, clamp uint32, wscaleOK bool, rmemMax int, workaroundSigned bool, initRcvWnd uint32) initialWindow {
	if space < 0 {
		space = 0
	}
	windowClamp := clamp
	if windowClamp == 0 {
		windowClamp = 0xffff << maxWScale
	}
	sp := min(uint32(space), windowClamp)
	if sp > mss {
		sp -= sp % mss // a multiple of the MSS
	}
	var w initialWindow
	if workaroundSigned {
		w.rcvWnd = min(sp, maxTCPWindow)
	} else {
		w.rcvWnd = min(sp, 0xffff)
	}
	if initRcvWnd != 0 {
		w.rcvWnd = min(w.rcvWnd, initRcvWnd*mss)
	}
	if wscaleOK {
		s := max(sp, uint32(rmemMax))
		s = min(s, windowClamp)
		scale := bits.Len32(s) - 1 - 15
		w.rcvWScale = uint8(min(max(scale, 0), maxWScale))
	}
	w.windowClamp = min(uint32(0xffff)<<w.rcvWScale, windowClamp)
	return w
}

// mssFromMTU is the MSS a path MTU allows (ipv4_default_advmss,
// ip6_default_advmss): the MTU less the IP and TCP headers, at least 48
// bytes, and never more than an IP packet can carry (65535 bytes of IPv4
// datagram, 65535 of IPv6 payload), which matters on loopback's 65536-byte
// MTU: 65495 for IPv4, as Linux advertises.
func mssFromMTU(mtu int, v6 bool) int {
	if v6 {
		return max(min(mtu-40, 65535)-20, minSndMSS)
	}
	return max(min(mtu, 65535)-20-20, minSndMSS)
}
