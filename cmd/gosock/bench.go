package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gosock/gosock/bench"
)

// runBench runs the benchmark harness with the stacks built into this
// binary (gosock, gosock-lo, kernel). gVisor's netstack lives in the
// interop module, so that the library does not depend on it; when --vs
// asks for it and the command runs inside a gosock checkout, it hands the
// whole command line to `go run ./cmd/bench` in interop/.
func runBench(args []string, stdout, stderr io.Writer) error {
	err := bench.Command(args, stdout, stderr, bench.Builtin())
	if !errors.Is(err, bench.ErrMissingStack) {
		return err
	}
	dir := interopDir()
	if dir == "" {
		return fmt.Errorf("%v; gVisor's stack is in the interop module of a gosock checkout: run this command from inside one (it then runs `go run ./cmd/bench` there), or compare with --vs kernel", err)
	}
	fmt.Fprintf(stderr, "gosock bench: running the interop module's bench in %s (it includes gVisor)\n", dir)
	cmd := exec.Command("go", append([]string{"run", "./cmd/bench"}, args...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("interop bench: %w", err)
	}
	return nil
}

// interopDir finds interop/ of the gosock checkout holding the working
// directory, or returns "".
func interopDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(mod), "module github.com/gosock/gosock\n") {
			in := filepath.Join(dir, "interop")
			if _, err := os.Stat(filepath.Join(in, "go.mod")); err == nil {
				return in
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
