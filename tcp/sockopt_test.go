package tcp_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// connected returns a connected client fd and accepted server fd.
func connected(t *testing.T, imp link.Impairments) (cp, sp *sys.Process, cfd, sfd int, cns, sns *netns.Namespace) {
	t.Helper()
	cp, sp, cns, sns = pair(t, imp)
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 4))
	cfd, err = cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, cp.Connect(cfd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
	sfd, _, err = sp.Accept(ls)
	must(t, err)
	return
}

func TestTCPOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, _, fd, _, _, _ := connected(t, link.Impairments{Latency: time.Millisecond})
		for _, c := range []struct {
			name string
			opt  int
			val  int
			want errno.Errno
		}{
			{"nodelay", abi.TCP_NODELAY, 1, 0},
			{"maxseg too small", abi.TCP_MAXSEG, 10, errno.EINVAL},
			{"keepidle 0", abi.TCP_KEEPIDLE, 0, errno.EINVAL},
			{"keepidle too big", abi.TCP_KEEPIDLE, 40000, errno.EINVAL},
			{"keepcnt 128", abi.TCP_KEEPCNT, 128, errno.EINVAL},
			{"keepintvl", abi.TCP_KEEPINTVL, 30, 0},
			{"syncnt 0", abi.TCP_SYNCNT, 0, errno.EINVAL},
			{"user timeout negative", abi.TCP_USER_TIMEOUT, -1, errno.EINVAL},
			{"unknown", 250, 1, errno.ENOPROTOOPT},
		} {
			err := cp.SetsockoptInt(fd, abi.SOL_TCP, c.opt, c.val)
			if c.want == 0 && err != nil || c.want != 0 && !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if v, err := cp.GetsockoptInt(fd, abi.SOL_TCP, abi.TCP_NODELAY); err != nil || v != 1 {
			t.Errorf("TCP_NODELAY read back %d %v", v, err)
		}
		if v, err := cp.GetsockoptInt(fd, abi.SOL_TCP, abi.TCP_MAXSEG); err != nil || v != 1448 {
			t.Errorf("TCP_MAXSEG of a connection %d %v, want 1448 (1460 less timestamps)", v, err)
		}
		if err := cp.Setsockopt(fd, abi.SOL_TCP, abi.TCP_CONGESTION, []byte("bogus")); !errors.Is(err, errno.ENOENT) {
			t.Errorf("TCP_CONGESTION bogus: %v", err)
		}
		must(t, cp.Setsockopt(fd, abi.SOL_TCP, abi.TCP_CONGESTION, []byte("reno")))
		name := make([]byte, 16)
		if n, err := cp.Getsockopt(fd, abi.SOL_TCP, abi.TCP_CONGESTION, name); err != nil || string(name[:4]) != "reno" || n != 16 {
			t.Errorf("TCP_CONGESTION read back %q %d %v", name, n, err)
		}
		info := make([]byte, abi.SizeofTCPInfo)
		n, err := cp.Getsockopt(fd, abi.SOL_TCP, abi.TCP_INFO, info)
		must(t, err)
		if n != abi.SizeofTCPInfo || info[0] != 1 || info[5]&(abi.TCPI_OPT_TIMESTAMPS|abi.TCPI_OPT_SACK|abi.TCPI_OPT_WSCALE) != 7 ||
			binary.LittleEndian.Uint32(info[16:]) != 1448 || binary.LittleEndian.Uint32(info[80:]) != 10 {
			t.Errorf("TCP_INFO: n %d state %d options %#x snd_mss %d cwnd %d", n, info[0], info[5],
				binary.LittleEndian.Uint32(info[16:]), binary.LittleEndian.Uint32(info[80:]))
		}
	})
}

func TestKeepaliveTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, _, fd, _, cns, _ := connected(t, link.Impairments{Latency: time.Millisecond})
		must(t, cp.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, 1))
		must(t, cp.SetsockoptInt(fd, abi.SOL_TCP, abi.TCP_KEEPIDLE, 10))
		must(t, cp.SetsockoptInt(fd, abi.SOL_TCP, abi.TCP_KEEPINTVL, 5))
		must(t, cp.SetsockoptInt(fd, abi.SOL_TCP, abi.TCP_KEEPCNT, 2))
		// While the peer answers, probes keep the connection.
		time.Sleep(60 * time.Second)
		if n := cns.MIB.Get(netns.TCPExtTCPKeepAlive); n == 0 {
			t.Fatal("no keepalive probes in a minute of idleness")
		}
		// Cut the wire: two unanswered probes, then ETIMEDOUT.
		cns.InterfaceByName("eth0").Device().(*link.PipeEnd).SetCarrier(false)
		start := time.Now()
		_, err := cp.Read(fd, make([]byte, 10))
		if !errors.Is(err, errno.ETIMEDOUT) {
			t.Fatalf("read on a dead keepalive connection: %v", err)
		}
		if d := time.Since(start); d > 25*time.Second {
			t.Errorf("gave up after %v, want at most idle 10 s + 2 × 5 s", d)
		}
	})
}
