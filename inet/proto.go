package inet

import (
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// Proto is a transport protocol of the inet families, Linux's struct
// proto as the family sees it: the factory of each socket's protocol
// half.
type Proto interface {
	// Init makes the protocol state of a new socket (sk_prot->init, and
	// sk_prot->hash for sockets that are hashed at creation, such as raw
	// ones). It may refuse the socket (ping sockets refuse creators
	// outside net.ipv4.ping_group_range with EACCES). It must not block.
	Init(sk *Sock) (ProtoSock, errno.Errno)
}

// ProtoSock is the protocol half of one socket. inet calls it after its
// own checks, from the caller's goroutine; no method may block: a call
// that would wait returns EAGAIN (or EINPROGRESS) and the protocol
// notifies sk.S.Wait when things change.
type ProtoSock interface {
	// GetPort claims local port port (0: pick an ephemeral one) for the
	// socket's current local address (sk_prot->get_port), hashing the
	// socket for lookups. It reports EADDRINUSE on a conflict and on an
	// exhausted range. Called with sk.Mu held.
	GetPort(port uint16) errno.Errno
	// Connect connects to addr, a sockaddr in Linux's layout
	// (sk_prot->connect). Datagram protocols call sk.DatagramConnect.
	// Called with sk.Mu held, after autobind.
	Connect(addr []byte) errno.Errno
	// Disconnect undoes a connect (sk_prot->disconnect, connect with
	// AF_UNSPEC). Called with sk.Mu held.
	Disconnect() errno.Errno
	// Sendmsg and Recvmsg are sk_prot->sendmsg and ->recvmsg; inet has
	// already autobound the socket for a send. They take sk.Mu as they
	// need it.
	Sendmsg(m *socket.Msg, flags int) (int, errno.Errno)
	Recvmsg(m *socket.Msg, flags int) (int, errno.Errno)
	// Shutdown is told of a shutdown(2) after inet has recorded the
	// shutdown bits (sk_prot->shutdown: TCP sends its FIN here).
	Shutdown(how int)
	// Poll reports readiness.
	Poll() waitq.Events
	// Close releases the protocol state (sk_prot->close): unhash, free
	// queued buffers.
	Close()
}

// Binder is implemented by protocols with their own bind (sk_prot->bind:
// raw and ping sockets), which replaces inet's.
type Binder interface {
	Bind(addr []byte) errno.Errno
}

// OptionHandler is implemented by protocols with socket options of their
// own. inet offers it every option first; handled false passes the
// option on to inet's SOL_IP / SOL_IPV6 handling (or ENOPROTOOPT at
// other levels), as udp_setsockopt falls through to ip_setsockopt.
type OptionHandler interface {
	SetOption(level, name int, val []byte) (e errno.Errno, handled bool)
	GetOption(level, name int, buf []byte) (n int, e errno.Errno, handled bool)
}

// Streamer is the optional half of connection-oriented protocols (TCP):
// listen(2), accept(2) and the outcome of a connect in progress. With
// StreamOps, Connect is passed through with inet_stream_connect's
// semantics left to the protocol.
type Streamer interface {
	Listen(backlog int) errno.Errno
	// Accept returns the next connection's Sock, or EAGAIN.
	Accept(flags int) (*Sock, errno.Errno)
	ConnectResult() errno.Errno
}

// Socket states used by inet, with Linux's TCP state numbers (datagram
// sockets use Close and Established).
const (
	StateEstablished = 1
	StateSynSent     = 2
	StateSynRecv     = 3
	StateTimeWait    = 6
	StateClose       = 7
	StateListen      = 10
)
