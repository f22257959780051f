package driver

import (
	"net/http"

	"github.com/libobjstore/objstore/core/observe"
)

// observedTransport reports every HTTP attempt of every backend to the
// operation it belongs to (core/observe): retries, throttling answers and
// failures are seen here once, whatever SDK or retry loop sent them.
type observedTransport struct {
	base http.RoundTripper
}

func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	observe.AttemptStarting(req)
	resp, err := t.base.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	observe.AttemptAnswered(req, status, err)
	return resp, err
}
