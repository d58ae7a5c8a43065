"""Search benchmark: build rate, peak memory, size, latency and recall, beside SQLite FTS5.

    .venv/bin/python bench/search.py --n 10000
    .venv/bin/python bench/search.py --n 100000 --procs 2

The corpus is synthetic but shaped like the archive: the five document types, text built
from the seed regulations (/work/shared/seeds or --seeds) with the county's towns,
departments, enterprises, people, hazards and dates mixed in. Recall is measured against a
plain substring scan of title + text (what grep would find).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOWNS = ["城关镇", "饶峰镇", "两河镇", "迎丰镇", "池河镇", "后柳镇", "喜河镇", "熨斗镇",
         "云雾山镇", "中池镇", "曾溪镇"]
DEPTS = ["县应急管理局", "县住房和城乡建设局", "县交通运输局", "县市场监督管理局", "县教育体育局",
         "县卫生健康局", "县自然资源局", "县文化和旅游广电局", "县消防救援大队", "县公安局交警大队",
         "县经济贸易局", "县水利局", "县农业农村局", "县林业局", "工业园区管委会"]
FIRMS_A = ["金鑫", "汉江", "秦巴", "宏达", "鑫源", "恒通", "永兴", "安康", "瑞丰", "华泰", "天宇",
           "兴隆", "盛世", "祥和", "明珠", "长青", "富民", "三江", "龙腾", "顺达"]
FIRMS_B = ["矿业", "建材", "化工", "水泥", "物流", "石油", "建筑工程", "食品", "木业", "丝绸",
           "电力", "燃气", "砂石", "烟花爆竹", "商贸"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌海波林峰鹏辉"
POSTS = ["镇长", "副镇长", "局长", "副局长", "总经理", "董事长", "安全总监", "站长"]
HAZARDS = ["消防通道堵塞", "液化气瓶违规存放", "电气线路私拉乱接", "有限空间作业未审批",
           "特种作业人员无证上岗", "安全出口锁闭", "危险化学品储存不规范", "尾矿库排洪设施损坏",
           "高边坡无监测措施", "脚手架搭设不规范", "应急预案未演练", "隐患排查台账缺失",
           "粉尘涉爆场所未清扫", "燃气管道未设置警示标志", "渣土车超载超限", "烟花爆竹违规储存",
           "自建房违规改变用途", "电动自行车违规充电", "劳动防护用品配备不足", "安全培训记录缺失"]
KINDS = ["表扬", "批评", "暗访", "情况"]
TYPES = {"summons": "约谈通知书", "memorandum": "约谈纪要", "feedback": "督查反馈意见",
         "patrol_report": "巡查报告", "bulletin": "通报"}


def seed_sentences(folder: Path) -> list[str]:
    out = []
    for f in sorted(folder.glob("*.txt")):
        for s in re.split(r"(?<=[。；;])|\n", f.read_text("utf-8", errors="replace")):
            s = s.strip()
            if 12 <= len(s) <= 160 and "\ufffd" not in s and "优知文库" not in s:
                out.append(s)
    return out or ["各镇、各部门要切实履行安全生产监管职责，全面排查治理事故隐患。"]


def corpus(n: int, seeds: Path, seed: int = 20210316):
    """Deterministic generator of n archive documents (the archive's dict contract)."""
    rnd = random.Random(seed)
    sentences = seed_sentences(seeds)
    firms = [f"石泉县{a}{b}有限公司" for a in FIRMS_A for b in FIRMS_B]
    person = lambda: rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
    counters: dict = {}
    for i in range(n):
        typ = rnd.choice(list(TYPES))
        date = dt.date(2018, 1, 1) + dt.timedelta(days=rnd.randrange(8 * 365))
        unit = rnd.choice([rnd.choice(TOWNS) + "人民政府", rnd.choice(DEPTS), rnd.choice(firms),
                           rnd.choice(firms)])
        units = [unit] + rnd.sample(TOWNS, rnd.choice((0, 0, 1, 2)))
        persons = [person() for _ in range(rnd.choice((1, 2, 3)))]
        hazards = rnd.sample(HAZARDS, rnd.choice((1, 2, 3)))
        body = rnd.sample(sentences, rnd.randint(8, 30))
        haz = "、".join(hazards)
        if typ == "summons":
            title = f"关于约谈{unit}的通知"
            head = (f"{unit}：\n根据《石泉县安全生产综合监管十项制度》约谈制度有关规定，鉴于你单位存在{haz}等问题，"
                    f"经研究，决定对你单位主要负责人{persons[0]}（{rnd.choice(POSTS)}）进行约谈。现将有关事项通知如下：\n"
                    f"一、约谈时间：{date.year}年{date.month}月{date.day}日上午9时。\n二、约谈地点：县应急管理局三楼会议室。\n")
            tail = f"请于约谈前提交书面整改报告。联系人：{person()}，电话：0915-63{rnd.randint(10000, 99999)}。"
        elif typ == "memorandum":
            title = f"{unit}安全生产约谈纪要"
            head = (f"{date.year}年{date.month}月{date.day}日，县安委办对{unit}进行了安全生产约谈。出席：{'、'.join(persons)}。"
                    f"{persons[0]}汇报了{haz}问题的整改情况。\n")
            tail = "被约谈单位须在约谈后15日内书面报告整改落实情况。"
        elif typ == "feedback":
            title = f"关于对{unit}安全生产督查情况的反馈意见"
            head = f"{date.year}年{date.month}月，县安委会督查组对{unit}安全生产工作进行了督查，发现以下问题：{haz}。\n"
            tail = f"请于{(date + dt.timedelta(days=30)).isoformat()}前完成整改，并将整改结果报县安委办。"
        elif typ == "patrol_report":
            title = f"关于对{unit}开展安全生产巡查的报告"
            head = f"按照县安委会统一部署，巡查组于{date.year}年{date.month}月对{unit}开展了安全生产巡查评估。巡查发现：{haz}。\n"
            tail = "巡查组建议：进一步压实安全生产主体责任，建立隐患排查治理长效机制。"
        else:
            kind = rnd.choice(KINDS)
            title = f"关于{date.year}年安全生产{kind}情况的通报"
            rows = "\n".join(f"{k + 1}. {u}：{rnd.choice(HAZARDS)}，整改{rnd.choice(['已完成', '未完成', '正在整改'])}"
                             for k, u in enumerate(units + rnd.sample(firms, 2)))
            head = f"各镇人民政府，县安委会各成员单位：\n现将近期安全生产{kind}情况通报如下。\n"
            tail = "附件：安全隐患清单\n" + rows
        k = counters[(date.year, typ)] = counters.get((date.year, typ), 0) + 1
        issued = rnd.random() < 0.8
        retention = rnd.choice(["Y", "D30", "D10"])
        aid = f"J021-WS·{date.year}-{retention}-AWB-{i + 1:06d}"
        yield {
            "archive_id": aid,
            "number": f"石安委办〔{date.year}〕{k}号" if issued else rnd.choice(["", f"石政办发〔{date.year}〕{k}号"]),
            "title": title, "text": head + "\n".join(body) + "\n" + tail,
            "type": typ, "type_name": TYPES[typ], "date": date, "units": units, "persons": persons,
            "case_id": f"{date.year}-{typ[:2]}-{k:03d}" if issued else "", "retention": retention,
            "origin": "issued" if issued else "imported", "path": f"archive/{aid}/document.pdf",
        }


# The fixed query set: (docgen query, FTS5 text literals, filters).
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


def _build_child(index_dir, n, seeds, procs, limitmb, out):
    from search.index import rebuild
    t0 = time.perf_counter()
    count = rebuild(index_dir, corpus(n, Path(seeds)), procs=procs, limitmb=limitmb)
    secs = time.perf_counter() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out.put({"count": count, "seconds": secs, "peak_mb": vm_hwm_mb(), "children_peak_mb": kids})


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def sample_literals(docs, k, rnd):
    """Random literal substrings (2–8 chars, at least two CJK) of titles and texts."""
    out = []
    while len(out) < k:
        d = rnd.choice(docs)
        src = d[1] if rnd.random() < 0.2 else d[2]
        L = rnd.randint(2, 8)
        if len(src) < L:
            continue
        i = rnd.randrange(len(src) - L + 1)
        s = src[i:i + L]
        if len(re.findall(r"[\u4e00-\u9fff]", s)) >= 2 and not re.search(r'[\s"“”]', s) \
                and not s.startswith("-") and ":" not in s and "：" not in s:
            out.append(s)
    return out


def fts_build(db_path: Path, n, seeds, out):
    """Child process: build the FTS5 table, report time and peak memory."""
    con = sqlite3.connect(db_path)
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(archive_id UNINDEXED, number, title, text, units, "
                "type UNINDEXED, year UNINDEXED, tokenize='trigram')")
    t0 = time.perf_counter()
    con.executemany("INSERT INTO fts VALUES (?,?,?,?,?,?,?)", (
        (d["archive_id"], d["number"], d["title"], d["text"], "\n".join(d["units"]), d["type"], str(d["date"].year))
        for d in corpus(n, seeds)))
    con.commit()
    con.close()
    out.put({"seconds": time.perf_counter() - t0, "peak_mb": vm_hwm_mb()})


def in_child(target, *args):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    return result


def fts_search(con, literals, filters, limit=20):
    """FTS5 trigram: MATCH for literals of 3+ chars; 2-char literals need LIKE (a full scan)."""
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


def time_cli(ws: Path, query: list[str], runs=5):
    """Wall time of `docgen search` as a fresh process (what an inspector waits for)."""
    code = (
        "import sys, types, importlib.util\n"
        "from pathlib import Path\n"
        "if importlib.util.find_spec('docgen.workspace') is None:\n"
        "    m = types.ModuleType('docgen.workspace'); m.find_root = lambda r: Path(r)\n"
        "    sys.modules['docgen.workspace'] = m\n"
        "import docgen.cli as c\n"
        "c.COMMANDS.setdefault('search', 'docgen.cli.search:search')\n"
        "sys.argv = ['docgen'] + sys.argv[1:]\n"
        "c.main()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code, "--root", str(ws), "search", *query],
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seeds", type=Path, default=Path(os.environ.get("DOCGEN_SEEDS", "/work/shared/seeds")))
    ap.add_argument("--out", type=Path, default=None, help="working folder (default bench/out/search-N)")
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--limitmb", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--recall", type=int, default=300, help="random literal queries for recall")
    ap.add_argument("--no-fts", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the built index, measure queries only")
    a = ap.parse_args()

    from search.query import search
    out = a.out or ROOT / "bench" / "out" / f"search-{a.n}"
    ws = out / "ws"
    index_dir = ws / "archive" / ".index"
    W, F = {}, {}        # whoosh and FTS5 figures for the final table
    say = lambda *x: print(*x, flush=True)
    say(f"corpus: {a.n} documents, seeds from {a.seeds}")

    t0 = time.perf_counter()
    for _ in corpus(a.n, a.seeds):
        pass
    gen = time.perf_counter() - t0
    say(f"corpus generation alone: {gen:.1f} s (subtracted from build rates)")
    if not a.reuse:
        shutil.rmtree(out, ignore_errors=True)
        index_dir.mkdir(parents=True)
        (ws / "office.yaml").write_text("# benchmark workspace\n", "utf-8")
        b = in_child(_build_child, index_dir, a.n, a.seeds, a.procs, a.limitmb)
        W["build"] = f"{b['count'] / (b['seconds'] - gen):.0f} docs/s ({b['seconds']:.0f} s, procs={a.procs})"
        W["peak"] = f"{max(b['peak_mb'], b['children_peak_mb']):.0f} MB per process"
        say(f"whoosh build: {W['build']}; peak RSS builder {b['peak_mb']:.0f} MB, "
            f"largest worker {b['children_peak_mb']:.0f} MB")
    W["size"] = f"{dir_mb(index_dir):.0f} MB"
    from search.index import fold
    docs = [(d["archive_id"], d["title"], d["text"]) for d in corpus(a.n, a.seeds)]
    # Everything the grams field holds, to tell matching errors from intended extra fields.
    indexed = {d["archive_id"]: fold("\n".join([d["archive_id"], d["number"], d["title"], *d["units"],
                                                *d["persons"], d["text"]])) for d in corpus(a.n, a.seeds)}
    text_mb = sum(len((t + x).encode()) for _, t, x in docs) / 2**20
    say(f"whoosh index size: {W['size']} (corpus title+text {text_mb:.0f} MB UTF-8, "
        f"{sum(len(t) + len(x) for _, t, x in docs) / len(docs):.0f} chars/doc)")

    # Latency: each query `repeat` times after one cold run (reported apart).
    first, lat, per = [], [], {}
    for qs, _, _ in QUERIES:
        t0 = time.perf_counter()
        r = search(index_dir, qs, limit=20)
        first.append(time.perf_counter() - t0)
        ts = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            search(index_dir, qs, limit=20)
            ts.append(time.perf_counter() - t0)
        lat += ts
        per[qs] = (r.total, statistics.median(ts) * 1000)
    W["lat"] = f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms"
    say("whoosh per query (median of repeats):")
    for qs, (total, ms) in per.items():
        say(f"  {qs:<32} {total:>7} hits {ms:7.1f} ms")
    say(f"whoosh latency: {W['lat']}, max {pct(lat, 100):.1f} ms (cold first runs p50 {pct(first, 50):.1f} ms)")

    # Recall (and precision) against a substring scan of title + text.
    lits = sample_literals(docs, a.recall, random.Random(7))
    expected = {s: {aid for aid, t, x in docs if s in t or s in x} for s in lits}
    # Matching only (no ranking, no snippets): document numbers, mapped to archive ids once.
    from search.index import read_index
    from search.query import Engine, evaluate, parse
    aid_of = read_index(index_dir, lambda r: {n: f["archive_id"] for n, f in r.iter_docs()})
    missed = extra = wrong = returned = 0
    missing = []
    for s in lits:
        nums = read_index(index_dir, lambda r: (lambda e: e.members(evaluate(e, parse(f'"{s}"'))[0]))(Engine(r)))
        got = {aid_of[n] for n in nums}
        missed += len(expected[s] - got)
        extra += len(got - expected[s])
        wrong += sum(fold(s) not in indexed[aid] for aid in got)
        returned += len(got)
        if expected[s] - got:
            missing.append(s)
    total = sum(map(len, expected.values()))
    W["recall"] = f"{1 - missed / max(1, total):.2%}"
    W["precision"] = f"{1 - wrong / max(1, returned):.2%}"
    say(f"whoosh recall on {len(lits)} random literals (2-8 chars): {W['recall']} of {total} expected hits"
        + (f"; missed e.g. {missing[:5]}" if missing else ""))
    say(f"whoosh precision: {W['precision']} of {returned} hits contain the literal somewhere indexed "
        f"({extra - wrong} more found it in 文号/units/persons/archive id, not title or text)")

    if not a.no_fts:
        db = out / "fts.db"
        db.unlink(missing_ok=True)
        b = in_child(fts_build, db, a.n, a.seeds)
        F["build"] = f"{a.n / max(1e-9, b['seconds'] - gen):.0f} docs/s ({b['seconds']:.0f} s)"
        F["peak"] = f"{b['peak_mb']:.0f} MB"
        F["size"] = f"{db.stat().st_size / 2**20:.0f} MB"
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
        F["lat"] = f"p50 {pct(flat, 50):.1f} ms, p95 {pct(flat, 95):.1f} ms"
        say(f"SQLite {sqlite3.sqlite_version} FTS5 trigram per query (2-char literals by LIKE, a full scan):")
        for qs, (total_q, ms) in per.items():
            say(f"  {qs:<32} {total_q:>7} hits {ms:7.1f} ms")
        missed = missed2 = 0
        for s in lits:
            got = {r[0] for r in con.execute("SELECT archive_id FROM fts WHERE fts MATCH ?", (f'"{s}"',))}
            missed += len(expected[s] - got)
            if len(s) < 3:
                got = {r[0] for r in con.execute("SELECT archive_id FROM fts WHERE title LIKE ? OR text LIKE ?",
                                                 (f"%{s}%", f"%{s}%"))}
            missed2 += len(expected[s] - got)
        F["recall"] = f"{1 - missed2 / max(1, total):.2%} ({1 - missed / max(1, total):.2%} without LIKE)"
        F["precision"] = "100% (exact phrase)"
        con.close()

    med, base = time_cli(ws, ["约谈", "城关镇"])
    W["cli"] = (f"{med * 1000:.0f} ms (python start-up alone {base * 1000:.0f} ms)" if med is not None
                else f"skipped: {base}")
    say(f"docgen search wall time: {W['cli']}")

    rows = [("build rate", "build"), ("peak memory", "peak"), ("index size", "size"),
            ("query latency", "lat"), ("recall vs grep", "recall"), ("precision", "precision"),
            ("`docgen search` wall", "cli")]
    say(f"\n| {a.n} docs | docgen (Whoosh, bigram sets + jieba) | SQLite FTS5 trigram |")
    say("|---|---|---|")
    for label, key in rows:
        say(f"| {label} | {W.get(key, '—')} | {F.get(key, '—')} |")


if __name__ == "__main__":
    main()
