package packetdrill

import (
	"reflect"
	"testing"

	"github.com/gosock/gosock/abi"
)

// TestTCPInfoMatchesABI checks the runner's decoder, written from Linux's
// header, against the encoder gosock's TCP uses: every field set to a
// distinct value reads back by its Linux name.
func TestTCPInfoMatchesABI(t *testing.T) {
	names := map[string]string{
		"State": "state", "CAState": "ca_state", "Retransmits": "retransmits", "Probes": "probes",
		"Backoff": "backoff", "Options": "options", "SndWscale": "snd_wscale", "RcvWscale": "rcv_wscale",
		"FastopenClientFail": "fastopen_client_fail",
		"RTO":                "rto", "ATO": "ato", "SndMSS": "snd_mss", "RcvMSS": "rcv_mss",
		"Unacked": "unacked", "Sacked": "sacked", "Lost": "lost", "Retrans": "retrans", "Fackets": "fackets",
		"LastDataSent": "last_data_sent", "LastAckSent": "last_ack_sent",
		"LastDataRecv": "last_data_recv", "LastAckRecv": "last_ack_recv",
		"PMTU": "pmtu", "RcvSsthresh": "rcv_ssthresh", "RTT": "rtt", "RTTVar": "rttvar",
		"SndSsthresh": "snd_ssthresh", "SndCwnd": "snd_cwnd", "AdvMSS": "advmss",
		"Reordering": "reordering", "RcvRTT": "rcv_rtt", "RcvSpace": "rcv_space", "TotalRetrans": "total_retrans",
		"PacingRate": "pacing_rate", "MaxPacingRate": "max_pacing_rate",
		"BytesAcked": "bytes_acked", "BytesReceived": "bytes_received",
		"SegsOut": "segs_out", "SegsIn": "segs_in", "NotsentBytes": "notsent_bytes", "MinRTT": "min_rtt",
		"DataSegsIn": "data_segs_in", "DataSegsOut": "data_segs_out",
		"DeliveryRate": "delivery_rate", "BusyTime": "busy_time", "RwndLimited": "rwnd_limited",
		"SndbufLimited": "sndbuf_limited", "Delivered": "delivered", "DeliveredCE": "delivered_ce",
		"BytesSent": "bytes_sent", "BytesRetrans": "bytes_retrans", "DsackDups": "dsack_dups",
		"ReordSeen": "reord_seen", "RcvOoopack": "rcv_ooopack", "SndWnd": "snd_wnd", "RcvWnd": "rcv_wnd",
		"Rehash": "rehash", "TotalRTO": "total_rto", "TotalRTORecoveries": "total_rto_recoveries",
		"TotalRTOTime": "total_rto_time",
	}
	var info abi.TCPInfo
	v := reflect.ValueOf(&info).Elem()
	want := map[string]int64{}
	for i := 0; i < v.NumField(); i++ {
		f, ft := v.Field(i), v.Type().Field(i)
		if f.Kind() == reflect.Bool {
			f.SetBool(true)
			want["delivery_rate_app_limited"] = 1
			continue
		}
		name, ok := names[ft.Name]
		if !ok {
			t.Errorf("abi.TCPInfo.%s has no Linux name in this test", ft.Name)
			continue
		}
		val := int64(i + 1)
		switch ft.Name {
		case "SndWscale", "RcvWscale":
			val = int64(i % 16)
		case "FastopenClientFail":
			val = 2
		}
		f.SetUint(uint64(val))
		want[name] = val
	}
	b := make([]byte, abi.SizeofTCPInfo)
	info.Marshal(b)
	for name, w := range want {
		f, ok := tcpInfoLayout[name]
		if !ok {
			t.Errorf("tcpi_%s is not in the runner's layout", name)
			continue
		}
		if got, ok := tcpInfoValue(b, f); !ok || got != w {
			t.Errorf("tcpi_%s = %d (%v), want %d", name, got, ok, w)
		}
	}
}
