"""Tracing end to end: the stores of a Python process send their spans with
OTLP over HTTP to a receiver in this test process, which decodes each export
request with opentelemetry-proto. The OTEL_ variables reach the library
through the environment every store is opened with (Python's os.environ at
that moment), and the spans still waiting are sent when the process exits."""

from __future__ import annotations

import gzip
import http.server
import json
import threading

import pytest
from conftest import run_python
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

import objstore
from objstore.store import MemoryStore

from _servers import minio_settings


class Receiver:
    """An OTLP/HTTP trace receiver on loopback: every span it was sent, as a
    dict of name, attributes, status and the resource's service name."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.requests = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server name)
                body = self.read_body()
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                ok = self.path == "/v1/traces" and self.headers.get("Content-Type") == "application/x-protobuf"
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.take(request)
                out = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding") != "chunked":
                    return self.rfile.read(int(self.headers["Content-Length"]))
                body = b""  # the gzipped export is sent in chunks
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return body

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, request: ExportTraceServiceRequest) -> None:
        with self.lock:
            self.requests += 1
            for rs in request.resource_spans:
                resource = {kv.key: _value(kv.value) for kv in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        self.spans.append({
                            "name": s.name,
                            "attributes": {kv.key: _value(kv.value) for kv in s.attributes},
                            "error": s.status.code == s.status.STATUS_CODE_ERROR,
                            "status_message": s.status.message,
                            "service": resource.get("service.name"),
                            "scope": ss.scope.name,
                        })

    def named(self, name: str) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if s["name"] == name]


def _value(v):
    return getattr(v, v.WhichOneof("value"))


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def otel(receiver: Receiver, **extra: str) -> dict[str, str]:
    env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
           "OTEL_SERVICE_NAME": "objstore-pytest", "OTEL_SDK_DISABLED": ""}
    env.update(extra)
    return env


# A child process: N reads of one object, a head of a missing one, then exit
# without flushing (the library sends what waits when the last traced store
# closes, which the binding does at exit).
CHILD = """
import objstore
from objstore.store import LocalStore
from objstore.exceptions import NotFoundError
{make_store}
objstore.put(store, "dir/private-name.bin", b"abcdef")
for _ in range({n}):
    assert objstore.get(store, "dir/private-name.bin").bytes() == b"abcdef"
try:
    objstore.head(store, "dir/private-missing")
except NotFoundError:
    pass
"""


def run_child(tmp_path, env: dict[str, str], n: int, make_store: str = "") -> None:
    make_store = make_store or f"store = LocalStore({str(tmp_path / 'root')!r}, mkdir=True)"
    result = run_python(CHILD.format(n=n, make_store=make_store), env_extra=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the library prints nothing


def test_a_python_process_sends_its_spans(receiver, tmp_path):
    n = 6
    run_child(tmp_path, otel(receiver, OTEL_EXPORTER_OTLP_COMPRESSION="gzip"), n)
    gets, puts, heads = receiver.named("objstore.get"), receiver.named("objstore.put"), receiver.named("objstore.head")
    assert (len(gets), len(puts), len(heads)) == (n, 1, 1), receiver.spans
    for span in receiver.spans:
        a = span["attributes"]
        assert span["service"] == "objstore-pytest"
        assert span["scope"] == "github.com/libobjstore/objstore"
        assert a["objstore.store.kind"] == "local"
        assert "objstore.path" not in a  # only its length, unless asked
        assert "private" not in json.dumps(span)
    for span in gets:
        a = span["attributes"]
        assert (a["objstore.operation"], a["objstore.status"], a["objstore.bytes"]) == ("get", "ok", 6)
        assert a["objstore.path.length"] == len("dir/private-name.bin")
        assert not span["error"]
    assert puts[0]["attributes"]["objstore.bytes"] == 6
    assert heads[0]["error"] and heads[0]["status_message"] == "not_found"
    assert heads[0]["attributes"]["error.type"] == "not_found"


def minio_store_code(**client_options) -> str:
    """The child's code that makes an S3Store on MinIO with these client options."""
    m = minio_settings()
    options = {"allow_http": True, **client_options}
    return (
        "from objstore.store import S3Store\n"
        f"store = S3Store({m['BUCKET']!r}, prefix='pytest-tracing', endpoint={m['ENDPOINT']!r}, "
        f"access_key_id={m['ACCESS_KEY']!r}, secret_access_key={m['SECRET_KEY']!r}, region='us-east-1', "
        f"client_options={options!r})\n"
    )


def test_tracing_by_client_options_on_minio(receiver, tmp_path):
    # No OTEL_TRACES_EXPORTER: the document turns tracing on, the
    # environment only says where spans go.
    run_child(tmp_path, otel(receiver, OTEL_TRACES_EXPORTER=""), 4, minio_store_code(tracing=True, trace_paths=True))
    gets = receiver.named("objstore.get")
    assert len(gets) == 4, receiver.spans
    for span in gets:
        a = span["attributes"]
        assert a["objstore.store.kind"] == "s3" and a["objstore.bucket"] == minio_settings()["BUCKET"]
        assert a["objstore.path"] == "dir/private-name.bin"  # trace_paths: the path below the store's prefix
        assert a["objstore.attempts"] == 1 and a["objstore.retries"] == 0


def test_off_by_default(receiver, tmp_path):
    # An endpoint alone turns nothing on: no request reaches the receiver.
    run_child(tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_TRACES_EXPORTER": ""}, 3)
    assert receiver.requests == 0
    # The document's "tracing": False wins over OTEL_TRACES_EXPORTER=otlp.
    run_child(tmp_path, otel(receiver), 2, minio_store_code(tracing=False))
    assert receiver.requests == 0


def test_flush_traces_sends_spans_now(receiver, monkeypatch):
    for name, value in otel(receiver, OTEL_BSP_SCHEDULE_DELAY="600000").items():
        monkeypatch.setenv(name, value)
    store = MemoryStore()
    store.put("a", b"xyz")
    assert store.get("a").bytes() == b"xyz"
    assert receiver.spans == []  # batched: not due for ten minutes
    objstore.flush_traces()
    assert [s["name"] for s in receiver.spans] == ["objstore.put", "objstore.get"]
    assert receiver.spans[0]["attributes"]["objstore.store.kind"] == "memory"
    with pytest.raises(ValueError):
        objstore.flush_traces(timeout=0)


def test_bad_otel_variable_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(objstore.exceptions.BaseError, match="OTEL_EXPORTER_OTLP_PROTOCOL"):
        MemoryStore().put("a", b"x")
