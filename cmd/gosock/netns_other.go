//go:build !linux

package main

import "errors"

// inNetns runs fn; network namespaces exist only on Linux.
func inNetns(name string, fn func() error) error {
	if name != "" {
		return errors.New("network namespaces (--netns) need Linux")
	}
	return fn()
}
