// Package socket is gosock's generic socket layer, as Linux's
// net/socket.c and net/core/sock.c: what every socket has whatever its
// family.
//
// A Socket is the file-level object a process holds (struct socket): its
// state (SS_UNCONNECTED …), its file flags, and the ProtoOps of its family
// and protocol (struct proto_ops). A Sock is the protocol-facing half
// (the common part of struct sock): SOL_SOCKET option values, buffer
// sizes, the pending error, the wait queue. Families register a Family
// in the namespace (net_families); Create looks them up as __sock_create
// does.
//
// ProtoOps never block. They return EAGAIN (or EINPROGRESS for a
// connect) and notify the Sock's wait queue when readiness changes. This
// package alone turns that into blocking calls, honouring O_NONBLOCK,
// MSG_DONTWAIT, SO_RCVTIMEO/SO_SNDTIMEO, the caller's context (deadlines
// for the Go face, signals for the syscall face) and MSG_WAITALL.
//
// Hooks (a Linux security module's socket hooks) can refuse any
// operation with EACCES or EPERM.
package socket
