package packetdrill

import (
	"encoding/binary"
	"strings"
	"testing"
)

// tcpInfoBytes returns a struct tcp_info with a few fields set.
func tcpInfoBytes() []byte {
	b := make([]byte, sizeofTCPInfo)
	b[0] = 1                                          // state ESTABLISHED
	b[1] = 3                                          // ca_state Recovery
	b[5] = 0x25                                       // options: TIMESTAMPS|WSCALE|SYN_DATA
	b[6] = 0x87                                       // snd_wscale 7, rcv_wscale 8
	binary.LittleEndian.PutUint32(b[80:], 10)         // snd_cwnd
	binary.LittleEndian.PutUint32(b[76:], 0x7fffffff) // snd_ssthresh
	binary.LittleEndian.PutUint64(b[168:], 50000)     // busy_time
	binary.LittleEndian.PutUint32(b[192:], 2)         // delivered
	return b
}

func parsePy(t *testing.T, code string) *PythonLine {
	t.Helper()
	s, err := Parse("py.pkt", []byte("0 %{"+code+"}%\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Lines[0].(*PythonLine)
}

// runPy checks and runs blocks in order with one tcp_info snapshot.
func runPy(t *testing.T, st *pyState, info []byte, code string) error {
	t.Helper()
	l := parsePy(t, code)
	if err := st.check(l); err != nil {
		return err
	}
	env := &pyEnv{st: st, info: info}
	for _, s := range l.Stmts {
		if err := env.exec(s); err != nil {
			return err
		}
	}
	return nil
}

func TestPythonAssertions(t *testing.T) {
	info := tcpInfoBytes()
	pass := []string{
		"assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd",
		"assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options",
		"assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state",
		"assert tcpi_state == TCP_ESTABLISHED",
		"assert 49000 <= tcpi_busy_time <= 52000, tcpi_busy_time",
		"assert tcpi_snd_wscale == 7 and tcpi_rcv_wscale == 8",
		"TCP_INFINITE_SSTHRESH = 0x7fffffff\nassert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH",
		"cwnd = 8; cwnd += 2; assert tcpi_snd_cwnd == cwnd, 'cwnd=%d' % tcpi_snd_cwnd",
		"print(tcpi_snd_cwnd); assert not (tcpi_delivered > 2)",
		"assert tcpi_delivered == 2 or tcpi_delivered == 3, \\\n  tcpi_delivered",
		"assert -7 // 2 == -4 and -7 % 2 == 1 and 1 << 4 == 16 and ~0 == -1",
	}
	for _, code := range pass {
		if err := runPy(t, newPyState(), info, code); err != nil {
			t.Errorf("%q: %v", code, err)
		}
	}
}

func TestPythonFailures(t *testing.T) {
	info := tcpInfoBytes()
	err := runPy(t, newPyState(), info, "assert tcpi_snd_cwnd == 12, 'cwnd=%d' % tcpi_snd_cwnd")
	se, ok := err.(*stepError)
	if !ok || se.outcome != Fail {
		t.Fatalf("failed assertion: %v", err)
	}
	if se.reason != "python assertion failed: tcpi_snd_cwnd == 12" ||
		!strings.Contains(se.detail, "message: cwnd=10") || !strings.Contains(se.detail, "tcpi_snd_cwnd=10") {
		t.Errorf("reason %q detail %q", se.reason, se.detail)
	}
	// Variables persist between blocks.
	st := newPyState()
	if err := runPy(t, st, info, "cwnd = 10"); err != nil {
		t.Fatal(err)
	}
	if err := runPy(t, st, info, "cwnd += 1; assert tcpi_snd_cwnd == cwnd"); err == nil {
		t.Error("cwnd 11 matched tcpi_snd_cwnd 10")
	}
	// A field beyond what the stack returned is unsupported.
	err = runPy(t, newPyState(), info[:100], "assert tcpi_delivered == 2")
	if err == nil || !isUnsupported(err) {
		t.Errorf("short tcp_info: %v", err)
	}
}

func TestPythonUnsupported(t *testing.T) {
	for _, c := range []struct{ code, want string }{
		{"if tcpi_snd_cwnd > 1:\n  pass", "compound statement"},
		{"assert tcpi_bogus == 1", "tcpi_bogus is not a field"},
		{"assert undefined_name == 1", "name undefined_name is not defined"},
		{"x += 1", "name x is not defined"},
		{"import os", ""},
		{"foo(1)", "statement foo(1)"},
		{"assert len(tcpi_snd_cwnd) == 1", "function len()"},
		{"assert tcpi_snd_cwnd / 2 == 5", "operator /"},
	} {
		err := runPy(t, newPyState(), tcpInfoBytes(), c.code)
		if err == nil || !isUnsupported(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want unsupported %q", c.code, err, c.want)
		}
	}
}

func TestPythonFormat(t *testing.T) {
	tup := pyValue{isTup: true, tuple: []pyValue{pyInt(1), {s: "a", isStr: true}}}
	if got := pyFormat("%d-%s-%x-%%", pyValue{isTup: true, tuple: []pyValue{pyInt(3), pyInt(4), pyInt(255)}}); got != "3-4-ff-%" {
		t.Errorf("format %q", got)
	}
	if got := tup.String(); got != "(1, a)" {
		t.Errorf("tuple %q", got)
	}
}

func TestTCPInfoLayout(t *testing.T) {
	// Fields must not overlap and must lie inside the struct.
	type span struct {
		name     string
		from, to int
	}
	var spans []span
	for name, f := range tcpInfoLayout {
		if f.off+f.size > sizeofTCPInfo {
			t.Errorf("%s ends at %d, past %d", name, f.off+f.size, sizeofTCPInfo)
		}
		if f.bits == 0 {
			spans = append(spans, span{name, f.off, f.off + f.size})
		}
	}
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.from < b.to && b.from < a.to {
				t.Errorf("%s and %s overlap", a.name, b.name)
			}
		}
	}
}
