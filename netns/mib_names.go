package netns

// Counter names of Linux 6.18, in the order its /proc files print them
// (read from the reference kernel's /proc/net/snmp, netstat and snmp6).

// Counters. Each section keeps Linux's order; the constant is the
// section's prefix (IP, ICMP, TCP, UDP, UDPLite, TCPExt, IPExt, MPTCPExt,
// IP6, ICMP6, UDP6, UDPLite6) followed by the field name as Linux prints it.
const (
	// /proc/net/snmp "Ip:" (ipv4 IPSTATS_MIB_*, snmp4_ipstats_list)
	IPForwardingGauge Counter = iota
	IPDefaultTTLGauge
	IPInReceives
	IPInHdrErrors
	IPInAddrErrors
	IPForwDatagrams
	IPInUnknownProtos
	IPInDiscards
	IPInDelivers
	IPOutRequests
	IPOutDiscards
	IPOutNoRoutes
	IPReasmTimeout
	IPReasmReqds
	IPReasmOKs
	IPReasmFails
	IPFragOKs
	IPFragFails
	IPFragCreates
	IPOutTransmits

	// /proc/net/snmp "Icmp:" (ICMP_MIB_*; the per-type columns come from IcmpMsg)
	ICMPInMsgs
	ICMPInErrors
	ICMPInCsumErrors
	ICMPOutMsgs
	ICMPOutErrors
	ICMPOutRateLimitGlobal
	ICMPOutRateLimitHost

	// /proc/net/snmp "Tcp:" (TCP_MIB_*, snmp4_tcp_list)
	TCPRtoAlgorithm
	TCPRtoMin
	TCPRtoMax
	TCPMaxConn
	TCPActiveOpens
	TCPPassiveOpens
	TCPAttemptFails
	TCPEstabResets
	TCPCurrEstab
	TCPInSegs
	TCPOutSegs
	TCPRetransSegs
	TCPInErrs
	TCPOutRsts
	TCPInCsumErrors

	// /proc/net/snmp "Udp:" (UDP_MIB_*, snmp4_udp_list)
	UDPInDatagrams
	UDPNoPorts
	UDPInErrors
	UDPOutDatagrams
	UDPRcvbufErrors
	UDPSndbufErrors
	UDPInCsumErrors
	UDPIgnoredMulti
	UDPMemErrors

	// /proc/net/snmp "UdpLite:"
	UDPLiteInDatagrams
	UDPLiteNoPorts
	UDPLiteInErrors
	UDPLiteOutDatagrams
	UDPLiteRcvbufErrors
	UDPLiteSndbufErrors
	UDPLiteInCsumErrors
	UDPLiteIgnoredMulti
	UDPLiteMemErrors

	// /proc/net/netstat "TcpExt:" (LINUX_MIB_*, snmp4_net_list)
	TCPExtSyncookiesSent
	TCPExtSyncookiesRecv
	TCPExtSyncookiesFailed
	TCPExtEmbryonicRsts
	TCPExtPruneCalled
	TCPExtRcvPruned
	TCPExtOfoPruned
	TCPExtOutOfWindowIcmps
	TCPExtLockDroppedIcmps
	TCPExtArpFilter
	TCPExtTW
	TCPExtTWRecycled
	TCPExtTWKilled
	TCPExtPAWSActive
	TCPExtPAWSEstab
	TCPExtBeyondWindow
	TCPExtTSEcrRejected
	TCPExtPAWSOldAck
	TCPExtPAWSTimewait
	TCPExtDelayedACKs
	TCPExtDelayedACKLocked
	TCPExtDelayedACKLost
	TCPExtListenOverflows
	TCPExtListenDrops
	TCPExtTCPHPHits
	TCPExtTCPPureAcks
	TCPExtTCPHPAcks
	TCPExtTCPRenoRecovery
	TCPExtTCPSackRecovery
	TCPExtTCPSACKReneging
	TCPExtTCPSACKReorder
	TCPExtTCPRenoReorder
	TCPExtTCPTSReorder
	TCPExtTCPFullUndo
	TCPExtTCPPartialUndo
	TCPExtTCPDSACKUndo
	TCPExtTCPLossUndo
	TCPExtTCPLostRetransmit
	TCPExtTCPRenoFailures
	TCPExtTCPSackFailures
	TCPExtTCPLossFailures
	TCPExtTCPFastRetrans
	TCPExtTCPSlowStartRetrans
	TCPExtTCPTimeouts
	TCPExtTCPLossProbes
	TCPExtTCPLossProbeRecovery
	TCPExtTCPRenoRecoveryFail
	TCPExtTCPSackRecoveryFail
	TCPExtTCPRcvCollapsed
	TCPExtTCPBacklogCoalesce
	TCPExtTCPDSACKOldSent
	TCPExtTCPDSACKOfoSent
	TCPExtTCPDSACKRecv
	TCPExtTCPDSACKOfoRecv
	TCPExtTCPAbortOnData
	TCPExtTCPAbortOnClose
	TCPExtTCPAbortOnMemory
	TCPExtTCPAbortOnTimeout
	TCPExtTCPAbortOnLinger
	TCPExtTCPAbortFailed
	TCPExtTCPMemoryPressures
	TCPExtTCPMemoryPressuresChrono
	TCPExtTCPSACKDiscard
	TCPExtTCPDSACKIgnoredOld
	TCPExtTCPDSACKIgnoredNoUndo
	TCPExtTCPSpuriousRTOs
	TCPExtTCPMD5NotFound
	TCPExtTCPMD5Unexpected
	TCPExtTCPMD5Failure
	TCPExtTCPSackShifted
	TCPExtTCPSackMerged
	TCPExtTCPSackShiftFallback
	TCPExtTCPBacklogDrop
	TCPExtPFMemallocDrop
	TCPExtTCPMinTTLDrop
	TCPExtTCPDeferAcceptDrop
	TCPExtIPReversePathFilter
	TCPExtTCPTimeWaitOverflow
	TCPExtTCPReqQFullDoCookies
	TCPExtTCPReqQFullDrop
	TCPExtTCPRetransFail
	TCPExtTCPRcvCoalesce
	TCPExtTCPOFOQueue
	TCPExtTCPOFODrop
	TCPExtTCPOFOMerge
	TCPExtTCPChallengeACK
	TCPExtTCPSYNChallenge
	TCPExtTCPFastOpenActive
	TCPExtTCPFastOpenActiveFail
	TCPExtTCPFastOpenPassive
	TCPExtTCPFastOpenPassiveFail
	TCPExtTCPFastOpenListenOverflow
	TCPExtTCPFastOpenCookieReqd
	TCPExtTCPFastOpenBlackhole
	TCPExtTCPSpuriousRtxHostQueues
	TCPExtBusyPollRxPackets
	TCPExtTCPAutoCorking
	TCPExtTCPFromZeroWindowAdv
	TCPExtTCPToZeroWindowAdv
	TCPExtTCPWantZeroWindowAdv
	TCPExtTCPSynRetrans
	TCPExtTCPOrigDataSent
	TCPExtTCPHystartTrainDetect
	TCPExtTCPHystartTrainCwnd
	TCPExtTCPHystartDelayDetect
	TCPExtTCPHystartDelayCwnd
	TCPExtTCPACKSkippedSynRecv
	TCPExtTCPACKSkippedPAWS
	TCPExtTCPACKSkippedSeq
	TCPExtTCPACKSkippedFinWait2
	TCPExtTCPACKSkippedTimeWait
	TCPExtTCPACKSkippedChallenge
	TCPExtTCPWinProbe
	TCPExtTCPKeepAlive
	TCPExtTCPMTUPFail
	TCPExtTCPMTUPSuccess
	TCPExtTCPDelivered
	TCPExtTCPDeliveredCE
	TCPExtTCPAckCompressed
	TCPExtTCPZeroWindowDrop
	TCPExtTCPRcvQDrop
	TCPExtTCPWqueueTooBig
	TCPExtTCPFastOpenPassiveAltKey
	TCPExtTcpTimeoutRehash
	TCPExtTcpDuplicateDataRehash
	TCPExtTCPDSACKRecvSegs
	TCPExtTCPDSACKIgnoredDubious
	TCPExtTCPMigrateReqSuccess
	TCPExtTCPMigrateReqFailure
	TCPExtTCPPLBRehash
	TCPExtTCPAORequired
	TCPExtTCPAOBad
	TCPExtTCPAOKeyNotFound
	TCPExtTCPAOGood
	TCPExtTCPAODroppedIcmps

	// /proc/net/netstat "IpExt:" (IPSTATS_MIB_*, snmp4_ipextstats_list)
	IPExtInNoRoutes
	IPExtInTruncatedPkts
	IPExtInMcastPkts
	IPExtOutMcastPkts
	IPExtInBcastPkts
	IPExtOutBcastPkts
	IPExtInOctets
	IPExtOutOctets
	IPExtInMcastOctets
	IPExtOutMcastOctets
	IPExtInBcastOctets
	IPExtOutBcastOctets
	IPExtInCsumErrors
	IPExtInNoECTPkts
	IPExtInECT1Pkts
	IPExtInECT0Pkts
	IPExtInCEPkts
	IPExtReasmOverlaps

	// /proc/net/netstat "MPTcpExt:" (MPTCP_MIB_*; gosock has no MPTCP, they stay zero)
	MPTCPExtMPCapableSYNRX
	MPTCPExtMPCapableSYNTX
	MPTCPExtMPCapableSYNACKRX
	MPTCPExtMPCapableACKRX
	MPTCPExtMPCapableFallbackACK
	MPTCPExtMPCapableFallbackSYNACK
	MPTCPExtMPCapableSYNTXDrop
	MPTCPExtMPCapableSYNTXDisabled
	MPTCPExtMPCapableEndpAttempt
	MPTCPExtMPFallbackTokenInit
	MPTCPExtMPTCPRetrans
	MPTCPExtMPJoinNoTokenFound
	MPTCPExtMPJoinSynRx
	MPTCPExtMPJoinSynBackupRx
	MPTCPExtMPJoinSynAckRx
	MPTCPExtMPJoinSynAckBackupRx
	MPTCPExtMPJoinSynAckHMacFailure
	MPTCPExtMPJoinAckRx
	MPTCPExtMPJoinAckHMacFailure
	MPTCPExtMPJoinRejected
	MPTCPExtMPJoinSynTx
	MPTCPExtMPJoinSynTxCreatSkErr
	MPTCPExtMPJoinSynTxBindErr
	MPTCPExtMPJoinSynTxConnectErr
	MPTCPExtDSSNotMatching
	MPTCPExtDSSCorruptionFallback
	MPTCPExtDSSCorruptionReset
	MPTCPExtInfiniteMapTx
	MPTCPExtInfiniteMapRx
	MPTCPExtDSSNoMatchTCP
	MPTCPExtDataCsumErr
	MPTCPExtOFOQueueTail
	MPTCPExtOFOQueue
	MPTCPExtOFOMerge
	MPTCPExtNoDSSInWindow
	MPTCPExtDuplicateData
	MPTCPExtAddAddr
	MPTCPExtAddAddrTx
	MPTCPExtAddAddrTxDrop
	MPTCPExtEchoAdd
	MPTCPExtEchoAddTx
	MPTCPExtEchoAddTxDrop
	MPTCPExtPortAdd
	MPTCPExtAddAddrDrop
	MPTCPExtMPJoinPortSynRx
	MPTCPExtMPJoinPortSynAckRx
	MPTCPExtMPJoinPortAckRx
	MPTCPExtMismatchPortSynRx
	MPTCPExtMismatchPortAckRx
	MPTCPExtRmAddr
	MPTCPExtRmAddrDrop
	MPTCPExtRmAddrTx
	MPTCPExtRmAddrTxDrop
	MPTCPExtRmSubflow
	MPTCPExtMPPrioTx
	MPTCPExtMPPrioRx
	MPTCPExtMPFailTx
	MPTCPExtMPFailRx
	MPTCPExtMPFastcloseTx
	MPTCPExtMPFastcloseRx
	MPTCPExtMPRstTx
	MPTCPExtMPRstRx
	MPTCPExtSubflowStale
	MPTCPExtSubflowRecover
	MPTCPExtSndWndShared
	MPTCPExtRcvWndShared
	MPTCPExtRcvWndConflictUpdate
	MPTCPExtRcvWndConflict
	MPTCPExtMPCurrEstab
	MPTCPExtBlackhole
	MPTCPExtMPCapableDataFallback
	MPTCPExtMD5SigFallback
	MPTCPExtDssFallback
	MPTCPExtSimultConnectFallback
	MPTCPExtFallbackFailed
	MPTCPExtWinProbe

	// /proc/net/snmp6 "Ip6*" (snmp6_ipstats_list)
	IP6InReceives
	IP6InHdrErrors
	IP6InTooBigErrors
	IP6InNoRoutes
	IP6InAddrErrors
	IP6InUnknownProtos
	IP6InTruncatedPkts
	IP6InDiscards
	IP6InDelivers
	IP6OutForwDatagrams
	IP6OutRequests
	IP6OutDiscards
	IP6OutNoRoutes
	IP6ReasmTimeout
	IP6ReasmReqds
	IP6ReasmOKs
	IP6ReasmFails
	IP6FragOKs
	IP6FragFails
	IP6FragCreates
	IP6InMcastPkts
	IP6OutMcastPkts
	IP6InOctets
	IP6OutOctets
	IP6InMcastOctets
	IP6OutMcastOctets
	IP6InBcastOctets
	IP6OutBcastOctets
	IP6InNoECTPkts
	IP6InECT1Pkts
	IP6InECT0Pkts
	IP6InCEPkts
	IP6OutTransmits

	// /proc/net/snmp6 "Icmp6*" (snmp6_icmp6_list; per-type counters come from ICMP6Msg)
	ICMP6InMsgs
	ICMP6InErrors
	ICMP6OutMsgs
	ICMP6OutErrors
	ICMP6InCsumErrors
	ICMP6OutRateLimitHost

	// /proc/net/snmp6 "Udp6*" (snmp6_udp6_list)
	UDP6InDatagrams
	UDP6NoPorts
	UDP6InErrors
	UDP6OutDatagrams
	UDP6RcvbufErrors
	UDP6SndbufErrors
	UDP6InCsumErrors
	UDP6IgnoredMulti
	UDP6MemErrors

	// /proc/net/snmp6 "UdpLite6*" (snmp6_udplite6_list)
	UDPLite6InDatagrams
	UDPLite6NoPorts
	UDPLite6InErrors
	UDPLite6OutDatagrams
	UDPLite6RcvbufErrors
	UDPLite6SndbufErrors
	UDPLite6InCsumErrors
	UDPLite6MemErrors

	numCounters
)

// section identifies a block of counters printed together.
type section uint8

const (
	secIP section = iota
	secICMP
	secTCP
	secUDP
	secUDPLite
	secTCPExt
	secIPExt
	secMPTCPExt
	secIP6
	secICMP6
	secUDP6
	secUDPLite6
	numSections
)

// sections: each block's first counter, its /proc label and nstat prefix.
var sections = [numSections]struct {
	first, end Counter
	label      string
}{
	secIP:       {IPForwardingGauge, ICMPInMsgs, "Ip"},
	secICMP:     {ICMPInMsgs, TCPRtoAlgorithm, "Icmp"},
	secTCP:      {TCPRtoAlgorithm, UDPInDatagrams, "Tcp"},
	secUDP:      {UDPInDatagrams, UDPLiteInDatagrams, "Udp"},
	secUDPLite:  {UDPLiteInDatagrams, TCPExtSyncookiesSent, "UdpLite"},
	secTCPExt:   {TCPExtSyncookiesSent, IPExtInNoRoutes, "TcpExt"},
	secIPExt:    {IPExtInNoRoutes, MPTCPExtMPCapableSYNRX, "IpExt"},
	secMPTCPExt: {MPTCPExtMPCapableSYNRX, IP6InReceives, "MPTcpExt"},
	secIP6:      {IP6InReceives, ICMP6InMsgs, "Ip6"},
	secICMP6:    {ICMP6InMsgs, UDP6InDatagrams, "Icmp6"},
	secUDP6:     {UDP6InDatagrams, UDPLite6InDatagrams, "Udp6"},
	secUDPLite6: {UDPLite6InDatagrams, numCounters, "UdpLite6"},
}

// counterNames are the field names as /proc prints them.
var counterNames = [numCounters]string{
	IPForwardingGauge:               "Forwarding",
	IPDefaultTTLGauge:               "DefaultTTL",
	IPInReceives:                    "InReceives",
	IPInHdrErrors:                   "InHdrErrors",
	IPInAddrErrors:                  "InAddrErrors",
	IPForwDatagrams:                 "ForwDatagrams",
	IPInUnknownProtos:               "InUnknownProtos",
	IPInDiscards:                    "InDiscards",
	IPInDelivers:                    "InDelivers",
	IPOutRequests:                   "OutRequests",
	IPOutDiscards:                   "OutDiscards",
	IPOutNoRoutes:                   "OutNoRoutes",
	IPReasmTimeout:                  "ReasmTimeout",
	IPReasmReqds:                    "ReasmReqds",
	IPReasmOKs:                      "ReasmOKs",
	IPReasmFails:                    "ReasmFails",
	IPFragOKs:                       "FragOKs",
	IPFragFails:                     "FragFails",
	IPFragCreates:                   "FragCreates",
	IPOutTransmits:                  "OutTransmits",
	ICMPInMsgs:                      "InMsgs",
	ICMPInErrors:                    "InErrors",
	ICMPInCsumErrors:                "InCsumErrors",
	ICMPOutMsgs:                     "OutMsgs",
	ICMPOutErrors:                   "OutErrors",
	ICMPOutRateLimitGlobal:          "OutRateLimitGlobal",
	ICMPOutRateLimitHost:            "OutRateLimitHost",
	TCPRtoAlgorithm:                 "RtoAlgorithm",
	TCPRtoMin:                       "RtoMin",
	TCPRtoMax:                       "RtoMax",
	TCPMaxConn:                      "MaxConn",
	TCPActiveOpens:                  "ActiveOpens",
	TCPPassiveOpens:                 "PassiveOpens",
	TCPAttemptFails:                 "AttemptFails",
	TCPEstabResets:                  "EstabResets",
	TCPCurrEstab:                    "CurrEstab",
	TCPInSegs:                       "InSegs",
	TCPOutSegs:                      "OutSegs",
	TCPRetransSegs:                  "RetransSegs",
	TCPInErrs:                       "InErrs",
	TCPOutRsts:                      "OutRsts",
	TCPInCsumErrors:                 "InCsumErrors",
	UDPInDatagrams:                  "InDatagrams",
	UDPNoPorts:                      "NoPorts",
	UDPInErrors:                     "InErrors",
	UDPOutDatagrams:                 "OutDatagrams",
	UDPRcvbufErrors:                 "RcvbufErrors",
	UDPSndbufErrors:                 "SndbufErrors",
	UDPInCsumErrors:                 "InCsumErrors",
	UDPIgnoredMulti:                 "IgnoredMulti",
	UDPMemErrors:                    "MemErrors",
	UDPLiteInDatagrams:              "InDatagrams",
	UDPLiteNoPorts:                  "NoPorts",
	UDPLiteInErrors:                 "InErrors",
	UDPLiteOutDatagrams:             "OutDatagrams",
	UDPLiteRcvbufErrors:             "RcvbufErrors",
	UDPLiteSndbufErrors:             "SndbufErrors",
	UDPLiteInCsumErrors:             "InCsumErrors",
	UDPLiteIgnoredMulti:             "IgnoredMulti",
	UDPLiteMemErrors:                "MemErrors",
	TCPExtSyncookiesSent:            "SyncookiesSent",
	TCPExtSyncookiesRecv:            "SyncookiesRecv",
	TCPExtSyncookiesFailed:          "SyncookiesFailed",
	TCPExtEmbryonicRsts:             "EmbryonicRsts",
	TCPExtPruneCalled:               "PruneCalled",
	TCPExtRcvPruned:                 "RcvPruned",
	TCPExtOfoPruned:                 "OfoPruned",
	TCPExtOutOfWindowIcmps:          "OutOfWindowIcmps",
	TCPExtLockDroppedIcmps:          "LockDroppedIcmps",
	TCPExtArpFilter:                 "ArpFilter",
	TCPExtTW:                        "TW",
	TCPExtTWRecycled:                "TWRecycled",
	TCPExtTWKilled:                  "TWKilled",
	TCPExtPAWSActive:                "PAWSActive",
	TCPExtPAWSEstab:                 "PAWSEstab",
	TCPExtBeyondWindow:              "BeyondWindow",
	TCPExtTSEcrRejected:             "TSEcrRejected",
	TCPExtPAWSOldAck:                "PAWSOldAck",
	TCPExtPAWSTimewait:              "PAWSTimewait",
	TCPExtDelayedACKs:               "DelayedACKs",
	TCPExtDelayedACKLocked:          "DelayedACKLocked",
	TCPExtDelayedACKLost:            "DelayedACKLost",
	TCPExtListenOverflows:           "ListenOverflows",
	TCPExtListenDrops:               "ListenDrops",
	TCPExtTCPHPHits:                 "TCPHPHits",
	TCPExtTCPPureAcks:               "TCPPureAcks",
	TCPExtTCPHPAcks:                 "TCPHPAcks",
	TCPExtTCPRenoRecovery:           "TCPRenoRecovery",
	TCPExtTCPSackRecovery:           "TCPSackRecovery",
	TCPExtTCPSACKReneging:           "TCPSACKReneging",
	TCPExtTCPSACKReorder:            "TCPSACKReorder",
	TCPExtTCPRenoReorder:            "TCPRenoReorder",
	TCPExtTCPTSReorder:              "TCPTSReorder",
	TCPExtTCPFullUndo:               "TCPFullUndo",
	TCPExtTCPPartialUndo:            "TCPPartialUndo",
	TCPExtTCPDSACKUndo:              "TCPDSACKUndo",
	TCPExtTCPLossUndo:               "TCPLossUndo",
	TCPExtTCPLostRetransmit:         "TCPLostRetransmit",
	TCPExtTCPRenoFailures:           "TCPRenoFailures",
	TCPExtTCPSackFailures:           "TCPSackFailures",
	TCPExtTCPLossFailures:           "TCPLossFailures",
	TCPExtTCPFastRetrans:            "TCPFastRetrans",
	TCPExtTCPSlowStartRetrans:       "TCPSlowStartRetrans",
	TCPExtTCPTimeouts:               "TCPTimeouts",
	TCPExtTCPLossProbes:             "TCPLossProbes",
	TCPExtTCPLossProbeRecovery:      "TCPLossProbeRecovery",
	TCPExtTCPRenoRecoveryFail:       "TCPRenoRecoveryFail",
	TCPExtTCPSackRecoveryFail:       "TCPSackRecoveryFail",
	TCPExtTCPRcvCollapsed:           "TCPRcvCollapsed",
	TCPExtTCPBacklogCoalesce:        "TCPBacklogCoalesce",
	TCPExtTCPDSACKOldSent:           "TCPDSACKOldSent",
	TCPExtTCPDSACKOfoSent:           "TCPDSACKOfoSent",
	TCPExtTCPDSACKRecv:              "TCPDSACKRecv",
	TCPExtTCPDSACKOfoRecv:           "TCPDSACKOfoRecv",
	TCPExtTCPAbortOnData:            "TCPAbortOnData",
	TCPExtTCPAbortOnClose:           "TCPAbortOnClose",
	TCPExtTCPAbortOnMemory:          "TCPAbortOnMemory",
	TCPExtTCPAbortOnTimeout:         "TCPAbortOnTimeout",
	TCPExtTCPAbortOnLinger:          "TCPAbortOnLinger",
	TCPExtTCPAbortFailed:            "TCPAbortFailed",
	TCPExtTCPMemoryPressures:        "TCPMemoryPressures",
	TCPExtTCPMemoryPressuresChrono:  "TCPMemoryPressuresChrono",
	TCPExtTCPSACKDiscard:            "TCPSACKDiscard",
	TCPExtTCPDSACKIgnoredOld:        "TCPDSACKIgnoredOld",
	TCPExtTCPDSACKIgnoredNoUndo:     "TCPDSACKIgnoredNoUndo",
	TCPExtTCPSpuriousRTOs:           "TCPSpuriousRTOs",
	TCPExtTCPMD5NotFound:            "TCPMD5NotFound",
	TCPExtTCPMD5Unexpected:          "TCPMD5Unexpected",
	TCPExtTCPMD5Failure:             "TCPMD5Failure",
	TCPExtTCPSackShifted:            "TCPSackShifted",
	TCPExtTCPSackMerged:             "TCPSackMerged",
	TCPExtTCPSackShiftFallback:      "TCPSackShiftFallback",
	TCPExtTCPBacklogDrop:            "TCPBacklogDrop",
	TCPExtPFMemallocDrop:            "PFMemallocDrop",
	TCPExtTCPMinTTLDrop:             "TCPMinTTLDrop",
	TCPExtTCPDeferAcceptDrop:        "TCPDeferAcceptDrop",
	TCPExtIPReversePathFilter:       "IPReversePathFilter",
	TCPExtTCPTimeWaitOverflow:       "TCPTimeWaitOverflow",
	TCPExtTCPReqQFullDoCookies:      "TCPReqQFullDoCookies",
	TCPExtTCPReqQFullDrop:           "TCPReqQFullDrop",
	TCPExtTCPRetransFail:            "TCPRetransFail",
	TCPExtTCPRcvCoalesce:            "TCPRcvCoalesce",
	TCPExtTCPOFOQueue:               "TCPOFOQueue",
	TCPExtTCPOFODrop:                "TCPOFODrop",
	TCPExtTCPOFOMerge:               "TCPOFOMerge",
	TCPExtTCPChallengeACK:           "TCPChallengeACK",
	TCPExtTCPSYNChallenge:           "TCPSYNChallenge",
	TCPExtTCPFastOpenActive:         "TCPFastOpenActive",
	TCPExtTCPFastOpenActiveFail:     "TCPFastOpenActiveFail",
	TCPExtTCPFastOpenPassive:        "TCPFastOpenPassive",
	TCPExtTCPFastOpenPassiveFail:    "TCPFastOpenPassiveFail",
	TCPExtTCPFastOpenListenOverflow: "TCPFastOpenListenOverflow",
	TCPExtTCPFastOpenCookieReqd:     "TCPFastOpenCookieReqd",
	TCPExtTCPFastOpenBlackhole:      "TCPFastOpenBlackhole",
	TCPExtTCPSpuriousRtxHostQueues:  "TCPSpuriousRtxHostQueues",
	TCPExtBusyPollRxPackets:         "BusyPollRxPackets",
	TCPExtTCPAutoCorking:            "TCPAutoCorking",
	TCPExtTCPFromZeroWindowAdv:      "TCPFromZeroWindowAdv",
	TCPExtTCPToZeroWindowAdv:        "TCPToZeroWindowAdv",
	TCPExtTCPWantZeroWindowAdv:      "TCPWantZeroWindowAdv",
	TCPExtTCPSynRetrans:             "TCPSynRetrans",
	TCPExtTCPOrigDataSent:           "TCPOrigDataSent",
	TCPExtTCPHystartTrainDetect:     "TCPHystartTrainDetect",
	TCPExtTCPHystartTrainCwnd:       "TCPHystartTrainCwnd",
	TCPExtTCPHystartDelayDetect:     "TCPHystartDelayDetect",
	TCPExtTCPHystartDelayCwnd:       "TCPHystartDelayCwnd",
	TCPExtTCPACKSkippedSynRecv:      "TCPACKSkippedSynRecv",
	TCPExtTCPACKSkippedPAWS:         "TCPACKSkippedPAWS",
	TCPExtTCPACKSkippedSeq:          "TCPACKSkippedSeq",
	TCPExtTCPACKSkippedFinWait2:     "TCPACKSkippedFinWait2",
	TCPExtTCPACKSkippedTimeWait:     "TCPACKSkippedTimeWait",
	TCPExtTCPACKSkippedChallenge:    "TCPACKSkippedChallenge",
	TCPExtTCPWinProbe:               "TCPWinProbe",
	TCPExtTCPKeepAlive:              "TCPKeepAlive",
	TCPExtTCPMTUPFail:               "TCPMTUPFail",
	TCPExtTCPMTUPSuccess:            "TCPMTUPSuccess",
	TCPExtTCPDelivered:              "TCPDelivered",
	TCPExtTCPDeliveredCE:            "TCPDeliveredCE",
	TCPExtTCPAckCompressed:          "TCPAckCompressed",
	TCPExtTCPZeroWindowDrop:         "TCPZeroWindowDrop",
	TCPExtTCPRcvQDrop:               "TCPRcvQDrop",
	TCPExtTCPWqueueTooBig:           "TCPWqueueTooBig",
	TCPExtTCPFastOpenPassiveAltKey:  "TCPFastOpenPassiveAltKey",
	TCPExtTcpTimeoutRehash:          "TcpTimeoutRehash",
	TCPExtTcpDuplicateDataRehash:    "TcpDuplicateDataRehash",
	TCPExtTCPDSACKRecvSegs:          "TCPDSACKRecvSegs",
	TCPExtTCPDSACKIgnoredDubious:    "TCPDSACKIgnoredDubious",
	TCPExtTCPMigrateReqSuccess:      "TCPMigrateReqSuccess",
	TCPExtTCPMigrateReqFailure:      "TCPMigrateReqFailure",
	TCPExtTCPPLBRehash:              "TCPPLBRehash",
	TCPExtTCPAORequired:             "TCPAORequired",
	TCPExtTCPAOBad:                  "TCPAOBad",
	TCPExtTCPAOKeyNotFound:          "TCPAOKeyNotFound",
	TCPExtTCPAOGood:                 "TCPAOGood",
	TCPExtTCPAODroppedIcmps:         "TCPAODroppedIcmps",
	IPExtInNoRoutes:                 "InNoRoutes",
	IPExtInTruncatedPkts:            "InTruncatedPkts",
	IPExtInMcastPkts:                "InMcastPkts",
	IPExtOutMcastPkts:               "OutMcastPkts",
	IPExtInBcastPkts:                "InBcastPkts",
	IPExtOutBcastPkts:               "OutBcastPkts",
	IPExtInOctets:                   "InOctets",
	IPExtOutOctets:                  "OutOctets",
	IPExtInMcastOctets:              "InMcastOctets",
	IPExtOutMcastOctets:             "OutMcastOctets",
	IPExtInBcastOctets:              "InBcastOctets",
	IPExtOutBcastOctets:             "OutBcastOctets",
	IPExtInCsumErrors:               "InCsumErrors",
	IPExtInNoECTPkts:                "InNoECTPkts",
	IPExtInECT1Pkts:                 "InECT1Pkts",
	IPExtInECT0Pkts:                 "InECT0Pkts",
	IPExtInCEPkts:                   "InCEPkts",
	IPExtReasmOverlaps:              "ReasmOverlaps",
	MPTCPExtMPCapableSYNRX:          "MPCapableSYNRX",
	MPTCPExtMPCapableSYNTX:          "MPCapableSYNTX",
	MPTCPExtMPCapableSYNACKRX:       "MPCapableSYNACKRX",
	MPTCPExtMPCapableACKRX:          "MPCapableACKRX",
	MPTCPExtMPCapableFallbackACK:    "MPCapableFallbackACK",
	MPTCPExtMPCapableFallbackSYNACK: "MPCapableFallbackSYNACK",
	MPTCPExtMPCapableSYNTXDrop:      "MPCapableSYNTXDrop",
	MPTCPExtMPCapableSYNTXDisabled:  "MPCapableSYNTXDisabled",
	MPTCPExtMPCapableEndpAttempt:    "MPCapableEndpAttempt",
	MPTCPExtMPFallbackTokenInit:     "MPFallbackTokenInit",
	MPTCPExtMPTCPRetrans:            "MPTCPRetrans",
	MPTCPExtMPJoinNoTokenFound:      "MPJoinNoTokenFound",
	MPTCPExtMPJoinSynRx:             "MPJoinSynRx",
	MPTCPExtMPJoinSynBackupRx:       "MPJoinSynBackupRx",
	MPTCPExtMPJoinSynAckRx:          "MPJoinSynAckRx",
	MPTCPExtMPJoinSynAckBackupRx:    "MPJoinSynAckBackupRx",
	MPTCPExtMPJoinSynAckHMacFailure: "MPJoinSynAckHMacFailure",
	MPTCPExtMPJoinAckRx:             "MPJoinAckRx",
	MPTCPExtMPJoinAckHMacFailure:    "MPJoinAckHMacFailure",
	MPTCPExtMPJoinRejected:          "MPJoinRejected",
	MPTCPExtMPJoinSynTx:             "MPJoinSynTx",
	MPTCPExtMPJoinSynTxCreatSkErr:   "MPJoinSynTxCreatSkErr",
	MPTCPExtMPJoinSynTxBindErr:      "MPJoinSynTxBindErr",
	MPTCPExtMPJoinSynTxConnectErr:   "MPJoinSynTxConnectErr",
	MPTCPExtDSSNotMatching:          "DSSNotMatching",
	MPTCPExtDSSCorruptionFallback:   "DSSCorruptionFallback",
	MPTCPExtDSSCorruptionReset:      "DSSCorruptionReset",
	MPTCPExtInfiniteMapTx:           "InfiniteMapTx",
	MPTCPExtInfiniteMapRx:           "InfiniteMapRx",
	MPTCPExtDSSNoMatchTCP:           "DSSNoMatchTCP",
	MPTCPExtDataCsumErr:             "DataCsumErr",
	MPTCPExtOFOQueueTail:            "OFOQueueTail",
	MPTCPExtOFOQueue:                "OFOQueue",
	MPTCPExtOFOMerge:                "OFOMerge",
	MPTCPExtNoDSSInWindow:           "NoDSSInWindow",
	MPTCPExtDuplicateData:           "DuplicateData",
	MPTCPExtAddAddr:                 "AddAddr",
	MPTCPExtAddAddrTx:               "AddAddrTx",
	MPTCPExtAddAddrTxDrop:           "AddAddrTxDrop",
	MPTCPExtEchoAdd:                 "EchoAdd",
	MPTCPExtEchoAddTx:               "EchoAddTx",
	MPTCPExtEchoAddTxDrop:           "EchoAddTxDrop",
	MPTCPExtPortAdd:                 "PortAdd",
	MPTCPExtAddAddrDrop:             "AddAddrDrop",
	MPTCPExtMPJoinPortSynRx:         "MPJoinPortSynRx",
	MPTCPExtMPJoinPortSynAckRx:      "MPJoinPortSynAckRx",
	MPTCPExtMPJoinPortAckRx:         "MPJoinPortAckRx",
	MPTCPExtMismatchPortSynRx:       "MismatchPortSynRx",
	MPTCPExtMismatchPortAckRx:       "MismatchPortAckRx",
	MPTCPExtRmAddr:                  "RmAddr",
	MPTCPExtRmAddrDrop:              "RmAddrDrop",
	MPTCPExtRmAddrTx:                "RmAddrTx",
	MPTCPExtRmAddrTxDrop:            "RmAddrTxDrop",
	MPTCPExtRmSubflow:               "RmSubflow",
	MPTCPExtMPPrioTx:                "MPPrioTx",
	MPTCPExtMPPrioRx:                "MPPrioRx",
	MPTCPExtMPFailTx:                "MPFailTx",
	MPTCPExtMPFailRx:                "MPFailRx",
	MPTCPExtMPFastcloseTx:           "MPFastcloseTx",
	MPTCPExtMPFastcloseRx:           "MPFastcloseRx",
	MPTCPExtMPRstTx:                 "MPRstTx",
	MPTCPExtMPRstRx:                 "MPRstRx",
	MPTCPExtSubflowStale:            "SubflowStale",
	MPTCPExtSubflowRecover:          "SubflowRecover",
	MPTCPExtSndWndShared:            "SndWndShared",
	MPTCPExtRcvWndShared:            "RcvWndShared",
	MPTCPExtRcvWndConflictUpdate:    "RcvWndConflictUpdate",
	MPTCPExtRcvWndConflict:          "RcvWndConflict",
	MPTCPExtMPCurrEstab:             "MPCurrEstab",
	MPTCPExtBlackhole:               "Blackhole",
	MPTCPExtMPCapableDataFallback:   "MPCapableDataFallback",
	MPTCPExtMD5SigFallback:          "MD5SigFallback",
	MPTCPExtDssFallback:             "DssFallback",
	MPTCPExtSimultConnectFallback:   "SimultConnectFallback",
	MPTCPExtFallbackFailed:          "FallbackFailed",
	MPTCPExtWinProbe:                "WinProbe",
	IP6InReceives:                   "InReceives",
	IP6InHdrErrors:                  "InHdrErrors",
	IP6InTooBigErrors:               "InTooBigErrors",
	IP6InNoRoutes:                   "InNoRoutes",
	IP6InAddrErrors:                 "InAddrErrors",
	IP6InUnknownProtos:              "InUnknownProtos",
	IP6InTruncatedPkts:              "InTruncatedPkts",
	IP6InDiscards:                   "InDiscards",
	IP6InDelivers:                   "InDelivers",
	IP6OutForwDatagrams:             "OutForwDatagrams",
	IP6OutRequests:                  "OutRequests",
	IP6OutDiscards:                  "OutDiscards",
	IP6OutNoRoutes:                  "OutNoRoutes",
	IP6ReasmTimeout:                 "ReasmTimeout",
	IP6ReasmReqds:                   "ReasmReqds",
	IP6ReasmOKs:                     "ReasmOKs",
	IP6ReasmFails:                   "ReasmFails",
	IP6FragOKs:                      "FragOKs",
	IP6FragFails:                    "FragFails",
	IP6FragCreates:                  "FragCreates",
	IP6InMcastPkts:                  "InMcastPkts",
	IP6OutMcastPkts:                 "OutMcastPkts",
	IP6InOctets:                     "InOctets",
	IP6OutOctets:                    "OutOctets",
	IP6InMcastOctets:                "InMcastOctets",
	IP6OutMcastOctets:               "OutMcastOctets",
	IP6InBcastOctets:                "InBcastOctets",
	IP6OutBcastOctets:               "OutBcastOctets",
	IP6InNoECTPkts:                  "InNoECTPkts",
	IP6InECT1Pkts:                   "InECT1Pkts",
	IP6InECT0Pkts:                   "InECT0Pkts",
	IP6InCEPkts:                     "InCEPkts",
	IP6OutTransmits:                 "OutTransmits",
	ICMP6InMsgs:                     "InMsgs",
	ICMP6InErrors:                   "InErrors",
	ICMP6OutMsgs:                    "OutMsgs",
	ICMP6OutErrors:                  "OutErrors",
	ICMP6InCsumErrors:               "InCsumErrors",
	ICMP6OutRateLimitHost:           "OutRateLimitHost",
	UDP6InDatagrams:                 "InDatagrams",
	UDP6NoPorts:                     "NoPorts",
	UDP6InErrors:                    "InErrors",
	UDP6OutDatagrams:                "OutDatagrams",
	UDP6RcvbufErrors:                "RcvbufErrors",
	UDP6SndbufErrors:                "SndbufErrors",
	UDP6InCsumErrors:                "InCsumErrors",
	UDP6IgnoredMulti:                "IgnoredMulti",
	UDP6MemErrors:                   "MemErrors",
	UDPLite6InDatagrams:             "InDatagrams",
	UDPLite6NoPorts:                 "NoPorts",
	UDPLite6InErrors:                "InErrors",
	UDPLite6OutDatagrams:            "OutDatagrams",
	UDPLite6RcvbufErrors:            "RcvbufErrors",
	UDPLite6SndbufErrors:            "SndbufErrors",
	UDPLite6InCsumErrors:            "InCsumErrors",
	UDPLite6MemErrors:               "MemErrors",
}

// icmpNamed are the ICMP types /proc/net/snmp prints by name in its Icmp
// line, in its order (icmpmibmap in net/ipv4/proc.c).
var icmpNamed = []struct {
	name string
	typ  uint8
}{
	{"DestUnreachs", 3}, {"TimeExcds", 11}, {"ParmProbs", 12}, {"SrcQuenchs", 4},
	{"Redirects", 5}, {"Echos", 8}, {"EchoReps", 0}, {"Timestamps", 13},
	{"TimestampReps", 14}, {"AddrMasks", 17}, {"AddrMaskReps", 18},
}

// icmp6Named are the ICMPv6 types /proc/net/snmp6 prints by name, by type
// number (icmp6type2name in net/ipv6/proc.c).
var icmp6Named = [256]string{
	1: "DestUnreachs", 2: "PktTooBigs", 3: "TimeExcds", 4: "ParmProblems",
	128: "Echos", 129: "EchoReplies", 130: "GroupMembQueries", 131: "GroupMembResponses",
	132: "GroupMembReductions", 133: "RouterSolicits", 134: "RouterAdvertisements",
	135: "NeighborSolicits", 136: "NeighborAdvertisements", 137: "Redirects", 143: "MLDv2Reports",
}

// Drop reasons of Linux 6.18 (enum skb_drop_reason, include/net/dropreason-core.h),
// with the kernel's numbers as its skb:kfree_skb tracepoint prints them.
const (
	DropNotDroppedYet         DropReason = 0   // SKB_NOT_DROPPED_YET: not a drop
	DropConsumed              DropReason = 1   // SKB_CONSUMED: freed after use, not a drop
	DropNotSpecified          DropReason = 2   // NOT_SPECIFIED
	DropNoSocket              DropReason = 3   // NO_SOCKET
	DropSocketClose           DropReason = 4   // SOCKET_CLOSE
	DropSocketFilter          DropReason = 5   // SOCKET_FILTER
	DropSocketRcvbuff         DropReason = 6   // SOCKET_RCVBUFF
	DropUnixDisconnect        DropReason = 7   // UNIX_DISCONNECT
	DropUnixSkipOOB           DropReason = 8   // UNIX_SKIP_OOB
	DropPktTooSmall           DropReason = 9   // PKT_TOO_SMALL
	DropTCPCsum               DropReason = 10  // TCP_CSUM
	DropUDPCsum               DropReason = 11  // UDP_CSUM
	DropNetfilterDrop         DropReason = 12  // NETFILTER_DROP
	DropOtherHost             DropReason = 13  // OTHERHOST
	DropIPCsum                DropReason = 14  // IP_CSUM
	DropIPInHdr               DropReason = 15  // IP_INHDR
	DropIPRPFilter            DropReason = 16  // IP_RPFILTER
	DropUnicastInL2Multicast  DropReason = 17  // UNICAST_IN_L2_MULTICAST
	DropXfrmPolicy            DropReason = 18  // XFRM_POLICY
	DropIPNoProto             DropReason = 19  // IP_NOPROTO
	DropProtoMem              DropReason = 20  // PROTO_MEM
	DropTCPAuthHdr            DropReason = 21  // TCP_AUTH_HDR
	DropTCPMD5NotFound        DropReason = 22  // TCP_MD5NOTFOUND
	DropTCPMD5Unexpected      DropReason = 23  // TCP_MD5UNEXPECTED
	DropTCPMD5Failure         DropReason = 24  // TCP_MD5FAILURE
	DropTCPAONotFound         DropReason = 25  // TCP_AONOTFOUND
	DropTCPAOUnexpected       DropReason = 26  // TCP_AOUNEXPECTED
	DropTCPAOKeyNotFound      DropReason = 27  // TCP_AOKEYNOTFOUND
	DropTCPAOFailure          DropReason = 28  // TCP_AOFAILURE
	DropSocketBacklog         DropReason = 29  // SOCKET_BACKLOG
	DropTCPFlags              DropReason = 30  // TCP_FLAGS
	DropTCPAbortOnData        DropReason = 31  // TCP_ABORT_ON_DATA
	DropTCPZeroWindow         DropReason = 32  // TCP_ZEROWINDOW
	DropTCPOldData            DropReason = 33  // TCP_OLD_DATA
	DropTCPOverWindow         DropReason = 34  // TCP_OVERWINDOW
	DropTCPOFOMerge           DropReason = 35  // TCP_OFOMERGE
	DropTCPRFC7323PAWS        DropReason = 36  // TCP_RFC7323_PAWS
	DropTCPRFC7323PAWSAck     DropReason = 37  // TCP_RFC7323_PAWS_ACK
	DropTCPRFC7323TWPAWS      DropReason = 38  // TCP_RFC7323_TW_PAWS
	DropTCPRFC7323TSEcr       DropReason = 39  // TCP_RFC7323_TSECR
	DropTCPListenOverflow     DropReason = 40  // TCP_LISTEN_OVERFLOW
	DropTCPOldSequence        DropReason = 41  // TCP_OLD_SEQUENCE
	DropTCPInvalidSequence    DropReason = 42  // TCP_INVALID_SEQUENCE
	DropTCPInvalidEndSequence DropReason = 43  // TCP_INVALID_END_SEQUENCE
	DropTCPInvalidAckSequence DropReason = 44  // TCP_INVALID_ACK_SEQUENCE
	DropTCPReset              DropReason = 45  // TCP_RESET
	DropTCPInvalidSYN         DropReason = 46  // TCP_INVALID_SYN
	DropTCPClose              DropReason = 47  // TCP_CLOSE
	DropTCPFastOpen           DropReason = 48  // TCP_FASTOPEN
	DropTCPOldAck             DropReason = 49  // TCP_OLD_ACK
	DropTCPTooOldAck          DropReason = 50  // TCP_TOO_OLD_ACK
	DropTCPAckUnsentData      DropReason = 51  // TCP_ACK_UNSENT_DATA
	DropTCPOFOQueuePrune      DropReason = 52  // TCP_OFO_QUEUE_PRUNE
	DropTCPOFODrop            DropReason = 53  // TCP_OFO_DROP
	DropIPOutNoRoutes         DropReason = 54  // IP_OUTNOROUTES
	DropBPFCgroupEgress       DropReason = 55  // BPF_CGROUP_EGRESS
	DropIPv6Disabled          DropReason = 56  // IPV6DISABLED
	DropNeighCreateFail       DropReason = 57  // NEIGH_CREATEFAIL
	DropNeighFailed           DropReason = 58  // NEIGH_FAILED
	DropNeighQueueFull        DropReason = 59  // NEIGH_QUEUEFULL
	DropNeighDead             DropReason = 60  // NEIGH_DEAD
	DropNeighHHFillFail       DropReason = 61  // NEIGH_HH_FILLFAIL
	DropTCEgress              DropReason = 62  // TC_EGRESS
	DropSecurityHook          DropReason = 63  // SECURITY_HOOK
	DropQdiscDrop             DropReason = 64  // QDISC_DROP
	DropQdiscOverlimit        DropReason = 65  // QDISC_OVERLIMIT
	DropQdiscCongested        DropReason = 66  // QDISC_CONGESTED
	DropCakeFlood             DropReason = 67  // CAKE_FLOOD
	DropFQBandLimit           DropReason = 68  // FQ_BAND_LIMIT
	DropFQHorizonLimit        DropReason = 69  // FQ_HORIZON_LIMIT
	DropFQFlowLimit           DropReason = 70  // FQ_FLOW_LIMIT
	DropCPUBacklog            DropReason = 71  // CPU_BACKLOG
	DropXDP                   DropReason = 72  // XDP
	DropTCIngress             DropReason = 73  // TC_INGRESS
	DropUnhandledProto        DropReason = 74  // UNHANDLED_PROTO
	DropSKBCsum               DropReason = 75  // SKB_CSUM
	DropSKBGSOSeg             DropReason = 76  // SKB_GSO_SEG
	DropSKBUcopyFault         DropReason = 77  // SKB_UCOPY_FAULT
	DropDevHdr                DropReason = 78  // DEV_HDR
	DropDevReady              DropReason = 79  // DEV_READY
	DropFullRing              DropReason = 80  // FULL_RING
	DropNoMem                 DropReason = 81  // NOMEM
	DropHdrTrunc              DropReason = 82  // HDR_TRUNC
	DropTapFilter             DropReason = 83  // TAP_FILTER
	DropTapTxFilter           DropReason = 84  // TAP_TXFILTER
	DropICMPCsum              DropReason = 85  // ICMP_CSUM
	DropInvalidProto          DropReason = 86  // INVALID_PROTO
	DropIPInAddrErrors        DropReason = 87  // IP_INADDRERRORS
	DropIPInNoRoutes          DropReason = 88  // IP_INNOROUTES
	DropIPLocalSource         DropReason = 89  // IP_LOCAL_SOURCE
	DropIPInvalidSource       DropReason = 90  // IP_INVALID_SOURCE
	DropIPLocalnet            DropReason = 91  // IP_LOCALNET
	DropIPInvalidDest         DropReason = 92  // IP_INVALID_DEST
	DropPktTooBig             DropReason = 93  // PKT_TOO_BIG
	DropDupFrag               DropReason = 94  // DUP_FRAG
	DropFragReasmTimeout      DropReason = 95  // FRAG_REASM_TIMEOUT
	DropFragTooFar            DropReason = 96  // FRAG_TOO_FAR
	DropTCPMinTTL             DropReason = 97  // TCP_MINTTL
	DropIPv6BadExtHdr         DropReason = 98  // IPV6_BAD_EXTHDR
	DropIPv6NdiscFrag         DropReason = 99  // IPV6_NDISC_FRAG
	DropIPv6NdiscHopLimit     DropReason = 100 // IPV6_NDISC_HOP_LIMIT
	DropIPv6NdiscBadCode      DropReason = 101 // IPV6_NDISC_BAD_CODE
	DropIPv6NdiscBadOptions   DropReason = 102 // IPV6_NDISC_BAD_OPTIONS
	DropIPv6NdiscNSOtherHost  DropReason = 103 // IPV6_NDISC_NS_OTHERHOST
	DropQueuePurge            DropReason = 104 // QUEUE_PURGE
	DropTCCookieError         DropReason = 105 // TC_COOKIE_ERROR
	DropPacketSockError       DropReason = 106 // PACKET_SOCK_ERROR
	DropTCChainNotFound       DropReason = 107 // TC_CHAIN_NOTFOUND
	DropTCReclassifyLoop      DropReason = 108 // TC_RECLASSIFY_LOOP
	DropVXLANInvalidHdr       DropReason = 109 // VXLAN_INVALID_HDR
	DropVXLANVNINotFound      DropReason = 110 // VXLAN_VNI_NOT_FOUND
	DropMACInvalidSource      DropReason = 111 // MAC_INVALID_SOURCE
	DropVXLANEntryExists      DropReason = 112 // VXLAN_ENTRY_EXISTS
	DropNoTxTarget            DropReason = 113 // NO_TX_TARGET
	DropIPTunnelECN           DropReason = 114 // IP_TUNNEL_ECN
	DropTunnelTxInfo          DropReason = 115 // TUNNEL_TXINFO
	DropLocalMAC              DropReason = 116 // LOCAL_MAC
	DropARPPvlanDisable       DropReason = 117 // ARP_PVLAN_DISABLE
	DropMACIEEEMACControl     DropReason = 118 // MAC_IEEE_MAC_CONTROL
	DropBridgeIngressSTPState DropReason = 119 // BRIDGE_INGRESS_STP_STATE
	DropCANRxInvalidFrame     DropReason = 120 // CAN_RX_INVALID_FRAME
	DropCANFDRxInvalidFrame   DropReason = 121 // CANFD_RX_INVALID_FRAME
	DropCANXLRxInvalidFrame   DropReason = 122 // CANXL_RX_INVALID_FRAME
	DropPFMemalloc            DropReason = 123 // PFMEMALLOC
	DropDualPI2StepDrop       DropReason = 124 // DUALPI2_STEP_DROP
	DropPSPInput              DropReason = 125 // PSP_INPUT
	DropPSPOutput             DropReason = 126 // PSP_OUTPUT
	DropRecursionLimit        DropReason = 127 // RECURSION_LIMIT
	DropReasonMax             DropReason = 128 // SKB_DROP_REASON_MAX: the number of reasons
)

var dropNames = [DropReasonMax]string{
	DropNotDroppedYet:         "NOT_DROPPED_YET",
	DropConsumed:              "CONSUMED",
	DropNotSpecified:          "NOT_SPECIFIED",
	DropNoSocket:              "NO_SOCKET",
	DropSocketClose:           "SOCKET_CLOSE",
	DropSocketFilter:          "SOCKET_FILTER",
	DropSocketRcvbuff:         "SOCKET_RCVBUFF",
	DropUnixDisconnect:        "UNIX_DISCONNECT",
	DropUnixSkipOOB:           "UNIX_SKIP_OOB",
	DropPktTooSmall:           "PKT_TOO_SMALL",
	DropTCPCsum:               "TCP_CSUM",
	DropUDPCsum:               "UDP_CSUM",
	DropNetfilterDrop:         "NETFILTER_DROP",
	DropOtherHost:             "OTHERHOST",
	DropIPCsum:                "IP_CSUM",
	DropIPInHdr:               "IP_INHDR",
	DropIPRPFilter:            "IP_RPFILTER",
	DropUnicastInL2Multicast:  "UNICAST_IN_L2_MULTICAST",
	DropXfrmPolicy:            "XFRM_POLICY",
	DropIPNoProto:             "IP_NOPROTO",
	DropProtoMem:              "PROTO_MEM",
	DropTCPAuthHdr:            "TCP_AUTH_HDR",
	DropTCPMD5NotFound:        "TCP_MD5NOTFOUND",
	DropTCPMD5Unexpected:      "TCP_MD5UNEXPECTED",
	DropTCPMD5Failure:         "TCP_MD5FAILURE",
	DropTCPAONotFound:         "TCP_AONOTFOUND",
	DropTCPAOUnexpected:       "TCP_AOUNEXPECTED",
	DropTCPAOKeyNotFound:      "TCP_AOKEYNOTFOUND",
	DropTCPAOFailure:          "TCP_AOFAILURE",
	DropSocketBacklog:         "SOCKET_BACKLOG",
	DropTCPFlags:              "TCP_FLAGS",
	DropTCPAbortOnData:        "TCP_ABORT_ON_DATA",
	DropTCPZeroWindow:         "TCP_ZEROWINDOW",
	DropTCPOldData:            "TCP_OLD_DATA",
	DropTCPOverWindow:         "TCP_OVERWINDOW",
	DropTCPOFOMerge:           "TCP_OFOMERGE",
	DropTCPRFC7323PAWS:        "TCP_RFC7323_PAWS",
	DropTCPRFC7323PAWSAck:     "TCP_RFC7323_PAWS_ACK",
	DropTCPRFC7323TWPAWS:      "TCP_RFC7323_TW_PAWS",
	DropTCPRFC7323TSEcr:       "TCP_RFC7323_TSECR",
	DropTCPListenOverflow:     "TCP_LISTEN_OVERFLOW",
	DropTCPOldSequence:        "TCP_OLD_SEQUENCE",
	DropTCPInvalidSequence:    "TCP_INVALID_SEQUENCE",
	DropTCPInvalidEndSequence: "TCP_INVALID_END_SEQUENCE",
	DropTCPInvalidAckSequence: "TCP_INVALID_ACK_SEQUENCE",
	DropTCPReset:              "TCP_RESET",
	DropTCPInvalidSYN:         "TCP_INVALID_SYN",
	DropTCPClose:              "TCP_CLOSE",
	DropTCPFastOpen:           "TCP_FASTOPEN",
	DropTCPOldAck:             "TCP_OLD_ACK",
	DropTCPTooOldAck:          "TCP_TOO_OLD_ACK",
	DropTCPAckUnsentData:      "TCP_ACK_UNSENT_DATA",
	DropTCPOFOQueuePrune:      "TCP_OFO_QUEUE_PRUNE",
	DropTCPOFODrop:            "TCP_OFO_DROP",
	DropIPOutNoRoutes:         "IP_OUTNOROUTES",
	DropBPFCgroupEgress:       "BPF_CGROUP_EGRESS",
	DropIPv6Disabled:          "IPV6DISABLED",
	DropNeighCreateFail:       "NEIGH_CREATEFAIL",
	DropNeighFailed:           "NEIGH_FAILED",
	DropNeighQueueFull:        "NEIGH_QUEUEFULL",
	DropNeighDead:             "NEIGH_DEAD",
	DropNeighHHFillFail:       "NEIGH_HH_FILLFAIL",
	DropTCEgress:              "TC_EGRESS",
	DropSecurityHook:          "SECURITY_HOOK",
	DropQdiscDrop:             "QDISC_DROP",
	DropQdiscOverlimit:        "QDISC_OVERLIMIT",
	DropQdiscCongested:        "QDISC_CONGESTED",
	DropCakeFlood:             "CAKE_FLOOD",
	DropFQBandLimit:           "FQ_BAND_LIMIT",
	DropFQHorizonLimit:        "FQ_HORIZON_LIMIT",
	DropFQFlowLimit:           "FQ_FLOW_LIMIT",
	DropCPUBacklog:            "CPU_BACKLOG",
	DropXDP:                   "XDP",
	DropTCIngress:             "TC_INGRESS",
	DropUnhandledProto:        "UNHANDLED_PROTO",
	DropSKBCsum:               "SKB_CSUM",
	DropSKBGSOSeg:             "SKB_GSO_SEG",
	DropSKBUcopyFault:         "SKB_UCOPY_FAULT",
	DropDevHdr:                "DEV_HDR",
	DropDevReady:              "DEV_READY",
	DropFullRing:              "FULL_RING",
	DropNoMem:                 "NOMEM",
	DropHdrTrunc:              "HDR_TRUNC",
	DropTapFilter:             "TAP_FILTER",
	DropTapTxFilter:           "TAP_TXFILTER",
	DropICMPCsum:              "ICMP_CSUM",
	DropInvalidProto:          "INVALID_PROTO",
	DropIPInAddrErrors:        "IP_INADDRERRORS",
	DropIPInNoRoutes:          "IP_INNOROUTES",
	DropIPLocalSource:         "IP_LOCAL_SOURCE",
	DropIPInvalidSource:       "IP_INVALID_SOURCE",
	DropIPLocalnet:            "IP_LOCALNET",
	DropIPInvalidDest:         "IP_INVALID_DEST",
	DropPktTooBig:             "PKT_TOO_BIG",
	DropDupFrag:               "DUP_FRAG",
	DropFragReasmTimeout:      "FRAG_REASM_TIMEOUT",
	DropFragTooFar:            "FRAG_TOO_FAR",
	DropTCPMinTTL:             "TCP_MINTTL",
	DropIPv6BadExtHdr:         "IPV6_BAD_EXTHDR",
	DropIPv6NdiscFrag:         "IPV6_NDISC_FRAG",
	DropIPv6NdiscHopLimit:     "IPV6_NDISC_HOP_LIMIT",
	DropIPv6NdiscBadCode:      "IPV6_NDISC_BAD_CODE",
	DropIPv6NdiscBadOptions:   "IPV6_NDISC_BAD_OPTIONS",
	DropIPv6NdiscNSOtherHost:  "IPV6_NDISC_NS_OTHERHOST",
	DropQueuePurge:            "QUEUE_PURGE",
	DropTCCookieError:         "TC_COOKIE_ERROR",
	DropPacketSockError:       "PACKET_SOCK_ERROR",
	DropTCChainNotFound:       "TC_CHAIN_NOTFOUND",
	DropTCReclassifyLoop:      "TC_RECLASSIFY_LOOP",
	DropVXLANInvalidHdr:       "VXLAN_INVALID_HDR",
	DropVXLANVNINotFound:      "VXLAN_VNI_NOT_FOUND",
	DropMACInvalidSource:      "MAC_INVALID_SOURCE",
	DropVXLANEntryExists:      "VXLAN_ENTRY_EXISTS",
	DropNoTxTarget:            "NO_TX_TARGET",
	DropIPTunnelECN:           "IP_TUNNEL_ECN",
	DropTunnelTxInfo:          "TUNNEL_TXINFO",
	DropLocalMAC:              "LOCAL_MAC",
	DropARPPvlanDisable:       "ARP_PVLAN_DISABLE",
	DropMACIEEEMACControl:     "MAC_IEEE_MAC_CONTROL",
	DropBridgeIngressSTPState: "BRIDGE_INGRESS_STP_STATE",
	DropCANRxInvalidFrame:     "CAN_RX_INVALID_FRAME",
	DropCANFDRxInvalidFrame:   "CANFD_RX_INVALID_FRAME",
	DropCANXLRxInvalidFrame:   "CANXL_RX_INVALID_FRAME",
	DropPFMemalloc:            "PFMEMALLOC",
	DropDualPI2StepDrop:       "DUALPI2_STEP_DROP",
	DropPSPInput:              "PSP_INPUT",
	DropPSPOutput:             "PSP_OUTPUT",
	DropRecursionLimit:        "RECURSION_LIMIT",
}
