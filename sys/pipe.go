package sys

import (
	"context"
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// Pipe sizes, as Linux's: a pipe is a ring of PIPE_DEF_BUFFERS page-sized
// buffers. A write of at most PIPE_BUF bytes is atomic because it either
// merges whole into the last page or takes a fresh one.
const (
	PIPE_BUF     = 4096
	pipePageSize = 4096
	pipeSlots    = 16 // PIPE_DEF_BUFFERS: 64 KiB
)

// Open flags of pipe ends (x86-64 values).
const (
	oRDONLY            = 0x0
	oWRONLY            = 0x1
	oDIRECT            = 0x4000
	oNotificationPipe  = 0x80 // O_EXCL reused by pipe2
	pipeEventsReadable = waitq.EventIn | waitq.EventRdNorm
	pipeEventsWritable = waitq.EventOut | waitq.EventWrNorm
)

// pipeBuffer is one slot of the ring (struct pipe_buffer).
type pipeBuffer struct {
	page   []byte
	off    int
	len    int
	packet bool // PIPE_BUF_FLAG_PACKET: written in O_DIRECT mode
	merge  bool // PIPE_BUF_FLAG_CAN_MERGE
}

// pipe is the shared state of a pipe's two ends (pipe_inode_info). One
// wait queue serves both of Linux's (rd_wait and wr_wait): readers wait
// for EventIn, writers for EventOut, and epoll entries filter by their
// own events, so the wakeups reach the same waiters.
type pipe struct {
	mu         sync.Mutex
	bufs       [pipeSlots]pipeBuffer
	head, tail uint
	readers    int
	writers    int
	spare      []byte // one cached page, as pipe->tmp_page
	q          waitq.Queue
}

func (pp *pipe) empty() bool { return pp.head == pp.tail }
func (pp *pipe) full() bool  { return pp.head-pp.tail >= pipeSlots }

func (pp *pipe) page() []byte {
	if pg := pp.spare; pg != nil {
		pp.spare = nil
		return pg
	}
	return make([]byte, pipePageSize)
}

// queued returns the bytes in the pipe (FIONREAD).
func (pp *pipe) queued() int {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	n := 0
	for t := pp.tail; t != pp.head; t++ {
		n += pp.bufs[t%pipeSlots].len
	}
	return n
}

// pipeEnd is one end of a pipe as an open file.
type pipeEnd struct {
	pp     *pipe
	write  bool
	packet bool // O_DIRECT on the write end: packet mode
	p      *Process
}

// Pipe is pipe(2).
func (p *Process) Pipe() ([2]int, error) { return p.Pipe2(0) }

// Pipe2 is pipe2(2): flags may hold O_NONBLOCK, O_CLOEXEC and O_DIRECT
// (packet mode: each write is a packet a read returns alone); any other
// bit is EINVAL. O_NOTIFICATION_PIPE gives ENOPKG, as on a kernel built
// without CONFIG_WATCH_QUEUE. The read end gets the lower descriptor.
func (p *Process) Pipe2(flags int) ([2]int, error) {
	fds := [2]int{-1, -1}
	if flags&^(abi.O_CLOEXEC|abi.O_NONBLOCK|oDIRECT|oNotificationPipe) != 0 {
		return fds, errno.EINVAL
	}
	if flags&oNotificationPipe != 0 {
		return fds, errno.ENOPKG
	}
	pp := &pipe{readers: 1, writers: 1}
	r := &pipeEnd{pp: pp, p: p}
	w := &pipeEnd{pp: pp, write: true, packet: flags&oDIRECT != 0, p: p}
	cloexec := flags&abi.O_CLOEXEC != 0
	rfd, err := p.install(r, oRDONLY|flags&abi.O_NONBLOCK, cloexec)
	if err != nil {
		return fds, err
	}
	wfd, err := p.install(w, oWRONLY|flags&(abi.O_NONBLOCK|oDIRECT), cloexec)
	if err != nil {
		p.uninstall(rfd)
		return fds, err
	}
	return [2]int{rfd, wfd}, nil
}

// uninstall frees a descriptor that was just installed and never handed
// out (put_unused_fd), releasing its file.
func (p *Process) uninstall(fd int) {
	p.mu.Lock()
	var ref *fileRef
	if fd >= 0 && fd < len(p.fds) {
		ref = p.fds[fd].ref
		p.fds[fd] = fdEntry{}
	}
	p.mu.Unlock()
	if ref != nil {
		_ = p.put(ref)
	}
}

// Read is pipe_read: it returns what is there (at most one packet in
// packet mode), 0 at end of file (no writer left), EAGAIN when empty and
// non-blocking, and otherwise waits. The write end cannot be read
// (EBADF, vfs_read's FMODE_READ check).
func (e *pipeEnd) Read(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if e.write {
		return 0, errno.EBADF
	}
	if len(b) == 0 {
		return 0, nil
	}
	pp := e.pp
	var entry *waitq.Entry
	defer func() {
		if entry != nil {
			pp.q.Remove(entry)
		}
	}()
	total := len(b)
	ret := 0
	wakeWriter := false
	wakeNextReader := false
	pp.mu.Lock()
	for {
		if !pp.empty() {
			buf := &pp.bufs[pp.tail%pipeSlots]
			chars := min(buf.len, total)
			copy(b[ret:], buf.page[buf.off:buf.off+chars])
			ret += chars
			buf.off += chars
			buf.len -= chars
			if buf.packet {
				// The rest of a packet the reader had no room for is
				// dropped.
				total = chars
				buf.len = 0
			}
			if buf.len == 0 {
				wakeWriter = wakeWriter || pp.full()
				if pp.spare == nil {
					pp.spare = buf.page
				}
				*buf = pipeBuffer{}
				pp.tail++
			}
			total -= chars
			if total == 0 {
				break
			}
			if !pp.empty() {
				continue
			}
		}
		if pp.writers == 0 || ret > 0 {
			break
		}
		if nonblock {
			pp.mu.Unlock()
			return 0, errno.EAGAIN
		}
		pp.mu.Unlock()
		if wakeWriter {
			pp.q.Notify(pipeEventsWritable)
		}
		if entry == nil {
			entry = waitq.NewEntry(pipeEventsReadable)
			pp.q.Add(entry)
		}
		if err := pp.waitFor(ctx, entry, func() bool { return !pp.empty() || pp.writers == 0 }); err != nil {
			return 0, err
		}
		wakeWriter = false
		wakeNextReader = true
		pp.mu.Lock()
	}
	if pp.empty() {
		wakeNextReader = false
	}
	pp.mu.Unlock()
	if wakeWriter {
		pp.q.Notify(pipeEventsWritable)
	}
	if wakeNextReader {
		pp.q.Notify(pipeEventsReadable)
	}
	return ret, nil
}

// waitFor blocks until ready (checked under the pipe lock) holds,
// returning the interruption error if ctx ends first.
func (pp *pipe) waitFor(ctx context.Context, entry *waitq.Entry, ready func() bool) error {
	for {
		pp.mu.Lock()
		ok := ready()
		pp.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-entry.C():
		case <-ctx.Done():
			return socket.Interrupted(ctx)
		}
	}
}

// Write is pipe_write: EPIPE (and SIGPIPE) without a reader; writes of up
// to PIPE_BUF bytes are atomic; a blocking write waits until all is
// written, a non-blocking one writes what fits (EAGAIN if nothing). The
// read end cannot be written (EBADF).
func (e *pipeEnd) Write(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if !e.write {
		return 0, errno.EBADF
	}
	n, sigpipe, err := e.pp.write(ctx, b, nonblock, e.packet)
	if sigpipe {
		e.p.signal(SIGPIPE)
	}
	return n, err
}

// write returns the bytes written, whether the writer met the absence of
// readers (SIGPIPE is sent then, even after a partial write), and the
// error when nothing was written.
func (pp *pipe) write(ctx context.Context, b []byte, nonblock, packet bool) (ret int, sigpipe bool, err error) {
	if len(b) == 0 {
		return 0, false, nil
	}
	var entry *waitq.Entry
	defer func() {
		if entry != nil {
			pp.q.Remove(entry)
		}
	}()
	wakeNextWriter := false
	pp.mu.Lock()
	if pp.readers == 0 {
		pp.mu.Unlock()
		return 0, true, errno.EPIPE
	}
	wasEmpty := pp.empty()
	// Merge the part that does not fill whole pages into the last
	// buffer, when it fits there entirely.
	if chars := len(b) & (pipePageSize - 1); chars != 0 && !wasEmpty {
		buf := &pp.bufs[(pp.head-1)%pipeSlots]
		off := buf.off + buf.len
		if buf.merge && off+chars <= pipePageSize {
			copy(buf.page[off:], b[:chars])
			buf.len += chars
			ret = chars
		}
	}
	for ret < len(b) {
		if pp.readers == 0 {
			sigpipe = true
			if ret == 0 {
				err = errno.EPIPE
			}
			break
		}
		if !pp.full() {
			pg := pp.page()
			n := copy(pg, b[ret:])
			pp.bufs[pp.head%pipeSlots] = pipeBuffer{page: pg, len: n, packet: packet, merge: !packet}
			pp.head++
			ret += n
			continue
		}
		if nonblock {
			if ret == 0 {
				err = errno.EAGAIN
			}
			break
		}
		if ctx.Err() != nil {
			if ret == 0 {
				err = socket.Interrupted(ctx)
			}
			break
		}
		pp.mu.Unlock()
		if wasEmpty {
			pp.q.Notify(pipeEventsReadable)
		}
		if entry == nil {
			entry = waitq.NewEntry(pipeEventsWritable)
			pp.q.Add(entry)
		}
		werr := pp.waitFor(ctx, entry, func() bool { return !pp.full() || pp.readers == 0 })
		pp.mu.Lock()
		if werr != nil {
			if ret == 0 {
				err = werr
			}
			break
		}
		wasEmpty = pp.empty()
		wakeNextWriter = true
	}
	if pp.full() {
		wakeNextWriter = false
	}
	pp.mu.Unlock()
	// Linux wakes readers after every write once the pipe has been
	// polled (pipe->poll_usage), which is what lets edge-triggered epoll
	// see each write; without pollers an extra wakeup is harmless.
	pp.q.Notify(pipeEventsReadable)
	if wakeNextWriter {
		pp.q.Notify(pipeEventsWritable)
	}
	return ret, sigpipe, err
}

// Poll is pipe_poll: the read end is readable when not empty and hung up
// when no writer is left; the write end is writable while a slot is free
// and in error when no reader is left.
func (e *pipeEnd) Poll() waitq.Events {
	pp := e.pp
	pp.mu.Lock()
	defer pp.mu.Unlock()
	var ev waitq.Events
	if !e.write {
		if !pp.empty() {
			ev |= pipeEventsReadable
		}
		if pp.writers == 0 {
			ev |= waitq.EventHUp
		}
		return ev
	}
	if !pp.full() {
		ev |= pipeEventsWritable
	}
	if pp.readers == 0 {
		ev |= waitq.EventErr
	}
	return ev
}

// Queue returns the pipe's wait queue.
func (e *pipeEnd) Queue() *waitq.Queue { return &e.pp.q }

// Release is pipe_release: when one side is gone but not the other,
// everyone waiting on the pipe is woken.
func (e *pipeEnd) Release() error {
	pp := e.pp
	pp.mu.Lock()
	if e.write {
		pp.writers--
	} else {
		pp.readers--
	}
	wake := (pp.readers == 0) != (pp.writers == 0)
	if pp.readers == 0 && pp.writers == 0 {
		for i := range pp.bufs {
			pp.bufs[i] = pipeBuffer{}
		}
		pp.spare = nil
	}
	pp.mu.Unlock()
	if wake {
		pp.q.Notify(waitq.EventAll)
	}
	return nil
}
