package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProxyFlags checks the command's argument errors and help, which
// need no privileges.
func TestProxyFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy"}, "--addr is required"},
		{[]string{"proxy", "--addr", "10.0.0.1/24", "--via", "ftp://x"}, "--via takes direct or socks5://HOST:PORT"},
		{[]string{"proxy", "--addr", "10.0.0.1/24", "--via", "socks5://nohostport"}, "--via socks5://nohostport"},
		{[]string{"proxy", "--addr", "nonsense"}, "--addr"},
		{[]string{"proxy", "--addr", "10.0.0.1/24", "extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: code %d, stderr %q, want %q", tc.args, code, errb.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"help", "proxy"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "SOCKS5") {
		t.Errorf("help proxy: code %d, %q", code, out.String())
	}
	out.Reset()
	if run([]string{"help"}, &out, &errb); !strings.Contains(out.String(), "proxy") {
		t.Errorf("help does not list proxy:\n%s", out.String())
	}
}
