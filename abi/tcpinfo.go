package abi

import "encoding/binary"

// SizeofTCPInfo is the size of struct tcp_info as far as gosock fills it
// (through tcpi_total_rto_time, Linux 6.7+); getsockopt(TCP_INFO) copies
// min(optlen, SizeofTCPInfo) bytes, as Linux copies min(len, sizeof).
const SizeofTCPInfo = 248

// TCPInfo options bits (tcpi_options).
const (
	TCPI_OPT_TIMESTAMPS = 1
	TCPI_OPT_SACK       = 2
	TCPI_OPT_WSCALE     = 4
	TCPI_OPT_ECN        = 8
	TCPI_OPT_ECN_SEEN   = 16
	TCPI_OPT_SYN_DATA   = 32
)

// TCPInfo is Linux's struct tcp_info (include/uapi/linux/tcp.h). Times
// are in microseconds, as the kernel reports them, except the last_*
// fields (milliseconds).
type TCPInfo struct {
	State, CAState, Retransmits, Probes, Backoff, Options uint8
	SndWscale, RcvWscale                                  uint8 // 4 bits each
	DeliveryRateAppLimited                                bool
	FastopenClientFail                                    uint8 // 2 bits

	RTO, ATO, SndMSS, RcvMSS                                       uint32
	Unacked, Sacked, Lost, Retrans, Fackets                        uint32
	LastDataSent, LastAckSent, LastDataRecv, LastAckRecv           uint32
	PMTU, RcvSsthresh, RTT, RTTVar, SndSsthresh, SndCwnd, AdvMSS   uint32
	Reordering, RcvRTT, RcvSpace, TotalRetrans                     uint32
	PacingRate, MaxPacingRate, BytesAcked, BytesReceived           uint64
	SegsOut, SegsIn, NotsentBytes, MinRTT, DataSegsIn, DataSegsOut uint32
	DeliveryRate, BusyTime, RwndLimited, SndbufLimited             uint64
	Delivered, DeliveredCE                                         uint32
	BytesSent, BytesRetrans                                        uint64
	DsackDups, ReordSeen, RcvOoopack, SndWnd, RcvWnd, Rehash       uint32
	TotalRTO, TotalRTORecoveries                                   uint16
	TotalRTOTime                                                   uint32
}

// Marshal writes the structure in Linux's x86-64 layout into b, which
// must be at least SizeofTCPInfo bytes, and returns SizeofTCPInfo.
func (t *TCPInfo) Marshal(b []byte) int {
	b = b[:SizeofTCPInfo]
	clear(b)
	b[0], b[1], b[2], b[3], b[4], b[5] = t.State, t.CAState, t.Retransmits, t.Probes, t.Backoff, t.Options
	b[6] = t.SndWscale&0xf | t.RcvWscale<<4
	if t.DeliveryRateAppLimited {
		b[7] = 1
	}
	b[7] |= (t.FastopenClientFail & 3) << 1
	le := binary.LittleEndian
	u32 := []uint32{
		t.RTO, t.ATO, t.SndMSS, t.RcvMSS,
		t.Unacked, t.Sacked, t.Lost, t.Retrans, t.Fackets,
		t.LastDataSent, t.LastAckSent, t.LastDataRecv, t.LastAckRecv,
		t.PMTU, t.RcvSsthresh, t.RTT, t.RTTVar, t.SndSsthresh, t.SndCwnd, t.AdvMSS,
		t.Reordering, t.RcvRTT, t.RcvSpace, t.TotalRetrans,
	}
	off := 8
	for _, v := range u32 {
		le.PutUint32(b[off:], v)
		off += 4
	}
	for _, v := range []uint64{t.PacingRate, t.MaxPacingRate, t.BytesAcked, t.BytesReceived} {
		le.PutUint64(b[off:], v)
		off += 8
	}
	for _, v := range []uint32{t.SegsOut, t.SegsIn, t.NotsentBytes, t.MinRTT, t.DataSegsIn, t.DataSegsOut} {
		le.PutUint32(b[off:], v)
		off += 4
	}
	for _, v := range []uint64{t.DeliveryRate, t.BusyTime, t.RwndLimited, t.SndbufLimited} {
		le.PutUint64(b[off:], v)
		off += 8
	}
	le.PutUint32(b[off:], t.Delivered)
	le.PutUint32(b[off+4:], t.DeliveredCE)
	off += 8
	le.PutUint64(b[off:], t.BytesSent)
	le.PutUint64(b[off+8:], t.BytesRetrans)
	off += 16
	for _, v := range []uint32{t.DsackDups, t.ReordSeen, t.RcvOoopack, t.SndWnd, t.RcvWnd, t.Rehash} {
		le.PutUint32(b[off:], v)
		off += 4
	}
	le.PutUint16(b[off:], t.TotalRTO)
	le.PutUint16(b[off+2:], t.TotalRTORecoveries)
	le.PutUint32(b[off+4:], t.TotalRTOTime)
	return SizeofTCPInfo
}
