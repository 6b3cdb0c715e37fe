package sys

import (
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/socket"
)

// callMsg is the socket.Msg of one read(2), write(2) or typed send or
// receive, with room for its single buffer and a sockaddr. The socket
// layer takes the message by pointer through interfaces (protocol ops,
// security hooks), so a Msg on the caller's stack escapes to the heap;
// pooling keeps a steady connection's calls allocation-free.
type callMsg struct {
	m    socket.Msg
	iov  [1][]byte
	name [abi.SizeofSockaddrStorage]byte
}

var msgPool = sync.Pool{New: func() any { return new(callMsg) }}

// getMsg returns a pooled message whose one buffer is b.
func getMsg(b []byte) *callMsg {
	c := msgPool.Get().(*callMsg)
	c.iov[0] = b
	c.m.Iov = c.iov[:]
	return c
}

// putMsg clears c, so that the pool keeps no caller buffer or passed
// file alive, and returns it.
func putMsg(c *callMsg) {
	c.iov[0] = nil
	c.m = socket.Msg{}
	msgPool.Put(c)
}
