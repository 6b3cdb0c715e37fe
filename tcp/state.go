package tcp

// State is a TCP connection state, numbered as Linux's TCP_* states (so
// TCP_INFO's tcpi_state and ss print the same numbers).
type State uint8

// Connection states (RFC 9293 section 3.3.2), with Linux's numbers.
const (
	Established State = 1
	SynSent     State = 2
	SynRecv     State = 3
	FinWait1    State = 4
	FinWait2    State = 5
	TimeWait    State = 6
	Close       State = 7
	CloseWait   State = 8
	LastAck     State = 9
	Listen      State = 10
	Closing     State = 11
	NewSynRecv  State = 12
)

var stateNames = [...]string{
	Established: "ESTABLISHED",
	SynSent:     "SYN-SENT",
	SynRecv:     "SYN-RECV",
	FinWait1:    "FIN-WAIT-1",
	FinWait2:    "FIN-WAIT-2",
	TimeWait:    "TIME-WAIT",
	Close:       "CLOSE",
	CloseWait:   "CLOSE-WAIT",
	LastAck:     "LAST-ACK",
	Listen:      "LISTEN",
	Closing:     "CLOSING",
	NewSynRecv:  "NEW-SYN-RECV",
}

// String names the state as RFC 9293 does.
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// SSName names the state as `ss` prints it (ESTAB, SYN-SENT, …).
func (s State) SSName() string {
	switch s {
	case Established:
		return "ESTAB"
	case Close:
		return "UNCONN"
	case Listen:
		return "LISTEN"
	}
	return s.String()
}
