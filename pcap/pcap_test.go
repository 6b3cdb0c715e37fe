package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

func TestWriterGlobalHeader(t *testing.T) {
	tests := []struct {
		name     string
		nano     bool
		linkType LinkType
		snaplen  int
		want     []byte
	}{
		{"ethernet micro", false, LinkTypeEthernet, 65535, []byte{
			0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0xff, 0xff, 0, 0, 1, 0, 0, 0}},
		{"raw nano", true, LinkTypeRaw, 1500, []byte{
			0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0xdc, 0x05, 0, 0, 101, 0, 0, 0}},
		{"default snaplen", false, LinkTypeLinuxSLL, 0, []byte{
			0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0x00, 0x00, 0x04, 0, 113, 0, 0, 0}},
		{"snaplen over max", false, LinkTypeEthernet, 1 << 20, []byte{
			0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0x00, 0x00, 0x04, 0, 1, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			newW := NewWriter
			if tt.nano {
				newW = NewNanoWriter
			}
			w, err := newW(&buf, tt.linkType, tt.snaplen)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), tt.want) {
				t.Errorf("header\n got % x\nwant % x", buf.Bytes(), tt.want)
			}
			if w.LinkType() != tt.linkType || w.Nanosecond() != tt.nano {
				t.Errorf("LinkType, Nanosecond = %v, %v", w.LinkType(), w.Nanosecond())
			}
		})
	}
}

func TestNewWriterErrors(t *testing.T) {
	if _, err := NewWriter(io.Discard, LinkTypeEthernet, -1); err == nil {
		t.Error("negative snaplen accepted")
	}
	bad := errors.New("disk full")
	if _, err := NewWriter(errWriter{bad}, LinkTypeEthernet, 0); !errors.Is(err, bad) {
		t.Errorf("header write error = %v, want %v", err, bad)
	}
}

func TestWritePacketRecord(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	sec := uint32(ts.Unix())
	payload := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		name         string
		nano         bool
		snaplen      int
		data         []byte
		origLen      int
		wantFrac     uint32
		wantCap      int
		wantOrigLen  uint32
		wantDataSize int
	}{
		{"whole frame", false, 0, payload(60), 60, 123456, 60, 60, 60},
		{"orig larger", false, 0, payload(60), 1514, 123456, 60, 1514, 60},
		{"orig smaller is raised", false, 0, payload(60), 10, 123456, 60, 60, 60},
		{"cut to snaplen", false, 40, payload(60), 60, 123456, 40, 60, 40},
		{"nanoseconds", true, 0, payload(20), 20, 123456789, 20, 20, 20},
		{"empty frame", false, 0, nil, 0, 123456, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			newW := NewWriter
			if tt.nano {
				newW = NewNanoWriter
			}
			w, err := newW(&buf, LinkTypeEthernet, tt.snaplen)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WritePacket(ts, tt.data, tt.origLen); err != nil {
				t.Fatal(err)
			}
			rec := buf.Bytes()[fileHeaderLen:]
			if len(rec) != recordHeaderLen+tt.wantDataSize {
				t.Fatalf("record is %d bytes, want %d", len(rec), recordHeaderLen+tt.wantDataSize)
			}
			le := binary.LittleEndian
			got := [4]uint32{le.Uint32(rec[0:]), le.Uint32(rec[4:]), le.Uint32(rec[8:]), le.Uint32(rec[12:])}
			want := [4]uint32{sec, tt.wantFrac, uint32(tt.wantCap), tt.wantOrigLen}
			if got != want {
				t.Errorf("record header = %v, want %v", got, want)
			}
			if !bytes.Equal(rec[recordHeaderLen:], tt.data[:tt.wantDataSize]) {
				t.Error("record data differs from the frame")
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	frames := [][]byte{
		[]byte("first frame"),
		bytes.Repeat([]byte{0xab}, 1514),
		{},
		bytes.Repeat([]byte{1, 2, 3}, 100),
	}
	base := time.Date(2025, 1, 2, 3, 4, 5, 987654321, time.UTC)
	for _, nano := range []bool{false, true} {
		t.Run(fmt.Sprintf("nano=%v", nano), func(t *testing.T) {
			var buf bytes.Buffer
			newW := NewWriter
			if nano {
				newW = NewNanoWriter
			}
			const snaplen = 200
			w, err := newW(&buf, LinkTypeRaw, snaplen)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range frames {
				if err := w.WritePacket(base.Add(time.Duration(i)*time.Millisecond), f, len(f)); err != nil {
					t.Fatal(err)
				}
			}
			r, err := NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if r.LinkType() != LinkTypeRaw || r.Snaplen() != snaplen || r.Nanosecond() != nano || r.ByteOrder() != binary.LittleEndian {
				t.Errorf("reader header: %v %d %v %v", r.LinkType(), r.Snaplen(), r.Nanosecond(), r.ByteOrder())
			}
			if maj, min := r.Version(); maj != 2 || min != 4 {
				t.Errorf("version %d.%d", maj, min)
			}
			for i, f := range frames {
				p, err := r.Next()
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				wantTS := base.Add(time.Duration(i) * time.Millisecond)
				if !nano {
					wantTS = wantTS.Truncate(time.Microsecond)
				}
				if !p.Timestamp.Equal(wantTS) {
					t.Errorf("packet %d: timestamp %v, want %v", i, p.Timestamp, wantTS)
				}
				want := f[:min(len(f), snaplen)]
				if !bytes.Equal(p.Data, want) || p.OrigLen != len(f) {
					t.Errorf("packet %d: %d bytes (orig %d), want %d (orig %d)", i, len(p.Data), p.OrigLen, len(want), len(f))
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after the last packet: %v, want io.EOF", err)
			}
		})
	}
}

// bigEndianFile builds a file as a big-endian machine writes it.
func bigEndianFile(magic uint32, linkType LinkType, recs ...[4]uint32) []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, magic)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint32(b, 0)
	b = be.AppendUint32(b, 0)
	b = be.AppendUint32(b, 65535)
	b = be.AppendUint32(b, uint32(linkType))
	for _, r := range recs {
		for _, v := range r {
			b = be.AppendUint32(b, v)
		}
		for i := range r[2] {
			b = append(b, byte(i))
		}
	}
	return b
}

func TestReaderByteOrdersAndMagics(t *testing.T) {
	tests := []struct {
		name   string
		file   []byte
		order  binary.ByteOrder
		nano   bool
		wantTS time.Time
	}{
		{"big endian micro", bigEndianFile(MagicMicroseconds, LinkTypeEthernet, [4]uint32{1000, 250, 3, 60}),
			binary.BigEndian, false, time.Unix(1000, 250_000)},
		{"big endian nano", bigEndianFile(MagicNanoseconds, LinkTypeEthernet, [4]uint32{1000, 250, 3, 60}),
			binary.BigEndian, true, time.Unix(1000, 250)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.ByteOrder() != tt.order || r.Nanosecond() != tt.nano || r.LinkType() != LinkTypeEthernet || r.Snaplen() != 65535 {
				t.Errorf("header: %v nano=%v %v %d", r.ByteOrder(), r.Nanosecond(), r.LinkType(), r.Snaplen())
			}
			p, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !p.Timestamp.Equal(tt.wantTS) || !bytes.Equal(p.Data, []byte{0, 1, 2}) || p.OrigLen != 60 {
				t.Errorf("packet %v % x %d", p.Timestamp, p.Data, p.OrigLen)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("end: %v", err)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	good := bigEndianFile(MagicMicroseconds, LinkTypeRaw, [4]uint32{1, 2, 10, 10})
	wrongVersion := bytes.Clone(good)
	wrongVersion[5] = 1
	huge := bigEndianFile(MagicMicroseconds, LinkTypeRaw)
	huge = binary.BigEndian.AppendUint32(huge, 1)
	huge = binary.BigEndian.AppendUint32(huge, 0)
	huge = binary.BigEndian.AppendUint32(huge, MaxSnaplen+1)
	huge = binary.BigEndian.AppendUint32(huge, MaxSnaplen+1)
	badFrac := bigEndianFile(MagicMicroseconds, LinkTypeRaw, [4]uint32{1, 1_000_000, 0, 0})
	tests := []struct {
		name      string
		file      []byte
		headerErr bool // NewReader fails
		wantEOF   bool // else Next fails with ErrFormat
	}{
		{"empty", nil, true, false},
		{"short header", good[:10], true, false},
		{"bad magic", append([]byte{1, 2, 3, 4}, good[4:]...), true, false},
		{"wrong version", wrongVersion, true, false},
		{"no records", good[:fileHeaderLen], false, true},
		{"truncated record header", good[:fileHeaderLen+5], false, false},
		{"truncated record data", good[:len(good)-1], false, false},
		{"record over MaxSnaplen", huge, false, false},
		{"microseconds out of range", badFrac, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if tt.headerErr {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("NewReader: %v, want ErrFormat", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Next()
			switch {
			case tt.wantEOF && err != io.EOF:
				t.Errorf("Next: %v, want io.EOF", err)
			case !tt.wantEOF && !errors.Is(err, ErrFormat):
				t.Errorf("Next: %v, want ErrFormat", err)
			}
		})
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// failAfter accepts n writes and then fails.
type failAfter struct {
	n   int
	err error
	buf bytes.Buffer
}

func (w *failAfter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, w.err
	}
	w.n--
	return w.buf.Write(p)
}

func TestWriterStickyError(t *testing.T) {
	bad := errors.New("broken pipe")
	fw := &failAfter{n: 2, err: bad}
	w, err := NewWriter(fw, LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1, 0)
	if err := w.WritePacket(now, []byte{1}, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := w.WritePacket(now, []byte{2}, 1); !errors.Is(err, bad) {
			t.Errorf("write %d after failure: %v, want %v", i, err, bad)
		}
	}
	if err := w.Flush(); !errors.Is(err, bad) {
		t.Errorf("Flush: %v", err)
	}
	if fw.buf.Len() != fileHeaderLen+recordHeaderLen+1 {
		t.Errorf("underlying writer got %d bytes", fw.buf.Len())
	}
}

type flushRecorder struct {
	bytes.Buffer
	flushes int
}

func (f *flushRecorder) Flush() error { f.flushes++; return nil }

func TestFlush(t *testing.T) {
	var f flushRecorder
	w, _ := NewWriter(&f, LinkTypeEthernet, 0)
	if err := w.Flush(); err != nil || f.flushes != 1 {
		t.Errorf("Flush = %v after %d flushes", err, f.flushes)
	}
	w2, _ := NewWriter(io.Discard, LinkTypeEthernet, 0)
	if err := w2.Flush(); err != nil {
		t.Errorf("Flush without a flusher: %v", err)
	}
}

// TestWriterConcurrent writes from many goroutines and checks that every
// record comes back whole (run with -race).
func TestWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			frame := bytes.Repeat([]byte{byte(g)}, 64+g*100)
			for i := range each {
				if err := w.WritePacket(time.Unix(int64(i), 0), frame, len(frame)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	counts := make(map[byte]int)
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g := p.Data[0]
		if len(p.Data) != 64+int(g)*100 || !bytes.Equal(p.Data, bytes.Repeat([]byte{g}, len(p.Data))) {
			t.Fatalf("record of goroutine %d mangled (%d bytes)", g, len(p.Data))
		}
		counts[g]++
	}
	for g := range goroutines {
		if counts[byte(g)] != each {
			t.Errorf("goroutine %d: %d records, want %d", g, counts[byte(g)], each)
		}
	}
}

func TestWritePacketAllocs(t *testing.T) {
	w, err := NewWriter(io.Discard, LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 1514)
	ts := time.Now()
	w.WritePacket(ts, frame, len(frame)) // warm the record buffer
	if n := testing.AllocsPerRun(100, func() {
		if err := w.WritePacket(ts, frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("WritePacket allocates %v times per packet", n)
	}
}

func TestLinkTypeString(t *testing.T) {
	for lt, want := range map[LinkType]string{
		LinkTypeEthernet: "EN10MB", LinkTypeRaw: "RAW", LinkTypeLinuxSLL: "LINUX_SLL", 228: "LinkType(228)",
	} {
		if got := lt.String(); got != want {
			t.Errorf("%d: %q, want %q", uint32(lt), got, want)
		}
	}
}

func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, LinkTypeEthernet, 100)
	w.WritePacket(time.Unix(1700000000, 5000), bytes.Repeat([]byte{0x42}, 150), 150)
	w.WritePacket(time.Unix(1700000001, 0), []byte{1, 2, 3}, 3)
	f.Add(buf.Bytes())
	buf.Reset()
	nw, _ := NewNanoWriter(&buf, LinkTypeRaw, 0)
	nw.WritePacket(time.Unix(5, 999999999), []byte{0x45, 0, 0, 20}, 20)
	f.Add(buf.Bytes())
	f.Add(bigEndianFile(MagicMicroseconds, LinkTypeEthernet, [4]uint32{1, 2, 3, 4}))
	f.Add(bigEndianFile(MagicNanoseconds, LinkTypeRaw, [4]uint32{1, 2, 0, 0}, [4]uint32{3, 4, 5, 5}))
	f.Add([]byte{})
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("NewReader error %v does not wrap ErrFormat", err)
			}
			return
		}
		// Re-encode what was read and read it again: the packets must
		// survive the trip.
		var out bytes.Buffer
		newW := NewWriter
		if r.Nanosecond() {
			newW = NewNanoWriter
		}
		w, err := newW(&out, r.LinkType(), 0)
		if err != nil {
			t.Fatal(err)
		}
		var pkts []Packet
		for {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("Next error %v does not wrap ErrFormat", err)
				}
				break
			}
			if len(p.Data) > MaxSnaplen {
				t.Fatalf("packet of %d bytes", len(p.Data))
			}
			pkts = append(pkts, p)
			if err := w.WritePacket(p.Timestamp, p.Data, p.OrigLen); err != nil {
				t.Fatal(err)
			}
		}
		r2, err := NewReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range pkts {
			p, err := r2.Next()
			if err != nil {
				t.Fatalf("re-read packet %d: %v", i, err)
			}
			if !p.Timestamp.Equal(want.Timestamp) || !bytes.Equal(p.Data, want.Data) || p.OrigLen != max(want.OrigLen, len(want.Data)) {
				t.Fatalf("packet %d changed on the round trip", i)
			}
		}
		if _, err := r2.Next(); err != io.EOF {
			t.Fatalf("re-read: extra data: %v", err)
		}
	})
}
