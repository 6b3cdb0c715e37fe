package packetdrill

import "encoding/binary"

// tcpInfoField is one member of Linux's struct tcp_info
// (include/uapi/linux/tcp.h, Linux 6.18): byte offset and size; bit
// fields give their shift and width within the byte.
type tcpInfoField struct {
	off, size   int
	shift, bits int // bit field within the byte at off; bits 0: whole
}

// tcpInfoLayout lists the fields scripts may name, by name without the
// "tcpi_" prefix.
var tcpInfoLayout = map[string]tcpInfoField{
	"state": {off: 0, size: 1}, "ca_state": {off: 1, size: 1}, "retransmits": {off: 2, size: 1},
	"probes": {off: 3, size: 1}, "backoff": {off: 4, size: 1}, "options": {off: 5, size: 1},
	"snd_wscale": {off: 6, size: 1, shift: 0, bits: 4}, "rcv_wscale": {off: 6, size: 1, shift: 4, bits: 4},
	"delivery_rate_app_limited": {off: 7, size: 1, shift: 0, bits: 1},
	"fastopen_client_fail":      {off: 7, size: 1, shift: 1, bits: 2},

	"rto": {off: 8, size: 4}, "ato": {off: 12, size: 4}, "snd_mss": {off: 16, size: 4}, "rcv_mss": {off: 20, size: 4},
	"unacked": {off: 24, size: 4}, "sacked": {off: 28, size: 4}, "lost": {off: 32, size: 4},
	"retrans": {off: 36, size: 4}, "fackets": {off: 40, size: 4},
	"last_data_sent": {off: 44, size: 4}, "last_ack_sent": {off: 48, size: 4},
	"last_data_recv": {off: 52, size: 4}, "last_ack_recv": {off: 56, size: 4},
	"pmtu": {off: 60, size: 4}, "rcv_ssthresh": {off: 64, size: 4}, "rtt": {off: 68, size: 4},
	"rttvar": {off: 72, size: 4}, "snd_ssthresh": {off: 76, size: 4}, "snd_cwnd": {off: 80, size: 4},
	"advmss": {off: 84, size: 4}, "reordering": {off: 88, size: 4},
	"rcv_rtt": {off: 92, size: 4}, "rcv_space": {off: 96, size: 4}, "total_retrans": {off: 100, size: 4},
	"pacing_rate": {off: 104, size: 8}, "max_pacing_rate": {off: 112, size: 8},
	"bytes_acked": {off: 120, size: 8}, "bytes_received": {off: 128, size: 8},
	"segs_out": {off: 136, size: 4}, "segs_in": {off: 140, size: 4},
	"notsent_bytes": {off: 144, size: 4}, "min_rtt": {off: 148, size: 4},
	"data_segs_in": {off: 152, size: 4}, "data_segs_out": {off: 156, size: 4},
	"delivery_rate": {off: 160, size: 8},
	"busy_time":     {off: 168, size: 8}, "rwnd_limited": {off: 176, size: 8}, "sndbuf_limited": {off: 184, size: 8},
	"delivered": {off: 192, size: 4}, "delivered_ce": {off: 196, size: 4},
	"bytes_sent": {off: 200, size: 8}, "bytes_retrans": {off: 208, size: 8},
	"dsack_dups": {off: 216, size: 4}, "reord_seen": {off: 220, size: 4},
	"rcv_ooopack": {off: 224, size: 4}, "snd_wnd": {off: 228, size: 4}, "rcv_wnd": {off: 232, size: 4},
	"rehash": {off: 236, size: 4}, "total_rto": {off: 240, size: 2}, "total_rto_recoveries": {off: 242, size: 2},
	"total_rto_time": {off: 244, size: 4},
}

// sizeofTCPInfo is the size of struct tcp_info up to total_rto_time
// (Linux 6.7); later kernels append fields.
const sizeofTCPInfo = 248

// tcpInfoValue decodes a field from a TCP_INFO buffer; false when the
// buffer is too short to hold it.
func tcpInfoValue(b []byte, f tcpInfoField) (int64, bool) {
	if f.off+f.size > len(b) {
		return 0, false
	}
	var v uint64
	switch f.size {
	case 1:
		v = uint64(b[f.off])
	case 2:
		v = uint64(binary.LittleEndian.Uint16(b[f.off:]))
	case 4:
		v = uint64(binary.LittleEndian.Uint32(b[f.off:]))
	case 8:
		v = binary.LittleEndian.Uint64(b[f.off:])
	}
	if f.bits > 0 {
		v = v >> f.shift & (1<<f.bits - 1)
	}
	return int64(v), true
}

// pyConstants are the names scripts use besides tcpi_* fields.
var pyConstants = map[string]int64{
	"True": 1, "False": 0,
	"TCP_CA_Open": 0, "TCP_CA_Disorder": 1, "TCP_CA_CWR": 2, "TCP_CA_Recovery": 3, "TCP_CA_Loss": 4,
	"TCP_ESTABLISHED": 1, "TCP_SYN_SENT": 2, "TCP_SYN_RECV": 3, "TCP_FIN_WAIT1": 4, "TCP_FIN_WAIT2": 5,
	"TCP_TIME_WAIT": 6, "TCP_CLOSE": 7, "TCP_CLOSE_WAIT": 8, "TCP_LAST_ACK": 9, "TCP_LISTEN": 10,
	"TCP_CLOSING": 11, "TCP_NEW_SYN_RECV": 12,
	"TCPI_OPT_TIMESTAMPS": 1, "TCPI_OPT_SACK": 2, "TCPI_OPT_WSCALE": 4, "TCPI_OPT_ECN": 8,
	"TCPI_OPT_ECN_SEEN": 16, "TCPI_OPT_SYN_DATA": 32, "TCPI_OPT_USEC_TS": 64, "TCPI_OPT_TFO_CHILD": 128,
}
