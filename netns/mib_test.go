package netns

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The reference kernel's files for a fresh namespace (Linux 6.18): the
// byte-exact spec of a fresh MIB's writers.
const kernelSNMP = `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 0 0 0 0 0 0 0 0 0 0 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 0 0 0 0 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`

const kernelNetstat = `TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps
TcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps
IpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX MPCapableACKRX MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableSYNTXDrop MPCapableSYNTXDisabled MPCapableEndpAttempt MPFallbackTokenInit MPTCPRetrans MPJoinNoTokenFound MPJoinSynRx MPJoinSynBackupRx MPJoinSynAckRx MPJoinSynAckBackupRx MPJoinSynAckHMacFailure MPJoinAckRx MPJoinAckHMacFailure MPJoinRejected MPJoinSynTx MPJoinSynTxCreatSkErr MPJoinSynTxBindErr MPJoinSynTxConnectErr DSSNotMatching DSSCorruptionFallback DSSCorruptionReset InfiniteMapTx InfiniteMapRx DSSNoMatchTCP DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow DuplicateData AddAddr AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx EchoAddTxDrop PortAdd AddAddrDrop MPJoinPortSynRx MPJoinPortSynAckRx MPJoinPortAckRx MismatchPortSynRx MismatchPortAckRx RmAddr RmAddrDrop RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx MPPrioRx MPFailTx MPFailRx MPFastcloseTx MPFastcloseRx MPRstTx MPRstRx SubflowStale SubflowRecover SndWndShared RcvWndShared RcvWndConflictUpdate RcvWndConflict MPCurrEstab Blackhole MPCapableDataFallback MD5SigFallback DssFallback SimultConnectFallback FallbackFailed WinProbe
MPTcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
`

const kernelSNMP6 = `Ip6InReceives                   	0
Ip6InHdrErrors                  	0
Ip6InTooBigErrors               	0
Ip6InNoRoutes                   	0
Ip6InAddrErrors                 	0
Ip6InUnknownProtos              	0
Ip6InTruncatedPkts              	0
Ip6InDiscards                   	0
Ip6InDelivers                   	0
Ip6OutForwDatagrams             	0
Ip6OutRequests                  	0
Ip6OutDiscards                  	0
Ip6OutNoRoutes                  	0
Ip6ReasmTimeout                 	0
Ip6ReasmReqds                   	0
Ip6ReasmOKs                     	0
Ip6ReasmFails                   	0
Ip6FragOKs                      	0
Ip6FragFails                    	0
Ip6FragCreates                  	0
Ip6InMcastPkts                  	0
Ip6OutMcastPkts                 	0
Ip6InOctets                     	0
Ip6OutOctets                    	0
Ip6InMcastOctets                	0
Ip6OutMcastOctets               	0
Ip6InBcastOctets                	0
Ip6OutBcastOctets               	0
Ip6InNoECTPkts                  	0
Ip6InECT1Pkts                   	0
Ip6InECT0Pkts                   	0
Ip6InCEPkts                     	0
Ip6OutTransmits                 	0
Icmp6InMsgs                     	0
Icmp6InErrors                   	0
Icmp6OutMsgs                    	0
Icmp6OutErrors                  	0
Icmp6InCsumErrors               	0
Icmp6OutRateLimitHost           	0
Icmp6InDestUnreachs             	0
Icmp6InPktTooBigs               	0
Icmp6InTimeExcds                	0
Icmp6InParmProblems             	0
Icmp6InEchos                    	0
Icmp6InEchoReplies              	0
Icmp6InGroupMembQueries         	0
Icmp6InGroupMembResponses       	0
Icmp6InGroupMembReductions      	0
Icmp6InRouterSolicits           	0
Icmp6InRouterAdvertisements     	0
Icmp6InNeighborSolicits         	0
Icmp6InNeighborAdvertisements   	0
Icmp6InRedirects                	0
Icmp6InMLDv2Reports             	0
Icmp6OutDestUnreachs            	0
Icmp6OutPktTooBigs              	0
Icmp6OutTimeExcds               	0
Icmp6OutParmProblems            	0
Icmp6OutEchos                   	0
Icmp6OutEchoReplies             	0
Icmp6OutGroupMembQueries        	0
Icmp6OutGroupMembResponses      	0
Icmp6OutGroupMembReductions     	0
Icmp6OutRouterSolicits          	0
Icmp6OutRouterAdvertisements    	0
Icmp6OutNeighborSolicits        	0
Icmp6OutNeighborAdvertisements  	0
Icmp6OutRedirects               	0
Icmp6OutMLDv2Reports            	0
Udp6InDatagrams                 	0
Udp6NoPorts                     	0
Udp6InErrors                    	0
Udp6OutDatagrams                	0
Udp6RcvbufErrors                	0
Udp6SndbufErrors                	0
Udp6InCsumErrors                	0
Udp6IgnoredMulti                	0
Udp6MemErrors                   	0
UdpLite6InDatagrams             	0
UdpLite6NoPorts                 	0
UdpLite6InErrors                	0
UdpLite6OutDatagrams            	0
UdpLite6RcvbufErrors            	0
UdpLite6SndbufErrors            	0
UdpLite6InCsumErrors            	0
UdpLite6MemErrors               	0
`

// parseProc reads the written formats back into name -> value with the
// names nstat uses: "Sec: names" / "Sec: values" pairs (snmp, netstat)
// and "name<spaces>\tvalue" lines (snmp6).
func parseProc(t *testing.T, text string) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if f := strings.Fields(lines[i]); len(f) == 2 && !strings.HasSuffix(f[0], ":") {
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("line %q: %v", lines[i], err)
			}
			m[f[0]] = v
			continue
		}
		if i+1 >= len(lines) {
			t.Fatalf("header without values: %q", lines[i])
		}
		names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) != len(vals) || names[0] != vals[0] {
			t.Fatalf("mismatched lines %q / %q", lines[i], lines[i+1])
		}
		sec := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			v, err := strconv.ParseInt(vals[j], 10, 64)
			if err != nil {
				v2, err2 := strconv.ParseUint(vals[j], 10, 64)
				if err2 != nil {
					t.Fatalf("value %q: %v", vals[j], err)
				}
				v = int64(v2)
			}
			m[sec+names[j]] = v
		}
		i++
	}
	return m
}

func written(t *testing.T, f func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestMIBFreshLayout(t *testing.T) {
	m := NewMIB()
	for _, c := range []struct {
		name, got, want string
	}{
		{"snmp", written(t, func(b *bytes.Buffer) error { return m.WriteSNMP(b) }), kernelSNMP},
		{"netstat", written(t, func(b *bytes.Buffer) error { return m.WriteNetstat(b) }), kernelNetstat},
		{"snmp6", written(t, func(b *bytes.Buffer) error { return m.WriteSNMP6(b) }), kernelSNMP6},
	} {
		if c.got != c.want {
			t.Errorf("%s differs from the kernel's:\n got: %q\nwant: %q", c.name, c.got, c.want)
		}
	}
}

// TestMIBHostLayout compares a fresh MIB's files with a fresh namespace's
// on the host, byte for byte.
func TestMIBHostLayout(t *testing.T) {
	requireRoot(t)
	ns := hostNetns(t, "mib")
	m := NewMIB()
	for file, f := range map[string]func(*bytes.Buffer) error{
		"/proc/net/snmp":    func(b *bytes.Buffer) error { return m.WriteSNMP(b) },
		"/proc/net/netstat": func(b *bytes.Buffer) error { return m.WriteNetstat(b) },
		"/proc/net/snmp6":   func(b *bytes.Buffer) error { return m.WriteSNMP6(b) },
	} {
		out, err := exec.Command("ip", "netns", "exec", ns, "cat", file).Output()
		if err != nil {
			t.Fatalf("cat %s: %v", file, err)
		}
		if got := written(t, f); got != string(out) {
			hostNames, gotNames := parseProc(t, string(out)), parseProc(t, got)
			for n := range hostNames {
				if _, ok := gotNames[n]; !ok {
					t.Errorf("%s: gosock lacks %s", file, n)
				}
			}
			for n := range gotNames {
				if _, ok := hostNames[n]; !ok {
					t.Errorf("%s: host lacks %s", file, n)
				}
			}
			t.Errorf("%s differs from the host's", file)
		}
	}
}

func TestMIBIncrements(t *testing.T) {
	m := NewMIB()
	m.Inc(IPInReceives)
	m.Add(IPExtInOctets, 1500)
	m.Inc(TCPActiveOpens)
	m.Inc(TCPCurrEstab)
	m.Inc(TCPCurrEstab)
	m.Dec(TCPCurrEstab)
	m.Add(TCPExtTCPSackRecovery, 3)
	m.Inc(TCPExtSyncookiesSent)
	m.Inc(TCPExtTCPAODroppedIcmps)
	m.Inc(UDPNoPorts)
	m.Inc(UDPLiteMemErrors)
	m.Inc(IP6InReceives)
	m.Inc(IP6OutTransmits)
	m.Inc(UDP6IgnoredMulti)
	m.Inc(UDPLite6MemErrors)
	m.Inc(ICMP6OutRateLimitHost)
	m.Inc(MPTCPExtWinProbe)
	m.Inc(ICMPInMsgs)
	m.ICMPMsg(false, 8)
	m.ICMPMsg(true, 0)
	m.ICMPMsg(true, 0)
	m.ICMP6Msg(false, 135)
	m.ICMP6Msg(true, 200)
	m.Inc(IPExtInNoRoutes)
	snmp := parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteSNMP(b) }))
	netstat := parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteNetstat(b) }))
	snmp6 := parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteSNMP6(b) }))
	want := map[string]int64{
		"IpInReceives": 1, "IpForwarding": 2, "IpDefaultTTL": 64, "TcpActiveOpens": 1, "TcpCurrEstab": 1,
		"TcpMaxConn": -1, "TcpRtoMin": 200, "TcpRtoMax": 120000, "TcpRtoAlgorithm": 1, "UdpNoPorts": 1,
		"UdpLiteMemErrors": 1, "IcmpInMsgs": 1, "IcmpInEchos": 1, "IcmpOutEchoReps": 2, "IcmpInEchoReps": 0,
		"IcmpMsgInType8": 1, "IcmpMsgOutType0": 2, "IpInDelivers": 0,
	}
	for n, v := range want {
		if got, ok := snmp[n]; !ok || got != v {
			t.Errorf("snmp %s = %d (%v), want %d", n, got, ok, v)
		}
	}
	for n, v := range map[string]int64{"TcpExtTCPSackRecovery": 3, "TcpExtSyncookiesSent": 1, "TcpExtTCPAODroppedIcmps": 1,
		"IpExtInOctets": 1500, "IpExtInNoRoutes": 1, "MPTcpExtWinProbe": 1, "TcpExtTW": 0} {
		if got, ok := netstat[n]; !ok || got != v {
			t.Errorf("netstat %s = %d (%v), want %d", n, got, ok, v)
		}
	}
	for n, v := range map[string]int64{"Ip6InReceives": 1, "Ip6OutTransmits": 1, "Udp6IgnoredMulti": 1, "UdpLite6MemErrors": 1,
		"Icmp6OutRateLimitHost": 1, "Icmp6InNeighborSolicits": 1, "Icmp6InType135": 1, "Icmp6OutType200": 1, "Icmp6InEchos": 0} {
		if got, ok := snmp6[n]; !ok || got != v {
			t.Errorf("snmp6 %s = %d (%v), want %d", n, got, ok, v)
		}
	}
	if _, ok := snmp6["Icmp6OutType135"]; ok {
		t.Error("zero per-type ICMPv6 counter printed")
	}
	// Every counter lands in exactly its own column.
	for c := range numCounters {
		m := NewMIB()
		m.Add(c, 7)
		all := parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteSNMP(b) }))
		for k, v := range parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteNetstat(b) })) {
			all[k] = v
		}
		for k, v := range parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteSNMP6(b) })) {
			all[k] = v
		}
		base := map[string]int64{"IpForwarding": 2, "IpDefaultTTL": 64, "TcpRtoAlgorithm": 1, "TcpRtoMin": 200, "TcpRtoMax": 120000, "TcpMaxConn": -1}
		for k, v := range all {
			want := base[k]
			if k == c.String() {
				want += 7
			}
			if v != want {
				t.Errorf("after Add(%s, 7): %s = %d, want %d", c, k, v, want)
			}
		}
		if _, ok := all[c.String()]; !ok {
			t.Errorf("%s not printed", c)
		}
	}
}

func TestMIBIcmpMsgLines(t *testing.T) {
	m := NewMIB()
	for typ := range 20 {
		m.ICMPMsg(false, uint8(typ))
	}
	m.ICMPMsg(true, 3)
	out := written(t, func(b *bytes.Buffer) error { return m.WriteSNMP(b) })
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "IcmpMsg:") {
			lines = append(lines, l)
		}
	}
	// 21 types: a pair of lines with 16, then a pair with 5 (icmpmsg_put's PERLINE).
	if len(lines) != 4 || len(strings.Fields(lines[0])) != 17 || len(strings.Fields(lines[2])) != 6 ||
		!strings.HasSuffix(lines[2], " OutType3") || !strings.HasPrefix(lines[0], "IcmpMsg: InType0 InType1 ") {
		t.Errorf("IcmpMsg lines: %q", lines)
	}
	if !strings.Contains(out, "\nIcmpMsg: InType0") || !strings.Contains(out, "\nTcp: RtoAlgorithm") {
		t.Error("IcmpMsg not between Icmp and Tcp")
	}
	parseProc(t, out)
}

func TestMIBGauges(t *testing.T) {
	m, s := NewMIB(), NewSysctls()
	m.BindSysctls(s)
	if m.Get(IPForwardingGauge) != 2 || m.Get(IPDefaultTTLGauge) != 64 {
		t.Fatal("bound gauges wrong")
	}
	s.Set("net.ipv4.ip_forward", "1")
	s.Set("net.ipv4.ip_default_ttl", "99")
	got := parseProc(t, written(t, func(b *bytes.Buffer) error { return m.WriteSNMP(b) }))
	if got["IpForwarding"] != 1 || got["IpDefaultTTL"] != 99 {
		t.Errorf("gauges %d %d", got["IpForwarding"], got["IpDefaultTTL"])
	}
	m.SetGaugeFunc(TCPCurrEstab, func() int64 { return 5 })
	if m.Get(TCPCurrEstab) != 5 {
		t.Error("gauge func ignored")
	}
	m.SetGaugeFunc(TCPCurrEstab, nil)
	m.Set(TCPCurrEstab, 3)
	if m.Get(TCPCurrEstab) != 3 {
		t.Error("Set ignored")
	}
}

func TestMIBEach(t *testing.T) {
	m := NewMIB()
	m.Inc(IPInReceives)
	m.Inc(TCPCurrEstab)
	m.Inc(TCPExtTCPSackRecovery)
	m.Inc(IP6InReceives)
	m.Inc(ICMPOutMsgs)
	m.ICMPMsg(true, 8)
	m.ICMP6Msg(false, 128)
	var got []string
	m.Each(func(name string, v uint64) { got = append(got, fmt.Sprintf("%s=%d", name, v)) })
	want := []string{"IpInReceives=1", "IcmpOutMsgs=1", "IcmpOutEchos=1", "IcmpMsgOutType8=1", "Ip6InReceives=1",
		"Icmp6InEchos=1", "Icmp6InType128=1", "TcpExtTCPSackRecovery=1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Each = %v\nwant %v", got, want)
	}
	if IPInReceives.String() != "IpInReceives" || TCPExtTCPSackRecovery.String() != "TcpExtTCPSackRecovery" ||
		IP6InReceives.String() != "Ip6InReceives" || UDPLite6InDatagrams.String() != "UdpLite6InDatagrams" ||
		MPTCPExtMPCapableSYNRX.String() != "MPTcpExtMPCapableSYNRX" {
		t.Error("Counter.String names wrong")
	}
}

func TestDropReasons(t *testing.T) {
	m := NewMIB()
	m.Drop(DropNoSocket)
	m.Drop(DropNoSocket)
	m.Drop(DropTCPCsum)
	m.Drop(DropReason(999))
	var got []string
	m.Drops(func(r DropReason, n uint64) { got = append(got, fmt.Sprintf("%v=%d", r, n)) })
	if strings.Join(got, " ") != "NOT_SPECIFIED=1 NO_SOCKET=2 TCP_CSUM=1" {
		t.Errorf("Drops = %v", got)
	}
	if m.DropCount(DropNoSocket) != 2 || m.DropCount(DropReason(999)) != 0 {
		t.Error("DropCount wrong")
	}
	// Linux 6.18's numbering (the skb:kfree_skb tracepoint's table).
	for r, name := range map[DropReason]string{DropNotSpecified: "NOT_SPECIFIED", DropNoSocket: "NO_SOCKET",
		DropTCPCsum: "TCP_CSUM", DropIPRPFilter: "IP_RPFILTER", DropTCPRFC7323PAWS: "TCP_RFC7323_PAWS",
		DropNeighQueueFull: "NEIGH_QUEUEFULL", DropIPv6NdiscNSOtherHost: "IPV6_NDISC_NS_OTHERHOST",
		DropTCReclassifyLoop: "TC_RECLASSIFY_LOOP", DropRecursionLimit: "RECURSION_LIMIT"} {
		if r.String() != name {
			t.Errorf("%d.String() = %s, want %s", r, r, name)
		}
	}
	if DropNotSpecified != 2 || DropNoSocket != 3 || DropTCPCsum != 10 || DropIPv6Disabled != 56 || DropReasonMax != 128 {
		t.Error("drop reason numbers differ from Linux 6.18")
	}
	if DropReasonMax.String() != "DropReason(128)" {
		t.Error(DropReasonMax.String())
	}
	for r := range DropReasonMax {
		if dropNames[r] == "" {
			t.Errorf("reason %d unnamed", r)
		}
	}
}

// TestDropReasonsHost compares the table with the running kernel's, from
// the skb:kfree_skb tracepoint format (root, tracefs mounted).
func TestDropReasonsHost(t *testing.T) {
	const format = "/sys/kernel/tracing/events/skb/kfree_skb/format"
	b, err := os.ReadFile(format)
	if err != nil && os.Geteuid() == 0 {
		// Mount tracefs for the test, and take it away again.
		if out, merr := exec.Command("mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing").CombinedOutput(); merr == nil {
			t.Cleanup(func() { _ = exec.Command("umount", "/sys/kernel/tracing").Run() })
			b, err = os.ReadFile(format)
		} else {
			t.Logf("mount tracefs: %v: %s", merr, out)
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no tracefs (needed under CI=true): %v", err)
		}
		t.Skipf("no tracefs (run as root): %v", err)
	}
	re := regexp.MustCompile(`\{ (\d+), "([A-Z0-9_]+)" \}`)
	n := 0
	for _, mm := range re.FindAllStringSubmatch(string(b), -1) {
		num, _ := strconv.Atoi(mm[1])
		if mm[2] == "MAX" {
			if num != int(DropReasonMax) {
				t.Errorf("kernel MAX %d, gosock %d", num, DropReasonMax)
			}
			continue
		}
		n++
		if DropReason(num).String() != mm[2] {
			t.Errorf("reason %d: kernel %s, gosock %s", num, mm[2], DropReason(num))
		}
	}
	t.Logf("%d reasons compared", n)
}

func TestMIBConcurrent(t *testing.T) {
	m := NewMIB()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10000 {
				m.Inc(TCPInSegs)
				m.Add(IPExtInOctets, 2)
				m.ICMPMsg(false, 8)
				m.Drop(DropNoSocket)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			var b bytes.Buffer
			m.WriteSNMP(&b)
			m.WriteNetstat(&b)
			m.WriteSNMP6(&b)
			m.Each(func(string, uint64) {})
		}
	}()
	wg.Wait()
	if m.Get(TCPInSegs) != 80000 || m.Get(IPExtInOctets) != 160000 || m.ICMPMsgCount(false, 8) != 80000 || m.DropCount(DropNoSocket) != 80000 {
		t.Error("lost increments")
	}
}

func TestMIBIncAllocs(t *testing.T) {
	m := NewMIB()
	if n := testing.AllocsPerRun(1000, func() { m.Inc(TCPInSegs); m.Drop(DropTCPCsum); m.ICMPMsg(true, 3) }); n != 0 {
		t.Errorf("%v allocations per increment", n)
	}
}

func BenchmarkMIBInc(b *testing.B) {
	m := NewMIB()
	b.ReportAllocs()
	for b.Loop() {
		m.Inc(TCPInSegs)
	}
}

func BenchmarkMIBIncParallel(b *testing.B) {
	m := NewMIB()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Inc(TCPInSegs)
		}
	})
}

func ExampleMIB_WriteSNMP() {
	m := NewMIB()
	m.Inc(IPInReceives)
	m.Inc(IPInDelivers)
	m.Inc(UDPNoPorts)
	m.ICMPMsg(true, 3) // a port unreachable sent
	m.Inc(ICMPOutMsgs)
	var b bytes.Buffer
	m.WriteSNMP(&b)
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "IcmpMsg:") || strings.HasPrefix(l, "Udp:") {
			fmt.Println(l)
		}
	}
	// Output:
	// IcmpMsg: OutType3
	// IcmpMsg: 1
	// Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
	// Udp: 0 1 0 0 0 0 0 0 0
}
