//go:build !linux

package bench

// raiseFileLimit leaves the limit alone where it is not Linux.
func raiseFileLimit() {}
