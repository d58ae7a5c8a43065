"""The web application through Starlette's TestClient: every page and JSON twin, who may write,
CSRF, traversal, bad input, and the writes themselves (checked on the files, in git, against
`docgen check` and `docgen due` run on the same workspace)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import stat
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

import websupport as site
from websupport import CLERK, INSPECTOR, PASSWORD, SAMPLE_DAY, cli, cli_json, git


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One workspace with an issued summons, read by every read-only test of this module."""
    return site.build(tmp_path_factory.mktemp("web"))


@pytest.fixture
def fresh(tmp_path):
    """A workspace of its own for a test that writes (nothing issued: no LibreOffice needed)."""
    return site.build(tmp_path, issue=False)


def client(s, **config):
    from docgen.web.app import Config, create_app

    app = create_app(Config(root=s["root"], users=s["users"], today=dt.date.fromisoformat(SAMPLE_DAY), **config))
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def login(c: TestClient, name: str = CLERK, password: str = PASSWORD):
    token = csrf(c, "/login")
    r = c.post("/login", data={"name": name, "password": password, "csrf": token, "next": "/"})
    assert r.status_code == 303, r.text
    return c


def csrf(c: TestClient, url: str) -> str:
    page = c.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def text_of(html: str) -> str:
    """What a reader sees: tags dropped, entities for < > & " undone, blanks collapsed."""
    plain = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&#34;", '"'), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        plain = plain.replace(entity, char)
    return re.sub(r"\s+", " ", plain)


# ---------------------------------------------------------------- inspector pages

def test_overview_counts_what_the_archive_and_deadlines_hold(shared):
    c = client(shared)
    r = c.get("/")
    assert r.status_code == 200
    page = text_of(r.text)
    items = cli_json(shared["root"], "archive", "list")
    due = cli_json(shared["root"], "due", "--on", SAMPLE_DAY)
    assert f"{len(items)} 件归档文件" in page
    assert f"{len(due)} 项未办结期限" in page
    assert f"{sum(d['overdue'] for d in due)} 项已逾期" in page
    assert "关于约谈城关镇人民政府的通知" in page  # recent issues
    listed = cli_json(shared["root"], "blacklist", "--year", "2021", "--on", SAMPLE_DAY)
    assert f"{len(listed)} 家应列入黑名单" in page
    for entry in listed:
        assert entry["unit"] in page


def test_search_page_shows_the_cli_hits_marked_and_linked(shared):
    c = client(shared)
    expected = cli_json(shared["root"], "search", "约谈", "城关镇")
    assert expected["total"] >= 1
    r = c.get("/search", params={"q": "约谈 城关镇"})
    assert r.status_code == 200
    assert f"共 {expected['total']} 份文件" in text_of(r.text)
    for hit in expected["hits"]:
        assert f'href="/items/{hit["archive_id"]}"' in r.text
        assert hit["title"] in r.text
    assert "<mark>约谈</mark>" in r.text
    # each facet's count is what the CLI finds with that filter added
    facets = re.findall(r'<li><a href="[^"]*(type|year)=([^"&]+)[^"]*">[^<]+</a> <span class="muted">(\d+)</span>', r.text)
    assert {name for name, _, _ in facets} == {"type", "year"}
    from urllib.parse import unquote_plus

    for name, value, count in facets:
        narrowed = cli_json(shared["root"], "search", "约谈", "城关镇", f"--{name}", unquote_plus(value))
        assert narrowed["total"] == int(count), (name, value)


def test_search_filters_pagination_and_no_hits(shared):
    c = client(shared)
    r = c.get("/search", params={"q": "约谈", "type": "bulletin"})
    assert r.status_code == 200 and "没有找到符合条件的文件" in r.text
    r = c.get("/search", params={"q": "", "year": "2021", "page": "1"})
    expected = cli_json(shared["root"], "search", "--year", "2021")
    assert f"共 {expected['total']} 份文件" in text_of(r.text)


def test_api_search_is_the_cli_json(shared):
    c = client(shared)
    for query, params in (("约谈 城关镇", {}), ("隐患", {"type": "summons"}), ("", {"year": "2021"})):
        args = [*query.split(), *(x for k, v in params.items() for x in (f"--{k}", v))]
        expected = cli_json(shared["root"], "search", *args)
        r = c.get("/api/search", params={"q": query, **params})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert r.json() == expected


def test_item_page_shows_metadata_pdf_and_verifies(shared):
    c = client(shared)
    meta = shared["items"]["issued"]
    r = c.get(f"/items/{quote(meta['archive_id'])}")
    assert r.status_code == 200
    page = text_of(r.text)
    for value in (meta["archive_id"], meta["number"], meta["title"], "2021年10月29日", "10年", "城关镇人民政府"):
        assert value in page
    assert meta["git"]["commit"] in page
    assert f'href="/items/{meta["archive_id"]}/files/document.pdf"' in r.text
    assert f'src="/items/{meta["archive_id"]}/pages/{meta["pages"]}.png"' in r.text  # every page shown
    pdf = c.get(f"/items/{quote(meta['archive_id'])}/files/document.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-disposition"].startswith("inline")
    docx = c.get(f"/items/{quote(meta['archive_id'])}/files/document.docx", params={"download": "1"})
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert docx.headers["content-disposition"].startswith("attachment")
    png = c.get(f"/items/{quote(meta['archive_id'])}/pages/1.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    verified = c.get(f"/items/{quote(meta['archive_id'])}", params={"verify": "1"})
    assert "与校验清单一致，完好无损" in verified.text


def test_verify_on_the_item_page_names_a_changed_file(fresh):
    c = client(fresh)
    meta = fresh["items"]["imported"]
    text = fresh["root"] / "archive" / meta["archive_id"] / "text.txt"
    text.chmod(stat.S_IRUSR | stat.S_IWUSR)
    text.write_text("被改过的全文", encoding="utf-8")
    r = c.get(f"/items/{quote(meta['archive_id'])}", params={"verify": "1"})
    assert r.status_code == 200
    assert "发现 1 个问题" in r.text and "text.txt：内容已被改动" in text_of(r.text)


def test_api_item_is_archive_show_json(shared):
    c = client(shared)
    for meta in shared["items"].values():
        r = c.get(f"/api/items/{quote(meta['archive_id'])}")
        assert r.status_code == 200
        assert r.json() == cli_json(shared["root"], "archive", "show", meta["archive_id"])


def _block(html: str, tag: str, archive_id: str) -> str:
    """The <li> or <tr> of a list that links to an item."""
    found = [b for b in re.split(f"<{tag}[ >]", html) if f'href="/items/{archive_id}"' in b]
    assert found, archive_id
    return found[0].split(f"</{tag}>")[0]


def test_a_voided_number_is_shown_on_the_item_lists_case_and_json(shared, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(shared["root"], root, symlinks=True)
    voided, other = shared["items"]["issued"], shared["items"]["imported"]
    aid, reason = voided["archive_id"], "发出前发现日期有误，已撤回"
    done = cli(root, "archive", "void", voided["number"], "--reason", reason)
    assert done.exit_code == 0, done.output
    # The truth: the register's own 作废 line, read as CSV.
    import csv

    register = root / "register" / "2021.csv"
    lines = list(csv.reader(register.read_text(encoding="utf-8-sig").splitlines()))
    line_no, line = next((n, r) for n, r in enumerate(lines, 1) if r[0] == "作废")
    assert line[1] == voided["number"] and line[2] == aid and line[9] == reason
    recorded = dt.date.fromisoformat(line[8][:10])
    when = f"{recorded.year}年{recorded.month}月{recorded.day}日"
    c = client({**shared, "root": root})

    page = text_of(c.get(f"/items/{quote(aid)}").text)
    assert f"此件文号 {voided['number']} 已于 {when} 作废。 原因：{reason}（发文登记簿 register/2021.csv 第{line_no}行）" \
        in page
    assert f"登记状态 作废（{line[8][:16].replace('T', ' ')} 登记；原因：{reason}）" in page
    r = c.get(f"/items/{quote(other['archive_id'])}")
    assert "作废" not in text_of(r.text) and "登记状态 导入，有效" in text_of(r.text)

    api = c.get(f"/api/items/{quote(aid)}").json()
    assert api["void"] == {"status": "作废", "number": voided["number"], "reason": reason, "date": line[8][:10],
                           "recorded": line[8], "register": f"register/2021.csv 第{line_no}行"}
    assert api["voided"] == reason and api == cli_json(root, "archive", "show", aid)
    assert c.get(f"/api/items/{quote(other['archive_id'])}").json()["void"] is None

    badge = 'class="badge void"'
    lists = {"/search?year=2021": "li", "/": "li", "/catalog/2021": "tr"}
    for url, tag in lists.items():
        html = c.get(url).text
        assert badge in _block(html, tag, aid), url
        assert badge not in _block(html, tag, other["archive_id"]) and "作废" not in _block(
            html, tag, other["archive_id"]), url
    hit = text_of(_block(c.get("/search", params={"q": "约谈"}).text, "li", aid))
    assert f"文号 {voided['number']} 已于 {when} 作废：{reason}" in hit
    assert f"作废：{reason}（{when}）" in text_of(_block(c.get("/catalog/2021").text, "tr", aid))
    case = text_of(_block(c.get("/cases/2021-yt-001").text, "tr", aid)).replace(" ", "")
    assert "草稿" in case and f"作废原文号{voided['number']}，{when}作废：{reason}" in case
    # Nothing is marked in the workspace where the number stands.
    assert badge not in client(shared).get("/search?year=2021").text


def test_due_page_and_api_are_docgen_due(shared):
    c = client(shared)
    expected = cli_json(shared["root"], "due", "--on", SAMPLE_DAY)
    assert c.get("/api/due", params={"on": SAMPLE_DAY}).json() == expected
    assert c.get("/api/due").json() == expected  # the configured "today"
    within = cli_json(shared["root"], "due", "--on", SAMPLE_DAY, "--within", "7")
    assert c.get("/api/due", params={"on": SAMPLE_DAY, "within": "7"}).json() == within
    r = c.get("/due", params={"on": SAMPLE_DAY})
    page = text_of(r.text)
    assert f"期限事项 {len(expected)} 项" in page
    for d in expected:
        assert d["what"] in page and d["due"] in page
    overdue = [d for d in expected if d["overdue"]]
    assert overdue and f"已逾期{-overdue[0]['days_left']}天" in page


def test_a_broken_casefile_is_named_and_hides_no_deadline(fresh):
    root = fresh["root"]
    path = root / "casefiles" / "2021" / "2021-yt-001" / "case.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("opened: 2021-10-28", "opened: 2021-13-45"),
                    encoding="utf-8")
    expected = json.loads(cli(root, "due", "--json").stdout)["errors"][0]["message"]
    c = client(fresh)
    front = c.get("/")
    assert front.status_code == 200 and "期限和黑名单暂不能计算" in front.text and expected in text_of(front.text)
    listed = c.get("/cases")
    assert listed.status_code == 200 and "2021-yt-001" in listed.text and expected in text_of(listed.text)
    due = c.get("/due")
    assert due.status_code == 400 and expected in text_of(due.text)


def test_case_page_shows_documents_events_deadlines_history(shared):
    c = client(shared)
    status = cli_json(shared["root"], "status", "2021-yt-001", "--on", SAMPLE_DAY)
    r = c.get("/cases/2021-yt-001", params={"on": SAMPLE_DAY})
    assert r.status_code == 200
    page = text_of(r.text)
    for d in status["documents"]:
        assert d["title"] in page
    number = shared["items"]["issued"]["number"]
    assert f"已发文 {number}" in page and "草稿" in page  # summons issued, memorandum not
    assert "2021-11-18 收到城关镇人民政府约谈要求落实情况书面报告" in page
    assert "样例案卷" in page  # the git commit touching the case
    for d in status["deadlines"]:
        assert d["what"] in page


def test_case_bundle_is_a_pdf_with_the_issued_document(shared):
    c = client(shared)
    r = c.get("/cases/2021-yt-001/bundle.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(r.content)).pages)
    assert shared["items"]["issued"]["number"].replace("〔", "").replace("〕", "")[:4] in text.replace("〔", "").replace("〕", "")


def test_blacklist_page_matches_the_cli(shared):
    c = client(shared)
    listed = cli_json(shared["root"], "blacklist", "--year", "2021", "--on", SAMPLE_DAY)
    r = c.get("/blacklist", params={"year": "2021", "on": SAMPLE_DAY})
    page = text_of(r.text)
    assert f"仍未整改的单位 {len(listed)} 家" in page
    for entry in listed:
        assert entry["unit"] in page
        for b in entry["bulletins"]:
            assert b["title"] in page


def test_catalog_page_and_docx(shared):
    c = client(shared)
    items = cli_json(shared["root"], "archive", "list", "--year", "2021")
    r = c.get("/catalog/2021")
    assert r.status_code == 200
    for meta in items:
        assert meta["archive_id"] in r.text and meta["title"] in r.text
    docx = c.get("/catalog/2021/docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    import io
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode("utf-8")
    assert "归档文件目录" in xml and items[0]["archive_id"] in xml
    assert c.get("/catalog").status_code == 200
    assert c.get("/catalog/1999/docx").status_code == 404


def test_every_page_sends_the_security_headers(shared):
    c = client(shared)
    for url in ("/", "/search?q=约谈", "/login", "/api/due", "/no-such-page", "/static/style.css"):
        r = c.get(url)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp and "'unsafe-inline'" not in csp
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in c.get("/").text  # no inline script anywhere


# ---------------------------------------------------------------- ids, traversal, bad input

def raw_get(app, url: str) -> tuple[int, str]:
    """GET a path exactly as a hostile client sends it (HTTP clients remove dot segments;
    uvicorn hands the percent-decoded path to the app as it came)."""
    import asyncio
    from urllib.parse import unquote

    path, _, query = url.partition("?")
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": unquote(path),
             "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()


@pytest.mark.parametrize("url", [
    "/items/..%2F..%2Foffice.yaml", "/items/%2e%2e", "/items/%2E%2E%2Fcasefiles", "/items/..",
    "/items/J021-WS·2021-D10-AWB-0001%2F..%2F..%2Foffice.yaml", "/items/%252e%252e%252f",
    "/items/J021-WS·2021-D10-AWB-0001/files/..%2Fmetadata.json",
    "/items/J021-WS·2021-D10-AWB-0001/files/%2e%2e%2f%2e%2e%2foffice.yaml",
    "/items/.lock", "/items/.index", "/cases/..%2F..%2Fetc", "/cases/2021%2F2021-yt-001",
    "/cases/2021-yt-001%00", "/catalog/..%2F2021", "/catalog/20211", "/api/items/..%2Foffice.yaml",
    "/cases/2021-yt-001/docs/..%2Fcase/preview", "/static/..%2F..%2Fdata.py", "/static/../app.py",
    "/items/J021-WS·2099-D10-AWB-0009", "/cases/no-such-case",
])
def test_traversal_and_unknown_ids_are_not_found(shared, url):
    status, body = raw_get(client(shared).app, url)
    assert status == 404, (url, status, body[:300])
    assert "Traceback" not in body
    assert "number_prefix" not in body and "manifest" not in body  # no file's content leaks


@pytest.mark.parametrize("url, message", [
    ("/search?q=year:abc", "年度「abc」应为四位年份"),
    ("/search?q=约谈&from=2021-13-45", "日期"),
    ("/search?q=约谈&sort=random", "排序方式「random」无效"),
    ("/due?on=明天", "日期应写作 2021-12-01"),
    ("/due?within=-3", "参数 within 应为"),
    ("/search?q=约谈&page=abc", "参数 page 应为"),
    ("/api/search?q=year:abc", "年度「abc」"),
    ("/api/due?on=2021-02-30", "日期应写作"),
])
def test_bad_query_input_gives_a_chinese_400(shared, url, message):
    r = client(shared).get(url)
    assert r.status_code == 400, (url, r.text[:300])
    body = r.text if not url.startswith("/api/") else r.json()["error"]
    assert message in body and "Traceback" not in r.text
    if url.startswith("/api/"):
        assert r.json()["ok"] is False


# ---------------------------------------------------------------- who may write

WRITES = [
    ("/cases/new", {"case_id": "2021-yt-090", "year": "2021", "title": "x", "kind": "约谈", "opened": "2021-11-01"}),
    ("/cases/2021-yt-001/new/summons", {"doc_id": "summons-2", "title": "x"}),
    ("/cases/2021-yt-001/docs/memorandum/edit", {"title": "x"}),
    ("/cases/2021-yt-001/events/new", {"date": "2021-11-30", "event": "x"}),
    ("/cases/2021-yt-001/docs/memorandum/issue", {"number": "石安委办〔2021〕2号"}),
    ("/cases/2021-yt-001/edit", {"title": "x", "kind": "约谈", "opened": "2021-10-28"}),
]


@pytest.mark.parametrize("url, form", WRITES)
def test_writes_need_a_clerk_and_a_csrf_token(fresh, url, form):
    before = {p: p.read_bytes() for p in (fresh["root"] / "casefiles").rglob("*") if p.is_file()}
    anonymous = client(fresh)
    token = csrf(anonymous, "/login")
    assert anonymous.post(url, data={**form, "csrf": token}).status_code == 401
    inspector = login(client(fresh), INSPECTOR)
    token = csrf(inspector, "/")
    r = inspector.post(url, data={**form, "csrf": token})
    assert r.status_code == 403 and "查阅账户" in r.text
    clerk = login(client(fresh))
    assert clerk.post(url, data=form).status_code == 403  # no token
    r = clerk.post(url, data={**form, "csrf": "forged"})
    assert r.status_code == 403 and "安全校验未通过" in r.text
    read_only = login(client(fresh, read_only=True))
    r = read_only.post(url, data={**form, "csrf": csrf(read_only, "/")})
    assert r.status_code == 403 and "只读" in r.text
    after = {p: p.read_bytes() for p in (fresh["root"] / "casefiles").rglob("*") if p.is_file()}
    assert after == before
    assert not list((fresh["root"] / "archive").glob("*-0002"))


def test_clerk_pages_ask_for_login_and_refuse_inspectors(fresh):
    r = client(fresh).get("/cases/2021-yt-001/new/summons")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    inspector = login(client(fresh), INSPECTOR)
    assert inspector.get("/cases/2021-yt-001/new/summons").status_code == 403
    page = inspector.get("/cases/2021-yt-001").text
    assert "新建文书" not in page and "记录办理情况" not in page
    clerk = login(client(fresh))
    assert "新建文书" in clerk.get("/cases/2021-yt-001").text


def test_login_with_a_wrong_password_fails_and_is_audited(fresh):
    c = client(fresh)
    token = csrf(c, "/login")
    r = c.post("/login", data={"name": CLERK, "password": "wrong-password", "csrf": token})
    assert r.status_code == 400 and "用户名或密码不对" in r.text
    assert c.post("/login", data={"name": CLERK, "password": PASSWORD}).status_code == 403  # no token
    audit = c.get("/audit").text
    assert "登录失败" in audit and CLERK in audit


def _attempt(c: TestClient, name: str, password: str):
    return c.post("/login", data={"name": name, "password": password, "csrf": csrf(c, "/login"), "next": "/"})


def _clocked(s, clock: list[float]) -> TestClient:
    c = client(s)
    c.app.state.throttle.clock = lambda: clock[0]
    return c


def test_failed_logins_are_throttled_per_name_alike_for_unknown_names(fresh):
    clock = [dt.datetime(2021, 12, 1, 9, 0).timestamp()]
    c = _clocked(fresh, clock)
    for n in range(5):
        r = _attempt(c, CLERK, f"wrong-{n}")
        assert r.status_code == 400 and "用户名或密码不对" in r.text
    r = _attempt(c, CLERK, PASSWORD)  # the 6th, with the right password
    assert r.status_code == 429 and "location" not in r.headers
    assert "登录失败次数过多" in text_of(r.text) and "请于 09:15（约 15 分钟后）再试" in text_of(r.text)
    assert r.headers["retry-after"] == "900"
    assert c.get("/cases/2021-yt-001/new/summons").status_code == 303  # still not logged in
    # Another worker process of the same workspace knows it too.
    assert _attempt(_clocked(fresh, clock), CLERK, PASSWORD).status_code == 429
    # Another account from the same address is unaffected.
    assert _attempt(_clocked(fresh, clock), INSPECTOR, PASSWORD).status_code == 303
    # A name without an account is answered exactly alike, attempt by attempt.
    answers = [_attempt(c, "nobody", f"wrong-{n}") for n in range(6)]
    assert [a.status_code for a in answers] == [400] * 5 + [429]
    assert text_of(answers[5].text) == text_of(r.text) and text_of(answers[0].text) == text_of(
        _attempt(c, INSPECTOR, "wrong").text)
    audit = text_of(c.get("/audit").text)
    assert f"{CLERK} 登录受限" in audit and "nobody 登录受限" in audit and "来自 testclient" in audit
    # When the delay is over the right password works again ...
    clock[0] += 15 * 60 + 1
    assert _attempt(c, CLERK, PASSWORD).status_code == 303


def test_lockouts_grow_and_a_successful_login_resets_the_count(fresh):
    clock = [dt.datetime(2021, 12, 1, 9, 0).timestamp()]
    c = _clocked(fresh, clock)
    for _ in range(4):
        assert _attempt(c, CLERK, "wrong").status_code == 400
    assert _attempt(c, CLERK, PASSWORD).status_code == 303  # resets the name's count
    for _ in range(4):
        assert _attempt(c, CLERK, "wrong").status_code == 400
    assert _attempt(c, CLERK, PASSWORD).status_code == 303
    # Locked twice in a row: the second delay is twice the first.
    for lockout, minutes in enumerate((15, 30)):
        for _ in range(5):
            assert _attempt(c, INSPECTOR, "wrong").status_code == 400
        r = _attempt(c, INSPECTOR, PASSWORD)
        assert r.status_code == 429 and f"约 {minutes} 分钟后" in text_of(r.text)
        clock[0] += minutes * 60 - 60
        assert _attempt(c, INSPECTOR, PASSWORD).status_code == 429
        clock[0] += 61
        if lockout == 1:
            assert _attempt(c, INSPECTOR, PASSWORD).status_code == 303


def test_one_address_trying_many_names_is_throttled(fresh):
    clock = [dt.datetime(2021, 12, 1, 9, 0).timestamp()]
    c = _clocked(fresh, clock)
    for n in range(20):
        assert _attempt(c, f"guess{n}", "wrong-password").status_code == 400
    r = _attempt(c, INSPECTOR, PASSWORD)
    assert r.status_code == 429 and "此用户名或您的网络地址暂停登录" in text_of(r.text)
    clock[0] += 15 * 60 + 1
    assert _attempt(c, INSPECTOR, PASSWORD).status_code == 303


def test_attempts_still_being_checked_count_and_right_passwords_do_not(tmp_path):
    from docgen.web.throttle import Attempt, Refusal, Throttle

    throttle = Throttle(tmp_path, clock=lambda: 1_000_000.0)
    # Seven guesses sent at once: only five reach the password check.
    flying = [throttle.begin(CLERK, "10.0.0.9") for _ in range(7)]
    assert [type(a) for a in flying] == [Attempt] * 5 + [Refusal] * 2
    for attempt in flying[:5]:
        throttle.succeeded(attempt)
    # Logins that succeed never lock the address, however many clerks share it.
    for n in range(30):
        attempt = throttle.begin(f"clerk{n}", "10.0.0.9")
        assert isinstance(attempt, Attempt)
        throttle.succeeded(attempt)


def test_beyond_loopback_without_accounts_is_read_only_and_with_accounts_needs_login(fresh, tmp_path):
    from docgen.web.app import Config, create_app

    app = create_app(Config(root=fresh["root"], users=tmp_path / "none.json", host="0.0.0.0"))
    assert app.state.read_only
    assert TestClient(app).get("/").status_code == 200
    c = client(fresh, host="192.168.1.20")
    assert not c.app.state.read_only
    assert c.get("/").status_code == 401 and c.get("/api/due").status_code == 401
    login(c, INSPECTOR)
    assert c.get("/").status_code == 200


def test_serve_says_in_chinese_when_the_port_is_taken(fresh):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli(fresh["root"], "serve", "--port", str(port), users=fresh["users"])
    assert done.exit_code == 1 and f"无法在 127.0.0.1:{port} 上启动网页：端口已被占用" in done.output


def test_worker_processes_get_the_same_configuration(fresh):
    from docgen.web.app import Config

    config = Config(root=fresh["root"], users=fresh["users"], host="0.0.0.0", read_only=True,
                    today=dt.date(2021, 12, 1), warm=True)
    assert Config.from_env(config.to_env()) == config


def test_user_add_stores_a_salted_scrypt_hash_only(tmp_path):
    users = tmp_path / "conf" / "users.json"
    from docgen.web.auth import Accounts

    for name in ("li", "zhou"):
        done = cli(tmp_path, "user", "add", name, "--role", "clerk", "--password", "same-password-1", users=users)
        assert done.exit_code == 0, done.output
    raw = users.read_text(encoding="utf-8")
    assert "same-password-1" not in raw
    data = json.loads(raw)["users"]
    assert data["li"]["password"].startswith("scrypt$") and data["li"]["password"] != data["zhou"]["password"]
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert Accounts(users).authenticate("li", "same-password-1").role == "clerk"
    assert Accounts(users).authenticate("li", "same-password-2") is None
    short = cli(tmp_path, "user", "add", "wu", "--role", "clerk", "--password", "short", users=users)
    assert short.exit_code == 1 and "密码至少" in short.output
    bad = cli(tmp_path, "user", "add", "../x", "--role", "clerk", "--password", "long-enough-1", users=users)
    assert bad.exit_code == 1 and "用户名" in bad.output


# ---------------------------------------------------------------- writing casefiles

SUMMONS = {
    "doc_id": "summons", "title": "关于约谈饶峰镇人民政府的通知", "date": "2021-11-22", "unit": "饶峰镇人民政府",
    "interviewees": "张伟（饶峰镇人民政府镇长）\r\n", "clause": "（三）",
    "reason": "你镇辖区内连续发生两起较大安全事故苗头。", "time": "2021-11-29T09:30",
    "place": "县应急管理局三楼会议室", "content": "事故苗头原因分析\r\n整改措施", "materials": "整改情况书面汇报",
}


def new_case(c, case_id="2021-yt-031"):
    form = {"case_id": case_id, "year": "2021", "title": "饶峰镇事故苗头约谈", "kind": "约谈",
            "opened": "2021-11-20", "units": "饶峰镇人民政府", "status": "办理中", "csrf": csrf(c, "/cases/new")}
    r = c.post("/cases/new", data=form)
    assert r.status_code == 303, text_of(r.text)
    return case_id


def test_new_case_and_document_from_forms_are_valid_commented_yaml_committed_as_the_clerk(fresh):
    root = fresh["root"]
    c = login(client(fresh))
    case_id = new_case(c)
    folder = root / "casefiles" / "2021" / case_id
    case_text = (folder / "case.yaml").read_text(encoding="utf-8")
    assert "# 案卷题名（必填，文字）" in case_text and "title: 饶峰镇事故苗头约谈" in case_text
    r = c.post(f"/cases/{case_id}/new/summons", data={**SUMMONS, "csrf": csrf(c, f"/cases/{case_id}/new/summons")})
    assert r.status_code == 303 and r.headers["location"].endswith(f"/cases/{case_id}/docs/summons/preview")
    text = (folder / "summons.yaml").read_text(encoding="utf-8")
    assert text.startswith("# 约谈通知书（summons）")
    assert "# 被约谈单位（必填，文字）：被约谈单位全称" in text
    assert "time: 2021-11-29 09:30" in text and "interviewees:\n  - 张伟（饶峰镇人民政府镇长）" in text
    assert cli(root, "check", case_id).exit_code == 0
    log = git(root, "log", "-2", "--format=%an|%s")
    assert f"{CLERK}|新建文书 {case_id}/summons" in log and f"{CLERK}|新建案卷 {case_id}" in log
    assert git(root, "status", "--porcelain", "casefiles") == ""
    audit = text_of(c.get("/audit").text)
    assert "记录链完整" in audit and f"{CLERK} 新建文书 {case_id}/summons" in audit
    # the deadline the summons sets is on /due at once (15 days after the interview)
    due = c.get("/api/due", params={"on": "2021-12-01"}).json()
    assert any(d["case"] == case_id and d["due"] == "2021-12-14" for d in due)


def test_a_validation_error_is_shown_beside_its_field_as_docgen_check_says_it(fresh, tmp_path):
    root = fresh["root"]
    c = login(client(fresh))
    case_id = new_case(c)
    form = {**SUMMONS, "unit": "", "copy_number": "十二", "csrf": csrf(c, f"/cases/{case_id}/new/summons")}
    r = c.post(f"/cases/{case_id}/new/summons", data=form)
    assert r.status_code == 400
    assert not (root / "casefiles" / "2021" / case_id / "summons.yaml").exists()
    # the same YAML typed by hand, checked by the CLI: the same messages
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("archive"))
    from docgen.web import data, forms

    ws = data.workspace(copy)
    values = forms.parse(ws.doctype("summons").fields, {k: v for k, v in form.items()})
    (copy / "casefiles" / "2021" / case_id / "summons.yaml").write_text(
        data.document_text(ws, case_id, "summons", "summons", values, new=True), encoding="utf-8")
    expected = cli_json(copy, "check", case_id)["errors"]
    assert {e["field"] for e in expected} == {"unit", "copy_number"}
    for e in expected:
        field = re.search(rf'<div class="field has-error" id="f-{e["field"]}">(.*?)</div>', r.text, re.S)
        assert field, e
        assert f'<p class="error">{e["message"]}</p>' in field.group(1).replace("&#34;", '"')
    assert r.text.count('class="field has-error"') == 2
    # what the clerk typed is still there
    assert "关于约谈饶峰镇人民政府的通知" in r.text and "十二" in r.text
    ok = c.post(f"/cases/{case_id}/new/summons", data={**form, "unit": "饶峰镇人民政府", "copy_number": "12"})
    assert ok.status_code == 303
    assert cli(root, "check", case_id).exit_code == 0


def test_editing_keeps_the_clerks_comments_and_order(fresh):
    root = fresh["root"]
    path = root / "casefiles" / "2021" / "2021-yt-001" / "memorandum.yaml"
    original = "# 书记员的备注：地点待定\n" + path.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    git(root, "commit", "-qam", "备注")
    c = login(client(fresh))
    form_page = c.get("/cases/2021-yt-001/docs/memorandum/edit")
    assert form_page.status_code == 200
    # submit the form exactly as shown, with one value changed
    fields = dict(re.findall(r'<input type="(?:text|date|datetime-local)" id="i-[^"]+" name="([^"]+)" value="([^"]*)"',
                             form_page.text))
    fields.update(re.findall(r'name="([^"]+)" rows="\d+" aria-required="\w+">([^<]*)</textarea>', form_page.text))
    fields.update((n, v) for n, v in re.findall(
        r'<select id="i-[^"]+" name="([^"]+)">.*?<option value="([^"]*)" selected', form_page.text, re.S))
    for name, rows in re.findall(r'name="([^"]+)\.rows" value="(\d+)"', form_page.text):
        fields[f"{name}.rows"] = rows
    fields.update(re.findall(r'<input type="text" name="([^"]+\.\d+\.[^"]+)" value="([^"]*)"', form_page.text))
    fields = {k: v.replace("&#34;", '"').replace("&amp;", "&").replace("&#39;", "'") for k, v in fields.items()}
    old_place = re.search(r"^place: (.*)$", original, re.M).group(1)
    assert fields["place"] == old_place
    fields["place"] = "县政府二楼会议室"
    r = c.post("/cases/2021-yt-001/docs/memorandum/edit", data={**fields, "csrf": csrf(c, "/")})
    assert r.status_code == 303, text_of(r.text)[:2000]
    after = path.read_text(encoding="utf-8")
    assert after == original.replace(f"place: {old_place}", "place: 县政府二楼会议室")


def test_an_issued_document_cannot_be_edited(shared):
    c = login(client(shared))
    r = c.get("/cases/2021-yt-001/docs/summons/edit")
    assert r.status_code == 403 and "已签发" in r.text


def test_recording_an_event_closes_the_deadline(fresh):
    root = fresh["root"]
    before = cli_json(root, "due", "--on", SAMPLE_DAY)
    target = next(d for d in before if "销号" not in d["what"])  # 挂牌督办 closes only on 销号
    c = login(client(fresh))
    url = f"/cases/{target['case']}/events/new"
    r = c.post(url, data={"date": "2021-11-30", "event": "收到书面报告", "item": target["item"], "csrf": csrf(c, url)})
    assert r.status_code == 303
    after = cli_json(root, "due", "--on", SAMPLE_DAY)
    assert [d for d in before if (d["case"], d["item"]) != (target["case"], target["item"])] == after
    case_yaml = root / "casefiles" / "2021" / target["case"] / "case.yaml"
    assert f"item: {target['item']}" in case_yaml.read_text(encoding="utf-8")
    assert "记录办理情况" in git(root, "log", "-1", "--format=%s")


def test_an_event_naming_no_deadline_is_refused_with_the_check_message(fresh):
    root = fresh["root"]
    path = root / "casefiles" / "2021" / "2021-yt-001" / "case.yaml"
    before = path.read_bytes()
    c = login(client(fresh))
    url = "/cases/2021-yt-001/events/new"
    r = c.post(url, data={"date": "2021-11-30", "event": "收到报告", "item": "不存在的事项", "csrf": csrf(c, url)})
    assert r.status_code == 400
    assert "本案卷没有期限事项「不存在的事项」" in r.text
    assert path.read_bytes() == before


def test_issue_confirmation_shows_the_number_it_will_get(shared):
    c = login(client(shared))
    numbers = [i["number"] for i in cli_json(shared["root"], "archive", "list")
               if i["number"].startswith("石安委办〔2021〕")]
    expected = f"石安委办〔2021〕{len(numbers) + 1}号"
    r = c.get("/cases/2021-yt-001/docs/memorandum/issue")
    assert r.status_code == 200 and f"确认签发，文号 {expected}" in r.text
    # a stale confirmation (someone issued in between) is asked again, nothing issued
    r = c.post("/cases/2021-yt-001/docs/memorandum/issue", data={"number": "石安委办〔2021〕99号",
                                                                  "csrf": csrf(c, "/")})
    assert r.status_code == 409 and expected in r.text
    assert len(cli_json(shared["root"], "archive", "list")) == len(shared["items"])
