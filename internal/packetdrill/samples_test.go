package packetdrill

// sampleScripts are small scripts written for these tests (not taken from
// the corpus). They cover every form of the grammar and seed the round
// trip test and the fuzzer.
var sampleScripts = map[string]string{
	"passive.pkt": `// Passive open, data, close.
--tolerance_usecs=10000
--strict_segments
` + "`../common/defaults.sh`" + `
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
 +.01 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 write(4, ..., 2000) = 2000
   +0 > P. 1:2001(2000) ack 1
 +.01 < . 1:1(0) ack 2001 win 257 <sack 1:2 3:4,nop,nop>
   +0 close(4) = 0
   +0 > F. 2001:2001(0) ack 1
    * > F. 2001:2001(0) ack 1
` + "`/tmp/restore.sh`\n",

	"active.pkt": `// Active open with timestamps and a blocking connect.
--tcp_ts_tick_usecs=1000
--tcp_ts_ecr_scaled // comment after a flag
0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
0.100...0.200 connect(3, ..., ...) = 0
   +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
  +.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 7>
   +0 > . 1:1(0) ack 1 <nop,nop,TS val 200 ecr 700>
+.3~+.4 > . 1:1(0) ack 1 <...>
0.9~1.1 read(3, ..., 1) = -1 EAGAIN (Resource temporarily unavailable)
`,

	"fastopen.pkt": `--local_ip=192.168.0.2
--remote_ip=10.248.0.2
` + "`../../common/defaults.sh\n ../../common/set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x30403`" + `
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY,
                 "\xf7\x63\xbf\xa0\x81\x3d\x80\xed", 8) = 0
   +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "", 3) = -1 (Invalid Argument)
   +0 < S 100:110(10) win 10000 <mss 1012,FOEXP,sackOK,TS val 1 ecr 0,nop,wscale 7>
   +0 > S. 0:0(0) ack 111 <mss 1460,sackOK,TS val 10000 ecr 1,nop,wscale 8, FOEXP 00abaaabe8e954c2>
   +0 < S 0:0(0) win 10 <FO,nop,nop>
   +0 > S. 0:0(0) ack 1 <FO 1234abcd5678dcba,nop,nop,md5 0011,253 f989>
   +0 sendto(4, ..., 1000, MSG_FASTOPEN, ..., ...) = 1000
   +0 sendmsg(5, {msg_name(...)=...,
                  msg_iov(3)=[{..., 500},{..., 1000},{...,400}],
                  msg_flags=0}, MSG_NOSIGNAL|MSG_FASTOPEN) = 1900
   +0 %{ assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options }%
`,

	"calls.pkt": `0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 write(4, NULL, 1000) = -1 EFAULT (Bad address)
+0 recvmsg(3, {msg_name(...)=...,
		    msg_iov(1)=[{..., 1000}],
		    msg_flags=0,
		    msg_control=[{cmsg_level=SOL_TCP,
				  cmsg_type=TCP_CM_INQ,
				  cmsg_data=9000}]}, 0) = 1000
+0...0.010 poll([{fd=4, events=POLLIN|POLLOUT|POLLERR, revents=POLLOUT}], 1, 100) = 1
+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT|EPOLLIN|EPOLLET, fd=4}) = 0
+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
+0 getsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [0xffffffff], [4]) = 0
+0 ioctl(4, SIOCINQ, [1000]) = 0
+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080)}, sizeof(struct sockaddr_in)) = 0
+0 accept(3, &addr, &len) = 4
+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=-1}, 8) = 0
+0 sendto(3, ..., 0, MSG_FASTOPEN, AF_UNSPEC, ...) = -1 EOPNOTSUPP (Operation not supported)
+0 shutdown(4, SHUT_WR) = 0
`,

	"ecn-icmp.pkt": `/* ECN annotations,
   ICMP and UDP forms */
0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 > [ect0] P. 1:1001(1000) ack 1
+0 < [ce] . 1:1(0) ack 1001 win 257
+0 < (ecn) . 1:1(0) ack 1001 win 257
+0 < [noecn] E. 1:1(0) ack 1001 win 320
+0 < (tos 0x10, ttl 64, flowlabel 0x1234) SEW 0:0(0) win 100
+0 > [ect01] udp (100)
+0 < udp (8)
+.01 < icmp unreachable frag_needed mtu 840 [0:1000(1000)]
+0 < icmp unreachable host_unreachable [0:10(10)]
+0 < icmp unreachable
+0 < icmp packet_too_big mtu 1400 [tcp 0:1440(1440)]
+0 < icmp unreachable port_unreachable [udp (20)]
+0 > R. 1:1(0) ack 1 win 0 urg 0
+0 > - 1:1(0)
`,

	"python.pkt": `0 %{
TCP_INFINITE_SSTHRESH = 0x7fffffff
cwnd = 10
}%
+0 %{ print(tcpi_snd_cwnd); cwnd += 10; assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd }%
+0 %{ assert 98000 <= tcpi_rwnd_limited <= 110000, tcpi_rwnd_limited;\
      assert tcpi_busy_time > 0 and tcpi_state == TCP_ESTABLISHED, 'busy=%d' % tcpi_busy_time
}%
+0 %{
# a comment
assert tcpi_ca_state == TCP_CA_CWR, tcpi_ca_state
if tcpi_retrans:
    print('retrans')
}%
`,

	"shell.pkt": "`sysctl -q net.ipv4.tcp_ecn=1  # on\nsysctl -q net.ipv4.tcp_timestamps=0`\n" +
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
		"+0 `tc qdisc add dev tun0 root pfifo limit 0`\n" +
		"+0 `ip route change 192.0.2.1 advmss 600 mtu lock 640 initcwnd 11`\n",

	"defines.pkt": `0 < S 0:10(10) win 32792 <mss 1460,sackOK,nop,nop,FOEXP TFO_COOKIE>
+0 < icmp unreachable CODE [0:10(10)]
+0 recvmsg(4, {msg_control=[{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR}]}, MSG_ERRQUEUE) = 0
`,

	"empty.pkt": "// nothing but a comment\n",
}

// sampleDefines are the defines the sample scripts use.
var sampleDefines = map[string]string{
	"TFO_COOKIE":        "3021b9d889017eeb",
	"CODE":              "host_unreachable",
	"CMSG_LEVEL_IP":     "SOL_IP",
	"CMSG_TYPE_RECVERR": "IP_RECVERR",
}
