//go:build !linux

package link

import (
	"os"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/pktbuf"
)

// tunSys is empty where there is no /dev/net/tun.
type tunSys struct{}

func openTUN(name string, opts TUNOptions) (*TUNDevice, error) {
	path := opts.Path
	if path == "" {
		path = DefaultTUNPath
	}
	return nil, &os.PathError{Op: "open", Path: path, Err: errno.EOPNOTSUPP}
}

// SetMTU fails: TUN devices exist only on Linux.
func (d *TUNDevice) SetMTU(mtu int) error { return errno.EOPNOTSUPP }

// Transmit fails: TUN devices exist only on Linux.
func (d *TUNDevice) Transmit(pkt *pktbuf.Buffer) error {
	pkt.Release()
	return errno.ENETDOWN
}

// Close does nothing: TUN devices exist only on Linux.
func (d *TUNDevice) Close() error { return nil }
