package gonet

// Exported for the external tests' error-shape checks.
var ErrMissingAddress = errMissingAddress

type (
	TimeoutError  = timeoutError
	CanceledError = canceledError
)
