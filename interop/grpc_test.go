package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// frame is the message of the test service: raw bytes, so the test needs
// no generated protobuf code.
type frame struct{ b []byte }

// rawCodec marshals frames as their bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return f.b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	f.b = append(f.b[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "raw" }

// echoService answers Unary with its request, Chat with each message it
// receives, and Fail with InvalidArgument.
var echoService = grpc.ServiceDesc{
	ServiceName: "gosock.test.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Unary", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in frame
			if err := dec(&in); err != nil {
				return nil, err
			}
			return &in, nil
		}},
		{MethodName: "Fail", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in frame
			if err := dec(&in); err != nil {
				return nil, err
			}
			return nil, status.Errorf(codes.InvalidArgument, "refused %d bytes", len(in.b))
		}},
	},
	Streams: []grpc.StreamDesc{{
		StreamName: "Chat", ServerStreams: true, ClientStreams: true,
		Handler: func(_ any, s grpc.ServerStream) error {
			for {
				var in frame
				if err := s.RecvMsg(&in); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				if err := s.SendMsg(&in); err != nil {
					return err
				}
			}
		},
	}},
}

// TestGRPC runs a gRPC server and client over gosock TCP between two
// namespaces (gonet on both sides): concurrent unary calls with payloads
// up to 256 KiB, a bidirectional stream, and a status error.
func TestGRPC(t *testing.T) {
	cli := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	srv := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	defer cli.Close()
	defer srv.Close()
	if _, _, err := gosock.Connect(cli, srv,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.7.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.7.0.2/24")}},
		link.PipeConfig{AtoB: link.Impairments{Latency: time.Millisecond}, BtoA: link.Impairments{Latency: time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	ln, err := gonet.Listen(srv, "tcp4", "10.7.0.2:50051")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}))
	gs.RegisterService(&echoService, nil)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(ln) }()
	defer func() {
		gs.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			t.Errorf("Serve: %v", err)
		}
	}()

	d := gonet.Dialer{Namespace: cli}
	cc, err := grpc.NewClient("passthrough:///10.7.0.2:50051",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp4", addr)
		}),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("unary", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(i), 42))
				in := &frame{b: make([]byte, r.IntN(256<<10))}
				for j := range in.b {
					in.b[j] = byte(r.Uint32())
				}
				var out frame
				if err := cc.Invoke(ctx, "/gosock.test.Echo/Unary", in, &out); err != nil {
					t.Errorf("call %d: %v", i, err)
					return
				}
				if !bytes.Equal(in.b, out.b) {
					t.Errorf("call %d: echoed %d bytes differ from the %d sent", i, len(out.b), len(in.b))
				}
			}()
		}
		wg.Wait()
	})

	t.Run("stream", func(t *testing.T) {
		st, err := cc.NewStream(ctx, &echoService.Streams[0], "/gosock.test.Echo/Chat")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			msg := &frame{b: bytes.Repeat([]byte{byte(i)}, 1+i*97)}
			if err := st.SendMsg(msg); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			var out frame
			if err := st.RecvMsg(&out); err != nil {
				t.Fatalf("receive %d: %v", i, err)
			}
			if !bytes.Equal(out.b, msg.b) {
				t.Fatalf("message %d: got %d bytes back, sent %d", i, len(out.b), len(msg.b))
			}
		}
		if err := st.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if err := st.RecvMsg(&frame{}); err != io.EOF {
			t.Fatalf("after CloseSend: %v, want io.EOF", err)
		}
	})

	t.Run("status", func(t *testing.T) {
		err := cc.Invoke(ctx, "/gosock.test.Echo/Fail", &frame{b: []byte("abc")}, &frame{})
		if status.Code(err) != codes.InvalidArgument || status.Convert(err).Message() != "refused 3 bytes" {
			t.Fatalf("got %v, want InvalidArgument \"refused 3 bytes\"", err)
		}
	})
}
