package sys

import (
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/waitq"
)

// asyncEvents are the readiness changes that raise SIGIO (sock_wake_async
// and kill_fasync for input, output, errors and hang-ups).
const asyncEvents = waitq.EventIn | waitq.EventOut | waitq.EventErr | waitq.EventHUp | waitq.EventPri | waitq.EventRdHUp

// syncAsync makes the open file's asynchronous notification follow its
// O_ASYNC flag (fasync_helper): while set, a readiness change on the file
// sends SIGIO to the owner set with F_SETOWN, here the process that set
// it; with no owner (0) nothing is sent, as send_sigio does. Called with
// ref.mu held.
func (p *Process) syncAsync(ref *fileRef) {
	on := ref.flags&abi.O_ASYNC != 0 && hasFasync(ref.file)
	switch {
	case on && ref.async == nil:
		ref.async = waitq.NewCallback(asyncEvents, func(waitq.Events) {
			ref.mu.Lock()
			owner, proc := ref.owner, ref.asyncProc
			ref.mu.Unlock()
			if owner != 0 && proc != nil {
				proc.signal(SIGIO)
			}
		})
		ref.asyncProc = p
		ref.file.Queue().Add(ref.async)
	case !on && ref.async != nil:
		ref.file.Queue().Remove(ref.async)
		ref.async = nil
	}
}

// setOwner records the owner of an open file (F_SETOWN, FIOSETOWN,
// SIOCSPGRP): the process SIGIO and, for sockets, SIGURG go to.
func (p *Process) setOwner(ref *fileRef, pid int) {
	ref.mu.Lock()
	ref.owner = pid
	ref.asyncProc = p
	ref.mu.Unlock()
	if s, ok := ref.file.(*sockFile); ok {
		s.s.Sock().SetUrgentNotifier(func() {
			ref.mu.Lock()
			owner, proc := ref.owner, ref.asyncProc
			ref.mu.Unlock()
			if owner != 0 && proc != nil {
				proc.signal(SIGURG)
			}
		})
	}
}

// dropAsync removes the notification when the file's last descriptor
// closes.
func dropAsync(ref *fileRef) {
	ref.mu.Lock()
	e := ref.async
	ref.async = nil
	ref.mu.Unlock()
	if e != nil {
		ref.file.Queue().Remove(e)
	}
}
