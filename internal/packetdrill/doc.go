// Package packetdrill parses packetdrill test scripts into an AST that a
// runner can execute against the gosock stack.
//
// The accepted language is the subset described in the project's
// ../shared/packetdrill/GRAMMAR.md. In short, a script is a stream of
// tokens (newlines carry no meaning; comments are // and /* */) made of:
//
//   - header options, before anything else: "--name" or "--name=value"
//     (Script.Options);
//   - an optional untimed init command and an optional untimed cleanup
//     command: backtick shell text (`...`) before the first and after the
//     last event;
//   - events, each "<time> <action>".
//
// Times: absolute "0.1", relative "+0.1" or "+.1" ("+0" is "at the same
// time as the previous event"), windows "a~b" and "+a~+b", and "*" (any
// time). A system call may block: "start...end call(...)".
//
// Actions:
//
//   - packets: "<" (inbound) or ">" (outbound), an optional IP
//     annotation "[ect0]", "[ce]", "[noecn]", "[ect1]", "[ect01]" (or
//     "(ecn)"), "(tos 0x2, ttl 64, flowlabel 1)", then a TCP, UDP or ICMP
//     packet as below;
//   - TCP packets: flags (S F R P U E W, "." for ACK, "-" for none),
//     "start:end(len)", optional "ack N", "win N", "urg N", and an
//     option list "<mss N, nop, eol, sackOK, sack a:b c:d, TS val N ecr
//     N, wscale N, FO [cookie], FOEXP [cookie], md5 [hex], KIND [hex]>"
//     or "<...>" (options unchecked);
//   - UDP packets: "udp (len)";
//   - ICMP packets: "icmp type [code] [mtu N] [[start:end(len)]]", the bracket
//     being the TCP packet quoted in the error ("[udp (len)]" for UDP);
//   - system calls: "name(args) = result [ERRNO] [(free text)]" where
//     arguments are integers (decimal, hex, negative), "strings" with C
//     escapes, symbols OR-ed with "|", "...", NULL, "[lists]", "{struct
//     literals}" with "name=value", "name(index)=value" and positional
//     members, "&x" and calls such as sizeof(x);
//   - shell commands: `text`, kept as raw text;
//   - python blocks: %{ code }%, kept as raw text plus a best-effort
//     parse of the statements the corpus uses (assert, assignment, +=,
//     print calls; see ParsePython).
//
// Defines ("-D NAME=value" on the upstream command line) are given to
// Parse and ParseFile as a map; every bare word of the script that names a
// define is replaced by the define's value, e.g. "FOEXP TFO_COOKIE".
//
// Every node carries its source position, errors are *ParseError with
// file, line and column, and every node prints back in canonical syntax
// with String; parsing that output gives the same AST again.
package packetdrill
