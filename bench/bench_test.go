package bench

import "testing"

func BenchmarkGosock(b *testing.B)         { Benchmarks(b, GosockPipe) }
func BenchmarkGosockLoopback(b *testing.B) { Benchmarks(b, GosockLoopback) }
func BenchmarkKernel(b *testing.B)         { Benchmarks(b, Kernel) }
