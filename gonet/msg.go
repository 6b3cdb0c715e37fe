package gonet

import (
	"sync"

	"github.com/gosock/gosock/socket"
)

// opMsg is the socket.Msg of one Read or Write with room for its single
// buffer. The socket layer takes the message by pointer through
// interfaces (the protocol's ops, the security hooks), so a Msg built on
// the caller's stack escapes: two heap objects per call, four per
// request/response round. Pooling them keeps a steady connection's calls
// allocation-free.
type opMsg struct {
	m   socket.Msg
	iov [1][]byte
}

var msgPool = sync.Pool{New: func() any { return new(opMsg) }}

// getMsg returns a pooled message over b with the address buffer name.
func getMsg(b, name []byte) *opMsg {
	o := msgPool.Get().(*opMsg)
	o.iov[0] = b
	o.m.Iov = o.iov[:]
	o.m.Name = name
	return o
}

// putMsg clears o, so the pool holds no reference to the caller's
// buffers, and returns it.
func putMsg(o *opMsg) {
	o.iov[0] = nil
	o.m = socket.Msg{}
	msgPool.Put(o)
}
