package link

// TxWaiter is a sender waiting for room in a device's transmit queue
// after the device refused one of its frames with ENOBUFS. The device
// calls TxWritable once, from its own goroutine and holding none of its
// locks, when the queue has drained to its low-water mark, as Linux's
// netif_wake_queue reschedules the qdisc and TSQ's tcp_wfree wakes the
// flows that were held back, instead of leaving them to a timer.
// TxWritable may transmit, and a refusal then may register again.
type TxWaiter interface {
	TxWritable()
}

// TxNotifier is implemented by a Device whose transmit queue is bounded
// and refuses frames with ENOBUFS when full. NotifyWritable registers w to
// be woken, once, when the queue has room again; if it has room already,
// w is woken soon from the device's goroutine, never from within
// NotifyWritable, so a caller may hold its own locks while registering.
// A waiter registered on a device that closes is dropped unwoken.
//
// The caller keeps a waiter from registering twice before it is woken
// (the device does not look for duplicates, which only cost an extra
// wakeup).
type TxNotifier interface {
	NotifyWritable(w TxWaiter)
}
