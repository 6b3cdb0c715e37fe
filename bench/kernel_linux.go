package bench

import "syscall"

// raiseFileLimit lifts the process's open-file limit as far as it may go,
// since idle and many hold two kernel sockets per connection. The Go
// runtime already raises the soft limit to the hard one; root may raise
// the hard limit too.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return
	}
	for _, want := range []uint64{1 << 21, 1 << 20} {
		if lim.Cur >= want {
			return
		}
		l := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
			return
		}
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
