// Package waitq is gosock's wait queue: how a blocking call learns that
// the protocol state it waits on may have changed.
//
// Protocol code never sleeps. A call that cannot complete returns EAGAIN
// and the socket layer turns that into blocking with the
// register → retry → wait pattern:
//
//	e := waitq.NewEntry(waitq.EventIn)    // a channel-backed entry
//	q.Add(e)
//	defer q.Remove(e)
//	for {
//		n, err := op()                     // retry after registering, so
//		if err != errno.EAGAIN {           // no wakeup is lost in between
//			return n, err
//		}
//		select {
//		case <-e.C():                      // woken: try again
//		case <-deadline:                   // SO_RCVTIMEO, context, signal
//			return 0, errno.EAGAIN
//		}
//	}
//
// Protocols call Notify with the events that became true (data arrived:
// EventIn; space freed: EventOut; error or hang-up). Entries may also be
// callbacks, which is how epoll instances watch sockets.
package waitq

import "sync"

// Events are readiness bits with Linux's EPOLL*/POLL* values.
type Events uint32

// Readiness events.
const (
	EventIn     Events = 0x1
	EventPri    Events = 0x2
	EventOut    Events = 0x4
	EventErr    Events = 0x8
	EventHUp    Events = 0x10
	EventNVal   Events = 0x20
	EventRdNorm Events = 0x40
	EventRdBand Events = 0x80
	EventWrNorm Events = 0x100
	EventWrBand Events = 0x200
	EventMsg    Events = 0x400
	EventRdHUp  Events = 0x2000

	// EventAll matches every event.
	EventAll Events = 0xffffffff
)

// Entry is one waiter on a Queue.
type Entry struct {
	mask      Events
	exclusive bool
	ch        chan struct{}
	fn        func(Events)
	prev      *Entry
	next      *Entry
	q         *Queue
}

// NewEntry returns an entry that signals its channel (buffer of one, so
// wakeups coalesce) when any event in mask is notified.
func NewEntry(mask Events) *Entry {
	return &Entry{mask: mask, ch: make(chan struct{}, 1)}
}

// NewExclusiveEntry is NewEntry for a waiter that should be woken alone,
// as Linux's add_wait_queue_exclusive: among exclusive waiters, each
// notification wakes only the first, so N threads blocked in accept do
// not all wake for one connection.
func NewExclusiveEntry(mask Events) *Entry {
	e := NewEntry(mask)
	e.exclusive = true
	return e
}

// Reset prepares a channel entry that is off every queue for another
// wait with mask, exclusive or not, so a blocking call can reuse one
// entry instead of allocating an entry and a channel each time it
// blocks. A wakeup left in the channel is drained: the entry was removed
// from its queue under the queue's lock, under which Notify signals, so
// none can arrive after it. Channels belong to the synctest bubble that
// made them, so an entry must not be shared across bubbles (a global
// pool would hand one bubble's channel to another); keep spares per
// socket.
func (e *Entry) Reset(mask Events, exclusive bool) {
	if e.q != nil || e.ch == nil {
		panic("waitq: Reset of an entry still queued or without a channel")
	}
	select {
	case <-e.ch:
	default:
	}
	e.mask, e.exclusive = mask, exclusive
}

// NewCallback returns an entry that calls fn with the notified events
// that matched mask. fn runs on the notifier's goroutine, possibly with
// protocol locks held: it must not block or call back into the socket.
func NewCallback(mask Events, fn func(Events)) *Entry {
	return &Entry{mask: mask, fn: fn}
}

// C is the entry's channel; nil for callbacks.
func (e *Entry) C() <-chan struct{} { return e.ch }

// SetMask changes the events the entry waits for.
func (e *Entry) SetMask(m Events) {
	if q := e.q; q != nil {
		q.mu.Lock()
		e.mask = m
		q.mu.Unlock()
		return
	}
	e.mask = m
}

// Queue is a list of waiters. The zero value is an empty queue.
type Queue struct {
	mu   sync.Mutex
	head *Entry
	tail *Entry
	n    int
}

// Add registers e. Exclusive entries go to the tail, others to the head,
// as Linux orders them so that non-exclusive waiters are all woken first.
func (q *Queue) Add(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.q != nil {
		panic("waitq: entry already on a queue")
	}
	e.q = q
	q.n++
	if e.exclusive || q.head == nil {
		e.prev = q.tail
		if q.tail != nil {
			q.tail.next = e
		} else {
			q.head = e
		}
		q.tail = e
		return
	}
	e.next = q.head
	q.head.prev = e
	q.head = e
}

// Remove unregisters e; it is a no-op if e is not on q.
func (q *Queue) Remove(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.q != q {
		return
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.prev, e.next, e.q = nil, nil, nil
	q.n--
}

// Len returns the number of waiters.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Notify wakes the waiters interested in any of ev: every non-exclusive
// one and the first exclusive one. Callbacks run before Notify returns.
func (q *Queue) Notify(ev Events) {
	q.mu.Lock()
	if q.head == nil {
		q.mu.Unlock()
		return
	}
	// Callbacks run after the lock is dropped. A few fit in arrays on
	// the stack, so notifying a socket that epoll watches allocates
	// nothing.
	var fnBuf [4]func(Events)
	var maskBuf [4]Events
	fns, masks := fnBuf[:0], maskBuf[:0]
	for e := q.head; e != nil; e = e.next {
		m := e.mask & ev
		if m == 0 {
			continue
		}
		if e.fn != nil {
			fns = append(fns, e.fn)
			masks = append(masks, m)
		} else {
			select {
			case e.ch <- struct{}{}:
			default:
			}
		}
		if e.exclusive {
			break
		}
	}
	q.mu.Unlock()
	for i, fn := range fns {
		fn(masks[i])
	}
}
