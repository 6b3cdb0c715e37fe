package netns

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/errno"
)

// Clock rates of the reference kernel. Time sysctls are stored in ticks,
// as Linux stores them in jiffies, so a value written in milliseconds
// reads back rounded up to the tick exactly as on the reference kernel
// (CONFIG_HZ=250: writing 1001 to retrans_time_ms reads back 1004).
const (
	hz     = 250 // CONFIG_HZ of the reference kernel
	userHZ = 100 // USER_HZ, the unit of clock_t (locktime, proxy_delay, ...)
	// unresQlenTruesize is SKB_TRUESIZE(ETH_FRAME_LEN) on x86-64, the
	// factor between neigh unres_qlen and unres_qlen_bytes.
	unresQlenTruesize = 2090
	// procMaxWrite is PAGE_SIZE-1: numeric handlers ignore input beyond it.
	procMaxWrite = 4095
)

// SysctlError reports a failed sysctl read or write. It unwraps to the
// errno Linux returns for the same write to /proc/sys, so
// errors.Is(err, errno.EINVAL) works.
type SysctlError struct {
	Name string      // the sysctl as given ("net.ipv4.tcp_sack")
	Err  errno.Errno // ENOENT (no such key), EINVAL (rejected value), EACCES (read-only), ...
}

// Error returns "sysctl NAME: MESSAGE".
func (e *SysctlError) Error() string { return "sysctl " + e.Name + ": " + e.Err.Error() }

// Unwrap returns the errno.
func (e *SysctlError) Unwrap() error { return e.Err }

// DeviceInfo describes a device to AddDeviceInfo: the properties Linux
// reads when it creates a device's conf and neigh tables.
type DeviceInfo struct {
	MTU      int  // dev->mtu: the IPv6 conf "mtu" and its upper bound; below 1280 the device has no IPv6 tables
	Loopback bool // IFF_LOOPBACK: disable_policy and disable_xfrm set, no DAD, no temporary addresses
	NoARP    bool // IFF_NOARP (a tun device): no DAD, no temporary addresses
}

// devTable is one conf or neigh table (all, default, or a device's).
type devTable struct {
	vals []atomic.Int64
	// set marks the slots written explicitly (the state bitmap of
	// ipv4_devconf and neigh_parms): a write to "default" is copied only
	// to devices whose slot is not marked. Guarded by Sysctls.mu.
	set []bool
	mtu int64 // the device's MTU; 0 for all/default
}

func newTable(sc sysctlScope) *devTable {
	n := scopeSlots[sc]
	return &devTable{vals: make([]atomic.Int64, n), set: make([]bool, n)}
}

func (t *devTable) clone() *devTable {
	c := &devTable{vals: make([]atomic.Int64, len(t.vals)), set: make([]bool, len(t.vals))}
	for i := range t.vals {
		c.vals[i].Store(t.vals[i].Load())
	}
	return c
}

// DeviceSysctls is a handle on one device's tables, for code that reads
// per-device sysctls on the packet path: resolve it once with
// (*Sysctls).Device, then Int is an index and an atomic load. The names
// "all" and "default" give handles on those tables.
type DeviceSysctls struct {
	name                         string
	conf4, conf6, neigh4, neigh6 *devTable // nil where the device has no such table
	loopback                     bool
	// stableSecret tells whether the device has an IPv6 stable_secret,
	// which addr_gen_mode 2 (stable privacy) needs. gosock does not expose
	// stable_secret; Linux draws a random one when a non-loopback device
	// with IPv6 enabled switches to addr_gen_mode 3 (ipv6_gen_mode_random_init).
	stableSecret bool
}

// Name returns the device's name.
func (d *DeviceSysctls) Name() string { return d.name }

func (d *DeviceSysctls) table(k Key) *devTable {
	if d == nil {
		return nil
	}
	switch specs[k].scope {
	case scopeConf4:
		return d.conf4
	case scopeConf6:
		return d.conf6
	case scopeNeigh4:
		return d.neigh4
	case scopeNeigh6:
		return d.neigh6
	}
	panic("netns: DeviceSysctls.Int of global sysctl " + specs[k].name)
}

// Lookup returns the value of a per-device key in /proc units, and false
// if the device has no such table (an IPv6 key of a device with an MTU
// below 1280, a neigh key of "all", a gc_* key of a device).
func (d *DeviceSysctls) Lookup(k Key) (int64, bool) {
	t := d.table(k)
	if t == nil || (specs[k].flags&fDefaultOnly != 0 && d.name != "default") {
		return 0, false
	}
	return userValue(&specs[k], t.vals[slotOf[k]].Load()), true
}

// Int returns the value of a per-device key in /proc units (0 if absent,
// see Lookup). It panics for a global key.
func (d *DeviceSysctls) Int(k Key) int64 {
	v, _ := d.Lookup(k)
	return v
}

// Duration returns a time-valued per-device key (retrans_time_ms,
// router_solicitation_interval, ...) as a duration, from its stored ticks.
func (d *DeviceSysctls) Duration(k Key) time.Duration {
	t := d.table(k)
	if t == nil {
		return 0
	}
	return duration(&specs[k], t.vals[slotOf[k]].Load())
}

// Sysctls is a namespace's sysctl table, its /proc/sys/net: the keys of
// net.core, net.ipv4 and net.ipv6 with Linux 6.18's defaults for a fresh
// namespace and the validation of Linux's proc handlers. Reads through a
// Key (Int, Vec, Duration, String) are lock-free; writes are serialized.
// A Sysctls is safe for concurrent use.
type Sysctls struct {
	mu sync.Mutex // serializes writers, as the rtnl lock and the sysctl handlers do

	g []atomic.Int64 // global slots

	congestion atomic.Pointer[string]   // tcp_congestion_control
	allowed    atomic.Pointer[[]string] // tcp_allowed_congestion_control, in list order
	tfoKey     atomic.Pointer[string]   // tcp_fastopen_key as printed
	tfoKeyInit *string                  // its value until the first write

	all, dflt *DeviceSysctls                            // the "all" and "default" tables
	devs      atomic.Pointer[map[string]*DeviceSysctls] // copy-on-write under mu
}

// slotOf is each key's index in its table; scopeSlots the tables' sizes.
var (
	slotOf     [numKeys]int
	scopeSlots [5]int
	nameIndex  = map[string]Key{} // global names
	leafIndex  [5]map[string]Key  // per-device leaves, by scope
	scopeRoots = [5]string{"", "net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh."}
)

func init() {
	for sc := range leafIndex {
		leafIndex[sc] = map[string]Key{}
	}
	for k := range numKeys {
		sp := &specs[k]
		if sp.scope == scopeGlobal {
			nameIndex[sp.name] = k
		} else {
			leafIndex[sp.scope][sp.name] = k
		}
		if sp.hasAlias {
			continue
		}
		switch sp.h {
		case hCongestion, hCongAllowed, hCongAvail, hFastopenKey:
			slotOf[k] = -1
			continue
		}
		slotOf[k] = scopeSlots[sp.scope]
		if sp.n == 3 {
			scopeSlots[sp.scope] += 3
		} else {
			scopeSlots[sp.scope]++ // scalars, and the two ranges packed in one word
		}
	}
	for k := range numKeys {
		if sp := &specs[k]; sp.hasAlias {
			slotOf[k] = slotOf[sp.alias]
		}
	}
}

// NewSysctls returns a table with Linux 6.18's defaults for a fresh
// network namespace, with the "all" and "default" device tables and no
// device: AddDevice adds each device (lo included) as it is registered.
func NewSysctls() *Sysctls {
	s := &Sysctls{g: make([]atomic.Int64, scopeSlots[scopeGlobal])}
	s.all = &DeviceSysctls{name: "all", conf4: newTable(scopeConf4), conf6: newTable(scopeConf6)}
	s.dflt = &DeviceSysctls{name: "default", conf4: newTable(scopeConf4), conf6: newTable(scopeConf6),
		neigh4: newTable(scopeNeigh4), neigh6: newTable(scopeNeigh6)}
	for k := range numKeys {
		sp := &specs[k]
		if sp.hasAlias || slotOf[k] < 0 {
			continue
		}
		switch sp.scope {
		case scopeGlobal:
			s.storeDefault(s.g, k)
		case scopeConf4, scopeConf6:
			s.storeDefault(s.all.table(k).vals, k)
			s.storeDefault(s.dflt.table(k).vals, k)
		default:
			s.storeDefault(s.dflt.table(k).vals, k)
		}
	}
	// The "all" tables differ from "default" in two keys (devinet.c's
	// ipv4_devconf vs ipv4_devconf_dflt; addrconf.c's ipv6_devconf vs
	// ipv6_devconf_dflt).
	s.all.conf4.vals[slotOf[Conf4AcceptSourceRoute]].Store(0)
	s.all.conf6.vals[slotOf[Conf6AcceptDAD]].Store(0)
	cc := defaultCongestion
	s.congestion.Store(&cc)
	// Linux's allowed list is reno (built in, non-restricted) plus the
	// default, which tcp_set_default_congestion_control marks allowed.
	allowed := []string{"reno", defaultCongestion}
	s.allowed.Store(&allowed)
	key := "00000000-00000000-00000000-00000000"
	s.tfoKey.Store(&key)
	s.tfoKeyInit = &key
	empty := map[string]*DeviceSysctls{}
	s.devs.Store(&empty)
	return s
}

// storeDefault converts a key's /proc-unit default into its stored form.
func (s *Sysctls) storeDefault(vals []atomic.Int64, k Key) {
	sp := &specs[k]
	switch sp.h {
	case hPortRange, hGIDRange:
		vals[slotOf[k]].Store(packRange(sp.def[0], sp.def[1]))
		return
	}
	n := max(int(sp.n), 1)
	for i := range n {
		raw, ok := convert(sp, uint64(abs64(sp.def[i])), sp.def[i] < 0)
		if !ok {
			panic("netns: bad sysctl default for " + sp.name)
		}
		vals[slotOf[k]+i].Store(raw)
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func packRange(lo, hi int64) int64       { return int64(uint64(uint32(lo)) | uint64(uint32(hi))<<32) }
func unpackRange(v int64) (int64, int64) { return int64(uint32(v)), int64(uint32(uint64(v) >> 32)) }

// ---- typed, lock-free reads ----

// Int returns the value of a global scalar key as /proc shows it (seconds
// for tcp_fin_timeout, milliseconds for icmp_ratelimit, the first element
// of a vector). Unsigned keys above MaxInt64 (none by default) wrap. It
// panics for a per-device key: use Device or DevInt.
func (s *Sysctls) Int(k Key) int64 {
	sp := &specs[k]
	if k == IPForward {
		return s.all.conf4.vals[slotOf[Conf4Forwarding]].Load()
	}
	if sp.scope != scopeGlobal {
		panic("netns: Sysctls.Int of per-device sysctl " + sp.name)
	}
	if slotOf[k] < 0 {
		return 0
	}
	raw := s.g[slotOf[k]].Load()
	if sp.h == hPortRange || sp.h == hGIDRange {
		lo, _ := unpackRange(raw)
		return lo
	}
	return userValue(sp, raw)
}

// Vec returns a vector key's elements (tcp_rmem, tcp_wmem, tcp_mem,
// udp_mem: three; ip_local_port_range, ping_group_range: two, read as one
// consistent pair). A scalar key returns its value in element 0.
func (s *Sysctls) Vec(k Key) [3]int64 {
	sp := &specs[k]
	switch {
	case sp.h == hPortRange || sp.h == hGIDRange:
		lo, hi := unpackRange(s.g[slotOf[k]].Load())
		return [3]int64{lo, hi}
	case sp.n == 3:
		i := slotOf[k]
		return [3]int64{s.g[i].Load(), s.g[i+1].Load(), s.g[i+2].Load()}
	}
	return [3]int64{s.Int(k)}
}

// Duration returns a time-valued global key as a duration: tick-based
// keys (tcp_fin_timeout, icmp_ratelimit, ...) from their stored ticks,
// the others from their unit (tcp_rto_min_us, tcp_comp_sack_delay_ns, ...).
// Keys without a time unit return 0.
func (s *Sysctls) Duration(k Key) time.Duration {
	sp := &specs[k]
	if sp.scope != scopeGlobal || slotOf[k] < 0 || k == IPForward {
		return 0
	}
	return duration(sp, s.g[slotOf[k]].Load())
}

func duration(sp *spec, raw int64) time.Duration {
	switch sp.unit {
	case unitTicks:
		return time.Duration(int32(raw)) * (time.Second / hz)
	case unitSec:
		return time.Duration(raw) * time.Second
	case unitMs:
		return time.Duration(raw) * time.Millisecond
	case unitUs:
		return time.Duration(raw) * time.Microsecond
	case unitNs:
		if uint64(raw) > math.MaxInt64 {
			return math.MaxInt64
		}
		return time.Duration(raw)
	}
	return 0
}

// String returns a key's value formatted as /proc prints it (without the
// newline): "4096\t131072\t33554432" for tcp_rmem, "cubic" for
// tcp_congestion_control. For a per-device key it formats "default".
func (s *Sysctls) String(k Key) string {
	if specs[k].scope != scopeGlobal {
		return s.format(k, s.dflt.table(k))
	}
	if k == IPForward {
		return s.format(Conf4Forwarding, s.all.conf4)
	}
	return s.format(k, nil)
}

// CongestionControl returns tcp_congestion_control, the default algorithm
// of new TCP sockets.
func (s *Sysctls) CongestionControl() string { return *s.congestion.Load() }

// CongestionAllowed reports whether unprivileged sockets may select name
// with TCP_CONGESTION (it is in tcp_allowed_congestion_control).
func (s *Sysctls) CongestionAllowed(name string) bool {
	return slices.Contains(*s.allowed.Load(), name)
}

// CongestionAvailable reports whether gosock implements name.
func CongestionAvailable(name string) bool { return slices.Contains(congestionAvailable, name) }

// Device returns the handle on a device's tables, or nil if there is no
// such device. "all" and "default" name those tables.
func (s *Sysctls) Device(name string) *DeviceSysctls {
	switch name {
	case "all":
		return s.all
	case "default":
		return s.dflt
	}
	return (*s.devs.Load())[name]
}

// DevInt returns a per-device key of device dev ("all", "default" or a
// device name) in /proc units, and false if there is no such value.
func (s *Sysctls) DevInt(dev string, k Key) (int64, bool) {
	d := s.Device(dev)
	if d == nil {
		return 0, false
	}
	return d.Lookup(k)
}

// DevInt4 returns net.ipv4.conf.DEV.LEAF by name, 0 if absent. It is for
// slow paths; hot paths resolve a Key and a DeviceSysctls once.
func (s *Sysctls) DevInt4(dev, leaf string) int64 { return s.devLeaf(scopeConf4, dev, leaf) }

// DevInt6 returns net.ipv6.conf.DEV.LEAF by name, 0 if absent.
func (s *Sysctls) DevInt6(dev, leaf string) int64 { return s.devLeaf(scopeConf6, dev, leaf) }

// NeighInt returns net.ipv{version}.neigh.DEV.LEAF by name (version 4 or
// 6; dev "default" for the table defaults and gc_thresh*), 0 if absent.
func (s *Sysctls) NeighInt(version int, dev, leaf string) int64 {
	if version == 6 {
		return s.devLeaf(scopeNeigh6, dev, leaf)
	}
	return s.devLeaf(scopeNeigh4, dev, leaf)
}

func (s *Sysctls) devLeaf(sc sysctlScope, dev, leaf string) int64 {
	k, ok := leafIndex[sc][leaf]
	if !ok {
		return 0
	}
	v, _ := s.DevInt(dev, k)
	return v
}

// IntByName returns the numeric value of any scalar sysctl by its full
// name (the first element of a vector), in /proc units.
func (s *Sysctls) IntByName(name string) (int64, error) {
	r, e := s.resolve(name)
	if e != 0 {
		return 0, &SysctlError{Name: name, Err: e}
	}
	if r.tab == nil {
		if slotOf[r.k] < 0 {
			return 0, &SysctlError{Name: name, Err: errno.EINVAL}
		}
		return s.Int(r.k), nil
	}
	return userValue(&specs[r.k], r.tab.vals[slotOf[r.k]].Load()), nil
}

// Conf4Effective returns the value IPv4 acts on for device dev, combining
// conf/all and conf/DEV as the IN_DEV_* macros of include/linux/inetdevice.h
// do: "or" keys (accept_local, log_martians, proxy_arp, send_redirects,
// ...) are on if either is, "and" keys (accept_source_route, bootp_relay,
// bc_forwarding, arp_evict_nocarrier, mc_forwarding) only if both are,
// "max" keys (rp_filter, arp_ignore, arp_announce, arp_accept,
// arp_notify) take the larger, accept_redirects follows
// IN_DEV_RX_REDIRECTS, force_igmp_version prefers all, and the rest
// (forwarding, tag, medium_id, disable_policy, ...) are the device's own.
func (s *Sysctls) Conf4Effective(dev string, k Key) int64 {
	d := s.Device(dev)
	if d == nil || d.conf4 == nil || specs[k].scope != scopeConf4 {
		return 0
	}
	devv := d.conf4.vals[slotOf[k]].Load()
	allv := s.all.conf4.vals[slotOf[k]].Load()
	b := func(x bool) int64 {
		if x {
			return 1
		}
		return 0
	}
	switch k {
	case Conf4AcceptLocal, Conf4SrcValidMark, Conf4LogMartians, Conf4ProxyARP, Conf4ProxyARPPvlan,
		Conf4SharedMedia, Conf4SendRedirects, Conf4SecureRedirects, Conf4PromoteSecondaries,
		Conf4RouteLocalnet, Conf4IgnoreRoutesWithLinkdown, Conf4ARPFilter, Conf4DropGratuitousARP,
		Conf4DropUnicastInL2Multicast:
		return b(allv != 0 || devv != 0)
	case Conf4AcceptSourceRoute, Conf4BootpRelay, Conf4BCForwarding, Conf4ARPEvictNocarrier, Conf4McForwarding:
		return b(allv != 0 && devv != 0)
	case Conf4RPFilter, Conf4ARPAccept, Conf4ARPAnnounce, Conf4ARPIgnore, Conf4ARPNotify:
		return max(allv, devv)
	case Conf4AcceptRedirects:
		fwd := d.conf4.vals[slotOf[Conf4Forwarding]].Load() != 0
		if fwd {
			return b(allv != 0 && devv != 0)
		}
		return b(allv != 0 || devv != 0)
	case Conf4ForceIGMPVersion:
		if allv != 0 {
			return allv
		}
	}
	return devv
}

// ---- devices ----

// AddDevice creates the per-device tables of an Ethernet-like device with
// a 1500-byte MTU, copying the "default" tables as Linux does when a
// device registers (inetdev_init, ipv6_add_dev, neigh_parms_alloc).
func (s *Sysctls) AddDevice(name string) error {
	return s.AddDeviceInfo(name, DeviceInfo{MTU: 1500})
}

// AddDeviceInfo is AddDevice for a device with the given properties; lo
// is AddDeviceInfo("lo", DeviceInfo{MTU: 65536, Loopback: true}).
// It fails with EEXIST for a name in use and EINVAL for "all", "default"
// or a name that cannot be a device ("", containing '/').
func (s *Sysctls) AddDeviceInfo(name string, info DeviceInfo) error {
	if name == "" || name == "all" || name == "default" || strings.ContainsAny(name, "/ \t\n") {
		return &SysctlError{Name: name, Err: errno.EINVAL}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.devs.Load()
	if _, ok := old[name]; ok {
		return &SysctlError{Name: name, Err: errno.EEXIST}
	}
	d := &DeviceSysctls{name: name, conf4: s.dflt.conf4.clone(), neigh4: s.dflt.neigh4.clone(), loopback: info.Loopback}
	if info.Loopback {
		d.conf4.vals[slotOf[Conf4DisablePolicy]].Store(1)
		d.conf4.vals[slotOf[Conf4DisableXfrm]].Store(1)
	}
	s.addIPv6(d, info)
	m := make(map[string]*DeviceSysctls, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = d
	s.devs.Store(&m)
	return nil
}

// addIPv6 creates a device's IPv6 tables, which Linux has only for
// devices with an MTU of at least IPV6_MIN_MTU.
func (s *Sysctls) addIPv6(d *DeviceSysctls, info DeviceInfo) {
	if info.MTU < 1280 {
		d.conf6, d.neigh6 = nil, nil
		return
	}
	c6 := s.dflt.conf6.clone()
	c6.mtu = int64(info.MTU)
	c6.vals[slotOf[Conf6MTU]].Store(int64(info.MTU))
	if info.Loopback || info.NoARP {
		c6.vals[slotOf[Conf6AcceptDAD]].Store(-1)
		c6.vals[slotOf[Conf6UseTempaddr]].Store(-1)
	}
	d.conf6, d.neigh6 = c6, s.dflt.neigh6.clone()
}

// SetDeviceMTU follows a device's MTU change: the IPv6 "mtu" becomes the
// new MTU and its bound (addrconf_notify, NETDEV_CHANGEMTU); below 1280
// the device loses its IPv6 tables, and gets fresh ones from "default"
// when the MTU comes back.
func (s *Sysctls) SetDeviceMTU(name string, mtu int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.devs.Load()
	d, ok := old[name]
	if !ok {
		return &SysctlError{Name: name, Err: errno.ENODEV}
	}
	nd := *d
	switch {
	case mtu < 1280:
		nd.conf6, nd.neigh6 = nil, nil
	case d.conf6 == nil:
		s.addIPv6(&nd, DeviceInfo{MTU: mtu})
	default:
		d.conf6.mtu = int64(mtu)
		d.conf6.vals[slotOf[Conf6MTU]].Store(int64(mtu))
		return nil
	}
	m := make(map[string]*DeviceSysctls, len(old))
	for k, v := range old {
		m[k] = v
	}
	m[name] = &nd
	s.devs.Store(&m)
	return nil
}

// RemoveDevice drops a device's tables (unregister_netdevice). It fails
// with ENODEV if there is no such device.
func (s *Sysctls) RemoveDevice(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.devs.Load()
	if _, ok := old[name]; !ok {
		return &SysctlError{Name: name, Err: errno.ENODEV}
	}
	m := make(map[string]*DeviceSysctls, len(old))
	for k, v := range old {
		if k != name {
			m[k] = v
		}
	}
	s.devs.Store(&m)
	return nil
}

// ---- names ----

type ref struct {
	k   Key
	dev *DeviceSysctls
	tab *devTable // nil for a global key
}

// resolve maps a name to a key and, for per-device keys, the table. It
// accepts sysctl(8)'s dotted form and the /proc/sys path form
// ("net/ipv4/conf/eth0.100/rp_filter"); device names may contain dots.
func (s *Sysctls) resolve(name string) (ref, errno.Errno) {
	n := name
	if strings.Contains(n, "/") {
		n = strings.ReplaceAll(strings.Trim(n, "/"), "/", ".")
	}
	if k, ok := nameIndex[n]; ok {
		if specs[k].hasAlias && k == IPForward {
			return ref{k: Conf4Forwarding, dev: s.all, tab: s.all.conf4}, 0
		}
		return ref{k: k}, 0
	}
	for sc := scopeConf4; sc <= scopeNeigh6; sc++ {
		rest, ok := strings.CutPrefix(n, scopeRoots[sc])
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, '.')
		if i <= 0 {
			return ref{}, errno.ENOENT
		}
		devName, leaf := rest[:i], rest[i+1:]
		k, ok := leafIndex[sc][leaf]
		if !ok {
			return ref{}, errno.ENOENT
		}
		if devName == "all" && (sc == scopeNeigh4 || sc == scopeNeigh6) {
			return ref{}, errno.ENOENT
		}
		d := s.Device(devName)
		if d == nil {
			return ref{}, errno.ENOENT
		}
		if specs[k].flags&fDefaultOnly != 0 && d != s.dflt {
			return ref{}, errno.ENOENT
		}
		t := d.table(k)
		if t == nil {
			return ref{}, errno.ENOENT
		}
		return ref{k: k, dev: d, tab: t}, 0
	}
	return ref{}, errno.ENOENT
}

// Get returns a sysctl formatted exactly as reading its /proc/sys file
// does, without the trailing newline: vectors tab-separated
// ("4096\t131072\t33554432"), ranges "32768\t60999". An unknown name
// fails with ENOENT.
func (s *Sysctls) Get(name string) (string, error) {
	r, e := s.resolve(name)
	if e != 0 {
		return "", &SysctlError{Name: name, Err: e}
	}
	return s.format(r.k, r.tab), nil
}

// format prints a key from table t (nil: the global table).
func (s *Sysctls) format(k Key, t *devTable) string {
	sp := &specs[k]
	switch sp.h {
	case hCongestion:
		return *s.congestion.Load()
	case hCongAllowed:
		return strings.Join(s.allowedOrdered(), " ")
	case hCongAvail:
		return strings.Join(congestionAvailable, " ")
	case hFastopenKey:
		return *s.tfoKey.Load()
	}
	vals := s.g
	if t != nil {
		vals = t.vals
	}
	raw := vals[slotOf[k]].Load()
	switch {
	case sp.h == hPortRange || sp.h == hGIDRange:
		lo, hi := unpackRange(raw)
		return strconv.FormatInt(lo, 10) + "\t" + strconv.FormatInt(hi, 10)
	case sp.n == 3:
		var b strings.Builder
		for i := range 3 {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(formatRaw(sp, vals[slotOf[k]+i].Load()))
		}
		return b.String()
	}
	return formatRaw(sp, raw)
}

// allowedOrdered lists the allowed algorithms in registration order, as
// tcp_get_allowed_congestion_control walks tcp_cong_list.
func (s *Sysctls) allowedOrdered() []string {
	al := *s.allowed.Load()
	var out []string
	for _, n := range congestionAvailable {
		if slices.Contains(al, n) {
			out = append(out, n)
		}
	}
	return out
}

// Walk calls fn for every sysctl in the order `sysctl -a` prints them
// (each /proc/sys directory sorted by name), values formatted as Get.
func (s *Sysctls) Walk(fn func(name, value string)) {
	type entry struct {
		comps []string
		name  string
		k     Key
		tab   *devTable
	}
	var es []entry
	for k := range numKeys {
		sp := &specs[k]
		if sp.scope != scopeGlobal || sp.flags&fHidden != 0 {
			continue
		}
		var t *devTable
		kk := k
		if k == IPForward {
			kk, t = Conf4Forwarding, s.all.conf4
		}
		es = append(es, entry{strings.Split(sp.name, "."), sp.name, kk, t})
	}
	devs := []*DeviceSysctls{s.all, s.dflt}
	for _, d := range *s.devs.Load() {
		devs = append(devs, d)
	}
	for _, d := range devs {
		for k := numGlobalKeys; k < numKeys; k++ {
			sp := &specs[k]
			if sp.flags&fHidden != 0 || (sp.flags&fDefaultOnly != 0 && d != s.dflt) {
				continue
			}
			t := d.table(k)
			if t == nil {
				continue
			}
			root := scopeRoots[sp.scope]
			comps := append(strings.Split(strings.TrimSuffix(root, "."), "."), d.name, sp.name)
			es = append(es, entry{comps, root + d.name + "." + sp.name, k, t})
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return slices.Compare(a.comps, b.comps) })
	for _, e := range es {
		fn(e.name, s.format(e.k, e.tab))
	}
}

// FastopenKeyWritten reports whether net.ipv4.tcp_fastopen_key was ever
// written, which is whether Linux's per-namespace Fast Open context
// exists: before that its zeros mean no key yet (TCP makes a random one
// on first use, as tcp_fastopen_init_key_once), after it they are a key.
func (s *Sysctls) FastopenKeyWritten() bool { return s.tfoKey.Load() != s.tfoKeyInit }

// Set writes a sysctl as writing value to its /proc/sys file does, with
// the same accepted forms and errors: numbers in C notation (decimal,
// 0x hex, leading-0 octal), vectors separated by any whitespace, leading
// whitespace and a trailing newline; only the first value of a scalar is
// used. Errors are *SysctlError: ENOENT for an unknown key, EACCES for a
// read-only one, EINVAL for a rejected value (ENOENT for an unknown
// congestion-control algorithm). An empty value changes nothing. As in Linux, a
// vector write that fails part-way keeps the elements before the bad one.
func (s *Sysctls) Set(name, value string) error {
	r, e := s.resolve(name)
	if e == 0 && specs[r.k].flags&fRO != 0 {
		e = errno.EACCES
	}
	if e == 0 && value != "" {
		s.mu.Lock()
		e = s.write(r, value)
		s.mu.Unlock()
	}
	if e != 0 {
		return &SysctlError{Name: name, Err: e}
	}
	return nil
}
