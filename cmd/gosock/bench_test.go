package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBenchKernelRR(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "--vs", "kernel", "-short", "-q", "rr"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"gosock/kernel", "tps", "p99", "≥4× gvisor not measured"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchGVisorOutsideCheckout(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "--vs", "gvisor", "-short", "rr"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "interop module") {
		t.Errorf("error does not point at the interop module: %s", errb.String())
	}
}

func TestBenchBadMode(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "warp"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "unknown mode") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
