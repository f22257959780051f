package main

import (
	"fmt"
	"net/http"
	"strings"
)

// azureHandler answers Azure Blob reads of the server's objects:
// GET/HEAD /ACCOUNT/CONTAINER/BLOB (any account; a container is the S3
// bucket of the same name), ranges from x-ms-range or Range, with the
// service's headers (blob type, Content-MD5 on whole reads, which clients
// verify, as Azurite and Azure send it).
type azureHandler struct{ s *server }

func (a azureHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		azureFail(w, http.StatusNotImplemented, "NotImplemented")
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		azureFail(w, http.StatusBadRequest, "InvalidUri")
		return
	}
	o, missing := a.s.object(parts[1], parts[2])
	if o == nil {
		code := "BlobNotFound"
		if missing == "NoSuchBucket" {
			code = "ContainerNotFound"
		}
		azureFail(w, http.StatusNotFound, code)
		return
	}
	rangeSpec := r.Header.Get("x-ms-range")
	if rangeSpec == "" {
		rangeSpec = r.Header.Get("Range")
	}
	md5sum, _ := o.checksums()
	h := w.Header()
	h["Etag"] = []string{o.etag}
	h["Last-Modified"] = []string{o.lastModified}
	h["X-Ms-Creation-Time"] = []string{o.lastModified}
	h["X-Ms-Blob-Type"] = []string{"BlockBlob"}
	h["X-Ms-Lease-State"] = []string{"available"}
	h["X-Ms-Lease-Status"] = []string{"unlocked"}
	h["X-Ms-Server-Encrypted"] = []string{"true"}
	h["X-Ms-Version"] = []string{"2025-11-05"}
	h["X-Ms-Blob-Content-Md5"] = []string{md5sum}
	if rangeSpec == "" {
		h["Content-Md5"] = []string{md5sum}
	}
	serveContent(w, r, o, rangeSpec, func() { azureFail(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange") })
}

func azureFail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Ms-Error-Code", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}
