"""Bad arguments raise TypeError, ValueError or a typed objstore error whose
message names the argument at fault — before any I/O where possible."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest

import objstore
from objstore import exceptions as exc
from objstore.store import HTTPStore, LocalStore, MemoryStore, S3Store, from_config, from_url


@pytest.fixture
def mem():
    s = MemoryStore()
    objstore.put(s, "obj", b"0123456789")
    return s


def _closed_file():
    f = io.BytesIO(b"abc")
    f.close()
    return f


# (id, call(store), exception type(s), words the message must contain)
CASES = [
    # paths
    ("get path int", lambda s: objstore.get(s, 42), TypeError, ["path", "int"]),
    ("get path bytes", lambda s: objstore.get(s, b"obj"), TypeError, ["path", "bytes"]),
    ("get path None", lambda s: objstore.get(s, None), TypeError, ["path"]),
    ("get path NUL", lambda s: objstore.get(s, "a\x00b"), exc.InvalidPathError, ["path"]),
    ("get path dotdot", lambda s: objstore.get(s, "a/../b"), exc.InvalidPathError, [".."]),
    ("get path empty segment", lambda s: objstore.get(s, "a//b"), exc.InvalidPathError, ["segment"]),
    ("get path surrogate", lambda s: objstore.get(s, "a\udc80"), exc.InvalidPathError, ["path"]),
    ("head path list", lambda s: objstore.head(s, ["obj"]), TypeError, ["path"]),
    ("put path float", lambda s: objstore.put(s, 1.5, b"x"), TypeError, ["path"]),
    ("copy from int", lambda s: objstore.copy(s, 1, "b"), TypeError, ["from_"]),
    ("copy to int", lambda s: objstore.copy(s, "obj", 2), TypeError, ["to"]),
    ("rename to dotdot", lambda s: objstore.rename(s, "obj", "../x"), exc.InvalidPathError, [".."]),
    ("delete paths int", lambda s: objstore.delete(s, 5), TypeError, ["path"]),
    ("list prefix int", lambda s: objstore.list(s, 5), TypeError, ["prefix"]),
    ("list offset int", lambda s: objstore.list(s, None, offset=5), TypeError, ["offset"]),
    ("list chunk_size 0", lambda s: objstore.list(s, None, chunk_size=0), ValueError, ["chunk_size"]),
    ("list chunk_size str", lambda s: objstore.list(s, None, chunk_size="5"), TypeError, ["chunk_size"]),
    ("list_with_delimiter prefix int", lambda s: objstore.list_with_delimiter(s, 5), TypeError, ["prefix"]),
    # ranges
    ("get_range negative start", lambda s: objstore.get_range(s, "obj", start=-1, end=3), ValueError, ["start"]),
    ("get_range negative end", lambda s: objstore.get_range(s, "obj", start=0, end=-3), ValueError, ["end"]),
    ("get_range negative length", lambda s: objstore.get_range(s, "obj", start=0, length=-3), ValueError, ["length"]),
    ("get_range start str", lambda s: objstore.get_range(s, "obj", start="0", end=3), TypeError, ["start"]),
    ("get_range start float", lambda s: objstore.get_range(s, "obj", start=0.5, end=3), TypeError, ["start"]),
    ("get_range start bool", lambda s: objstore.get_range(s, "obj", start=True, end=3), TypeError, ["start"]),
    ("get_range end and length", lambda s: objstore.get_range(s, "obj", start=0, end=3, length=3), (TypeError, ValueError), ["end", "length"]),
    ("get_range neither end nor length", lambda s: objstore.get_range(s, "obj", start=0), (TypeError, ValueError), ["end", "length"]),
    ("get_range inverted", lambda s: objstore.get_range(s, "obj", start=5, end=2), ValueError, ["5", "2"]),
    ("get_range empty", lambda s: objstore.get_range(s, "obj", start=3, end=3), ValueError, ["3"]),
    ("get_range past end", lambda s: objstore.get_range(s, "obj", start=100, end=200), ValueError, ["100"]),
    ("get_ranges negative start", lambda s: objstore.get_ranges(s, "obj", starts=[-1], ends=[2]), ValueError, ["starts"]),
    ("get_ranges starts str", lambda s: objstore.get_ranges(s, "obj", starts="ab", ends=[2]), TypeError, ["starts"]),
    ("get_ranges length mismatch", lambda s: objstore.get_ranges(s, "obj", starts=[0, 1], ends=[2]), ValueError, ["starts", "ends"]),
    ("get_ranges ends and lengths", lambda s: objstore.get_ranges(s, "obj", starts=[0], ends=[1], lengths=[1]), (TypeError, ValueError), ["ends", "lengths"]),
    ("options range negative", lambda s: objstore.get(s, "obj", options={"range": (-1, 3)}), ValueError, ["range"]),
    ("options range wrong type", lambda s: objstore.get(s, "obj", options={"range": "0-3"}), TypeError, ["range"]),
    ("options range offset negative", lambda s: objstore.get(s, "obj", options={"range": {"offset": -2}}), ValueError, ["offset"]),
    ("options range suffix str", lambda s: objstore.get(s, "obj", options={"range": {"suffix": "2"}}), TypeError, ["suffix"]),
    ("options unknown key", lambda s: objstore.get(s, "obj", options={"rnge": (0, 1)}), (TypeError, ValueError), ["rnge"]),
    ("options if_match int", lambda s: objstore.get(s, "obj", options={"if_match": 5}), TypeError, ["if_match"]),
    ("options naive datetime", lambda s: objstore.get(s, "obj", options={"if_modified_since": datetime(2020, 1, 1)}), ValueError, ["if_modified_since"]),
    ("options if_unmodified_since str", lambda s: objstore.get(s, "obj", options={"if_unmodified_since": "2020"}), TypeError, ["if_unmodified_since"]),
    ("options not a mapping", lambda s: objstore.get(s, "obj", options=[("head", True)]), TypeError, ["options"]),
    # puts
    ("put data int", lambda s: objstore.put(s, "p", 5), TypeError, ["file"]),
    # A str is a local file name to upload (as obstore's Path input).
    ("put data str", lambda s: objstore.put(s, "p", "no-such-file.txt"), FileNotFoundError, ["no-such-file.txt"]),
    ("put closed file", lambda s: objstore.put(s, "p", _closed_file()), ValueError, ["closed"]),
    ("put mode unknown", lambda s: objstore.put(s, "p", b"x", mode="append"), ValueError, ["mode"]),
    ("put mode int", lambda s: objstore.put(s, "p", b"x", mode=3), (TypeError, ValueError), ["mode"]),
    ("put attributes not mapping", lambda s: objstore.put(s, "p", b"x", attributes=["a"]), TypeError, ["attributes"]),
    ("put attribute value int", lambda s: objstore.put(s, "p", b"x", attributes={"Content-Type": 5}), TypeError, ["attributes"]),
    ("put tags value int", lambda s: objstore.put(s, "p", b"x", tags={"a": 1}), TypeError, ["tags"]),
    ("put chunk_size 0", lambda s: objstore.put(s, "p", io.BytesIO(b"x"), chunk_size=0), ValueError, ["chunk_size"]),
    ("put chunk_size negative", lambda s: objstore.put(s, "p", io.BytesIO(b"x"), chunk_size=-5), ValueError, ["chunk_size"]),
    ("put max_concurrency 0", lambda s: objstore.put(s, "p", io.BytesIO(b"x"), max_concurrency=0), ValueError, ["max_concurrency"]),
    # The same checks when the input is small bytes (put's fast path).
    ("put bytes chunk_size 0", lambda s: objstore.put(s, "p", b"x", chunk_size=0), ValueError, ["chunk_size"]),
    ("put bytes chunk_size bool", lambda s: objstore.put(s, "p", b"x", chunk_size=True), TypeError, ["chunk_size"]),
    ("put bytes max_concurrency 0", lambda s: objstore.put(s, "p", b"x", max_concurrency=0), ValueError, ["max_concurrency"]),
    ("put bytes max_concurrency float", lambda s: objstore.put(s, "p", b"x", max_concurrency=2.0), TypeError, ["max_concurrency"]),
    ("put bytes use_multipart str", lambda s: objstore.put(s, "p", b"x", use_multipart="yes"), TypeError, ["use_multipart"]),
    ("put bytes progress not callable", lambda s: objstore.put(s, "p", b"x", progress=5), TypeError, ["progress"]),
    ("put bytes path NUL", lambda s: objstore.put(s, "a\x00b", b"x"), ValueError, ["NUL"]),
    ("put iterable of ints", lambda s: objstore.put(s, "p", iter([1, 2])), TypeError, ["int"]),
    # other ops
    ("sign expires int", lambda s: objstore.sign(s, "GET", "obj", 60), TypeError, ["expires_in"]),
    ("sign negative expiry", lambda s: objstore.sign(s, "GET", "obj", timedelta(seconds=-1)), ValueError, ["expires_in"]),
    ("sign method int", lambda s: objstore.sign(s, 1, "obj", timedelta(seconds=60)), (TypeError, ValueError), ["method"]),
    ("sign method unknown", lambda s: objstore.sign(s, "FETCH", "obj", timedelta(seconds=60)), ValueError, ["method", "FETCH"]),
    ("stream chunk size < 0", lambda s: objstore.get(s, "obj").stream(min_chunk_size=-1), ValueError, ["min_chunk_size"]),
    ("not a store", lambda s: objstore.get("memory://", "obj"), TypeError, ["store"]),
    ("store None", lambda s: objstore.get(None, "obj"), TypeError, ["store"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_argument_is_named(mem, case):
    _, call, types, words = case
    with pytest.raises(types) as info:
        call(mem)
    message = str(info.value)
    for word in words:
        assert word in message, f"{type(info.value).__name__}: {message!r} does not name {word!r}"
    # Nothing was written by a refused put.
    assert {m["path"] for m in objstore.list(mem).collect()} == {"obj"}


# Store constructors, config documents and URLs.
CONSTRUCTOR_CASES = [
    ("S3 unknown config key", lambda: S3Store("b", config={"no_such_key": "x"}), exc.UnknownConfigurationKeyError, ["no_such_key"]),
    ("S3 unknown kwarg", lambda: S3Store("b", regoin="x"), (TypeError, exc.UnknownConfigurationKeyError), ["regoin"]),
    ("S3 config not a mapping", lambda: S3Store("b", config=["region"]), TypeError, ["config"]),
    ("S3 config value list", lambda: S3Store("b", config={"region": ["a"]}), TypeError, ["region"]),
    ("S3 same key twice via alias", lambda: S3Store("b", config={"region": "a", "aws_region": "b"}), (ValueError, exc.InvalidArgumentError), ["region"]),
    ("S3 unknown client option", lambda: S3Store("b", client_options={"timout": "5s"}), exc.UnknownConfigurationKeyError, ["timout"]),
    ("S3 bad timeout", lambda: S3Store("b", client_options={"timeout": "soon"}), (ValueError, exc.InvalidArgumentError), ["timeout"]),
    ("S3 bad bool", lambda: S3Store("b", client_options={"allow_http": "maybe"}), (ValueError, exc.InvalidArgumentError), ["allow_http"]),
    ("S3 unknown retry key", lambda: S3Store("b", retry_config={"max_retires": 3}), (TypeError, ValueError), ["max_retires"]),
    ("S3 retry negative", lambda: S3Store("b", retry_config={"max_retries": -1}), (TypeError, ValueError), ["max_retries"]),
    ("S3 retry base below 1", lambda: S3Store("b", retry_config={"backoff": {"base": 0.5}}), (TypeError, ValueError), ["base"]),
    ("S3 retry negative timeout", lambda: S3Store("b", retry_config={"retry_timeout": -3}), (TypeError, ValueError), ["retry_timeout"]),
    ("S3 retry bad init_backoff", lambda: S3Store("b", retry_config={"backoff": {"init_backoff": "soon"}}), (TypeError, ValueError), ["init_backoff"]),
    ("S3 bucket int", lambda: S3Store(5), TypeError, ["bucket"]),
    ("LocalStore prefix int", lambda: LocalStore(5), TypeError, ["prefix"]),
    # Opened lazily: the first I/O reports the missing root, by name.
    ("LocalStore missing dir", lambda: objstore.head(LocalStore("/nonexistent/objstore-test-dir"), "x"), FileNotFoundError, ["/nonexistent/objstore-test-dir", "mkdir"]),
    ("HTTPStore url int", lambda: HTTPStore(5), TypeError, ["url"]),
    ("HTTPStore not http", lambda: HTTPStore("ftp://example.com/"), (ValueError, exc.InvalidArgumentError), ["ftp"]),
    ("from_url int", lambda: from_url(5), TypeError, ["url"]),
    ("from_url no scheme", lambda: from_url("just-a-name"), (ValueError, exc.InvalidArgumentError), ["scheme"]),
    ("from_url unknown scheme", lambda: from_url("nosuch://x"), (ValueError, exc.InvalidArgumentError), ["nosuch"]),
    ("from_url unknown key", lambda: from_url("s3://bucket", config={"bogus_key": "1"}), exc.UnknownConfigurationKeyError, ["bogus_key"]),
    ("from_url kind mismatch", lambda: from_url("s3://bucket", kind="gcs"), (TypeError, ValueError), ["kind"]),
    ("from_config not json", lambda: from_config("{not json"), (ValueError, exc.InvalidArgumentError), ["JSON"]),
    ("from_config unknown kind", lambda: from_config({"kind": "nosuch"}), (ValueError, exc.InvalidArgumentError), ["nosuch"]),
    ("from_config unknown top key", lambda: from_config({"kind": "s3", "bukket": "x"}), exc.UnknownConfigurationKeyError, ["bukket"]),
    ("from_config memory unknown key", lambda: from_config({"kind": "memory", "bukket": "x"}), exc.UnknownConfigurationKeyError, ["bukket"]),
    ("from_config memory config key", lambda: from_config({"kind": "memory", "config": {"x": "1"}}), exc.UnknownConfigurationKeyError, ["x"]),
    ("from_config wrong type", lambda: from_config(5), TypeError, ["document"]),
]


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES, ids=[c[0] for c in CONSTRUCTOR_CASES])
def test_bad_store_argument_is_named(case):
    _, call, types, words = case
    with pytest.raises(types) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{type(info.value).__name__}: {message!r} does not name {word!r}"


def test_refused_calls_leave_the_store_usable(mem):
    for _, call, types, _ in CASES:
        with pytest.raises(types):
            call(mem)
    assert objstore.get(mem, "obj").bytes() == b"0123456789"
