// Package tcp is gosock's TCP, built to behave as Linux's on the wire and
// at the socket: Linux's state numbering, its RTT estimator and RTO
// bounds, its congestion-control algorithms (NewReno and CUBIC with
// HyStart, selected by net.ipv4.tcp_congestion_control or
// TCP_CONGESTION), and the rest of tcp_input.c / tcp_output.c /
// tcp_timer.c as it is added, one file per concern.
package tcp
