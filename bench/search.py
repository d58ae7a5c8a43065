"""Search benchmark: build rate, peak memory, size, latency, precision and recall — docgen's
Whoosh index and SQLite FTS5 (trigram) side by side, on the same corpus, in one run.

    .venv/bin/python bench/search.py --n 10000
    nice .venv/bin/python bench/search.py --n 100000

The corpus (bench/corpus.py) is synthetic but shaped like a county archive: notices of the
five types from the seed regulations, 文号 of several offices that share their pieces and
are cited in other documents, towns, departments, enterprises, people, hazards.

Precision and recall are measured against grep: a plain substring scan of every indexed
field, line by line, after the documented folding (full-width → half-width, Latin lower
case, a 文号's year bracket → 〔〕). FTS5 is asked for the same literals as they were typed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import default_seeds, documents  # noqa: E402  (bench/ is the script's folder)

# (query as typed, the literals FTS5 is given, filters). Literals of fewer than three
# characters cannot use FTS5's trigram index: it falls back to LIKE, a full scan.
QUERIES = [
    ("约谈", ["约谈"], {}),
    ("隐患", ["隐患"], {}),
    ("整改", ["整改"], {}),
    ("巡查", ["巡查"], {}),
    ("城关镇", ["城关镇"], {}),
    ("石泉县汉江化工有限公司", ["石泉县汉江化工有限公司"], {}),
    ("云雾山镇", ["云雾山镇"], {}),
    ("王伟", ["王伟"], {}),
    ('"有限空间作业未审批"', ["有限空间作业未审批"], {}),
    ('"安全生产责任制"', ["安全生产责任制"], {}),
    ("液化气瓶违规存放 城关镇", ["液化气瓶违规存放", "城关镇"], {}),
    ("石安委办〔2021〕16号", ["石安委办〔2021〕16号"], {}),
    ("石安委办(2021)16号", ["石安委办(2021)16号"], {}),
    ("约谈通知书", ["约谈通知书"], {}),
    ("约谈 unit:城关镇 year:2021", ["约谈"], {"unit": "城关镇", "year": "2021"}),
    ("消防 type:bulletin", ["消防"], {"type": "bulletin"}),
    ("隐患 year:2023", ["隐患"], {"year": "2023"}),
    ("约谈 OR 通报", None, {}),
    ("隐患 -消防", None, {}),
]


def vm_hwm_mb() -> float:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(target, *args):
    """Run target(*args, queue) in a forked process: its own peak memory, nothing shared."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    return result


def _build(index_dir, n, seeds, procs, out):
    from search.index import rebuild
    t0 = time.perf_counter()
    count = rebuild(index_dir, documents(n, seeds), procs=procs)
    secs = time.perf_counter() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out.put({"count": count, "seconds": secs, "peak_mb": vm_hwm_mb(), "children_peak_mb": kids})


def _fts_build(db_path, n, seeds, out):
    con = sqlite3.connect(db_path)
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(archive_id UNINDEXED, number, title, text, units, "
                "persons, type UNINDEXED, year UNINDEXED, tokenize='trigram')")
    t0 = time.perf_counter()
    con.executemany("INSERT INTO fts VALUES (?,?,?,?,?,?,?,?)", (
        (d["archive_id"], d["number"], d["title"], d["text"], "\n".join(d["units"]), "\n".join(d["persons"]),
         d["type"], str(d["date"].year)) for d in documents(n, seeds)))
    con.commit()
    con.close()
    out.put({"seconds": time.perf_counter() - t0, "peak_mb": vm_hwm_mb()})


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def grep_texts(n, seeds):
    """Each document's indexed fields, folded and joined by newlines: the grep truth."""
    from search.analysis import lines
    out = {}
    for d in documents(n, seeds):
        parts = [d["archive_id"], d["number"], d["title"], *d["units"], *d["persons"], d["text"]]
        out[d["archive_id"]] = ("\n".join(ln for part in parts for ln in lines(part)), d["type"])
    return out


def sample_literals(n, seeds, k, rnd):
    """Random literals as inspectors type them: pieces of lines (2–8 characters), 文号 and
    pieces of 文号, digit runs."""
    picked = sorted(rnd.sample(range(n), min(n, k)))
    out, want = [], iter(picked)
    nxt = next(want, None)
    for i, d in enumerate(documents(n, seeds)):
        if i != nxt:
            continue
        nxt = next(want, None)
        r = rnd.random()
        if r < 0.7:
            line = rnd.choice([ln for ln in (d["title"] + "\n" + d["text"]).splitlines() if len(ln) >= 2])
            size = rnd.randint(2, min(8, len(line)))
            i0 = rnd.randrange(len(line) - size + 1)
            s = line[i0:i0 + size].strip()
        elif r < 0.9 and d["number"]:
            a, b = sorted(rnd.sample(range(len(d["number"]) + 1), 2))
            s = d["number"] if rnd.random() < 0.4 else d["number"][a:b]
        else:
            runs = re.findall(r"\d{2,}", d["text"]) or ["2021"]
            s = rnd.choice(runs)[:rnd.randint(2, 6)]
        if len(s) >= 2 and '"' not in s and re.search(r"[\w\u4e00-\u9fff]", s):
            out.append(s)
    return out


def time_cli(ws: Path, query: list[str], runs=5):
    """Wall time of `docgen search` as a fresh process (what an inspector waits for)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws), "search", *query],
                           capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return None, p.stderr.strip()[-300:]
    base = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env)
        base.append(time.perf_counter() - t0)
    return statistics.median(times), statistics.median(base)


def fts_search(con, literals, filters, limit=20):
    """FTS5 trigram: MATCH for literals of 3+ characters; shorter ones need LIKE (a scan)."""
    where, args = [], []
    match = [f'"{s}"' for s in literals if len(s) >= 3]
    if match:
        where.append("fts MATCH ?")
        args.append(" AND ".join(match))
    for s in literals:
        if len(s) < 3:
            where.append("(title LIKE ? OR text LIKE ?)")
            args += [f"%{s}%", f"%{s}%"]
    if "unit" in filters:
        where.append("units LIKE ?")
        args.append(f"%{filters['unit']}%")
    for col in ("type", "year"):
        if col in filters:
            where.append(f"{col} = ?")
            args.append(filters[col])
    w = " AND ".join(where)
    total = con.execute(f"SELECT count(*) FROM fts WHERE {w}", args).fetchone()[0]
    order = "ORDER BY rank" if match else ""
    rows = con.execute(f"SELECT archive_id, snippet(fts, 3, '【', '】', '……', 20) FROM fts "
                       f"WHERE {w} {order} LIMIT {limit}", args).fetchall()
    return total, rows


def fts_literal(con, s):
    if len(s) >= 3:
        q = '"' + s.replace('"', '""') + '"'
        return {r[0] for r in con.execute("SELECT archive_id FROM fts WHERE fts MATCH ?", (q,))}
    like = f"%{s}%"
    return {r[0] for r in con.execute(
        "SELECT archive_id FROM fts WHERE archive_id LIKE ? OR number LIKE ? OR title LIKE ? OR "
        "text LIKE ? OR units LIKE ? OR persons LIKE ?", (like,) * 6)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seeds", type=Path, default=Path(os.environ.get("DOCGEN_SEEDS") or default_seeds()))
    ap.add_argument("--out", type=Path, default=None, help="working folder (default bench/out/search-N)")
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2], help="build with each of these")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--literals", type=int, default=300, help="random literals for precision and recall")
    ap.add_argument("--no-fts", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the built index, measure queries only")
    a = ap.parse_args()

    from search.analysis import fold
    from search.backend import search
    from search.source import declared_types
    out = a.out or ROOT / "bench" / "out" / f"search-{a.n}"
    ws = out / "ws"
    index_dir = ws / "archive" / ".index"
    types = declared_types(ROOT)
    W, F = {}, {}        # docgen and FTS5 figures for the final table
    say = lambda *x: print(*x, flush=True)
    say(f"corpus: {a.n} documents, seeds from {a.seeds}")

    t0 = time.perf_counter()
    chars = sum(len(d["text"]) + len(d["title"]) for d in documents(a.n, a.seeds))
    gen = time.perf_counter() - t0
    say(f"corpus generation alone: {gen:.1f} s (subtracted from build rates); "
        f"{chars / a.n:.0f} characters of title and text a document")

    if not a.reuse:
        shutil.rmtree(out, ignore_errors=True)
        (ws / "archive").mkdir(parents=True)
        shutil.copy(ROOT / "office.yaml", ws)
        shutil.copytree(ROOT / "templates", ws / "templates", ignore=shutil.ignore_patterns("*.docx"))
        for d in documents(a.n, a.seeds):   # item folders: the index's catch-up check lists them
            (ws / "archive" / d["archive_id"]).mkdir()
        builds = []
        for procs in a.procs:
            b = in_child(_build, index_dir, a.n, a.seeds, procs)
            rate = b["count"] / (b["seconds"] - gen)
            peak = max(b["peak_mb"], b["children_peak_mb"])
            builds.append(f"{rate:.0f} docs/s with {procs} process{'es' if procs > 1 else ''} "
                          f"({b['seconds']:.0f} s, peak {peak:.0f} MB a process)")
            say(f"docgen build: {builds[-1]}")
        W["build"] = "; ".join(builds)
    W["size"] = f"{dir_mb(index_dir):.0f} MB"
    say(f"docgen index size: {W['size']}")
    db = out / "fts.db"
    if not a.no_fts:        # built before the grep truth is loaded: its peak is its own
        db.unlink(missing_ok=True)
        b = in_child(_fts_build, db, a.n, a.seeds)
        F["build"] = f"{a.n / max(1e-9, b['seconds'] - gen):.0f} docs/s ({b['seconds']:.0f} s, peak {b['peak_mb']:.0f} MB)"
        F["size"] = f"{db.stat().st_size / 2**20:.0f} MB"
        say(f"FTS5 build: {F['build']}, size {F['size']}")

    # Latency: each query once (first, reported apart), then `repeat` times.
    first, lat, per = [], [], {}
    for qs, _, _ in QUERIES:
        t0 = time.perf_counter()
        r = search(index_dir, qs, limit=20, types=types).as_dict()
        first.append(time.perf_counter() - t0)
        ts = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            search(index_dir, qs, limit=20, types=types).as_dict()
            ts.append(time.perf_counter() - t0)
        lat += ts
        per[qs] = (r["total"], first[-1] * 1000, statistics.median(ts) * 1000)
    # A first run reads the query's posting lists; repeats in the same process (a web server)
    # find them in the reader's cache. Every `docgen search` is a first run.
    W["lat"] = (f"first run p50 {pct(first, 50):.1f} ms, p95 {pct(first, 95):.1f} ms; "
                f"repeated p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms")
    say("docgen per query (20 hits with snippets; first run, then median of repeats):")
    for qs, (total, ms0, ms) in per.items():
        say(f"  {qs:<34} {total:>7} hits {ms0:8.1f} ms {ms:8.1f} ms")
    say(f"docgen latency: {W['lat']}")

    # Precision and recall against grep.
    truth = grep_texts(a.n, a.seeds)
    lits = sample_literals(a.n, a.seeds, a.literals, random.Random(7))
    expected = {}
    for s in lits:
        f = fold(s)
        named = {t for t, name in types.items() if fold(name) == f}
        expected[s] = {aid for aid, (text, typ) in truth.items() if f in text or typ in named}
    got_all, relevant, returned, correct = {}, 0, 0, 0
    for s in lits:
        got = {h.archive_id for h in search(index_dir, f'"{s}"', limit=None, types=types).hits}
        got_all[s] = got
        relevant += len(expected[s])
        returned += len(got)
        correct += len(got & expected[s])
    W["precision"] = f"{correct / max(1, returned):.2%}"
    W["recall"] = f"{correct / max(1, relevant):.2%}"
    wrong = [s for s in lits if got_all[s] != expected[s]]
    say(f"docgen on {len(lits)} random literals ({relevant} expected hits): precision {W['precision']}, "
        f"recall {W['recall']}" + (f"; differ: {wrong[:5]}" if wrong else ""))

    if not a.no_fts:
        con = sqlite3.connect(db)
        flat, per = [], {}
        for qs, lits_q, filters in QUERIES:
            if lits_q is None:
                continue
            fts_search(con, lits_q, filters)
            ts = []
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                total_q, _ = fts_search(con, lits_q, filters)
                ts.append(time.perf_counter() - t0)
            flat += ts
            per[qs] = (total_q, statistics.median(ts) * 1000)
        F["lat"] = f"p50 {pct(flat, 50):.1f} ms, p95 {pct(flat, 95):.1f} ms (no OR/NOT queries)"
        say(f"SQLite {sqlite3.sqlite_version} FTS5 trigram per query (literals under 3 characters by LIKE, a scan):")
        for qs, (total_q, ms) in per.items():
            say(f"  {qs:<34} {total_q:>7} hits {ms:8.1f} ms")
        relevant = returned = correct = 0
        for s in lits:
            got = fts_literal(con, s)
            relevant += len(expected[s])
            returned += len(got)
            correct += len(got & expected[s])
        F["precision"] = f"{correct / max(1, returned):.2%}"
        F["recall"] = f"{correct / max(1, relevant):.2%}"
        say(f"FTS5 on the same literals: precision {F['precision']}, recall {F['recall']} "
            "(no width or 文号 folding, no 文种 names)")
        con.close()

    med, base = time_cli(ws, ["约谈", "城关镇"])
    W["cli"] = (f"{med * 1000:.0f} ms (Python start-up alone {base * 1000:.0f} ms)" if med is not None
                else f"failed: {base}")
    say(f"docgen search wall time: {W['cli']}")

    rows = [("build rate", "build"), ("index size", "size"), ("query latency", "lat"),
            ("precision vs grep", "precision"), ("recall vs grep", "recall"), ("`docgen search` wall", "cli")]
    say(f"\n| {a.n} documents | docgen (Whoosh, positional bigrams) | SQLite FTS5 trigram |")
    say("|---|---|---|")
    for label, key in rows:
        say(f"| {label} | {W.get(key, '—')} | {F.get(key, '—')} |")


if __name__ == "__main__":
    main()
