// Package s3 is the Amazon S3 (and S3-compatible) backend, on aws-sdk-go-v2.
package s3

import (
	"context"
	"net/url"
	"strings"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const (
	kind      = "s3"
	storeName = "s3"
)

// Backend opens S3 stores. Config keys, aliases and environment variables
// follow object_store's AmazonS3ConfigKey (canonical names drop the "aws_"
// prefix, as obstore's S3Config does).
var Backend = driver.Backend{
	Kind:      kind,
	Schemes:   []string{"s3", "s3a"},
	MatchURL:  matchURL,
	ParseURL:  parseURL,
	Normalize: normalize,
	Open:      open,
	OpenWith:  openWithOptions,
	Shared:    true,
	// The config keys' AWS_* variables, the bucket's, and AWS_<CLIENT_OPTION>.
	Environment: environment(),
}

func key(name string, env ...string) driver.ConfigKey {
	return driver.ConfigKey{Name: name, Aliases: []string{"aws_" + name}, Env: env}
}

// configKeys are the S3 settings of the "config" map.
var configKeys = driver.KeyTable{
	key("access_key_id", "AWS_ACCESS_KEY_ID"),
	key("secret_access_key", "AWS_SECRET_ACCESS_KEY"),
	{Name: "session_token", Aliases: []string{"aws_session_token", "token", "aws_token"}, Env: []string{"AWS_SESSION_TOKEN", "AWS_TOKEN"}},
	key("region", "AWS_REGION"),
	key("default_region", "AWS_DEFAULT_REGION"),
	{Name: "endpoint", Aliases: []string{"aws_endpoint", "endpoint_url", "aws_endpoint_url"},
		Env: []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT"}},
	// The S3-specific endpoint (AWS's service-specific variable): its own key,
	// which wins over endpoint when both are set.
	{Name: "endpoint_url_s3", Aliases: []string{"aws_endpoint_url_s3"}, Env: []string{"AWS_ENDPOINT_URL_S3"}},
	key("virtual_hosted_style_request", "AWS_VIRTUAL_HOSTED_STYLE_REQUEST"),
	key("skip_signature", "AWS_SKIP_SIGNATURE"),
	key("unsigned_payload", "AWS_UNSIGNED_PAYLOAD"),
	key("checksum_algorithm", "AWS_CHECKSUM_ALGORITHM"),
	key("conditional_put", "AWS_CONDITIONAL_PUT"),
	key("copy_if_not_exists", "AWS_COPY_IF_NOT_EXISTS"),
	key("disable_tagging", "AWS_DISABLE_TAGGING"),
	key("disable_bulk_delete", "AWS_DISABLE_BULK_DELETE"),
	key("request_payer", "AWS_REQUEST_PAYER"),
	key("s3_express", "AWS_S3_EXPRESS"),
	key("imdsv1_fallback", "AWS_IMDSV1_FALLBACK"),
	key("metadata_endpoint", "AWS_METADATA_ENDPOINT"),
	key("container_credentials_relative_uri", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
	key("container_credentials_full_uri", "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
	key("container_authorization_token_file", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
	key("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE"),
	key("role_arn", "AWS_ROLE_ARN"),
	key("role_session_name", "AWS_ROLE_SESSION_NAME"),
	{Name: "sts_endpoint", Aliases: []string{"aws_sts_endpoint", "endpoint_url_sts", "aws_endpoint_url_sts"}, Env: []string{"AWS_ENDPOINT_URL_STS", "AWS_STS_ENDPOINT"}},
	key("server_side_encryption", "AWS_SERVER_SIDE_ENCRYPTION"),
	key("sse_kms_key_id", "AWS_SSE_KMS_KEY_ID"),
	key("sse_bucket_key_enabled", "AWS_SSE_BUCKET_KEY_ENABLED"),
	key("sse_customer_key_base64", "AWS_SSE_CUSTOMER_KEY_BASE64"),
}

// bucketAliases name the bucket inside the config map (obstore's S3Config has
// a "bucket" key); Normalize moves it to the document's Bucket field.
var bucketAliases = []string{"bucket", "bucket_name", "aws_bucket", "aws_bucket_name"}

// bucketEnv are read when the document names no bucket.
var bucketEnv = []string{"AWS_BUCKET", "AWS_BUCKET_NAME"}

// boolKeys are validated as booleans by Normalize.
var boolKeys = []string{"virtual_hosted_style_request", "skip_signature", "unsigned_payload", "disable_tagging",
	"disable_bulk_delete", "s3_express", "imdsv1_fallback", "sse_bucket_key_enabled"}

func normalize(c core.Config) (core.Config, error) {
	if c.Kind != kind {
		return c, core.Errorf(core.InvalidArgument, "config document is for %q, not %q", c.Kind, kind)
	}
	var err error
	if c, err = liftMisplacedKeys(c); err != nil {
		return c, err
	}
	if c, err = driver.NormalizeDocument(c, kind, configKeys); err != nil {
		return c, wrapConfig(err)
	}
	if c.URL != "" {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "S3Store takes no url: use bucket, prefix and the endpoint config key"}
	}
	p, err := core.ParsePath(c.Prefix)
	if err != nil {
		return c, err
	}
	c.Prefix = string(p)
	// Parse every value now, so a bad document fails when it is built, not
	// at first I/O. Settings read from the environment are checked at Open.
	if _, err := parseSettings(c.Config); err != nil {
		return c, err
	}
	if _, err := driver.ParseClientOptions(c.ClientOptions); err != nil {
		return c, wrapConfig(err)
	}
	return c, nil
}

func wrapConfig(err error) error { return core.Wrap(core.InvalidArgument, storeName, "", err) }

// liftMisplacedKeys accepts, as object_store does, the bucket and the HTTP
// client keys (also "aws_"-prefixed, e.g. aws_allow_http) inside the config
// map, and moves them to their own places in the document.
func liftMisplacedKeys(c core.Config) (core.Config, error) {
	if len(c.Config) == 0 {
		return c, nil
	}
	var cfg, client core.Options
	for k, v := range c.Config {
		lower := strings.ToLower(k)
		switch {
		case containsFold(bucketAliases, lower):
			if c.Bucket != "" && c.Bucket != v {
				return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "Duplicate key bucket: given twice, as " + c.Bucket + " and " + v}
			}
			c.Bucket = v
			continue
		case !isS3Key(lower) && isClientKey(strings.TrimPrefix(lower, "aws_")):
			name := strings.TrimPrefix(lower, "aws_")
			if client == nil {
				client = core.Options{}
			}
			if _, dup := client[name]; dup {
				return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "Duplicate key " + name + ": the client option is given twice in config"}
			}
			client[name] = v
			continue
		}
		if cfg == nil {
			cfg = core.Options{}
		}
		cfg[k] = v
	}
	if len(client) > 0 {
		normalized, err := driver.ClientOptionKeys.Normalize("client_options", c.ClientOptions)
		if err != nil {
			return c, err
		}
		merged := core.Options{}
		for k, v := range normalized {
			merged[k] = v
		}
		for k, v := range client {
			if _, dup := merged[k]; dup {
				return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "client option " + k + " is given both in config and in client_options"}
			}
			merged[k] = v
		}
		c.ClientOptions = merged
	}
	c.Config = cfg
	return c, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func isS3Key(k string) bool {
	_, err := configKeys.Normalize("config", core.Options{k: ""})
	return err == nil
}

func isClientKey(k string) bool {
	_, err := driver.ClientOptionKeys.Normalize("client_options", core.Options{k: ""})
	return err == nil
}

// clientOptionEnv is the variable a client option is also read from
// (AWS_ALLOW_HTTP for allow_http), as object_store's from_env does.
func clientOptionEnv(name string) string { return "AWS_" + strings.ToUpper(name) }

// clientOptionsFromEnv reads the AWS_<CLIENT_KEY> variables.
func clientOptionsFromEnv(env map[string]string) core.Options {
	out := core.Options{}
	for _, name := range driver.ClientOptionKeys.Names() {
		if v, ok := env[clientOptionEnv(name)]; ok && v != "" {
			out[name] = v
		}
	}
	return out
}

// environment lists every variable open reads (Backend.Environment).
func environment() []string {
	names := configKeys.EnvNames(bucketEnv...)
	for _, name := range driver.ClientOptionKeys.Names() {
		names = append(names, clientOptionEnv(name))
	}
	return names
}

// matchURL claims the https URL forms of AWS S3 and Cloudflare R2.
func matchURL(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "https") {
		return false
	}
	_, err := parseHTTPSURL(u)
	return err == nil
}

// parseURL turns every supported URL form into a document that holds the
// bucket, region, endpoint and prefix explicitly.
func parseURL(u *url.URL) (core.Config, error) {
	c := core.Config{Kind: kind}
	var prefix string
	switch strings.ToLower(u.Scheme) {
	case "s3", "s3a":
		if u.Host == "" {
			return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "S3 URL has no bucket: use s3://BUCKET/PREFIX"}
		}
		c.Bucket = u.Host
		prefix = u.Path
	case "https":
		parsed, err := parseHTTPSURL(u)
		if err != nil {
			return c, err
		}
		c, prefix = parsed.config, parsed.prefix
	default:
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "not an S3 URL scheme: " + u.Scheme}
	}
	if u.User != nil {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "S3 URLs carry no credentials: use access_key_id and secret_access_key"}
	}
	p, err := core.ParsePath(prefix)
	if err != nil {
		return c, err
	}
	c.Prefix = string(p)
	return c, nil
}

type parsedHTTPSURL struct {
	config core.Config
	prefix string
}

// parseHTTPSURL recognises:
//
//	https://BUCKET.s3.REGION.amazonaws.com/PREFIX   (also s3-REGION)
//	https://BUCKET.s3.amazonaws.com/PREFIX
//	https://s3.REGION.amazonaws.com/BUCKET/PREFIX   (also s3-REGION)
//	https://s3.amazonaws.com/BUCKET/PREFIX
//	https://ACCOUNT.r2.cloudflarestorage.com/BUCKET/PREFIX
func parseHTTPSURL(u *url.URL) (parsedHTTPSURL, error) {
	host := strings.ToLower(u.Hostname())
	c := core.Config{Kind: kind}
	notRecognised := &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "not a recognised S3 URL: " + driver.RedactURL(u)}
	// The first path segment is the bucket in path-style URLs.
	bucketFromPath := func() (string, string, error) {
		rest := strings.TrimPrefix(u.Path, "/")
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return "", "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "S3 URL names no bucket: " + driver.RedactURL(u)}
		}
		return bucket, prefix, nil
	}
	if account, ok := strings.CutSuffix(host, ".r2.cloudflarestorage.com"); ok && account != "" && !strings.Contains(account, ".") {
		bucket, prefix, err := bucketFromPath()
		if err != nil {
			return parsedHTTPSURL{}, err
		}
		c.Bucket = bucket
		c.Config = core.Options{"region": "auto", "endpoint": "https://" + account + ".r2.cloudflarestorage.com"}
		return parsedHTTPSURL{c, prefix}, nil
	}
	rest, ok := strings.CutSuffix(host, ".amazonaws.com")
	if !ok {
		return parsedHTTPSURL{}, notRecognised
	}
	labels := strings.Split(rest, ".")
	// region reports the region a host label names: "s3" none, "s3.REGION"
	// or "s3-REGION" that region.
	regionOf := func(labels []string) (string, bool) {
		switch {
		case len(labels) == 1 && labels[0] == "s3":
			return "", true
		case len(labels) == 1 && strings.HasPrefix(labels[0], "s3-"):
			return strings.TrimPrefix(labels[0], "s3-"), true
		case len(labels) == 2 && labels[0] == "s3" && labels[1] != "":
			return labels[1], true
		}
		return "", false
	}
	if region, ok := regionOf(labels); ok { // path style
		bucket, prefix, err := bucketFromPath()
		if err != nil {
			return parsedHTTPSURL{}, err
		}
		c.Bucket = bucket
		if region != "" {
			c.Config = core.Options{"region": region}
		}
		return parsedHTTPSURL{c, prefix}, nil
	}
	// Virtual-hosted style: the bucket is everything before the "s3" label
	// (bucket names may contain dots).
	for i := 1; i < len(labels); i++ {
		if region, ok := regionOf(labels[i:]); ok {
			c.Bucket = strings.Join(labels[:i], ".")
			c.Config = core.Options{"virtual_hosted_style_request": "true"}
			if region != "" {
				c.Config["region"] = region
			}
			return parsedHTTPSURL{c, u.Path}, nil
		}
	}
	return parsedHTTPSURL{}, notRecognised
}

// open resolves the document and the environment into a client.
func open(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
	return newStore(c, env, driver.OpenOptions{})
}

// openWithOptions is open with a credential provider, which replaces every
// credential of the document and the environment.
func openWithOptions(ctx context.Context, c core.Config, env map[string]string, o driver.OpenOptions) (core.Store, error) {
	return newStore(c, env, o)
}

// copyMode is how Copy with IfNotExists is done (copy_if_not_exists).
type copyMode int

const (
	// copyAuto is the default: copyNative on AWS, copyMultipart on custom
	// endpoints. MinIO and versitygw ignore If-None-Match on CopyObject
	// and overwrite the destination, so native mode is only trusted where
	// the service documents it.
	copyAuto copyMode = iota
	// copyNative sends If-None-Match: * with CopyObject (AWS S3).
	copyNative
	// copyMultipart copies through a multipart upload completed with
	// If-None-Match: * (object_store's "multipart"), which MinIO and
	// versitygw honour.
	copyMultipart
	// copyHeader sends a custom header and expects a status on conflict
	// (object_store's "header:" and "header-with-status:", e.g. for R2).
	copyHeader
)

// settings are the parsed S3 config keys.
type settings struct {
	accessKeyID, secretAccessKey, sessionToken string
	region, endpoint                           string

	virtualHosted, skipSignature, unsignedPayload bool
	disableTagging, disableBulkDelete, s3Express  bool
	conditionalPutDisabled, requestPayer          bool
	checksumAlgorithm                             string // the SDK's name, e.g. "CRC32C"; "" for none
	signPayload                                   bool   // unsigned_payload explicitly false: hash bodies for SigV4

	copyMode                        copyMode
	copyHeaderName, copyHeaderValue string
	copyConflictStatus              int

	imdsv1Fallback                                    bool
	metadataEndpoint                                  string
	containerRelativeURI, containerFullURI            string
	containerTokenFile                                string
	webIdentityTokenFile, roleARN, roleSessionName    string
	stsEndpoint                                       string
	serverSideEncryption, sseKMSKeyID, sseCustomerKey string
	sseBucketKeyEnabled                               *bool
}

// defaultRegion is object_store's default.
const defaultRegion = "us-east-1"

// parseSettings reads normalized config keys; it never looks at the
// environment (the caller merges it in first).
func parseSettings(o core.Options) (settings, error) {
	var s settings
	bad := func(k, why string) error {
		return &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "config key " + k + ": " + why}
	}
	bools := map[string]*bool{
		"virtual_hosted_style_request": &s.virtualHosted, "skip_signature": &s.skipSignature,
		"unsigned_payload": &s.unsignedPayload, "disable_tagging": &s.disableTagging,
		"disable_bulk_delete": &s.disableBulkDelete, "s3_express": &s.s3Express, "imdsv1_fallback": &s.imdsv1Fallback,
	}
	for k, p := range bools {
		if v, ok := o[k]; ok {
			b, err := driver.ParseBool(k, v)
			if err != nil {
				return s, wrapConfig(err)
			}
			*p = b
		}
	}
	s.accessKeyID, s.secretAccessKey, s.sessionToken = o["access_key_id"], o["secret_access_key"], o["session_token"]
	s.region = o["region"]
	if s.region == "" {
		s.region = o["default_region"]
	}
	if s.region == "" {
		s.region = defaultRegion
	}
	endpointKey := "endpoint"
	if o["endpoint_url_s3"] != "" {
		endpointKey = "endpoint_url_s3"
	}
	s.endpoint = strings.TrimSuffix(o[endpointKey], "/")
	if s.endpoint != "" {
		u, err := url.Parse(s.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, bad(endpointKey, "not an http(s) URL")
		}
	}
	s.metadataEndpoint = o["metadata_endpoint"]
	s.containerRelativeURI = o["container_credentials_relative_uri"]
	s.containerFullURI = o["container_credentials_full_uri"]
	s.containerTokenFile = o["container_authorization_token_file"]
	s.webIdentityTokenFile = o["web_identity_token_file"]
	s.roleARN = o["role_arn"]
	s.roleSessionName = o["role_session_name"]
	s.stsEndpoint = o["sts_endpoint"]

	if v, ok := o["unsigned_payload"]; ok && !s.unsignedPayload {
		s.signPayload = v != "" // an explicit false
	}
	// Writes carry a CRC32C unless told otherwise (see checksum.go).
	s.checksumAlgorithm = "CRC32C"
	if v, ok := o["checksum_algorithm"]; ok {
		switch strings.ToLower(v) {
		case "none":
			s.checksumAlgorithm = "" // for servers that refuse x-amz-checksum-* headers
		case "sha256":
			s.checksumAlgorithm = "SHA256"
		case "crc64nvme":
			s.checksumAlgorithm = "CRC64NVME"
		case "crc32":
			s.checksumAlgorithm = "CRC32"
		case "crc32c":
			s.checksumAlgorithm = "CRC32C"
		case "sha1":
			s.checksumAlgorithm = "SHA1"
		default:
			return s, bad("checksum_algorithm", "must be CRC32C (the default), CRC64NVME, CRC32, SHA256, SHA1 or none")
		}
	}
	if v, ok := o["conditional_put"]; ok {
		switch strings.ToLower(v) {
		case "etag", "":
		case "disabled":
			s.conditionalPutDisabled = true
		default:
			return s, &core.Error{Kind: core.NotSupported, Store: storeName, Msg: "config key conditional_put: only \"etag\" (If-Match/If-None-Match headers) and \"disabled\" are supported"}
		}
	}
	if v, ok := o["copy_if_not_exists"]; ok {
		switch {
		case v == "":
		case strings.EqualFold(v, "native"):
			s.copyMode = copyNative
		case strings.EqualFold(v, "multipart"):
			s.copyMode = copyMultipart
		case strings.HasPrefix(v, "header:"):
			name, value, ok := strings.Cut(strings.TrimPrefix(v, "header:"), ":")
			if !ok || strings.TrimSpace(name) == "" {
				return s, bad("copy_if_not_exists", "expected header:NAME:VALUE")
			}
			s.copyMode, s.copyHeaderName, s.copyHeaderValue, s.copyConflictStatus = copyHeader, strings.TrimSpace(name), strings.TrimSpace(value), 412
		case strings.HasPrefix(v, "header-with-status:"):
			parts := strings.Split(strings.TrimPrefix(v, "header-with-status:"), ":")
			if len(parts) != 3 || strings.TrimSpace(parts[0]) == "" {
				return s, bad("copy_if_not_exists", "expected header-with-status:NAME:VALUE:STATUS")
			}
			status := 0
			for _, ch := range strings.TrimSpace(parts[2]) {
				if ch < '0' || ch > '9' {
					return s, bad("copy_if_not_exists", "status is not a number")
				}
				status = status*10 + int(ch-'0')
			}
			if status < 100 || status > 599 {
				return s, bad("copy_if_not_exists", "status is not an HTTP status")
			}
			s.copyMode, s.copyHeaderName, s.copyHeaderValue, s.copyConflictStatus = copyHeader, strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), status
		default:
			return s, &core.Error{Kind: core.NotSupported, Store: storeName, Msg: "config key copy_if_not_exists: supported values are native (the default on AWS), multipart (the default with a custom endpoint), header:NAME:VALUE and header-with-status:NAME:VALUE:STATUS"}
		}
	}
	if v, ok := o["request_payer"]; ok {
		if strings.EqualFold(v, "requester") {
			s.requestPayer = true
		} else {
			b, err := driver.ParseBool("request_payer", v)
			if err != nil {
				return s, bad("request_payer", "must be true, false or requester")
			}
			s.requestPayer = b
		}
	}
	if v, ok := o["sse_bucket_key_enabled"]; ok {
		b, err := driver.ParseBool("sse_bucket_key_enabled", v)
		if err != nil {
			return s, wrapConfig(err)
		}
		s.sseBucketKeyEnabled = &b
	}
	s.sseKMSKeyID, s.sseCustomerKey = o["sse_kms_key_id"], o["sse_customer_key_base64"]
	if v, ok := o["server_side_encryption"]; ok {
		switch strings.ToLower(v) {
		case "aes256":
			s.serverSideEncryption = "AES256"
		case "aws:kms":
			s.serverSideEncryption = "aws:kms"
		case "aws:kms:dsse":
			s.serverSideEncryption = "aws:kms:dsse"
		case "sse-c":
			s.serverSideEncryption = "sse-c"
		default:
			return s, bad("server_side_encryption", "must be AES256, aws:kms, aws:kms:dsse or sse-c")
		}
	}
	if s.sseKMSKeyID != "" && !strings.HasPrefix(s.serverSideEncryption, "aws:kms") {
		return s, bad("sse_kms_key_id", "needs server_side_encryption aws:kms or aws:kms:dsse")
	}
	if (s.sseCustomerKey != "") != (s.serverSideEncryption == "sse-c") {
		return s, bad("sse_customer_key_base64", "is required with, and only with, server_side_encryption sse-c")
	}
	if s.sseCustomerKey != "" {
		if err := checkCustomerKey(s.sseCustomerKey); err != nil {
			return s, bad("sse_customer_key_base64", err.Error())
		}
	}
	return s, nil
}

// credentialKeys are resolved as a set: an explicitly given access key
// never combines with a secret or token from the environment.
var credentialKeys = []string{"access_key_id", "secret_access_key", "session_token"}

// endpointKeys name the endpoint; endpoint_url_s3 wins when both are set.
var endpointKeys = []string{"endpoint", "endpoint_url_s3"}

func dropKeys(o core.Options, keys []string) {
	for _, k := range keys {
		delete(o, k)
	}
}

// resolved is everything Open needs: the document plus what the
// environment adds (explicit > URL > environment; the URL is already part of
// the document).
type resolved struct {
	bucket   string
	settings settings
	client   driver.ClientOptions
	retry    driver.Policy
	// provider, when set, supplies the credentials (OpenOptions).
	provider core.CredentialProvider
}

func resolve(c core.Config, env map[string]string) (resolved, error) {
	var r resolved
	fromEnv := configKeys.FromEnv(env, c.Config)
	// What was given explicitly keeps the environment's values that would
	// not belong with it out: other credentials, another endpoint.
	if _, explicit := c.Config["access_key_id"]; explicit {
		dropKeys(fromEnv, credentialKeys)
	}
	for _, k := range endpointKeys {
		if _, explicit := c.Config[k]; explicit {
			dropKeys(fromEnv, endpointKeys)
		}
	}
	var err error
	if r.settings, err = parseSettings(driver.Merge(fromEnv, c.Config)); err != nil {
		return r, err
	}
	clientOpts, err := driver.ClientOptionKeys.Normalize("client_options", driver.Merge(clientOptionsFromEnv(env), c.ClientOptions))
	if err != nil {
		return r, wrapConfig(err)
	}
	if r.client, err = driver.ParseClientOptions(clientOpts); err != nil {
		return r, wrapConfig(err)
	}
	if r.settings.endpoint != "" {
		if err := r.client.CheckScheme(r.settings.endpoint); err != nil {
			return r, core.Wrap(core.InvalidArgument, storeName, "", err)
		}
	}
	r.bucket = c.Bucket
	for _, e := range bucketEnv {
		if r.bucket == "" {
			r.bucket = env[e]
		}
	}
	if r.bucket == "" {
		return r, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "no bucket: give bucket, an s3://BUCKET URL, or AWS_BUCKET"}
	}
	r.retry = driver.PolicyOf(c.RetryConfig)
	return r, nil
}
