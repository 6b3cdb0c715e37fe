package pcap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Hand-made frames for the tshark agreement test, built byte by byte so
// the test depends on nothing but this package.

func sum16(b []byte, acc uint32) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return ^uint16(acc)
}

var be = binary.BigEndian

func ethernet(dst, src [6]byte, etherType uint16, payload []byte) []byte {
	b := append(dst[:], src[:]...)
	b = be.AppendUint16(b, etherType)
	return append(b, payload...)
}

func ipv4(src, dst [4]byte, proto uint8, id uint16, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	be.PutUint16(h[2:], uint16(20+len(payload)))
	be.PutUint16(h[4:], id)
	h[6] = 0x40 // DF
	h[8] = 64
	h[9] = proto
	copy(h[12:], src[:])
	copy(h[16:], dst[:])
	be.PutUint16(h[10:], fold(sum16(h, 0)))
	return append(h, payload...)
}

// pseudo4 is the IPv4 pseudo-header sum for a transport checksum.
func pseudo4(src, dst [4]byte, proto uint8, n int) uint32 {
	return sum16(src[:], sum16(dst[:], uint32(proto)+uint32(n)))
}

func pseudo6(src, dst [16]byte, proto uint8, n int) uint32 {
	return sum16(src[:], sum16(dst[:], uint32(proto)+uint32(n)))
}

func udp4(src, dst [4]byte, sport, dport uint16, data []byte) []byte {
	u := make([]byte, 8, 8+len(data))
	be.PutUint16(u[0:], sport)
	be.PutUint16(u[2:], dport)
	be.PutUint16(u[4:], uint16(8+len(data)))
	u = append(u, data...)
	be.PutUint16(u[6:], fold(sum16(u, pseudo4(src, dst, 17, len(u)))))
	return u
}

func tcpSYN4(src, dst [4]byte, sport, dport uint16, seq uint32, mss uint16) []byte {
	t := make([]byte, 24)
	be.PutUint16(t[0:], sport)
	be.PutUint16(t[2:], dport)
	be.PutUint32(t[4:], seq)
	t[12] = 6 << 4 // data offset: 24 bytes
	t[13] = 0x02   // SYN
	be.PutUint16(t[14:], 64240)
	t[20], t[21] = 2, 4 // MSS option
	be.PutUint16(t[22:], mss)
	be.PutUint16(t[16:], fold(sum16(t, pseudo4(src, dst, 6, len(t)))))
	return t
}

func ipv6(src, dst [16]byte, next uint8, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	be.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	copy(h[8:], src[:])
	copy(h[24:], dst[:])
	return append(h, payload...)
}

func icmp6Echo(src, dst [16]byte, ident, seq uint16, data []byte) []byte {
	m := make([]byte, 8, 8+len(data))
	m[0] = 128 // echo request
	be.PutUint16(m[4:], ident)
	be.PutUint16(m[6:], seq)
	m = append(m, data...)
	be.PutUint16(m[2:], fold(sum16(m, pseudo6(src, dst, 58, len(m)))))
	return m
}

// tsharkFields are the fields the test asks tshark for, in order.
var tsharkFields = []string{
	"frame.len", "frame.cap_len", "frame.time_epoch",
	"eth.src", "eth.dst", "eth.type",
	"ip.src", "ip.dst", "ip.proto", "ip.checksum.status",
	"udp.srcport", "udp.dstport", "udp.checksum.status",
	"ipv6.src", "ipv6.dst", "ipv6.nxt",
	"icmpv6.type", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number", "icmpv6.checksum.status",
	"tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.flags.syn", "tcp.options.mss_val", "tcp.checksum.status",
	"_ws.malformed", "_ws.expert.severity",
}

// needTshark returns tshark's path. It skips the test when tshark is
// missing, unless CI=true, where it fails.
func needTshark(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark is not installed (CI=true): run .ci/install-deps")
		}
		t.Skip("skipping: tshark is not installed; run .ci/install-deps to check pcap files against it")
	}
	return bin
}

// tshark runs tshark on a file and returns one map of field → value per
// packet.
func tshark(t *testing.T, path string) []map[string]string {
	t.Helper()
	bin := needTshark(t)
	args := []string{"-r", path, "-n",
		// Verify every checksum, so checksum.status is 1 (good) or 0 (bad).
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-o", "tcp.relative_sequence_numbers:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user profile
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		// tshark warns about running as root; anything else is a complaint
		// about the file.
		if line != "" && !strings.Contains(line, "Running as user") {
			t.Errorf("tshark stderr: %s", line)
		}
	}
	var pkts []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		vals := strings.Split(sc.Text(), "\t")
		if len(vals) != len(tsharkFields) {
			t.Fatalf("tshark printed %d fields, want %d: %q", len(vals), len(tsharkFields), sc.Text())
		}
		m := make(map[string]string)
		for i, f := range tsharkFields {
			if vals[i] != "" {
				m[f] = vals[i]
			}
		}
		pkts = append(pkts, m)
	}
	t.Logf("tshark on %s:\n%s", filepath.Base(path), out)
	return pkts
}

// piWarn is Wireshark's PI_WARN expert severity.
const piWarn = 0x00600000

type tsharkFrame struct {
	ts    time.Time
	data  []byte
	orig  int
	want  map[string]string // fields tshark must report (others must be absent)
	extra []string          // fields that may be present with any value
}

func writeFile(t *testing.T, name string, lt LinkType, snaplen int, nano bool, frames []tsharkFrame) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	newW := NewWriter
	if nano {
		newW = NewNanoWriter
	}
	w, err := newW(bw, lt, snaplen)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		if err := w.WritePacket(fr.ts, fr.data, fr.orig); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func checkTshark(t *testing.T, path string, frames []tsharkFrame) {
	t.Helper()
	got := tshark(t, path)
	if len(got) != len(frames) {
		t.Fatalf("tshark read %d packets, want %d", len(got), len(frames))
	}
	for i, fr := range frames {
		for k, v := range fr.want {
			if got[i][k] != v {
				t.Errorf("packet %d: tshark %s = %q, want %q", i+1, k, got[i][k], v)
			}
		}
		// Expert info up to "note" is fine (a SYN is a "chat" about a
		// connection request); warnings and errors mean tshark found
		// something wrong.
		for _, sev := range strings.Split(got[i]["_ws.expert.severity"], ",") {
			if n, err := strconv.ParseUint(sev, 0, 32); sev != "" && (err != nil || n >= piWarn) {
				t.Errorf("packet %d: tshark expert severity %q (warning or worse)", i+1, sev)
			}
		}
	outer:
		for k, v := range got[i] {
			if _, ok := fr.want[k]; ok || k == "_ws.expert.severity" {
				continue
			}
			for _, e := range fr.extra {
				if e == k {
					continue outer
				}
			}
			t.Errorf("packet %d: tshark reports unexpected %s = %q", i+1, k, v)
		}
	}
}

func TestTsharkAgrees(t *testing.T) {
	needTshark(t)
	macA := [6]byte{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}
	macB := [6]byte{0x02, 0x00, 0x5e, 0x00, 0x00, 0x02}
	v4a, v4b := [4]byte{192, 0, 2, 1}, [4]byte{192, 0, 2, 2}
	v4c, v4d := [4]byte{198, 51, 100, 1}, [4]byte{198, 51, 100, 2}
	v6a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	v6b := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 2}
	ts1 := time.Unix(1700000000, 123456000)
	ts2 := time.Unix(1700000001, 500000000)

	udpFrame := ethernet(macB, macA, 0x0800, ipv4(v4a, v4b, 17, 0x1234, udp4(v4a, v4b, 40000, 9999, []byte("hello from gosock"))))
	icmp6Frame := ethernet(macA, macB, 0x86dd, ipv6(v6b, v6a, 58, icmp6Echo(v6b, v6a, 0x4242, 7, []byte("ping payload"))))
	synPacket := ipv4(v4c, v4d, 6, 1, tcpSYN4(v4c, v4d, 12345, 80, 1000, 1460))

	t.Run("ethernet", func(t *testing.T) {
		frames := []tsharkFrame{
			{ts: ts1, data: udpFrame, orig: len(udpFrame), want: map[string]string{
				"frame.len": "59", "frame.cap_len": "59", "frame.time_epoch": "1700000000.123456000",
				"eth.src": "02:00:5e:00:00:01", "eth.dst": "02:00:5e:00:00:02", "eth.type": "0x0800",
				"ip.src": "192.0.2.1", "ip.dst": "192.0.2.2", "ip.proto": "17", "ip.checksum.status": "1",
				"udp.srcport": "40000", "udp.dstport": "9999", "udp.checksum.status": "1",
			}},
			{ts: ts2, data: icmp6Frame, orig: len(icmp6Frame), want: map[string]string{
				"frame.len": "74", "frame.cap_len": "74", "frame.time_epoch": "1700000001.500000000",
				"eth.src": "02:00:5e:00:00:02", "eth.dst": "02:00:5e:00:00:01", "eth.type": "0x86dd",
				"ipv6.src": "2001:db8::2", "ipv6.dst": "2001:db8::1", "ipv6.nxt": "58",
				"icmpv6.type": "128", "icmpv6.echo.identifier": "0x4242", "icmpv6.echo.sequence_number": "7",
				"icmpv6.checksum.status": "1",
			}},
		}
		checkTshark(t, writeFile(t, "ether.pcap", LinkTypeEthernet, 0, false, frames), frames)
	})

	t.Run("raw", func(t *testing.T) {
		frames := []tsharkFrame{
			{ts: ts1, data: synPacket, orig: len(synPacket), want: map[string]string{
				"frame.len": "44", "frame.cap_len": "44", "frame.time_epoch": "1700000000.123456000",
				"ip.src": "198.51.100.1", "ip.dst": "198.51.100.2", "ip.proto": "6", "ip.checksum.status": "1",
				"tcp.srcport": "12345", "tcp.dstport": "80", "tcp.seq_raw": "1000", "tcp.flags.syn": "1",
				"tcp.options.mss_val": "1460", "tcp.checksum.status": "1",
			}},
		}
		checkTshark(t, writeFile(t, "raw.pcap", LinkTypeRaw, 0, false, frames), frames)
	})

	t.Run("nanoseconds and snaplen", func(t *testing.T) {
		// A 59-byte frame cut to 40 bytes: tshark must see the original
		// length and the nanosecond timestamp.
		frames := []tsharkFrame{
			{ts: time.Unix(1700000002, 987654321), data: udpFrame, orig: len(udpFrame), want: map[string]string{
				"frame.len": "59", "frame.cap_len": "40", "frame.time_epoch": "1700000002.987654321",
				"eth.src": "02:00:5e:00:00:01", "eth.dst": "02:00:5e:00:00:02", "eth.type": "0x0800",
				"ip.src": "192.0.2.1", "ip.dst": "192.0.2.2", "ip.proto": "17", "ip.checksum.status": "1",
				"udp.srcport": "40000", "udp.dstport": "9999",
			}, extra: []string{"udp.checksum.status"}},
		}
		checkTshark(t, writeFile(t, "nano.pcap", LinkTypeEthernet, 40, true, frames), frames)
	})
}

// TestReaderReadsTsharkFiles has tshark rewrite a gosock file in both of
// its classic pcap flavours and reads the result back with Reader.
func TestReaderReadsTsharkFiles(t *testing.T) {
	bin := needTshark(t)
	frames := []tsharkFrame{
		{ts: time.Unix(1700000000, 1000), data: bytes.Repeat([]byte{0xee}, 60), orig: 60},
		{ts: time.Unix(1700000005, 999999000), data: bytes.Repeat([]byte{0x11}, 100), orig: 1514},
	}
	src := writeFile(t, "src.pcap", LinkTypeEthernet, 0, false, frames)
	for _, format := range []string{"pcap", "nsecpcap"} {
		t.Run(format, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out.pcap")
			cmd := exec.Command(bin, "-r", src, "-F", format, "-w", dst)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("tshark: %v\n%s", err, out)
			}
			f, err := os.Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewReader(bufio.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			if r.LinkType() != LinkTypeEthernet || r.Nanosecond() != (format == "nsecpcap") {
				t.Errorf("header: %v nano=%v", r.LinkType(), r.Nanosecond())
			}
			for i, fr := range frames {
				p, err := r.Next()
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if !p.Timestamp.Equal(fr.ts) || !bytes.Equal(p.Data, fr.data) || p.OrigLen != fr.orig {
					t.Errorf("packet %d: %v %d bytes orig %d; want %v %d bytes orig %d",
						i, p.Timestamp, len(p.Data), p.OrigLen, fr.ts, len(fr.data), fr.orig)
				}
			}
		})
	}
}
