"""The search package: recall as grep, ranking, filters, syntax, self-repair, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from docgen.errors import DocgenError
from search import index as si
from search.query import highlight, parse, search

ROOT = Path(__file__).resolve().parent.parent

TOWNS = ["城关镇", "饶峰镇", "两河镇", "迎丰镇", "池河镇", "云雾山镇"]
DEPTS = ["县应急管理局", "县交通运输局", "县住房和城乡建设局", "县市场监督管理局"]
FIRMS = ["石泉县汉江鑫磊矿业有限公司", "石泉县秦巴建材有限公司", "石泉县恒通物流有限公司"]
NAMES = ["张三", "李四", "欧阳铎", "王建国", "赵秀英"]
HAZARDS = ["消防通道堵塞", "液化气瓶违规存放", "有限空间作业未审批", "电气线路私拉乱接",
           "尾矿库排洪设施损坏", "特种作业人员无证上岗"]
SENTENCES = [
    "各镇人民政府要切实履行属地监管职责，全面排查治理事故隐患。",
    "县安委办（县应急管理局）负责督办联席会议议定事项。",
    "被约谈单位应在约谈后15日内将整改落实情况书面报告县安委办。",
    "巡查组由县安委会成员单位领导干部和有关专家组成，每组5-7人。",
    "对发现的重大事故隐患实行挂牌督办，整改完成后验收销号。",
    "企业要落实安全生产主体责任，建立健全全员安全生产责任制。",
    "督查组采取明查暗访、随机抽查等方式开展督查检查。",
    "请于2021年6月30日前将整改情况报送至县安委办，联系电话0915-6321234。",
    "附件为PDF格式的隐患清单，请各单位对照整改。",
    "党政同责、一岗双责、齐抓共管、失职追责。",
]
TYPES = {"summons": "约谈通知书", "bulletin": "通报", "feedback": "督查反馈意见"}


def make_doc(i: int, rnd: random.Random) -> dict:
    typ = rnd.choice(list(TYPES))
    date = dt.date(2019, 1, 1) + dt.timedelta(days=rnd.randrange(4 * 365))
    unit = rnd.choice(TOWNS + DEPTS + FIRMS)
    unit = unit + "人民政府" if unit in TOWNS else unit
    hazard = rnd.choice(HAZARDS)
    title = {"summons": f"关于约谈{unit}的通知", "bulletin": f"关于{date.year}年安全生产检查情况的通报",
             "feedback": f"关于对{unit}督查情况的反馈意见"}[typ]
    text = f"{unit}：\n经查，你单位存在{hazard}等问题，责任人{rnd.choice(NAMES)}。\n" + \
        "".join(rnd.sample(SENTENCES, 4))
    return {"archive_id": f"J021-WS·{date.year}-D10-AWB-{i:04d}",
            "number": f"石安委办〔{date.year}〕{i}号", "title": title, "text": text,
            "type": typ, "type_name": TYPES[typ], "date": date, "units": [unit],
            "persons": [rnd.choice(NAMES)], "case_id": f"{date.year}-yt-{i:03d}",
            "retention": "D10", "origin": "issued", "path": f"archive/{i}/document.pdf"}


@pytest.fixture(scope="module")
def corpus():
    rnd = random.Random(1)
    return [make_doc(i, rnd) for i in range(1, 151)]


@pytest.fixture(scope="module")
def ix(tmp_path_factory, corpus):
    d = tmp_path_factory.mktemp("ix") / ".index"
    assert si.rebuild(d, corpus) == len(corpus)
    return d


def ids(index_dir, q, **kw):
    return {h.archive_id for h in search(index_dir, q, limit=None, **kw).hits}


def scan(corpus, s):
    f = si.fold
    return {d["archive_id"] for d in corpus if f(s) in f(d["title"]) or f(s) in f(d["text"])}


# --- recall ------------------------------------------------------------------------------

def test_recall_matches_substring_scan(ix, corpus):
    rnd = random.Random(2)
    checked = 0
    while checked < 300:
        d = rnd.choice(corpus)
        src = rnd.choice([d["title"], d["text"]])
        n = rnd.randint(2, 8)
        i = rnd.randrange(max(1, len(src) - n + 1))
        s = src[i:i + n]
        if len(si.CJK_CHAR.findall(s)) < 2 or re.search(r'[\s"“”:：]', s) or s.startswith("-"):
            continue
        expected = scan(corpus, s)
        got = ids(ix, f'"{s}"')
        assert expected <= got, f"{s!r} missed {expected - got}"
        checked += 1


def test_single_characters(ix, corpus):
    for ch in "谈镇隐号县铎":
        assert scan(corpus, ch) <= ids(ix, ch), ch


@pytest.mark.parametrize("q", ["约谈", "城关镇", "石泉县", "饶峰镇", "欧阳铎", "汉江鑫磊",
                               "责任制", "销号", "谈城关", "挂牌督办", "5-7人"])
def test_words_jieba_splits_or_does_not_know(ix, corpus, q):
    expected = scan(corpus, q)
    assert expected and expected <= ids(ix, q)


def test_mixed_chinese_latin_digits(ix, corpus):
    doc = corpus[15]
    assert doc["archive_id"] in ids(ix, doc["number"])                 # 石安委办〔2021〕16号
    assert scan(corpus, "PDF") <= ids(ix, "pdf") == ids(ix, "PDF") == ids(ix, "ＰＤＦ")
    assert scan(corpus, "0915-6321234") <= ids(ix, "0915-6321234")
    assert ids(ix, doc["archive_id"]) >= {doc["archive_id"]}


# --- ranking -----------------------------------------------------------------------------

def _doc(aid, title, text, date, **kw):
    d = {"archive_id": aid, "number": "", "title": title, "text": text, "type": "bulletin",
         "type_name": "通报", "date": date, "units": [], "persons": [], "case_id": "",
         "retention": "D10", "origin": "issued", "path": ""}
    d.update(kw)
    return d


def test_ranking(tmp_path):
    docs = [
        _doc("chars", "情况通报", "发现电车间距过小，尾部有尾矿。", dt.date(2023, 5, 1)),
        _doc("word", "情况通报", "生产车间堆放杂物。", dt.date(2020, 5, 1)),
        _doc("title", "关于生产车间整治的通报", "详见附件。", dt.date(2019, 5, 1)),
        _doc("old-word", "情况通报", "生产车间通道堵塞。", dt.date(2018, 5, 1)),
    ]
    si.rebuild(tmp_path, docs)
    order = [h.archive_id for h in search(tmp_path, "车间").hits]
    # Title first, then whole-word matches newest first, then characters-only.
    assert order == ["title", "word", "old-word", "chars"]
    assert [h.archive_id for h in search(tmp_path, "车间", sort="newest").hits] == \
        ["chars", "word", "title", "old-word"]
    scores = [h.score for h in search(tmp_path, "车间").hits]
    assert scores == sorted(scores, reverse=True)


# --- filters -----------------------------------------------------------------------------

def test_filters(ix, corpus):
    def want(pred, text=""):
        return {d["archive_id"] for d in corpus if pred(d) and text in d["title"] + d["text"]}
    assert ids(ix, "type:summons") == want(lambda d: d["type"] == "summons")
    assert ids(ix, "类型:约谈通知书") == want(lambda d: d["type"] == "summons")
    assert ids(ix, "隐患", type="bulletin") == want(lambda d: d["type"] == "bulletin", "隐患")
    assert ids(ix, "隐患 year:2021") == ids(ix, "隐患", year="2021") == \
        want(lambda d: d["date"].year == 2021, "隐患")
    assert ids(ix, "year:2020-2021") == want(lambda d: d["date"].year in (2020, 2021))
    assert ids(ix, "unit:城关镇") == ids(ix, "", unit="城关镇") == \
        {d["archive_id"] for d in corpus if "城关镇人民政府" in d["units"]}
    assert ids(ix, "", date_from="2020-03-15", date_to="2021-02") == \
        {d["archive_id"] for d in corpus if dt.date(2020, 3, 15) <= d["date"] <= dt.date(2021, 2, 28)}
    c = corpus[3]
    assert ids(ix, f"case:{c['case_id']}") == {c["archive_id"]}
    # Filters alone list newest first; total counts all hits, limit caps the list.
    res = search(ix, "year:2020", limit=5)
    assert res.total == len(want(lambda d: d["date"].year == 2020, "")) and len(res.hits) == 5
    dates = [h.date for h in res.hits]
    assert dates == sorted(dates, reverse=True)
    with pytest.raises(DocgenError, match="晚于"):
        search(ix, "", date_from="2022-01-01", date_to="2021-01-01")
    with pytest.raises(DocgenError, match="日期"):
        search(ix, "", date_from="2021-13-45")


# --- query syntax ------------------------------------------------------------------------

def test_syntax(ix, corpus):
    a, b = scan(corpus, "消防通道堵塞"), scan(corpus, "尾矿库")
    assert ids(ix, "消防通道堵塞 OR 尾矿库") == a | b
    assert ids(ix, "消防通道堵塞 AND 城关镇") == a & scan(corpus, "城关镇")
    assert ids(ix, "消防通道堵塞 -城关镇") == ids(ix, "消防通道堵塞 NOT 城关镇") == a - scan(corpus, "城关镇")
    assert ids(ix, "-城关镇") == {d["archive_id"] for d in corpus} - scan(corpus, "城关镇")
    assert ids(ix, "“党政同责、一岗双责”") == scan(corpus, "党政同责、一岗双责")
    assert ids(ix, '"约谈 后15日"') >= scan(corpus, "约谈后15日")


@pytest.mark.parametrize("q", ['"约谈', "OR 约谈", "约谈 OR", "约谈 NOT", "约谈 -", "约谈 OR -通报",
                               "tpye:summons", "year:20x1", "year:", "，，", "unit:，"])
def test_malformed_queries_explain_in_chinese(ix, q):
    with pytest.raises(DocgenError) as e:
        search(ix, q)
    assert re.search(r"[\u4e00-\u9fff]", str(e.value))


def test_punctuation_and_pairs_apart_do_not_match(tmp_path):
    si.rebuild(tmp_path, [
        _doc("both", "通报", "安全生产，加强管理。", dt.date(2021, 1, 1)),
        _doc("apart", "通报", "加强安全生产。", dt.date(2021, 1, 2)),
        _doc("number", "通报", "依据石安委办〔2021〕16号文件。", dt.date(2021, 1, 3)),
        _doc("other", "通报", "依据石安委办〔2021〕15号，2016号文件。", dt.date(2021, 1, 4)),
    ])
    assert ids(tmp_path, "生产，加强") == {"both"}
    assert ids(tmp_path, "石安委办〔2021〕16号") == {"number"}
    assert ids(tmp_path, "16号") == {"number", "other"}          # "2016号" contains it


def test_progress_is_reported(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr(si, "PROGRESS_EVERY", 50)
    got, notify = _messages()
    si.rebuild(tmp_path, corpus, notify=notify)
    assert got == ["已读入 50 份文件……", "已读入 100 份文件……", "已读入 150 份文件……"]


def test_parse_keeps_literals():
    p = parse('约谈 "城关 镇" 16:00')
    assert p.terms == ["约谈", "城关 镇", "16:00"]


def test_highlight():
    s = highlight("前言。" * 50 + "决定约谈城关镇人民政府主要负责人。", ["约谈", "城关镇"], width=30)
    assert "【约谈城关镇】人民政府" in s and s.startswith("……")   # adjacent matches merge
    assert highlight("abc PDF 文件", ["pdf"], marks=("<mark>", "</mark>")) == "abc <mark>PDF</mark> 文件"
    assert highlight("没有命中", ["约谈"]) == "没有命中"


# --- self-repair -------------------------------------------------------------------------

def _messages():
    got = []
    return got, got.append


def test_missing_index_is_rebuilt_from_source(tmp_path, corpus):
    d = tmp_path / ".index"
    got, notify = _messages()
    res = search(d, "约谈", source=lambda: iter(corpus), notify=notify)
    assert res.total == len(scan(corpus, "约谈")) and "不存在" in got[0] and "重建" in got[-1]


@pytest.mark.parametrize("damage", ["delete", "version", "toc", "garbage:.trm", "truncate:.pst",
                                    "garbage:.pst", "truncate:_stored.col"])
def test_damaged_index_is_rebuilt(tmp_path, corpus, damage):
    d = tmp_path / ".index"
    si.rebuild(d, corpus[:50])
    how, _, suffix = damage.partition(":")
    if how == "delete":
        import shutil
        shutil.rmtree(d)
    elif how == "version":
        (d / si.VERSION_NAME).write_text('{"schema": 0}')
    else:
        files = list(d.glob("*" + (suffix or ".toc")))
        assert files
        for f in files:
            data = f.read_bytes()
            f.write_bytes(data[:len(data) // 3] if how == "truncate" else os.urandom(len(data)))
    got, notify = _messages()
    res = search(d, "安全", source=lambda: iter(corpus), notify=notify)
    assert got and res.total == len(scan(corpus, "安全"))
    assert search(d, "安全").total == res.total        # and it stays repaired


def test_damaged_index_without_source_warns_and_starts_empty(tmp_path):
    d = tmp_path / ".index"
    d.mkdir()
    (d / "_docgen_1.toc").write_bytes(b"junk")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert search(d, "约谈").total == 0
    assert any("docgen index rebuild" in str(x.message) for x in w)


def test_update_and_delete(tmp_path, corpus):
    si.rebuild(tmp_path, corpus[:10])
    doc = dict(corpus[0], title="更正后的标题：尾矿库专项整治")
    si.add_documents(tmp_path, [doc])
    assert si.doc_count(tmp_path) == 10
    assert doc["archive_id"] in ids(tmp_path, "尾矿库专项整治")
    si.delete_documents(tmp_path, [doc["archive_id"]])
    assert si.doc_count(tmp_path) == 9 and not ids(tmp_path, "尾矿库专项整治")


# --- concurrency -------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import datetime as dt, sys
    from search.index import add_documents
    d, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(n):
        add_documents(d, [{"archive_id": f"{tag}-{i}", "title": f"并发写入{tag}", "text": "约谈城关镇",
                             "type": "summons", "date": dt.date(2021, 1, 1 + i % 28), "units": ["城关镇"]}])
""")

READER = textwrap.dedent("""
    import sys, time
    from search.query import search
    end = time.time() + float(sys.argv[2]); n = 0
    while time.time() < end:
        search(sys.argv[1], "约谈 城关镇"); n += 1
    print(n)
""")


def test_concurrent_writers_lose_nothing(tmp_path):
    d = tmp_path / ".index"
    si.rebuild(d, [])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = lambda code, *args: subprocess.Popen([sys.executable, "-c", code, str(d), *args], env=env,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs = [run(WRITER, "a", "25"), run(WRITER, "b", "25"), run(READER, "4")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    assert int(outs[2][0]) > 0                      # searching worked while others wrote
    assert si.doc_count(d) == 50
    assert ids(d, "并发写入") == {f"{t}-{i}" for t in "ab" for i in range(25)}


# --- command line and start-up -----------------------------------------------------------

@pytest.fixture
def cli(monkeypatch, tmp_path, corpus):
    from click.testing import CliRunner

    import docgen.archive
    import docgen.cli as c
    import docgen.workspace
    ws = tmp_path / "ws"
    si.rebuild(ws / "archive" / ".index", corpus)
    # The synthetic corpus stands in for a workspace's archive.
    monkeypatch.setattr(docgen.workspace, "find_root", lambda root: Path(root))
    monkeypatch.setattr(docgen.archive, "iter_documents", lambda root: iter(corpus[:100]))
    runner = CliRunner()
    return lambda *args: runner.invoke(c.cli, ["--root", str(ws), *args])


def test_cli_json(cli, corpus):
    r = cli("search", "约谈", "城关镇", "--json", "--limit", "3")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["total"] == len(scan(corpus, "约谈") & scan(corpus, "城关镇"))
    assert len(data["hits"]) == 3
    assert set(data["hits"][0]) == {"archive_id", "number", "title", "type", "date", "units",
                                    "snippet", "score", "path"}
    assert "【" in data["hits"][0]["snippet"]


def test_cli_text_and_errors(cli):
    r = cli("search", "城关镇", "--year", "2019-2022")
    assert r.exit_code == 0 and "共" in r.output
    r = cli("search", '"约谈')
    assert r.exit_code == 1 and "引号" in r.output


def test_cli_index_rebuild(cli):
    r = cli("index", "rebuild", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["documents"] == 100
    assert json.loads(cli("search", "--json", "--limit", "1").stdout)["total"] == 100


def test_cli_leading_minus_excludes(cli, corpus):
    """`docgen search 隐患 -消防` as typed: the minus word is a query term, not an option."""
    r = cli("search", "隐患", "-消防", "--json", "--limit", "1")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["total"] == len(scan(corpus, "隐患") - scan(corpus, "消防"))


def test_startup_imports_stay_light():
    code = ("import sys, docgen.cli.search; "
            "print('whoosh' in sys.modules, 'jieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_search_does_not_load_jieba(ix):
    code = f"import sys; from search.query import search; search({str(ix)!r}, '约谈'); print('jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.stdout.strip() == "False", out.stderr
