"""Web load test: searches from concurrent clients against `docgen serve` on loopback.

    .venv/bin/python bench/web.py                 # 10,000 archived documents, 200 searches, 10 clients
    .venv/bin/python bench/web.py --n 2000 --requests 100 --clients 5

A synthetic archive of N items (metadata.json and text.txt per item, as the archive stores
them; the texts from bench/search.py's corpus) is written once under bench/out/web-N/ and
indexed with `docgen index rebuild`. The server runs as a separate process (uvicorn, as
`docgen serve` starts it). Bounded: a fixed number of requests to 127.0.0.1 only, each with a
timeout; the server is stopped at the end.

Printed: p50/p95/max latency and throughput of /api/search (the CLI's JSON) and of /search (the
HTML page, with its facet counts), for each number of server processes asked (--workers), beside
the baseline measured in the same run: the same queries through search.backend.search in this
process, one at a time. Searching is CPU-bound Python: one process serves one query at a time,
so with 10 clients a request waits for the others; more worker processes use more cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import http.client
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_module(name: str):
    # bench/search.py shares its name with the search package: load it under another name.
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _search_bench():
    sys.path.insert(1, str(ROOT / "bench"))      # bench/search.py imports bench/corpus.py
    return _bench_module("search")


def build(ws: Path, n: int, seeds: Path, procs: int) -> None:
    """A workspace whose archive holds n items, and its index."""
    corpus = _bench_module("corpus").documents
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(ROOT / "templates", ws / "templates")
    shutil.copy(ROOT / "office.yaml", ws / "office.yaml")
    shutil.copy(ROOT / "rules.yaml", ws / "rules.yaml")
    (ws / "casefiles").mkdir()
    archive = ws / "archive"
    t0 = time.perf_counter()
    for i, doc in enumerate(corpus(n, seeds), 1):
        folder = archive / doc["archive_id"]
        folder.mkdir(parents=True)
        (folder / "text.txt").write_text(doc["text"], encoding="utf-8")
        date: dt.date = doc["date"]
        meta = {"archive_id": doc["archive_id"], "fonds": "J021", "category": "WS", "year": date.year,
                "retention": doc["retention"], "retention_name": {"Y": "永久", "D30": "30年", "D10": "10年"}[doc["retention"]],
                "org_code": "AWB", "item_no": i, "number": doc["number"], "title": doc["title"], "issuer": "",
                "date": date.isoformat(), "type": doc["type"], "type_name": doc["type_name"], "security": "",
                "pages": 2, "units": doc["units"], "persons": doc["persons"], "case_id": doc["case_id"],
                "casefile": "", "document": "", "origin": doc["origin"], "git": None,
                "files": {}, "filed_at": f"{date.isoformat()}T10:00:00+08:00"}
        (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    print(f"archive: {n} items written in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws), "index", "rebuild", "--procs", str(procs)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"index: rebuilt in {time.perf_counter() - t0:.0f} s", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(ws: Path, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(ws), "serve", "--port", str(port),
                               "--read-only", "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "DOCGEN_USERS": str(ws / "users.json")})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start: " + server.stderr.read().decode(errors="replace")[-500:])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def load(port: int, paths: list[str], clients: int) -> tuple[list[float], float]:
    """Every path requested once, by `clients` threads each with its own keep-alive connection."""
    import threading

    local = threading.local()

    def get(path: str) -> float:
        conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local.conn = conn
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return time.perf_counter() - t0

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(clients) as pool:
        times = list(pool.map(get, paths))
    return times, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000, help="archived documents")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--procs", type=int, default=2, help="processes for the index rebuild")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="server processes, one run each")
    ap.add_argument("--seeds", type=Path, default=Path(os.environ.get("DOCGEN_SEEDS", "/work/shared/seeds")))
    ap.add_argument("--rebuild", action="store_true", help="write the archive and index again")
    a = ap.parse_args()

    ws = ROOT / "bench" / "out" / f"web-{a.n}"
    if a.rebuild or not (ws / "archive" / ".index").is_dir():
        build(ws, a.n, a.seeds, a.procs)
    queries = [q for q, _, _ in _search_bench().QUERIES]
    chosen = [queries[i % len(queries)] for i in range(a.requests)]

    from search.backend import search
    base = []
    for q in chosen:
        t0 = time.perf_counter()
        search(ws / "archive" / ".index", q, limit=20)
        base.append(time.perf_counter() - t0)

    ms = lambda v: f"{v * 1000:6.1f} ms"  # noqa: E731
    rows = [("baseline: search.backend.search, 1 at a time", base, sum(base))]
    for workers in a.workers:
        port = free_port()
        server = start(ws, port, workers)
        try:
            load(port, ["/search?" + urlencode({"q": q}) for q in queries], a.clients)  # every worker warm
            api, api_wall = load(port, ["/api/search?" + urlencode({"q": q}) for q in chosen], a.clients)
            html, html_wall = load(port, ["/search?" + urlencode({"q": q}) for q in chosen], a.clients)
        finally:
            server.terminate()
            server.wait(timeout=20)
        rows += [(f"GET /api/search, {workers} worker(s)", api, api_wall),
                 (f"GET /search page, {workers} worker(s)", html, html_wall)]

    load1, _, _ = os.getloadavg()
    print(f"\n{a.n} archived documents, {a.requests} searches, {a.clients} concurrent clients, "
          f"{len(queries)} distinct queries, {os.cpu_count()} cores, load average {load1:.1f}")
    print(f"{'':38} {'p50':>9} {'p95':>9} {'max':>9}  throughput")
    for label, times, wall in rows:
        goal = "" if label.startswith("baseline") else ("  p95 goal 200 ms met" if pct(times, 95) <= 0.2
                                                         else "  p95 goal 200 ms NOT met")
        print(f"{label:38} {ms(pct(times, 50))} {ms(pct(times, 95))} {ms(max(times))}  "
              f"{len(times) / wall:5.1f}/s{goal}")
    print(f"median of one query alone {statistics.median(base) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
