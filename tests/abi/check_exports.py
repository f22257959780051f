#!/usr/bin/env python3
"""Checks the C ABI contract: every function declared in include/objstore.h
is exported by build/libobjstore.so and nothing else is (only objstore_*
symbols, besides the linker's own markers).

Usage: check_exports.py [LIBRARY] [HEADER]   (defaults: the repository's)
Run by `make -C bindings/c test`.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Symbols the linker itself defines in every shared object.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def declared_functions(header: str) -> set[str]:
    text = re.sub(r"/\*.*?\*/", " ", header, flags=re.S)  # drop comments
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)    # and preprocessor lines
    # A function declaration: objstore_name followed by "(" that is not a
    # typedef'd type name or a macro.
    return set(re.findall(r"\b(objstore_[a-z0-9_]+)\s*\(", text))


def exported_symbols(lib: pathlib.Path) -> tuple[set[str], set[str]]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], check=True,
                         capture_output=True, text=True).stdout
    functions, others = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, name = parts[1], parts[2].split("@")[0]
        if name in LINKER_SYMBOLS or (kind == "A" and not name.startswith("objstore_")):
            continue  # linker markers and version nodes
        (functions if kind == "T" and name.startswith("objstore_") else others).add(name)
    return functions, others


def main() -> int:
    lib = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "libobjstore.so"
    header = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "include" / "objstore.h"
    if not lib.exists():
        print(f"ABI check: {lib} is missing (run `make build`)", file=sys.stderr)
        return 1
    declared = declared_functions(header.read_text())
    exported, others = exported_symbols(lib)
    problems = []
    for name in sorted(declared - exported):
        problems.append(f"declared in {header.name} but not exported: {name}")
    for name in sorted(exported - declared):
        problems.append(f"exported but not declared in {header.name}: {name}")
    for name in sorted(others):
        problems.append(f"exported symbol outside the objstore_* functions: {name}")
    if not declared:
        problems.append(f"no functions found in {header}")
    for p in problems:
        print("ABI check: " + p, file=sys.stderr)
    if problems:
        return 1
    print(f"ABI check: {len(declared)} functions declared and exported, nothing else exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
