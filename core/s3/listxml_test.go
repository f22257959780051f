package s3

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
)

const listHead = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`

// Documents both readers must read alike: S3's shape as MinIO, versitygw
// and AWS write it, with the markup S3 may use (entities, character
// references, CRLF, empty and self-closing elements, nested Owner,
// elements the store does not read).
var listDocs = []string{
	listHead + `<Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
	listHead + `
  <Name>b</Name><Prefix>dir/</Prefix><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
  <Contents><Key>dir/a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Key><LastModified>2026-12-03T21:12:14.152Z</LastModified>
    <ETag>&#34;9b2cf535f27731c974343645a3985328&#34;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>12345678901</Size>
    <Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID><DisplayName>minio</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>dir/&#x65E5;&#26412;&#xe8a9e;-` + "ünï\r\ncr" + `</Key><LastModified>2026-01-02T03:04:05Z</LastModified><ETag>"e-2"</ETag><Size>0</Size><StorageClass/></Contents>
  <Contents>
    <Key>dir/plus+eq=amp%20&amp;.bin</Key>
    <LastModified>1999-12-31T23:59:59.999999999Z</LastModified>
    <ETag />
    <Size>7</Size>
  </Contents>
  <CommonPrefixes><Prefix>dir/sub/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>dir/&#128512;/</Prefix></CommonPrefixes>
  <EncodingType>url</EncodingType>
</ListBucketResult>`,
}

// TestParseListPageAgreesWithTheSDK reads each document with the SDK's
// deserializer (an SDK client of a store whose endpoint serves it) and with
// parseListPage.
func TestParseListPageAgreesWithTheSDK(t *testing.T) {
	for i, doc := range listDocs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				_, _ = w.Write([]byte(doc))
			}))
			defer srv.Close()
			c := server{endpoint: srv.URL, accessKey: "k", secretKey: "s"}.config("b")
			api := openStore(t, c, nil).(*Store).c.api
			out, err := api.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
			if err != nil {
				t.Fatal(err)
			}
			var want listPage
			for _, o := range out.Contents {
				want.Objects = append(want.Objects, listedObject{Key: aws.ToString(o.Key), LastModified: aws.ToTime(o.LastModified),
					Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)})
			}
			for _, p := range out.CommonPrefixes {
				want.CommonPrefixes = append(want.CommonPrefixes, aws.ToString(p.Prefix))
			}
			want.IsTruncated, want.NextToken = aws.ToBool(out.IsTruncated), aws.ToString(out.NextContinuationToken)
			got := listPage{Objects: make([]listedObject, 5), CommonPrefixes: []string{"stale"}, NextToken: "stale"}
			if err := parseListPage([]byte(doc), &got); err != nil {
				t.Fatal(err)
			}
			if token, ok := peekNextToken([]byte(doc)); token != want.NextToken || ok != (want.NextToken != "") {
				t.Fatalf("peeked token %q (%v), the SDK read %q", token, ok, want.NextToken)
			}
			if len(want.Objects) == 0 {
				want.Objects = got.Objects[:0]
			}
			if len(want.CommonPrefixes) == 0 {
				want.CommonPrefixes = got.CommonPrefixes[:0]
			}
			for k := range got.Objects {
				if !got.Objects[k].LastModified.Equal(want.Objects[k].LastModified) {
					t.Fatalf("object %d: last modified %v, the SDK %v", k, got.Objects[k].LastModified, want.Objects[k].LastModified)
				}
				got.Objects[k].LastModified = want.Objects[k].LastModified
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("parsed\n%+v\nthe SDK read\n%+v", got, want)
			}
		})
	}
	if len(listDocs[1]) == 0 || !strings.Contains(listDocs[1], "&#34;") {
		t.Fatal("the documents lost their entities")
	}
}

// TestParseListPageRefuses: what the parser does not read is an error (the
// page then goes to the SDK), never a partial page.
func TestParseListPageRefuses(t *testing.T) {
	bad := map[string]string{
		"an error document":      `<?xml version="1.0"?><Error><Code>NoSuchBucket</Code></Error>`,
		"cut short":              listHead + `<Contents><Key>a</Key>`,
		"cut inside a tag":       listHead + `<Contents><Key`,
		"mismatched end":         listHead + `<Contents><Key>a</Size></Contents></ListBucketResult>`,
		"CDATA":                  listHead + `<Contents><Key><![CDATA[a]]></Key></Contents></ListBucketResult>`,
		"a comment":              listHead + `<!-- x --></ListBucketResult>`,
		"an unknown entity":      listHead + `<Contents><Key>a&nbsp;</Key></Contents></ListBucketResult>`,
		"a NUL reference":        listHead + `<Contents><Key>a&#0;</Key></Contents></ListBucketResult>`,
		"a surrogate reference":  listHead + `<Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>`,
		"invalid UTF-8":          listHead + "<Contents><Key>a\xff</Key></Contents></ListBucketResult>",
		"a bad size":             listHead + `<Contents><Size>-1</Size></Contents></ListBucketResult>`,
		"a bad time":             listHead + `<Contents><LastModified>2026-02-31T00:00:00Z</LastModified></Contents></ListBucketResult>`,
		"two roots":              listHead + `</ListBucketResult><ListBucketResult></ListBucketResult>`,
		"text after the root":    listHead + `</ListBucketResult>trailing`,
		"an empty tag":           listHead + `<></ListBucketResult>`,
		"nothing":                ``,
		"a declaration in place": listHead + `<?xml?></ListBucketResult>`,
	}
	for name, doc := range bad {
		var page listPage
		if err := parseListPage([]byte(doc), &page); err == nil {
			t.Errorf("%s: parsed as %+v", name, page)
		}
	}
}

// TestFastListOnServers: on each S3 test server, a listing of tricky keys
// over several pages goes through the fast path (every page handled) and
// equals the SDK's listing of the same bucket, with a prefix, start-after
// and a delimiter.
func TestFastListOnServers(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			bucket := srv.newBucket(t)
			st := openStore(t, srv.config(bucket), nil).(*Store)
			if st.c.fast == nil {
				t.Fatal("no fast path for a path-style custom endpoint")
			}
			ctx := context.Background()
			keys := []string{"a & b <c> \"d\" 'e'", "dir/日本語 ünï", "dir/plus+eq=amp%20&.bin", "dir/sub/leaf", "emoji/\U0001f600"}
			for i := 0; i < 1030; i++ {
				keys = append(keys, fmt.Sprintf("many/%05d", i))
			}
			for _, k := range keys {
				if _, err := st.Put(ctx, core.Path(k), []byte("x"), core.PutOptions{}); err != nil {
					t.Fatalf("put %q: %v", k, err)
				}
			}
			for _, q := range []listQuery{{}, {prefix: "dir/"}, {startAfter: "dir/sub/leaf"}, {delimiter: "/"}, {prefix: "dir/", delimiter: "/"}} {
				var fast, sdk listPage
				var buf bytes.Buffer
				sdkPages := s3.NewListObjectsV2Paginator(st.c.api, q.sdkInput(&bucket))
				for pageNo := 0; ; pageNo++ {
					handled, err := st.c.fast.list(ctx, q, &buf, &fast, nil)
					if err != nil || !handled {
						t.Fatalf("%+v page %d: handled %v, %v", q, pageNo, handled, err)
					}
					out, err := sdkPages.NextPage(ctx)
					if err != nil {
						t.Fatal(err)
					}
					sdk.Objects, sdk.CommonPrefixes = sdk.Objects[:0], sdk.CommonPrefixes[:0]
					for _, o := range out.Contents {
						sdk.Objects = append(sdk.Objects, listedObject{Key: aws.ToString(o.Key), LastModified: aws.ToTime(o.LastModified).UTC(),
							Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)})
					}
					for _, p := range out.CommonPrefixes {
						sdk.CommonPrefixes = append(sdk.CommonPrefixes, aws.ToString(p.Prefix))
					}
					if !reflect.DeepEqual(fast.Objects, sdk.Objects) || !reflect.DeepEqual(fast.CommonPrefixes, sdk.CommonPrefixes) ||
						fast.IsTruncated != aws.ToBool(out.IsTruncated) {
						t.Fatalf("%+v page %d differs:\nfast %+v\nsdk  %+v", q, pageNo, fast, sdk)
					}
					if !fast.IsTruncated {
						break
					}
					q.token = fast.NextToken
				}
			}
			// The store's listing: every key, in order, once.
			var got []string
			for meta, err := range st.List(ctx, "", core.ListOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(meta.Location))
				if time.Since(meta.LastModified) > time.Hour || meta.Size != 1 || meta.ETag == "" {
					t.Fatalf("%+v", meta)
				}
			}
			if len(got) != len(keys) {
				t.Fatalf("listed %d keys, put %d", len(got), len(keys))
			}
		})
	}
}
