package inet

// PMTUDiscMode returns the socket's path-MTU discovery mode for traffic
// of one family: IP_MTU_DISCOVER for IPv4 (v4-mapped peers included),
// IPV6_MTU_DISCOVER for IPv6. The abi.IP_PMTUDISC_* and
// abi.IPV6_PMTUDISC_* values are the same numbers. TCP reads it to set
// DF and to decide whether fragmentation-needed lowers its MSS.
func (sk *Sock) PMTUDiscMode(v6 bool) int {
	if v6 {
		return int(sk.pmtuDisc6.Load())
	}
	return int(sk.pmtuDisc.Load())
}
