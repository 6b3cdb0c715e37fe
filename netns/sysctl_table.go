package netns

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gosock/gosock/errno"
)

// The sysctl table: every key gosock keeps, with the proc handler Linux
// 6.18 uses for it, its bounds and its default in a fresh network
// namespace. The defaults were read from `ip netns exec NEW sysctl -a` on
// the reference kernel and the bounds found by writing to that namespace's
// /proc/sys/net (see sysctl_test.go, which repeats both experiments
// against the host when run as root). Keys only init_net has in Linux
// (net.core.netdev_max_backlog, tcp_mem, udp_mem, tcp_max_orphans, the
// neigh "default" tables) take init_net's values, because a gosock
// namespace is the only namespace of its stack and plays both roles.

// Key names one sysctl of the table. A Key is resolved once, at compile
// time, so code on the packet path reads a sysctl with an array index and
// an atomic load instead of a name lookup.
//
// Naming: the part after "net.core."/"net.ipv4."/"net.ipv6." in CamelCase,
// with the protocol as prefix (TCPSack is net.ipv4.tcp_sack, IPDefaultTTL
// is net.ipv4.ip_default_ttl, Somaxconn is net.core.somaxconn, IP6FragTime
// is net.ipv6.ip6frag_time, ICMP6Ratelimit is net.ipv6.icmp.ratelimit).
// Per-device keys carry their table as prefix: Conf4Forwarding is
// net.ipv4.conf.DEV.forwarding, Conf6HopLimit is net.ipv6.conf.DEV.hop_limit,
// Neigh4RetransTimeMs is net.ipv4.neigh.DEV.retrans_time_ms.
type Key uint16

// Global keys (one value per namespace).
const (
	// net.core
	OptmemMax Key = iota
	RmemDefault
	RmemMax
	Somaxconn
	TstampAllowData
	Txrehash
	WmemDefault
	WmemMax
	XfrmAcqExpires
	XfrmAeventEtime
	XfrmAeventRseqth
	XfrmLarvalDrop
	NetdevMaxBacklog

	// net.ipv4
	FIBMultipathHashPolicy
	FIBMultipathUseNeigh
	FIBNotifyOnFlagChange
	IPFwmarkReflect
	ICMPEchoEnableProbe
	ICMPEchoIgnoreAll
	ICMPEchoIgnoreBroadcasts
	ICMPErrorsUseInboundIfaddr
	ICMPIgnoreBogusErrorResponses
	ICMPMsgsBurst
	ICMPMsgsPerSec
	ICMPRatelimit
	ICMPRatemask
	IGMPLinkLocalMcastReports
	IGMPMaxMemberships
	IGMPMaxMsf
	IGMPQrv
	IPAutobindReuse
	IPDefaultTTL
	IPDynaddr
	IPEarlyDemux
	IPForward
	IPForwardUpdatePriority
	IPForwardUsePMTU
	IPLocalPortRange
	IPNoPMTUDisc
	IPNonlocalBind
	IPUnprivilegedPortStart
	IPFragHighThresh
	IPFragLowThresh
	IPFragMaxDist
	IPFragTime
	NexthopCompatMode
	PingGroupRange
	RawL3mdevAccept
	IPRouteMinAdvMSS
	IPRouteMinPMTU
	IPRouteMTUExpires
	TCPAbortOnOverflow
	TCPAdvWinScale
	TCPAllowedCongestionControl
	TCPAppWin
	TCPAutocorking
	TCPAvailableCongestionControl
	TCPBacklogAckDefer
	TCPBaseMSS
	TCPChallengeAckLimit
	TCPChildEhashEntries
	TCPCompSackDelayNs
	TCPCompSackNr
	TCPCompSackSlackNs
	TCPCongestionControl
	TCPDsack
	TCPEarlyDemux
	TCPEarlyRetrans
	TCPECN
	TCPECNFallback
	TCPECNOption
	TCPECNOptionBeacon
	TCPFack
	TCPFastopen
	TCPFastopenBlackholeTimeoutSec
	TCPFastopenKey
	TCPFinTimeout
	TCPFrto
	TCPFwmarkAccept
	TCPInvalidRatelimit
	TCPKeepaliveIntvl
	TCPKeepaliveProbes
	TCPKeepaliveTime
	TCPL3mdevAccept
	TCPLimitOutputBytes
	TCPMaxOrphans
	TCPMaxReordering
	TCPMaxSynBacklog
	TCPMaxTwBuckets
	TCPMem
	TCPMigrateReq
	TCPMinRTTWlen
	TCPMinSndMSS
	TCPMinTSOSegs
	TCPModerateRcvbuf
	TCPMTUProbeFloor
	TCPMTUProbing
	TCPNoMetricsSave
	TCPNoSsthreshMetricsSave
	TCPNotsentLowat
	TCPOrphanRetries
	TCPPacingCaRatio
	TCPPacingSsRatio
	TCPPingpongThresh
	TCPPLBCongThresh
	TCPPLBEnabled
	TCPPLBIdleRehashRounds
	TCPPLBRehashRounds
	TCPPLBSuspendRTOSec
	TCPProbeInterval
	TCPProbeThreshold
	TCPRecovery
	TCPReflectTOS
	TCPReordering
	TCPRetransCollapse
	TCPRetries1
	TCPRetries2
	TCPRFC1337
	TCPRmem
	TCPRTOMaxMs
	TCPRTOMinUs
	TCPSack
	TCPShrinkWindow
	TCPSlowStartAfterIdle
	TCPStdurg
	TCPSynLinearTimeouts
	TCPSynRetries
	TCPSynackRetries
	TCPSyncookies
	TCPThinLinearTimeouts
	TCPTimestamps
	TCPTSORTTLog
	TCPTSOWinDivisor
	TCPTwReuse
	TCPTwReuseDelay
	TCPWindowScaling
	TCPWmem
	TCPWorkaroundSignedWindows
	UDPChildHashEntries
	UDPEarlyDemux
	UDPL3mdevAccept
	UDPMem
	UDPRmemMin
	UDPWmemMin
	Xfrm4GCThresh

	// net.ipv6
	IP6AnycastSrcEchoReply
	IP6AutoFlowlabels
	IP6Bindv6only
	IP6FIBMultipathHashPolicy
	IP6FIBNotifyOnFlagChange
	IP6FlowlabelConsistency
	IP6FlowlabelReflect
	IP6FlowlabelStateRanges
	IP6FwmarkReflect
	ICMP6EchoIgnoreAll
	ICMP6EchoIgnoreAnycast
	ICMP6EchoIgnoreMulticast
	ICMP6ErrorAnycastAsUnicast
	ICMP6Ratelimit
	IP6IdgenDelay
	IP6IdgenRetries
	IP6Ioam6ID
	IP6Ioam6IDWide
	IP6FragHighThresh
	IP6FragLowThresh
	IP6FragTime
	IP6NonlocalBind
	IP6MaxDstOptsLength
	IP6MaxDstOptsNumber
	IP6MaxHbhLength
	IP6MaxHbhOptsNumber
	IP6RouteGCElasticity
	IP6RouteGCInterval
	IP6RouteGCMinInterval
	IP6RouteGCMinIntervalMs
	IP6RouteGCThresh
	IP6RouteGCTimeout
	IP6RouteMaxSize
	IP6RouteMinAdvMSS
	IP6RouteMTUExpires
	IP6RouteSkipNotifyOnDevDown
	IP6Seg6Flowlabel
	Xfrm6GCThresh

	numGlobalKeys
)

// IPv4 per-device keys: net.ipv4.conf.{all,default,DEV}.*
// (net/ipv4/devinet.c, devinet_vars).
const (
	Conf4AcceptLocal Key = numGlobalKeys + iota
	Conf4AcceptRedirects
	Conf4AcceptSourceRoute
	Conf4ARPAccept
	Conf4ARPAnnounce
	Conf4ARPEvictNocarrier
	Conf4ARPFilter
	Conf4ARPIgnore
	Conf4ARPNotify
	Conf4BCForwarding
	Conf4BootpRelay
	Conf4DisablePolicy
	Conf4DisableXfrm
	Conf4DropGratuitousARP
	Conf4DropUnicastInL2Multicast
	Conf4ForceIGMPVersion
	Conf4Forwarding
	Conf4IGMPv2UnsolicitedReportInterval
	Conf4IGMPv3UnsolicitedReportInterval
	Conf4IgnoreRoutesWithLinkdown
	Conf4LogMartians
	Conf4McForwarding
	Conf4MediumID
	Conf4PromoteSecondaries
	Conf4ProxyARP
	Conf4ProxyARPPvlan
	Conf4RouteLocalnet
	Conf4RPFilter
	Conf4SecureRedirects
	Conf4SendRedirects
	Conf4SharedMedia
	Conf4SrcValidMark
	Conf4Tag

	endConf4
)

// IPv6 per-device keys: net.ipv6.conf.{all,default,DEV}.*
// (net/ipv6/addrconf.c, addrconf_sysctl).
const (
	Conf6AcceptDAD Key = endConf4 + iota
	Conf6AcceptRA
	Conf6AcceptRADefrtr
	Conf6AcceptRAFromLocal
	Conf6AcceptRAMinHopLimit
	Conf6AcceptRAMinLft
	Conf6AcceptRAMTU
	Conf6AcceptRAPinfo
	Conf6AcceptRARtInfoMaxPlen
	Conf6AcceptRARtInfoMinPlen
	Conf6AcceptRARtrPref
	Conf6AcceptRedirects
	Conf6AcceptSourceRoute
	Conf6AcceptUntrackedNA
	Conf6AddrGenMode
	Conf6Autoconf
	Conf6DADTransmits
	Conf6DisableIPv6
	Conf6DisablePolicy
	Conf6DropUnicastInL2Multicast
	Conf6DropUnsolicitedNA
	Conf6EnhancedDAD
	Conf6ForceForwarding
	Conf6ForceMLDVersion
	Conf6ForceTllao
	Conf6Forwarding
	Conf6HopLimit
	Conf6IgnoreRoutesWithLinkdown
	Conf6Ioam6Enabled
	Conf6Ioam6ID
	Conf6Ioam6IDWide
	Conf6KeepAddrOnDown
	Conf6MaxAddresses
	Conf6MaxDesyncFactor
	Conf6McForwarding
	Conf6MLDv1UnsolicitedReportInterval
	Conf6MLDv2UnsolicitedReportInterval
	Conf6MTU
	Conf6NdiscEvictNocarrier
	Conf6NdiscNotify
	Conf6NdiscTclass
	Conf6OptimisticDAD
	Conf6ProxyNDP
	Conf6RADefrtrMetric
	Conf6RAHonorPIOLife
	Conf6RAHonorPIOPflag
	Conf6RegenMaxRetry
	Conf6RegenMinAdvance
	Conf6RouterProbeInterval
	Conf6RouterSolicitationDelay
	Conf6RouterSolicitationInterval
	Conf6RouterSolicitationMaxInterval
	Conf6RouterSolicitations
	Conf6RplSegEnabled
	Conf6Seg6Enabled
	Conf6Seg6RequireHmac
	Conf6SuppressFragNdisc
	Conf6TempPreferedLft
	Conf6TempValidLft
	Conf6UseOifAddrsOnly
	Conf6UseOptimistic
	Conf6UseTempaddr

	endConf6
)

// Neighbour-table keys of ARP: net.ipv4.neigh.{default,DEV}.*
// (net/core/neighbour.c, neigh_sysctl_template). The gc_* keys exist in
// "default" only, as in Linux.
const (
	Neigh4AnycastDelay Key = endConf6 + iota
	Neigh4AppSolicit
	Neigh4BaseReachableTimeMs
	Neigh4DelayFirstProbeTime
	Neigh4GCStaleTime
	Neigh4IntervalProbeTimeMs
	Neigh4Locktime
	Neigh4McastResolicit
	Neigh4McastSolicit
	Neigh4ProxyDelay
	Neigh4ProxyQlen
	Neigh4RetransTimeMs
	Neigh4UcastSolicit
	Neigh4UnresQlen
	Neigh4UnresQlenBytes
	Neigh4BaseReachableTime
	Neigh4RetransTime
	Neigh4GCInterval
	Neigh4GCThresh1
	Neigh4GCThresh2
	Neigh4GCThresh3

	endNeigh4
)

// Neighbour-table keys of NDP: net.ipv6.neigh.{default,DEV}.*, the same
// leaves as Neigh4*.
const (
	Neigh6AnycastDelay Key = endNeigh4 + iota
	Neigh6AppSolicit
	Neigh6BaseReachableTimeMs
	Neigh6DelayFirstProbeTime
	Neigh6GCStaleTime
	Neigh6IntervalProbeTimeMs
	Neigh6Locktime
	Neigh6McastResolicit
	Neigh6McastSolicit
	Neigh6ProxyDelay
	Neigh6ProxyQlen
	Neigh6RetransTimeMs
	Neigh6UcastSolicit
	Neigh6UnresQlen
	Neigh6UnresQlenBytes
	Neigh6BaseReachableTime
	Neigh6RetransTime
	Neigh6GCInterval
	Neigh6GCThresh1
	Neigh6GCThresh2
	Neigh6GCThresh3

	numKeys
)

// handler says which Linux proc handler a key mirrors; it decides the
// accepted input, the conversion to the stored value and the output.
type handler uint8

const (
	hInt         handler = iota // proc_dointvec[_minmax]: int
	hUint                       // proc_douintvec[_minmax]: unsigned int
	hU8                         // proc_dou8vec_minmax: u8
	hUlong                      // proc_doulongvec_minmax: unsigned long
	hJiffies                    // proc_dointvec_jiffies: seconds, stored in ticks
	hMsJiffies                  // proc_dointvec_ms_jiffies: ms, stored in ticks
	hUserHZ                     // proc_dointvec_userhz_jiffies: 1/100 s, stored in ticks
	hPortRange                  // ipv4_local_port_range
	hGIDRange                   // ipv4_ping_group_range
	hCongestion                 // proc_tcp_congestion_control
	hCongAllowed                // proc_allowed_congestion_control
	hCongAvail                  // proc_tcp_available_congestion_control (read-only)
	hFastopenKey                // proc_tcp_fastopen_key
	hUnresQlen                  // neigh_proc_dointvec_unres_qlen (a view of unres_qlen_bytes)
)

// sysctlScope says which table holds a key.
type sysctlScope uint8

const (
	scopeGlobal sysctlScope = iota
	scopeConf4
	scopeConf6
	scopeNeigh4
	scopeNeigh6
)

const (
	fMin         = 1 << iota // min is a bound
	fMax                     // max is a bound
	fRO                      // mode 0444: writes fail with EACCES
	fHidden                  // in /proc but not listed by sysctl -a (procps hides deprecated names)
	fNoState                 // devinet "flushing" entries: no explicit-set bit, no default propagation
	fDefaultOnly             // neigh gc_*: only in the "default" table
	fPositive                // ms_jiffies: at least one tick (neigh_proc_dointvec_ms_jiffies_positive)
)

// unit tells Duration how to read a key.
type unit uint8

const (
	unitNone unit = iota
	unitTicks
	unitSec
	unitMs
	unitUs
	unitNs
)

type spec struct {
	name     string // global: full name; per-device: the leaf
	scope    sysctlScope
	h        handler
	n        uint8 // vector length; 0 means scalar
	flags    uint16
	min, max int64
	def      [3]int64 // in /proc units
	alias    Key      // with hasAlias: shares alias's storage
	hasAlias bool
	unit     unit
}

const (
	intMax  = 1<<31 - 1
	uintMax = 1<<32 - 1
	// sockMinRcvbuf and sockMinSndbuf are SOCK_MIN_RCVBUF and
	// SOCK_MIN_SNDBUF on x86-64 (2048 + the aligned sk_buff size, and
	// twice that), the lower bounds of net.core.[rw]mem_*.
	sockMinRcvbuf = 2304
	sockMinSndbuf = 4608
)

// Constructors keep the table one line per key.
func gi(name string, def int64) spec { return spec{name: name, h: hInt, def: [3]int64{def}} }
func gimm(name string, def, min, max int64) spec {
	return spec{name: name, h: hInt, def: [3]int64{def}, min: min, max: max, flags: fMin | fMax}
}
func gimin(name string, def, min int64) spec {
	return spec{name: name, h: hInt, def: [3]int64{def}, min: min, flags: fMin}
}
func gu8(name string, def, min, max int64) spec {
	return spec{name: name, h: hU8, def: [3]int64{def}, min: min, max: max, flags: fMin | fMax}
}
func gbool(name string, def int64) spec { return gu8(name, def, 0, 1) }
func gui(name string, def, min, max int64) spec {
	return spec{name: name, h: hUint, def: [3]int64{def}, min: min, max: max, flags: fMin | fMax}
}
func gul(name string, def, min, max int64, flags uint16) spec {
	return spec{name: name, h: hUlong, def: [3]int64{def}, min: min, max: max, flags: flags}
}
func gjif(name string, def int64) spec {
	return spec{name: name, h: hJiffies, def: [3]int64{def}, unit: unitTicks}
}
func gms(name string, def int64) spec {
	return spec{name: name, h: hMsJiffies, def: [3]int64{def}, unit: unitTicks}
}
func withUnit(s spec, u unit) spec       { s.unit = u; return s }
func withFlags(s spec, f uint16) spec    { s.flags |= f; return s }
func aliasOf(s spec, k Key) spec         { s.alias, s.hasAlias = k, true; return s }
func scoped(s spec, sc sysctlScope) spec { s.scope = sc; return s }
func vec3(name string, def [3]int64) spec {
	return spec{name: name, h: hInt, n: 3, def: def, min: 1, flags: fMin}
}
func ulvec3(name string, def [3]int64) spec { return spec{name: name, h: hUlong, n: 3, def: def} }

var specs = [numKeys]spec{
	OptmemMax:        gimin("net.core.optmem_max", 131072, 0),
	RmemDefault:      gimm("net.core.rmem_default", 212992, sockMinRcvbuf, intMax),
	RmemMax:          gimm("net.core.rmem_max", 4194304, sockMinRcvbuf, intMax),
	Somaxconn:        gimin("net.core.somaxconn", 4096, 0),
	TstampAllowData:  gbool("net.core.tstamp_allow_data", 1),
	Txrehash:         gbool("net.core.txrehash", 1),
	WmemDefault:      gimm("net.core.wmem_default", 212992, sockMinSndbuf, intMax),
	WmemMax:          gimm("net.core.wmem_max", 4194304, sockMinSndbuf, intMax),
	XfrmAcqExpires:   gi("net.core.xfrm_acq_expires", 30),
	XfrmAeventEtime:  gui("net.core.xfrm_aevent_etime", 10, 0, uintMax),
	XfrmAeventRseqth: gui("net.core.xfrm_aevent_rseqth", 2, 0, uintMax),
	XfrmLarvalDrop:   gi("net.core.xfrm_larval_drop", 1),
	NetdevMaxBacklog: gi("net.core.netdev_max_backlog", 1000),

	FIBMultipathHashPolicy:        gu8("net.ipv4.fib_multipath_hash_policy", 0, 0, 3),
	FIBMultipathUseNeigh:          gbool("net.ipv4.fib_multipath_use_neigh", 0),
	FIBNotifyOnFlagChange:         gu8("net.ipv4.fib_notify_on_flag_change", 0, 0, 2),
	IPFwmarkReflect:               gu8("net.ipv4.fwmark_reflect", 0, 0, 255),
	ICMPEchoEnableProbe:           gbool("net.ipv4.icmp_echo_enable_probe", 0),
	ICMPEchoIgnoreAll:             gbool("net.ipv4.icmp_echo_ignore_all", 0),
	ICMPEchoIgnoreBroadcasts:      gbool("net.ipv4.icmp_echo_ignore_broadcasts", 1),
	ICMPErrorsUseInboundIfaddr:    gbool("net.ipv4.icmp_errors_use_inbound_ifaddr", 0),
	ICMPIgnoreBogusErrorResponses: gbool("net.ipv4.icmp_ignore_bogus_error_responses", 1),
	ICMPMsgsBurst:                 gimin("net.ipv4.icmp_msgs_burst", 50, 0),
	ICMPMsgsPerSec:                gimin("net.ipv4.icmp_msgs_per_sec", 1000, 0),
	ICMPRatelimit:                 gms("net.ipv4.icmp_ratelimit", 1000),
	ICMPRatemask:                  gi("net.ipv4.icmp_ratemask", 6168),
	IGMPLinkLocalMcastReports:     gu8("net.ipv4.igmp_link_local_mcast_reports", 1, 0, 255),
	IGMPMaxMemberships:            gi("net.ipv4.igmp_max_memberships", 20),
	IGMPMaxMsf:                    gi("net.ipv4.igmp_max_msf", 10),
	IGMPQrv:                       gimin("net.ipv4.igmp_qrv", 2, 1),
	IPAutobindReuse:               gbool("net.ipv4.ip_autobind_reuse", 0),
	IPDefaultTTL:                  gu8("net.ipv4.ip_default_ttl", 64, 1, 255),
	IPDynaddr:                     gu8("net.ipv4.ip_dynaddr", 0, 0, 255),
	IPEarlyDemux:                  gu8("net.ipv4.ip_early_demux", 1, 0, 255),
	// ip_forward is conf/all/forwarding under another name: same storage,
	// same handler (devinet_sysctl_forward).
	IPForward:               scoped(aliasOf(gi("net.ipv4.ip_forward", 0), Conf4Forwarding), scopeGlobal),
	IPForwardUpdatePriority: gbool("net.ipv4.ip_forward_update_priority", 1),
	IPForwardUsePMTU:        gu8("net.ipv4.ip_forward_use_pmtu", 0, 0, 255),
	IPLocalPortRange:        {name: "net.ipv4.ip_local_port_range", h: hPortRange, n: 2, def: [3]int64{32768, 60999}, min: 1, max: 65535},
	IPNoPMTUDisc:            gu8("net.ipv4.ip_no_pmtu_disc", 0, 0, 255),
	IPNonlocalBind:          gu8("net.ipv4.ip_nonlocal_bind", 0, 0, 255),
	IPUnprivilegedPortStart: gimm("net.ipv4.ip_unprivileged_port_start", 1024, 0, 65535),
	IPFragHighThresh:        gul("net.ipv4.ipfrag_high_thresh", 4194304, 0, 0, 0),
	IPFragLowThresh:         gul("net.ipv4.ipfrag_low_thresh", 3145728, 0, 0, 0),
	IPFragMaxDist:           gimin("net.ipv4.ipfrag_max_dist", 64, 0),
	IPFragTime:              withUnit(gjif("net.ipv4.ipfrag_time", 30), unitTicks),
	NexthopCompatMode:       gbool("net.ipv4.nexthop_compat_mode", 1),
	PingGroupRange:          {name: "net.ipv4.ping_group_range", h: hGIDRange, n: 2, def: [3]int64{1, 0}, min: 0, max: uintMax - 1},
	RawL3mdevAccept:         gbool("net.ipv4.raw_l3mdev_accept", 1),
	IPRouteMinAdvMSS:        gi("net.ipv4.route.min_adv_mss", 256),
	IPRouteMinPMTU:          gimin("net.ipv4.route.min_pmtu", 552, 68),
	IPRouteMTUExpires:       gjif("net.ipv4.route.mtu_expires", 600),

	TCPAbortOnOverflow:             gu8("net.ipv4.tcp_abort_on_overflow", 0, 0, 255),
	TCPAdvWinScale:                 gimm("net.ipv4.tcp_adv_win_scale", 1, -31, 31),
	TCPAllowedCongestionControl:    {name: "net.ipv4.tcp_allowed_congestion_control", h: hCongAllowed},
	TCPAppWin:                      gu8("net.ipv4.tcp_app_win", 31, 0, 31),
	TCPAutocorking:                 gbool("net.ipv4.tcp_autocorking", 1),
	TCPAvailableCongestionControl:  {name: "net.ipv4.tcp_available_congestion_control", h: hCongAvail, flags: fRO},
	TCPBacklogAckDefer:             gbool("net.ipv4.tcp_backlog_ack_defer", 1),
	TCPBaseMSS:                     gi("net.ipv4.tcp_base_mss", 1024),
	TCPChallengeAckLimit:           gi("net.ipv4.tcp_challenge_ack_limit", intMax),
	TCPChildEhashEntries:           gui("net.ipv4.tcp_child_ehash_entries", 0, 0, 16777216),
	TCPCompSackDelayNs:             withUnit(gul("net.ipv4.tcp_comp_sack_delay_ns", 1000000, 0, 0, 0), unitNs),
	TCPCompSackNr:                  gu8("net.ipv4.tcp_comp_sack_nr", 44, 0, 255),
	TCPCompSackSlackNs:             withUnit(gul("net.ipv4.tcp_comp_sack_slack_ns", 100000, 0, 0, 0), unitNs),
	TCPCongestionControl:           {name: "net.ipv4.tcp_congestion_control", h: hCongestion},
	TCPDsack:                       gu8("net.ipv4.tcp_dsack", 1, 0, 255),
	TCPEarlyDemux:                  gu8("net.ipv4.tcp_early_demux", 1, 0, 255),
	TCPEarlyRetrans:                gu8("net.ipv4.tcp_early_retrans", 3, 0, 4),
	TCPECN:                         gu8("net.ipv4.tcp_ecn", 2, 0, 2),
	TCPECNFallback:                 gbool("net.ipv4.tcp_ecn_fallback", 1),
	TCPECNOption:                   gu8("net.ipv4.tcp_ecn_option", 2, 0, 2),
	TCPECNOptionBeacon:             gu8("net.ipv4.tcp_ecn_option_beacon", 3, 0, 3),
	TCPFack:                        gu8("net.ipv4.tcp_fack", 0, 0, 255),
	TCPFastopen:                    gi("net.ipv4.tcp_fastopen", 1),
	TCPFastopenBlackholeTimeoutSec: withUnit(gimin("net.ipv4.tcp_fastopen_blackhole_timeout_sec", 0, 0), unitSec),
	TCPFastopenKey:                 {name: "net.ipv4.tcp_fastopen_key", h: hFastopenKey},
	TCPFinTimeout:                  gjif("net.ipv4.tcp_fin_timeout", 60),
	TCPFrto:                        gu8("net.ipv4.tcp_frto", 2, 0, 255),
	TCPFwmarkAccept:                gu8("net.ipv4.tcp_fwmark_accept", 0, 0, 255),
	TCPInvalidRatelimit:            gms("net.ipv4.tcp_invalid_ratelimit", 500),
	TCPKeepaliveIntvl:              gjif("net.ipv4.tcp_keepalive_intvl", 75),
	TCPKeepaliveProbes:             gu8("net.ipv4.tcp_keepalive_probes", 9, 0, 255),
	TCPKeepaliveTime:               gjif("net.ipv4.tcp_keepalive_time", 7200),
	TCPL3mdevAccept:                gbool("net.ipv4.tcp_l3mdev_accept", 0),
	TCPLimitOutputBytes:            gi("net.ipv4.tcp_limit_output_bytes", 4194304),
	// tcp_max_orphans is init_net only and sized from RAM in Linux
	// (131072 on the 24 GiB reference machine); gosock fixes that value.
	TCPMaxOrphans:    gi("net.ipv4.tcp_max_orphans", 131072),
	TCPMaxReordering: gimin("net.ipv4.tcp_max_reordering", 300, 1),
	TCPMaxSynBacklog: gi("net.ipv4.tcp_max_syn_backlog", 2048),
	TCPMaxTwBuckets:  gi("net.ipv4.tcp_max_tw_buckets", 131072),
	// tcp_mem and udp_mem are init_net only and sized from RAM in Linux
	// (tcp_mem = limit*3/4, limit, limit*3/2 pages with limit = free
	// buffer pages/16); gosock fixes the 24 GiB reference machine's values.
	TCPMem:                     ulvec3("net.ipv4.tcp_mem", [3]int64{287898, 383866, 575796}),
	TCPMigrateReq:              gbool("net.ipv4.tcp_migrate_req", 0),
	TCPMinRTTWlen:              withUnit(gimm("net.ipv4.tcp_min_rtt_wlen", 300, 0, 86400), unitSec),
	TCPMinSndMSS:               gimm("net.ipv4.tcp_min_snd_mss", 48, 48, 65535),
	TCPMinTSOSegs:              gu8("net.ipv4.tcp_min_tso_segs", 2, 1, 255),
	TCPModerateRcvbuf:          gu8("net.ipv4.tcp_moderate_rcvbuf", 1, 0, 255),
	TCPMTUProbeFloor:           gimm("net.ipv4.tcp_mtu_probe_floor", 48, 48, 65535),
	TCPMTUProbing:              gu8("net.ipv4.tcp_mtu_probing", 0, 0, 255),
	TCPNoMetricsSave:           gu8("net.ipv4.tcp_no_metrics_save", 0, 0, 255),
	TCPNoSsthreshMetricsSave:   gbool("net.ipv4.tcp_no_ssthresh_metrics_save", 1),
	TCPNotsentLowat:            gui("net.ipv4.tcp_notsent_lowat", uintMax, 0, uintMax),
	TCPOrphanRetries:           gu8("net.ipv4.tcp_orphan_retries", 0, 0, 255),
	TCPPacingCaRatio:           gimm("net.ipv4.tcp_pacing_ca_ratio", 120, 0, 1000),
	TCPPacingSsRatio:           gimm("net.ipv4.tcp_pacing_ss_ratio", 200, 0, 1000),
	TCPPingpongThresh:          gu8("net.ipv4.tcp_pingpong_thresh", 1, 1, 255),
	TCPPLBCongThresh:           gimm("net.ipv4.tcp_plb_cong_thresh", 128, 0, 256),
	TCPPLBEnabled:              gbool("net.ipv4.tcp_plb_enabled", 0),
	TCPPLBIdleRehashRounds:     gu8("net.ipv4.tcp_plb_idle_rehash_rounds", 3, 0, 31),
	TCPPLBRehashRounds:         gu8("net.ipv4.tcp_plb_rehash_rounds", 12, 0, 31),
	TCPPLBSuspendRTOSec:        withUnit(gu8("net.ipv4.tcp_plb_suspend_rto_sec", 60, 0, 255), unitSec),
	TCPProbeInterval:           withUnit(gui("net.ipv4.tcp_probe_interval", 600, 0, uintMax/hz), unitSec),
	TCPProbeThreshold:          gi("net.ipv4.tcp_probe_threshold", 8),
	TCPRecovery:                gu8("net.ipv4.tcp_recovery", 1, 0, 255),
	TCPReflectTOS:              gbool("net.ipv4.tcp_reflect_tos", 0),
	TCPReordering:              gimm("net.ipv4.tcp_reordering", 3, 1, 300), // max: tcp_max_reordering
	TCPRetransCollapse:         gu8("net.ipv4.tcp_retrans_collapse", 1, 0, 255),
	TCPRetries1:                gu8("net.ipv4.tcp_retries1", 3, 0, 255),
	TCPRetries2:                gu8("net.ipv4.tcp_retries2", 15, 0, 255),
	TCPRFC1337:                 gu8("net.ipv4.tcp_rfc1337", 0, 0, 255),
	TCPRmem:                    vec3("net.ipv4.tcp_rmem", [3]int64{4096, 131072, 33554432}),
	TCPRTOMaxMs:                withUnit(gimm("net.ipv4.tcp_rto_max_ms", 120000, 1000, 120000), unitMs),
	TCPRTOMinUs:                withUnit(gimin("net.ipv4.tcp_rto_min_us", 200000, 1), unitUs),
	TCPSack:                    gu8("net.ipv4.tcp_sack", 1, 0, 255),
	TCPShrinkWindow:            gbool("net.ipv4.tcp_shrink_window", 0),
	TCPSlowStartAfterIdle:      gu8("net.ipv4.tcp_slow_start_after_idle", 1, 0, 255),
	TCPStdurg:                  gu8("net.ipv4.tcp_stdurg", 0, 0, 255),
	TCPSynLinearTimeouts:       gu8("net.ipv4.tcp_syn_linear_timeouts", 4, 0, 127),
	TCPSynRetries:              gu8("net.ipv4.tcp_syn_retries", 6, 1, 127),
	TCPSynackRetries:           gu8("net.ipv4.tcp_synack_retries", 5, 0, 255),
	TCPSyncookies:              gu8("net.ipv4.tcp_syncookies", 1, 0, 255),
	TCPThinLinearTimeouts:      gu8("net.ipv4.tcp_thin_linear_timeouts", 0, 0, 255),
	TCPTimestamps:              gu8("net.ipv4.tcp_timestamps", 1, 0, 255),
	TCPTSORTTLog:               gu8("net.ipv4.tcp_tso_rtt_log", 9, 0, 255),
	TCPTSOWinDivisor:           gu8("net.ipv4.tcp_tso_win_divisor", 3, 0, 255),
	TCPTwReuse:                 gu8("net.ipv4.tcp_tw_reuse", 2, 0, 2),
	TCPTwReuseDelay:            withUnit(gui("net.ipv4.tcp_tw_reuse_delay", 1000, 1, 60000), unitMs),
	TCPWindowScaling:           gu8("net.ipv4.tcp_window_scaling", 1, 0, 255),
	TCPWmem:                    vec3("net.ipv4.tcp_wmem", [3]int64{4096, 16384, 4194304}),
	TCPWorkaroundSignedWindows: gu8("net.ipv4.tcp_workaround_signed_windows", 0, 0, 255),
	UDPChildHashEntries:        gui("net.ipv4.udp_child_hash_entries", 0, 0, 65536),
	UDPEarlyDemux:              gu8("net.ipv4.udp_early_demux", 1, 0, 255),
	UDPL3mdevAccept:            gbool("net.ipv4.udp_l3mdev_accept", 0),
	UDPMem:                     ulvec3("net.ipv4.udp_mem", [3]int64{575799, 767732, 1151598}),
	UDPRmemMin:                 gimin("net.ipv4.udp_rmem_min", 4096, 1),
	UDPWmemMin:                 gimin("net.ipv4.udp_wmem_min", 4096, 1),
	Xfrm4GCThresh:              gi("net.ipv4.xfrm4_gc_thresh", 32768),

	IP6AnycastSrcEchoReply:      gu8("net.ipv6.anycast_src_echo_reply", 0, 0, 255),
	IP6AutoFlowlabels:           gu8("net.ipv6.auto_flowlabels", 1, 0, 3),
	IP6Bindv6only:               gu8("net.ipv6.bindv6only", 0, 0, 255),
	IP6FIBMultipathHashPolicy:   gu8("net.ipv6.fib_multipath_hash_policy", 0, 0, 3),
	IP6FIBNotifyOnFlagChange:    gu8("net.ipv6.fib_notify_on_flag_change", 0, 0, 2),
	IP6FlowlabelConsistency:     gu8("net.ipv6.flowlabel_consistency", 1, 0, 255),
	IP6FlowlabelReflect:         gimm("net.ipv6.flowlabel_reflect", 0, 0, 7),
	IP6FlowlabelStateRanges:     gu8("net.ipv6.flowlabel_state_ranges", 0, 0, 255),
	IP6FwmarkReflect:            gu8("net.ipv6.fwmark_reflect", 0, 0, 255),
	ICMP6EchoIgnoreAll:          gu8("net.ipv6.icmp.echo_ignore_all", 0, 0, 255),
	ICMP6EchoIgnoreAnycast:      gu8("net.ipv6.icmp.echo_ignore_anycast", 0, 0, 255),
	ICMP6EchoIgnoreMulticast:    gu8("net.ipv6.icmp.echo_ignore_multicast", 0, 0, 255),
	ICMP6ErrorAnycastAsUnicast:  gbool("net.ipv6.icmp.error_anycast_as_unicast", 0),
	ICMP6Ratelimit:              gms("net.ipv6.icmp.ratelimit", 100),
	IP6IdgenDelay:               gjif("net.ipv6.idgen_delay", 1),
	IP6IdgenRetries:             gi("net.ipv6.idgen_retries", 3),
	IP6Ioam6ID:                  gui("net.ipv6.ioam6_id", 16777215, 0, 16777215),
	IP6Ioam6IDWide:              gul("net.ipv6.ioam6_id_wide", 72057594037927935, 0, 72057594037927935, fMin|fMax),
	IP6FragHighThresh:           gul("net.ipv6.ip6frag_high_thresh", 4194304, 0, 0, 0),
	IP6FragLowThresh:            gul("net.ipv6.ip6frag_low_thresh", 3145728, 0, 0, 0),
	IP6FragTime:                 gjif("net.ipv6.ip6frag_time", 60),
	IP6NonlocalBind:             gu8("net.ipv6.ip_nonlocal_bind", 0, 0, 255),
	IP6MaxDstOptsLength:         gi("net.ipv6.max_dst_opts_length", intMax),
	IP6MaxDstOptsNumber:         gi("net.ipv6.max_dst_opts_number", 8),
	IP6MaxHbhLength:             gi("net.ipv6.max_hbh_length", intMax),
	IP6MaxHbhOptsNumber:         gi("net.ipv6.max_hbh_opts_number", 8),
	IP6RouteGCElasticity:        gi("net.ipv6.route.gc_elasticity", 9),
	IP6RouteGCInterval:          gjif("net.ipv6.route.gc_interval", 30),
	IP6RouteGCMinInterval:       aliasOf(gjif("net.ipv6.route.gc_min_interval", 0), IP6RouteGCMinIntervalMs),
	IP6RouteGCMinIntervalMs:     gms("net.ipv6.route.gc_min_interval_ms", 500),
	IP6RouteGCThresh:            gi("net.ipv6.route.gc_thresh", 1024),
	IP6RouteGCTimeout:           gjif("net.ipv6.route.gc_timeout", 60),
	IP6RouteMaxSize:             gi("net.ipv6.route.max_size", intMax),
	IP6RouteMinAdvMSS:           gi("net.ipv6.route.min_adv_mss", 1220),
	IP6RouteMTUExpires:          gjif("net.ipv6.route.mtu_expires", 600),
	IP6RouteSkipNotifyOnDevDown: gbool("net.ipv6.route.skip_notify_on_dev_down", 0),
	IP6Seg6Flowlabel:            gi("net.ipv6.seg6_flowlabel", 0),
	Xfrm6GCThresh:               gi("net.ipv6.xfrm6_gc_thresh", 32768),

	// IPv4 devconf: all are proc_dointvec. The default column is the
	// "default" table's; "all" differs in accept_source_route only
	// (fixed up in newConf4). mc_forwarding is read-only.
	Conf4AcceptLocal:                     c4("accept_local", 0),
	Conf4AcceptRedirects:                 c4("accept_redirects", 1),
	Conf4AcceptSourceRoute:               c4("accept_source_route", 1),
	Conf4ARPAccept:                       c4("arp_accept", 0),
	Conf4ARPAnnounce:                     c4("arp_announce", 0),
	Conf4ARPEvictNocarrier:               c4("arp_evict_nocarrier", 1),
	Conf4ARPFilter:                       c4("arp_filter", 0),
	Conf4ARPIgnore:                       c4("arp_ignore", 0),
	Conf4ARPNotify:                       c4("arp_notify", 0),
	Conf4BCForwarding:                    c4("bc_forwarding", 0),
	Conf4BootpRelay:                      c4("bootp_relay", 0),
	Conf4DisablePolicy:                   withFlags(c4("disable_policy", 0), fNoState),
	Conf4DisableXfrm:                     withFlags(c4("disable_xfrm", 0), fNoState),
	Conf4DropGratuitousARP:               c4("drop_gratuitous_arp", 0),
	Conf4DropUnicastInL2Multicast:        withFlags(c4("drop_unicast_in_l2_multicast", 0), fNoState),
	Conf4ForceIGMPVersion:                c4("force_igmp_version", 0),
	Conf4Forwarding:                      withFlags(c4("forwarding", 0), fNoState),
	Conf4IGMPv2UnsolicitedReportInterval: c4("igmpv2_unsolicited_report_interval", 10000),
	Conf4IGMPv3UnsolicitedReportInterval: c4("igmpv3_unsolicited_report_interval", 1000),
	Conf4IgnoreRoutesWithLinkdown:        c4("ignore_routes_with_linkdown", 0),
	Conf4LogMartians:                     c4("log_martians", 0),
	Conf4McForwarding:                    withFlags(c4("mc_forwarding", 0), fRO),
	Conf4MediumID:                        c4("medium_id", 0),
	Conf4PromoteSecondaries:              withFlags(c4("promote_secondaries", 0), fNoState),
	Conf4ProxyARP:                        c4("proxy_arp", 0),
	Conf4ProxyARPPvlan:                   c4("proxy_arp_pvlan", 0),
	Conf4RouteLocalnet:                   withFlags(c4("route_localnet", 0), fNoState),
	Conf4RPFilter:                        c4("rp_filter", 0),
	Conf4SecureRedirects:                 c4("secure_redirects", 1),
	Conf4SendRedirects:                   c4("send_redirects", 1),
	Conf4SharedMedia:                     c4("shared_media", 1),
	Conf4SrcValidMark:                    c4("src_valid_mark", 0),
	Conf4Tag:                             c4("tag", 0),

	// IPv6 devconf; "all" differs from "default" in accept_dad only.
	Conf6AcceptDAD:                      c6("accept_dad", 1),
	Conf6AcceptRA:                       c6("accept_ra", 1),
	Conf6AcceptRADefrtr:                 c6("accept_ra_defrtr", 1),
	Conf6AcceptRAFromLocal:              c6("accept_ra_from_local", 0),
	Conf6AcceptRAMinHopLimit:            c6("accept_ra_min_hop_limit", 1),
	Conf6AcceptRAMinLft:                 c6("accept_ra_min_lft", 0),
	Conf6AcceptRAMTU:                    c6("accept_ra_mtu", 1),
	Conf6AcceptRAPinfo:                  c6("accept_ra_pinfo", 1),
	Conf6AcceptRARtInfoMaxPlen:          c6("accept_ra_rt_info_max_plen", 0),
	Conf6AcceptRARtInfoMinPlen:          c6("accept_ra_rt_info_min_plen", 0),
	Conf6AcceptRARtrPref:                c6("accept_ra_rtr_pref", 1),
	Conf6AcceptRedirects:                c6("accept_redirects", 1),
	Conf6AcceptSourceRoute:              c6("accept_source_route", 0),
	Conf6AcceptUntrackedNA:              scoped(gimm("accept_untracked_na", 0, 0, 2), scopeConf6),
	Conf6AddrGenMode:                    scoped(gui("addr_gen_mode", 0, 0, 3), scopeConf6),
	Conf6Autoconf:                       c6("autoconf", 1),
	Conf6DADTransmits:                   c6("dad_transmits", 1),
	Conf6DisableIPv6:                    c6("disable_ipv6", 0),
	Conf6DisablePolicy:                  c6("disable_policy", 0),
	Conf6DropUnicastInL2Multicast:       c6("drop_unicast_in_l2_multicast", 0),
	Conf6DropUnsolicitedNA:              c6("drop_unsolicited_na", 0),
	Conf6EnhancedDAD:                    c6("enhanced_dad", 1),
	Conf6ForceForwarding:                scoped(gbool("force_forwarding", 0), scopeConf6),
	Conf6ForceMLDVersion:                c6("force_mld_version", 0),
	Conf6ForceTllao:                     c6("force_tllao", 0),
	Conf6Forwarding:                     c6("forwarding", 0),
	Conf6HopLimit:                       scoped(gimm("hop_limit", 64, 1, 255), scopeConf6),
	Conf6IgnoreRoutesWithLinkdown:       c6("ignore_routes_with_linkdown", 0),
	Conf6Ioam6Enabled:                   scoped(gbool("ioam6_enabled", 0), scopeConf6),
	Conf6Ioam6ID:                        scoped(gui("ioam6_id", 65535, 0, 65535), scopeConf6),
	Conf6Ioam6IDWide:                    scoped(gui("ioam6_id_wide", uintMax, 0, uintMax), scopeConf6),
	Conf6KeepAddrOnDown:                 c6("keep_addr_on_down", 0),
	Conf6MaxAddresses:                   c6("max_addresses", 16),
	Conf6MaxDesyncFactor:                c6("max_desync_factor", 600),
	Conf6McForwarding:                   withFlags(c6("mc_forwarding", 0), fRO),
	Conf6MLDv1UnsolicitedReportInterval: scoped(gms("mldv1_unsolicited_report_interval", 10000), scopeConf6),
	Conf6MLDv2UnsolicitedReportInterval: scoped(gms("mldv2_unsolicited_report_interval", 1000), scopeConf6),
	// mtu: at most the device's MTU on a device (addrconf_sysctl_mtu).
	Conf6MTU:                           scoped(gimm("mtu", 1280, 1280, intMax), scopeConf6),
	Conf6NdiscEvictNocarrier:           scoped(gbool("ndisc_evict_nocarrier", 1), scopeConf6),
	Conf6NdiscNotify:                   c6("ndisc_notify", 0),
	Conf6NdiscTclass:                   scoped(gimm("ndisc_tclass", 0, 0, 255), scopeConf6),
	Conf6OptimisticDAD:                 c6("optimistic_dad", 0),
	Conf6ProxyNDP:                      c6("proxy_ndp", 0),
	Conf6RADefrtrMetric:                scoped(gui("ra_defrtr_metric", 1024, 1, uintMax), scopeConf6),
	Conf6RAHonorPIOLife:                scoped(gbool("ra_honor_pio_life", 0), scopeConf6),
	Conf6RAHonorPIOPflag:               scoped(gbool("ra_honor_pio_pflag", 0), scopeConf6),
	Conf6RegenMaxRetry:                 c6("regen_max_retry", 3),
	Conf6RegenMinAdvance:               c6("regen_min_advance", 2),
	Conf6RouterProbeInterval:           scoped(gjif("router_probe_interval", 60), scopeConf6),
	Conf6RouterSolicitationDelay:       scoped(gjif("router_solicitation_delay", 1), scopeConf6),
	Conf6RouterSolicitationInterval:    scoped(gjif("router_solicitation_interval", 4), scopeConf6),
	Conf6RouterSolicitationMaxInterval: scoped(gjif("router_solicitation_max_interval", 3600), scopeConf6),
	Conf6RouterSolicitations:           scoped(gimin("router_solicitations", -1, -1), scopeConf6),
	Conf6RplSegEnabled:                 scoped(gimm("rpl_seg_enabled", 0, 0, 1), scopeConf6),
	Conf6Seg6Enabled:                   c6("seg6_enabled", 0),
	Conf6Seg6RequireHmac:               c6("seg6_require_hmac", 0),
	Conf6SuppressFragNdisc:             c6("suppress_frag_ndisc", 1),
	Conf6TempPreferedLft:               c6("temp_prefered_lft", 86400),
	Conf6TempValidLft:                  c6("temp_valid_lft", 604800),
	Conf6UseOifAddrsOnly:               c6("use_oif_addrs_only", 0),
	Conf6UseOptimistic:                 c6("use_optimistic", 0),
	Conf6UseTempaddr:                   c6("use_tempaddr", 0),

	Neigh4AnycastDelay:        nUserHZ(scopeNeigh4, "anycast_delay", 100),
	Neigh4AppSolicit:          nPos(scopeNeigh4, "app_solicit", 0),
	Neigh4BaseReachableTimeMs: nMs(scopeNeigh4, "base_reachable_time_ms", 30000, 0),
	Neigh4DelayFirstProbeTime: nJif(scopeNeigh4, "delay_first_probe_time", 5),
	Neigh4GCStaleTime:         nJif(scopeNeigh4, "gc_stale_time", 60),
	Neigh4IntervalProbeTimeMs: nMs(scopeNeigh4, "interval_probe_time_ms", 5000, fPositive),
	Neigh4Locktime:            nUserHZ(scopeNeigh4, "locktime", 100),
	Neigh4McastResolicit:      nPos(scopeNeigh4, "mcast_resolicit", 0),
	Neigh4McastSolicit:        nPos(scopeNeigh4, "mcast_solicit", 3),
	Neigh4ProxyDelay:          nUserHZ(scopeNeigh4, "proxy_delay", 80),
	Neigh4ProxyQlen:           nPos(scopeNeigh4, "proxy_qlen", 64),
	Neigh4RetransTimeMs:       nMs(scopeNeigh4, "retrans_time_ms", 1000, 0),
	Neigh4UcastSolicit:        nPos(scopeNeigh4, "ucast_solicit", 3),
	Neigh4UnresQlen:           nUnres(scopeNeigh4, Neigh4UnresQlenBytes),
	Neigh4UnresQlenBytes:      nPos(scopeNeigh4, "unres_qlen_bytes", 212992),
	Neigh4BaseReachableTime:   withFlags(aliasOf(nJif(scopeNeigh4, "base_reachable_time", 30), Neigh4BaseReachableTimeMs), fHidden),
	Neigh4RetransTime:         withFlags(aliasOf(nUserHZ(scopeNeigh4, "retrans_time", 100), Neigh4RetransTimeMs), fHidden),
	Neigh4GCInterval:          withFlags(nJif(scopeNeigh4, "gc_interval", 30), fDefaultOnly),
	Neigh4GCThresh1:           withFlags(scoped(gi("gc_thresh1", 128), scopeNeigh4), fDefaultOnly),
	Neigh4GCThresh2:           withFlags(scoped(gi("gc_thresh2", 512), scopeNeigh4), fDefaultOnly),
	Neigh4GCThresh3:           withFlags(scoped(gi("gc_thresh3", 1024), scopeNeigh4), fDefaultOnly),

	Neigh6AnycastDelay:        nUserHZ(scopeNeigh6, "anycast_delay", 100),
	Neigh6AppSolicit:          nPos(scopeNeigh6, "app_solicit", 0),
	Neigh6BaseReachableTimeMs: nMs(scopeNeigh6, "base_reachable_time_ms", 30000, 0),
	Neigh6DelayFirstProbeTime: nJif(scopeNeigh6, "delay_first_probe_time", 5),
	Neigh6GCStaleTime:         nJif(scopeNeigh6, "gc_stale_time", 60),
	Neigh6IntervalProbeTimeMs: nMs(scopeNeigh6, "interval_probe_time_ms", 5000, fPositive),
	Neigh6Locktime:            nUserHZ(scopeNeigh6, "locktime", 0), // nd_tbl: locktime 0
	Neigh6McastResolicit:      nPos(scopeNeigh6, "mcast_resolicit", 0),
	Neigh6McastSolicit:        nPos(scopeNeigh6, "mcast_solicit", 3),
	Neigh6ProxyDelay:          nUserHZ(scopeNeigh6, "proxy_delay", 80),
	Neigh6ProxyQlen:           nPos(scopeNeigh6, "proxy_qlen", 64),
	Neigh6RetransTimeMs:       nMs(scopeNeigh6, "retrans_time_ms", 1000, 0),
	Neigh6UcastSolicit:        nPos(scopeNeigh6, "ucast_solicit", 3),
	Neigh6UnresQlen:           nUnres(scopeNeigh6, Neigh6UnresQlenBytes),
	Neigh6UnresQlenBytes:      nPos(scopeNeigh6, "unres_qlen_bytes", 212992),
	Neigh6BaseReachableTime:   withFlags(aliasOf(nJif(scopeNeigh6, "base_reachable_time", 30), Neigh6BaseReachableTimeMs), fHidden),
	Neigh6RetransTime:         withFlags(aliasOf(nUserHZ(scopeNeigh6, "retrans_time", 100), Neigh6RetransTimeMs), fHidden),
	Neigh6GCInterval:          withFlags(nJif(scopeNeigh6, "gc_interval", 30), fDefaultOnly),
	Neigh6GCThresh1:           withFlags(scoped(gi("gc_thresh1", 128), scopeNeigh6), fDefaultOnly),
	Neigh6GCThresh2:           withFlags(scoped(gi("gc_thresh2", 512), scopeNeigh6), fDefaultOnly),
	Neigh6GCThresh3:           withFlags(scoped(gi("gc_thresh3", 1024), scopeNeigh6), fDefaultOnly),
}

func c4(leaf string, def int64) spec { return scoped(gi(leaf, def), scopeConf4) }
func c6(leaf string, def int64) spec { return scoped(gi(leaf, def), scopeConf6) }
func nUserHZ(sc sysctlScope, leaf string, def int64) spec {
	return spec{name: leaf, scope: sc, h: hUserHZ, def: [3]int64{def}, unit: unitTicks}
}
func nPos(sc sysctlScope, leaf string, def int64) spec { return scoped(gimm(leaf, def, 0, intMax), sc) }
func nJif(sc sysctlScope, leaf string, def int64) spec { return scoped(gjif(leaf, def), sc) }
func nMs(sc sysctlScope, leaf string, def int64, f uint16) spec {
	return withFlags(scoped(gms(leaf, def), sc), f)
}
func nUnres(sc sysctlScope, bytes Key) spec {
	return aliasOf(spec{name: "unres_qlen", scope: sc, h: hUnresQlen, def: [3]int64{101}, min: 0, max: intMax / unresQlenTruesize, flags: fMin | fMax}, bytes)
}

// Congestion-control modules gosock has, in Linux's registration order
// (tcp_cong_list): reno is built in first, then cubic. bbr, the reference
// machines' default, is a host choice gosock does not implement.
var congestionAvailable = []string{"reno", "cubic"}

const defaultCongestion = "cubic"

// ---- Linux's proc handler arithmetic ----

// parseVector is the write loop of __do_proc_dointvec and its siblings:
// up to n values, each preceded by optional whitespace; conv stores value
// i and reports whether it was accepted. Parsing stops at the first bad
// value, keeping the ones stored before it; text after the nth value is
// ignored; input with no value at all is EINVAL.
func parseVector(in string, n int, conv func(i int, mag uint64, neg bool) bool) errno.Errno {
	if len(in) > procMaxWrite {
		in = in[:procMaxWrite]
	}
	p, first := in, true
	for i := 0; i < n && len(p) > 0; i++ {
		p = skipSpaces(p)
		if len(p) == 0 {
			break
		}
		mag, neg, rest, ok := procGetLong(p)
		if !ok || !conv(i, mag, neg) {
			return errno.EINVAL
		}
		p, first = rest, false
	}
	if first {
		return errno.EINVAL
	}
	return 0
}

// skipSpaces is proc_skip_spaces (the kernel's isspace set).
func skipSpaces(p string) string {
	return strings.TrimLeft(p, " \t\n\v\f\r")
}

// procGetLong is proc_get_long: an optional '-', a number in C notation
// read by strtoul_lenient, no longer than 20 characters (TMPBUFLEN-2, so
// a value cannot be cut in two by the kernel's buffer), followed by the
// end of input or a space, tab or newline.
func procGetLong(p string) (mag uint64, neg bool, rest string, ok bool) {
	const tmpbuflen = 22
	tmp := p
	if len(tmp) > tmpbuflen-1 {
		tmp = tmp[:tmpbuflen-1]
	}
	q := tmp
	if q[0] == '-' && len(p) > 1 {
		neg, q = true, q[1:]
	}
	if len(q) == 0 || q[0] < '0' || q[0] > '9' {
		return 0, false, "", false
	}
	mag, used, overflow := strtoulLenient(q)
	if overflow {
		return 0, false, "", false
	}
	l := len(tmp) - len(q) + used
	if l == tmpbuflen-1 {
		return 0, false, "", false
	}
	if l < len(p) && !strings.ContainsRune(" \t\n", rune(p[l])) {
		return 0, false, "", false
	}
	return mag, neg, p[l:], true
}

// strtoulLenient is the kernel's strtoul_lenient with base 0
// (_parse_integer_fixup_radix then _parse_integer): "0x" followed by a
// hex digit is hexadecimal, another leading 0 octal; digits stop at the
// first character that is not one in the base.
func strtoulLenient(q string) (val uint64, used int, overflow bool) {
	base := uint64(10)
	if q[0] == '0' {
		if len(q) > 2 && q[1]|0x20 == 'x' && isHex(q[2]) {
			base, used = 16, 2
		} else {
			base = 8
		}
	}
	for ; used < len(q); used++ {
		c := q[used]
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			d = uint64(c|0x20-'a') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if val>>60 != 0 && val > (math.MaxUint64-d)/base {
			overflow = true
		}
		val = val*base + d
	}
	return val, used, overflow
}

// convert turns one parsed value into the stored form of a key, applying
// the handler's conversion and bounds; false means EINVAL.
func convert(sp *spec, mag uint64, neg bool) (int64, bool) {
	switch sp.h {
	case hInt, hUnresQlen:
		var v int64
		if neg {
			if mag > 1<<31 {
				return 0, false
			}
			v = -int64(mag)
		} else {
			if mag > intMax {
				return 0, false
			}
			v = int64(mag)
		}
		if !inBounds(sp, v) {
			return 0, false
		}
		if sp.h == hUnresQlen {
			v *= unresQlenTruesize
		}
		return v, true
	case hUint, hU8:
		if neg || mag > uintMax {
			return 0, false
		}
		v := int64(mag)
		if sp.h == hU8 && v > 255 {
			return 0, false
		}
		return v, inBounds(sp, v)
	case hUlong:
		if neg || (sp.flags&fMin != 0 && mag < uint64(sp.min)) || (sp.flags&fMax != 0 && mag > uint64(sp.max)) {
			return 0, false
		}
		return int64(mag), true
	case hJiffies:
		if mag > intMax/hz {
			return 0, false
		}
		v := int64(mag) * hz
		if neg {
			v = -v
		}
		return v, true
	case hMsJiffies:
		x := mag
		if neg {
			x = -mag
		}
		m := uint32(x) // msecs_to_jiffies takes an unsigned int
		if int32(m) < 0 {
			return 0, false // MAX_JIFFY_OFFSET > INT_MAX
		}
		j := (uint64(m) + 1000/hz - 1) / (1000 / hz)
		if sp.flags&fPositive != 0 && j < 1 {
			return 0, false
		}
		return int64(j), true
	case hUserHZ:
		if mag > (math.MaxInt64/hz)*userHZ {
			return 0, false
		}
		x := mag
		if neg {
			x = -mag
		}
		return int64(int32(uint32(clockTToJiffies(x)))), true
	}
	return 0, false
}

func inBounds(sp *spec, v int64) bool {
	return (sp.flags&fMin == 0 || v >= sp.min) && (sp.flags&fMax == 0 || v <= sp.max)
}

// clockTToJiffies is the kernel's clock_t_to_jiffies for HZ=250,
// USER_HZ=100, 64-bit wrap-around included.
func clockTToJiffies(x uint64) uint64 {
	if x >= math.MaxUint64/hz*userHZ {
		return math.MaxUint64
	}
	return x * hz / userHZ
}

// jiffiesToClockT is jiffies_to_clock_t: x*TICK_NSEC/(NSEC_PER_SEC/USER_HZ).
func jiffiesToClockT(x uint64) uint64 { return x * (1e9 / hz) / (1e9 / userHZ) }

// signMag splits a stored int into the sign and magnitude the read side
// of the jiffies handlers prints (a negative zero prints as "-0").
func signMag(raw int64) (bool, uint64) {
	v := int32(raw)
	if v < 0 {
		return true, uint64(-int64(v))
	}
	return false, uint64(v)
}

// procMag converts a stored value's magnitude to /proc units.
func procMag(sp *spec, mag uint64) uint64 {
	switch sp.h {
	case hJiffies:
		return mag / hz
	case hMsJiffies:
		return uint64(uint32(mag * (1000 / hz))) // jiffies_to_msecs returns unsigned int
	case hUserHZ:
		return jiffiesToClockT(mag)
	}
	return mag
}

// userValue is a stored value in /proc units.
func userValue(sp *spec, raw int64) int64 {
	switch sp.h {
	case hJiffies, hMsJiffies, hUserHZ:
		neg, mag := signMag(raw)
		v := int64(procMag(sp, mag))
		if neg {
			return -v
		}
		return v
	case hUnresQlen:
		return raw / unresQlenTruesize
	}
	return raw
}

// formatRaw prints a stored scalar as its handler's read side does.
func formatRaw(sp *spec, raw int64) string {
	switch sp.h {
	case hUint, hU8, hUlong:
		return strconv.FormatUint(uint64(raw), 10)
	case hJiffies, hMsJiffies, hUserHZ:
		neg, mag := signMag(raw)
		s := strconv.FormatUint(procMag(sp, mag), 10)
		if neg {
			return "-" + s
		}
		return s
	}
	return strconv.FormatInt(userValue(sp, raw), 10)
}

// ---- writes: the side effects of Linux's proc handlers ----

func (s *Sysctls) write(r ref, in string) errno.Errno {
	sp := &specs[r.k]
	switch sp.h {
	case hCongestion:
		return s.writeCongestion(in)
	case hCongAllowed:
		return s.writeAllowed(in)
	case hFastopenKey:
		return s.writeFastopenKey(in)
	case hPortRange, hGIDRange:
		return s.writeRange(r.k, in)
	}
	if r.tab == nil {
		return s.writeGlobal(r.k, in)
	}
	return s.writeDev(r, in)
}

// writeGlobal writes a numeric global key, with the bounds that depend on
// other keys (tcp_reordering <= tcp_max_reordering, ipfrag low <= high,
// ip_unprivileged_port_start <= the local port range's start).
func (s *Sysctls) writeGlobal(k Key, in string) errno.Errno {
	sp := specs[k]
	switch k {
	case TCPReordering:
		sp.max = s.Int(TCPMaxReordering)
	case IPFragLowThresh, IP6FragLowThresh:
		sp.max, sp.flags = s.g[slotOf[k-1]].Load(), sp.flags|fMax
	case IPFragHighThresh, IP6FragHighThresh:
		sp.min, sp.flags = s.g[slotOf[k+1]].Load(), sp.flags|fMin
	}
	base := slotOf[k]
	return parseVector(in, max(int(sp.n), 1), func(i int, mag uint64, neg bool) bool {
		raw, ok := convert(&sp, mag, neg)
		if !ok {
			return false
		}
		if k == IPUnprivilegedPortStart {
			if lo, _ := unpackRange(s.g[slotOf[IPLocalPortRange]].Load()); raw > lo {
				return false
			}
		}
		s.g[base+i].Store(raw)
		return true
	})
}

// writeRange handles ip_local_port_range (ipv4_local_port_range) and
// ping_group_range (ipv4_ping_group_range): both parse into a copy, check
// the pair, and store it whole.
func (s *Sysctls) writeRange(k Key, in string) errno.Errno {
	sp := &specs[k]
	lo, hi := unpackRange(s.g[slotOf[k]].Load())
	v := [2]int64{lo, hi}
	h := hInt
	if sp.h == hGIDRange {
		h = hUlong
	}
	tmp := spec{h: h, min: sp.min, max: sp.max, flags: fMin | fMax}
	if e := parseVector(in, 2, func(i int, mag uint64, neg bool) bool {
		raw, ok := convert(&tmp, mag, neg)
		v[i] = raw
		return ok
	}); e != 0 {
		return e
	}
	if sp.h == hPortRange {
		if v[1] < v[0] || v[0] < s.Int(IPUnprivilegedPortStart) {
			return errno.EINVAL
		}
	} else if v[1] < v[0] {
		v = [2]int64{1, 0} // an empty range: no group may ping
	}
	s.g[slotOf[k]].Store(packRange(v[0], v[1]))
	return 0
}

// writeDev writes a per-device key, with the side effects of Linux's
// handlers: devinet_conf_proc marks the slot explicitly set and copies a
// "default" write to devices that were not set explicitly (so does
// neigh_proc_update; both mark the slot even when the write fails);
// forwarding of "all" (and ip_forward) is pushed to "default" and every
// device and turns all.accept_redirects off (inet_forward_change); IPv6
// "all" forwarding, disable_ipv6, ignore_routes_with_linkdown and
// addr_gen_mode go to "default" and every device, force_forwarding to
// every device (addrconf_fixup_forwarding and friends).
func (s *Sysctls) writeDev(r ref, in string) errno.Errno {
	sp := specs[r.k]
	t, slot := r.tab, slotOf[r.k]
	if r.k == Conf6MTU && t.mtu > 0 {
		sp.max = t.mtu
	}
	old := t.vals[slot].Load()
	var newv int64
	e := parseVector(in, 1, func(_ int, mag uint64, neg bool) bool {
		raw, ok := convert(&sp, mag, neg)
		if ok && r.k == Conf6AddrGenMode && r.dev != s.all && r.dev != s.dflt && raw == 2 && !r.dev.stableSecret {
			ok = false // IN6_ADDR_GEN_MODE_STABLE_PRIVACY needs a stable_secret (check_stable_privacy)
		}
		newv = raw
		return ok
	})
	isDflt, isAll := r.dev == s.dflt, r.dev == s.all
	switch sp.scope {
	case scopeConf4:
		if sp.flags&fNoState == 0 {
			t.set[slot] = true
			if e == 0 {
				t.vals[slot].Store(newv)
			}
			if isDflt {
				s.copyDefault(sp.scope, slot)
			}
			return e
		}
	case scopeNeigh4, scopeNeigh6:
		t.set[slot] = true
		if e == 0 {
			t.vals[slot].Store(newv)
		}
		if isDflt {
			s.copyDefault(sp.scope, slot)
		}
		return e
	}
	if e != 0 {
		return e
	}
	t.vals[slot].Store(newv)
	if r.k == Conf6AddrGenMode && newv != old && !isAll && !isDflt {
		r.dev.genModeChanged()
	}
	if !isAll || newv == old {
		return 0
	}
	devs := *s.devs.Load()
	switch r.k {
	case Conf4Forwarding:
		s.all.conf4.vals[slotOf[Conf4AcceptRedirects]].Store(b2i(newv == 0))
		s.dflt.conf4.vals[slot].Store(newv)
		for _, d := range devs {
			d.conf4.vals[slot].Store(newv)
		}
	case Conf6Forwarding, Conf6DisableIPv6, Conf6IgnoreRoutesWithLinkdown, Conf6AddrGenMode, Conf6ForceForwarding:
		if r.k != Conf6ForceForwarding {
			s.dflt.conf6.vals[slot].Store(newv)
		}
		for _, d := range devs {
			if d.conf6 != nil {
				changed := d.conf6.vals[slot].Swap(newv) != newv
				if r.k == Conf6AddrGenMode && changed {
					d.genModeChanged()
				}
			}
		}
	}
	return 0
}

// genModeChanged follows addrconf_init_auto_addrs after a device's
// addr_gen_mode changed: in mode 3 (random) a non-loopback device with
// IPv6 on gets a stable secret.
func (d *DeviceSysctls) genModeChanged() {
	if !d.loopback && d.conf6.vals[slotOf[Conf6AddrGenMode]].Load() == 3 && d.conf6.vals[slotOf[Conf6DisableIPv6]].Load() == 0 {
		d.stableSecret = true
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// copyDefault copies a "default" slot to every device that has not set
// it (devinet_copy_dflt_conf, neigh_copy_dflt_parms).
func (s *Sysctls) copyDefault(sc sysctlScope, slot int) {
	var dt *devTable
	switch sc {
	case scopeConf4:
		dt = s.dflt.conf4
	case scopeNeigh4:
		dt = s.dflt.neigh4
	case scopeNeigh6:
		dt = s.dflt.neigh6
	}
	v := dt.vals[slot].Load()
	for _, d := range *s.devs.Load() {
		var t *devTable
		switch sc {
		case scopeConf4:
			t = d.conf4
		case scopeNeigh4:
			t = d.neigh4
		case scopeNeigh6:
			t = d.neigh6
		}
		if t != nil && !t.set[slot] {
			t.vals[slot].Store(v)
		}
	}
}

// writeCongestion mirrors proc_tcp_congestion_control: proc_dostring
// keeps the text up to the first newline, at most TCP_CA_NAME_MAX-1
// bytes, with no trimming; an unknown name is ENOENT. Setting the default
// also marks it allowed, as in init_net.
func (s *Sysctls) writeCongestion(in string) errno.Errno {
	name := procString(in, 16)
	if !CongestionAvailable(name) {
		return errno.ENOENT
	}
	s.congestion.Store(&name)
	if al := *s.allowed.Load(); !slices.Contains(al, name) {
		n := append(slices.Clone(al), name)
		s.allowed.Store(&n)
	}
	return 0
}

// writeAllowed mirrors tcp_set_allowed_congestion_control: names
// separated by single spaces (an empty token ends the list), all must be
// available (else ENOENT and no change), and they replace the list.
func (s *Sysctls) writeAllowed(in string) errno.Errno {
	val := procString(in, 16*128)
	var names []string
	for tok := range strings.SplitSeq(val, " ") {
		if tok == "" {
			break
		}
		if !CongestionAvailable(tok) {
			return errno.ENOENT
		}
		names = append(names, tok)
	}
	s.allowed.Store(&names)
	return 0
}

// writeFastopenKey mirrors proc_tcp_fastopen_key: a primary and an
// optional backup key after a comma, each "%x-%x-%x-%x" (sscanf: more
// text after the fourth word is ignored; each word keeps its low 32 bits).
func (s *Sysctls) writeFastopenKey(in string) errno.Errno {
	val := procString(in, 74)
	primary, backup, hasBackup := strings.Cut(val, ",")
	var keys []string
	for i, part := range []string{primary, backup} {
		if i == 1 && !hasBackup {
			break
		}
		w, ok := scanKey(part)
		if !ok {
			return errno.EINVAL
		}
		keys = append(keys, w)
	}
	out := strings.Join(keys, ",")
	s.tfoKey.Store(&out)
	return 0
}

func scanKey(s string) (string, bool) {
	var words [4]string
	for i := range 4 {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			s = s[2:]
		}
		j := 0
		var v uint64
		for j < len(s) && isHex(s[j]) {
			v = v<<4 | uint64(unhex(s[j]))
			j++
		}
		if j == 0 {
			return "", false
		}
		w := strconv.FormatUint(v&0xffffffff, 16)
		words[i] = strings.Repeat("0", 8-len(w)) + w
		s = s[j:]
		if i < 3 {
			if !strings.HasPrefix(s, "-") {
				return "", false
			}
			s = s[1:]
		}
	}
	return strings.Join(words[:], "-"), true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// procString is _proc_do_string's write: the text up to the first
// newline or NUL, truncated to maxlen-1 bytes.
func procString(in string, maxlen int) string {
	if i := strings.IndexAny(in, "\n\x00"); i >= 0 {
		in = in[:i]
	}
	if len(in) > maxlen-1 {
		in = in[:maxlen-1]
	}
	return in
}
