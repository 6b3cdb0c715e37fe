package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// The control endpoint of a running `gosock tun` is a unix stream socket,
// /run/gosock/IFNAME.sock (/run/gosock/NETNS/IFNAME.sock with --netns).
// A client sends one JSON request line; the instance answers with one
// JSON header line (its "error" set if the request failed), then the
// body: a JSON document for ss and nstat, a pcap stream for capture,
// ping's text for ping. A client that half-closes its end asks a
// streaming request (capture, ping) to finish early, as Ctrl-C does.

// controlDir is where instances put their control sockets.
const controlDir = "/run/gosock"

// defaultControlPath returns the control socket of the instance on
// interface ifname, in network namespace netnsName if not empty.
func defaultControlPath(ifname, netnsName string) string {
	if netnsName != "" {
		return filepath.Join(controlDir, netnsName, ifname+".sock")
	}
	return filepath.Join(controlDir, ifname+".sock")
}

// controlFlags are the flags every client command takes to find an
// instance.
type controlFlags struct {
	name, netns, path string
}

func (f *controlFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", "gosock0", "the instance's TUN interface name")
	fs.StringVar(&f.netns, "netns", "", "the network namespace the instance's interface is in")
	fs.StringVar(&f.path, "control", "", "the instance's control socket (default /run/gosock/[NETNS/]NAME.sock)")
}

func (f *controlFlags) socketPath() string {
	if f.path != "" {
		return f.path
	}
	return defaultControlPath(f.name, f.netns)
}

// controlRequest is what a client asks.
type controlRequest struct {
	Op string `json:"op"` // ss, nstat, capture, ping
	// capture
	Count   int `json:"count,omitempty"`
	Snaplen int `json:"snaplen,omitempty"`
	// ping
	Ping *pingRequest `json:"ping,omitempty"`
}

// controlHeader starts every answer.
type controlHeader struct {
	Error string `json:"error,omitempty"`
}

// controlClient is a connection to an instance.
type controlClient struct {
	conn *net.UnixConn
	r    *bufio.Reader
}

func (f *controlFlags) dial() (*controlClient, error) {
	path := f.socketPath()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("no gosock instance at %s (start one with `gosock tun --name %s`)", path, f.name)
		}
		return nil, fmt.Errorf("connecting to the instance: %w", err)
	}
	return &controlClient{conn: c, r: bufio.NewReader(c)}, nil
}

func (c *controlClient) Close() error { return c.conn.Close() }

// request sends req and reads the answer's header.
func (c *controlClient) request(req controlRequest) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := c.conn.Write(append(b, '\n')); err != nil {
		return err
	}
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("the instance closed the connection: %w", err)
	}
	var h controlHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return fmt.Errorf("bad answer from the instance: %w", err)
	}
	if h.Error != "" {
		return errors.New(h.Error)
	}
	return nil
}

// body returns the rest of the answer.
func (c *controlClient) body() io.Reader { return c.r }

// call sends req and decodes the JSON body into v.
func (c *controlClient) call(req controlRequest, v any) error {
	if err := c.request(req); err != nil {
		return err
	}
	return json.NewDecoder(c.r).Decode(v)
}

// interruptHalfClose makes Ctrl-C (or SIGTERM) half-close the connection,
// which asks the instance to end a streaming answer; the client keeps
// reading until the instance closes. The returned function stops it.
func interruptHalfClose(c *controlClient) func() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			c.conn.CloseWrite()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

// controlServer answers clients of one instance.
type controlServer struct {
	inst *instance
	path string
	ln   *net.UnixListener
}

// listenControl creates the control socket at path, replacing a stale
// one left by an instance that died, but not a live one.
func listenControl(inst *instance, path string) (*controlServer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another gosock instance is running with control socket %s", path)
	}
	os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	s := &controlServer{inst: inst, path: path, ln: ln}
	go s.serve()
	return s, nil
}

// Close removes the control socket, and the per-netns directory made
// for it once it is empty.
func (s *controlServer) Close() error {
	err := s.ln.Close()
	if dir := filepath.Dir(s.path); filepath.Dir(dir) == controlDir {
		os.Remove(dir) // fails, harmlessly, while other instances use it
	}
	return err
}

func (s *controlServer) serve() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *controlServer) handle(c *net.UnixConn) {
	defer c.Close()
	r := bufio.NewReader(c)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return
	}
	var req controlRequest
	if err := json.Unmarshal(line, &req); err != nil {
		writeHeader(c, fmt.Errorf("bad request: %v", err))
		return
	}
	// The client half-closes (or goes away) to stop a streaming answer.
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r)
		close(done)
	}()
	inst := s.inst
	switch req.Op {
	case "ss":
		writeJSON(c, inst.ssSnapshot())
	case "nstat":
		writeJSON(c, inst.nstatSnapshot())
	case "capture":
		writeHeader(c, nil)
		lc := newLiveCapture(req.Snaplen)
		inst.dev.add(lc)
		lc.writeTo(c, inst.linkType(), req.Count, done)
		inst.dev.remove(lc)
	case "ping":
		if req.Ping == nil {
			writeHeader(c, errors.New("ping: no destination"))
			return
		}
		if err := req.Ping.check(); err != nil {
			writeHeader(c, err)
			return
		}
		writeHeader(c, nil)
		inst.ping(c, req.Ping, done)
	default:
		if v, ok := controlExtra(inst, req.Op); ok { // proxy.go
			writeJSON(c, v)
			return
		}
		writeHeader(c, fmt.Errorf("unknown request %q", req.Op))
	}
}

func writeHeader(w io.Writer, err error) {
	var h controlHeader
	if err != nil {
		h.Error = err.Error()
	}
	b, _ := json.Marshal(h)
	w.Write(append(b, '\n'))
}

func writeJSON(w io.Writer, v any) {
	writeHeader(w, nil)
	json.NewEncoder(w).Encode(v)
}
