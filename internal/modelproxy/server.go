package modelproxy

import (
	"net/http"
	"time"
)

// DefaultMaxBody is the default limit of a request body: 64 MiB, room for
// a long conversation with images inlined as base64.
const DefaultMaxBody = 64 << 20

// Timeouts stop slow clients of a proxy. Responses have none: they stream
// for as long as the model writes.
type Timeouts struct {
	// ReadHeader is the time a client has to send the request's headers.
	ReadHeader time.Duration
	// Read is the time a client has to send a whole request, body
	// included; 0 for none.
	Read time.Duration
	// Idle is how long an idle keep-alive connection is kept.
	Idle time.Duration
}

// DefaultTimeouts are the flags' defaults.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 5 * time.Minute, Idle: 2 * time.Minute}

// Server is an HTTP server for handler with t.
func (t Timeouts) Server(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		IdleTimeout:       t.Idle,
	}
}
