// Command bench runs gosock's benchmark harness with every stack,
// gVisor's netstack included: it is `gosock bench` built inside the
// interop module, where the gVisor dependency lives.
//
//	go run ./cmd/bench [--vs gvisor,kernel] [-short] [-ci] [MODE...]
//
// See `gosock help bench` for the flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/gosock/gosock/bench"
	"github.com/gosock/gosock/interop/gvstack"
)

func main() {
	stacks := bench.Builtin()
	stacks[gvstack.Factory.Name] = gvstack.Factory
	err := bench.Command(os.Args[1:], os.Stdout, os.Stderr, stacks)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
