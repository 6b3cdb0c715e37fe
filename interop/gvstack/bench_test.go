package gvstack

import (
	"testing"

	"github.com/gosock/gosock/bench"
)

// BenchmarkGVisor runs the harness's go test benchmarks on two gVisor
// stacks joined by a gosock pipe, to set beside BenchmarkGosock in the
// bench package.
func BenchmarkGVisor(b *testing.B) { bench.Benchmarks(b, Factory) }
