"""The C header as a contract: every function documented, every versioned
struct with its INIT macro, and one version everywhere.

The repository's VERSION file is the one source of the version: the
header's OBJSTORE_VERSION must say the same, the built library's
objstore_version() returns the macro, the Python package's metadata comes
from VERSION (setup.py) and its __version__ must agree, and objstore.pc
takes it at install time.
"""

import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_exports import declared_functions  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "objstore.h"

# A function prototype at the start of a line: a return type, the name, "(".
PROTOTYPE = re.compile(r"^(?:const\s+)?(?:unsigned\s+)?\w+\s*\**\s*(objstore_\w+)\s*\(", re.M)


def prototypes(text: str) -> list[tuple[str, str]]:
    """(name, text before it) for every function prototype of the header."""
    return [(m.group(1), text[: m.start()]) for m in PROTOTYPE.finditer(text) if not m.group(0).startswith("typedef")]


def undocumented(text: str) -> list[str]:
    """Prototypes without a comment of their own right above them (no
    blank line between: a comment above a group documents its first
    member only)."""
    return [name for name, before in prototypes(text) if not before.rstrip(" \t").endswith("*/\n")]


def test_every_prototype_is_documented():
    text = HEADER.read_text()
    # The parser sees exactly the functions the ABI check sees.
    assert {name for name, _ in prototypes(text)} == declared_functions(text)
    assert undocumented(text) == []


def test_the_check_finds_an_undocumented_prototype():
    text = "/* documented */\nint objstore_a(void);\n\nint objstore_b(void);\n/* c */\n\nint objstore_c(void);\n"
    assert undocumented(text) == ["objstore_b", "objstore_c"]


def test_every_free_documents_null():
    text = HEADER.read_text()
    for name, before in prototypes(text):
        if name.endswith("_free") and name != "objstore_string_free":
            comment = before[before.rstrip().rfind("/*") :]
            prose = " ".join(re.sub(r"\n\s*\*(?!/)", " ", comment).split())
            assert "NULL is a no-op returning OBJSTORE_OK" in prose, name


def test_every_versioned_struct_has_an_init_macro():
    text = HEADER.read_text()
    versions = re.findall(r"#define (OBJSTORE_(\w+?)_VERSION) \d+", text)
    assert len(versions) >= 4
    for macro, what in versions:
        if what == "ABI":
            continue
        init = re.search(rf"#define OBJSTORE_{what}_INIT \{{\.version = {macro}(, [^}}]*)?\}}", text)
        assert init, f"no OBJSTORE_{what}_INIT for {macro}"


def version_file() -> str:
    return (ROOT / "VERSION").read_text().strip()


def test_version_is_one():
    version = version_file()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    header = re.search(r'#define OBJSTORE_VERSION "([^"]+)"', HEADER.read_text())
    assert header and header.group(1) == version, "include/objstore.h OBJSTORE_VERSION differs from VERSION"

    # In a child: a second Go runtime (this library beside the package's
    # copy, which the process may have loaded) must not share a process.
    probe = ("import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); lib.objstore_version.restype = ctypes.c_char_p; "
             "print(lib.objstore_version().decode())")
    built = subprocess.run([sys.executable, "-c", probe, str(ROOT / "build" / "libobjstore.so")],
                           capture_output=True, text=True, check=True)
    assert built.stdout.strip() == version

    sys.path.insert(0, str(ROOT / "bindings" / "python" / "src"))
    try:
        import objstore
    finally:
        sys.path.pop(0)
    assert objstore.__version__ == version

    setup = subprocess.run([sys.executable, "setup.py", "--version"], cwd=ROOT / "bindings" / "python",
                           capture_output=True, text=True, check=True)
    assert setup.stdout.strip().splitlines()[-1] == version
    pyproject = (ROOT / "bindings" / "python" / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and not re.search(r"^version\s*=", pyproject, re.M)
    assert "Version: @VERSION@" in (ROOT / "bindings" / "c" / "objstore.pc.in").read_text()
