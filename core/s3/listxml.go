package s3

import (
	"bytes"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// A ListObjectsV2 page parsed by hand. The SDK's deserializer walks the
// document through encoding/xml's token API, which allocates per token and
// was ~60% of the client CPU of a long listing; a page is a flat document
// of a few element kinds, read here in one pass over the body with one
// allocation per key. Anything unexpected (CDATA, comments, a root that is
// not ListBucketResult, malformed markup) is an error, and the caller asks
// the SDK for the page instead: this parser only shortens the common case.

// listPage is one page of a ListObjectsV2 listing, as the store uses it.
type listPage struct {
	Objects        []listedObject
	CommonPrefixes []string
	IsTruncated    bool
	NextToken      string
}

// listedObject is one <Contents> element.
type listedObject struct {
	Key          string
	LastModified time.Time
	Size         int64
	ETag         string
}

// errListXML says the body is not a document this parser reads.
var errListXML = errors.New("s3: not a ListObjectsV2 document this parser reads")

// Element names the parser acts on, by depth: the root; its children;
// their children.
var (
	tagRoot           = []byte("ListBucketResult")
	tagContents       = []byte("Contents")
	tagCommonPrefixes = []byte("CommonPrefixes")
	tagIsTruncated    = []byte("IsTruncated")
	tagNextToken      = []byte("NextContinuationToken")
	tagKey            = []byte("Key")
	tagLastModified   = []byte("LastModified")
	tagSize           = []byte("Size")
	tagETag           = []byte("ETag")
	tagPrefix         = []byte("Prefix")
)

// parseListPage reads a ListObjectsV2 response body into page, reusing its
// slices.
func parseListPage(body []byte, page *listPage) error {
	page.Objects = page.Objects[:0]
	page.CommonPrefixes = page.CommonPrefixes[:0]
	page.IsTruncated, page.NextToken = false, ""
	var (
		names [][]byte // open elements, outermost first
		obj   listedObject
		seen  bool // the root was opened
		i     int
	)
	for {
		lt := bytes.IndexByte(body[i:], '<')
		if lt < 0 {
			if len(names) != 0 || !seen || len(bytes.TrimSpace(body[i:])) != 0 {
				return errListXML
			}
			return nil
		}
		text := body[i : i+lt] // the text since the previous tag
		i += lt
		if i+1 >= len(body) {
			return errListXML
		}
		switch body[i+1] {
		case '?': // the XML declaration
			end := bytes.Index(body[i:], []byte("?>"))
			if end < 0 || len(names) != 0 {
				return errListXML
			}
			i += end + 2
			continue
		case '!': // comments, CDATA, DOCTYPE: never sent by S3
			return errListXML
		}
		gt := bytes.IndexByte(body[i:], '>')
		if gt < 0 {
			return errListXML
		}
		tag := body[i+1 : i+gt]
		i += gt + 1
		if len(tag) == 0 {
			return errListXML
		}
		if tag[0] == '/' { // an end tag
			name := bytes.TrimRight(tag[1:], " \t\r\n")
			if len(names) == 0 || !bytes.Equal(names[len(names)-1], name) {
				return errListXML
			}
			if err := listElementEnd(names, text, page, &obj); err != nil {
				return err
			}
			names = names[:len(names)-1]
			continue
		}
		empty := tag[len(tag)-1] == '/'
		if empty {
			tag = tag[:len(tag)-1]
		}
		name := tag
		if sp := bytes.IndexAny(tag, " \t\r\n"); sp >= 0 {
			name = tag[:sp] // attributes (the root's xmlns) are not read
		}
		if len(name) == 0 {
			return errListXML
		}
		if len(names) == 0 {
			if seen || !bytes.Equal(name, tagRoot) {
				return errListXML
			}
			seen = true
		}
		names = append(names, name)
		if empty {
			if err := listElementEnd(names, nil, page, &obj); err != nil {
				return err
			}
			names = names[:len(names)-1]
		}
	}
}

// listElementEnd takes the value of the element that ends (the last of
// names); text is its content when it is a leaf.
func listElementEnd(names [][]byte, text []byte, page *listPage, obj *listedObject) error {
	name := names[len(names)-1]
	switch len(names) {
	case 2:
		switch {
		case bytes.Equal(name, tagContents):
			page.Objects = append(page.Objects, *obj)
			*obj = listedObject{}
		case bytes.Equal(name, tagIsTruncated):
			page.IsTruncated = string(bytes.TrimSpace(text)) == "true"
		case bytes.Equal(name, tagNextToken):
			s, err := xmlText(text)
			if err != nil {
				return err
			}
			page.NextToken = s
		}
	case 3:
		parent := names[1]
		var err error
		switch {
		case bytes.Equal(parent, tagContents):
			switch {
			case bytes.Equal(name, tagKey):
				obj.Key, err = xmlText(text)
			case bytes.Equal(name, tagETag):
				obj.ETag, err = xmlText(text)
			case bytes.Equal(name, tagSize):
				obj.Size, err = parseDecimal(bytes.TrimSpace(text))
			case bytes.Equal(name, tagLastModified):
				obj.LastModified, err = parseListTime(bytes.TrimSpace(text))
			}
		case bytes.Equal(parent, tagCommonPrefixes) && bytes.Equal(name, tagPrefix):
			var p string
			p, err = xmlText(text)
			page.CommonPrefixes = append(page.CommonPrefixes, p)
		}
		return err
	}
	return nil
}

// xmlText is the character data of a leaf: the five predefined entities
// and character references decoded, line ends normalized (as XML readers
// do); markup characters where they may not be are an error.
func xmlText(b []byte) (string, error) {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 {
		if !utf8.Valid(b) {
			return "", errListXML
		}
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		case '&':
		default:
			out = append(out, c)
			continue
		}
		semi := bytes.IndexByte(b[i:], ';')
		if semi < 0 {
			return "", errListXML
		}
		ref := b[i+1 : i+semi]
		i += semi
		switch string(ref) {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return "", errListXML
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			if err != nil || n == 0 || n > utf8.MaxRune || !utf8.ValidRune(rune(n)) {
				return "", errListXML
			}
			out = utf8.AppendRune(out, rune(n))
		}
	}
	if !utf8.Valid(out) {
		return "", errListXML
	}
	return string(out), nil
}

// parseDecimal reads a non-negative decimal integer.
func parseDecimal(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 18 {
		return 0, errListXML
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errListXML
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// parseListTime reads S3's timestamps ("2006-01-02T15:04:05.000Z"); other
// RFC 3339 forms go through time.Parse.
func parseListTime(b []byte) (time.Time, error) {
	if len(b) >= 20 && b[len(b)-1] == 'Z' && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' {
		num := func(s []byte) (int, bool) {
			n := 0
			for _, c := range s {
				if c < '0' || c > '9' {
					return 0, false
				}
				n = n*10 + int(c-'0')
			}
			return n, true
		}
		year, ok1 := num(b[0:4])
		month, ok2 := num(b[5:7])
		day, ok3 := num(b[8:10])
		hour, ok4 := num(b[11:13])
		minute, ok5 := num(b[14:16])
		sec, ok6 := num(b[17:19])
		nsec, ok7 := 0, true
		if frac := b[19 : len(b)-1]; len(frac) > 0 {
			if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
				ok7 = false
			} else {
				nsec, ok7 = num(frac[1:])
				for k := len(frac) - 1; k < 9; k++ {
					nsec *= 10
				}
			}
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
			hour < 24 && minute < 60 && sec < 60 {
			if t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC); t.Day() == day {
				return t, nil
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, errListXML
	}
	return t, nil
}
