package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// gcsHandler answers Google Cloud Storage reads of the server's objects
// (a GCS bucket is the S3 bucket of the same name):
//
//	GET/HEAD /storage/v1/b/BUCKET/o/OBJECT?alt=media   the JSON API's media read
//	GET      /download/storage/v1/b/BUCKET/o/OBJECT    the same
//	GET      /storage/v1/b/BUCKET/o/OBJECT[?alt=json]  the JSON API's metadata
//	GET/HEAD /BUCKET/OBJECT                            the XML API's read
//
// with GCS's headers (generation, stored length and encoding, CRC32C and
// MD5) so that clients check what they would check against GCS.
type gcsHandler struct{ s *server }

func (g gcsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		gcsFail(w, http.StatusNotImplemented, "only reads are served here: write through the S3 listener")
		return
	}
	path := r.URL.EscapedPath()
	media := r.URL.Query().Get("alt") == "media"
	rest, jsonAPI := strings.CutPrefix(path, "/storage/v1/b/")
	if !jsonAPI {
		if rest, jsonAPI = strings.CutPrefix(path, "/download/storage/v1/b/"); jsonAPI {
			media = true
		}
	}
	var bucket, name string
	var ok bool
	if jsonAPI {
		var object string
		bucket, object, ok = strings.Cut(rest, "/o/")
		if ok {
			name, ok = unescape(object)
		}
	} else {
		bucket, name, ok = strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if ok {
			name, ok = unescape(name)
		}
		media = true
	}
	if bucket, ok2 := unescape(bucket); ok && ok2 {
		g.read(w, r, bucket, name, media)
		return
	}
	gcsFail(w, http.StatusBadRequest, "not a GCS object read")
}

func (g gcsHandler) read(w http.ResponseWriter, r *http.Request, bucket, name string, media bool) {
	o, _ := g.s.object(bucket, name)
	if o != nil {
		if gen := r.URL.Query().Get("generation"); gen != "" && gen != strconv.FormatInt(o.generation, 10) {
			o = nil
		}
	}
	if o == nil {
		gcsFail(w, http.StatusNotFound, "No such object: "+bucket+"/"+name)
		return
	}
	md5sum, crc := o.checksums()
	if !media {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		size := strconv.Itoa(len(o.data))
		json.NewEncoder(w).Encode(map[string]string{ //nolint:errcheck // the client went away
			"kind": "storage#object", "id": bucket + "/" + name + "/" + strconv.FormatInt(o.generation, 10),
			"name": name, "bucket": bucket, "generation": strconv.FormatInt(o.generation, 10), "metageneration": "1",
			"contentType": "application/octet-stream", "size": size, "md5Hash": md5sum, "crc32c": crc,
			"etag": md5sum, "storageClass": "STANDARD", "timeCreated": o.lastISO, "updated": o.lastISO,
		})
		return
	}
	h := w.Header()
	h["Etag"] = []string{`"` + md5sum + `"`}
	h["Last-Modified"] = []string{o.lastModified}
	h["X-Goog-Generation"] = []string{strconv.FormatInt(o.generation, 10)}
	h["X-Goog-Metageneration"] = []string{"1"}
	h["X-Goog-Hash"] = []string{"crc32c=" + crc + ",md5=" + md5sum}
	h["X-Goog-Stored-Content-Encoding"] = []string{"identity"}
	h["X-Goog-Stored-Content-Length"] = []string{strconv.Itoa(len(o.data))}
	serveContent(w, r, o, r.Header.Get("Range"), func() {
		gcsFail(w, http.StatusRequestedRangeNotSatisfiable, "The requested range cannot be satisfied.")
	})
}

func unescape(s string) (string, bool) {
	u, err := url.PathUnescape(s)
	return u, err == nil && u != ""
}

func gcsFail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg}}) //nolint:errcheck
}
