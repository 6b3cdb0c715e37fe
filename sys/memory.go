package sys

import (
	"encoding/binary"

	"github.com/gosock/gosock/errno"
)

// Memory is a process address space as the ABI face sees it: the
// syscall arguments that are pointers (struct msghdr, sockaddrs, iovec
// arrays, socklen_t value-result lengths, pollfd and epoll_event arrays)
// are addresses in it. Accesses that touch an unmapped byte fail with
// EFAULT and move nothing, as copy_from_user/copy_to_user do for a
// range they cannot complete.
type Memory interface {
	// ReadAt fills b with the bytes at addr.
	ReadAt(b []byte, addr uintptr) error
	// WriteAt stores b at addr.
	WriteAt(b []byte, addr uintptr) error
}

// Slicer is an optional capability of a Memory backed by Go memory: a
// view of n bytes at addr that calls may read and write in place (no
// copy for data buffers), or EFAULT if the range is not all mapped.
type Slicer interface {
	Slice(addr uintptr, n int) ([]byte, error)
}

// SliceMemory is a Memory of one mapped region [base, base+size) backed
// by a byte slice; everything else, NULL included when base > 0, is
// unmapped. It is what tests and fuzzers give Socketcall and Syscall.
type SliceMemory struct {
	base uintptr
	b    []byte
}

// NewSliceMemory maps size zeroed bytes at base.
func NewSliceMemory(base uintptr, size int) *SliceMemory {
	if size < 0 || base+uintptr(size) < base {
		panic("sys: NewSliceMemory: region wraps around the address space")
	}
	return &SliceMemory{base: base, b: make([]byte, size)}
}

// Base returns the first mapped address.
func (m *SliceMemory) Base() uintptr { return m.base }

// Bytes returns the region's backing slice (index 0 is Base).
func (m *SliceMemory) Bytes() []byte { return m.b }

// Slice returns the n bytes at addr in place.
func (m *SliceMemory) Slice(addr uintptr, n int) ([]byte, error) {
	if n < 0 || addr < m.base {
		return nil, errno.EFAULT
	}
	off := addr - m.base
	if off > uintptr(len(m.b)) || uintptr(n) > uintptr(len(m.b))-off {
		return nil, errno.EFAULT
	}
	return m.b[off : off+uintptr(n) : off+uintptr(n)], nil
}

// ReadAt copies the bytes at addr into b.
func (m *SliceMemory) ReadAt(b []byte, addr uintptr) error {
	s, err := m.Slice(addr, len(b))
	if err != nil {
		return err
	}
	copy(b, s)
	return nil
}

// WriteAt copies b to addr.
func (m *SliceMemory) WriteAt(b []byte, addr uintptr) error {
	s, err := m.Slice(addr, len(b))
	if err != nil {
		return err
	}
	copy(s, b)
	return nil
}

// Limits of user addresses and transfer sizes (x86-64, 4-level paging).
const (
	// userPtrMax is the end of the user address space (TASK_SIZE_MAX):
	// access_ok refuses ranges reaching past it before any fd lookup.
	userPtrMax = 1<<47 - 4096
	// maxRWCount is MAX_RW_COUNT (INT_MAX & PAGE_MASK): longer reads and
	// writes are cut to it.
	maxRWCount = 0x7ffff000
	// scratchMax bounds the bytes a call stages for a buffer it cannot
	// map (the transfer then ends in EFAULT anyway).
	scratchMax = 64 << 10
)

// accessOK is access_ok: whether [addr, addr+n) lies in the user half of
// the address space. It does not check that the range is mapped.
func accessOK(addr uintptr, n uint64) bool {
	if n > userPtrMax {
		return false
	}
	return uint64(addr) <= userPtrMax-n
}

// copyIn reads n bytes at addr into a new slice.
func copyIn(mem Memory, addr uintptr, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if err := mem.ReadAt(b, addr); err != nil {
		return nil, errno.EFAULT
	}
	return b, nil
}

// copyOut writes b at addr.
func copyOut(mem Memory, addr uintptr, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := mem.WriteAt(b, addr); err != nil {
		return errno.EFAULT
	}
	return nil
}

func getU32(mem Memory, addr uintptr) (uint32, error) {
	var b [4]byte
	if err := mem.ReadAt(b[:], addr); err != nil {
		return 0, errno.EFAULT
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

func putU32(mem Memory, addr uintptr, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return copyOut(mem, addr, b[:])
}

// probeWritable checks that n bytes at addr can be written, without
// changing them (read them and write them back).
func probeWritable(mem Memory, addr uintptr, n int) error {
	b, err := copyIn(mem, addr, n)
	if err != nil {
		return err
	}
	return copyOut(mem, addr, b)
}

// userRange is one buffer in user memory (an iovec).
type userRange struct {
	base uintptr
	len  int
}

// mapped reports whether the range can be accessed: at once through a
// Slicer, else by probing its first and last bytes, so a hostile length
// does not make the caller allocate memory the space does not have.
func mapped(mem Memory, r userRange) bool {
	if r.len == 0 {
		return true
	}
	if s, ok := mem.(Slicer); ok {
		_, err := s.Slice(r.base, r.len)
		return err == nil
	}
	var b [1]byte
	return mem.ReadAt(b[:], r.base) == nil && mem.ReadAt(b[:], r.base+uintptr(r.len-1)) == nil
}

// gather returns the data of the ranges for a send: views when mem is a
// Slicer, copies otherwise; EFAULT if any byte is unmapped.
func gather(mem Memory, rs []userRange) ([][]byte, error) {
	out := make([][]byte, 0, len(rs))
	for _, r := range rs {
		if r.len == 0 {
			continue
		}
		if !mapped(mem, r) {
			return nil, errno.EFAULT
		}
		if s, ok := mem.(Slicer); ok {
			v, err := s.Slice(r.base, r.len)
			if err != nil {
				return nil, errno.EFAULT
			}
			out = append(out, v)
			continue
		}
		b, err := copyIn(mem, r.base, r.len)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// scatter prepares receive buffers for the ranges: views of mapped
// memory when mem is a Slicer, staging buffers otherwise (a range that is
// not mapped gets a bounded staging buffer, so the receive happens and
// its result is then EFAULT, as when the kernel's copy to user faults).
type scatter struct {
	mem   Memory
	rs    []userRange
	bufs  [][]byte
	stage []bool
	fault bool
	// lead counts the buffers before the first range that is not mapped:
	// the part of the request a copy to user memory can complete.
	lead int
}

// reachable returns the buffers of the ranges before the first one that
// is not mapped (all of them when none faults).
func (sc *scatter) reachable() [][]byte { return sc.bufs[:sc.lead] }

func newScatter(mem Memory, rs []userRange) *scatter {
	sc := &scatter{mem: mem, rs: rs}
	_, slicer := mem.(Slicer)
	for _, r := range rs {
		if r.len == 0 {
			continue
		}
		ok := mapped(mem, r)
		if ok && slicer {
			v, err := mem.(Slicer).Slice(r.base, r.len)
			if err == nil {
				sc.bufs = append(sc.bufs, v)
				sc.stage = append(sc.stage, false)
				continue
			}
			ok = false
		}
		n := r.len
		if !ok {
			if !sc.fault {
				sc.lead = len(sc.bufs)
			}
			sc.fault = true
			n = min(n, scratchMax)
		}
		sc.bufs = append(sc.bufs, make([]byte, n))
		sc.stage = append(sc.stage, true)
	}
	if !sc.fault {
		sc.lead = len(sc.bufs)
	}
	return sc
}

// commit copies the first n received bytes out of the staging buffers.
// It returns how many bytes reached user memory before the first fault,
// and EFAULT if one occurred.
func (sc *scatter) commit(n int) (int, error) {
	done := 0
	i := 0
	for _, r := range sc.rs {
		if r.len == 0 {
			continue
		}
		if n <= 0 {
			break
		}
		b := sc.bufs[i]
		k := min(n, len(b))
		if sc.stage[i] {
			if copyOut(sc.mem, r.base, b[:k]) != nil {
				return done, errno.EFAULT
			}
		}
		done += k
		n -= k
		i++
	}
	return done, nil
}
