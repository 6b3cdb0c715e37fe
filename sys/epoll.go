package sys

import (
	"context"
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// EpollEvent is struct epoll_event, which x86-64 packs into 12 bytes:
// the events and the 64-bit user data, whose halves are Fd and Pad as in
// golang.org/x/sys/unix.
type EpollEvent struct {
	Events uint32
	Fd     int32
	Pad    int32
}

func (ev EpollEvent) data() uint64 { return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32 }

func eventFromData(events uint32, data uint64) EpollEvent {
	return EpollEvent{Events: events, Fd: int32(uint32(data)), Pad: int32(uint32(data >> 32))}
}

// Sizes and limits of fs/eventpoll.c.
const (
	sizeofEpollEvent = 12
	// epMaxNests is EP_MAX_NESTS: the deepest chain of epoll instances
	// watching epoll instances.
	epMaxNests = 4
	// epMaxEvents is EP_MAX_EVENTS.
	epMaxEvents = math.MaxInt32 / sizeofEpollEvent
	// epPrivateBits are the flags of an item that are not events.
	epPrivateBits = abi.EPOLLWAKEUP | abi.EPOLLONESHOT | abi.EPOLLET | abi.EPOLLEXCLUSIVE
	// epExclusiveOK are the bits EPOLLEXCLUSIVE may be combined with.
	epExclusiveOK = abi.EPOLLIN | abi.EPOLLOUT | abi.EPOLLERR | abi.EPOLLHUP |
		abi.EPOLLWAKEUP | abi.EPOLLET | abi.EPOLLEXCLUSIVE
	capBlockSuspend = 36 // CAP_BLOCK_SUSPEND, which EPOLLWAKEUP needs

	// EPIOCSPARAMS and EPIOCGPARAMS set and get an instance's busy-poll
	// parameters (struct epoll_params, 8 bytes).
	EPIOCSPARAMS   = 0x40088a01
	EPIOCGPARAMS   = 0x80088a02
	napiPollWeight = 64
)

// unpollable is implemented by files that have no poll operation
// (regular files on most filesystems): epoll refuses them with EPERM.
type unpollable interface{ noPoll() }

// epKey identifies an item as Linux's epoll_filefd: the open file and the
// descriptor it was added with.
type epKey struct {
	ref *fileRef
	fd  int
}

// epitem is one watched file of an epoll instance (struct epitem).
type epitem struct {
	ep   *eventpoll
	key  epKey
	file File

	// Guarded by ep.lock (events also by ep.mtx for writes).
	events     uint32
	data       uint64
	linked     bool // on the ready list or the scan's list
	prev, next *epitem
	inOvf      bool
	dead       bool

	entry  *waitq.Entry // the callback on the file's queue
	group  *exclGroup   // instead of entry for EPOLLEXCLUSIVE items
	nested *eventpoll   // the watched file when it is an epoll instance
}

// poll is ep_item_poll: the file's readiness in the item's events.
func (epi *epitem) poll() uint32 {
	return uint32(epi.file.Poll()) & epi.events
}

// epList is a doubly linked list of items (the ready list).
type epList struct{ head, tail *epitem }

func (l *epList) empty() bool { return l.head == nil }

func (l *epList) pushBack(e *epitem) {
	e.linked = true
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
}

func (l *epList) pushFront(e *epitem) {
	e.linked = true
	e.prev, e.next = nil, l.head
	if l.head != nil {
		l.head.prev = e
	} else {
		l.tail = e
	}
	l.head = e
}

func (l *epList) remove(e *epitem) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next, e.linked = nil, nil, false
}

// spliceFront moves all of o to the front of l.
func (l *epList) spliceFront(o *epList) {
	if o.empty() {
		return
	}
	if l.empty() {
		*l = *o
	} else {
		o.tail.next = l.head
		l.head.prev = o.tail
		l.head = o.head
	}
	*o = epList{}
}

// eventpoll is an epoll instance (struct eventpoll), and the open file
// that holds it.
type eventpoll struct {
	creds socket.Creds

	// mtx serialises epoll_ctl and the scans of the ready list, which
	// call into files' Poll; the callbacks never take it.
	mtx   sync.Mutex
	items map[epKey]*epitem

	// lock guards the ready list, the overflow list, the waiters and the
	// items' event fields; it is held only briefly and never while
	// calling out, so callbacks may run with protocol locks held.
	lock     sync.Mutex
	rdl      epList
	scanning bool      // a scan runs: callbacks queue on ovf
	ovf      []*epitem // ep->ovflist, in arrival order
	waiters  []chan struct{}
	// spare is a waiter channel kept between epoll_wait calls, so an
	// event loop that blocks on every turn allocates none; it belongs to
	// this instance (a channel is its synctest bubble's).
	spare chan struct{}

	// pollWait is ep->poll_wait: where poll(2) and outer epoll
	// instances wait on this one.
	pollWait waitq.Queue

	// Busy-poll parameters (EPIOCSPARAMS); stored and reported only.
	busyUsecs  uint32
	busyBudget uint16
	preferBusy uint8

	// The nesting graph, under epGraph.mu: epoll instances this one
	// watches and that watch it, with counts of items.
	children map[*eventpoll]int
	parents  map[*eventpoll]int
}

// EpollCreate1 is epoll_create1(2): EPOLL_CLOEXEC is the only flag.
func (p *Process) EpollCreate1(flags int) (int, error) {
	if flags&^abi.EPOLL_CLOEXEC != 0 {
		return -1, errno.EINVAL
	}
	ep := &eventpoll{creds: p.creds, items: make(map[epKey]*epitem)}
	return p.install(ep, abi.O_RDWR, flags&abi.EPOLL_CLOEXEC != 0)
}

// EpollCreate is epoll_create(2): size is only checked to be positive.
func (p *Process) EpollCreate(size int) (int, error) {
	if size <= 0 {
		return -1, errno.EINVAL
	}
	return p.EpollCreate1(0)
}

// EpollCtl is epoll_ctl(2). Its checks come in Linux's order: EFAULT for
// a missing event (ADD, MOD), EBADF for either descriptor, EPERM for a
// target that cannot be polled, EINVAL when epfd is the target or not an
// epoll instance, EINVAL for EPOLLEXCLUSIVE with MOD, with an epoll
// target or with bits other than IN, OUT, ERR, HUP, WAKEUP and ET, ELOOP
// for an ADD that would close a loop of instances or nest them deeper
// than 4, then EEXIST or ENOENT, EINVAL for MOD of an exclusive item or
// an unknown op. EPOLLERR and EPOLLHUP are always watched.
func (p *Process) EpollCtl(epfd, op, fd int, event *EpollEvent) error {
	var ev EpollEvent
	if op != abi.EPOLL_CTL_DEL {
		if event == nil {
			return errno.EFAULT
		}
		ev = *event
	}
	return p.epollCtl(epfd, op, fd, ev)
}

func (p *Process) epollCtl(epfd, op, fd int, ev EpollEvent) error {
	eref, err := p.lookup(epfd)
	if err != nil {
		return err
	}
	tref, err := p.lookup(fd)
	if err != nil {
		return err
	}
	if _, ok := tref.file.(unpollable); ok {
		return errno.EPERM
	}
	hasEvent := op != abi.EPOLL_CTL_DEL
	if hasEvent && ev.Events&abi.EPOLLWAKEUP != 0 && !p.creds.Has(capBlockSuspend) {
		ev.Events &^= abi.EPOLLWAKEUP
	}
	ep, ok := eref.file.(*eventpoll)
	if eref == tref || !ok {
		return errno.EINVAL
	}
	tep, _ := tref.file.(*eventpoll)
	if hasEvent && ev.Events&abi.EPOLLEXCLUSIVE != 0 {
		if op == abi.EPOLL_CTL_MOD {
			return errno.EINVAL
		}
		if op == abi.EPOLL_CTL_ADD && (tep != nil || ev.Events&^epExclusiveOK != 0) {
			return errno.EINVAL
		}
	}
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	key := epKey{ref: tref, fd: fd}
	epi := ep.items[key]
	switch op {
	case abi.EPOLL_CTL_ADD:
		if tep != nil {
			// The loop check and the new edge are one step, so two
			// concurrent ADDs cannot build a loop between them.
			epGraph.mu.Lock()
			if !epLoopOK(ep, tep) {
				epGraph.mu.Unlock()
				return errno.ELOOP
			}
			if epi != nil {
				epGraph.mu.Unlock()
				return errno.EEXIST
			}
			epLink(ep, tep)
			epGraph.mu.Unlock()
		} else if epi != nil {
			return errno.EEXIST
		}
		ev.Events |= abi.EPOLLERR | abi.EPOLLHUP
		ep.insert(key, tref.file, tep, ev)
		return nil
	case abi.EPOLL_CTL_DEL:
		if epi == nil {
			return errno.ENOENT
		}
		ep.removeLocked(epi)
		return nil
	case abi.EPOLL_CTL_MOD:
		if epi == nil {
			return errno.ENOENT
		}
		if epi.events&abi.EPOLLEXCLUSIVE != 0 {
			return errno.EINVAL
		}
		ev.Events |= abi.EPOLLERR | abi.EPOLLHUP
		ep.modify(epi, ev)
		return nil
	}
	return errno.EINVAL
}

// insert is ep_insert, with ep.mtx held.
func (ep *eventpoll) insert(key epKey, f File, tep *eventpoll, ev EpollEvent) {
	epi := &epitem{ep: ep, key: key, file: f, events: ev.Events, data: ev.data(), nested: tep}
	ep.items[key] = epi
	epWatchAdd(epi)
	if q := f.Queue(); q != nil {
		if ev.Events&abi.EPOLLEXCLUSIVE != 0 {
			exclGroupAdd(q, epi)
		} else {
			epi.entry = waitq.NewCallback(waitq.EventAll, func(e waitq.Events) { epi.wake(e) })
			q.Add(epi.entry)
		}
	}
	// Poll after registering, so a change in between is not missed.
	revents := epi.poll()
	ep.lock.Lock()
	pwake := false
	if revents != 0 && !epi.linked {
		ep.rdl.pushBack(epi)
		ep.wakeOneLocked()
		pwake = ep.pollWait.Len() > 0
	}
	ep.lock.Unlock()
	if pwake {
		ep.pollWait.Notify(waitq.EventIn)
	}
}

// modify is ep_modify, with ep.mtx held: the new events rearm an item a
// one-shot report disabled, and an item ready now goes on the ready list
// (so an edge-triggered item ready before is reported again).
func (ep *eventpoll) modify(epi *epitem, ev EpollEvent) {
	ep.lock.Lock()
	epi.events = ev.Events
	epi.data = ev.data()
	ep.lock.Unlock()
	if epi.poll() == 0 {
		return
	}
	ep.lock.Lock()
	pwake := false
	if !epi.linked {
		ep.rdl.pushBack(epi)
		ep.wakeOneLocked()
		pwake = ep.pollWait.Len() > 0
	}
	ep.lock.Unlock()
	if pwake {
		ep.pollWait.Notify(waitq.EventIn)
	}
}

// removeLocked is ep_remove, with ep.mtx held. After it returns, a
// callback already running sees the item dead and does nothing.
func (ep *eventpoll) removeLocked(epi *epitem) {
	if epi.group != nil {
		exclGroupRemove(epi)
	} else if epi.entry != nil {
		epi.file.Queue().Remove(epi.entry)
	}
	ep.lock.Lock()
	if epi.dead {
		ep.lock.Unlock()
		return
	}
	epi.dead = true
	if epi.linked {
		ep.rdl.remove(epi)
	}
	ep.lock.Unlock()
	delete(ep.items, epi.key)
	epWatchRemove(epi)
	if epi.nested != nil {
		epGraph.mu.Lock()
		epUnlink(ep, epi.nested)
		epGraph.mu.Unlock()
	}
}

// wake is ep_poll_callback: the watched file's queue was notified with
// ev (EventAll standing for a wakeup without a key). It queues the item
// as ready and wakes one epoll_wait caller and the instance's own
// pollers. For an EPOLLEXCLUSIVE item it reports whether it counts as
// the one exclusive wakeup: only when a caller was waiting and the event
// is one the item wants.
func (epi *epitem) wake(ev waitq.Events) bool {
	ep := epi.ep
	key := uint32(ev)
	if ev == waitq.EventAll {
		key = 0
	}
	ep.lock.Lock()
	events := epi.events
	exclusive := events&abi.EPOLLEXCLUSIVE != 0
	if epi.dead || events&^epPrivateBits == 0 || (key != 0 && key&events == 0) {
		// Disabled by EPOLLONESHOT until the next MOD, or not an event
		// the item watches.
		ep.lock.Unlock()
		return !exclusive
	}
	if ep.scanning {
		if !epi.inOvf {
			epi.inOvf = true
			ep.ovf = append(ep.ovf, epi)
		}
	} else if !epi.linked {
		ep.rdl.pushBack(epi)
	}
	ewake := false
	if len(ep.waiters) > 0 {
		if exclusive {
			switch key & (abi.EPOLLIN | abi.EPOLLOUT) {
			case abi.EPOLLIN:
				ewake = events&abi.EPOLLIN != 0
			case abi.EPOLLOUT:
				ewake = events&abi.EPOLLOUT != 0
			case 0:
				ewake = true
			}
		}
		ep.wakeOneLocked()
	}
	pwake := ep.pollWait.Len() > 0
	ep.lock.Unlock()
	if pwake {
		ep.pollWait.Notify(waitq.EventIn | waitq.Events(key))
	}
	return ewake || !exclusive
}

// wakeOneLocked wakes the longest waiting epoll_wait caller (callers wait
// exclusively and leave the queue when woken, so each wakeup reaches a
// different one).
func (ep *eventpoll) wakeOneLocked() {
	if len(ep.waiters) == 0 {
		return
	}
	ch := ep.waiters[0]
	// Shift rather than reslice, so the array's room is kept for the
	// next waiter instead of growing a new one.
	n := copy(ep.waiters, ep.waiters[1:])
	ep.waiters[n] = nil
	ep.waiters = ep.waiters[:n]
	ch <- struct{}{}
}

func (ep *eventpoll) removeWaiterLocked(ch chan struct{}) bool {
	for i, w := range ep.waiters {
		if w == ch {
			ep.waiters = append(ep.waiters[:i], ep.waiters[i+1:]...)
			return true
		}
	}
	return false
}

func (ep *eventpoll) eventsAvailableLocked() bool { return !ep.rdl.empty() || ep.scanning }

// startScan is ep_start_scan, with ep.mtx held: it takes the ready list;
// until doneScan, callbacks queue items on the overflow list.
// The caller holds tx, on its stack.
func (ep *eventpoll) startScan(tx *epList) {
	ep.lock.Lock()
	defer ep.lock.Unlock()
	tx.spliceFront(&ep.rdl)
	ep.scanning = true
}

// doneScan is ep_done_scan: the ready list becomes what the scan left
// unprocessed, then the items that became ready during the scan, then
// the level-triggered items the scan put back.
func (ep *eventpoll) doneScan(tx *epList) {
	ep.lock.Lock()
	defer ep.lock.Unlock()
	for i := len(ep.ovf) - 1; i >= 0; i-- {
		epi := ep.ovf[i]
		epi.inOvf = false
		if !epi.linked && !epi.dead {
			ep.rdl.pushFront(epi)
		}
	}
	clear(ep.ovf)
	ep.ovf = ep.ovf[:0]
	ep.scanning = false
	ep.rdl.spliceFront(tx)
	if !ep.rdl.empty() {
		ep.wakeOneLocked()
	}
}

// sendEvents is ep_send_events: it reports up to max ready items through
// put (which returns false if it cannot store the event: EFAULT unless
// some were stored). A level-triggered item goes back on the ready list,
// a one-shot item is disabled, an edge-triggered one waits for its next
// wakeup.
func (ep *eventpoll) sendEvents(max int, put func(i int, ev EpollEvent) bool) (int, error) {
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	var txl epList
	tx := &txl
	ep.startScan(tx)
	res := 0
	var err error
	for epi := tx.head; epi != nil && res < max; {
		next := epi.next
		ep.lock.Lock()
		tx.remove(epi)
		ep.lock.Unlock()
		revents := epi.poll()
		if revents == 0 {
			epi = next
			continue
		}
		if !put(res, eventFromData(revents, epi.data)) {
			ep.lock.Lock()
			tx.pushFront(epi)
			ep.lock.Unlock()
			if res == 0 {
				err = errno.EFAULT
			}
			break
		}
		res++
		ep.lock.Lock()
		if epi.events&abi.EPOLLONESHOT != 0 {
			epi.events &= epPrivateBits
		} else if epi.events&abi.EPOLLET == 0 {
			ep.rdl.pushBack(epi)
		}
		ep.lock.Unlock()
		epi = next
	}
	ep.doneScan(tx)
	return res, err
}

// Poll is ep_eventpoll_poll: an instance is readable when one of its
// ready items really has events (items that do not are dropped from the
// ready list on the way).
func (ep *eventpoll) Poll() waitq.Events {
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	var txl epList
	tx := &txl
	ep.startScan(tx)
	var res waitq.Events
	for epi := tx.head; epi != nil; {
		next := epi.next
		if epi.poll() != 0 {
			res = waitq.EventIn | waitq.EventRdNorm
			break
		}
		ep.lock.Lock()
		tx.remove(epi)
		ep.lock.Unlock()
		epi = next
	}
	ep.doneScan(tx)
	return res
}

// Queue returns the instance's poll wait queue.
func (ep *eventpoll) Queue() *waitq.Queue { return &ep.pollWait }

// Read and Write: an epoll instance has neither (EINVAL).
func (ep *eventpoll) Read(context.Context, []byte, bool) (int, error)  { return 0, errno.EINVAL }
func (ep *eventpoll) Write(context.Context, []byte, bool) (int, error) { return 0, errno.EINVAL }

// Release is ep_clear_and_put: every item goes.
func (ep *eventpoll) Release() error {
	ep.mtx.Lock()
	for _, epi := range ep.items {
		ep.removeLocked(epi)
	}
	ep.mtx.Unlock()
	if ep.pollWait.Len() > 0 {
		ep.pollWait.Notify(waitq.EventIn)
	}
	return nil
}

// ioctl is ep_eventpoll_ioctl: the busy-poll parameters, EINVAL for
// anything else.
func (ep *eventpoll) ioctl(cmd uint32, arg []byte) error {
	switch cmd {
	case EPIOCSPARAMS:
		if len(arg) < 8 {
			return errno.EFAULT
		}
		usecs := binary.LittleEndian.Uint32(arg)
		budget := binary.LittleEndian.Uint16(arg[4:])
		prefer, pad := arg[6], arg[7]
		if pad != 0 || usecs > math.MaxInt32 || prefer > 1 {
			return errno.EINVAL
		}
		if budget > napiPollWeight && !ep.creds.Has(socket.CapNetAdmin) {
			return errno.EPERM
		}
		ep.lock.Lock()
		ep.busyUsecs, ep.busyBudget, ep.preferBusy = usecs, budget, prefer
		ep.lock.Unlock()
		return nil
	case EPIOCGPARAMS:
		if len(arg) < 8 {
			return errno.EFAULT
		}
		ep.lock.Lock()
		binary.LittleEndian.PutUint32(arg, ep.busyUsecs)
		binary.LittleEndian.PutUint16(arg[4:], ep.busyBudget)
		arg[6], arg[7] = ep.preferBusy, 0
		ep.lock.Unlock()
		return nil
	}
	return errno.EINVAL
}

// epollOf returns the epoll instance behind epfd: EBADF, or EINVAL for
// another kind of file.
func (p *Process) epollOf(epfd int) (*eventpoll, error) {
	ref, err := p.lookup(epfd)
	if err != nil {
		return nil, err
	}
	ep, ok := ref.file.(*eventpoll)
	if !ok {
		return nil, errno.EINVAL
	}
	return ep, nil
}

// EpollWait is epoll_wait(2): up to len(events) ready events (EINVAL
// when events is empty). msec < 0 waits until an event or a signal
// (EINTR), 0 only looks. Events already there are reported even when a
// signal is pending.
func (p *Process) EpollWait(epfd int, events []EpollEvent, msec int) (int, error) {
	if len(events) == 0 || len(events) > epMaxEvents {
		return 0, errno.EINVAL
	}
	ep, err := p.epollOf(epfd)
	if err != nil {
		return 0, err
	}
	return ep.wait(p, len(events), msecTimeout(msec), func(i int, ev EpollEvent) bool {
		events[i] = ev
		return true
	})
}

// msecTimeout converts a poll-style timeout in milliseconds (negative:
// forever, returned as -1).
func msecTimeout(msec int) time.Duration {
	if msec < 0 {
		return -1
	}
	return time.Duration(msec) * time.Millisecond
}

// wait is ep_poll. timeout < 0 waits forever.
func (ep *eventpoll) wait(p *Process, max int, timeout time.Duration, put func(int, EpollEvent) bool) (int, error) {
	ctx, done := p.context(context.Background())
	defer done()
	timedOut := timeout == 0
	var expired <-chan time.Time
	if timeout > 0 {
		t := p.clock().NewTimer(timeout)
		defer t.Stop()
		expired = t.C()
	}
	ep.lock.Lock()
	eavail := ep.eventsAvailableLocked()
	ep.lock.Unlock()
	for {
		if eavail {
			n, err := ep.sendEvents(max, put)
			if n > 0 || err != nil {
				return n, err
			}
		}
		if timedOut {
			return 0, nil
		}
		if ctx.Err() != nil {
			return 0, socket.Interrupted(ctx)
		}
		ep.lock.Lock()
		ch := ep.spare
		ep.spare = nil
		eavail = ep.eventsAvailableLocked()
		if !eavail {
			if ch == nil {
				ch = make(chan struct{}, 1)
			}
			ep.waiters = append(ep.waiters, ch)
		}
		ep.lock.Unlock()
		if !eavail {
			select {
			case <-ch:
			case <-expired:
				timedOut = true
			case <-ctx.Done():
			}
		}
		eavail = true
		ep.lock.Lock()
		if ep.removeWaiterLocked(ch) && timedOut {
			// Timed out without a wakeup: nothing to harvest.
			eavail = false
		}
		if ch != nil && ep.spare == nil {
			// Off the waiters now, so no wakeup can come: drain one
			// that did and keep the channel for the next wait.
			select {
			case <-ch:
			default:
			}
			ep.spare = ch
		}
		ep.lock.Unlock()
	}
}

// exclGroup dispatches the wakeups of one wait queue to the
// EPOLLEXCLUSIVE items watching it, in the order they were added,
// stopping at the first that counts as a wakeup: Linux's exclusive
// entries at the tail of the queue, whose callback decides whether the
// wakeup was consumed.
type exclGroup struct {
	q     *waitq.Queue
	entry *waitq.Entry
	items atomic.Pointer[[]*epitem]
}

var exclGroups struct {
	mu sync.Mutex
	m  map[*waitq.Queue]*exclGroup
}

func exclGroupAdd(q *waitq.Queue, epi *epitem) {
	exclGroups.mu.Lock()
	defer exclGroups.mu.Unlock()
	g := exclGroups.m[q]
	if g == nil {
		g = &exclGroup{q: q}
		g.items.Store(&[]*epitem{})
		g.entry = waitq.NewCallback(waitq.EventAll, g.notify)
		if exclGroups.m == nil {
			exclGroups.m = make(map[*waitq.Queue]*exclGroup)
		}
		exclGroups.m[q] = g
		q.Add(g.entry)
	}
	old := *g.items.Load()
	items := append(append(make([]*epitem, 0, len(old)+1), old...), epi)
	g.items.Store(&items)
	epi.group = g
}

func exclGroupRemove(epi *epitem) {
	exclGroups.mu.Lock()
	defer exclGroups.mu.Unlock()
	g := epi.group
	old := *g.items.Load()
	items := make([]*epitem, 0, len(old))
	for _, e := range old {
		if e != epi {
			items = append(items, e)
		}
	}
	g.items.Store(&items)
	if len(items) == 0 && exclGroups.m[g.q] == g {
		g.q.Remove(g.entry)
		delete(exclGroups.m, g.q)
	}
}

func (g *exclGroup) notify(ev waitq.Events) {
	for _, epi := range *g.items.Load() {
		if epi.wake(ev) {
			return
		}
	}
}

// epWatchAdd records the item on its open file, so the last close of
// the file removes it from every instance (eventpoll_release).
func epWatchAdd(epi *epitem) {
	ref := epi.key.ref
	ref.mu.Lock()
	defer ref.mu.Unlock()
	if ref.watches == nil {
		ref.watches = make(map[*epitem]struct{})
	}
	ref.watches[epi] = struct{}{}
}

func epWatchRemove(epi *epitem) {
	ref := epi.key.ref
	ref.mu.Lock()
	defer ref.mu.Unlock()
	delete(ref.watches, epi)
}

// releaseWatches removes ref's file from every epoll instance watching
// it; the process layer calls it on the last close of an open file,
// before the file's Release.
func releaseWatches(ref *fileRef) {
	ref.mu.Lock()
	s := ref.watches
	ref.watches = nil
	ref.mu.Unlock()
	for epi := range s {
		ep := epi.ep
		ep.mtx.Lock()
		ep.removeLocked(epi)
		ep.mtx.Unlock()
	}
}

// epGraph guards the nesting links between epoll instances.
var epGraph struct{ mu sync.Mutex }

func epLink(ep, child *eventpoll) {
	if ep.children == nil {
		ep.children = make(map[*eventpoll]int)
	}
	if child.parents == nil {
		child.parents = make(map[*eventpoll]int)
	}
	ep.children[child]++
	child.parents[ep]++
}

func epUnlink(ep, child *eventpoll) {
	if ep.children[child]--; ep.children[child] <= 0 {
		delete(ep.children, child)
	}
	if child.parents[ep]--; child.parents[ep] <= 0 {
		delete(child.parents, ep)
	}
}

// epLoopOK is ep_loop_check: adding to into ep must not let a path of
// wakeups lead from ep back to itself, nor make a chain of more than
// epMaxNests instances (counting those above ep and below to).
func epLoopOK(ep, to *eventpoll) bool {
	down := epDownDepth(to, ep, 0)
	if down > epMaxNests {
		return false
	}
	return down+1+epUpDepth(ep, 0) <= epMaxNests
}

func epDownDepth(x, target *eventpoll, depth int) int {
	res := 0
	for c := range x.children {
		if c == target || depth > epMaxNests {
			return epMaxNests + 1
		}
		res = max(res, epDownDepth(c, target, depth+1)+1)
		if res > epMaxNests {
			return res
		}
	}
	return res
}

func epUpDepth(x *eventpoll, depth int) int {
	res := 0
	if depth > epMaxNests {
		return epMaxNests + 1
	}
	for par := range x.parents {
		res = max(res, epUpDepth(par, depth+1)+1)
	}
	return res
}
