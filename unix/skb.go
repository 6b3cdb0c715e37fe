package unix

import (
	"math/bits"

	"github.com/gosock/gosock/socket"
)

// skb is one queued message, or one chunk of a stream (struct sk_buff
// with its UNIXCB).
type skb struct {
	data     []byte
	consumed int       // stream bytes already read (UNIXCB.consumed)
	from     *unixSock // the sender, charged truesize (skb->sk)
	truesize int       // what the sender's sk_wmem_alloc holds for it
	rights   []socket.PassedFile
	creds    *socket.Creds // nil: none attached
	peeked   bool
}

// unread returns the bytes not yet read (unix_skb_len).
func (b *skb) unread() int { return len(b.data) - b.consumed }

// Sizes of the reference kernel's allocator (x86-64, 4 KiB pages,
// 64-byte cache lines) that truesize follows.
const (
	pageSize = 4096
	// shinfoSize is SKB_DATA_ALIGN(sizeof(struct skb_shared_info)).
	shinfoSize = 320
	// skbSize is SKB_DATA_ALIGN(sizeof(struct sk_buff)).
	skbSize = 256
	// kmallocMaxCache is KMALLOC_MAX_CACHE_SIZE: larger heads come from
	// the page allocator.
	kmallocMaxCache = 8192
	// maxHead0 is SKB_MAX_HEAD(0), the largest linear part that fits a
	// page with its shared info.
	maxHead0 = pageSize - shinfoSize
	// maxAlloc is SKB_MAX_ALLOC (an order-2 head).
	maxAlloc = 4*pageSize - shinfoSize
	// fragsSize is UNIX_SKB_FRAGS_SZ, the page part of a stream chunk.
	fragsSize = 32768
	// maxSkbFrags is MAX_SKB_FRAGS.
	maxSkbFrags = 17
	// streamFragOrder is get_order(UNIX_SKB_FRAGS_SZ); datagrams use
	// PAGE_ALLOC_COSTLY_ORDER, which is the same 3.
	fragOrder = 3
)

func pageAlign(n int) int { return (n + pageSize - 1) &^ (pageSize - 1) }

// getOrder is get_order: the page order that holds n bytes.
func getOrder(n int) int {
	if n <= pageSize {
		return 0
	}
	return bits.Len(uint((n - 1) / pageSize))
}

// headTruesize is the truesize alloc_skb gives a linear part of h bytes
// allocated with GFP_KERNEL_ACCOUNT (no small-head cache): the data and
// shared info rounded to a kmalloc bucket (a power of two at these
// sizes) or to pages, plus the sk_buff.
func headTruesize(h int) int {
	size := (h+63)&^63 + shinfoSize
	var obj int
	if size <= kmallocMaxCache {
		obj = 1 << bits.Len(uint(size-1))
	} else {
		obj = pageSize << getOrder(size)
	}
	return obj + skbSize
}

// fragsTruesize is what alloc_skb_with_frags adds for n bytes of page
// fragments: whole compound pages, of the largest order up to maxOrder
// that the rest still fills.
func fragsTruesize(n, maxOrder int) int {
	t, order := 0, maxOrder
	for n > 0 {
		for order > 0 && pageAlign(n) < pageSize<<order {
			order--
		}
		chunk := min(n, pageSize<<order)
		n -= chunk
		t += pageSize << order
	}
	return t
}

// streamChunk is how unix_stream_sendmsg cuts a write: the size of the
// next chunk of the left bytes for a send buffer of sndbuf, and its
// truesize.
func streamChunk(left, sndbuf int) (size, truesize int) {
	size = min(left, sndbuf/2-64, maxHead0+fragsSize)
	dataLen := min(size, pageAlign(max(0, size-maxHead0)))
	return size, headTruesize(size-dataLen) + fragsTruesize(dataLen, fragOrder)
}

// dgramTruesize is the truesize of an n-byte datagram
// (unix_dgram_sendmsg): linear up to SKB_MAX_ALLOC, the rest in pages.
func dgramTruesize(n int) int {
	dataLen := 0
	if n > maxAlloc {
		dataLen = pageAlign(min(n-maxAlloc, maxSkbFrags*pageSize))
	}
	return headTruesize(n-dataLen) + fragsTruesize(dataLen, fragOrder)
}

// gather copies the bytes of iov from offset off into a new buffer of n
// bytes.
func gather(iov [][]byte, off, n int) []byte {
	out := make([]byte, n)
	w := 0
	for _, b := range iov {
		if off >= len(b) {
			off -= len(b)
			continue
		}
		w += copy(out[w:], b[off:])
		off = 0
		if w == n {
			break
		}
	}
	return out
}

// scatter copies src into iov from offset off and returns how much fit.
func scatter(iov [][]byte, off int, src []byte) int {
	n := 0
	for _, b := range iov {
		if len(src) == 0 {
			break
		}
		if off >= len(b) {
			off -= len(b)
			continue
		}
		c := copy(b[off:], src)
		src = src[c:]
		n += c
		off = 0
	}
	return n
}
