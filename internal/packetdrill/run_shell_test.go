package packetdrill

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeShell records what shell commands do.
type fakeShell struct {
	sysctls  [][2]string
	flushes  int
	dropAll  []bool
	gso      []bool
	failName string // setSysctl fails for this name
	counters map[string]uint64
	nstats   int
}

func (f *fakeShell) setSysctl(name, value string) error {
	if name == f.failName {
		return unsupported("sysctl %s is not in gosock's table", name)
	}
	f.sysctls = append(f.sysctls, [2]string{name, value})
	return nil
}
func (f *fakeShell) flushMetrics()      { f.flushes++ }
func (f *fakeShell) setDropAll(on bool) { f.dropAll = append(f.dropAll, on) }
func (f *fakeShell) setGSO(on bool)     { f.gso = append(f.gso, on) }
func (f *fakeShell) nstat() map[string]uint64 {
	f.nstats++
	c := f.counters
	f.counters = nil
	return c
}

func runShell(t *testing.T, text, dir string, env *fakeShell) error {
	t.Helper()
	cmds, err := parseShell(text, dir)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		err := c.apply(env)
		for alt := c.orElse; err != nil && alt != nil; alt = alt.orElse {
			err = alt.apply(env)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func TestShellSysctl(t *testing.T) {
	env := &fakeShell{}
	text := `sysctl -q net.ipv4.tcp_timestamps=0 net/ipv4/tcp_sack=1
 ../common/set_sysctls.py /proc/sys/net/ipv4/tcp_wmem="4096 50000 4194304" \
	/proc/sys/net/ipv4/tcp_syn_retries=1
sysctl -q net.ipv4.tcp_early_retrans=0 # a comment
# a whole comment line
true`
	if err := runShell(t, text, t.TempDir(), env); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"net.ipv4.tcp_timestamps", "0"}, {"net.ipv4.tcp_sack", "1"},
		{"net.ipv4.tcp_wmem", "4096 50000 4194304"}, {"net.ipv4.tcp_syn_retries", "1"},
		{"net.ipv4.tcp_early_retrans", "0"},
	}
	if !reflect.DeepEqual(env.sysctls, want) {
		t.Errorf("sysctls %q, want %q", env.sysctls, want)
	}
}

func TestShellDefaultsFile(t *testing.T) {
	dir := t.TempDir()
	common := filepath.Join(dir, "common")
	if err := os.MkdirAll(filepath.Join(dir, "tcp", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(common, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "#!/bin/bash\n# comment\nip tcp_metrics flush all > /dev/null 2>&1\n" +
		"sysctl -q net.ipv4.tcp_rmem=\"4096 540000 $((15*1024*1024))\"\n" +
		"sysctl -q net.ipv4.tcp_notsent_lowat=4294967295 > /dev/null 2>&1\n" +
		"tc qdisc add dev tun0 root pfifo\n"
	if err := os.WriteFile(filepath.Join(common, "defaults.sh"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &fakeShell{}
	if err := runShell(t, "../../common/defaults.sh", filepath.Join(dir, "tcp", "x"), env); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"net.ipv4.tcp_rmem", "4096 540000 15728640"}, {"net.ipv4.tcp_notsent_lowat", "4294967295"}}
	if !reflect.DeepEqual(env.sysctls, want) || env.flushes != 1 || !reflect.DeepEqual(env.dropAll, []bool{false}) {
		t.Errorf("sysctls %q flushes %d drop %v", env.sysctls, env.flushes, env.dropAll)
	}
	// Without the file, the table of GRAMMAR.md 7.2 is applied.
	env = &fakeShell{}
	if err := runShell(t, "../common/defaults.sh", t.TempDir(), env); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(env.sysctls, builtinDefaults) {
		t.Errorf("builtin defaults: %q", env.sysctls)
	}
}

func TestShellDevice(t *testing.T) {
	env := &fakeShell{}
	text := "tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0\n" +
		"tc qdisc replace dev tun0 root fq\nethtool -K tun0 gso off tso off\nnstat > /dev/null\n" +
		"echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect\n/tmp/sysctl_restore_${PPID}.sh"
	if err := runShell(t, text, ".", env); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(env.dropAll, []bool{false, true, false}) || !reflect.DeepEqual(env.gso, []bool{false}) {
		t.Errorf("drop %v gso %v", env.dropAll, env.gso)
	}
}

func TestShellNstat(t *testing.T) {
	env := &fakeShell{counters: map[string]uint64{"TcpExtOutOfWindowIcmps": 1}}
	if err := runShell(t, "nstat | grep TcpExtOutOfWindowIcmps > /dev/null", ".", env); err != nil {
		t.Errorf("changed counter: %v", err)
	}
	err := runShell(t, "nstat | grep TcpExtOutOfWindowIcmps > /dev/null", ".", env)
	if err == nil || isUnsupported(err) || !strings.Contains(err.Error(), "no counter matching") {
		t.Errorf("unchanged counter: %v", err)
	}
	if _, err := parseShell("nstat | wc -l", "."); err == nil || !isUnsupported(err) {
		t.Errorf("other pipeline: %v", err)
	}
}

func TestShellOrElse(t *testing.T) {
	env := &fakeShell{failName: "net.ipv4.tcp_fastopen_cookies"}
	text := "sysctl -q net.ipv4.tcp_fastopen_cookies=0 &> /dev/null || ip tcp_metrics flush all &> /dev/null"
	if err := runShell(t, text, ".", env); err != nil {
		t.Fatal(err)
	}
	if env.flushes != 1 {
		t.Errorf("fallback ran %d times", env.flushes)
	}
	env = &fakeShell{}
	if err := runShell(t, text, ".", env); err != nil || env.flushes != 0 {
		t.Errorf("fallback ran after success: %v %d", err, env.flushes)
	}
}

func TestShellUnsupported(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600", "ip route change"},
		{"ip -6 route change 2001:DB8::1 via fd3d:fa7b:d17d:8888::0 dev tun0 advmss 1480", "ip route change"},
		{"echo 2 > /sys/module/tcp_cubic/parameters/hystart_detect", "hystart_detect=2"},
		{"cat /proc/net/snmp", `command "cat /proc/net/snmp"`},
		{"sysctl net.ipv4.tcp_sack", "sysctl read"},
		{"tc qdisc add dev tun0 root netem delay 10ms", "qdisc"},
		{"ls | wc", "pipeline"},
		{"a && b", `"&&"`},
		{"echo $(date)", "command substitution"},
		{"sysctl -q 'net.ipv4.tcp_sack=1", "unterminated quote"},
	} {
		_, err := parseShell(c.text, ".")
		if err == nil || !isUnsupported(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want unsupported %q", c.text, err, c.want)
		}
	}
	env := &fakeShell{failName: "net.ipv4.tcp_bogus"}
	err := runShell(t, "sysctl -q net.ipv4.tcp_bogus=1", ".", env)
	var u *unsupportedError
	if !errors.As(err, &u) {
		t.Errorf("unknown sysctl: %v", err)
	}
}

func TestShellWords(t *testing.T) {
	cases := map[string][]string{
		`a "b c" 'd'`:                {"a", "b c", "d"},
		`x > /dev/null 2>&1`:         {"x", ">", "/dev/null", "2>&1"},
		`x &> /dev/null || y`:        {"x", "&>", "/dev/null", "||", "y"},
		`x 2>/dev/null ; y`:          {"x", "2>", "/dev/null", ";", "y"},
		`a=b"c d"`:                   {"a=bc d"},
		`nstat | grep X > /dev/null`: {"nstat", "|", "grep", "X", ">", "/dev/null"},
	}
	for in, want := range cases {
		got, err := shellWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
