"""Nothing of the text is lost between the .docx and the PDF, and nothing is printed outside
the text block by more than a character.

Read back as a proofreader would: the PDF's text (pdftotext, in content order) must hold every
character of the .docx body in order, with nothing else but page numbers, the letter format's
header and repeated table header rows; and every word pdftotext finds must lie between the
text block's left edge and one character beyond its right edge (GB/T 9704: a closing mark may
hang by at most one character). Checked on every sample document and on a stress document whose
lines end on every closing mark (。，、；：？！”）》) in body paragraphs, headings, list items, a
table and the 版记.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import REPO, W, one_document_workspace
from docgen import gbt9704 as gb
from docgen.casefile import all_case_ids, load_case
from docgen.draftmark import MARK
from docgen.render import Renderer, render_case, typeset
from docgen.workspace import Workspace

PT = 25.4 / 72
LEFT, BLOCK_RIGHT = 28.0, 184.0
CHAR = gb.BODY_PT * PT  # one 3号 character, 5.64 mm: the most a mark may hang
CLOSING = "。，、；：？！”）》"

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                reason="LibreOffice (soffice) not installed")


# ------------------------------------------------------------------ reading both sides

def _xml(docx: Path, name: str):
    with zipfile.ZipFile(docx) as zf:
        return etree.fromstring(zf.read(name))


def _text(node) -> str:
    return re.sub(r"\s+", "", "".join(t.text or "" for t in node.iter(f"{W}t")))


def docx_text(docx: Path) -> tuple[str, set[str]]:
    """The body's text in document order (paragraphs, tables, text boxes), whitespace removed;
    and what the PDF may print besides: header text and table header rows repeated on a page."""
    body = _xml(docx, "word/document.xml")
    with zipfile.ZipFile(docx) as zf:
        headers = [n for n in zf.namelist() if re.fullmatch(r"word/header\d*\.xml", n)]
    extras = {_text(_xml(docx, n)) for n in headers}
    # the letter format's head is drawn at its place on the page (a text box anchored to the page)
    wp = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
    for anchor in body.iter(f"{wp}anchor"):
        if anchor.find(f"{wp}positionV").get("relativeFrom") == "page":
            for box in anchor.iter(f"{W}txbxContent"):
                extras.add(_text(box))
                box.getparent().remove(box)
    extras |= {_text(tr) for tr in body.iter(f"{W}tr") if tr.find(f"{W}trPr/{W}tblHeader") is not None}
    return _text(body), extras - {""}


def pdf_text(pdf: Path) -> str:
    """What the PDF prints, page by page in content order, whitespace and page numbers removed."""
    pages = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    return "".join(_unmarked(re.sub(r"—\d+—", "", re.sub(r"\s+", "", page), count=1)) for page in pages)


def _unmarked(page: str) -> str:
    """A draft's page without its 草稿 mark (docgen.draftmark), laid over it last, in the margin."""
    return page.removeprefix(MARK) if page.startswith(MARK) else page.removesuffix(MARK)


def lost_or_added(expected: str, printed: str, extras: set[str]) -> list[str]:
    """Differences a proofreader would mark: characters of the .docx missing from the PDF (with
    their context), and printed text that is neither in the .docx nor an allowed extra."""
    problems = []
    matcher = difflib.SequenceMatcher(None, expected, printed, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            problems.append(f"lost {expected[i1:i2]!r} after …{expected[max(0, i1 - 12):i1]}")
        if op in ("insert", "replace") and printed[j1:j2] not in extras:
            problems.append(f"added {printed[j1:j2]!r} after …{printed[max(0, j1 - 12):j1]}")
    return problems


def words(pdf: Path) -> list[tuple[int, float, float, float, str]]:
    """pdftotext's words: (page, left, right, top) in mm and the text; right is where the last
    glyph's advance ends."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    found, page = [], 0
    for line in html.splitlines():
        page += "<page " in line
        m = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', line)
        if m:
            found.append((page, float(m[1]) * PT, float(m[3]) * PT, float(m[2]) * PT, m[4]))
    return found


def outside(pdf: Path) -> list[str]:
    return [f"p.{p} {text!r} {x0:.1f}–{x1:.1f} mm" for p, x0, x1, _, text in words(pdf)
            if x0 < LEFT - 0.3 or x1 > BLOCK_RIGHT + CHAR]


# ------------------------------------------------------------------ every sample document

WS = Workspace(REPO)
SAMPLES = [(case_id, path.stem) for case_id in all_case_ids(WS)
           for path in load_case(WS, case_id).document_paths()]


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, Path]]:
    """Every sample rendered as `docgen render CASE --all --pdf` does it, in one LibreOffice run."""
    root = tmp_path_factory.mktemp("samples") / "ws"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench"))
    ws = Workspace(root)
    renderer = Renderer(ws)
    rendered = [r for case_id in all_case_ids(ws) for r in render_case(ws, case_id, None, root / "out", renderer)]
    pdfs = typeset(renderer, rendered)
    return {(r.document.case.id, r.document.id): (r.docx, pdf) for r, pdf in zip(rendered, pdfs)}


@pytest.mark.parametrize(("case_id", "doc_id"), SAMPLES, ids=["/".join(s) for s in SAMPLES])
def test_every_character_of_the_sample_is_printed(samples, case_id, doc_id):
    docx, pdf = samples[case_id, doc_id]
    expected, extras = docx_text(docx)
    assert len(expected) > 300
    problems = lost_or_added(expected, pdf_text(pdf), extras)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("case_id", "doc_id"), SAMPLES, ids=["/".join(s) for s in SAMPLES])
def test_nothing_printed_outside_the_text_block(samples, case_id, doc_id):
    _docx, pdf = samples[case_id, doc_id]
    assert not outside(pdf)


# ------------------------------------------------------------------ the stress document

# Disjoint pools of plain ideographs, one for each kind of paragraph, so that a printed line
# tells where it comes from.
POOLS = {
    "body": "安全生产监督管理责任制度落实检查整改隐患排治重点行业领域企单位部门乡镇街道风险防控应急值守执法宣传教育培训",
    "heading": "统筹协调推进综合专项动组织导保障措施强化考核问",
    "list": "建立健完善规范标准流程台账档案记录报告备审验收销号",
    "table": "消通堵塞占用灭火器材过期失效电气线路老私拉乱接",
    "banji": "县委政府人大纪战编财计",
}


def _run(pool: str, start: int, n: int) -> str:
    text = POOLS[pool]
    return "".join(text[(start + 7 * i) % len(text)] for i in range(n))


def _stress_body() -> list:
    """Paragraphs with a closing mark right after the indented first line's 26 characters and
    after a full second line's 28 (the 27th and 57th character): where a mark must hang or take
    a character along. Headings (level 1 and 2) whose mark falls at the end of their indented
    line after the numbering, and level-3 items with marks around the line's end."""
    paragraphs = [_run("body", k, 26) + m + _run("body", k + 1, 20) + "。" for k, m in enumerate(CLOSING)]
    paragraphs += [_run("body", k, 54) + m + _run("body", k + 2, 12) + "。" for k, m in enumerate(CLOSING)]
    items = [{"heading": _run("list", k, 26 - (k >= 9)) + m + _run("list", k + 3, 30) + "。", "body": []}
             for k, m in enumerate(CLOSING)]
    level2 = [{"heading": _run("heading", k, 23) + m + _run("heading", k + 1, 6), "body": [paragraphs[k]]}
              for k, m in enumerate(CLOSING[5:])]
    level2[-1]["body"].extend(items)
    return [paragraphs[10], *paragraphs[11:],
            *({"heading": _run("heading", k, 24) + m + _run("heading", k + 2, 6), "body": [paragraphs[k]]}
              for k, m in enumerate(CLOSING[:5])),
            {"heading": _run("heading", 9, 12), "body": level2}]


def _stress_table() -> list[dict]:
    return [{"unit": _run("table", k, 6) + "公司", "town": "城关镇",
             "hazard": "".join(_run("table", k + j, 4 + (k + j) % 6) + CLOSING[(k + j) % 10] for j in range(5)),
             "requirement": "".join(_run("table", k + j + 3, 3 + (k + 2 * j) % 7) + CLOSING[(k + 3 * j) % 10]
                                    for j in range(5)),
             "deadline": "2021-10-31"} for k in range(8)]


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> tuple[Path, Path]:
    # 抄送 lines hold 30 characters after the indent, then 27 (4号, one character in, wrapped
    # lines after 抄送：): a comma that does not fit, one that ends a line exactly, and the
    # final full stop that does not fit.
    cc = [_run("banji", k, n) for k, n in enumerate([4] * 5 + [2] + [4] * 10 + [2])]
    root = one_document_workspace(
        tmp_path_factory.mktemp("stress") / "ws", "2021-tb-901",
        {"title": "标点压力测试", "kind": "通报", "opened": "2021-10-20"}, "bulletin",
        {"type": "bulletin", "title": "关于安全生产检查情况的通报", "date": "2021-10-26",
         "recipients": "各镇人民政府，县安委会各成员单位", "kind": "情况", "units": ["消防公司"],
         "body": _stress_body(), "hazards": _stress_table(), "attachments": ["问题隐患清单"], "cc": cc})
    ws = Workspace(root)
    renderer = Renderer(ws)
    rendered = render_case(ws, "2021-tb-901", ["bulletin"], root / "out", renderer)
    [pdf] = typeset(renderer, rendered)
    return rendered[0].docx, pdf


def test_the_pools_are_disjoint():
    pools = list(POOLS.values())
    assert all(not set(a) & set(b) for i, a in enumerate(pools) for b in pools[i + 1:])


def _kind(text: str) -> str | None:
    return next((pool for pool, chars in POOLS.items() if text[0] in chars), None)


def test_stress_lines_end_on_every_kind_of_mark_in_every_kind_of_paragraph(stress):
    """The stress document does what it is for: in each kind of paragraph, printed lines end
    on a closing mark, or begin with the character a mark that did not fit took along."""
    _docx, pdf = stress
    events: dict[str, set[str]] = {pool: set() for pool in POOLS}
    for *_box, text in words(pdf):
        kind = _kind(text)
        if kind and len(text) > 1 and text[1] in CLOSING:
            events[kind].add(text[1])
        elif kind and text[-1] in CLOSING and text[-1] != "。":
            events[kind].add(text[-1])
    assert events["body"] == set(CLOSING), events
    assert all(len(events[k]) >= 5 for k in ("heading", "list", "table")), events
    assert events["banji"] == {"，", "。"}, events


def test_every_character_of_the_stress_text_is_printed(stress):
    docx, pdf = stress
    expected, extras = docx_text(docx)
    problems = lost_or_added(expected, pdf_text(pdf), extras)
    assert not problems, "\n".join(problems)


def test_no_mark_hangs_more_than_a_character(stress):
    _docx, pdf = stress
    assert not outside(pdf)


def test_full_body_lines_keep_28_characters(stress):
    """Body lines hold 28 characters, 26 after the two-character indent of a first line; one
    fewer only where the next line starts with the character a closing mark took along (the
    mark did not fit after the last character). Paragraphs' last lines aside."""
    _docx, pdf = stress
    indent = LEFT + 2 * gb.BODY_PT * PT
    lines = [(x0, text) for _page, x0, _x1, _top, text in words(pdf)
             if set(text) <= set(POOLS["body"] + CLOSING) and min(abs(x0 - LEFT), abs(x0 - indent)) < 0.3]
    checked = 0
    for (x0, line), (_, after) in zip(lines, lines[1:]):
        if line.endswith("。"):
            continue
        room = gb.CHARS_PER_LINE - (2 if x0 > LEFT + 1 else 0)
        took_along = after[1] in CLOSING
        assert len(line) == room - took_along, (line, after)
        checked += 1
    assert checked >= 30
