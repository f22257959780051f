package driver

import (
	"net/url"
	"strings"
)

// RedactURL renders u for an error message without what may be a secret:
// the user info (a password, an access key), the query (SAS tokens,
// signatures) and the fragment are replaced by "xxxxx".
func RedactURL(u *url.URL) string {
	r := *u
	if r.User != nil {
		r.User = url.User("xxxxx")
	}
	if r.RawQuery != "" || r.ForceQuery {
		r.RawQuery, r.ForceQuery = "xxxxx", false
	}
	if r.Fragment != "" || r.RawFragment != "" {
		r.Fragment, r.RawFragment = "xxxxx", ""
	}
	if strings.ContainsAny(r.Opaque, "@?#") {
		r.Opaque = "xxxxx"
	}
	return r.String()
}

// RangeRefused is the message of a range a service refused (HTTP 416):
// object_store's phrase "Invalid range" first, then what the service said,
// so that a refused range reads the same from every backend.
func RangeRefused(serviceMessage string) string {
	return "Invalid range: " + serviceMessage
}
