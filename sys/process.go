// Package sys is gosock's system-call layer: a Process with a file
// descriptor table and credentials, and typed calls in the style of
// golang.org/x/sys/unix (Socket, Bind, Accept4, Sendmsg, …) whose
// argument checks, their order and their errno follow Linux's
// net/socket.c and fs/. A program written against x/sys/unix ports by
// calling the same functions on a Process.
//
// Blocking calls take the process's context: Signal interrupts them with
// EINTR, as a signal interrupts a blocked system call.
package sys

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// File is what a descriptor refers to: a socket, an epoll instance, a
// pipe end. Operations a kind of file lacks return the errno Linux gives
// for it (ESPIPE for lseek on a socket, EINVAL for …).
type File interface {
	// Read and Write are read(2) and write(2).
	Read(ctx context.Context, p []byte, nonblock bool) (int, error)
	Write(ctx context.Context, p []byte, nonblock bool) (int, error)
	// Poll reports readiness and the queue to wait on for changes.
	Poll() waitq.Events
	Queue() *waitq.Queue
	// Release is called when the last descriptor to the file closes.
	Release() error
}

// fileRef is one open file description: the file and its status flags
// (O_NONBLOCK, O_ASYNC), shared by dup'd descriptors.
type fileRef struct {
	file  File
	mu    sync.Mutex
	flags int
	owner int // F_SETOWN
	refs  int
	// watches are the epoll items watching this open file (epoll.go).
	watches map[*epitem]struct{}
	// async and asyncProc deliver SIGIO while O_ASYNC is set (fasync.go).
	async     *waitq.Entry
	asyncProc *Process
}

// fdEntry is one descriptor: its open file and its FD_CLOEXEC flag.
type fdEntry struct {
	ref     *fileRef
	cloexec bool
}

// Signal numbers the process layer raises.
const (
	SIGIO   = 29
	SIGPIPE = 13
	SIGURG  = 23
)

// Options configure a Process.
type Options struct {
	PID  int
	UID  int
	GID  int
	Caps uint64
	// NoFile is RLIMIT_NOFILE (1024 when 0).
	NoFile int
	// Hooks are security hooks applied to every socket call.
	Hooks socket.Hooks
	// OnSignal receives signals the stack sends the process (SIGPIPE on
	// EPIPE without MSG_NOSIGNAL, SIGIO, SIGURG). Nil ignores them, as a
	// process that set SIG_IGN.
	OnSignal func(sig int)
}

// Process is a process of a namespace: its descriptor table and
// credentials.
type Process struct {
	ns    *netns.Namespace
	creds socket.Creds
	hooks socket.Hooks
	onSig func(int)

	mu     sync.Mutex
	fds    []fdEntry // index = fd; ref nil = free
	nofile int

	intrMu sync.Mutex
	intr   context.Context
	cancel context.CancelCauseFunc

	// spareWaiter is a poll/select waiter kept between calls (poll.go).
	spareWaiter atomic.Pointer[pollWaiter]
}

// NewProcess makes a process in ns. Zero options give root with every
// capability, as a test program run as root would be.
func NewProcess(ns *netns.Namespace, o Options) *Process {
	caps := o.Caps
	if caps == 0 && o.UID == 0 {
		caps = socket.AllCaps
	}
	nofile := o.NoFile
	if nofile <= 0 {
		nofile = 1024
	}
	p := &Process{
		ns:     ns,
		creds:  socket.Creds{PID: o.PID, UID: o.UID, GID: o.GID, Caps: caps},
		hooks:  o.Hooks,
		onSig:  o.OnSignal,
		nofile: nofile,
	}
	p.intr, p.cancel = context.WithCancelCause(context.Background())
	return p
}

// Namespace returns the process's namespace.
func (p *Process) Namespace() *netns.Namespace { return p.ns }

// Creds returns the process credentials.
func (p *Process) Creds() socket.Creds { return p.creds }

// Interrupt wakes every call of the process blocked right now with EINTR,
// as a signal with a handler does (without SA_RESTART).
func (p *Process) Interrupt() {
	p.intrMu.Lock()
	old := p.cancel
	p.intr, p.cancel = context.WithCancelCause(context.Background())
	p.intrMu.Unlock()
	old(errno.EINTR)
}

// context returns the context blocked calls wait on: ctx, ended also by
// Interrupt.
func (p *Process) context(ctx context.Context) (context.Context, context.CancelFunc) {
	p.intrMu.Lock()
	intr := p.intr
	p.intrMu.Unlock()
	if ctx == nil || ctx == context.Background() {
		// The common case, every system call: the interrupt context
		// itself, ended with EINTR as its cause by Interrupt, which then
		// installs a fresh one for later calls. Deriving a context and an
		// AfterFunc per call cost four allocations per blocking call.
		return intr, noCancel
	}
	c, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(intr, func() { cancel(context.Cause(intr)) })
	return c, func() { stop(); cancel(nil) }
}

// noCancel is the cancel function of a context that needs none.
func noCancel() {}

// signal delivers a signal to the embedder's handler.
func (p *Process) signal(sig int) {
	if p.onSig != nil {
		p.onSig(sig)
	}
}

// install puts f in the lowest free descriptor (EMFILE when the table is
// full up to RLIMIT_NOFILE).
func (p *Process) install(f File, flags int, cloexec bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ref := &fileRef{file: f, flags: flags, refs: 1}
	for fd, e := range p.fds {
		if e.ref == nil {
			p.fds[fd] = fdEntry{ref: ref, cloexec: cloexec}
			return fd, nil
		}
	}
	if len(p.fds) >= p.nofile {
		return -1, errno.EMFILE
	}
	p.fds = append(p.fds, fdEntry{ref: ref, cloexec: cloexec})
	return len(p.fds) - 1, nil
}

// lookup returns the open file behind fd (EBADF if none).
func (p *Process) lookup(fd int) (*fileRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd < 0 || fd >= len(p.fds) || p.fds[fd].ref == nil {
		return nil, errno.EBADF
	}
	return p.fds[fd].ref, nil
}

// socketOf returns the socket behind fd: EBADF for a bad descriptor,
// ENOTSOCK for another kind of file (sockfd_lookup_light).
func (p *Process) socketOf(fd int) (*sockFile, *fileRef, error) {
	ref, err := p.lookup(fd)
	if err != nil {
		return nil, nil, err
	}
	s, ok := ref.file.(*sockFile)
	if !ok {
		return nil, nil, errno.ENOTSOCK
	}
	return s, ref, nil
}

// Close is close(2).
func (p *Process) Close(fd int) error {
	p.mu.Lock()
	if fd < 0 || fd >= len(p.fds) || p.fds[fd].ref == nil {
		p.mu.Unlock()
		return errno.EBADF
	}
	ref := p.fds[fd].ref
	p.fds[fd] = fdEntry{}
	p.mu.Unlock()
	return p.put(ref)
}

func (p *Process) put(ref *fileRef) error {
	ref.mu.Lock()
	ref.refs--
	last := ref.refs == 0
	ref.mu.Unlock()
	if last {
		// The last close takes the file out of every epoll instance
		// watching it (eventpoll_release in __fput).
		releaseWatches(ref)
		dropAsync(ref)
		return ref.file.Release()
	}
	return nil
}

// Dup is dup(2): the lowest free descriptor shares fd's open file.
func (p *Process) Dup(fd int) (int, error) { return p.dupFrom(fd, 0, false) }

func (p *Process) dupFrom(fd, min int, cloexec bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd < 0 || fd >= len(p.fds) || p.fds[fd].ref == nil {
		return -1, errno.EBADF
	}
	if min < 0 || min >= p.nofile {
		return -1, errno.EINVAL
	}
	ref := p.fds[fd].ref
	ref.mu.Lock()
	ref.refs++
	ref.mu.Unlock()
	for nfd := min; nfd < p.nofile; nfd++ {
		if nfd >= len(p.fds) {
			for len(p.fds) < nfd {
				p.fds = append(p.fds, fdEntry{})
			}
			p.fds = append(p.fds, fdEntry{ref: ref, cloexec: cloexec})
			return nfd, nil
		}
		if p.fds[nfd].ref == nil {
			p.fds[nfd] = fdEntry{ref: ref, cloexec: cloexec}
			return nfd, nil
		}
	}
	ref.mu.Lock()
	ref.refs--
	ref.mu.Unlock()
	return -1, errno.EMFILE
}

// Exit closes every descriptor, as a process exit does.
func (p *Process) Exit() {
	p.mu.Lock()
	fds := p.fds
	p.fds = nil
	p.mu.Unlock()
	for _, e := range fds {
		if e.ref != nil {
			_ = p.put(e.ref)
		}
	}
	p.Interrupt()
}

// Files returns the open descriptors, in order.
func (p *Process) Files() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for fd, e := range p.fds {
		if e.ref != nil {
			out = append(out, fd)
		}
	}
	return out
}

// fdget returns the open file behind fd with a reference held for the
// duration of a call (Linux's fdget): a close(2) from another thread
// only removes the descriptor, and the file is released when the last
// call using it returns (fdput). EBADF if fd is not open.
func (p *Process) fdget(fd int) (*fileRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd < 0 || fd >= len(p.fds) || p.fds[fd].ref == nil {
		return nil, errno.EBADF
	}
	ref := p.fds[fd].ref
	// Taken under p.mu, so a concurrent Close, which clears the slot under
	// p.mu before dropping its own reference, cannot release the file
	// between the lookup and this increment.
	ref.mu.Lock()
	ref.refs++
	ref.mu.Unlock()
	return ref, nil
}

// fdput drops the reference fdget took; nil is allowed (the lookup
// failed), so callers can defer it right after checking the error.
func (p *Process) fdput(ref *fileRef) {
	if ref != nil {
		_ = p.put(ref)
	}
}

// sockget is fdget for a socket: EBADF for a bad descriptor, ENOTSOCK for
// another kind of file (sockfd_lookup_light), the reference held on
// success.
func (p *Process) sockget(fd int) (*sockFile, *fileRef, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return nil, nil, err
	}
	s, ok := ref.file.(*sockFile)
	if !ok {
		p.fdput(ref)
		return nil, nil, errno.ENOTSOCK
	}
	return s, ref, nil
}
