package services

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// MaxBody is the largest body /bytes/N and /zeros/N serve (1 TiB): the
// data is generated as it is sent, so size costs no memory.
const MaxBody = 1 << 40

// Bytes returns a reader of the first n bytes of the pseudo-random stream
// /bytes/N?seed=SEED serves: ChaCha8 keyed with the seed, generated as it
// is read, so a client can check a download without a copy of it.
func Bytes(seed uint64, n int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// zeroReader reads zeros forever.
type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// HTTPHandler serves:
//
//	/            a short index of what is served
//	/bytes/N     N bytes of seeded pseudo-random data (?seed=S, default 1)
//	/zeros/N     N zero bytes
//
// as application/octet-stream with a Content-Length, streamed in 64 KiB
// pieces without being held in memory.
func HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "gosock HTTP service (served by gosock's TCP, to %s)\n\n", r.RemoteAddr)
		fmt.Fprintln(w, "/bytes/N[?seed=S]  N bytes of seeded pseudo-random data (ChaCha8)")
		fmt.Fprintln(w, "/zeros/N           N zero bytes")
	})
	mux.HandleFunc("/bytes/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, ok := bodySize(w, r)
		if !ok {
			return
		}
		seed := uint64(1)
		if s := r.URL.Query().Get("seed"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				http.Error(w, "bad seed "+strconv.Quote(s), http.StatusBadRequest)
				return
			}
			seed = v
		}
		serveBody(w, r, Bytes(seed, n), n)
	})
	mux.HandleFunc("/zeros/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, ok := bodySize(w, r)
		if !ok {
			return
		}
		serveBody(w, r, io.LimitReader(zeroReader{}, n), n)
	})
	return mux
}

func bodySize(w http.ResponseWriter, r *http.Request) (int64, bool) {
	s := r.PathValue("n")
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > MaxBody {
		http.Error(w, fmt.Sprintf("bad size %q: want 0..%d bytes", s, int64(MaxBody)), http.StatusBadRequest)
		return 0, false
	}
	return n, true
}

func serveBody(w http.ResponseWriter, r *http.Request, body io.Reader, n int64) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	buf := make([]byte, 64<<10)
	io.CopyBuffer(struct{ io.Writer }{w}, body, buf) // hide ReadFrom: write whole 64 KiB pieces
}
