"""The sample casefiles under casefiles/: every document renders to a .docx Word can open, and
the re-created seed 003 (忠县 notice) reads back paragraph for paragraph as the original."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest

from docgen.casefile import all_case_ids, check, load_case
from docgen.render import Renderer
from docgen.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
# Seed 003 as received; the casefile keeps a copy of the original text among its attachments.
SEED_003 = Path("/work/shared/seeds/003_b32fe016907a89d3.txt")
ORIGINAL_003 = REPO / "casefiles" / "2021" / "2021-zx-003" / "attachments" / "原件文本.txt"

WS = Workspace(REPO)
SAMPLES = [(case_id, path.stem) for case_id in all_case_ids(WS)
           for path in load_case(WS, case_id).document_paths()]
# What the samples must at least cover: one document of each type the design card lists.
EXPECTED = {("2021-yt-001", "summons"), ("2021-yt-001", "memorandum"), ("2021-dc-002", "feedback"),
            ("2021-xc-003", "patrol_report"), ("2021-tb-004", "bulletin"), ("2021-zx-003", "notice")}
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#")
# A space between two Chinese characters, or between Chinese and a digit, is a YAML line fold
# that leaked into the text (e.g. a line broken before "2021年").
FOLD_LEAK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2018-\u201d0-9] +[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2018-\u201d0-9]")
DRAFT_NUMBER = re.compile(r"^\S+〔\s*〕\s*号")


def strip_ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def render(tmp_path: Path, case_id: str, doc_id: str) -> Path:
    doc = load_case(WS, case_id).document(doc_id)
    out = tmp_path / f"{case_id}-{doc_id}.docx"
    out.write_bytes(Renderer(WS).render_bytes(doc))
    return out


def texts(path: Path) -> list[str]:
    """Body paragraphs as python-docx reads them (a line break inside a paragraph is \\n)."""
    return [p.text for p in docx.Document(str(path)).paragraphs]


def test_the_samples_cover_every_document_type():
    assert EXPECTED <= set(SAMPLES)
    assert {load_case(WS, c).document(d).type.id for c, d in SAMPLES} >= {
        "summons", "memorandum", "feedback", "patrol_report", "bulletin", "notice"}


def test_every_sample_casefile_is_valid():
    problems = check(WS)
    assert not problems, "\n".join(f"{p.file}:{p.line} {p.field} {p.message}" for p in problems)


@pytest.mark.parametrize(("case_id", "doc_id"), SAMPLES, ids=["/".join(s) for s in SAMPLES])
def test_every_sample_document_renders_and_opens(tmp_path, case_id, doc_id):
    path = render(tmp_path, case_id, doc_id)
    document = docx.Document(str(path))  # python-docx refuses a broken package
    paragraphs = [p.text for p in document.paragraphs]
    assert sum(len(t) for t in paragraphs) > 200
    doc = load_case(WS, case_id).document(doc_id)
    assert strip_ws(doc.title) in {strip_ws(t) for t in paragraphs}

    # No template tag survives, in any part: body, headers, footers, document properties.
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                text = zf.read(name).decode("utf-8")
                assert not LEFTOVER.search(text), f"{name}: {LEFTOVER.search(text).group()!r} left over"
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                assert not LEFTOVER.search(cell.text)

    # Wrapped YAML lines must not leave spaces inside the Chinese text.
    for text in paragraphs:
        if not DRAFT_NUMBER.match(text):
            assert not FOLD_LEAK.search(text), f"stray space in {text!r}"


def test_the_bulletin_attaches_its_hazard_table(tmp_path):
    doc = load_case(WS, "2021-tb-004").document("bulletin")
    hazards = doc.values["hazards"]
    assert 5 <= len(hazards) <= 8
    path = render(tmp_path, "2021-tb-004", "bulletin")
    paragraphs = texts(path)
    title = doc.values["attachments"][0]
    assert f"附件：{title}" in paragraphs  # 附件说明 under the text
    assert title in paragraphs            # 附件 title above the table
    table, = [t for t in docx.Document(str(path)).tables if t.rows[0].cells[0].text == "序号"]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[1] for r in rows] == [h["unit"] for h in hazards]
    assert set(doc.values["units"]) >= {h["unit"] for h in hazards}


# ------------------------------------------------------------------ seed 003 round trip

def seed_lines() -> list[str]:
    """The seed's non-empty lines, whitespace removed; its two-line title joined into one."""
    lines = [strip_ws(line) for line in ORIGINAL_003.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    # lines[0] is the 发文机关标志; the title follows on two lines.
    assert lines[1].startswith("关于") and lines[2].endswith("的通知")
    return [lines[0], lines[1] + lines[2], *lines[3:]]


def match_in_order(wanted: list[str], paragraphs: list[str], span: int = 3) -> list[str]:
    """Match each wanted line, in order, to the next rendered paragraph equal to it, or to up to
    `span` consecutive paragraphs joined (a title or joint signature laid out on several
    lines). Returns the lines that could not be matched."""
    rendered = [strip_ws(p) for p in paragraphs]
    missing, pos = [], 0
    for line in wanted:
        found = next(((i, k) for i in range(pos, len(rendered)) for k in range(1, span + 1)
                      if rendered[i] and "".join(rendered[i:i + k]) == line), None)
        if found is None:
            missing.append(line)
        else:
            pos = found[0] + found[1]
    return missing


@pytest.mark.skipif(not SEED_003.exists(), reason="shared seeds not mounted")
def test_the_casefile_keeps_the_seed_text_unchanged():
    assert ORIGINAL_003.read_bytes() == SEED_003.read_bytes()


@pytest.fixture(scope="module")
def notice_003(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("seed003"), "2021-zx-003", "notice")


def test_seed_003_round_trips_paragraph_for_paragraph(notice_003):
    wanted = seed_lines()
    assert len(wanted) == 54  # 标志, 标题, 主送, 导语, 10 headings, 38 paragraphs, 署名, 日期
    missing = match_in_order(wanted, texts(notice_003))
    assert not missing, "seed lines not rendered (in order):\n" + "\n".join(m[:60] for m in missing)


def test_seed_003_headings_are_numbered_by_the_template(notice_003):
    numerals = "一二三四五六七八九十"
    headings = [t for t in texts(notice_003) if re.match(f"^[{numerals}]+、", t)]
    assert [h.split("、", 1)[0] for h in headings] == list(numerals)
    assert not any(re.match(f"^[{numerals}]+、[{numerals}]+、", h) for h in headings)
    case_yaml = (REPO / "casefiles" / "2021" / "2021-zx-003" / "notice.yaml").read_text(encoding="utf-8")
    assert not re.search(f"heading:\\s*\"?[{numerals}]+、", case_yaml)


def test_seed_003_keeps_mark_signers_and_date(notice_003):
    paragraphs = [strip_ws(t) for t in texts(notice_003)]
    assert paragraphs[0] == "忠县安全生产委员会"
    assert "忠县安全生产委员会忠县减灾委员会" in {"".join(paragraphs[i:i + 2]) for i in range(len(paragraphs))} | \
        set(paragraphs)
    assert "2021年10月26日" in paragraphs
    # The text keeps its exact punctuation, ASCII commas of the original included.
    assert any("宣传发布,县安委会办公室" in p for p in paragraphs)
    assert any("“两重两新”" in p for p in paragraphs)


def test_seed_003_title_breaks_where_the_original_does(notice_003):
    title, = [t for t in texts(notice_003) if strip_ws(t).startswith("关于贯彻")]
    assert title == "关于贯彻“十条措施”落实常态化安全监管\n工作的通知"
