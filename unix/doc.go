// Package unix is gosock's AF_UNIX family, as Linux's net/unix/af_unix.c:
// SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET sockets between processes
// of one namespace, with socketpair(2), SCM_RIGHTS descriptor passing
// and SCM_CREDENTIALS.
//
// Register installs the family in a namespace. The sys layer then makes
// AF_UNIX sockets with Process.Socket and Process.Socketpair, and passes
// descriptors and credentials through Sendmsg and Recvmsg control data.
//
// # Names
//
// Linux keeps two name spaces for AF_UNIX sockets. Abstract names (a
// sun_path starting with a NUL byte) live in the network namespace; as
// in Linux they are kept apart by socket type, so a stream and a
// datagram socket may hold the same abstract name, and a connect to a
// name held only by another type is refused. Autobinding (bind with only
// the family, or sending or connecting with SO_PASSCRED on an unbound
// socket) picks a free abstract name of five hex digits.
//
// Filesystem names live in Linux's mount namespace. gosock models them
// as a table of path strings kept with the network namespace: binding
// never touches the host's filesystem. A bound path stays in the table
// after its socket closes (connect then gives ECONNREFUSED, bind
// EADDRINUSE), as the socket file stays on disk, until Unlink removes
// it, as unlink(2) would. Paths are compared as strings: "a", "./a" and
// "/cwd/a" are different names, and there are no directories, so the
// ENOENT, ENOTDIR and EACCES a path walk can give are not modelled
// beyond a missing name (ENOENT).
//
// # Settings
//
// net.unix.max_dgram_qlen (default 10), the queue length beyond which a
// datagram receiver refuses more, is kept here per namespace
// (SetMaxDgramQlen, MaxDgramQlen), as the netns sysctl table lacks it.
// A socket reads it when it is made, as Linux does.
//
// # Differences from Linux
//
//   - A connect to a listener whose backlog is full returns EAGAIN, which
//     is Linux's answer for a non-blocking socket; a blocking one waits
//     in Linux. The protocol wakes the connecting socket (EventOut) when
//     there is room, so a generic layer that retries Connect on EAGAIN
//     after that wakeup gives Linux's blocking behaviour; today's
//     socket.Socket.Connect returns the EAGAIN.
//   - accept on an empty listener shut down for reading gives EINVAL,
//     Linux's answer when blocking (EAGAIN when non-blocking): the
//     protocol is not told which it is.
//   - A blocking stream read under SO_RCVLOWAT waits, without taking
//     anything, until enough is queued; when SO_RCVTIMEO or a signal
//     ends the wait Linux returns what it had already taken, gosock
//     EAGAIN or EINTR with the data still queued.
//   - An out-of-band byte (MSG_OOB on a stream, as CONFIG_AF_UNIX_OOB)
//     sends no SIGURG to the receiving socket's owner.
//   - Descriptors in flight are not garbage-collected: a socket that is
//     in flight in its own receive queue (directly or through a cycle)
//     is never released.
//   - A sender asserting another process's PID in SCM_CREDENTIALS gets
//     no ESRCH when no such process exists: gosock has no process table.
//   - SO_INQ, SO_PASSRIGHTS, SO_PASSPIDFD's SCM_PIDFD, SIOCUNIXFILE,
//     the socket-count limit (ENFILE) and the in-flight descriptor limit
//     (ETOOMANYREFS) are not modelled.
//
// # Accounting
//
// Each queued message is charged to its sender the truesize Linux's
// allocator would give it (sk_buff and shared-info overhead, kmalloc
// buckets, page fragments), and streams are cut into Linux's chunk
// sizes, so SIOCOUTQ, SIOCINQ, partial non-blocking writes and
// writability match the reference kernel's numbers.
package unix
