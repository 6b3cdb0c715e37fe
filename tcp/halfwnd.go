package tcp

// sendMSS is the segment size output cuts new data to: the send MSS,
// at most half the largest window the peer has offered
// (tcp_bound_to_half_wnd, applied by Linux in tcp_sync_mss whenever
// max_window grows). Without the bound a receiver whose window is about
// one MSS (a 64 KiB buffer under a 64 KiB MTU) stalls the sender: once
// the application has read part of the data, the window it offers is
// less than an MSS, the sender refuses to send a runt and waits for the
// persist timer, 200 ms, on every round.
func (c *conn) sendMSS() int {
	mss := c.mss
	cutoff := int(c.maxWindow)
	if cutoff > defaultMSS {
		cutoff >>= 1
	}
	if cutoff > 0 && mss > cutoff {
		hdr := 20 // tcp_header_len: the header with the options of every segment
		if c.tsOK {
			hdr += 12
		}
		mss = max(cutoff, 68-hdr)
	}
	return max(mss, 1)
}
