package driver

import (
	"strings"

	"github.com/libobjstore/objstore/core"
)

// HTTPAttributes are the well-known attributes of an object; an empty
// field is unset.
type HTTPAttributes struct {
	ContentType, ContentDisposition, ContentEncoding, ContentLanguage, CacheControl string
}

// SplitAttributes separates the well-known attributes (keys matched
// case-insensitively) from user metadata, for backends that send them as
// different headers or fields.
func SplitAttributes(a core.Attributes) (HTTPAttributes, map[string]string) {
	var h HTTPAttributes
	var metadata map[string]string
	for k, v := range a {
		switch {
		case strings.EqualFold(k, core.AttrContentType):
			h.ContentType = v
		case strings.EqualFold(k, core.AttrContentDisposition):
			h.ContentDisposition = v
		case strings.EqualFold(k, core.AttrContentEncoding):
			h.ContentEncoding = v
		case strings.EqualFold(k, core.AttrContentLanguage):
			h.ContentLanguage = v
		case strings.EqualFold(k, core.AttrCacheControl):
			h.CacheControl = v
		default:
			if metadata == nil {
				metadata = map[string]string{}
			}
			metadata[k] = v
		}
	}
	return h, metadata
}

// JoinAttributes is the inverse of SplitAttributes: the set well-known attributes
// and every metadata entry, as one core.Attributes.
func JoinAttributes(h HTTPAttributes, metadata map[string]string) core.Attributes {
	a := make(core.Attributes, 5+len(metadata))
	for k, v := range map[string]string{
		core.AttrContentType: h.ContentType, core.AttrContentDisposition: h.ContentDisposition,
		core.AttrContentEncoding: h.ContentEncoding, core.AttrContentLanguage: h.ContentLanguage, core.AttrCacheControl: h.CacheControl,
	} {
		if v != "" {
			a[k] = v
		}
	}
	for k, v := range metadata {
		a[k] = v
	}
	return a
}
