package core

import (
	"strings"
	"unicode/utf8"
)

// Delimiter separates path segments.
const Delimiter = "/"

// Path is a validated object location: "/"-delimited segments, none empty,
// "." or "..", none holding an ASCII control character; valid UTF-8. The root is "".
// Percent sequences are kept verbatim: "%48" is three characters, not "H".
type Path string

// ParsePath validates s as a Path. Like object_store's Path::parse, one
// leading and one trailing delimiter are dropped ("/a/b/" is "a/b").
func ParsePath(s string) (Path, error) {
	s = strings.TrimPrefix(s, Delimiter)
	if s == "" {
		return "", nil
	}
	s = strings.TrimSuffix(s, Delimiter)
	if !utf8.ValidString(s) {
		return "", &Error{Kind: InvalidPath, Path: strings.ToValidUTF8(s, "\uFFFD"), Msg: "path is not valid UTF-8"}
	}
	if err := checkSegments(s); err != nil {
		return "", err
	}
	return Path(s), nil
}

// MustPath is ParsePath for literals in tests and examples; it panics on error.
func MustPath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

func checkSegments(s string) error {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '/' {
			if c := s[i]; c < 0x20 || c == 0x7f {
				return &Error{Kind: InvalidPath, Path: s, Msg: "control character in path"}
			}
			continue
		}
		switch seg := s[start:i]; seg {
		case "":
			return &Error{Kind: InvalidPath, Path: s, Msg: "empty path segment"}
		case ".", "..":
			return &Error{Kind: InvalidPath, Path: s, Msg: "path segment " + seg + " is not allowed"}
		}
		start = i + 1
	}
	return nil
}

// String returns the path as stored.
func (p Path) String() string { return string(p) }

// IsRoot reports whether p is the empty root path.
func (p Path) IsRoot() bool { return p == "" }

// Parts splits p into its segments; the root has none.
func (p Path) Parts() []string {
	if p == "" {
		return nil
	}
	return strings.Split(string(p), Delimiter)
}

// Filename is the last segment.
func (p Path) Filename() string {
	if i := strings.LastIndex(string(p), Delimiter); i >= 0 {
		return string(p[i+1:])
	}
	return string(p)
}

// Join appends a validated child path.
func (p Path) Join(child Path) Path {
	switch {
	case p == "":
		return child
	case child == "":
		return p
	}
	return p + Delimiter + child
}

// StripPrefix returns p relative to prefix, matching whole segments only:
// "foo" is a prefix of "foo/x" but not of "foobar/x". The second result is
// false when prefix is not a prefix of p. A path equal to prefix yields "".
func (p Path) StripPrefix(prefix Path) (Path, bool) {
	if prefix == "" {
		return p, true
	}
	if p == prefix {
		return "", true
	}
	if strings.HasPrefix(string(p), string(prefix)) && p[len(prefix)] == '/' {
		return p[len(prefix)+1:], true
	}
	return "", false
}

// HasPrefix reports whether prefix is a whole-segment prefix of p (or equal).
func (p Path) HasPrefix(prefix Path) bool {
	_, ok := p.StripPrefix(prefix)
	return ok
}
