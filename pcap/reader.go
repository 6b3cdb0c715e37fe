package pcap

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Packet is one record of a file.
type Packet struct {
	// Timestamp is when the frame was captured.
	Timestamp time.Time
	// Data is the captured part of the frame.
	Data []byte
	// OrigLen is the frame's length on the wire; it exceeds len(Data)
	// when the frame was cut to the snapshot length.
	OrigLen int
}

// Reader reads a pcap file of either byte order and either timestamp
// resolution. It is meant for tests and tools, not the data path: each
// Packet's Data is a fresh slice.
type Reader struct {
	r        io.Reader
	order    binary.ByteOrder
	nano     bool
	major    uint16
	minor    uint16
	snaplen  uint32
	linkType LinkType
	hdr      [recordHeaderLen]byte
}

// NewReader reads the global header from r.
func NewReader(r io.Reader) (*Reader, error) {
	var h [fileHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: short global header", ErrFormat)
		}
		return nil, err
	}
	rd := &Reader{r: r}
	switch m := binary.LittleEndian.Uint32(h[:]); m {
	case MagicMicroseconds:
		rd.order = binary.LittleEndian
	case MagicNanoseconds:
		rd.order, rd.nano = binary.LittleEndian, true
	default:
		switch binary.BigEndian.Uint32(h[:]) {
		case MagicMicroseconds:
			rd.order = binary.BigEndian
		case MagicNanoseconds:
			rd.order, rd.nano = binary.BigEndian, true
		default:
			return nil, fmt.Errorf("%w: unknown magic number %#08x", ErrFormat, m)
		}
	}
	rd.major = rd.order.Uint16(h[4:])
	rd.minor = rd.order.Uint16(h[6:])
	if rd.major != VersionMajor {
		return nil, fmt.Errorf("%w: version %d.%d", ErrFormat, rd.major, rd.minor)
	}
	rd.snaplen = rd.order.Uint32(h[16:])
	// The top bits of the link-type word may say the frames end in an
	// FCS of a given length; libpcap keeps the low 26 bits as the type.
	rd.linkType = LinkType(rd.order.Uint32(h[20:]) & 0x03ffffff)
	return rd, nil
}

// LinkType returns the file's link type.
func (r *Reader) LinkType() LinkType { return r.linkType }

// Snaplen returns the snapshot length from the global header.
func (r *Reader) Snaplen() int { return int(r.snaplen) }

// Nanosecond reports whether timestamps have nanosecond resolution.
func (r *Reader) Nanosecond() bool { return r.nano }

// ByteOrder returns the byte order the file was written in.
func (r *Reader) ByteOrder() binary.ByteOrder { return r.order }

// Version returns the format version from the global header.
func (r *Reader) Version() (major, minor int) { return int(r.major), int(r.minor) }

// Next returns the next record. At the end of the file it returns io.EOF;
// a file that ends inside a record gives an error wrapping ErrFormat and
// io.ErrUnexpectedEOF.
func (r *Reader) Next() (Packet, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Packet{}, fmt.Errorf("%w: truncated record header: %w", ErrFormat, err)
		}
		return Packet{}, err
	}
	sec := r.order.Uint32(r.hdr[0:])
	frac := r.order.Uint32(r.hdr[4:])
	caplen := r.order.Uint32(r.hdr[8:])
	orig := r.order.Uint32(r.hdr[12:])
	if caplen > MaxSnaplen {
		return Packet{}, fmt.Errorf("%w: record of %d bytes exceeds %d", ErrFormat, caplen, MaxSnaplen)
	}
	limit := uint32(999_999)
	if r.nano {
		limit = 999_999_999
	}
	if frac > limit {
		return Packet{}, fmt.Errorf("%w: timestamp fraction %d out of range", ErrFormat, frac)
	}
	data := make([]byte, caplen)
	if _, err := io.ReadFull(r.r, data); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Packet{}, fmt.Errorf("%w: truncated record: %w", ErrFormat, io.ErrUnexpectedEOF)
		}
		return Packet{}, err
	}
	ns := int64(frac)
	if !r.nano {
		ns *= 1000
	}
	return Packet{
		Timestamp: time.Unix(int64(sec), ns).UTC(),
		Data:      data,
		OrigLen:   int(orig),
	}, nil
}
