package netns

// Observer is told of configuration changes, as Linux's netdevice and
// inetaddr notifier chains: NDP starts duplicate address detection on a
// new IPv6 address, IPv6 joins the solicited-node group, ARP announces.
// Calls happen on the goroutine that made the change, without the
// namespace's locks held.
type Observer interface {
	// LinkChanged reports an interface going up or down.
	LinkChanged(ifc *Interface, up bool)
	// AddressChanged reports an address added or removed.
	AddressChanged(ifc *Interface, a Address, added bool)
}

// AddObserver registers an observer.
func (ns *Namespace) AddObserver(o Observer) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.observers = append(ns.observers, o)
}

func (ns *Namespace) observerList() []Observer {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.observers
}

func (ns *Namespace) notifyLink(ifc *Interface, up bool) {
	for _, o := range ns.observerList() {
		o.LinkChanged(ifc, up)
	}
}

func (ns *Namespace) notifyAddress(ifc *Interface, a Address, added bool) {
	for _, o := range ns.observerList() {
		o.AddressChanged(ifc, a, added)
	}
}
