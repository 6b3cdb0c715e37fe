// Table derived from Linux's asm-generic/errno-base.h and errno.h (x86-64).
// The table is maintained by hand from those headers.

package errno

// Linux error numbers, with the values of x86-64 Linux.
const (
	EPERM           Errno = 1   // Operation not permitted
	ENOENT          Errno = 2   // No such file or directory
	ESRCH           Errno = 3   // No such process
	EINTR           Errno = 4   // Interrupted system call
	EIO             Errno = 5   // Input/output error
	ENXIO           Errno = 6   // No such device or address
	E2BIG           Errno = 7   // Argument list too long
	ENOEXEC         Errno = 8   // Exec format error
	EBADF           Errno = 9   // Bad file descriptor
	ECHILD          Errno = 10  // No child processes
	EAGAIN          Errno = 11  // Resource temporarily unavailable
	ENOMEM          Errno = 12  // Cannot allocate memory
	EACCES          Errno = 13  // Permission denied
	EFAULT          Errno = 14  // Bad address
	ENOTBLK         Errno = 15  // Block device required
	EBUSY           Errno = 16  // Device or resource busy
	EEXIST          Errno = 17  // File exists
	EXDEV           Errno = 18  // Invalid cross-device link
	ENODEV          Errno = 19  // No such device
	ENOTDIR         Errno = 20  // Not a directory
	EISDIR          Errno = 21  // Is a directory
	EINVAL          Errno = 22  // Invalid argument
	ENFILE          Errno = 23  // Too many open files in system
	EMFILE          Errno = 24  // Too many open files
	ENOTTY          Errno = 25  // Inappropriate ioctl for device
	ETXTBSY         Errno = 26  // Text file busy
	EFBIG           Errno = 27  // File too large
	ENOSPC          Errno = 28  // No space left on device
	ESPIPE          Errno = 29  // Illegal seek
	EROFS           Errno = 30  // Read-only file system
	EMLINK          Errno = 31  // Too many links
	EPIPE           Errno = 32  // Broken pipe
	EDOM            Errno = 33  // Numerical argument out of domain
	ERANGE          Errno = 34  // Numerical result out of range
	EDEADLK         Errno = 35  // Resource deadlock avoided
	ENAMETOOLONG    Errno = 36  // File name too long
	ENOLCK          Errno = 37  // No locks available
	ENOSYS          Errno = 38  // Function not implemented
	ENOTEMPTY       Errno = 39  // Directory not empty
	ELOOP           Errno = 40  // Too many levels of symbolic links
	ENOMSG          Errno = 42  // No message of desired type
	EIDRM           Errno = 43  // Identifier removed
	ECHRNG          Errno = 44  // Channel number out of range
	EL2NSYNC        Errno = 45  // Level 2 not synchronized
	EL3HLT          Errno = 46  // Level 3 halted
	EL3RST          Errno = 47  // Level 3 reset
	ELNRNG          Errno = 48  // Link number out of range
	EUNATCH         Errno = 49  // Protocol driver not attached
	ENOCSI          Errno = 50  // No CSI structure available
	EL2HLT          Errno = 51  // Level 2 halted
	EBADE           Errno = 52  // Invalid exchange
	EBADR           Errno = 53  // Invalid request descriptor
	EXFULL          Errno = 54  // Exchange full
	ENOANO          Errno = 55  // No anode
	EBADRQC         Errno = 56  // Invalid request code
	EBADSLT         Errno = 57  // Invalid slot
	EBFONT          Errno = 59  // Bad font file format
	ENOSTR          Errno = 60  // Device not a stream
	ENODATA         Errno = 61  // No data available
	ETIME           Errno = 62  // Timer expired
	ENOSR           Errno = 63  // Out of streams resources
	ENONET          Errno = 64  // Machine is not on the network
	ENOPKG          Errno = 65  // Package not installed
	EREMOTE         Errno = 66  // Object is remote
	ENOLINK         Errno = 67  // Link has been severed
	EADV            Errno = 68  // Advertise error
	ESRMNT          Errno = 69  // Srmount error
	ECOMM           Errno = 70  // Communication error on send
	EPROTO          Errno = 71  // Protocol error
	EMULTIHOP       Errno = 72  // Multihop attempted
	EDOTDOT         Errno = 73  // RFS specific error
	EBADMSG         Errno = 74  // Bad message
	EOVERFLOW       Errno = 75  // Value too large for defined data type
	ENOTUNIQ        Errno = 76  // Name not unique on network
	EBADFD          Errno = 77  // File descriptor in bad state
	EREMCHG         Errno = 78  // Remote address changed
	ELIBACC         Errno = 79  // Can not access a needed shared library
	ELIBBAD         Errno = 80  // Accessing a corrupted shared library
	ELIBSCN         Errno = 81  // .lib section in a.out corrupted
	ELIBMAX         Errno = 82  // Attempting to link in too many shared libraries
	ELIBEXEC        Errno = 83  // Cannot exec a shared library directly
	EILSEQ          Errno = 84  // Invalid or incomplete multibyte or wide character
	ERESTART        Errno = 85  // Interrupted system call should be restarted
	ESTRPIPE        Errno = 86  // Streams pipe error
	EUSERS          Errno = 87  // Too many users
	ENOTSOCK        Errno = 88  // Socket operation on non-socket
	EDESTADDRREQ    Errno = 89  // Destination address required
	EMSGSIZE        Errno = 90  // Message too long
	EPROTOTYPE      Errno = 91  // Protocol wrong type for socket
	ENOPROTOOPT     Errno = 92  // Protocol not available
	EPROTONOSUPPORT Errno = 93  // Protocol not supported
	ESOCKTNOSUPPORT Errno = 94  // Socket type not supported
	EOPNOTSUPP      Errno = 95  // Operation not supported
	EPFNOSUPPORT    Errno = 96  // Protocol family not supported
	EAFNOSUPPORT    Errno = 97  // Address family not supported by protocol
	EADDRINUSE      Errno = 98  // Address already in use
	EADDRNOTAVAIL   Errno = 99  // Cannot assign requested address
	ENETDOWN        Errno = 100 // Network is down
	ENETUNREACH     Errno = 101 // Network is unreachable
	ENETRESET       Errno = 102 // Network dropped connection on reset
	ECONNABORTED    Errno = 103 // Software caused connection abort
	ECONNRESET      Errno = 104 // Connection reset by peer
	ENOBUFS         Errno = 105 // No buffer space available
	EISCONN         Errno = 106 // Transport endpoint is already connected
	ENOTCONN        Errno = 107 // Transport endpoint is not connected
	ESHUTDOWN       Errno = 108 // Cannot send after transport endpoint shutdown
	ETOOMANYREFS    Errno = 109 // Too many references: cannot splice
	ETIMEDOUT       Errno = 110 // Connection timed out
	ECONNREFUSED    Errno = 111 // Connection refused
	EHOSTDOWN       Errno = 112 // Host is down
	EHOSTUNREACH    Errno = 113 // No route to host
	EALREADY        Errno = 114 // Operation already in progress
	EINPROGRESS     Errno = 115 // Operation now in progress
	ESTALE          Errno = 116 // Stale file handle
	EUCLEAN         Errno = 117 // Structure needs cleaning
	ENOTNAM         Errno = 118 // Not a XENIX named type file
	ENAVAIL         Errno = 119 // No XENIX semaphores available
	EISNAM          Errno = 120 // Is a named type file
	EREMOTEIO       Errno = 121 // Remote I/O error
	EDQUOT          Errno = 122 // Disk quota exceeded
	ENOMEDIUM       Errno = 123 // No medium found
	EMEDIUMTYPE     Errno = 124 // Wrong medium type
	ECANCELED       Errno = 125 // Operation canceled
	ENOKEY          Errno = 126 // Required key not available
	EKEYEXPIRED     Errno = 127 // Key has expired
	EKEYREVOKED     Errno = 128 // Key has been revoked
	EKEYREJECTED    Errno = 129 // Key was rejected by service
	EOWNERDEAD      Errno = 130 // Owner died
	ENOTRECOVERABLE Errno = 131 // State not recoverable
	ERFKILL         Errno = 132 // Operation not possible due to RF-kill
	EHWPOISON       Errno = 133 // Memory page has hardware error

	// Aliases Linux defines.
	EWOULDBLOCK = EAGAIN // Operation would block
	EDEADLOCK   = EDEADLK
	ENOTSUP     = EOPNOTSUPP
)

// names maps a number to its symbolic name; messages to strerror(3)'s text in the lower-case form Go's syscall package prints.
var table = [...]struct{ name, msg string }{
	1:   {"EPERM", "operation not permitted"},
	2:   {"ENOENT", "no such file or directory"},
	3:   {"ESRCH", "no such process"},
	4:   {"EINTR", "interrupted system call"},
	5:   {"EIO", "input/output error"},
	6:   {"ENXIO", "no such device or address"},
	7:   {"E2BIG", "argument list too long"},
	8:   {"ENOEXEC", "exec format error"},
	9:   {"EBADF", "bad file descriptor"},
	10:  {"ECHILD", "no child processes"},
	11:  {"EAGAIN", "resource temporarily unavailable"},
	12:  {"ENOMEM", "cannot allocate memory"},
	13:  {"EACCES", "permission denied"},
	14:  {"EFAULT", "bad address"},
	15:  {"ENOTBLK", "block device required"},
	16:  {"EBUSY", "device or resource busy"},
	17:  {"EEXIST", "file exists"},
	18:  {"EXDEV", "invalid cross-device link"},
	19:  {"ENODEV", "no such device"},
	20:  {"ENOTDIR", "not a directory"},
	21:  {"EISDIR", "is a directory"},
	22:  {"EINVAL", "invalid argument"},
	23:  {"ENFILE", "too many open files in system"},
	24:  {"EMFILE", "too many open files"},
	25:  {"ENOTTY", "inappropriate ioctl for device"},
	26:  {"ETXTBSY", "text file busy"},
	27:  {"EFBIG", "file too large"},
	28:  {"ENOSPC", "no space left on device"},
	29:  {"ESPIPE", "illegal seek"},
	30:  {"EROFS", "read-only file system"},
	31:  {"EMLINK", "too many links"},
	32:  {"EPIPE", "broken pipe"},
	33:  {"EDOM", "numerical argument out of domain"},
	34:  {"ERANGE", "numerical result out of range"},
	35:  {"EDEADLK", "resource deadlock avoided"},
	36:  {"ENAMETOOLONG", "file name too long"},
	37:  {"ENOLCK", "no locks available"},
	38:  {"ENOSYS", "function not implemented"},
	39:  {"ENOTEMPTY", "directory not empty"},
	40:  {"ELOOP", "too many levels of symbolic links"},
	42:  {"ENOMSG", "no message of desired type"},
	43:  {"EIDRM", "identifier removed"},
	44:  {"ECHRNG", "channel number out of range"},
	45:  {"EL2NSYNC", "level 2 not synchronized"},
	46:  {"EL3HLT", "level 3 halted"},
	47:  {"EL3RST", "level 3 reset"},
	48:  {"ELNRNG", "link number out of range"},
	49:  {"EUNATCH", "protocol driver not attached"},
	50:  {"ENOCSI", "no CSI structure available"},
	51:  {"EL2HLT", "level 2 halted"},
	52:  {"EBADE", "invalid exchange"},
	53:  {"EBADR", "invalid request descriptor"},
	54:  {"EXFULL", "exchange full"},
	55:  {"ENOANO", "no anode"},
	56:  {"EBADRQC", "invalid request code"},
	57:  {"EBADSLT", "invalid slot"},
	59:  {"EBFONT", "bad font file format"},
	60:  {"ENOSTR", "device not a stream"},
	61:  {"ENODATA", "no data available"},
	62:  {"ETIME", "timer expired"},
	63:  {"ENOSR", "out of streams resources"},
	64:  {"ENONET", "machine is not on the network"},
	65:  {"ENOPKG", "package not installed"},
	66:  {"EREMOTE", "object is remote"},
	67:  {"ENOLINK", "link has been severed"},
	68:  {"EADV", "advertise error"},
	69:  {"ESRMNT", "srmount error"},
	70:  {"ECOMM", "communication error on send"},
	71:  {"EPROTO", "protocol error"},
	72:  {"EMULTIHOP", "multihop attempted"},
	73:  {"EDOTDOT", "RFS specific error"},
	74:  {"EBADMSG", "bad message"},
	75:  {"EOVERFLOW", "value too large for defined data type"},
	76:  {"ENOTUNIQ", "name not unique on network"},
	77:  {"EBADFD", "file descriptor in bad state"},
	78:  {"EREMCHG", "remote address changed"},
	79:  {"ELIBACC", "can not access a needed shared library"},
	80:  {"ELIBBAD", "accessing a corrupted shared library"},
	81:  {"ELIBSCN", ".lib section in a.out corrupted"},
	82:  {"ELIBMAX", "attempting to link in too many shared libraries"},
	83:  {"ELIBEXEC", "cannot exec a shared library directly"},
	84:  {"EILSEQ", "invalid or incomplete multibyte or wide character"},
	85:  {"ERESTART", "interrupted system call should be restarted"},
	86:  {"ESTRPIPE", "streams pipe error"},
	87:  {"EUSERS", "too many users"},
	88:  {"ENOTSOCK", "socket operation on non-socket"},
	89:  {"EDESTADDRREQ", "destination address required"},
	90:  {"EMSGSIZE", "message too long"},
	91:  {"EPROTOTYPE", "protocol wrong type for socket"},
	92:  {"ENOPROTOOPT", "protocol not available"},
	93:  {"EPROTONOSUPPORT", "protocol not supported"},
	94:  {"ESOCKTNOSUPPORT", "socket type not supported"},
	95:  {"EOPNOTSUPP", "operation not supported"},
	96:  {"EPFNOSUPPORT", "protocol family not supported"},
	97:  {"EAFNOSUPPORT", "address family not supported by protocol"},
	98:  {"EADDRINUSE", "address already in use"},
	99:  {"EADDRNOTAVAIL", "cannot assign requested address"},
	100: {"ENETDOWN", "network is down"},
	101: {"ENETUNREACH", "network is unreachable"},
	102: {"ENETRESET", "network dropped connection on reset"},
	103: {"ECONNABORTED", "software caused connection abort"},
	104: {"ECONNRESET", "connection reset by peer"},
	105: {"ENOBUFS", "no buffer space available"},
	106: {"EISCONN", "transport endpoint is already connected"},
	107: {"ENOTCONN", "transport endpoint is not connected"},
	108: {"ESHUTDOWN", "cannot send after transport endpoint shutdown"},
	109: {"ETOOMANYREFS", "too many references: cannot splice"},
	110: {"ETIMEDOUT", "connection timed out"},
	111: {"ECONNREFUSED", "connection refused"},
	112: {"EHOSTDOWN", "host is down"},
	113: {"EHOSTUNREACH", "no route to host"},
	114: {"EALREADY", "operation already in progress"},
	115: {"EINPROGRESS", "operation now in progress"},
	116: {"ESTALE", "stale file handle"},
	117: {"EUCLEAN", "structure needs cleaning"},
	118: {"ENOTNAM", "not a XENIX named type file"},
	119: {"ENAVAIL", "no XENIX semaphores available"},
	120: {"EISNAM", "is a named type file"},
	121: {"EREMOTEIO", "remote I/O error"},
	122: {"EDQUOT", "disk quota exceeded"},
	123: {"ENOMEDIUM", "no medium found"},
	124: {"EMEDIUMTYPE", "wrong medium type"},
	125: {"ECANCELED", "operation canceled"},
	126: {"ENOKEY", "required key not available"},
	127: {"EKEYEXPIRED", "key has expired"},
	128: {"EKEYREVOKED", "key has been revoked"},
	129: {"EKEYREJECTED", "key was rejected by service"},
	130: {"EOWNERDEAD", "owner died"},
	131: {"ENOTRECOVERABLE", "state not recoverable"},
	132: {"ERFKILL", "operation not possible due to RF-kill"},
	133: {"EHWPOISON", "memory page has hardware error"},
}
