package netns

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gosock/gosock/errno"
)

// kernelDefaults is `ip netns exec NEW sysctl -a` of the reference kernel
// (Linux 6.18, fresh namespace, only lo), cut to the keys gosock keeps,
// plus the init_net-only keys gosock keeps (marked). It is the spec of
// NewSysctls with lo added as a loopback device.
const kernelDefaults = `net.core.optmem_max = 131072
net.core.rmem_default = 212992
net.core.rmem_max = 4194304
net.core.somaxconn = 4096
net.core.tstamp_allow_data = 1
net.core.txrehash = 1
net.core.wmem_default = 212992
net.core.wmem_max = 4194304
net.core.netdev_max_backlog = 1000
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.all.accept_redirects = 1
net.ipv4.conf.all.forwarding = 0
net.ipv4.conf.all.rp_filter = 0
net.ipv4.conf.all.send_redirects = 1
net.ipv4.conf.all.arp_ignore = 0
net.ipv4.conf.all.arp_announce = 0
net.ipv4.conf.all.arp_filter = 0
net.ipv4.conf.all.accept_local = 0
net.ipv4.conf.all.route_localnet = 0
net.ipv4.conf.all.igmpv2_unsolicited_report_interval = 10000
net.ipv4.conf.default.accept_source_route = 1
net.ipv4.conf.default.forwarding = 0
net.ipv4.conf.default.secure_redirects = 1
net.ipv4.conf.default.shared_media = 1
net.ipv4.conf.lo.disable_policy = 1
net.ipv4.conf.lo.disable_xfrm = 1
net.ipv4.conf.lo.accept_source_route = 1
net.ipv4.conf.lo.arp_evict_nocarrier = 1
net.ipv4.fwmark_reflect = 0
net.ipv4.icmp_echo_ignore_all = 0
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.icmp_msgs_burst = 50
net.ipv4.icmp_msgs_per_sec = 1000
net.ipv4.icmp_ratelimit = 1000
net.ipv4.icmp_ratemask = 6168
net.ipv4.ip_default_ttl = 64
net.ipv4.ip_early_demux = 1
net.ipv4.ip_forward = 0
net.ipv4.ip_local_port_range = 32768	60999
net.ipv4.ip_no_pmtu_disc = 0
net.ipv4.ip_nonlocal_bind = 0
net.ipv4.ip_unprivileged_port_start = 1024
net.ipv4.ipfrag_high_thresh = 4194304
net.ipv4.ipfrag_low_thresh = 3145728
net.ipv4.ipfrag_time = 30
net.ipv4.neigh.default.base_reachable_time_ms = 30000
net.ipv4.neigh.default.gc_thresh1 = 128
net.ipv4.neigh.default.gc_thresh2 = 512
net.ipv4.neigh.default.gc_thresh3 = 1024
net.ipv4.neigh.default.gc_interval = 30
net.ipv4.neigh.lo.anycast_delay = 100
net.ipv4.neigh.lo.app_solicit = 0
net.ipv4.neigh.lo.base_reachable_time_ms = 30000
net.ipv4.neigh.lo.delay_first_probe_time = 5
net.ipv4.neigh.lo.gc_stale_time = 60
net.ipv4.neigh.lo.interval_probe_time_ms = 5000
net.ipv4.neigh.lo.locktime = 100
net.ipv4.neigh.lo.mcast_solicit = 3
net.ipv4.neigh.lo.proxy_delay = 80
net.ipv4.neigh.lo.proxy_qlen = 64
net.ipv4.neigh.lo.retrans_time_ms = 1000
net.ipv4.neigh.lo.ucast_solicit = 3
net.ipv4.neigh.lo.unres_qlen = 101
net.ipv4.neigh.lo.unres_qlen_bytes = 212992
net.ipv4.ping_group_range = 1	0
net.ipv4.raw_l3mdev_accept = 1
net.ipv4.route.min_pmtu = 552
net.ipv4.route.mtu_expires = 600
net.ipv4.tcp_abort_on_overflow = 0
net.ipv4.tcp_adv_win_scale = 1
net.ipv4.tcp_app_win = 31
net.ipv4.tcp_autocorking = 1
net.ipv4.tcp_backlog_ack_defer = 1
net.ipv4.tcp_base_mss = 1024
net.ipv4.tcp_challenge_ack_limit = 2147483647
net.ipv4.tcp_comp_sack_delay_ns = 1000000
net.ipv4.tcp_comp_sack_nr = 44
net.ipv4.tcp_comp_sack_slack_ns = 100000
net.ipv4.tcp_dsack = 1
net.ipv4.tcp_early_retrans = 3
net.ipv4.tcp_ecn = 2
net.ipv4.tcp_ecn_fallback = 1
net.ipv4.tcp_fastopen = 1
net.ipv4.tcp_fastopen_key = 00000000-00000000-00000000-00000000
net.ipv4.tcp_fin_timeout = 60
net.ipv4.tcp_frto = 2
net.ipv4.tcp_invalid_ratelimit = 500
net.ipv4.tcp_keepalive_intvl = 75
net.ipv4.tcp_keepalive_probes = 9
net.ipv4.tcp_keepalive_time = 7200
net.ipv4.tcp_limit_output_bytes = 4194304
net.ipv4.tcp_max_reordering = 300
net.ipv4.tcp_max_syn_backlog = 2048
net.ipv4.tcp_max_tw_buckets = 131072
net.ipv4.tcp_min_rtt_wlen = 300
net.ipv4.tcp_min_snd_mss = 48
net.ipv4.tcp_moderate_rcvbuf = 1
net.ipv4.tcp_mtu_probing = 0
net.ipv4.tcp_no_metrics_save = 0
net.ipv4.tcp_notsent_lowat = 4294967295
net.ipv4.tcp_orphan_retries = 0
net.ipv4.tcp_pacing_ca_ratio = 120
net.ipv4.tcp_pacing_ss_ratio = 200
net.ipv4.tcp_plb_enabled = 0
net.ipv4.tcp_recovery = 1
net.ipv4.tcp_reordering = 3
net.ipv4.tcp_retries1 = 3
net.ipv4.tcp_retries2 = 15
net.ipv4.tcp_rfc1337 = 0
net.ipv4.tcp_rmem = 4096	131072	33554432
net.ipv4.tcp_rto_max_ms = 120000
net.ipv4.tcp_rto_min_us = 200000
net.ipv4.tcp_sack = 1
net.ipv4.tcp_shrink_window = 0
net.ipv4.tcp_slow_start_after_idle = 1
net.ipv4.tcp_syn_linear_timeouts = 4
net.ipv4.tcp_syn_retries = 6
net.ipv4.tcp_synack_retries = 5
net.ipv4.tcp_syncookies = 1
net.ipv4.tcp_thin_linear_timeouts = 0
net.ipv4.tcp_timestamps = 1
net.ipv4.tcp_tso_win_divisor = 3
net.ipv4.tcp_tw_reuse = 2
net.ipv4.tcp_window_scaling = 1
net.ipv4.tcp_wmem = 4096	16384	4194304
net.ipv4.tcp_workaround_signed_windows = 0
net.ipv4.tcp_mem = 287898	383866	575796
net.ipv4.udp_mem = 575799	767732	1151598
net.ipv4.udp_rmem_min = 4096
net.ipv4.udp_wmem_min = 4096
net.ipv6.conf.all.accept_dad = 0
net.ipv6.conf.all.forwarding = 0
net.ipv6.conf.all.hop_limit = 64
net.ipv6.conf.all.mtu = 1280
net.ipv6.conf.default.accept_dad = 1
net.ipv6.conf.default.accept_ra = 1
net.ipv6.conf.default.addr_gen_mode = 0
net.ipv6.conf.default.autoconf = 1
net.ipv6.conf.default.dad_transmits = 1
net.ipv6.conf.default.disable_ipv6 = 0
net.ipv6.conf.default.keep_addr_on_down = 0
net.ipv6.conf.default.ndisc_notify = 0
net.ipv6.conf.default.router_solicitation_delay = 1
net.ipv6.conf.default.router_solicitation_interval = 4
net.ipv6.conf.default.router_solicitations = -1
net.ipv6.conf.default.use_tempaddr = 0
net.ipv6.conf.lo.accept_dad = -1
net.ipv6.conf.lo.mtu = 65536
net.ipv6.conf.lo.use_tempaddr = -1
net.ipv6.conf.lo.ra_defrtr_metric = 1024
net.ipv6.conf.lo.mldv1_unsolicited_report_interval = 10000
net.ipv6.icmp.ratelimit = 100
net.ipv6.ip6frag_high_thresh = 4194304
net.ipv6.ip6frag_low_thresh = 3145728
net.ipv6.ip6frag_time = 60
net.ipv6.neigh.lo.locktime = 0
net.ipv6.neigh.lo.retrans_time_ms = 1000
net.ipv6.route.gc_min_interval = 0
net.ipv6.route.gc_min_interval_ms = 500
net.ipv6.route.mtu_expires = 600`

func newTestSysctls(t testing.TB) *Sysctls {
	s := NewSysctls()
	if err := s.AddDeviceInfo("lo", DeviceInfo{MTU: 65536, Loopback: true}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSysctlDefaults(t *testing.T) {
	s := newTestSysctls(t)
	n := 0
	for line := range strings.Lines(kernelDefaults) {
		name, want, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " = ")
		got, err := s.Get(name)
		if err != nil || got != want {
			t.Errorf("Get(%s) = %q, %v; want %q", name, got, err, want)
		}
		n++
	}
	if got := s.CongestionControl(); got != "cubic" {
		t.Errorf("congestion control %q, want cubic", got)
	}
	for name, want := range map[string]string{
		"net.ipv4.tcp_congestion_control":           "cubic",
		"net.ipv4.tcp_available_congestion_control": "reno cubic",
		"net.ipv4.tcp_allowed_congestion_control":   "reno cubic",
	} {
		if got, _ := s.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	t.Logf("%d defaults checked", n)
}

func TestSysctlTypedReads(t *testing.T) {
	s := newTestSysctls(t)
	checks := []struct {
		k    Key
		want int64
	}{
		{Somaxconn, 4096}, {TCPSack, 1}, {TCPSynRetries, 6}, {TCPSynLinearTimeouts, 4}, {TCPECN, 2},
		{TCPFinTimeout, 60}, {ICMPRatelimit, 1000}, {IPDefaultTTL, 64}, {TCPRTOMinUs, 200000},
		{TCPNotsentLowat, 4294967295}, {IPForward, 0}, {TCPEarlyRetrans, 3}, {TCPMaxSynBacklog, 2048},
		{TCPRetries2, 15}, {TCPAdvWinScale, 1}, {IP6RouteGCMinInterval, 0}, {IP6RouteGCMinIntervalMs, 500},
	}
	for _, c := range checks {
		if got := s.Int(c.k); got != c.want {
			t.Errorf("Int(%s) = %d, want %d", specs[c.k].name, got, c.want)
		}
	}
	if v := s.Vec(TCPRmem); v != [3]int64{4096, 131072, 33554432} {
		t.Errorf("Vec(TCPRmem) = %v", v)
	}
	if v := s.Vec(IPLocalPortRange); v != [3]int64{32768, 60999, 0} {
		t.Errorf("Vec(IPLocalPortRange) = %v", v)
	}
	durs := map[Key]time.Duration{TCPFinTimeout: 60 * time.Second, TCPKeepaliveTime: 2 * time.Hour,
		ICMPRatelimit: time.Second, TCPRTOMinUs: 200 * time.Millisecond, TCPRTOMaxMs: 120 * time.Second,
		TCPCompSackDelayNs: time.Millisecond, Somaxconn: 0}
	for k, want := range durs {
		if got := s.Duration(k); got != want {
			t.Errorf("Duration(%s) = %v, want %v", specs[k].name, got, want)
		}
	}
	lo := s.Device("lo")
	if lo.Int(Neigh4RetransTimeMs) != 1000 || lo.Duration(Neigh4RetransTimeMs) != time.Second ||
		lo.Int(Conf6MTU) != 65536 || lo.Int(Conf4DisablePolicy) != 1 || lo.Int(Neigh6Locktime) != 0 {
		t.Error("lo typed reads wrong")
	}
	if v, ok := s.DevInt("default", Neigh4GCThresh3); !ok || v != 1024 {
		t.Errorf("DevInt(default, gc_thresh3) = %d %v", v, ok)
	}
	if _, ok := s.DevInt("lo", Neigh4GCThresh3); ok {
		t.Error("gc_thresh3 exists per device")
	}
	if s.DevInt6("lo", "accept_dad") != -1 || s.NeighInt(4, "default", "gc_thresh3") != 1024 || s.DevInt4("lo", "disable_xfrm") != 1 {
		t.Error("name-based device reads wrong")
	}
	if v, err := s.IntByName("net.ipv4.conf.lo.forwarding"); err != nil || v != 0 {
		t.Errorf("IntByName = %d, %v", v, err)
	}
	if _, err := s.IntByName("net.ipv4.nope"); !errors.Is(err, errno.ENOENT) {
		t.Errorf("IntByName(unknown) = %v", err)
	}
	if got := s.String(TCPWmem); got != "4096\t16384\t4194304" {
		t.Errorf("String(TCPWmem) = %q", got)
	}
}

// The write rules below are what the reference kernel answered when these
// values were written to a fresh namespace's /proc/sys/net.
func TestSysctlValidation(t *testing.T) {
	type tc struct {
		name, in string
		err      errno.Errno // 0: accepted
		want     string      // Get afterwards
	}
	cases := []tc{
		// proc_dou8vec_minmax
		{"net.ipv4.tcp_sack", "5", 0, "5"},
		{"net.ipv4.tcp_sack", "255", 0, "255"},
		{"net.ipv4.tcp_sack", "256", errno.EINVAL, "1"},
		{"net.ipv4.tcp_sack", "-1", errno.EINVAL, "1"},
		{"net.ipv4.tcp_sack", "-0", errno.EINVAL, "1"},
		{"net.ipv4.tcp_syn_retries", "0", errno.EINVAL, "6"},
		{"net.ipv4.tcp_syn_retries", "127", 0, "127"},
		{"net.ipv4.tcp_syn_retries", "128", errno.EINVAL, "6"},
		{"net.ipv4.ip_default_ttl", "0", errno.EINVAL, "64"},
		{"net.ipv4.ip_default_ttl", "255", 0, "255"},
		{"net.ipv4.ip_default_ttl", "256", errno.EINVAL, "64"},
		{"net.ipv4.tcp_ecn", "2", 0, "2"},
		{"net.ipv4.tcp_ecn", "3", errno.EINVAL, "2"},
		{"net.ipv4.tcp_early_retrans", "4", 0, "4"},
		{"net.ipv4.tcp_early_retrans", "5", errno.EINVAL, "3"},
		{"net.ipv4.tcp_autocorking", "2", errno.EINVAL, "1"},
		{"net.ipv4.tcp_app_win", "32", errno.EINVAL, "31"},
		// proc_dointvec[_minmax]
		{"net.core.somaxconn", "-1", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "-0", 0, "0"},
		{"net.core.somaxconn", "2147483647", 0, "2147483647"},
		{"net.core.somaxconn", "2147483648", errno.EINVAL, "4096"},
		{"net.ipv4.tcp_max_syn_backlog", "-2147483648", 0, "-2147483648"},
		{"net.ipv4.tcp_max_syn_backlog", "-2147483649", errno.EINVAL, "2048"},
		{"net.ipv4.tcp_adv_win_scale", "-31", 0, "-31"},
		{"net.ipv4.tcp_adv_win_scale", "32", errno.EINVAL, "1"},
		{"net.ipv4.tcp_min_snd_mss", "47", errno.EINVAL, "48"},
		{"net.ipv4.tcp_min_snd_mss", "65536", errno.EINVAL, "48"},
		{"net.ipv4.tcp_rto_max_ms", "999", errno.EINVAL, "120000"},
		{"net.ipv4.tcp_rto_max_ms", "1000", 0, "1000"},
		{"net.ipv4.tcp_rto_min_us", "0", errno.EINVAL, "200000"},
		{"net.ipv4.tcp_reordering", "300", 0, "300"},
		{"net.ipv4.tcp_reordering", "301", errno.EINVAL, "3"}, // bounded by tcp_max_reordering
		{"net.ipv4.route.min_pmtu", "67", errno.EINVAL, "552"},
		{"net.core.rmem_max", "2303", errno.EINVAL, "4194304"},
		{"net.core.wmem_max", "4608", 0, "4608"},
		// proc_douintvec
		{"net.ipv4.tcp_notsent_lowat", "4294967296", errno.EINVAL, "4294967295"},
		{"net.ipv4.tcp_notsent_lowat", "0xFFFFFFFF", 0, "4294967295"},
		{"net.ipv4.tcp_notsent_lowat", "-0", errno.EINVAL, "4294967295"},
		// proc_doulongvec_minmax
		{"net.ipv4.tcp_comp_sack_delay_ns", "18446744073709551615", 0, "18446744073709551615"},
		{"net.ipv4.ipfrag_high_thresh", "3145727", errno.EINVAL, "4194304"}, // below low_thresh
		{"net.ipv4.ipfrag_low_thresh", "4194305", errno.EINVAL, "3145728"},  // above high_thresh
		{"net.ipv6.ip6frag_low_thresh", "0", 0, "0"},
		// number syntax (proc_get_long)
		{"net.core.somaxconn", " 5\n", 0, "5"},
		{"net.core.somaxconn", "\t5", 0, "5"},
		{"net.core.somaxconn", "1 2", 0, "1"},
		{"net.core.somaxconn", "5\n6", 0, "5"},
		{"net.core.somaxconn", "0x10", 0, "16"},
		{"net.core.somaxconn", "0X10", 0, "16"},
		{"net.core.somaxconn", "010", 0, "8"},
		{"net.core.somaxconn", "00005", 0, "5"},
		{"net.core.somaxconn", "09", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "0x", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "+1", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "1abc", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "1e3", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "5,6", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "5\r", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "abc", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "   ", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "-", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "- 5", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "000000000000000000001", errno.EINVAL, "4096"}, // 21 characters
		{"net.core.somaxconn", "99999999999999999999", errno.EINVAL, "4096"},
		{"net.core.somaxconn", "", 0, "4096"},
		// vectors
		{"net.ipv4.tcp_rmem", "1 2 3", 0, "1\t2\t3"},
		{"net.ipv4.tcp_rmem", " 1  2  3 \n", 0, "1\t2\t3"},
		{"net.ipv4.tcp_rmem", "5\n6\n7", 0, "5\t6\t7"},
		{"net.ipv4.tcp_rmem", "5 6 7 8", 0, "5\t6\t7"},
		{"net.ipv4.tcp_rmem", "4096 65536", 0, "4096\t65536\t33554432"},
		{"net.ipv4.tcp_rmem", "5 abc", errno.EINVAL, "5\t131072\t33554432"}, // elements before the bad one stay
		{"net.ipv4.tcp_rmem", "0 0", errno.EINVAL, "4096\t131072\t33554432"},
		{"net.ipv4.tcp_rmem", "100 50", 0, "100\t50\t33554432"},
		{"net.ipv4.tcp_wmem", "1 2147483648", errno.EINVAL, "1\t16384\t4194304"},
		{"net.ipv4.tcp_mem", "1 2 3", 0, "1\t2\t3"},
		{"net.ipv4.udp_mem", "-1", errno.EINVAL, "575799\t767732\t1151598"},
		// ip_local_port_range: 1..65535, low <= high, low >= ip_unprivileged_port_start, no parity rule
		{"net.ipv4.ip_local_port_range", "1024 2000", 0, "1024\t2000"},
		{"net.ipv4.ip_local_port_range", "1025 2000", 0, "1025\t2000"},
		{"net.ipv4.ip_local_port_range", "5000 4000", errno.EINVAL, "32768\t60999"},
		{"net.ipv4.ip_local_port_range", "1023 2000", errno.EINVAL, "32768\t60999"},
		{"net.ipv4.ip_local_port_range", "32768 65536", errno.EINVAL, "32768\t60999"},
		{"net.ipv4.ip_local_port_range", "40000", 0, "40000\t60999"},
		{"net.ipv4.ip_local_port_range", "61000", errno.EINVAL, "32768\t60999"},
		{"net.ipv4.ip_local_port_range", "2000 abc", errno.EINVAL, "32768\t60999"},
		{"net.ipv4.ip_unprivileged_port_start", "32769", errno.EINVAL, "1024"},
		{"net.ipv4.ip_unprivileged_port_start", "32768", 0, "32768"},
		// ping_group_range: gid range, high < low means "1 0"
		{"net.ipv4.ping_group_range", "0 4294967294", 0, "0\t4294967294"},
		{"net.ipv4.ping_group_range", "0 4294967295", errno.EINVAL, "1\t0"},
		{"net.ipv4.ping_group_range", "100 50", 0, "1\t0"},
		{"net.ipv4.ping_group_range", "5", 0, "1\t0"},
		{"net.ipv4.ping_group_range", "0", 0, "0\t0"},
		// jiffies handlers (HZ=250, USER_HZ=100)
		{"net.ipv4.tcp_fin_timeout", "-1", 0, "-1"},
		{"net.ipv4.tcp_fin_timeout", "8589934", 0, "8589934"},
		{"net.ipv4.tcp_fin_timeout", "8589935", errno.EINVAL, "60"},
		{"net.ipv4.icmp_ratelimit", "1001", 0, "1004"},
		{"net.ipv4.icmp_ratelimit", "1", 0, "4"},
		{"net.ipv4.icmp_ratelimit", "-1", errno.EINVAL, "1000"},
		{"net.ipv4.icmp_ratelimit", "2147483648", errno.EINVAL, "1000"},
		{"net.ipv4.icmp_ratelimit", "-2147483649", 0, "2147483648"},
		{"net.ipv4.icmp_ratelimit", "4294967296", 0, "0"},
		{"net.ipv4.neigh.lo.interval_probe_time_ms", "0", errno.EINVAL, "5000"},
		{"net.ipv4.neigh.lo.locktime", "7", 0, "6"},
		{"net.ipv4.neigh.lo.locktime", "-1", 0, "-0"},
		{"net.ipv4.neigh.lo.locktime", "4294967296", 0, "-858993459"},
		{"net.ipv4.neigh.lo.unres_qlen", "10", 0, "10"},
		{"net.ipv4.neigh.lo.unres_qlen", "1027505", errno.EINVAL, "101"},
		{"net.ipv6.route.gc_min_interval", "2", 0, "2"},
		// per-device
		{"net.ipv6.conf.lo.mtu", "65536", 0, "65536"},
		{"net.ipv6.conf.lo.mtu", "65537", errno.EINVAL, "65536"},
		{"net.ipv6.conf.lo.mtu", "1279", errno.EINVAL, "65536"},
		{"net.ipv6.conf.all.mtu", "2147483647", 0, "2147483647"},
		{"net.ipv6.conf.default.hop_limit", "0", errno.EINVAL, "64"},
		{"net.ipv6.conf.lo.addr_gen_mode", "2", errno.EINVAL, "0"},
		{"net.ipv6.conf.all.addr_gen_mode", "2", 0, "2"},
		{"net.ipv6.conf.all.addr_gen_mode", "4", errno.EINVAL, "0"},
		{"net.ipv6.conf.all.router_solicitations", "-2", errno.EINVAL, "-1"},
		{"net/ipv4/conf/lo/rp_filter", "2", 0, "2"},
		// strings
		{"net.ipv4.tcp_congestion_control", "reno", 0, "reno"},
		{"net.ipv4.tcp_congestion_control", "reno\nxx", 0, "reno"},
		{"net.ipv4.tcp_congestion_control", " reno", errno.ENOENT, "cubic"},
		{"net.ipv4.tcp_congestion_control", "bbr", errno.ENOENT, "cubic"},
		{"net.ipv4.tcp_congestion_control", "\n", errno.ENOENT, "cubic"},
		{"net.ipv4.tcp_allowed_congestion_control", "cubic", 0, "cubic"},
		{"net.ipv4.tcp_allowed_congestion_control", "cubic reno", 0, "reno cubic"},
		{"net.ipv4.tcp_allowed_congestion_control", "reno bbr", errno.ENOENT, "reno cubic"},
		{"net.ipv4.tcp_available_congestion_control", "reno", errno.EACCES, "reno cubic"},
		{"net.ipv4.conf.all.mc_forwarding", "1", errno.EACCES, "0"},
		{"net.ipv4.tcp_fastopen_key", "1-2-3-4", 0, "00000001-00000002-00000003-00000004"},
		{"net.ipv4.tcp_fastopen_key", "a-b-c-d,ffffffff-0-0-100000001", 0, "0000000a-0000000b-0000000c-0000000d,ffffffff-00000000-00000000-00000001"},
		{"net.ipv4.tcp_fastopen_key", "1-2-3", errno.EINVAL, "00000000-00000000-00000000-00000000"},
		// names
		{"net.ipv4.tcp_nope", "1", errno.ENOENT, ""},
		{"net.ipv4.conf.eth9.forwarding", "1", errno.ENOENT, ""},
		{"net.ipv4.neigh.all.app_solicit", "1", errno.ENOENT, ""},
		{"net.ipv4.neigh.lo.gc_thresh1", "1", errno.ENOENT, ""},
	}
	for _, c := range cases {
		s := newTestSysctls(t)
		err := s.Set(c.name, c.in)
		var se *SysctlError
		switch {
		case c.err == 0 && err != nil:
			t.Errorf("Set(%s, %q) = %v, want success", c.name, c.in, err)
		case c.err != 0 && !errors.Is(err, c.err):
			t.Errorf("Set(%s, %q) = %v, want %v", c.name, c.in, err, c.err)
		case c.err != 0 && (!errors.As(err, &se) || se.Name != c.name || se.Err != c.err):
			t.Errorf("Set(%s, %q) error %#v is not a SysctlError", c.name, c.in, err)
		}
		if c.want == "" {
			continue
		}
		if got, err := s.Get(c.name); err != nil || got != c.want {
			t.Errorf("after Set(%s, %q): Get = %q, %v; want %q", c.name, c.in, got, err, c.want)
		}
	}
	if err := newTestSysctls(t).Set("net.ipv4.tcp_sack", "256"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SysctlError %v does not match syscall.EINVAL", err)
	}
}

func TestSysctlDevices(t *testing.T) {
	s := newTestSysctls(t)
	set := func(name, v string) {
		t.Helper()
		if err := s.Set(name, v); err != nil {
			t.Fatalf("Set(%s, %s): %v", name, v, err)
		}
	}
	get := func(name string) string {
		t.Helper()
		v, err := s.Get(name)
		if err != nil {
			t.Fatalf("Get(%s): %v", name, err)
		}
		return v
	}
	expect := func(name, want string) {
		t.Helper()
		if got := get(name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	// A new device copies "default" as it is at AddDevice.
	set("net.ipv4.conf.default.rp_filter", "2")
	set("net.ipv6.conf.default.hop_limit", "10")
	set("net.ipv4.neigh.default.ucast_solicit", "7")
	if err := s.AddDevice("eth0"); err != nil {
		t.Fatal(err)
	}
	expect("net.ipv4.conf.eth0.rp_filter", "2")
	expect("net.ipv6.conf.eth0.hop_limit", "10")
	expect("net.ipv6.conf.eth0.mtu", "1500")
	expect("net.ipv6.conf.eth0.accept_dad", "1")
	expect("net.ipv4.conf.eth0.disable_policy", "0")
	expect("net.ipv4.neigh.eth0.ucast_solicit", "7")
	if err := s.AddDevice("eth0"); !errors.Is(err, errno.EEXIST) {
		t.Errorf("second AddDevice = %v", err)
	}
	if err := s.AddDevice("all"); !errors.Is(err, errno.EINVAL) {
		t.Errorf("AddDevice(all) = %v", err)
	}
	// IPv6 "default" changes do not reach existing devices.
	set("net.ipv6.conf.default.hop_limit", "20")
	expect("net.ipv6.conf.eth0.hop_limit", "10")
	// IPv4 devconf and neigh "default" changes reach devices that did not
	// set the key themselves (devinet_copy_dflt_conf,
	// neigh_copy_dflt_parms); a failed write counts as setting it.
	set("net.ipv4.conf.eth0.arp_ignore", "0")
	if s.Set("net.ipv4.conf.lo.arp_announce", "abc") == nil {
		t.Fatal("bad write accepted")
	}
	set("net.ipv4.conf.default.rp_filter", "1")
	set("net.ipv4.conf.default.arp_ignore", "2")
	set("net.ipv4.conf.default.arp_announce", "2")
	expect("net.ipv4.conf.eth0.rp_filter", "1")
	expect("net.ipv4.conf.lo.rp_filter", "1")
	expect("net.ipv4.conf.eth0.arp_ignore", "0")
	expect("net.ipv4.conf.lo.arp_ignore", "2")
	expect("net.ipv4.conf.lo.arp_announce", "0")
	expect("net.ipv4.conf.eth0.arp_announce", "2")
	set("net.ipv4.neigh.lo.mcast_solicit", "4")
	set("net.ipv4.neigh.default.mcast_solicit", "9")
	expect("net.ipv4.neigh.lo.mcast_solicit", "4")
	expect("net.ipv4.neigh.eth0.mcast_solicit", "9")
	// "Flushing" devinet keys and forwarding are not copied from default.
	set("net.ipv4.conf.default.route_localnet", "1")
	set("net.ipv4.conf.default.forwarding", "1")
	expect("net.ipv4.conf.eth0.route_localnet", "0")
	expect("net.ipv4.conf.eth0.forwarding", "0")
	expect("net.ipv4.ip_forward", "0")
	set("net.ipv4.conf.default.forwarding", "0")
	// all.forwarding (= ip_forward) goes to default and every device, and
	// turns all.accept_redirects off; only when the value changes.
	set("net.ipv4.ip_forward", "1")
	for _, n := range []string{"all", "default", "lo", "eth0"} {
		expect("net.ipv4.conf."+n+".forwarding", "1")
	}
	expect("net.ipv4.conf.all.accept_redirects", "0")
	if s.Int(IPForward) != 1 || s.Conf4Effective("eth0", Conf4AcceptRedirects) != 0 {
		t.Error("forwarding not effective")
	}
	set("net.ipv4.conf.eth0.forwarding", "0")
	set("net.ipv4.conf.all.forwarding", "1") // unchanged: no push
	expect("net.ipv4.conf.eth0.forwarding", "0")
	set("net.ipv4.conf.all.forwarding", "0")
	expect("net.ipv4.conf.all.accept_redirects", "1")
	expect("net.ipv4.conf.lo.forwarding", "0")
	// IPv6 all.forwarding/disable_ipv6 go to default and devices;
	// force_forwarding to devices only; hop_limit not at all.
	set("net.ipv6.conf.all.forwarding", "1")
	expect("net.ipv6.conf.eth0.forwarding", "1")
	expect("net.ipv6.conf.default.forwarding", "1")
	set("net.ipv6.conf.all.disable_ipv6", "1")
	expect("net.ipv6.conf.lo.disable_ipv6", "1")
	expect("net.ipv6.conf.default.disable_ipv6", "1")
	set("net.ipv6.conf.all.force_forwarding", "1")
	expect("net.ipv6.conf.eth0.force_forwarding", "1")
	expect("net.ipv6.conf.default.force_forwarding", "0")
	set("net.ipv6.conf.all.hop_limit", "5")
	expect("net.ipv6.conf.eth0.hop_limit", "10")
	// Effective IPv4 values combine all and the device.
	set("net.ipv4.conf.all.rp_filter", "2")
	set("net.ipv4.conf.all.log_martians", "1")
	if s.Conf4Effective("eth0", Conf4RPFilter) != 2 || s.Conf4Effective("eth0", Conf4LogMartians) != 1 ||
		s.Conf4Effective("lo", Conf4AcceptSourceRoute) != 0 {
		t.Error("Conf4Effective wrong")
	}
	// Devices: loopback and tun properties, small MTUs, MTU changes, removal.
	if err := s.AddDeviceInfo("tun0", DeviceInfo{MTU: 1500, NoARP: true}); err != nil {
		t.Fatal(err)
	}
	expect("net.ipv6.conf.tun0.accept_dad", "-1")
	expect("net.ipv6.conf.tun0.use_tempaddr", "-1")
	if err := s.AddDeviceInfo("slip0", DeviceInfo{MTU: 576}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("net.ipv6.conf.slip0.mtu"); !errors.Is(err, errno.ENOENT) {
		t.Errorf("IPv6 conf on a 576-byte device: %v", err)
	}
	expect("net.ipv4.conf.slip0.forwarding", "0")
	if err := s.SetDeviceMTU("eth0", 9000); err != nil {
		t.Fatal(err)
	}
	expect("net.ipv6.conf.eth0.mtu", "9000")
	set("net.ipv6.conf.eth0.mtu", "8000")
	if s.Set("net.ipv6.conf.eth0.mtu", "9001") == nil {
		t.Error("mtu above the device's accepted")
	}
	if err := s.SetDeviceMTU("eth0", 1000); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.DevInt("eth0", Conf6MTU); ok {
		t.Error("IPv6 tables kept below 1280")
	}
	s.SetDeviceMTU("eth0", 1400)
	expect("net.ipv6.conf.eth0.mtu", "1400")
	handle := s.Device("eth0")
	if err := s.RemoveDevice("eth0"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDevice("eth0"); !errors.Is(err, errno.ENODEV) {
		t.Errorf("second RemoveDevice = %v", err)
	}
	if _, err := s.Get("net.ipv4.conf.eth0.rp_filter"); !errors.Is(err, errno.ENOENT) {
		t.Errorf("removed device still visible: %v", err)
	}
	if handle.Int(Conf4RPFilter) != 1 || s.Device("eth0") != nil {
		t.Error("handle of a removed device changed")
	}
	if err := s.AddDeviceInfo("eth0.100", DeviceInfo{MTU: 1500}); err != nil {
		t.Fatal(err)
	}
	set("net.ipv4.conf.eth0.100.rp_filter", "0")
	set("net/ipv4/conf/eth0.100/arp_ignore", "1")
	expect("net.ipv4.conf.eth0.100.arp_ignore", "1")
}

func TestSysctlWalk(t *testing.T) {
	s := newTestSysctls(t)
	s.AddDevice("eth0")
	var names []string
	seen := map[string]string{}
	s.Walk(func(name, value string) {
		names = append(names, name)
		seen[name] = value
	})
	comps := func(n string) []string { return strings.Split(n, ".") }
	if !slices.IsSortedFunc(names, func(a, b string) int { return slices.Compare(comps(a), comps(b)) }) {
		t.Error("Walk not in sysctl -a order")
	}
	for _, n := range []string{"net.ipv4.tcp_rmem", "net.ipv4.conf.eth0.forwarding", "net.ipv6.neigh.eth0.retrans_time_ms",
		"net.ipv4.neigh.default.gc_thresh3", "net.ipv4.ip_forward", "net.core.somaxconn"} {
		if _, ok := seen[n]; !ok {
			t.Errorf("Walk misses %s", n)
		}
	}
	for _, n := range []string{"net.ipv4.neigh.lo.base_reachable_time", "net.ipv4.neigh.eth0.gc_thresh1", "net.ipv4.neigh.all.app_solicit"} {
		if _, ok := seen[n]; ok {
			t.Errorf("Walk lists %s", n)
		}
	}
	for n, v := range seen {
		if got, err := s.Get(n); err != nil || got != v {
			t.Errorf("Walk %s = %q, Get = %q %v", n, v, got, err)
		}
	}
	t.Logf("%d sysctls", len(names))
}

func TestSysctlConcurrent(t *testing.T) {
	s := newTestSysctls(t)
	var readers, writers sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		wg := &readers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				if v := s.Int(TCPSack); v != 0 && v != 1 {
					t.Errorf("torn tcp_sack %d", v)
					return
				}
				if r := s.Vec(IPLocalPortRange); r[0] > r[1] {
					t.Errorf("inconsistent port range %v", r)
					return
				}
				s.Get("net.ipv4.tcp_rmem")
				if d := s.Device("lo"); d != nil {
					d.Int(Conf4RPFilter)
				}
				if i == 0 && j%50 == 0 {
					s.Walk(func(string, string) {})
				}
			}
		}()
	}
	for i := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for j := range 500 {
				s.Set("net.ipv4.tcp_sack", strconv.Itoa(j%2))
				s.Set("net.ipv4.ip_local_port_range", fmt.Sprintf("%d %d", 2000+j, 3000+j))
				s.Set("net.ipv4.conf.default.rp_filter", strconv.Itoa(j%3))
				dev := fmt.Sprintf("d%d", i)
				s.AddDevice(dev)
				s.Set("net.ipv4.conf."+dev+".rp_filter", "1")
				s.RemoveDevice(dev)
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
}

func BenchmarkSysctlInt(b *testing.B) {
	s := NewSysctls()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Int(TCPSack) + s.Int(TCPFinTimeout)
	}
}

// ---- against the host kernel ----

// requireRoot skips a test that needs root and `ip netns`, unless CI is
// set, where it must run.
func requireRoot(t *testing.T) {
	t.Helper()
	_, errIP := exec.LookPath("ip")
	_, errSysctl := exec.LookPath("sysctl")
	if os.Geteuid() == 0 && errIP == nil && errSysctl == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI requires root with ip(8) and sysctl(8) (euid %d, ip: %v, sysctl: %v)", os.Geteuid(), errIP, errSysctl)
	}
	t.Skip("needs root with ip(8) and sysctl(8) to create a network namespace")
}

// hostNetns creates a fresh network namespace for the test and removes it
// at cleanup.
func hostNetns(t *testing.T, suffix string) string {
	t.Helper()
	name := fmt.Sprintf("gosock-%s-%d", suffix, os.Getpid())
	exec.Command("ip", "netns", "del", name).Run()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// withVeth adds a veth pair v0/v1 (MTU 1500) to the host namespace ns and
// the same devices to s, so device tables made at registration compare.
func withVeth(t *testing.T, ns string, s *Sysctls) {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1").CombinedOutput(); err != nil {
		t.Fatalf("ip link add veth: %v\n%s", err, out)
	}
	for _, d := range []string{"v0", "v1"} {
		if err := s.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
}

// deliberate lists the keys whose value gosock sets apart from a fresh
// Linux namespace on purpose, with the reason.
var deliberate = map[string]string{
	"net.ipv4.tcp_congestion_control":           "the host's default (bbr) is a host choice; gosock's is Linux's built-in cubic",
	"net.ipv4.tcp_allowed_congestion_control":   "follows the default algorithm (reno + default)",
	"net.ipv4.tcp_available_congestion_control": "gosock implements reno and cubic",
}

func TestSysctlHostDefaults(t *testing.T) {
	requireRoot(t)
	ns := hostNetns(t, "sysctl")
	s := newTestSysctls(t)
	withVeth(t, ns, s)
	out, err := exec.Command("ip", "netns", "exec", ns, "sysctl", "-a").Output()
	if err != nil {
		t.Fatalf("sysctl -a: %v", err)
	}
	host := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " = "); ok {
			host[k] = v
		} else if k, ok := strings.CutSuffix(strings.TrimSuffix(line, "\n"), " ="); ok {
			host[k] = ""
		}
	}
	compared, hostOnly := 0, []string{}
	s.Walk(func(name, value string) {
		hv, ok := host[name]
		if !ok {
			hostOnly = append(hostOnly, name)
			return
		}
		if why, ok := deliberate[name]; ok {
			t.Logf("%s: host %q, gosock %q (deliberate: %s)", name, hv, value, why)
			return
		}
		compared++
		if hv != value {
			t.Errorf("%s: host %q, gosock %q", name, hv, value)
		}
	})
	// Keys a child namespace lacks are init_net's (global) ones.
	for _, n := range hostOnly {
		if !strings.Contains(n, ".neigh.default.") && !slices.Contains([]string{"net.core.netdev_max_backlog",
			"net.ipv4.tcp_mem", "net.ipv4.udp_mem", "net.ipv4.tcp_max_orphans"}, n) {
			t.Errorf("gosock key %s not in the host's fresh namespace", n)
		}
	}
	t.Logf("compared %d keys with the host; %d are init_net-only", compared, len(hostOnly))
}

// probeValues are written to every key by TestSysctlKernelParity.
var probeValues = []string{"-2147483649", "-2147483648", "-1", "-0", "0", "1", "2", "3", "4", "5", "7", "8", "31",
	"32", "47", "48", "63", "64", "67", "68", "127", "128", "255", "256", "999", "1000", "1001", "1024", "1279",
	"1280", "1500", "2303", "2304", "65535", "65536", "65537", "86400", "86401", "3145728", "4194305",
	"8589934", "8589935", "2147483647", "2147483648", "4294967294", "4294967295", "4294967296",
	"9223372036854775807", "18446744073709551615", "18446744073709551616", "abc", " 5\n", "1 2", "0x10", "010",
	"09", "+1", "1abc", "7\n\n", "   ", "5\r", "\t5", "000000000000000000001", "1 2 3 4", "5 abc", "0 0", "2000 3000",
	"3000 2000", "1023 2000", "60000 65535", "reno", "cubic\n", "1-2-3-4", "1-2-3-4,5-6-7-8"}

// parityExcluded are keys a child namespace treats differently from
// gosock on purpose: Linux makes them read-only (or restricted) outside
// init_net, and a gosock namespace is its own init_net.
var parityExcluded = map[string]bool{
	"net.core.rmem_default": true, "net.core.rmem_max": true, "net.core.wmem_default": true, "net.core.wmem_max": true,
	"net.ipv4.tcp_allowed_congestion_control": true, "net.ipv4.tcp_congestion_control": true,
	"net.ipv4.tcp_available_congestion_control": true,
}

// TestSysctlKernelParity writes probeValues to every key gosock shares with
// a fresh Linux namespace, in both, and compares the errno and the value
// read back after each write (restoring the original value in between).
func TestSysctlKernelParity(t *testing.T) {
	requireRoot(t)
	ns := hostNetns(t, "parity")
	s := newTestSysctls(t)
	withVeth(t, ns, s)
	out, err := exec.Command("ip", "netns", "exec", ns, "sysctl", "-a").Output()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for line := range strings.Lines(string(out)) {
		k, _, _ := strings.Cut(line, " =")
		if _, err := s.Get(k); err == nil && !parityExcluded[k] {
			keys = append(keys, k)
		}
	}
	var script strings.Builder
	for _, k := range keys {
		for _, v := range probeValues {
			fmt.Fprintf(&script, "%s\t%s\n", k, strconv.Quote(v))
		}
	}
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestSysctlProbeHelper$")
	cmd.Env = append(os.Environ(), "GOSOCK_SYSCTL_PROBE=1")
	cmd.Stdin = strings.NewReader(script.String())
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("probe helper: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(res)))
	n, bad := 0, 0
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || f[0] != "R" {
			continue
		}
		k := f[1]
		v, _ := strconv.Unquote(f[2])
		kerr, qval, _ := strings.Cut(f[3], " ")
		kval, _ := strconv.Unquote(qval)
		orig, _ := s.Get(k)
		gerr := s.Set(k, v)
		gval, _ := s.Get(k)
		s.Set(k, orig)
		gcode := "0"
		var se *SysctlError
		if errors.As(gerr, &se) {
			gcode = strconv.Itoa(int(se.Err))
		}
		n++
		if gcode != kerr || gval != kval {
			bad++
			if bad <= 60 {
				t.Errorf("%s <- %q: kernel errno %s value %q; gosock errno %s value %q", k, v, kerr, kval, gcode, gval)
			}
		}
	}
	t.Logf("%d writes to %d keys compared, %d differ", n, len(keys), bad)
	if n == 0 {
		t.Fatal("probe helper returned nothing")
	}
}

// TestSysctlProbeHelper runs inside the namespace for
// TestSysctlKernelParity: for each "key\tquoted-value" line it writes the
// value to /proc/sys, reports "R\tkey\tquoted-value\terrno quoted-readback",
// and restores the original value.
func TestSysctlProbeHelper(t *testing.T) {
	if os.Getenv("GOSOCK_SYSCTL_PROBE") != "1" {
		t.Skip("helper process for TestSysctlKernelParity")
	}
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return strings.TrimSuffix(string(b), "\n")
	}
	write := func(p, v string) error {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.Write([]byte(v))
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		k, qv, _ := strings.Cut(sc.Text(), "\t")
		v, _ := strconv.Unquote(qv)
		p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		orig := read(p)
		code := "0"
		if err := write(p, v); err != nil {
			var en syscall.Errno
			if errors.As(err, &en) {
				code = strconv.Itoa(int(en))
			} else {
				code = "?"
			}
		}
		fmt.Fprintf(w, "R\t%s\t%s\t%s %s\n", k, qv, code, strconv.Quote(read(p)))
		write(p, orig)
	}
}

func ExampleSysctls() {
	s := NewSysctls()
	if err := s.Set("net.ipv4.tcp_rmem", "4096 262144 8388608\n"); err != nil {
		fmt.Println(err)
	}
	v, _ := s.Get("net.ipv4.tcp_rmem")
	fmt.Printf("%q %v\n", v, s.Vec(TCPRmem))
	err := s.Set("net.ipv4.ip_local_port_range", "5000 4000")
	fmt.Println(err, errors.Is(err, errno.EINVAL))
	s.Set("net.ipv4.icmp_ratelimit", "1001") // stored in 4 ms ticks (HZ=250)
	fmt.Println(s.Int(ICMPRatelimit))
	// Output:
	// "4096\t262144\t8388608" [4096 262144 8388608]
	// sysctl net.ipv4.ip_local_port_range: invalid argument true
	// 1004
}
