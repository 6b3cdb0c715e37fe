package inet

// Transparent reports IP_TRANSPARENT (or IPV6_TRANSPARENT): whether the
// socket may take connections and datagrams steered to it for addresses
// that are not local (nf_tproxy_sk_is_transparent). The packet path
// calls it without the socket lock.
func (sk *Sock) Transparent() bool { return sk.transparent.Load() }
