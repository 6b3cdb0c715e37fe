package sys

import (
	"encoding/binary"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

// Control messages in x86-64 Linux's layout: struct cmsghdr is an 8-byte
// cmsg_len (header included), a 4-byte cmsg_level and a 4-byte
// cmsg_type, and each message starts on an 8-byte boundary (CMSG_ALIGN).
const (
	SizeofCmsghdr = 16
	SizeofUcred   = 12
	cmsgAlignTo   = 8
	// ScmMaxFD is SCM_MAX_FD: descriptors one message may pass.
	ScmMaxFD = 253
	// overflowID is what Linux reports for an id it cannot map
	// (overflowuid, overflowgid).
	overflowID = 65534
)

// Capabilities SCM_CREDENTIALS checks (scm_check_creds).
const (
	capSetgid   = 6
	capSetuid   = 7
	capSysAdmin = 21
)

func cmsgAlign(n int) int { return (n + cmsgAlignTo - 1) &^ (cmsgAlignTo - 1) }

// CmsgLen is CMSG_LEN: the cmsg_len of a message with n data bytes.
func CmsgLen(n int) int { return SizeofCmsghdr + n }

// CmsgSpace is CMSG_SPACE: the room a message with n data bytes takes.
func CmsgSpace(n int) int { return SizeofCmsghdr + cmsgAlign(n) }

// Cmsghdr is a control message header.
type Cmsghdr struct {
	Len   uint64
	Level int32
	Type  int32
}

// SocketControlMessage is one control message: its header and data.
type SocketControlMessage struct {
	Header Cmsghdr
	Data   []byte
}

// Ucred is struct ucred, the payload of SCM_CREDENTIALS and SO_PEERCRED.
type Ucred struct {
	Pid int32
	Uid uint32
	Gid uint32
}

func putCmsgHeader(b []byte, length, level, typ int) {
	binary.LittleEndian.PutUint64(b, uint64(length))
	binary.LittleEndian.PutUint32(b[8:], uint32(int32(level)))
	binary.LittleEndian.PutUint32(b[12:], uint32(int32(typ)))
}

// UnixRights encodes descriptors as an SCM_RIGHTS message.
func UnixRights(fds ...int) []byte {
	n := 4 * len(fds)
	b := make([]byte, CmsgSpace(n))
	putCmsgHeader(b, CmsgLen(n), abi.SOL_SOCKET, abi.SCM_RIGHTS)
	for i, fd := range fds {
		binary.LittleEndian.PutUint32(b[SizeofCmsghdr+4*i:], uint32(int32(fd)))
	}
	return b
}

// UnixCredentials encodes credentials as an SCM_CREDENTIALS message.
func UnixCredentials(c *Ucred) []byte {
	b := make([]byte, CmsgSpace(SizeofUcred))
	putCmsgHeader(b, CmsgLen(SizeofUcred), abi.SOL_SOCKET, abi.SCM_CREDENTIALS)
	putUcred(b[SizeofCmsghdr:], c)
	return b
}

func putUcred(b []byte, c *Ucred) {
	binary.LittleEndian.PutUint32(b, uint32(c.Pid))
	binary.LittleEndian.PutUint32(b[4:], c.Uid)
	binary.LittleEndian.PutUint32(b[8:], c.Gid)
}

// ParseSocketControlMessage splits control data into its messages, as
// the receiver walks them with CMSG_NXTHDR; a header whose length is
// short or runs past the data is EINVAL.
func ParseSocketControlMessage(b []byte) ([]SocketControlMessage, error) {
	var out []SocketControlMessage
	for off := 0; off+SizeofCmsghdr <= len(b); {
		h := Cmsghdr{
			Len:   binary.LittleEndian.Uint64(b[off:]),
			Level: int32(binary.LittleEndian.Uint32(b[off+8:])),
			Type:  int32(binary.LittleEndian.Uint32(b[off+12:])),
		}
		if h.Len < SizeofCmsghdr || h.Len > uint64(len(b)-off) {
			return nil, errno.EINVAL
		}
		out = append(out, SocketControlMessage{Header: h, Data: b[off+SizeofCmsghdr : off+int(h.Len)]})
		off += cmsgAlign(int(h.Len))
	}
	return out, nil
}

// ParseUnixRights decodes the descriptors of an SCM_RIGHTS message.
func ParseUnixRights(m *SocketControlMessage) ([]int, error) {
	if m.Header.Level != abi.SOL_SOCKET || m.Header.Type != abi.SCM_RIGHTS {
		return nil, errno.EINVAL
	}
	fds := make([]int, len(m.Data)/4)
	for i := range fds {
		fds[i] = int(int32(binary.LittleEndian.Uint32(m.Data[4*i:])))
	}
	return fds, nil
}

// ParseUnixCredentials decodes an SCM_CREDENTIALS message.
func ParseUnixCredentials(m *SocketControlMessage) (*Ucred, error) {
	if m.Header.Level != abi.SOL_SOCKET || m.Header.Type != abi.SCM_CREDENTIALS || len(m.Data) < SizeofUcred {
		return nil, errno.EINVAL
	}
	return &Ucred{
		Pid: int32(binary.LittleEndian.Uint32(m.Data)),
		Uid: binary.LittleEndian.Uint32(m.Data[4:]),
		Gid: binary.LittleEndian.Uint32(m.Data[8:]),
	}, nil
}

// passedFile is a reference to an open file description in flight in
// an SCM_RIGHTS message (struct scm_fp_list's file pointers).
type passedFile struct {
	p   *Process // whose put releases it; put does not depend on the process
	ref *fileRef
}

func (f *passedFile) Dup() socket.PassedFile {
	f.ref.mu.Lock()
	f.ref.refs++
	f.ref.mu.Unlock()
	return &passedFile{p: f.p, ref: f.ref}
}

func (f *passedFile) Release() { _ = f.p.put(f.ref) }

// scmSend is __scm_send for an AF_UNIX sendmsg: it records the caller's
// credentials, and parses the control data, taking references to the
// files of SCM_RIGHTS (EBADF for a bad descriptor, EINVAL beyond
// SCM_MAX_FD) and checking asserted SCM_CREDENTIALS (EINVAL, EPERM,
// ESRCH). Messages at other levels are skipped; other SOL_SOCKET types
// and malformed headers are EINVAL. An error goes to m.ControlErr, for
// the protocol to report in Linux's order; other families' control
// data is left to their protocols.
func (p *Process) scmSend(s *socket.Socket, m *socket.Msg) {
	if s.Sock().Family != abi.AF_UNIX {
		return
	}
	c := socket.Creds{PID: p.creds.PID, UID: p.creds.UID, GID: p.creds.GID}
	m.Creds, m.CredsAsserted, m.ControlErr = &c, false, 0
	ctl := m.Control
	var files []socket.PassedFile
	fail := func(e errno.Errno) {
		for _, f := range files {
			f.Release()
		}
		m.Rights, m.ControlErr = nil, e
		m.Creds, m.CredsAsserted = &c, false
	}
	for off := 0; off+SizeofCmsghdr <= len(ctl); {
		clen := binary.LittleEndian.Uint64(ctl[off:])
		if clen < SizeofCmsghdr || clen > uint64(len(ctl)-off) { // CMSG_OK
			fail(errno.EINVAL)
			return
		}
		level := int32(binary.LittleEndian.Uint32(ctl[off+8:]))
		typ := int32(binary.LittleEndian.Uint32(ctl[off+12:]))
		data := ctl[off+SizeofCmsghdr : off+int(clen)]
		off += cmsgAlign(int(clen))
		if level != abi.SOL_SOCKET {
			continue
		}
		switch typ {
		case abi.SCM_RIGHTS:
			num := len(data) / 4
			if num == 0 {
				continue
			}
			if num > ScmMaxFD || len(files)+num > ScmMaxFD {
				fail(errno.EINVAL)
				return
			}
			for i := 0; i < num; i++ {
				fd := int(int32(binary.LittleEndian.Uint32(data[4*i:])))
				ref, err := p.lookup(fd)
				if err != nil {
					fail(errno.EBADF)
					return
				}
				ref.mu.Lock()
				ref.refs++
				ref.mu.Unlock()
				files = append(files, &passedFile{p: p, ref: ref})
			}
		case abi.SCM_CREDENTIALS:
			if len(data) != SizeofUcred {
				fail(errno.EINVAL)
				return
			}
			asserted, e := p.checkCreds(data)
			if e != 0 {
				fail(e)
				return
			}
			m.Creds, m.CredsAsserted = asserted, true
		default:
			fail(errno.EINVAL)
			return
		}
	}
	if len(files) > 0 {
		m.Rights = files
	}
}

// checkCreds is scm_check_creds and the rest of __scm_send's
// SCM_CREDENTIALS case: ids of -1 are EINVAL; a PID other than the
// caller's needs CAP_SYS_ADMIN, a UID or GID other than its own
// CAP_SETUID or CAP_SETGID (EPERM); a PID that cannot exist is ESRCH.
// gosock has no process table, so any other positive PID is taken to
// exist.
func (p *Process) checkCreds(data []byte) (*socket.Creds, errno.Errno) {
	pid := int32(binary.LittleEndian.Uint32(data))
	uid := binary.LittleEndian.Uint32(data[4:])
	gid := binary.LittleEndian.Uint32(data[8:])
	if uid == 0xffffffff || gid == 0xffffffff {
		return nil, errno.EINVAL
	}
	c := p.creds
	if (int(pid) != c.PID && !c.Has(capSysAdmin)) ||
		(int(uid) != c.UID && !c.Has(capSetuid)) ||
		(int(gid) != c.GID && !c.Has(capSetgid)) {
		return nil, errno.EPERM
	}
	if int(pid) != c.PID && pid <= 0 {
		return nil, errno.ESRCH
	}
	return &socket.Creds{PID: int(pid), UID: int(uid), GID: int(gid)}, 0
}

// scmSent releases the files a send did not queue (scm_destroy).
func (p *Process) scmSent(m *socket.Msg) {
	for _, f := range m.Rights {
		f.Release()
	}
	m.Rights = nil
}

// scmRecv finishes a receive as ___sys_recvmsg and scm_recv_unix do:
// msg_flags report MSG_CMSG_CLOEXEC as passed; for AF_UNIX, under
// SO_PASSCRED an SCM_CREDENTIALS message comes first (pid 0 and the
// overflow ids when the message carried none), then the passed files
// are installed as new descriptors (close-on-exec with
// MSG_CMSG_CLOEXEC) and listed in an SCM_RIGHTS message. What does not
// fit the control buffer is cut and flagged MSG_CTRUNC, the files left
// out closed. After a failed receive only the release is done.
func (p *Process) scmRecv(s *socket.Socket, m *socket.Msg, flags int, err error) {
	rights := m.Rights
	m.Rights = nil
	if err != nil || s.Sock().Family != abi.AF_UNIX {
		for _, f := range rights {
			f.Release()
		}
		if err == nil {
			m.Flags |= flags & abi.MSG_CMSG_CLOEXEC
		}
		return
	}
	m.Flags |= flags & abi.MSG_CMSG_CLOEXEC
	ctl := m.Control[:cap(m.Control)]
	if len(ctl) == 0 {
		// The protocol dealt with a receive without a control buffer.
		for _, f := range rights {
			f.Release()
		}
		return
	}
	w := min(max(m.ControlLen, 0), len(ctl))
	if s.Sock().Flag(abi.SO_PASSCRED) {
		u := Ucred{Pid: 0, Uid: overflowID, Gid: overflowID}
		if c := m.Creds; c != nil {
			u.Pid = int32(c.PID)
			if c.UID >= 0 {
				u.Uid = uint32(c.UID)
			}
			if c.GID >= 0 {
				u.Gid = uint32(c.GID)
			}
		}
		var b [SizeofUcred]byte
		putUcred(b[:], &u)
		w += putCmsg(ctl[w:], abi.SCM_CREDENTIALS, b[:], &m.Flags)
	}
	if len(rights) > 0 {
		w += p.detachFDs(ctl[w:], rights, flags, &m.Flags)
	}
	m.ControlLen = w
}

// putCmsg is put_cmsg: with no room for a header nothing is written;
// a message that does not fit is cut to the room left. Both flag
// MSG_CTRUNC. It returns the bytes the buffer advanced.
func putCmsg(b []byte, typ int, data []byte, msgFlags *int) int {
	if len(b) < SizeofCmsghdr {
		*msgFlags |= abi.MSG_CTRUNC
		return 0
	}
	cmlen := CmsgLen(len(data))
	if len(b) < cmlen {
		*msgFlags |= abi.MSG_CTRUNC
		cmlen = len(b)
	}
	putCmsgHeader(b, cmlen, abi.SOL_SOCKET, typ)
	copy(b[SizeofCmsghdr:cmlen], data)
	return min(CmsgSpace(len(data)), len(b))
}

// detachFDs is scm_detach_fds: as many files as the buffer has room
// for get new descriptors (until the table is full); they are listed
// in one SCM_RIGHTS message. Files left out are closed and MSG_CTRUNC
// is set. It returns the bytes the buffer advanced.
func (p *Process) detachFDs(b []byte, rights []socket.PassedFile, flags int, msgFlags *int) int {
	fdmax := 0
	if len(b) > SizeofCmsghdr {
		fdmax = (len(b) - SizeofCmsghdr) / 4
	}
	fdmax = min(fdmax, len(rights))
	i := 0
	for ; i < fdmax; i++ {
		f, ok := rights[i].(*passedFile)
		if !ok {
			break
		}
		fd, err := p.installRef(f.ref, flags&abi.MSG_CMSG_CLOEXEC != 0)
		if err != nil {
			break
		}
		binary.LittleEndian.PutUint32(b[SizeofCmsghdr+4*i:], uint32(fd))
	}
	adv := 0
	if i > 0 {
		putCmsgHeader(b, CmsgLen(4*i), abi.SOL_SOCKET, abi.SCM_RIGHTS)
		adv = min(CmsgSpace(4*i), len(b))
	}
	if i < len(rights) {
		*msgFlags |= abi.MSG_CTRUNC
	}
	for _, f := range rights[i:] {
		f.Release()
	}
	return adv
}

// installRef gives an open file description that arrived in SCM_RIGHTS
// (with the reference it came with) the lowest free descriptor; EMFILE
// when the table is full.
func (p *Process) installRef(ref *fileRef, cloexec bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
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
