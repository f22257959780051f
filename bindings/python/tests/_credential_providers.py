"""Credential providers the tests pickle into spawned processes (so they
must be importable there)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone


class StaticProvider:
    """Fixed S3 keys, declared valid for `life` seconds (None: forever)."""

    def __init__(self, key: str, secret: str, life: float | None = None):
        self.key, self.secret, self.life = key, secret, life
        self.calls = 0

    def __call__(self):
        self.calls += 1
        expires = None if self.life is None else datetime.now(timezone.utc) + timedelta(seconds=self.life)
        return {"access_key_id": self.key, "secret_access_key": self.secret, "token": None, "expires_at": expires}

    def __eq__(self, other):
        return isinstance(other, StaticProvider) and (self.key, self.secret, self.life) == (other.key, other.secret, other.life)

    def __hash__(self):
        return hash((self.key, self.life))

    def __getstate__(self):
        return {"key": self.key, "secret": self.secret, "life": self.life, "calls": 0}


class RotatingSTSProvider:
    """A new temporary key from MinIO's STS AssumeRole on every call,
    declared to expire after `life` seconds. Its session policy lets the key
    work only until then (MinIO checks aws:CurrentTime, to the second), so
    the server refuses any request signed with a key past its declared
    life: every request it accepts used a key current at its time."""

    def __init__(self, endpoint: str, key: str, secret: str, life: float):
        import boto3

        self.sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id=key, aws_secret_access_key=secret)
        self.life = life
        self.lock = threading.Lock()
        self.issued: list[tuple[str, datetime]] = []

    def __call__(self):
        expires = datetime.now(timezone.utc) + timedelta(seconds=self.life)
        # The server's clock has whole seconds: the key works until the end
        # of the second its declared expiry falls in, no longer.
        until = (expires.replace(microsecond=0) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"],
            "Condition": {"DateLessThan": {"aws:CurrentTime": until}},
        }]}
        creds = self.sts.assume_role(RoleArn="arn:minio:iam:::role/objstore", RoleSessionName="objstore-test",
                                     DurationSeconds=900, Policy=json.dumps(policy))["Credentials"]
        with self.lock:
            self.issued.append((creds["AccessKeyId"], expires))
        return {"access_key_id": creds["AccessKeyId"], "secret_access_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"], "expires_at": expires}

    def __repr__(self):
        return f"RotatingSTSProvider(life={self.life})"
