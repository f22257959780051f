"""libobjstore vs obstore (and s3fs), side by side: runs every workload of
workloads.py for each variant a row names, alternating the variants within
each round, each run in its own process; writes a Markdown report (each row
with its target, what was measured and whether that met it), the raw
results as JSON, and a plot.

    make bench          # the usual way: venv, servers, then this script
    python compare.py --out docs/benchmarks.md
    python compare.py --from-json build/bench-results.json --out docs/benchmarks.md

Needs BENCH_S3_ENDPOINT and BENCH_S3_BUCKET (the request-rate server, also
the HTTPS forward proxy with BENCH_TLS_CA), BENCH_GCS_ENDPOINT,
BENCH_AZURE_ENDPOINT, BENCH_DATA_DIR; optionally BENCH_CROSS_* (third-party
servers for cross-check rows, see CROSS_CHECKS) and BENCH_PROFILE (see
profile()). BENCH_ROUNDS (default 5) and BENCH_WORKLOADS (comma list)
select what runs; the sizes are in workloads.py. Timings are reported, never
asserted.

To add a row: a workload in workloads.WORKLOADS (and its variants), then a
Row below with its targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = HERE / "workloads.py"
MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Target:
    """What a row must show. metric: "speed" (peer time / our time, at
    least bound), "cpu" (our CPU per op / the peer's, at most bound),
    "rss_gib" (the library's peak RSS in GiB, at most bound) or "us" (our
    time per op in µs, at most bound)."""

    metric: str
    bound: float

    def text(self) -> str:
        return {
            "speed": f"speed ≥ {self.bound:.2f}×",
            "cpu": f"CPU ours/peer ≤ {self.bound:.2f}",
            "rss_gib": f"RSS growth ≤ {self.bound:.3f} GiB",
            "us": f"≤ {self.bound:.0f} µs/op",
        }[self.metric]


@dataclass(frozen=True)
class Row:
    """One comparison: our variant against a peer variant of one workload.
    unit is what "per op" means: "req", "call", "key", "chunk" (one operation
    of the workload's count) or "GiB"."""

    section: str
    workload: str
    title: str
    ours: str
    peer: str
    unit: str
    targets: tuple[Target, ...] = ()


def speed(bound: float) -> Target:
    return Target("speed", bound)


def cpu(bound: float) -> Target:
    return Target("cpu", bound)


S3 = "S3, path-style custom endpoint (16 KiB GETs, 64 in flight)"
AWS = "S3 configured as on AWS (virtual-hosted, https, no endpoint; 16 KiB GETs, 64 in flight)"
CLOUDS = "GCS and Azure Blob (16 KiB GETs, 64 in flight)"
SYNC = "Small synchronous calls (MemoryStore, 1 KiB)"
LISTING = "Listing"
LARGE = "Large transfers"
ZARR = "zarr end to end (zarr v3 array, 1,600 chunks of 16 KiB, uncompressed)"
OBSERVE = "Metrics and caching"
OTHER = "Other"
# Each section's short name in the plot's labels.
TAGS = {S3: "S3", AWS: "AWS-style", CLOUDS: "", SYNC: "sync", LISTING: "", LARGE: "", ZARR: "zarr", OBSERVE: "", OTHER: ""}

ROWS = [
    Row(S3, "small_gets", "get_many vs obstore get_async", "ours-get_many", "obstore-async", "req", (speed(1.5), cpu(0.7))),
    Row(S3, "small_gets", "get_async vs obstore get_async", "ours-async", "obstore-async", "req", (speed(1.0), cpu(0.7))),
    Row(S3, "small_gets", "get_many vs s3fs", "ours-get_many", "s3fs-async", "req"),
    Row(AWS, "small_gets_aws", "get_many vs obstore get_async", "ours-get_many", "obstore-async", "req", (cpu(0.5),)),
    Row(AWS, "small_gets_aws", "get_async vs obstore get_async", "ours-async", "obstore-async", "req"),
    # The two below compare our own variants: the peer column is our
    # path-style get_many (plain http, then through the same TLS proxy).
    Row(AWS, "small_gets_aws|small_gets", "get_many: AWS-style vs path-style (ours both)", "ours-get_many", "ours-get_many", "req", (cpu(1.3),)),
    Row(AWS, "small_gets_aws|small_gets_s3tls", "get_many: AWS-style vs path-style over the same https proxy (ours both; the addressing share)", "ours-get_many", "ours-get_many", "req"),
    Row(AWS, "small_gets_s3tls", "path-style over the https proxy: get_many vs obstore get_async", "ours-get_many", "obstore-async", "req"),
    Row(CLOUDS, "small_gets_gcs", "GCS: get_many vs obstore get_async", "ours-get_many", "obstore-async", "req"),
    Row(CLOUDS, "small_gets_gcs", "GCS: get_async vs obstore get_async", "ours-async", "obstore-async", "req"),
    Row(CLOUDS, "small_gets_azure", "Azure: get_many vs obstore get_async", "ours-get_many", "obstore-async", "req"),
    Row(CLOUDS, "small_gets_azure", "Azure: get_async vs obstore get_async", "ours-async", "obstore-async", "req"),
    Row(SYNC, "memory_get", "get().bytes()", "ours", "obstore", "call", (speed(0.5),)),
    Row(SYNC, "memory_put", "put()", "ours", "obstore", "call", (speed(0.5),)),
    Row(SYNC, "memory_head", "head()", "ours", "obstore", "call", (speed(0.5),)),
    Row(SYNC, "memory_get_range", "get_range() of 512 bytes", "ours", "obstore", "call", (speed(0.5),)),
    Row(LISTING, "list", "list 100,000 keys, dicts: list(prefix).collect()", "ours", "obstore", "key", (speed(1.3),)),
    Row(LISTING, "list_arrow", "list 100,000 keys, Arrow: list(prefix, return_arrow=True).collect()", "ours", "obstore", "key", (speed(2.0),)),
    Row(LISTING, "list_memory", "MemoryStore: list 100,000 keys, dicts", "ours", "obstore", "key", (speed(1.3),)),
    Row(LISTING, "list_arrow_memory", "MemoryStore: list 100,000 keys, Arrow", "ours", "obstore", "key", (speed(2.0),)),
    Row(LARGE, "big_get", "1 GiB GET", "ours", "obstore", "GiB", (speed(1.2), cpu(0.8), Target("rss_gib", 1 + 64 / 1024))),
    Row(LARGE, "big_put", "1 GiB multipart PUT", "ours", "obstore", "GiB", (speed(1.2), cpu(0.8))),
    Row(LARGE, "local_read", "LocalStore 256 MiB get().bytes()", "ours", "obstore", "GiB", (speed(1.0),)),
    Row(LARGE, "local_read", "LocalStore 256 MiB: vs file.readinto(preallocated bytearray)", "ours", "readinto", "GiB", (speed(0.9),)),
    Row(LARGE, "local_read", "LocalStore 256 MiB: get().readinto(preallocated bytearray) vs file.readinto", "ours-readinto", "readinto", "GiB"),
    Row(ZARR, "zarr_read", "read: objstore.zarr.ZarrStore vs zarr's ObjectStore over obstore", "ours", "obstore", "chunk", (speed(2.0),)),
    Row(ZARR, "zarr_read", "read: objstore.zarr.ZarrStore vs zarr's FsspecStore over s3fs", "ours", "s3fs", "chunk"),
    Row(ZARR, "zarr_write", "write: objstore.zarr.ZarrStore vs zarr's ObjectStore over obstore", "ours", "obstore", "chunk"),
    Row(ZARR, "zarr_write", "write: objstore.zarr.ZarrStore vs zarr's FsspecStore over s3fs", "ours", "s3fs", "chunk"),
    # Metrics are always on: their cost per small GET is the peer (the same
    # variant with OBJSTORE_METRICS=off) over ours, at most 2 %.
    Row(OBSERVE, "small_gets", "metrics on vs off: get_many, 16 KiB GETs (ours both)", "ours-get_many", "ours-get_many-nometrics", "req", (speed(0.98),)),
    Row(OBSERVE, "memory_get", "metrics on vs off: MemoryStore get().bytes() (ours both)", "ours", "ours-nometrics", "call", (speed(0.98),)),
    Row(OBSERVE, "cached_reread", "MinIO, 256 KiB re-reads: CachingStore vs MinIO direct (ours both)", "ours-cache", "ours", "req"),
    Row(OBSERVE, "cached_reread", "MinIO, 256 KiB re-reads: CachingStore vs obstore get", "ours-cache", "obstore", "req"),
    Row(OTHER, "pickle", "pickle + unpickle S3Store", "ours", "obstore", "call", (Target("us", 50.0),)),
    Row(OTHER, "get_ranges", "get_ranges, 100 ranges of one object", "ours", "obstore", "call"),
]


def sides(row: Row) -> tuple[tuple[str, str], tuple[str, str]]:
    """(workload, variant) of our side and of the peer's: a row's workload
    "A|B" takes our variant from workload A and the peer's from B."""
    ours_w, _, peer_w = row.workload.partition("|")
    return (ours_w, row.ours), (peer_w or ours_w, row.peer)


def find(workload: str, ours: str, peer: str) -> Row:
    return next(r for r in ROWS if (r.workload, r.ours, r.peer) == (workload, ours, peer))


# Third-party servers that cross-check the in-repo responder's rows (small
# reads only: they are much slower). Each: (name, service, the prefix of the
# BENCH_CROSS_*_ENDPOINT / _BUCKET variables run.sh sets, rows).
CROSS_CHECKS = [
    ("gofakes3", "s3", "BENCH_CROSS_GOFAKES3", [find("small_gets", "ours-get_many", "obstore-async")]),
    ("fake-gcs-server", "gcs", "BENCH_CROSS_FAKEGCS", [find("small_gets_gcs", "ours-get_many", "obstore-async")]),
    ("Azurite", "azure", "BENCH_CROSS_AZURITE", [find("small_gets_azure", "ours-get_many", "obstore-async")]),
]


def run_one(workload: str, variant: str, env: dict, timeout: float) -> dict:
    """Runs one workload in a fresh process, reaping it with wait4 so that
    its own peak RSS (ru_maxrss, KiB on Linux) is known exactly."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, str(WORKER), workload, variant], stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = None
    if result is None or returncode != 0 and "wall" not in result:
        return {"error": f"exit {returncode}: {stderr.strip()[-800:]}"}
    if returncode != 0:
        # It measured and reported, then died on the way out: the
        # measurement stands, and the report says which run did this.
        result["exit"] = f"exit {returncode} after reporting: {stderr.strip()[-300:]}"
    result["maxrss"] = usage.ru_maxrss * 1024
    return result


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def per_op(value: float, result: dict, unit: str) -> float:
    """value (seconds) per unit of work."""
    if unit == "GiB":
        return value / (result["bytes"] / GiB)
    return value / result["ops"]


def summarize(runs: list[dict], unit: str) -> dict | None:
    runs = [r for r in runs if "wall" in r]
    if not runs:
        return None
    walls = [per_op(r["wall"], r, unit) for r in runs]
    cpus = [per_op(r["cpu"], r, unit) for r in runs]
    growth = [r["maxrss"] - r["rss_before"] for r in runs if "rss_before" in r]
    return {
        "wall": (statistics.median(walls), min(walls), max(walls)),
        "cpu": statistics.median(cpus),
        "rss": max(r["maxrss"] for r in runs),
        "rss_growth": max(growth) if growth else None,
        "runs": len(runs),
    }


def why_missing(runs: list[dict]) -> str:
    for r in runs:
        if "unavailable" in r:
            return "not available: " + r["unavailable"]
        if "error" in r:
            return "failed: " + r["error"].splitlines()[-1][:200]
    return "not run"


def check(target: Target, speed_ratio: float, cpu_ratio: float, ours: dict) -> tuple[str, bool]:
    """(what was measured, whether it meets the target)."""
    if target.metric == "speed":
        return f"{speed_ratio:.2f}×", speed_ratio >= target.bound
    if target.metric == "cpu":
        return f"{cpu_ratio:.2f}", cpu_ratio <= target.bound
    if target.metric == "rss_gib":
        # The library's share: peak RSS less the process's RSS just before
        # the operation (Python, imports, the library's code).
        base = ours["rss_growth"] if ours["rss_growth"] is not None else ours["rss"]
        return f"{base / GiB:.3f} GiB", base / GiB <= target.bound
    us = ours["wall"][0] * 1e6
    return f"{us:.1f} µs", us <= target.bound


HEADER = [
    "| row | ours: time/op, median [min–max] | peer: time/op | speed ours/peer | CPU/op ours | CPU/op peer | CPU ours/peer | peak RSS ours / peer | target | measured | result |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]


def table(results: dict, rows: list[Row], server: str = "") -> tuple[list[str], list[dict]]:
    """The Markdown lines of rows, by section, and the points to plot;
    server names the cross-check server the results are from."""
    lines: list[str] = []
    points = []
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines += ["", f"### {section}" + (f" — cross-check on {server}" if server else ""), "", *HEADER]
        ours_key, peer_key = sides(row)
        ours = summarize(results.get(ours_key, []), row.unit)
        peer = summarize(results.get(peer_key, []), row.unit)
        label = f"{row.title} ({row.ours} / {row.peer})"
        if ours is None or peer is None:
            missing = ours_key if ours is None else peer_key
            why = why_missing(results.get(missing, []))
            goals = "<br>".join(t.text() for t in row.targets) or "—"
            lines.append(f"| {label} | — | — | — | — | — | — | — | {goals} | — | {missing[1]} {why} |")
            continue
        speed_ratio = peer["wall"][0] / ours["wall"][0]
        cpu_ratio = ours["cpu"] / peer["cpu"] if peer["cpu"] > 0 else float("nan")
        checks = [(t, *check(t, speed_ratio, cpu_ratio, ours)) for t in row.targets]
        w, pw = ours["wall"], peer["wall"]
        u = row.unit
        lines.append(
            f"| {label} | {fmt_time(w[0])}/{u} [{fmt_time(w[1])}–{fmt_time(w[2])}] "
            f"| {fmt_time(pw[0])}/{u} [{fmt_time(pw[1])}–{fmt_time(pw[2])}] | **{speed_ratio:.2f}×** "
            f"| {fmt_time(ours['cpu'])} | {fmt_time(peer['cpu'])} | {cpu_ratio:.2f} "
            f"| {ours['rss'] / MiB:.0f} / {peer['rss'] / MiB:.0f} MiB "
            f"| {'<br>'.join(t.text() for t, _, _ in checks) or '—'} "
            f"| {'<br>'.join(m for _, m, _ in checks) or '—'} "
            f"| {'<br>'.join('**met**' if ok else '**missed**' for _, _, ok in checks) or '—'} |"
        )
        tag = f"{TAGS[row.section]}: " if TAGS[row.section] else ""
        points.append({"title": f"{tag}{row.title}" + (f" [{server}]" if server else ""), "speed": speed_ratio, "cpu": cpu_ratio})
    return lines, points


def plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = [p["title"] if len(p["title"]) < 80 else p["title"][:77] + "…" for p in points]
    speeds = [p["speed"] for p in points]
    efficiency = [1 / p["cpu"] if p["cpu"] and p["cpu"] == p["cpu"] else 0 for p in points]
    y = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(14, 0.42 * len(labels) + 1.8))
    ax.barh(y - 0.2, speeds, height=0.38, label="speed: peer time / our time", color="#2f6db5")
    ax.barh(y + 0.2, efficiency, height=0.38, label="CPU efficiency: peer CPU / our CPU", color="#e08a1e")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ratio (log scale; > 1: libobjstore better)")
    ax.set_title("libobjstore vs peers (median of rounds, same machine, same servers)")
    ax.legend(loc="lower right", fontsize=8)
    for yi, v in zip(y, speeds):
        ax.text(v, yi - 0.2, f" {v:.2f}×", va="center", fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def unpickle_check(env: dict) -> str:
    """Unpickles an S3Store in a fresh process and reports whether that
    loaded the shared library."""
    code = (
        "import pickle, sys; sys.path.insert(0, %r); import workloads; "
        "blob = pickle.dumps(workloads.ours_s3()); "
        "import subprocess; "
        "child = 'import pickle, sys; s = pickle.loads(sys.stdin.buffer.read()); "
        "from objstore import _ffi; "
        "maps = open(\"/proc/self/maps\").read(); "
        "print(_ffi.is_loaded(), \"libobjstore\" in maps, type(s).__name__)'; "
        "print(subprocess.run([sys.executable, '-c', child], input=blob, capture_output=True).stdout.decode().strip())"
    ) % str(HERE)
    # The parent builds the store (which may load the library); only the
    # child matters, and it only unpickles.
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return r.stdout.strip() or r.stderr.strip()[-300:]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def setup(env: dict, name: str, service: str = "s3", what: str = "all") -> None:
    log(f"setup on {name}: writing the shared objects ({what})")
    r = subprocess.run([sys.executable, str(WORKER), "setup", service, what], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"setup failed: {r.stderr[-2000:]}")
    log(f"setup done: {r.stdout.strip()}")


def run_rounds(rows: list[Row], rounds: int, env_of, timeout: float, tag: str = "") -> dict:
    """Every (workload, variant) the rows need, once per round, the order
    of each workload's variants rotating from round to round."""
    variants: dict[str, list[str]] = {}
    for row in rows:
        for workload, variant in sides(row):
            if variant not in variants.setdefault(workload, []):
                variants[workload].append(variant)
    results: dict[tuple, list[dict]] = {}
    for rnd in range(rounds):
        for workload, vs in variants.items():
            for v in vs[rnd % len(vs):] + vs[: rnd % len(vs)]:
                runs = results.setdefault((workload, v), [])
                if runs and ("unavailable" in runs[0] or "error" in runs[0]):
                    continue
                r = run_one(workload, v, env_of(workload, v), timeout)
                runs.append(r)
                brief = {k: (round(x, 4) if isinstance(x, float) else x) for k, x in r.items()}
                log(f"{tag}round {rnd + 1}/{rounds} {workload} {v}: {brief}")
    return results


def profile(env: dict, spec: str, timeout: float) -> dict:
    """BENCH_PROFILE=WORKLOAD:VARIANT[,...] with BENCH_PROFILE_LIBRARY (the
    library built with -tags objstore_pprof): one more run of each with
    OBJSTORE_CPUPROFILE set; returns each profile's `go tool pprof -top`,
    by own time and by cumulative time."""
    out = {}
    lib = env.get("BENCH_PROFILE_LIBRARY", "")
    for item in filter(None, spec.split(",")):
        workload, variant = item.split(":")
        path = Path("build/profiles") / f"{workload}-{variant}.pprof"
        path.parent.mkdir(parents=True, exist_ok=True)
        e = {**env, "OBJSTORE_LIBRARY": lib, "OBJSTORE_CPUPROFILE": str(path.resolve())}
        r = run_one(workload, variant, e, timeout)
        log(f"profiled {workload} {variant}: {r}")
        tops = {}
        for order, flags in (("top", []), ("cum", ["-cum"])):
            top = subprocess.run(["go", "tool", "pprof", "-top", *flags, "-nodecount=30", lib, str(path)],
                                 capture_output=True, text=True)
            tops[order] = top.stdout or top.stderr
        out[item] = {"run": r, **tops, "file": str(path)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="docs/benchmarks.md")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_RUN_TIMEOUT", 300)))
    ap.add_argument("--results", default="build/bench-results.json", help="raw results written here")
    ap.add_argument("--from-json", help="only re-render the report (and plot) from raw results written earlier")
    args = ap.parse_args()
    if args.from_json:
        write_report(Path(args.out), json.loads(Path(args.from_json).read_text()))
        return

    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("BENCH_S3_S3FS_COUNT", "2000")
    only = {w for w in env.get("BENCH_WORKLOADS", "").split(",") if w}
    rows = [r for r in ROWS if not only or any(w in only for w, _ in sides(r))]

    def env_of(workload: str, variant: str) -> dict:
        if variant.endswith("-nometrics"):
            return {**env, "OBJSTORE_METRICS": "off"}
        if variant.startswith("s3fs") and workload.startswith("small_gets"):
            # s3fs is ~10x slower per request: fewer requests, same concurrency.
            return {**env, "BENCH_SMALL_COUNT_USED": env["BENCH_S3_S3FS_COUNT"]}
        return env

    started = time.monotonic()
    setup(env, env.get("BENCH_S3_NAME", "s3"))
    results = run_rounds(rows, args.rounds, env_of, args.timeout)

    cross = []
    for name, service, prefix, cross_rows in CROSS_CHECKS:
        if not env.get(prefix + "_ENDPOINT") or (only and not any(r.workload in only for r in cross_rows)):
            continue
        # The third-party server stands in for the in-repo responder: small
        # reads only, fewer of them and fewer rounds (it is much slower).
        e = {**env, "BENCH_S3_BUCKET": env[prefix + "_BUCKET"], "BENCH_SMALL_COUNT": env.get("BENCH_CROSS_COUNT", "2000")}
        e[{"s3": "BENCH_S3_ENDPOINT", "gcs": "BENCH_GCS_ENDPOINT", "azure": "BENCH_AZURE_ENDPOINT"}[service]] = env[prefix + "_ENDPOINT"]
        setup(e, name, service, "small")
        r = run_rounds(cross_rows, max(1, min(args.rounds, int(env.get("BENCH_CROSS_ROUNDS", 3)))),
                       lambda w, v, e=e: e, args.timeout, f"{name} ")
        cross.append({"name": name, "rows": [[x.workload, x.ours, x.peer] for x in cross_rows], "results": flat(r)})

    profiles = profile(env, env.get("BENCH_PROFILE", ""), args.timeout)
    raw = {
        "rounds": args.rounds,
        "env": {k: v for k, v in env.items() if k.startswith("BENCH_")},
        "results": flat(results),
        "cross": cross,
        "profiles": profiles,
        "check": unpickle_check(env),
        "elapsed": time.monotonic() - started,
        "machine": machine(env),
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(raw, indent=1))
    write_report(Path(args.out), raw)


def flat(results: dict) -> dict:
    return {"|".join(k): v for k, v in results.items()}


def unflat(results: dict) -> dict:
    return {tuple(k.split("|")): v for k, v in results.items()}


def machine(env: dict) -> dict:
    import obstore

    def version(mod: str) -> str:
        try:
            return __import__(mod).__version__
        except Exception:
            return "not installed"

    ours = subprocess.run(
        [sys.executable, "-c", "import objstore, objstore._ffi as f; print(objstore.__version__, f.version())"],
        capture_output=True, text=True, env=env,
    )
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return {
        "arch": platform.machine(), "cpus": os.cpu_count(), "kernel": platform.release(),
        "python": platform.python_version(), "obstore": obstore.__version__, "s3fs": version("s3fs"),
        "zarr": version("zarr"), "objstore": ours.stdout.strip() or "?", "load_at_end": round(load, 2),
        "conditions": env.get("BENCH_CONDITIONS", "machine shared with other work (not a quiet run)"),
    }


# What explains the rows, found by profiling (static text: re-check it when
# the code changes; the numbers in the tables above it are the run's own).
NOTES = [
    "## Where the time goes",
    "",
    "- **AWS-style S3.** Configured as on AWS (no endpoint, virtual-hosted), our GET is the same lean, hand-signed"
    " request as on a path-style custom endpoint: the bucket's URL and signing region come from the AWS SDK's endpoint"
    " rules once per store, not per request, and the SDK (its whole middleware stack) takes only what the lean GET"
    " does not handle (conditions, versions, SSE-C, S3 Express, and every answer but 200/206). The row \"path-style"
    " over the same https proxy\" pays the same TLS and proxy costs, so AWS-style ÷ that row is the addressing share,"
    " and that row ÷ plain path-style the TLS share. The Go CPU profile of the AWS-style get_many is at the end"
    " (`BENCH_PROFILE`).",
    "- **GCS.** Our GCS read is one request, as obstore's: the JSON API's media read, whose headers carry the"
    " metadata of the generation served (x-goog-generation, x-goog-hash, x-goog-stored-content-length, Last-Modified,"
    " the HTTP attributes). Only an object with custom metadata (x-goog-meta-* headers lose their keys' case) or a"
    " response missing one of those headers costs a second request, for the metadata of that generation. What"
    " remains above obstore's CPU per request is the Go SDK's request path (the lean S3 GET has no GCS twin yet).",
    "- **zarr write.** Each chunk is one PutObject; a single-request put is sent as one hand-signed request (as the"
    " lean GET), the SDK's middleware only for what that request does not take (errors, refused conditions, SSE).",
    "- **zarr.** zarr reads an array's chunks through at most `async.concurrency` (10) concurrent `get` calls, each"
    " chunk passing through zarr's own tasks, semaphores, gathers and codec pipeline on one event-loop thread. Reading"
    " the benchmark's array (1,600 chunks of 16 KiB) from memory on this machine (best of 8): zarr with its own"
    " MemoryStore 66 µs per chunk (zarr's floor); ZarrStore over an objstore MemoryStore 135 µs with one get_async and"
    " one bytes_async per chunk, 112 µs with the reads of each event-loop turn batched into one get_many (batches of"
    " 10, as zarr's limit allows); zarr's ObjectStore over an obstore MemoryStore 180 µs. Sampled on the loop thread"
    " (py-spy --gil) with batching, the adapter and library are ~18% of the samples, asyncio's task machinery ~37% and"
    " zarr ~35%. With 10 reads in flight a batch's network time and the loop's Python time alternate instead of"
    " overlapping, so a store can gain at most its own share: zarr's floor bounds the read row's ratio.",
    "- **Small synchronous calls.** A small `get().bytes()` is one call into the library (`objstore_get_small`:"
    " body and metadata together in one C block from a per-size free list, no reader); its buffer, when dropped,"
    " waits for 63 more and all are freed in one call (`objstore_buffers_free`); `head()` is one call"
    " (`objstore_head_into`, into per-thread scratch); a small `put()` of bytes one call with the bytes passed in"
    " place and one C `free` of its e_tag. In Go, a small get costs ~0.9 µs and 6 allocations (capi"
    " `BenchmarkSmallCalls`; `TestSmallCallAllocs` fails if the count grows), ~0.7 µs with metrics off; a head"
    " ~0.25 µs. Step by step on 3.11 (thread CPU): the ctypes crossing with its ten arguments adds ~1.1 µs to the"
    " library's 0.9, the result objects (`Bytes` view, buffer owner, `GetResult`) ~1.2 µs, the argument checks and"
    " the call of `get()` itself ~0.6 µs. Sampled with perf on 3.11, a"
    " `get().bytes()` is ~27% library, ~9% ctypes/libffi and ~54% the interpreter running our argument checks and"
    " building the result objects. A compiled extension calling the same C functions was measured and not shipped: it"
    " saves only the ctypes share (0.6–0.9 µs per get on 3.11, 1.2–1.5 µs on 3.14); reaching ≤ 2× obstore needs"
    " `get()`, its result and `bytes()` themselves in compiled code.",
    "- **Metrics on vs off.** On a MemoryStore the counting wrapper costs ~0.2 µs per small get in Go (an 80-byte"
    " operation record its body holds, three monotonic clock reads, two histogram updates) and ~0.12–0.17 µs per"
    " head or put (a memory or local store's operation that ends with its call is not allocated); a store that"
    " sends requests pays one 128-byte record per operation, its calls' context. Invisible on network rows.",
    "- **Large transfers, LocalStore.** A whole body is read into one buffer of the library's; one of 8 MiB or more"
    " is a mapping of its own, populated on another thread a step (8 MiB) ahead of the read, since the kernel's work"
    " per fresh 4 KiB page (~1 µs: memory-cgroup charge, LRU, zeroing) costs as much as copying the bytes (perf, 256"
    " MiB from tmpfs: 61 ms populating, 58 ms reading, 8 ms unmapping). Freed large buffers stay mapped ~2 s (at most"
    " 4 and 1 GiB) and serve the next large read with their pages present: `local_read`'s timed reads find them"
    " there (its untimed warm-up read, like every workload's, paid for them; a process's first 256 MiB read pays"
    " ~60 ms for new pages, as any new buffer does, obstore's on every read);"
    " `get().readinto(buf)` reads into the caller's buffer (the kernel's copy only) and closes it. A multipart `put()`"
    " of a bytes-like uploads its whole parts from the caller's memory (no copy into part buffers); what remains is"
    " the SDK's copy of each part body through a 32 KiB buffer into the socket, CRC32C once, and the kernel's copy.",
    "- **Listing.** ListObjectsV2 pages are parsed by hand straight into the listing's entries (the SDK's"
    " encoding/xml was ~60% of the profile), and the next page is asked for while the current one is handed over;"
    " each batch of entries is built as an Arrow record batch in C memory and crosses once (C Data Interface; dict listings decode the same batches), see docs/listing.md.",
    "",
]


def write_report(out: Path, raw: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    env, m = raw["env"], raw["machine"]
    lines, points = table(unflat(raw["results"]), [r for r in ROWS if any(
        "|".join(s) in raw["results"] for s in sides(r))])
    for c in raw["cross"]:
        more, more_points = table(unflat(c["results"]), [find(*key) for key in c["rows"]], c["name"])
        lines += more
        points += more_points
    png = out.with_suffix(".png")
    plot(points, png)
    server = env.get("BENCH_S3_NAME", "S3 server")
    sizes = {k: v for k, v in sorted(env.items()) if k.startswith("BENCH_") and not any(
        w in k for w in ("ENDPOINT", "BUCKET", "DIR", "_NAME", "_CA", "CROSS_", "PROFILE", "CONDITIONS", "_KEY"))}
    md = [
        "# Benchmarks: libobjstore vs obstore (and s3fs)",
        "",
        "Generated by `make bench` (buildscripts/bench/run.sh → bindings/python/benchmarks/compare.py) from the raw"
        " results it keeps in build/bench-results.json (`compare.py --from-json` renders them again); do not edit by hand."
        " Timings are measurements of one run on one machine, never test assertions.",
        "",
        f"- Conditions: **{m['conditions']}**; 1-minute load average at the end {m['load_at_end']}."
        " CPU per operation is the steadier number when the machine is shared; wall times move with the load.",
        f"- Machine: {m['arch']}, {m['cpus']} CPUs, Linux {m['kernel']}, Python {m['python']}.",
        f"- Versions: obstore {m['obstore']}, s3fs {m['s3fs']}, zarr {m['zarr']}, objstore (Python, library) {m['objstore']}.",
        f"- Server for every S3, GCS and Azure row: **{server}** on 127.0.0.1 (its CPU is not counted): S3 on one port"
        " (also the HTTPS forward proxy of the AWS-style rows), GCS's JSON and XML read APIs and Azure Blob reads on two"
        " more, all over the same objects. Third-party servers cross-check the small reads below.",
        f"- {raw['rounds']} rounds; in each round every workload runs once per variant, each run in a fresh process,"
        " the variants' order rotating from round to round; the tables show medians. Wall time and CPU time (user+sys of"
        " the client process, all its threads) cover only the timed region (after imports, store construction and a"
        " warm-up); peak RSS is the client process's ru_maxrss (wait4), whole process (ours starts ~50 MiB larger: the Go"
        " runtime and library code); the 1 GiB GET's RSS target is on peak RSS minus the RSS just before the GET.",
        f"- Total benchmark time: {raw['elapsed'] / 60:.1f} min. Settings changed from the defaults in workloads.py: `{json.dumps(sizes)}`.",
        "",
        "**speed ours/peer** = the peer's median time per operation ÷ ours (> 1: we are faster)."
        " **CPU ours/peer** = our median client CPU per operation ÷ the peer's (< 1: we use less CPU)."
        " **result** says whether the measured value meets the row's target.",
        "",
        "![ratios](benchmarks.png)",
        "",
        "## Results",
        *lines,
        "",
        *NOTES,
    ]
    died = [f"{w} {v} (round {i + 1}): {r['exit']}" for results in [raw["results"]] + [c["results"] for c in raw["cross"]]
            for (w, v), runs in unflat(results).items() for i, r in enumerate(runs) if "exit" in r]
    if died:
        md += ["## Runs that died after reporting", "", "Their measurements are in the tables; the process then exited"
               " abnormally:", "", *[f"- {d}" for d in died], ""]
    for item, p in raw.get("profiles", {}).items():
        md += [
            f"## Profile: {item}",
            "",
            f"The library built with `-tags objstore_pprof`, one more run with `OBJSTORE_CPUPROFILE` (Go code only; the"
            f" Python side is not in it); the profile is {p['file']}. `go tool pprof -top`, by own time, then by"
            " cumulative time:",
            "",
            "```",
            *p["top"].strip().splitlines()[:40],
            "```",
            "",
            "```",
            *p.get("cum", "").strip().splitlines()[6:40],
            "```",
            "",
        ]
    md += [
        "## Unpickling does not load the library",
        "",
        "A fresh process unpickles an S3Store and reports (library loaded per objstore, libobjstore in /proc/self/maps, type):"
        f" `{raw['check']}`.",
        "",
        "## Workloads",
        "",
        "- Small GETs (`small_gets*`): 10,000 objects of 16 KiB, 64 requests in flight. ours-get_many: one"
        " `objstore.get_many` call; ours-async / obstore-async: `await get_async(...)` then `bytes_async()` under an"
        " asyncio.Semaphore(64); s3fs-async: `_cat_file` under a semaphore (2,000 requests, it is much slower).",
        "- Where they go: **path-style** — S3Store with `endpoint=http://127.0.0.1:PORT` and `allow_http`, as for any"
        " S3-compatible server. **AWS-style** — S3Store configured as an AWS user does: bucket and region, no endpoint,"
        " `virtual_hosted_style_request=True` (object_store's default is path-style on AWS's host), credentials, nothing"
        " else but `client_options={proxy_url, root_certificate}`: requests go to"
        " `https://BUCKET.s3.us-east-1.amazonaws.com` through the server's HTTPS forward proxy (CONNECT), which terminates"
        " TLS with a certificate for that host from a test CA made at start and serves S3 itself; the clients trust that"
        " CA through `root_certificate` and nothing on the system is touched. HTTP/1.1 only, as S3 offers; the client"
        " pays for TLS as it would against AWS. **path-style over the https proxy** — the same proxy and TLS with"
        " `endpoint=https://s3.us-east-1.amazonaws.com` (path-style): the TLS share of the AWS-style cost without its"
        " addressing. **GCS** — GCSStore with the server's GCS port as base URL (obstore: its service-account document"
        " with `gcs_base_url` and OAuth off). **Azure** — AzureStore with account, key and the server's Azure port as"
        " endpoint. fake-gcs-server and Azurite serve only ~600–2,500 such reads per second here (they were the"
        " bottleneck), hence the in-repo responder; the cross-check rows run on them with 2,000 requests.",
        "- `memory_*`: MemoryStore, one 1 KiB object, one synchronous call per operation (`get().bytes()`, `put()`,"
        " `head()`, `get_range(start=256, end=768)`), 20,000 calls.",
        "- `list` / `list_arrow`: `list(prefix, chunk_size=1000).collect()` over 100,000 keys (dicts), and the same with"
        " `return_arrow=True` (an Arrow record batch); `list_memory` / `list_arrow_memory`: the same on a MemoryStore"
        " filled before timing (no server: the libraries' own cost).",
        "- `big_get` / `big_put`: one 1 GiB object: `get().bytes()`; `put()` of a 1 GiB buffer as a multipart upload"
        " (8 MiB parts, 12 in flight, both libraries given the same arguments).",
        "- `local_read`: LocalStore file of 256 MiB on tmpfs, `get().bytes()`, 4 reads per run; readinto:"
        " `open(..., buffering=0).readinto(bytearray)` into a buffer allocated before timing; ours-readinto:"
        " `get().readinto(bytearray)` into such a buffer.",
        "- `zarr_read` / `zarr_write`: a zarr v3 float32 array of 40 × 40 chunks of 64 × 64 (16 KiB each, no compressor),"
        " each chunk one object, zarr's default configuration (`async.concurrency` 10). Read: `zarr.open_array(...)[:]`"
        " of the whole array after a warm-up row; write: `arr[:] = data` over an array created before timing. ours:"
        " `objstore.zarr.ZarrStore(S3Store(...))`; obstore: zarr's `zarr.storage.ObjectStore(obstore S3Store)`; s3fs:"
        " `zarr.storage.FsspecStore(S3FileSystem(asynchronous=True))`. The result is checked against the data.",
        "- `pickle`: `pickle.loads(pickle.dumps(S3Store(...)))` per call.",
        "- `cached_reread`: 32 objects of 256 KiB on MinIO, read once (untimed: fills the cache), then 8 more passes with one synchronous `get(...).bytes()` at a time. ours-cache: `CachingStore(S3Store(...), memory_bytes=\"64MiB\")`; ours: the S3Store itself; obstore: obstore's S3Store. The cache variant fails if the inner store saw more gets than objects.",
        "- `-nometrics` variants: the same workload in a process with `OBJSTORE_METRICS=off` (the library opens stores without the counting wrapper).",
        "- `get_ranges`: 100 ranges of 32 KiB at random offsets of a 128 MiB object, per call (ranges under 1 MiB apart"
        " are merged into one request by both libraries).",
        "",
    ]
    out.write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
