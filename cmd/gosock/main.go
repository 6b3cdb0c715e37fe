// Command gosock runs the gosock user-space TCP/IP stack.
//
// Usage:
//
//	gosock demo [flags]            build a small virtual network in-process and show it working
//	gosock packetdrill [flags] PATH run packetdrill scripts against gosock's TCP
//	gosock tun --addr PREFIX ...   run gosock on a Linux TUN device, serving or fetching
//	gosock ping [flags] ADDRESS    ping from a running tun instance
//	gosock ss [-tulain]            list a running tun instance's sockets
//	gosock nstat [PATTERN...]      print a running tun instance's counters
//	gosock capture -w FILE [-c N]  capture a running tun instance's device to pcap
//	gosock proxy --addr PREFIX ... relay every flow routed into a TUN device (tun2socks)
//	gosock help [command]          describe a command
//
// ping, ss, nstat and capture find the tun instance by its interface
// name (--name, default gosock0) through its control socket under
// /run/gosock.
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
	{"tun", "bring gosock up on a Linux TUN device and serve echo, discard, chargen, daytime, http", runTun},
	{"ping", "ping from a running tun instance, printed as Linux's ping", runPing},
	{"ss", "list a running tun instance's sockets, as ss does", runSS},
	{"nstat", "print a running tun instance's counters, as nstat does", runNstat},
	{"capture", "write a pcap of a running tun instance's device", runCapture},
	{"proxy", "relay every TCP and UDP flow routed into a TUN device, directly or via SOCKS5 (tun2socks)", runProxy},
	{"bench", "benchmark gosock against gVisor and the host kernel (bulk, rr, connrate, idle, many, lossy)", runBench},
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
