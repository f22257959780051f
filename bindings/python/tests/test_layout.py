"""The package's layout: one module per operation family, no import cycle,
each layer importing only from the layers below it, typed store methods
that match the free functions, and every default written once."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

import objstore
from objstore import _defaults
from objstore.store import ObjectStore, ObjectStoreMethods

PACKAGE = Path(objstore.__file__).resolve().parent
MODULES = {("objstore" if p.stem == "__init__" else f"objstore.{p.stem}"): p for p in sorted(PACKAGE.glob("*.py"))}


def _resolve(base: str, name: str) -> str:
    """`from base import name`: the module it names (a submodule or base)."""
    sub = f"{base}.{name}"
    return sub if sub in MODULES else base


def imports_of(module: str) -> set[str]:
    """The package's modules `module` imports anywhere in its text (at the
    top, inside functions, under TYPE_CHECKING: every import counts)."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "objstore" or alias.name.startswith("objstore."):
                    found.add(alias.name if alias.name in MODULES else "objstore")
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # every module lives directly in the package
                base = "objstore" + (f".{node.module}" if node.module else "")
            elif node.module and (node.module == "objstore" or node.module.startswith("objstore.")):
                base = node.module
            else:
                continue
            for alias in node.names:
                found.add(_resolve(base, alias.name))
    found.discard(module)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as a path that ends where it began."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for dep in sorted(graph.get(m, ())):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            if cycle:
                return cycle
    return None


def test_the_checker_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    # it reads imports inside functions too
    assert "objstore._ffi" in imports_of("objstore._args")


def test_no_import_cycle_in_the_package():
    graph = {m: imports_of(m) for m in MODULES}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# Each module imports only from the layers above it in this list (never
# from its own layer): operations know nothing of each other or of stores.
LAYERS = [
    {"exceptions", "_defaults", "_types", "_config_types", "_bytes"},
    {"_ffi"},  # the C ABI
    {"_async", "_asks", "_arrow"},  # the completion queue; the ask queue and its answering thread; listing pages as Arrow batches
    {"_args", "_config", "_events"},  # argument checks; config documents; request events
    {"_results", "_native"},  # what the library hands back; store handles
    {"_get", "_head", "_put", "_list", "_delete", "_copy", "_sign", "_get_many", "_uploads", "_metrics"},  # one room per operation
    {"_files"},  # open_reader / open_writer, over get_range, head and the writer
    {"_methods"},  # ObjectStoreMethods
    {"store"},
]


def test_layers_import_only_downwards():
    rank = {f"objstore.{name}": i for i, layer in enumerate(LAYERS) for name in layer}
    for module, i in rank.items():
        assert module in MODULES, f"{module} is gone: update LAYERS"
        for dep in imports_of(module):
            assert rank.get(dep, len(LAYERS)) < i, f"{module} (layer {i}) imports {dep} (layer {rank.get(dep)})"


def test_results_depend_only_on_the_ffi_layer():
    allowed = {"objstore._ffi", "objstore._async", "objstore._arrow", "objstore._bytes", "objstore._args",
               "objstore._defaults", "objstore._types", "objstore.exceptions"}
    assert imports_of("objstore._results") <= allowed


def test_sync_and_async_twins_live_side_by_side():
    twins = [name for name in objstore.__all__ if name.endswith("_async") and name[: -len("_async")] in objstore.__all__]
    assert len(twins) == 14, twins
    for name in twins:
        sync, asynchronous = getattr(objstore, name[: -len("_async")]), getattr(objstore, name)
        assert sync.__module__ == asynchronous.__module__, name


def _public_methods(cls) -> dict[str, typing.Callable]:
    return {name: m for name, m in vars(cls).items() if callable(m) and not name.startswith("_")}


def _check_typed(fn, skip_first: bool) -> None:
    hints = typing.get_type_hints(fn)  # every annotation resolves
    params = list(inspect.signature(fn).parameters.values())[1 if skip_first else 0 :]
    for p in params:
        assert p.annotation is not inspect.Parameter.empty and p.name in hints, f"{fn.__qualname__}: {p.name} untyped"
    assert "return" in hints, f"{fn.__qualname__}: return type missing"


# Free functions that take no store: not store methods.
NOT_OPERATIONS = {"debug_stats", "set_runtime", "parse_scheme", "metrics", "on_event", "flush_traces"}


def test_every_store_method_is_typed():
    methods = _public_methods(ObjectStoreMethods)
    operations = {n for n in objstore.__all__ if inspect.isfunction(getattr(objstore, n))} - NOT_OPERATIONS
    # list_async is obstore's (and obspec's) method name for list's stream
    assert set(methods) == operations | {"list_async"} and len(methods) == 30
    assert ObjectStoreMethods.list_async is ObjectStoreMethods.list
    for method in methods.values():
        _check_typed(method, skip_first=True)
    assert issubclass(ObjectStore, ObjectStoreMethods)


def test_every_free_function_is_typed_and_is_its_method():
    methods = _public_methods(ObjectStoreMethods)
    for name in objstore.__all__:
        fn = getattr(objstore, name)
        if not inspect.isfunction(fn) or name in NOT_OPERATIONS:
            continue
        _check_typed(fn, skip_first=True)
        assert methods[name] is fn, name  # one definition: they cannot differ


def test_a_store_method_binds_the_store(tmp_path):
    store = objstore.store.LocalStore(tmp_path)
    store.put("a", b"xyz")
    assert store.get_range("a", start=1, end=3) == b"yz"
    assert list(inspect.signature(store.put).parameters)[:2] == ["path", "file"]
    assert inspect.iscoroutinefunction(store.get_async)


# Modules whose function defaults must come from _defaults (the adapters
# and the CLI pick their own sizes for their own purposes).
_CORE = [m for m in MODULES if m.split(".")[-1].startswith("_") and m != "objstore._defaults"] + ["objstore.store"]


@pytest.mark.parametrize("module", _CORE)
def test_no_size_or_concurrency_default_written_outside_defaults(module):
    tree = ast.parse(MODULES[module].read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                literal = isinstance(default, ast.BinOp) or (
                    isinstance(default, ast.Constant) and type(default.value) is int and default.value > 1
                )
                assert not literal, f"{module}:{default.lineno} {node.name}: a default written out; use _defaults"


def test_defaults_are_the_documented_ones():
    assert (_defaults.PUT_CHUNK_SIZE, _defaults.MAX_CONCURRENCY) == (5 * 1024 * 1024, 12)  # obstore's
    assert inspect.signature(objstore.put).parameters["max_concurrency"].default is _defaults.MAX_CONCURRENCY
    assert inspect.signature(objstore.open_writer).parameters["max_concurrency"].default is _defaults.MAX_CONCURRENCY
    assert inspect.signature(objstore.GetResult.stream).parameters["min_chunk_size"].default == 10 * 1024 * 1024
