package tcp

import "testing"

func TestSelectInitialWindowLikeLinux(t *testing.T) {
	cases := []struct {
		name    string
		rcvbuf  int
		rmemMax int
		mss     uint32
		wnd     uint32
		wscale  uint8
	}{
		// Linux 6.18 defaults: tcp_rmem[1] 131072 → half is window
		// space, rounded down to the MSS: 64240, wscale from
		// tcp_rmem[2] 33554432 → 10.
		{"defaults", 131072, 33554432, 1460, 64240, 10},
		// packetdrill's defaults.sh: tcp_rmem 540000, max 15 MiB.
		{"packetdrill", 540000, 15 << 20, 1460, 65535, 8},
		// A small buffer: the whole space, rounded to the MSS.
		{"small", 8192, 212992, 1000, 4000, 2},
	}
	for _, c := range cases {
		space := winFromSpace(c.rcvbuf, defaultScalingRatio)
		w := selectInitialWindow(space, c.mss, 0, true, c.rmemMax, false, 0)
		if w.rcvWnd != c.wnd || w.rcvWScale != c.wscale {
			t.Errorf("%s: window %d wscale %d, want %d %d", c.name, w.rcvWnd, w.rcvWScale, c.wnd, c.wscale)
		}
	}
	w := selectInitialWindow(100000, 1460, 0, false, 1<<24, true, 0)
	if w.rcvWnd != maxTCPWindow || w.rcvWScale != 0 || w.windowClamp != 0xffff {
		t.Errorf("no wscale, signed workaround: %+v", w)
	}
	if mssFromMTU(1500, false) != 1460 || mssFromMTU(1500, true) != 1440 || mssFromMTU(60, false) != 48 ||
		mssFromMTU(65536, false) != 65495 || mssFromMTU(65536, true) != 65476 {
		t.Error("mssFromMTU")
	}
}
