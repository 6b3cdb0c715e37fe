// Command gosock runs the gosock user-space TCP/IP stack.
//
// Usage:
//
//	gosock demo [flags]            build a small virtual network in-process and show it working
//	gosock packetdrill [flags] PATH run packetdrill scripts against gosock's TCP
//	gosock help [command]          describe a command
//
// More commands (tun, ping, ss, nstat, capture, bench) arrive with the
// layers they need.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"demo", "build a virtual network of three namespaces and exchange traffic across it", runDemo},
	{"packetdrill", "run packetdrill scripts against gosock on a virtual clock", runPacketdrill},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"help"}
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			if c := find(args[1]); c != nil {
				_ = c.run([]string{"-h"}, stdout, stdout)
				return 0
			}
		}
		usage(stdout)
		return 0
	}
	c := find(name)
	if c == nil {
		fmt.Fprintf(stderr, "gosock: unknown command %q\n", name)
		usage(stderr)
		return 2
	}
	if err := c.run(args[1:], stdout, stderr); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "gosock %s: %v\n", name, err)
		return 1
	}
	return 0
}

func find(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gosock: a user-space TCP/IP stack with Linux's socket semantics")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: gosock <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gosock help <command>' for a command's flags.")
}
