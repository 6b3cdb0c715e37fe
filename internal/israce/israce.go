//go:build !race

// Package israce reports whether the race detector is on, so allocation
// tests that the detector disturbs (it empties sync.Pools at random) can
// skip under -race.
package israce

// Enabled is true when built with -race.
const Enabled = false
