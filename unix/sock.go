package unix

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// Socket states, with Linux's TCP_* numbers as af_unix.c uses them.
const (
	stEstablished = 1
	stClose       = 7
	stListen      = 10
)

// Wakeup masks, as the sock callbacks pass them.
const (
	evIn  = waitq.EventIn | waitq.EventPri | waitq.EventRdNorm | waitq.EventRdBand // sk_data_ready
	evOut = waitq.EventOut | waitq.EventWrNorm | waitq.EventWrBand                 // sk_write_space
)

var sockIDs atomic.Uint64

// address is a bound name (struct unix_address): shared by a listener
// and the sockets it accepts.
type address struct {
	raw  []byte
	node *pathNode // the socket file, for a path name
}

// unixSock is an AF_UNIX socket (struct unix_sock). It is the ProtoOps
// of its socket.
//
// Locking: mu is the state lock (unix_state_lock); two are taken in id
// order. The name-table lock and waitMu are taken inside it, never
// around it. Fields read from other sockets without their lock (state,
// peer, addr, dead, qlen, backlog, wmem) are atomics written under mu,
// as Linux reads them with READ_ONCE. Wait queues are notified only
// with no lock held.
type unixSock struct {
	id  uint64
	st  *nsState
	sk  *socket.Sock
	typ int

	state   atomic.Int32
	peer    atomic.Pointer[unixSock]
	addr    atomic.Pointer[address]
	dead    atomic.Bool         // SOCK_DEAD: released
	qlen    atomic.Int32        // sk_receive_queue length (messages or pending connections)
	backlog atomic.Int32        // sk_max_ack_backlog
	wmem    atomic.Int64        // sk_wmem_alloc less its base reference
	peekOff atomic.Int32        // sk_peek_off (-1: off)
	oob     atomic.Pointer[skb] // the out-of-band byte's message (u->oob_skb), written with mu

	bindMu sync.Mutex // u->bindlock

	mu       sync.Mutex
	attached bool   // has its socket (an embryo gets it at accept)
	rq       []*skb // receive queue
	inq      int    // unread bytes of a stream's queue
	acceptQ  []*unixSock

	waitMu sync.Mutex
	// peerWaiters are the sockets waiting for room in this one's queue
	// (u->peer_wait with the peer_wake relays): woken for writing when
	// it shrinks, once.
	peerWaiters map[*unixSock]struct{}
}

func newSock(st *nsState, sk *socket.Sock, typ int) *unixSock {
	u := &unixSock{id: sockIDs.Add(1), st: st, sk: sk, typ: typ, attached: true}
	u.state.Store(stClose)
	u.backlog.Store(st.maxDgramQlen.Load())
	u.peekOff.Store(-1)
	// Linux reports pid 0, uid and gid -1 for a socket with no peer
	// credentials (cred_to_ucred without a cred); say so explicitly, as
	// the generic layer's fallback differs.
	sk.SetPeerCred(socket.Creds{PID: 0, UID: -1, GID: -1})
	return u
}

// lockTwo takes two state locks in id order (unix_state_double_lock).
func lockTwo(a, b *unixSock) {
	switch {
	case a == b:
		a.mu.Lock()
	case a.id < b.id:
		a.mu.Lock()
		b.mu.Lock()
	default:
		b.mu.Lock()
		a.mu.Lock()
	}
}

func unlockTwo(a, b *unixSock) {
	a.mu.Unlock()
	if a != b {
		b.mu.Unlock()
	}
}

// passcred is unix_may_passcred: SO_PASSCRED or SO_PASSPIDFD.
func (u *unixSock) passcred() bool {
	return u.sk.Flag(abi.SO_PASSCRED) || u.sk.Flag(abi.SO_PASSPIDFD)
}

// recvqFull is unix_recvq_full_lockless.
func (u *unixSock) recvqFull() bool { return u.qlen.Load() > u.backlog.Load() }

// writable is unix_writable: not listening, and the queued truesize
// (with sk_wmem_alloc's base reference) at most a quarter of SO_SNDBUF.
func (u *unixSock) writable() bool {
	return u.state.Load() != stListen && (u.wmem.Load()+1)<<2 <= int64(u.sk.SndBuf())
}

// writeSpace is unix_write_space.
func (u *unixSock) writeSpace() {
	if u.writable() {
		u.sk.Wait.Notify(evOut)
	}
}

// addPeerWaiter registers w to be woken when u's queue shrinks.
func (u *unixSock) addPeerWaiter(w *unixSock) {
	u.waitMu.Lock()
	defer u.waitMu.Unlock()
	if u.peerWaiters == nil {
		u.peerWaiters = make(map[*unixSock]struct{})
	}
	u.peerWaiters[w] = struct{}{}
}

func (u *unixSock) removePeerWaiter(w *unixSock) {
	u.waitMu.Lock()
	defer u.waitMu.Unlock()
	delete(u.peerWaiters, w)
}

// wakePeerWaiters relays a wakeup to every socket waiting for room in
// u's queue, and forgets them.
func (u *unixSock) wakePeerWaiters() {
	u.waitMu.Lock()
	ws := u.peerWaiters
	u.peerWaiters = nil
	u.waitMu.Unlock()
	for w := range ws {
		w.sk.Wait.Notify(evOut)
	}
}

// after collects what a call does once its locks are dropped: wakeups
// and references to release.
type after struct {
	freed    []*unixSock // senders whose queued messages were freed
	release  []socket.PassedFile
	dataIn   []*unixSock
	changed  []*unixSock
	peerWake []*unixSock
	errs     []sockErr
}

type sockErr struct {
	u *unixSock
	e errno.Errno
}

// free drops a dequeued message: the sender gets its truesize back at
// once; its write-space wakeup and the release of files the message
// still carries wait for run.
func (a *after) free(b *skb) {
	if b.from != nil {
		b.from.wmem.Add(-int64(b.truesize))
		a.freed = append(a.freed, b.from)
	}
	a.release = append(a.release, b.rights...)
	b.rights = nil
}

func (a *after) run() {
	for _, e := range a.errs {
		e.u.sk.SetError(e.e)
	}
	for _, u := range a.changed {
		u.sk.Wait.Notify(waitq.EventAll)
	}
	for _, u := range a.dataIn {
		u.sk.Wait.Notify(evIn)
	}
	for _, u := range a.peerWake {
		u.wakePeerWaiters()
	}
	for i, u := range a.freed {
		if i > 0 && a.freed[i-1] == u {
			continue
		}
		u.writeSpace()
	}
	for _, f := range a.release {
		f.Release()
	}
}

// Bind is unix_bind: only the family (length 2) autobinds, or does
// nothing on a bound socket; other names are checked (EINVAL), then a
// path is created (EADDRINUSE if it exists) before an earlier binding
// is found (EINVAL), while an abstract name checks the binding first.
func (u *unixSock) Bind(b []byte) errno.Errno {
	if len(b) == sunPathOffset && binary.LittleEndian.Uint16(b) == abi.AF_UNIX {
		return u.autobind()
	}
	n, e := parseName(b)
	if e != 0 {
		return e
	}
	u.bindMu.Lock()
	defer u.bindMu.Unlock()
	st := u.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if n.path != "" {
		if _, ok := st.paths[n.path]; ok {
			return errno.EADDRINUSE
		}
		if u.addr.Load() != nil {
			return errno.EINVAL
		}
		node := &pathNode{sock: u}
		st.paths[n.path] = node
		u.addr.Store(&address{raw: n.raw, node: node})
		return 0
	}
	if u.addr.Load() != nil {
		return errno.EINVAL
	}
	k := n.key(u.typ)
	if st.abstract[k] != nil {
		return errno.EADDRINUSE
	}
	st.abstract[k] = u
	u.addr.Store(&address{raw: n.raw})
	return 0
}

// autobind is unix_autobind: a free abstract name of five hex digits,
// probed from a random start; ENOSPC when all 2^20 are taken.
func (u *unixSock) autobind() errno.Errno {
	u.bindMu.Lock()
	defer u.bindMu.Unlock()
	if u.addr.Load() != nil {
		return 0
	}
	st := u.st
	st.mu.Lock()
	defer st.mu.Unlock()
	order := uint32(st.ns.Rand()) & 0xfffff
	last := order
	for {
		order = (order + 1) & 0xfffff
		raw := make([]byte, sunPathOffset+6)
		binary.LittleEndian.PutUint16(raw, abi.AF_UNIX)
		copy(raw[sunPathOffset+1:], fmt.Sprintf("%05x", order))
		k := nameKey{typ: u.typ, name: string(raw[sunPathOffset:])}
		if st.abstract[k] == nil {
			st.abstract[k] = u
			u.addr.Store(&address{raw: raw})
			return 0
		}
		if order == last {
			return errno.ENOSPC
		}
	}
}

// Getname is unix_getname: an unbound socket reports just the family
// (length 2); the peer of an unconnected one is ENOTCONN.
func (u *unixSock) Getname(buf []byte, peer bool) (int, errno.Errno) {
	s := u
	if peer {
		s = u.peer.Load()
		if s == nil {
			return 0, errno.ENOTCONN
		}
	}
	return putAddr(buf, s.addr.Load()), 0
}

// putAddr writes a (or the bare family) into buf and returns the full
// length.
func putAddr(buf []byte, a *address) int {
	if a == nil {
		var fam [sunPathOffset]byte
		binary.LittleEndian.PutUint16(fam[:], abi.AF_UNIX)
		copy(buf, fam[:])
		return sunPathOffset
	}
	copy(buf, a.raw)
	return len(a.raw)
}

// setMsgName copies the sender's address into a receive's name buffer
// (unix_copy_addr): nothing, and a length of 0, for an unbound sender.
func setMsgName(m *socket.Msg, from *unixSock) {
	if m.Name == nil {
		return
	}
	m.NameLen = 0
	if from == nil {
		return
	}
	if a := from.addr.Load(); a != nil {
		m.NameLen = putAddr(m.Name[:cap(m.Name)], a)
	}
}

// Poll is unix_poll for streams and unix_dgram_poll for datagram and
// seqpacket sockets.
func (u *unixSock) Poll() waitq.Events {
	var ev waitq.Events
	sh := u.sk.Shutdown()
	state := u.state.Load()
	if u.sk.PendingError() != 0 {
		ev |= waitq.EventErr
	}
	if sh == socket.RcvShutdown|socket.SendShutdown {
		ev |= waitq.EventHUp
	}
	if sh&socket.RcvShutdown != 0 {
		ev |= waitq.EventRdHUp | waitq.EventIn | waitq.EventRdNorm
	}
	if u.qlen.Load() > 0 {
		ev |= waitq.EventIn | waitq.EventRdNorm
	}
	if u.oob.Load() != nil {
		ev |= waitq.EventPri
	}
	if (u.typ == abi.SOCK_STREAM || u.typ == abi.SOCK_SEQPACKET) && state == stClose {
		ev |= waitq.EventHUp
	}
	w := u.writable()
	if w && u.typ != abi.SOCK_STREAM {
		// A datagram socket connected to a peer that is not connected
		// back and whose queue is full is not writable; it asks to be
		// woken when that queue shrinks (unix_dgram_peer_wake_me).
		if other := u.peer.Load(); other != nil && other.peer.Load() != u && other.recvqFull() {
			other.addPeerWaiter(u)
			if other.recvqFull() && !other.dead.Load() {
				w = false
			} else {
				other.removePeerWaiter(u)
			}
		}
	}
	if w {
		ev |= evOut
	}
	return ev
}

// Shutdown is unix_shutdown: no ENOTCONN; a stream or seqpacket peer
// gets the mirror bits (our SHUT_WR is its end of input).
func (u *unixSock) Shutdown(how int) errno.Errno {
	if how < abi.SHUT_RD || how > abi.SHUT_RDWR {
		return errno.EINVAL
	}
	mode := how + 1 // SHUT_RD → RcvShutdown, SHUT_WR → SendShutdown
	u.mu.Lock()
	u.sk.SetShutdown(mode)
	other := u.peer.Load()
	u.mu.Unlock()
	u.sk.Wait.Notify(waitq.EventAll)
	u.wakePeerWaiters()
	if other == nil || u.typ == abi.SOCK_DGRAM {
		return 0
	}
	peerMode := 0
	if mode&socket.RcvShutdown != 0 {
		peerMode |= socket.SendShutdown
	}
	if mode&socket.SendShutdown != 0 {
		peerMode |= socket.RcvShutdown
	}
	other.mu.Lock()
	other.sk.SetShutdown(peerMode)
	other.mu.Unlock()
	other.sk.Wait.Notify(waitq.EventAll)
	other.wakePeerWaiters()
	return 0
}

// Release is unix_release_sock.
func (u *unixSock) Release() { u.release(false) }

func (u *unixSock) release(embryo bool) {
	u.st.unhash(u, u.addr.Load())
	var a after
	u.mu.Lock()
	u.dead.Store(true)
	u.sk.SetShutdown(socket.RcvShutdown | socket.SendShutdown)
	state := u.state.Load()
	u.state.Store(stClose)
	skpair := u.peer.Swap(nil)
	q, accq := u.rq, u.acceptQ
	u.rq, u.acceptQ, u.inq = nil, nil, 0
	u.qlen.Store(0)
	u.oob.Store(nil)
	u.mu.Unlock()
	// Unread data: the first message, or the next when the first is what
	// a read out-of-band byte left.
	unread := len(q) > 0 && (q[0].unread() > 0 || len(q) > 1)

	a.peerWake = append(a.peerWake, u)
	if skpair != nil {
		if u.typ != abi.SOCK_DGRAM {
			skpair.mu.Lock()
			skpair.sk.SetShutdown(socket.RcvShutdown | socket.SendShutdown)
			skpair.mu.Unlock()
			if unread || embryo {
				a.errs = append(a.errs, sockErr{skpair, errno.ECONNRESET})
			}
			a.changed = append(a.changed, skpair)
		}
		skpair.removePeerWaiter(u)
	}
	for _, b := range q {
		a.free(b)
	}
	a.run()
	if state == stListen {
		for _, e := range accq {
			e.release(true)
		}
	}
}

// GetSockopt handles SO_ACCEPTCONN and SO_PEEK_OFF; other levels are
// EOPNOTSUPP, as AF_UNIX has no getsockopt of its own.
func (u *unixSock) GetSockopt(level, name int, buf []byte) (int, errno.Errno) {
	if level != abi.SOL_SOCKET {
		return 0, errno.EOPNOTSUPP
	}
	var v int32
	switch name {
	case abi.SO_ACCEPTCONN:
		if u.state.Load() == stListen {
			v = 1
		}
	case abi.SO_PEEK_OFF:
		v = u.peekOff.Load()
	default:
		return 0, errno.ENOPROTOOPT
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return copy(buf, b[:]), 0
}

// SetSockopt takes SO_PEEK_OFF (sk_set_peek_off: any value, negative
// turning it off); other levels are EOPNOTSUPP (unix_setsockopt).
func (u *unixSock) SetSockopt(level, name int, val []byte) errno.Errno {
	if level != abi.SOL_SOCKET {
		return errno.EOPNOTSUPP
	}
	if name == abi.SO_PEEK_OFF {
		if len(val) < 4 {
			return errno.EINVAL
		}
		u.mu.Lock()
		u.peekOff.Store(int32(binary.LittleEndian.Uint32(val)))
		u.mu.Unlock()
		return 0
	}
	return errno.ENOPROTOOPT
}

// peekOffBwd and peekOffFwd are sk_peek_offset_bwd/fwd; called with mu.
func (u *unixSock) peekOffBwd(n int) {
	if off := u.peekOff.Load(); off >= 0 {
		u.peekOff.Store(int32(max(int(off)-n, 0)))
	}
}

func (u *unixSock) peekOffFwd(n int) { u.peekOffBwd(-n) }

// Ioctl is unix_ioctl: SIOCINQ (EINVAL on a listener: unread stream
// bytes, the seqpacket queue's bytes, the first datagram's length),
// SIOCOUTQ (the truesize still queued at receivers) and SIOCATMARK
// (whether the next read starts at the out-of-band mark).
func (u *unixSock) Ioctl(cmd uint, arg []byte) errno.Errno {
	var v int
	switch cmd {
	case abi.SIOCOUTQ:
		v = int(u.wmem.Load())
	case abi.SIOCINQ:
		if u.state.Load() == stListen {
			return errno.EINVAL
		}
		u.mu.Lock()
		switch u.typ {
		case abi.SOCK_STREAM:
			v = u.inq
		case abi.SOCK_SEQPACKET:
			for _, b := range u.rq {
				v += b.unread()
			}
		default:
			if len(u.rq) > 0 {
				v = len(u.rq[0].data)
			}
		}
		u.mu.Unlock()
	case abi.SIOCATMARK:
		u.mu.Lock()
		if len(u.rq) > 0 {
			oob := u.oob.Load()
			head := u.rq[0]
			var next *skb
			if len(u.rq) > 1 {
				next = u.rq[1]
			}
			if head == oob || (head.unread() == 0 && (oob == nil || next == oob)) {
				v = 1
			}
		}
		u.mu.Unlock()
	default:
		return errno.ENOTTY
	}
	if len(arg) < 4 {
		return errno.EFAULT
	}
	binary.LittleEndian.PutUint32(arg, uint32(int32(v)))
	return 0
}

// Connect dispatches to the stream or datagram connect.
func (u *unixSock) Connect(addr []byte) errno.Errno {
	if u.typ == abi.SOCK_DGRAM {
		return u.dgramConnect(addr)
	}
	return u.streamConnect(addr)
}

// Sendmsg dispatches by type; seqpacket checks the pending error and the
// connection, then sends as a datagram to its peer (names are ignored).
func (u *unixSock) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	switch u.typ {
	case abi.SOCK_STREAM:
		return u.streamSendmsg(m, flags)
	case abi.SOCK_SEQPACKET:
		if e := u.sk.TakeError(); e != 0 {
			return 0, e
		}
		if u.state.Load() != stEstablished {
			return 0, errno.ENOTCONN
		}
		return u.dgramSendmsg(m, flags, nil)
	}
	return u.dgramSendmsg(m, flags, m.Name)
}

// Recvmsg dispatches by type; a seqpacket socket must be connected.
func (u *unixSock) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	switch u.typ {
	case abi.SOCK_STREAM:
		return u.streamRecvmsg(m, flags)
	case abi.SOCK_SEQPACKET:
		if u.state.Load() != stEstablished {
			return 0, errno.ENOTCONN
		}
	}
	return u.dgramRecvmsg(m, flags)
}

// Pair is unix_socketpair: both ends connected, each with the creator's
// credentials as its peer's.
func (u *unixSock) Pair(other socket.ProtoOps) errno.Errno {
	o, ok := other.(*unixSock)
	if !ok || o.typ != u.typ {
		return errno.EOPNOTSUPP
	}
	lockTwo(u, o)
	u.peer.Store(o)
	o.peer.Store(u)
	u.state.Store(stEstablished)
	o.state.Store(stEstablished)
	unlockTwo(u, o)
	u.sk.SetPeerCred(credsOf(u.sk.Creds))
	o.sk.SetPeerCred(credsOf(o.sk.Creds))
	return 0
}

// credsOf keeps the PID, UID and GID of c, as a struct ucred.
func credsOf(c socket.Creds) socket.Creds {
	return socket.Creds{PID: c.PID, UID: c.UID, GID: c.GID}
}

// noCreds stands for a message that carried no credentials: Linux
// reports pid 0 and the overflow ids for it.
var noCreds = socket.Creds{PID: 0, UID: -1, GID: -1}

func sameCreds(a, b *socket.Creds) bool {
	if a == nil {
		a = &noCreds
	}
	if b == nil {
		b = &noCreds
	}
	return a.PID == b.PID && a.UID == b.UID && a.GID == b.GID
}

// dupRights takes new references to files, for MSG_PEEK.
func dupRights(fs []socket.PassedFile) []socket.PassedFile {
	if len(fs) == 0 {
		return nil
	}
	out := make([]socket.PassedFile, len(fs))
	for i, f := range fs {
		out[i] = f.Dup()
	}
	return out
}

// handOver gives received files and credentials to the caller. Without
// a control buffer (read(2), recvmsg with msg_control NULL) Linux drops
// the files and says MSG_CTRUNC, as it does for credentials under
// SO_PASSCRED (__scm_recv_common); the caller of a receive that has
// one (the sys layer) takes the files and writes the cmsgs.
func (u *unixSock) handOver(m *socket.Msg, rights []socket.PassedFile, creds *socket.Creds, a *after) {
	if creds == nil {
		creds = &noCreds
	}
	m.Creds = creds
	if cap(m.Control) == 0 {
		if len(rights) > 0 || u.passcred() {
			m.Flags |= abi.MSG_CTRUNC
		}
		a.release = append(a.release, rights...)
		return
	}
	if len(rights) > 0 {
		m.Rights = rights
	}
}
