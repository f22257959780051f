package s3

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// ecsCredentialsHost is where ECS serves container credentials for a
// relative URI.
const ecsCredentialsHost = "http://169.254.170.2"

// credentialsProvider picks the credential source the settings name, in
// object_store's order: none (skip_signature), static keys, web identity,
// container credentials, then instance metadata. Instance metadata is only
// probed when asked for (metadata_endpoint or imdsv1_fallback), never by
// default, and no shared config or credentials file is read.
func credentialsProvider(s settings, httpClient *http.Client, retryer func() aws.Retryer) (aws.CredentialsProvider, error) {
	switch {
	case s.skipSignature:
		return aws.AnonymousCredentials{}, nil
	case s.accessKeyID != "" || s.secretAccessKey != "":
		if s.accessKeyID == "" || s.secretAccessKey == "" {
			return nil, &core.Error{Kind: core.Unauthenticated, Store: storeName, Msg: "access_key_id and secret_access_key must be given together"}
		}
		return credentials.NewStaticCredentialsProvider(s.accessKeyID, s.secretAccessKey, s.sessionToken), nil
	case s.webIdentityTokenFile != "" && s.roleARN != "":
		opts := sts.Options{
			Region:      s.region,
			HTTPClient:  httpClient,
			Credentials: aws.AnonymousCredentials{},
			Logger:      logging.Nop{},
			Retryer:     retryer(),
		}
		if s.stsEndpoint != "" {
			opts.BaseEndpoint = aws.String(s.stsEndpoint)
		}
		session := s.roleSessionName
		if session == "" {
			session = "libobjstore"
		}
		provider := stscreds.NewWebIdentityRoleProvider(sts.New(opts), s.roleARN, stscreds.IdentityTokenFile(s.webIdentityTokenFile),
			func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = session })
		return aws.NewCredentialsCache(provider), nil
	case s.containerFullURI != "" || s.containerRelativeURI != "":
		uri := s.containerFullURI
		if uri == "" {
			uri = ecsCredentialsHost + s.containerRelativeURI
		}
		provider := endpointcreds.New(uri, func(o *endpointcreds.Options) {
			o.HTTPClient = httpClient
			o.Retryer = retryer()
			if s.containerTokenFile != "" {
				o.AuthorizationTokenProvider = tokenFile(s.containerTokenFile)
			}
		})
		return aws.NewCredentialsCache(provider), nil
	case s.metadataEndpoint != "" || s.imdsv1Fallback:
		client := imds.New(imds.Options{
			Endpoint:          s.metadataEndpoint,
			HTTPClient:        httpClient,
			ClientEnableState: imds.ClientEnabled,
			EnableFallback:    aws.BoolTernary(s.imdsv1Fallback),
			Logger:            logging.Nop{},
			Retryer:           retryer(),
		})
		return aws.NewCredentialsCache(ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client })), nil
	}
	return nil, &core.Error{Kind: core.Unauthenticated, Store: storeName, Msg: "no credentials: give access_key_id and secret_access_key " +
		"(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), skip_signature for public buckets, web_identity_token_file with role_arn, " +
		"container credentials, or metadata_endpoint/imdsv1_fallback to use EC2 instance metadata"}
}

// tokenFile reads the container authorization token on every refresh, as
// the file is rotated by the platform.
type tokenFile string

func (f tokenFile) GetToken() (string, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", errors.New("cannot read container_authorization_token_file")
	}
	return strings.TrimSpace(string(b)), nil
}

// checkCustomerKey validates an SSE-C key: 256 bits, base64.
func checkCustomerKey(b64 string) error {
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return errors.New("is not valid base64")
	}
	if len(key) != 32 {
		return errors.New("must decode to 32 bytes (a 256-bit key)")
	}
	return nil
}

// providerCredentials signs with the credentials of a provider, through the
// store's cache (one call in flight, refreshed before expiry).
type providerCredentials struct{ cache *driver.CredentialCache }

func (p providerCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	lease, err := p.cache.Get(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	if use, ok := ctx.Value(credentialUseKey{}).(*credentialUse); ok {
		use.generation = lease.Generation
	}
	return aws.Credentials{
		AccessKeyID:     lease.AccessKeyID,
		SecretAccessKey: lease.SecretAccessKey,
		SessionToken:    lease.SessionToken,
		Source:          "credential provider",
		CanExpire:       !lease.Expires.IsZero(),
		Expires:         lease.Expires,
	}, nil
}

// checkCredential refuses a provider's answer S3 cannot sign with.
func checkCredential(c core.Credential) error {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return errors.New("an S3 credential needs access_key_id and secret_access_key")
	}
	return nil
}

// credentialUse records, for one operation, which credential its last
// attempt was signed with and whether a stale answer was retried already.
type credentialUse struct {
	generation uint64
	retried    bool
}

type credentialUseKey struct{}

func markCredentialUse(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	return next.HandleInitialize(context.WithValue(ctx, credentialUseKey{}, &credentialUse{}), in)
}

// errStaleAgain ends an operation whose credential was refused twice.
var errStaleAgain = errors.New("the provider's fresh credential was refused too")

// staleCredential reports an answer that refuses the credential as expired
// or unknown (a rotated key, an expired session token, a changed secret).
// A HEAD's refusal has no body to say why: its bare 403 counts too.
func staleCredential(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "InvalidToken", "TokenRefreshRequired",
		"SignatureDoesNotMatch", "InvalidClientTokenId", "Forbidden":
		return true
	}
	return false
}
