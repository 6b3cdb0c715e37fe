package packetdrill

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Shell text in scripts is interpreted, never executed: the runner
// recognises the few command shapes the corpus uses (GRAMMAR.md section
// 7) and maps them onto the namespace and the device. Anything else is
// an unsupported feature.

// shellEnv is what shell commands act on.
type shellEnv interface {
	setSysctl(name, value string) error
	flushMetrics()
	setDropAll(on bool)
	setGSO(on bool)
	// nstat reports the counters that changed since its last call, by
	// their nstat names, as nstat does with its history file.
	nstat() map[string]uint64
}

// shellCmd is one simple command (or an "a || b" chain) ready to apply.
type shellCmd struct {
	text  string
	apply func(env shellEnv) error
	// orElse runs when apply fails: the right side of "||".
	orElse *shellCmd
}

// unsupportedError marks an error that makes the script unsupported rather
// than failed.
type unsupportedError struct{ msg string }

// Error returns the reason.
func (e *unsupportedError) Error() string { return e.msg }

func unsupported(format string, args ...any) error {
	return &unsupportedError{fmt.Sprintf(format, args...)}
}

// isUnsupported reports whether err marks an unsupported feature.
func isUnsupported(err error) bool {
	var u *unsupportedError
	return errors.As(err, &u)
}

// builtinDefaults is what defaults.sh sets (GRAMMAR.md section 7.2), for
// scripts run where the file cannot be read.
var builtinDefaults = [][2]string{
	{"net.ipv4.tcp_rmem", "4096 540000 15728640"},
	{"net.ipv4.tcp_wmem", "4096 262144 4194304"},
	{"net.ipv4.tcp_timestamps", "1"},
	{"net.ipv4.tcp_syn_retries", "5"},
	{"net.ipv4.tcp_synack_retries", "5"},
	{"net.ipv4.tcp_frto", "2"},
	{"net.ipv4.tcp_sack", "1"},
	{"net.ipv4.tcp_dsack", "1"},
	{"net.ipv4.tcp_fack", "0"},
	{"net.ipv4.tcp_reordering", "3"},
	{"net.ipv4.tcp_congestion_control", "cubic"},
	{"net.ipv4.tcp_slow_start_after_idle", "0"},
	{"net.ipv4.tcp_early_retrans", "4"},
	{"net.ipv4.tcp_recovery", "1"},
	{"net.ipv4.tcp_tso_win_divisor", "3"},
	{"net.ipv4.tcp_ecn", "0"},
	{"net.ipv4.tcp_ecn_option", "2"},
	{"net.ipv4.tcp_pacing_ss_ratio", "200"},
	{"net.ipv4.tcp_pacing_ca_ratio", "120"},
	{"net.ipv4.tcp_notsent_lowat", "4294967295"},
	{"net.ipv4.tcp_fastopen", "0x70403"},
	{"net.ipv4.tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"},
	{"net.ipv4.tcp_syncookies", "1"},
}

// parseShell turns the text of a backtick block into commands. dir is
// the script's directory, against which sourced files resolve.
func parseShell(text, dir string) ([]*shellCmd, error) {
	return parseShellDepth(expandArith(stripComments(text)), dir, 0)
}

func parseShellDepth(text, dir string, depth int) ([]*shellCmd, error) {
	if depth > 4 {
		return nil, unsupported("shell: files source each other too deeply")
	}
	text = strings.ReplaceAll(text, "\\\n", " ")
	var out []*shellCmd
	for _, line := range strings.Split(text, "\n") {
		for _, stmt := range splitUnquoted(line, ";") {
			words, err := shellWords(stmt)
			if err != nil {
				return nil, err
			}
			if len(words) == 0 {
				continue
			}
			cmd, err := parseChain(words, strings.TrimSpace(stmt), dir, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, cmd...)
		}
	}
	return out, nil
}

// parseChain handles "a || b": b runs only when a fails (or cannot be
// emulated).
func parseChain(words []string, text, dir string, depth int) ([]*shellCmd, error) {
	for i, w := range words {
		if w == "||" {
			left, lerr := parseSimple(words[:i], text, dir, depth)
			right, rerr := parseChain(words[i+1:], text, dir, depth)
			if rerr != nil {
				return nil, rerr
			}
			if lerr != nil || len(left) != 1 {
				return right, nil // the left side cannot succeed here
			}
			left[0].orElse = right[0]
			return left, nil
		}
		if w == "&&" || w == "&" {
			return nil, unsupported("shell: %q is not emulated", w)
		}
	}
	return parseSimple(words, text, dir, depth)
}

// parseSimple recognises one command (a pipeline is judged by its first
// command).
func parseSimple(words []string, text, dir string, depth int) ([]*shellCmd, error) {
	words = stripRedirections(words)
	for i, w := range words {
		if w != "|" {
			continue
		}
		if words[0] == "nstat" && i == 1 && len(words) == 4 && words[2] == "grep" {
			return []*shellCmd{nstatGrep(text, words[3])}, nil
		}
		return nil, unsupported("shell: pipeline %q is not emulated", text)
	}
	if len(words) == 0 {
		return nil, nil
	}
	noop := func(shellEnv) error { return nil }
	name := words[0]
	base := filepath.Base(name)
	switch {
	case base == "defaults.sh":
		return sourceDefaults(name, text, dir, depth)
	case strings.Contains(name, "sysctl_restore"):
		return []*shellCmd{{text: text, apply: noop}}, nil
	case base == "set_sysctls.py":
		var sets [][2]string
		for _, a := range words[1:] {
			k, v, ok := strings.Cut(a, "=")
			if !ok || !strings.HasPrefix(k, "/proc/sys/") {
				return nil, unsupported("shell: set_sysctls.py argument %q is not /proc/sys/NAME=VALUE", a)
			}
			sets = append(sets, [2]string{strings.ReplaceAll(strings.TrimPrefix(k, "/proc/sys/"), "/", "."), v})
		}
		return []*shellCmd{sysctlCmd(text, sets)}, nil
	case name == "sysctl":
		var sets [][2]string
		for _, a := range words[1:] {
			if strings.HasPrefix(a, "-") {
				if a != "-q" && a != "-w" && a != "-e" && a != "-qw" && a != "-wq" {
					return nil, unsupported("shell: sysctl option %s is not emulated", a)
				}
				continue
			}
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				return nil, unsupported("shell: sysctl read %q is not emulated", a)
			}
			sets = append(sets, [2]string{strings.ReplaceAll(k, "/", "."), v})
		}
		return []*shellCmd{sysctlCmd(text, sets)}, nil
	case name == "ip" && len(words) >= 3 && words[1] == "tcp_metrics" && (words[2] == "flush" || words[2] == "delete"):
		return []*shellCmd{{text: text, apply: func(env shellEnv) error { env.flushMetrics(); return nil }}}, nil
	case name == "tc" && len(words) >= 3 && words[1] == "qdisc":
		return parseQdisc(words, text)
	case name == "nstat" && len(words) == 1:
		return []*shellCmd{{text: text, apply: func(env shellEnv) error { env.nstat(); return nil }}}, nil
	case name == "true" || name == ":":
		return []*shellCmd{{text: text, apply: noop}}, nil
	case name == "ethtool" && len(words) >= 3 && words[1] == "-K" && words[2] == DeviceName:
		on, known := false, false
		for i := 3; i+1 < len(words); i += 2 {
			switch words[i] {
			case "gso", "tso":
			default:
				return nil, unsupported("shell: ethtool feature %s is not emulated", words[i])
			}
			on, known = words[i+1] == "on", true
		}
		if !known {
			return nil, unsupported("shell: %q is not emulated", text)
		}
		return []*shellCmd{{text: text, apply: func(env shellEnv) error { env.setGSO(on); return nil }}}, nil
	case name == "echo" && len(words) == 4 && words[2] == ">" && strings.HasSuffix(words[3], "/tcp_cubic/parameters/hystart_detect"):
		if words[1] != "3" {
			return nil, unsupported("shell: CUBIC hystart_detect=%s (gosock uses Linux's default, 3)", words[1])
		}
		return []*shellCmd{{text: text, apply: noop}}, nil
	case name == "ip" && (len(words) >= 3 && words[1] == "route" || len(words) >= 4 && words[1] == "-6" && words[2] == "route"):
		return nil, unsupported("shell: ip route change (per-route advmss, mtu lock, initcwnd) is not emulated")
	}
	return nil, unsupported("shell: command %q is not emulated", firstWords(words, 3))
}

func firstWords(w []string, n int) string {
	if len(w) > n {
		w = w[:n]
	}
	return strings.Join(w, " ")
}

// nstatGrep is "nstat | grep PATTERN": it succeeds when a counter whose
// name contains the pattern changed since the last nstat, as grep
// succeeds when nstat prints a matching line.
func nstatGrep(text, pattern string) *shellCmd {
	return &shellCmd{text: text, apply: func(env shellEnv) error {
		for name := range env.nstat() {
			if strings.Contains(name, pattern) {
				return nil
			}
		}
		return fmt.Errorf("shell: %s: no counter matching %q changed", text, pattern)
	}}
}

// sysctlCmd sets sysctls in order, stopping at the first error.
func sysctlCmd(text string, sets [][2]string) *shellCmd {
	return &shellCmd{text: text, apply: func(env shellEnv) error {
		for _, kv := range sets {
			if err := env.setSysctl(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	}}
}

// parseQdisc emulates the root qdisc of tun0: "pfifo limit 0" drops
// every packet (local congestion); any other qdisc (pfifo, fq) or its
// deletion lets packets through. fq's pacing is not emulated (the two
// CUBIC scripts that install it only check cwnd).
func parseQdisc(words []string, text string) ([]*shellCmd, error) {
	op := words[2]
	if len(words) < 6 || words[3] != "dev" || words[4] != DeviceName || words[5] != "root" {
		return nil, unsupported("shell: %q is not emulated", text)
	}
	switch op {
	case "delete", "del":
		return []*shellCmd{{text: text, apply: func(env shellEnv) error { env.setDropAll(false); return nil }}}, nil
	case "add", "replace", "change":
	default:
		return nil, unsupported("shell: tc qdisc %s is not emulated", op)
	}
	kind := strings.Join(words[6:], " ")
	var drop bool
	switch kind {
	case "pfifo limit 0":
		drop = true
	case "pfifo", "fq", "pfifo_fast", "fq_codel":
	default:
		return nil, unsupported("shell: qdisc %q is not emulated", kind)
	}
	return []*shellCmd{{text: text, apply: func(env shellEnv) error { env.setDropAll(drop); return nil }}}, nil
}

// sourceDefaults reads defaults.sh relative to the script's directory and
// interprets it; if it cannot be read, the table of GRAMMAR.md 7.2 is
// applied instead.
func sourceDefaults(name, text, dir string, depth int) ([]*shellCmd, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, name)
	}
	if src, err := os.ReadFile(path); err == nil {
		return parseShellDepth(expandArith(stripComments(string(src))), filepath.Dir(path), depth+1)
	}
	return []*shellCmd{sysctlCmd(text, builtinDefaults)}, nil
}

// stripComments removes "#" comments (and the "#!" line) of a sourced
// file, outside quotes.
func stripComments(src string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		inQ := byte(0)
		for j := 0; j < len(l); j++ {
			c := l[j]
			switch {
			case inQ != 0 && c == inQ:
				inQ = 0
			case inQ == 0 && (c == '"' || c == '\''):
				inQ = c
			case inQ == 0 && c == '#' && (j == 0 || l[j-1] == ' ' || l[j-1] == '\t'):
				lines[i] = l[:j]
				j = len(l)
			}
		}
	}
	return strings.Join(lines, "\n")
}

var arithRE = regexp.MustCompile(`\$\(\(([0-9+*\- ]+)\)\)`)

// expandArith replaces $((a*b+c)) with its value.
func expandArith(s string) string {
	return arithRE.ReplaceAllStringFunc(s, func(m string) string {
		expr := arithRE.FindStringSubmatch(m)[1]
		sum := int64(0)
		for _, term := range strings.Split(strings.ReplaceAll(expr, "-", "+-"), "+") {
			term = strings.TrimSpace(term)
			if term == "" {
				continue
			}
			prod := int64(1)
			for _, f := range strings.Split(term, "*") {
				v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
				if err != nil {
					return m
				}
				prod *= v
			}
			sum += prod
		}
		return strconv.FormatInt(sum, 10)
	})
}

// splitUnquoted splits s at sep outside quotes.
func splitUnquoted(s, sep string) []string {
	var out []string
	inQ, start := byte(0), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQ != 0:
			if c == inQ {
				inQ = 0
			}
		case c == '"' || c == '\'':
			inQ = c
		case strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
		}
	}
	return append(out, s[start:])
}

// shellWords splits a command into words, removing quotes and keeping
// the operators "||", "|", "&&", "&", ">", "2>&1" and the like as words
// of their own.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	have := false
	flush := func() {
		if have {
			words = append(words, cur.String())
			cur.Reset()
			have = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, unsupported("shell: unterminated quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			have = true
			i += j + 1
		case c == '>' || c == '&' && i+1 < len(s) && s[i+1] == '>':
			// A redirection: [n]>, >>, &>, with an optional &m target.
			op := ""
			if have && (cur.String() == "1" || cur.String() == "2") {
				op = cur.String()
				cur.Reset()
				have = false
			}
			flush()
			for i < len(s) && (s[i] == '>' || s[i] == '&') && len(op) < 4 {
				op += string(s[i])
				i++
			}
			for i < len(s) && s[i] >= '0' && s[i] <= '9' && strings.HasSuffix(op, "&") {
				op += string(s[i])
				i++
			}
			i--
			words = append(words, op)
		case c == '|' || c == '&' || c == '<':
			flush()
			op := string(c)
			if i+1 < len(s) && s[i+1] == c {
				op += string(c)
				i++
			}
			words = append(words, op)
		case c == '$' && strings.HasPrefix(s[i:], "$(") && !strings.HasPrefix(s[i:], "$(("):
			return nil, unsupported("shell: command substitution in %q is not emulated", s)
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	flush()
	return words, nil
}

// stripRedirections drops output redirections (to /dev/null and the
// like) with their targets, and descriptor duplications such as "2>&1".
// echo keeps its redirection: writing a file is what it does.
func stripRedirections(words []string) []string {
	if len(words) > 0 && words[0] == "echo" {
		return words
	}
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case isRedirection(w) && strings.Contains(w, ">&"):
			// n>&m: nothing to skip.
		case isRedirection(w):
			i++ // the target
		default:
			out = append(out, w)
		}
	}
	return out
}

func isRedirection(w string) bool {
	return w != "" && strings.Trim(w, "0123456789&>") == "" && strings.Contains(w, ">")
}
