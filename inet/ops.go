package inet

import (
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// ops are the socket.ProtoOps of an inet socket: inet_dgram_ops and
// inet_sockraw_ops, written once over ProtoSock.
type ops struct{ sk *Sock }

// streamOps adds listen, accept and the connect result (inet_stream_ops).
type streamOps struct{ ops }

func (sk *Sock) ops() socket.ProtoOps {
	if sk.sw.Ops == StreamOps {
		return &streamOps{ops{sk}}
	}
	return &ops{sk}
}

// Ops returns the socket operations of sk, for a protocol that makes
// sockets itself (a TCP accept).
func (sk *Sock) Ops() socket.ProtoOps { return sk.ops() }

// Bind is inet_bind / inet6_bind, or the protocol's own bind.
func (o *ops) Bind(addr []byte) errno.Errno {
	sk := o.sk
	if b, ok := sk.Proto.(Binder); ok {
		return b.Bind(addr)
	}
	if sk.V6 {
		return sk.bind6(addr)
	}
	return sk.bind4(addr)
}

// Connect is inet_dgram_connect for datagram and raw sockets; stream
// protocols get the address as it is (inet_stream_connect is theirs).
func (o *ops) Connect(addr []byte) errno.Errno {
	sk := o.sk
	if len(addr) < 2 {
		return errno.EINVAL
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	sk.syncDev()
	if o.sk.sw.Ops == StreamOps {
		return sk.Proto.Connect(addr)
	}
	if abi.Family(addr) == abi.AF_UNSPEC {
		return sk.Proto.Disconnect()
	}
	if sk.Num == 0 {
		if e := sk.Autobind(); e != 0 {
			return e
		}
	}
	return sk.Proto.Connect(addr)
}

// Sendmsg is inet_sendmsg: autobind first (inet_send_prepare), then the
// protocol.
func (o *ops) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	sk := o.sk
	sk.Mu.Lock()
	sk.syncDev()
	if sk.Num == 0 && sk.sw.Ops != StreamOps {
		if e := sk.Autobind(); e != 0 {
			sk.Mu.Unlock()
			return 0, e
		}
	}
	sk.Mu.Unlock()
	return sk.Proto.Sendmsg(m, flags)
}

// Recvmsg is inet_recvmsg.
func (o *ops) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	return o.sk.Proto.Recvmsg(m, flags)
}

// Shutdown is inet_shutdown: an unconnected socket reports ENOTCONN but
// records the shutdown all the same (and wakes pollers, Linux's "hack to
// wake up other listeners").
func (o *ops) Shutdown(how int) errno.Errno {
	sk := o.sk
	bits := (how + 1) & (socket.RcvShutdown | socket.SendShutdown)
	sk.Mu.Lock()
	var e errno.Errno
	switch sk.State() {
	case StateClose:
		e = errno.ENOTCONN
		fallthrough
	default:
		sk.S.SetShutdown(bits)
		sk.Proto.Shutdown(how)
	case StateListen:
		if bits&socket.RcvShutdown == 0 {
			break
		}
		fallthrough
	case StateSynSent:
		sk.Proto.Disconnect() // sk_prot->disconnect
	}
	sk.Mu.Unlock()
	sk.S.Wait.Notify(waitq.EventIn | waitq.EventOut | waitq.EventHUp | waitq.EventRdHUp)
	return e
}

// Getname is inet_getname / inet6_getname.
func (o *ops) Getname(buf []byte, peer bool) (int, errno.Errno) {
	return o.sk.getname(buf, peer)
}

// AcceptName is inet_getname with peer == 2, for accept(2): a
// connection that ended in the accept queue still names its peer.
func (o *ops) AcceptName(buf []byte) (int, errno.Errno) {
	sk := o.sk
	sk.Mu.Lock()
	a := *sk.Addrs()
	st := sk.State()
	sk.Mu.Unlock()
	if a.DstPort == 0 || st == StateSynSent {
		return 0, errno.ENOTCONN
	}
	return PutSockaddr(buf, sk.V6, sk.orAny(a.Dst), a.DstPort, a.Dev), 0
}

// SetSockopt dispatches an option: the protocol first, then SOL_IP and
// SOL_IPV6 here.
func (o *ops) SetSockopt(level, name int, val []byte) errno.Errno {
	sk := o.sk
	if h, ok := sk.Proto.(OptionHandler); ok {
		if e, handled := h.SetOption(level, name, val); handled {
			return e
		}
	}
	switch level {
	case abi.SOL_IP:
		return sk.setIPOption(name, val)
	case abi.SOL_IPV6:
		if !sk.V6 {
			return errno.ENOPROTOOPT
		}
		return sk.setIPv6Option(name, val)
	case abi.SOL_SOCKET:
		if name == abi.SO_BINDTODEVICE || name == abi.SO_BINDTOIFINDEX {
			sk.Mu.Lock()
			sk.syncDev()
			sk.Mu.Unlock()
		}
	}
	return errno.ENOPROTOOPT
}

// GetSockopt dispatches like SetSockopt.
func (o *ops) GetSockopt(level, name int, buf []byte) (int, errno.Errno) {
	sk := o.sk
	if h, ok := sk.Proto.(OptionHandler); ok {
		if n, e, handled := h.GetOption(level, name, buf); handled {
			return n, e
		}
	}
	switch level {
	case abi.SOL_IP:
		return sk.getIPOption(name, buf)
	case abi.SOL_IPV6:
		if sk.V6 {
			return sk.getIPv6Option(name, buf)
		}
	}
	if !sk.V6 && level != abi.SOL_SOCKET { // SOL_SOCKET: the generic layer's fallback
		return 0, errno.EOPNOTSUPP // ip_getsockopt
	}
	return 0, errno.ENOPROTOOPT
}

// Poll reports the protocol's readiness.
func (o *ops) Poll() waitq.Events { return o.sk.Proto.Poll() }

// Release closes the socket: multicast memberships are dropped
// (ip_mc_drop_socket), then the protocol closes.
func (o *ops) Release() {
	sk := o.sk
	sk.dropMemberships()
	sk.Proto.Close()
	sk.errq.purge()
}

// Ioctl passes the protocol's ioctls on; others are ENOTTY
// (ENOIOCTLCMD).
func (o *ops) Ioctl(cmd uint, arg []byte) errno.Errno {
	if i, ok := o.sk.Proto.(socket.Ioctler); ok {
		return i.Ioctl(cmd, arg)
	}
	return errno.ENOTTY
}

// Listen is inet_listen.
func (o *streamOps) Listen(backlog int) errno.Errno {
	st, ok := o.sk.Proto.(Streamer)
	if !ok {
		return errno.EOPNOTSUPP
	}
	return st.Listen(backlog)
}

// Accept is inet_accept.
func (o *streamOps) Accept(flags int) (socket.ProtoOps, *socket.Sock, errno.Errno) {
	st, ok := o.sk.Proto.(Streamer)
	if !ok {
		return nil, nil, errno.EOPNOTSUPP
	}
	child, e := st.Accept(flags)
	if e != 0 {
		return nil, nil, e
	}
	return child.ops(), child.S, 0
}

// ConnectResult reports how a connect in progress ended.
func (o *streamOps) ConnectResult() errno.Errno {
	st, ok := o.sk.Proto.(Streamer)
	if !ok {
		return errno.EOPNOTSUPP
	}
	return st.ConnectResult()
}
