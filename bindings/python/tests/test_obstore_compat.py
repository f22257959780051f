"""Every public name of the installed obstore (0.12.1, pinned in
requirements/test-base.txt) exists in objstore with a compatible signature.

The names are read from obstore itself, at run time and from its type
stubs, so a new obstore name shows up here as a failure. Checked: the
modules obstore, obstore.store, obstore.exceptions, obstore.fsspec and
obstore.auth; functions (parameters by name, kind, position, and default
where obstore's is a plain value); classes (constructor, every public method
and property); exceptions (and that they derive from BaseError); the keys
of every TypedDict; and that every key of the config TypedDicts is a key
the stores accept. The only gaps allowed are listed in ALLOWED_GAPS.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any

import obstore
import obstore.exceptions
import obstore.fsspec
import obstore.store
import pytest

import objstore
import objstore.exceptions
import objstore.fsspec
import objstore.store
from objstore.exceptions import UnknownConfigurationKeyError

OBSTORE = Path(obstore.__file__).parent
OURS = {"obstore": "objstore"}

# Names obstore has and objstore does not yet, each with why. Each entry
# must be missing here: once it lands, its entry fails the test until it is
# removed. (Arrow listing, return_arrow=True, adds no name.)
ALLOWED_GAPS: dict[str, str] = {}

# Keys of obstore's config TypedDicts not accepted here yet, each with why:
# (config name, key) -> reason. Each must still be refused (so that adding
# support shows up here).
PENDING_KEYS: dict[tuple[str, str], str] = {}


def _ours(dotted: str) -> str:
    return "objstore" + dotted[len("obstore") :]


# ---- obstore's names: at run time and in its stubs ---------------------------------------------


def _public(names) -> list[str]:
    return sorted(n for n in names if not n.startswith("_"))


def _stub_tree(relative: str) -> ast.Module:
    return ast.parse((OBSTORE / relative).read_text())


def _stub_all(relative: str) -> list[str]:
    for node in _stub_tree(relative).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return [e.value for e in node.value.elts]
    raise AssertionError(f"{relative} has no __all__")


def _stub_classes() -> dict[str, ast.ClassDef]:
    """Every class obstore's stubs declare, by name."""
    found: dict[str, ast.ClassDef] = {}
    for path in OBSTORE.rglob("*.pyi"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                found.setdefault(node.name, node)
    return found


STUB_CLASSES = _stub_classes()

MODULE_NAMES = {
    "obstore": _public(set(obstore.__all__) | set(_stub_all("_obstore.pyi"))),
    "obstore.store": _public(set(obstore.store.__all__) | {"ObjectStore", "ObjectStoreMethods"}),
    "obstore.exceptions": _public(obstore.exceptions.__all__),
    "obstore.fsspec": _public(set(obstore.fsspec.__all__) | {"SUPPORTED_PROTOCOLS", "SUPPORTED_PROTOCOLS_T"}),
}


def _auth_names() -> dict[str, list[str]]:
    """obstore.auth's modules and their public names (read from the source:
    importing them needs boto3, google-auth, azure-identity...)."""
    out: dict[str, list[str]] = {"obstore.auth": []}
    for path in sorted((OBSTORE / "auth").glob("[!_]*.py")):
        names = []
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.append(node.name)
            elif isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper()]
        out[f"obstore.auth.{path.stem}"] = _public(names)
        out["obstore.auth"].append(path.stem)
    return out


AUTH_NAMES = _auth_names()


def _module_or_none(dotted: str) -> Any:
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError:
        return None


# ---- signatures ----------------------------------------------------------------------------


_LITERALS = (int, float, str, bool, type(None))


def _params(sig: inspect.Signature, skip_first: bool = False) -> list[inspect.Parameter]:
    params = list(sig.parameters.values())
    return params[1:] if skip_first and params and params[0].name in ("self", "cls", "store") else params


def _ast_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[inspect.Parameter]:
    """A stub function's parameters, as inspect.Parameter (defaults: Ellipsis
    or the literal the stub writes)."""
    P = inspect.Parameter
    a = fn.args
    positional = [(x, P.POSITIONAL_ONLY) for x in a.posonlyargs] + [(x, P.POSITIONAL_OR_KEYWORD) for x in a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = []

    def default_of(node):
        if node is None:
            return P.empty
        try:
            return ast.literal_eval(node)
        except ValueError:
            return ...

    for (arg, kind), d in zip(positional, defaults):
        out.append(P(arg.arg, kind, default=default_of(d)))
    if a.vararg:
        out.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append(P(arg.arg, P.KEYWORD_ONLY, default=default_of(d)))
    if a.kwarg:
        out.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    return out[1:] if out and out[0].name in ("self", "cls") else out


def _incompatible(theirs: list[inspect.Parameter], ours: list[inspect.Parameter]) -> list[str]:
    """Why a call written for `theirs` would not work the same with `ours`."""
    P = inspect.Parameter
    problems = []
    ours_by_name = {p.name: p for p in ours}
    their_positional = [p for p in theirs if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    our_positional = [p for p in ours if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    for i, p in enumerate(their_positional):
        if i >= len(our_positional) or our_positional[i].name != p.name:
            problems.append(f"positional parameter {i} is {p.name!r} there, not here")
    for p in theirs:
        if p.kind is P.VAR_POSITIONAL:
            if not any(q.kind is P.VAR_POSITIONAL for q in ours):
                problems.append(f"*{p.name} missing")
            continue
        if p.kind is P.VAR_KEYWORD:
            if not any(q.kind is P.VAR_KEYWORD for q in ours):
                problems.append(f"**{p.name} missing")
            continue
        q = ours_by_name.get(p.name)
        if q is None:
            problems.append(f"parameter {p.name!r} missing")
            continue
        if p.kind is not P.POSITIONAL_ONLY and q.kind is P.POSITIONAL_ONLY:
            problems.append(f"{p.name!r} cannot be passed by keyword here")
        if p.kind is P.KEYWORD_ONLY and q.kind not in (P.KEYWORD_ONLY, P.POSITIONAL_OR_KEYWORD):
            problems.append(f"{p.name!r} is not a keyword parameter here")
        if p.default is not P.empty and q.default is P.empty:
            problems.append(f"{p.name!r} is optional there, required here")
        if (
            p.default is not P.empty and p.default is not ...
            and isinstance(p.default, _LITERALS) and isinstance(q.default, _LITERALS)
            and p.default != q.default
        ):
            problems.append(f"{p.name!r} defaults to {p.default!r} there, {q.default!r} here")
    their_names = {p.name for p in theirs}
    for q in ours:
        if q.name not in their_names and q.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD) and q.default is P.empty:
            problems.append(f"{q.name!r} is required here but unknown there")
    return problems


def _our_callable_params(obj: Any) -> list[inspect.Parameter]:
    if inspect.isclass(obj):
        init = obj.__dict__.get("__init__") or next(
            (c.__dict__["__init__"] for c in obj.__mro__ if "__init__" in c.__dict__), None
        )
        return _params(inspect.signature(init), skip_first=True)
    return _params(inspect.signature(obj), skip_first=False)


def _their_callable_params(obj: Any) -> list[inspect.Parameter]:
    return _params(inspect.signature(obj), skip_first=False)


# ---- the tests ----------------------------------------------------------------------------------


def test_obstore_under_test_is_the_pinned_version():
    assert obstore.__version__ == "0.12.1"
    assert len(MODULE_NAMES["obstore"]) > 40 and len(STUB_CLASSES) > 30  # obstore's names were read


@pytest.mark.parametrize("module", sorted(MODULE_NAMES))
def test_every_name_exists(module):
    ours = importlib.import_module(_ours(module))
    missing = [n for n in MODULE_NAMES[module] if not hasattr(ours, n)]
    assert not missing, f"{_ours(module)} lacks {missing}"


def test_auth_gaps_are_exactly_the_allowed_ones():
    for module, names in AUTH_NAMES.items():
        ours = _module_or_none(_ours(module))
        present = ours is not None and all(hasattr(ours, n) for n in names)
        if module in ALLOWED_GAPS:
            assert not present, f"{_ours(module)} exists now: remove it from ALLOWED_GAPS"
        else:
            assert present, f"{_ours(module)} is missing {names} and is no allowed gap"
    assert set(ALLOWED_GAPS) <= set(AUTH_NAMES)  # no stale or vague entries


def _runtime_callables():
    for module, names in MODULE_NAMES.items():
        theirs = importlib.import_module(module)
        for name in names:
            obj = getattr(theirs, name, None)
            if obj is None or not callable(obj) or (inspect.isclass(obj) and issubclass(obj, BaseException)):
                continue
            if (getattr(obj, "__module__", None) or "").startswith("typing"):
                continue
            try:
                inspect.signature(obj)
            except (TypeError, ValueError):
                continue  # no introspectable signature (a type alias)
            yield module, name


@pytest.mark.parametrize("module,name", sorted(_runtime_callables()))
def test_callable_signatures_are_compatible(module, name):
    theirs = getattr(importlib.import_module(module), name)
    ours = getattr(importlib.import_module(_ours(module)), name)
    problems = _incompatible(_their_callable_params(theirs), _our_callable_params(ours))
    assert not problems, f"{_ours(module)}.{name}: " + "; ".join(problems)


STORE_CLASSES = ["S3Store", "GCSStore", "AzureStore", "HTTPStore", "LocalStore", "MemoryStore"]


@pytest.mark.parametrize("name", STORE_CLASSES + ["ObjectStoreMethods"])
def test_store_classes_methods_and_properties(name):
    theirs = getattr(obstore.store, name)
    ours = getattr(objstore.store, name)
    for member in _public(dir(theirs)):
        assert hasattr(ours, member), f"objstore.store.{name}.{member} missing"
        their_attr = inspect.getattr_static(theirs, member)
        our_attr = inspect.getattr_static(ours, member)
        if isinstance(their_attr, (property, type(obstore.store.S3Store.config))):  # getset_descriptor
            assert isinstance(our_attr, property), f"{name}.{member} is not a property here"
            continue
        if callable(getattr(theirs, member)):
            problems = _incompatible(  # (our methods *are* the free functions: "store" is their self)
                _params(inspect.signature(getattr(theirs, member)), skip_first=not inspect.ismethod(getattr(theirs, member))),
                _params(inspect.signature(getattr(ours, member)), skip_first=not inspect.ismethod(getattr(ours, member))),
            )
            assert not problems, f"objstore.store.{name}.{member}: " + "; ".join(problems)


STUB_ONLY_CLASSES = ["Bytes", "GetResult", "BytesStream", "ListStream", "ReadableFile", "AsyncReadableFile",
                     "WritableFile", "AsyncWritableFile"]


@pytest.mark.parametrize("name", STUB_ONLY_CLASSES)
def test_result_and_file_classes_have_every_stub_member(name):
    stub = STUB_CLASSES[name]
    # Bytes gets some methods from the ctypes array each instance is (Python 3.11)
    ours = objstore.Bytes(b"x") if name == "Bytes" else getattr(objstore, name)
    for node in stub.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
            node.name.startswith("_") and node.name not in ("__iter__", "__aiter__", "__next__", "__anext__",
                                                              "__enter__", "__exit__", "__aenter__", "__aexit__",
                                                              "__len__", "__mul__", "__add__", "__getitem__")
        ):
            continue
        assert hasattr(ours, node.name), f"objstore.{name}.{node.name} missing"
        member = inspect.getattr_static(type(ours) if name == "Bytes" else ours, node.name)
        is_property = any(getattr(d, "id", None) == "property" for d in node.decorator_list)
        if is_property:
            assert isinstance(member, property), f"objstore.{name}.{node.name} is not a property"
            continue
        if any(getattr(d, "id", None) == "overload" for d in node.decorator_list) or node.name.startswith("_"):
            continue
        if name == "Bytes" and node.name in ("__init__",):
            continue
        ours_fn = getattr(ours, node.name)
        assert inspect.iscoroutinefunction(ours_fn) == isinstance(node, ast.AsyncFunctionDef), (
            f"objstore.{name}.{node.name}: async there, not here (or the other way)"
        )
        problems = _incompatible(_ast_params(node), _params(inspect.signature(ours_fn), skip_first=name != "Bytes"))
        assert not problems, f"objstore.{name}.{node.name}: " + "; ".join(problems)


def _typed_dicts() -> list[str]:
    return sorted(
        name for name, node in STUB_CLASSES.items()
        if any(getattr(b, "id", None) == "TypedDict" or getattr(getattr(b, "value", None), "id", None) == "TypedDict"
               for b in node.bases)
    )


@pytest.mark.parametrize("name", _typed_dicts())
def test_typed_dicts_have_every_key(name):
    stub = STUB_CLASSES[name]
    their_keys = {n.target.id for n in stub.body if isinstance(n, ast.AnnAssign)}
    ours = getattr(objstore, name, None) or getattr(objstore.store, name, None)
    assert ours is not None, f"no TypedDict {name} in objstore or objstore.store"
    our_keys = set(ours.__required_keys__) | set(ours.__optional_keys__)
    assert their_keys <= our_keys, f"{name} lacks {sorted(their_keys - our_keys)}"


_CONFIG_STORES = {
    "S3Config": lambda kw: objstore.store.S3Store("b", **kw),
    "GCSConfig": lambda kw: objstore.store.GCSStore("b", **kw),
    "AzureConfig": lambda kw: objstore.store.AzureStore("c", **kw),
    "ClientConfig": lambda kw: objstore.store.S3Store("b", client_options=kw),
}
# A plausible value per annotation, so that most keys also pass their value check.
_SAMPLE = {"bool": True, "str": "x", "int": 1}


@pytest.mark.parametrize("name", sorted(_CONFIG_STORES))
def test_every_config_key_of_obstore_is_accepted(name):
    stub = STUB_CLASSES[name]
    keys = {n.target.id: ast.unparse(n.annotation) for n in stub.body if isinstance(n, ast.AnnAssign)}
    refused = []
    for key, annotation in keys.items():
        value = _SAMPLE.get(annotation.split(" ")[0], "1")
        try:
            _CONFIG_STORES[name]({key: value})
        except UnknownConfigurationKeyError:
            refused.append(key)
        except Exception:
            pass  # a value this sample does not satisfy: the key itself is known
    pending = sorted(k for (n, k) in PENDING_KEYS if n == name)
    assert sorted(refused) == pending, f"{name}: refused {sorted(refused)}, pending only {pending}"


@pytest.mark.parametrize("name", _public(obstore.exceptions.__all__))
def test_exceptions(name):
    theirs = getattr(obstore.exceptions, name)
    ours = getattr(objstore.exceptions, name)
    assert issubclass(ours, Exception)
    if issubclass(theirs, obstore.exceptions.BaseError):
        assert issubclass(ours, objstore.exceptions.BaseError), name
    for base in theirs.__mro__:
        if base.__module__ == "builtins":
            assert issubclass(ours, base), f"{name} is a {base.__name__} there, not here"


def test_fsspec_classes_methods():
    for name in ("FsspecStore", "BufferedFile"):
        theirs = getattr(obstore.fsspec, name)
        ours = getattr(objstore.fsspec, name)
        for member, value in vars(theirs).items():
            if member.startswith("__") or not callable(value) and not isinstance(value, property):
                continue
            assert hasattr(ours, member), f"objstore.fsspec.{name}.{member} missing"
            if isinstance(value, property):
                continue
            problems = _incompatible(_params(inspect.signature(value), skip_first=True),
                                     _params(inspect.signature(getattr(ours, member)), skip_first=True))
            assert not problems, f"objstore.fsspec.{name}.{member}: " + "; ".join(problems)
    assert objstore.fsspec.SUPPORTED_PROTOCOLS == obstore.fsspec.SUPPORTED_PROTOCOLS


@pytest.mark.parametrize("module", sorted(m for m in AUTH_NAMES if m != "obstore.auth"))
def test_auth_providers_take_obstores_arguments(module):
    """Each provider class is built with obstore's parameters (names, kinds,
    order) and is called with none; obstore.auth imports its libraries
    (boto3, google-auth, azure-identity, aiohttp), installed in the test
    venvs."""
    theirs = importlib.import_module(module)
    ours = importlib.import_module(_ours(module))
    for name in AUTH_NAMES[module]:
        t, o = getattr(theirs, name), getattr(ours, name)
        if not inspect.isclass(t) or not callable(getattr(t, "__call__", None)) or not name.endswith("Provider"):
            continue
        sig = lambda f: [(p.name, p.kind) for p in inspect.signature(f).parameters.values()]  # noqa: E731
        assert sig(o.__init__) == sig(t.__init__), f"{module}.{name}.__init__"
        assert sig(o.__call__) == sig(t.__call__), f"{module}.{name}.__call__"
        assert inspect.iscoroutinefunction(o.__call__) == inspect.iscoroutinefunction(t.__call__), name
        if hasattr(t, "from_asset"):
            assert sig(o.from_asset) == sig(t.from_asset), f"{module}.{name}.from_asset"
