package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHelpAndUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "demo") {
		t.Errorf("help: code %d, output %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: code %d, stderr %q", code, errb.String())
	}
}

func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"demo", "-latency", "1ms"}, &out, &errb); code != 0 {
		t.Fatalf("demo exited %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{
		"3 packets transmitted, 3 received, 0% packet loss",
		"4008 bytes from 10.2.0.2",
		"4008 bytes from 2001:db8:2::2",
		"default via 10.1.0.1 dev eth0",
		"IpForwDatagrams",
		"ARP, Request who-has 10.1.0.1 tell 10.1.0.2",
		"200 OK  hello 10.1.0.2:",
		"200 OK  917504 bytes",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
}
