// Package netns is a network namespace: the world one gosock stack lives
// in, as Linux's struct net.
//
// A Namespace owns its interfaces (each a link.Device with addresses and
// an administrative up/down state), its routing tables, its neighbour
// caches, its sysctl table (Linux's names and defaults), its MIB counters,
// its clock, and the registries through which the layers above plug in:
// network protocols by EtherType (Linux's ptype lists), transport
// protocols by IP protocol number (inet_protos / inet6_protos) and socket
// families by number (net_families). netns imports none of those layers;
// they import netns and register themselves, so dependencies point down.
//
// Frames arrive on a device's receive goroutine, enter Namespace.Receive,
// and are processed to completion there (Linux's softirq): link header,
// network protocol, transport protocol, socket queue. Output goes the
// other way through Route, the neighbour cache and Interface.Transmit.
//
// Lock order: Namespace.mu, then Interface.mu, then a neighbour entry's
// lock. Packet paths take none of the namespace-wide locks: routes and
// address lists are immutable snapshots read through atomic pointers and
// replaced whole under Namespace.mu on configuration changes.
package netns
