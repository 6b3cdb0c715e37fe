package pcap

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
)

// Writer writes a pcap file. Its methods are safe for concurrent use:
// each record goes to the underlying writer whole, in one Write call, so
// records from different goroutines never interleave. Once its record
// buffer has grown to the largest frame seen, WritePacket allocates
// nothing.
//
// Writer does not buffer: give it a *bufio.Writer to batch small writes
// to a file, and call Flush (or the bufio.Writer's) before reading the
// file.
type Writer struct {
	mu       sync.Mutex
	w        io.Writer
	linkType LinkType
	snaplen  int
	nano     bool
	rec      []byte // record header and data, reused
	err      error  // sticky: a failed write may have left half a record
}

// NewWriter writes the global header of a file whose frames are of
// linkType and returns a Writer for its records. Timestamps have
// microsecond resolution. Frames are cut to snaplen bytes; 0 means
// MaxSnaplen, and larger values are lowered to it.
func NewWriter(w io.Writer, linkType LinkType, snaplen int) (*Writer, error) {
	return newWriter(w, linkType, snaplen, false)
}

// NewNanoWriter is NewWriter for a file with nanosecond timestamps (magic
// 0xa1b23c4d), which tcpdump reads since libpcap 1.5 and writes with
// --time-stamp-precision=nano.
func NewNanoWriter(w io.Writer, linkType LinkType, snaplen int) (*Writer, error) {
	return newWriter(w, linkType, snaplen, true)
}

func newWriter(w io.Writer, linkType LinkType, snaplen int, nano bool) (*Writer, error) {
	if snaplen < 0 {
		return nil, errors.New("pcap: negative snaplen " + strconv.Itoa(snaplen))
	}
	if snaplen == 0 || snaplen > MaxSnaplen {
		snaplen = MaxSnaplen
	}
	magic := MagicMicroseconds
	if nano {
		magic = MagicNanoseconds
	}
	var h [fileHeaderLen]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], magic)
	le.PutUint16(h[4:], VersionMajor)
	le.PutUint16(h[6:], VersionMinor)
	// thiszone (GMT offset) and sigfigs are zero, as every writer sets them.
	le.PutUint32(h[16:], uint32(snaplen))
	le.PutUint32(h[20:], uint32(linkType))
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &Writer{
		w:        w,
		linkType: linkType,
		snaplen:  snaplen,
		nano:     nano,
		rec:      make([]byte, recordHeaderLen, recordHeaderLen+2048),
	}, nil
}

// LinkType returns the file's link type.
func (w *Writer) LinkType() LinkType { return w.linkType }

// Snaplen returns the length frames are cut to.
func (w *Writer) Snaplen() int { return w.snaplen }

// Nanosecond reports whether timestamps have nanosecond resolution.
func (w *Writer) Nanosecond() bool { return w.nano }

// WritePacket writes one record: data, cut to the snapshot length, taken
// at ts. origLen is the frame's length on the wire, which is larger than
// len(data) when the caller captured only a part of it; a smaller value
// is raised to len(data).
//
// After a write of the underlying writer fails, the file may end in half
// a record, so WritePacket keeps returning that error without writing.
func (w *Writer) WritePacket(ts time.Time, data []byte, origLen int) error {
	if origLen < len(data) {
		origLen = len(data)
	}
	caplen := len(data)
	if caplen > w.snaplen {
		caplen = w.snaplen
	}
	sec := ts.Unix()
	frac := int64(ts.Nanosecond())
	if !w.nano {
		frac /= 1000
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	n := recordHeaderLen + caplen
	if cap(w.rec) < n {
		w.rec = make([]byte, n, n+n/4)
	}
	rec := w.rec[:n]
	le := binary.LittleEndian
	// The format's seconds are unsigned 32-bit: times from 1970 to 2106.
	le.PutUint32(rec[0:], uint32(sec))
	le.PutUint32(rec[4:], uint32(frac))
	le.PutUint32(rec[8:], uint32(caplen))
	le.PutUint32(rec[12:], uint32(min(uint64(origLen), math.MaxUint32)))
	copy(rec[recordHeaderLen:], data[:caplen])
	if _, err := w.w.Write(rec); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush flushes the underlying writer if it has a Flush method (as
// *bufio.Writer does), and reports a write error WritePacket met earlier.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if f, ok := w.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			w.err = err
			return err
		}
	}
	return nil
}
