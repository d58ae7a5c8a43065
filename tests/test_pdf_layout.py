"""The GB/T 9704 layout measured on the PDF itself, as an inspector with a ruler would.

Two kinds of document are measured. A 通知 whose body is several pages of plain Chinese
paragraphs (module fixture `pdf`) shows the grid, the margins and the faces cleanly. Every
sample document of both sample workspaces (session fixture `sample_pdfs`, made as `docgen
render --pdf` makes them) is held to every placement the standard gives, within 0.5 mm.
Lengths are millimetres from the top-left corner of the page (tests/pdfmeasure.py); the
expected values are the standard's, written out here, not docgen's constants.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import REPO, part
from docgen import gbt9704 as gb
from docgen.casefile import load_case
from docgen.pdf import convert
from docgen.render import Renderer, render_case, typeset
from docgen.workspace import Workspace
from pdfmeasure import (BLOCK_BOTTOM, BLOCK_RIGHT, CHAR, CJK, LEFT, PAGE_H, PAGE_W, PITCH, PT, TOP, Line,
                        horizontal_rules, is_blank, lines, page_count, page_number, raster, red_ink, red_rules,
                        right_end, text_lines, word_boxes)

TOL = 1.0        # mm, the standard's tolerance on margins
PLACE = 0.5      # mm, the tolerance on every other placement
NUMBER_PT = 14   # 4号 page numbers
BODY_PT, TITLE_PT, TABLE_PT = 16, 22, 12

# Plain ideographs (no punctuation, so no line-breaking rules move a character) in paragraphs
# of 26 + 5 × 28 + 13 characters and a full stop: one indented first line, five full lines.
CHARS = "安全生产监督管理责任制度落实检查整改隐患排查治理重点行业领域企业单位部门乡镇街道风险防控应急值守执法宣传教育培训"


def _paragraph(k: int) -> str:
    return "".join(CHARS[(k * 11 + i * 5) % len(CHARS)] for i in range(26 + 5 * 28 + 13)) + "。"


CASE, DOC = "2021-bx-001", "notice"
TITLE = "关于开展安全生产大检查的通知"
HEADINGS = ["全面排查重点行业领域安全风险", "严格落实整改责任"]
HEADING = re.compile(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                   reason="LibreOffice (soffice) not installed")


def _workspace(root: Path, paragraphs: list[str], **values) -> Workspace:
    """A copy of the sample workspace's office and templates with one 通知 in case CASE."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "office.yaml", root)
    shutil.copy(REPO / "rules.yaml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    folder = root / "casefiles" / "2021" / CASE
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(yaml.safe_dump(
        {"title": "版式测量", "kind": "通知", "opened": "2021-10-20"}, allow_unicode=True), "utf-8")
    body = [paragraphs[0], {"heading": HEADINGS[0], "body": paragraphs[1:4]},
            {"heading": HEADINGS[1], "body": paragraphs[4:]}]
    (folder / f"{DOC}.yaml").write_text(yaml.safe_dump(
        {"type": "notice", "title": TITLE, "date": "2021-10-26",
         "recipients": "各镇人民政府，县安委会各成员单位", "body": body, **values},
        allow_unicode=True, sort_keys=False), "utf-8")
    return Workspace(root)


def _typeset(ws: Workspace, out: Path) -> Path:
    renderer = Renderer(ws)
    [pdf] = typeset(renderer, render_case(ws, CASE, [DOC], out, renderer))
    return pdf


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) not installed")
    root = tmp_path_factory.mktemp("layout")
    return _typeset(_workspace(root / "ws", [_paragraph(k) for k in range(7)]), root)


def body_lines(pdf: Path, page: int) -> list[Line]:
    """The 3号 lines of the grid (body and headings), above the text block's lower edge."""
    return [ln for ln in lines(pdf, page, size=BODY_PT) if ln.baseline < BLOCK_BOTTOM]


def full_lines(pdf: Path, page: int) -> list[Line]:
    """Lines that are neither a paragraph's first (indented) nor its last (ends with 。)."""
    return [ln for ln in body_lines(pdf, page)
            if abs(ln.x - LEFT) < TOL and not ln.text.endswith("。") and CJK.search(ln.text)]


# ------------------------------------------------------------------ §5.2 page and grid

def test_a_full_page_holds_22_lines(pdf):
    assert page_count(pdf) >= 4
    body = body_lines(pdf, 2)
    assert len(body) == gb.LINES_PER_PAGE, [ln.text for ln in body]
    gaps = [b.baseline - a.baseline for a, b in zip(body, body[1:])]
    assert all(abs(g - PITCH) < 0.1 for g in gaps), gaps
    assert abs(body[-1].baseline - body[0].baseline - 21 * PITCH) < 0.6


def test_a_full_line_holds_28_characters(pdf):
    full = full_lines(pdf, 2) + full_lines(pdf, 3)
    assert len(full) >= 25
    counts = {len(CJK.findall(ln.text)) for ln in full}
    assert counts == {28}, [(len(ln.text), ln.text) for ln in full]
    assert all(len(ln.text) == 28 for ln in full)


def test_left_and_right_margins(pdf):
    for page in (2, 3):
        body = body_lines(pdf, page)
        flush = [ln for ln in body if abs(ln.x - LEFT) < 3]
        indented = [ln for ln in body if ln not in flush]
        assert flush and indented
        for ln in flush:  # wrapped lines start at the left edge of the text block: 28 mm
            assert abs(ln.x - LEFT) <= TOL, (ln.x, ln.text)
        for ln in indented:  # first lines and headings two characters in
            assert abs(ln.x - (LEFT + 2 * CHAR)) <= TOL, (ln.x, ln.text)
        for ln in full_lines(pdf, page):  # full lines end at the right edge: 210 - 26 mm
            assert abs(right_end(pdf, page, ln) - BLOCK_RIGHT) <= TOL, ln.text


def test_top_and_bottom_margins(pdf):
    body = body_lines(pdf, 2)
    leading = PITCH - BODY_PT * PT
    first, last = body[0], body[-1]
    # The glyphs themselves: the first line's characters start under the 37 mm edge ...
    assert TOP < first.em_top < TOP + leading
    # ... and the last line's stay inside the text block.
    assert last.em_bottom <= BLOCK_BOTTOM
    # The line grid, each line's type about centred in its 10.23 mm, fills 37 mm to 262 mm.
    assert abs(first.em_top - leading / 2 - TOP) <= TOL, first.em_top
    assert abs(last.em_bottom + leading / 2 - BLOCK_BOTTOM) <= TOL, last.em_bottom


# ------------------------------------------------------------------ §7.5 page numbers

def _number_line(pdf, page) -> Line:
    [line] = [ln for ln in lines(pdf, page, size=NUMBER_PT) if ln.baseline > BLOCK_BOTTOM]
    return line


def test_page_numbers_alternate_sides_one_character_in(pdf):
    char = NUMBER_PT * PT
    numbered = [p for p in range(1, page_count(pdf) + 1) if page_number(pdf, p)]
    assert len(numbered) >= 4
    for page in numbered:
        line = _number_line(pdf, page)
        assert re.fullmatch(rf"—\s*{page}\s*—", line.text), line.text
        boxes = [b for b in word_boxes(pdf, page) if b[1] > BLOCK_BOTTOM]
        if page % 2:  # odd: right, one character in from the right edge
            assert abs(max(b[2] for b in boxes) - (BLOCK_RIGHT - char)) <= TOL, boxes
        else:         # even: left, one character in from the left edge
            assert abs(min(b[0] for b in boxes) - (LEFT + char)) <= TOL, boxes
        # 宋体, 4号, under the text block
        assert line.em_top > BLOCK_BOTTOM and line.size == NUMBER_PT


def _dash_rows(pdf, page, dpi=200):
    """Top and bottom (mm) of the ink of the first 一字线 of the page number."""
    line = _number_line(pdf, page)
    first = min(line.runs, key=lambda r: r.x)
    width, height, _, px = raster(pdf, page, dpi, gray=True)
    to_px = dpi / 25.4
    x0, x1 = int((first.x + 0.5) * to_px), int((first.x + NUMBER_PT * PT - 0.5) * to_px)
    ys = [y for y in range(int(BLOCK_BOTTOM * to_px), int((BLOCK_BOTTOM + 15) * to_px))
          if sum(px[y * width + x] < 128 for x in range(x0, x1)) > 0.6 * (x1 - x0)]
    assert ys, "no 一字线 found under the text block"
    return ys[0] / to_px, (ys[-1] + 1) / to_px


def test_page_number_dash_7mm_under_text_block(pdf):
    for page in (1, 2):
        top, bottom = _dash_rows(pdf, page)
        assert abs((top + bottom) / 2 - (BLOCK_BOTTOM + 7)) <= PLACE, (page, top, bottom)


# ------------------------------------------------------------------ §7.3.5 signature

def test_signature_never_opens_a_page_alone(pdf):
    """The sample's text ends at a page foot; the last lines go over with the signature
    rather than leaving 署名 and 成文日期 alone on a page."""
    page = max(p for p in range(1, page_count(pdf) + 1) if body_lines(pdf, p))
    body = body_lines(pdf, page)
    [name] = [i for i, ln in enumerate(body) if ln.text == "石泉县安全生产委员会办公室"]
    assert body[name + 1].text == "2021年10月26日"
    assert name >= 2 and body[name - 1].text.endswith("。"), [ln.text for ln in body]


# ------------------------------------------------------------------ §7.4 版记

def test_banji_on_the_last_page_above_the_text_block_edge(pdf):
    last = page_count(pdf)
    small = lines(pdf, last, size=gb.SIZES["四号"])
    [printed] = [ln for ln in small if ln.text.endswith("印发")]
    [cc] = [ln for ln in small if ln.text.startswith("抄送：")]
    # The 印发 line is the lowest line of the block, just above its lower edge ...
    assert BLOCK_BOTTOM - PITCH < printed.em_bottom < BLOCK_BOTTOM
    assert cc.baseline < printed.baseline
    # ... between rules: three (thick, thin, thick) when there is a 抄送 line.
    rules = [r for r in horizontal_rules(pdf, last) if r[0] > cc.em_top - PITCH]
    assert len(rules) == 3, rules
    assert rules[0][1] < cc.em_top and cc.em_bottom < rules[1][0] < printed.em_top
    assert printed.em_bottom < rules[2][0]
    thick, thin = rules[2][1] - rules[2][0], rules[1][1] - rules[1][0]
    assert thick >= thin


def test_banji_last_rule_on_text_block_edge(pdf):
    last_rule = horizontal_rules(pdf, page_count(pdf))[-1]
    assert abs((last_rule[0] + last_rule[1]) / 2 - BLOCK_BOTTOM) <= PLACE, last_rule


def test_banji_rules_as_wide_as_text_block(pdf):
    for top, bottom, left, right in horizontal_rules(pdf, page_count(pdf)):
        assert abs(left - LEFT) <= PLACE and abs(right - BLOCK_RIGHT) <= PLACE, (left, right)


# ------------------------------------------------------------------ §7.2 red mark and rule

def test_red_mark_and_rule_on_page_one_only(pdf):
    top, bottom, left, right = red_ink(pdf, 1, above=100, below=TOP)  # (a draft's 草稿 box is higher)
    assert bottom - top > 8 and right - left > 100  # the office's name, in red type, centred
    assert abs((left + right) / 2 - (LEFT + BLOCK_RIGHT) / 2) < 3
    # the red rule under the number: as wide as the text block
    [rule] = red_rules(pdf, 1)
    assert abs(rule[2] - LEFT) <= PLACE and abs(rule[3] - BLOCK_RIGHT) <= PLACE
    assert red_ink(pdf, 2, 50, below=TOP) is None
    [number] = [ln for ln in lines(pdf, 1) if "〔" in ln.text]
    assert number.em_bottom < rule[0] < number.em_bottom + 7


def test_mark_top_35mm_under_text_block_top(pdf):
    top = red_ink(pdf, 1, above=100, below=TOP)[0]
    assert abs(top - (TOP + 35)) <= PLACE, top


LONG_CC = ["县委办", "县人大办", "县政府办", "县政协办", "县纪委监委", "县委组织部", "县委宣传部",
           "县应急管理局", "县住房和城乡建设局", "县交通运输局", "县市场监管局", "县消防救援大队", "各镇人民政府"]


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> Path:
    """The sample 约谈通知书 as a numbered, secret, urgent copy, its mark short (so 42 pt), with
    a 抄送 of four lines."""
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) not installed")
    root = tmp_path_factory.mktemp("marked") / "ws"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench", "samples"))
    path = root / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text("utf-8") + "copy_number: 12\nsecurity: 秘密\nsecret_term: 1年\nurgency: 特急\n"
                    "mark: 石泉县安委办文件\ncc: [" + ", ".join(LONG_CC) + "]\n", "utf-8")
    ws = Workspace(root)
    docx = root / "summons.docx"
    docx.write_bytes(Renderer(ws).render_bytes(load_case(ws, "2021-yt-001").document("summons")))
    [out] = convert([docx])
    return out


def test_copy_number_security_and_urgency_top_left_above_the_mark(marked):
    """§7.2.1-7.2.3: 份号 (6 digits), 密级★保密期限 and 紧急程度 (黑体, the face of the 一、
    headings), one a line from the top of the text block, flush left; a 42 pt mark still
    starts 35 mm under the text block's top."""
    first = lines(marked, 1, size=BODY_PT)[:3]
    assert [ln.text for ln in first] == ["000012", "秘密★1年", "特急"]
    assert all(abs(ln.x - LEFT) <= PLACE for ln in first)
    assert TOP <= first[0].em_top and first[0].em_bottom <= TOP + PITCH  # the grid's first line
    assert all(abs(b.baseline - a.baseline - PITCH) <= PLACE for a, b in zip(first, first[1:]))
    heading = next(r.font for page in (1, 2) for ln in lines(marked, page) for r in ln.runs if r.text.startswith("一、"))
    assert {r.font for ln in first[1:] for r in ln.runs if CJK.search(r.text)} == {heading}
    top, bottom, *_ = red_ink(marked, 1, above=100, below=TOP)
    assert bottom - top > 0.9 * 42 * PT  # the whole mark, at 42 pt
    assert abs(top - (TOP + 35)) <= PLACE, top


# ------------------------------------------------------------------ faces

def test_title_body_and_heading_faces_distinct(pdf):
    first = lines(pdf, 1)
    [title] = [ln for ln in first if ln.text == TITLE]
    body = [r for ln in body_lines(pdf, 2) for r in ln.runs if not HEADING.match(r.text)]
    heading = [r for page in (1, 2) for ln in body_lines(pdf, page) for r in ln.runs if HEADINGS[0] in r.text]
    assert title.size == gb.SIZES["二号"] and heading
    faces = {"title": {r.font for r in title.runs}, "body": {r.font for r in body},
             "heading": {r.font for r in heading}}
    assert all(len(f) == 1 for f in faces.values()), faces
    assert len(set.union(*faces.values())) == 3, faces
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    for face in set.union(*faces.values()):  # (a draft's 草稿 mark may bring a second subset of a face)
        rows = [r for r in listed if r.split()[0].split("+")[-1] == face]
        assert rows and all(re.search(r"\s+yes\s+yes\s+yes\s+\d+\s+\d+$", row) for row in rows), rows


def test_long_cc_wraps_inside_the_banji_ending_on_the_text_block_edge(marked):
    """§7.4: a 抄送 of several lines stays whole between the rules, wrapped lines aligned
    after 抄送：, and the last rule still lies on the text block's lower edge."""
    last = page_count(marked)
    small = [ln for ln in lines(marked, last, size=gb.BANJI_PT) if ln.baseline < BLOCK_BOTTOM]
    start = next(i for i, ln in enumerate(small) if ln.text.startswith("抄送："))
    cc = small[start:-1]
    assert len(cc) == 4 and small[-1].text.endswith("印发")
    assert "".join(ln.text for ln in cc) == "抄送：" + "，".join(LONG_CC) + "。"
    assert all(abs(ln.x - cc[0].x - 3 * gb.BANJI_PT * PT) <= TOL for ln in cc[1:])
    rules = horizontal_rules(marked, last)
    assert len(rules) == 3 and rules[0][1] < cc[0].em_top and cc[-1].em_bottom < rules[1][0]
    assert abs((rules[-1][0] + rules[-1][1]) / 2 - BLOCK_BOTTOM) <= TOL, rules[-1]


# ================================================================== every sample document



def samples(sample_pdfs, **only) -> list[tuple[str, Path, object]]:
    """(id, PDF, casefile document) of the samples, those of one form or type if asked."""
    from docgen.casefile import load_case as load

    out = []
    for (prefix, case_id, doc_id), pdf in sorted(sample_pdfs.items()):
        root = REPO if prefix == "石安委办" else REPO / "samples" / "zhongxian"
        doc = load(Workspace(root), case_id).document(doc_id)
        if all(getattr(doc.type, k) == v for k, v in only.items()):
            out.append((f"{case_id}/{doc_id}", pdf, doc))
    assert out
    return out


def slot(line: Line) -> int:
    """The line of the 22-line grid a line of type sits in (1 is the text block's first)."""
    return int(-(-(line.em_bottom - TOP) // PITCH))


def text_end(pdf: Path) -> int:
    """The last page carrying 3号 text inside the text block."""
    return max(p for p in range(1, page_count(pdf) + 1)
               if any(ln.size == BODY_PT for ln in text_lines(pdf, p)))


def banji_lines(pdf: Path, page: int) -> list[Line]:
    return [ln for ln in text_lines(pdf, page) if ln.size == gb.BANJI_PT]


def signature(pdf: Path, doc) -> tuple[int, list[Line], Line]:
    """(page, the signer lines, the date line) of a document's 署名 and 成文日期."""
    signers = doc.values.get("signers") or [Workspace(doc.case.path.parents[2]).office["name"]]
    date = gb.format_date(doc.values["date"])
    for page in range(page_count(pdf), 0, -1):
        found = text_lines(pdf, page)
        dates = [i for i, ln in enumerate(found) if re.sub(r"\s", "", ln.text) == date and ln.size == BODY_PT]
        if dates:
            at = dates[-1]
            names = found[at - len(signers):at]
            assert [ln.text for ln in names] == signers
            return page, names, found[at]
    raise AssertionError(f"no 成文日期 {date} in {pdf}")


@needs_soffice
def test_banji_on_an_even_page_blank_pages_and_banji_pages_unnumbered(sample_pdfs):
    """§7.4/§7.5: the 版记 lies at the foot of an even page, the last; if the text ends on an
    odd page it goes to the next page, and if the text fills an even page a blank page comes
    between. Neither a blank page nor a page holding only the 版记 carries a number; every
    other page does (but a letter's first), in order."""
    seen = set()
    for name, pdf, doc in samples(sample_pdfs):
        last, end = page_count(pdf), text_end(pdf)
        assert any(ln.text.startswith("抄送：") for ln in banji_lines(pdf, last)), name
        assert last % 2 == 0 and last - end <= 2, (name, end, last)
        for page in range(end + 1, last):
            assert is_blank(pdf, page), (name, page)
        if end % 2 == 0 and last > end:  # only when the 版记 would not fit under the text
            banji_top = min(ln.em_top for ln in banji_lines(pdf, last)) - PITCH / 2
            text_bottom = max(ln.em_bottom for ln in text_lines(pdf, end))
            assert banji_top < text_bottom + PITCH, (name, banji_top, text_bottom)
        # the .docx says so: the 版记 (after the blank page) in sections of their own
        assert part(pdf.with_suffix(".docx"), "word/document.xml").count("<w:sectPr") == 1 + last - end
        for page in range(1, last + 1):
            number = page_number(pdf, page)
            if page > end or (page == 1 and doc.type.form == "letter"):
                assert number is None, (name, page)
            else:
                assert number == str(page), (name, page, number)
        seen.add(last - end)
    assert seen == {0, 1, 2}  # shared with the text; on the next page; after a blank page


def lines_short(page: int, found: list[Line]) -> int:
    """How many more lines of the grid a page's text block had room for under its last line.
    From page 2 the lines stand on the 22-line grid; the first page's header puts its text
    off the grid (its elements are placed in millimetres), so there it is the room left."""
    if page > 1:
        return 22 - slot(found[-1])
    below_type = (PITCH - BODY_PT * PT) / 2  # about half the leading under a line's type
    return int((BLOCK_BOTTOM - found[-1].em_bottom - below_type) // PITCH)


@needs_soffice
def test_full_pages_carry_22_lines(sample_pdfs):
    """撑满版心: every page the text runs past ends on the grid's 22nd line. The exceptions a
    proofreader allows: a heading goes over with its text (one or two lines short); the last
    lines of text go over with the signature, which never opens a page alone (at most three
    short); 附件 starts a page."""
    for name, pdf, doc in samples(sample_pdfs):
        end = text_end(pdf)
        sign_page = signature(pdf, doc)[0]
        for page in range(1, end):
            found, following = text_lines(pdf, page), text_lines(pdf, page + 1)
            short = lines_short(page, found)
            if following[0].text.startswith("附件") or found[-1].size != BODY_PT or short == 0:
                continue  # 附件 starts a page; a table's rows are not lines of the grid
            if HEADING.match(following[0].text):
                assert short <= 2, (name, page, short)
            else:
                assert page + 1 == sign_page and short <= 3, (name, page, short, following[0].text)
        for page in range(2, end + 1):  # and the lines stand on the grid
            body = [ln for ln in text_lines(pdf, page) if ln.size == BODY_PT]
            for a, b in zip(body, body[1:]):
                steps = (b.baseline - a.baseline) / PITCH
                # (a line holding Latin digits sits up to 0.3 mm higher: LibreOffice keeps the
                # Latin face's deeper descent inside the exact line)
                assert abs(steps - round(steps)) * PITCH < PLACE, (name, page, a.text, b.text)


CLOSING = "，。、；：？！”’）》」』】"  # may not open a line
OPENING = "“‘（《「『【"        # may not end one


@needs_soffice
def test_every_all_chinese_full_line_holds_28_characters(sample_pdfs):
    """A line of Chinese that runs from the left edge to the right edge of the text block holds
    28 characters, unless the line-breaking rules carried its last character over with a
    closing mark that may not open a line, or an opening mark that may not end one
    (LibreOffice neither hangs nor squeezes the mark: the line keeps 27 characters, spread;
    README lists it)."""
    checked, carried = 0, []
    for name, pdf, doc in samples(sample_pdfs):
        found = [(page, ln) for page in range(1, text_end(pdf) + 1) for ln in text_lines(pdf, page)]
        for (page, ln), (_, following) in zip(found, found[1:] + [(None, None)]):
            text = ln.text.replace(" ", "")
            if ln.size != BODY_PT or abs(ln.x - LEFT) > PLACE or re.search(r"[\x21-\x7e]", text):
                continue
            end = right_end(pdf, page, ln)
            if end < BLOCK_RIGHT - CHAR / 2:
                continue  # a paragraph's last line
            checked += 1
            nxt = following.text.replace(" ", "") if following is not None else ""
            if len(text) == 27 and (nxt[1:2] in CLOSING or nxt[:1] in OPENING):
                carried.append(text)
                continue
            assert len(text) == 28 + (end > BLOCK_RIGHT + CHAR / 2), (name, page, len(text), text)
    assert checked > 200, checked


@needs_soffice
def test_signature_placed_from_its_text(sample_pdfs):
    """§7.3.5. Unsealed: the name two characters in from the right, the date on the next line
    starting two characters right of the name's first character; a longer date two
    characters in from the right, pushing the name left; one blank line under the text.
    Sealed: the date four characters in from the right, the name centred on it, room for the
    seal above (the name three lines under the text)."""
    kinds = set()
    for name, pdf, doc in samples(sample_pdfs):
        page, names, date = signature(pdf, doc)
        signer = max(names, key=lambda ln: right_end(pdf, page, ln) - ln.x)
        name_end, date_end = right_end(pdf, page, signer), right_end(pdf, page, date)
        above = [ln for ln in text_lines(pdf, page) if ln.baseline < names[0].baseline]
        gap = round((names[0].baseline - above[-1].baseline) / PITCH) if above else None
        if doc.values.get("sealed"):
            kinds.add("sealed")
            assert abs(date_end - (BLOCK_RIGHT - 4 * CHAR)) <= PLACE, (name, date_end)
            assert abs((signer.x + name_end) / 2 - (date.x + date_end) / 2) <= PLACE, name
            assert gap is None or gap == 4, (name, gap)
        elif date_end - date.x > name_end - signer.x - 2 * CHAR:
            kinds.add("long date")
            assert abs(date_end - (BLOCK_RIGHT - 2 * CHAR)) <= PLACE, (name, date_end)
            assert abs(date.x - signer.x - 2 * CHAR) <= PLACE, (name, date.x, signer.x)
        else:
            kinds.add("unsealed")
            assert abs(name_end - (BLOCK_RIGHT - 2 * CHAR)) <= PLACE, (name, name_end)
            assert abs(date.x - signer.x - 2 * CHAR) <= PLACE, (name, date.x, signer.x)
            assert gap is None or gap == 2, (name, gap)
        assert abs(date.baseline - names[-1].baseline - PITCH) <= PLACE
    assert kinds == {"sealed", "long date", "unsealed"}


# Words of the samples' titles a line break must not split (the audit found 整改工|作, 问题隐|患).
TITLE_WORDS = ["安全生产", "工作", "隐患", "督查", "情况", "反馈", "意见", "巡查", "评估", "暗访", "通报",
               "通知", "整改", "问题", "挂牌督办", "集贸市场", "联合执法", "行动", "准备", "城镇", "燃气",
               "人民政府", "尾矿库", "排洪设施", "事故隐患", "火灾隐患", "常态化", "安全监管", "十条措施",
               "第三季度", "第四季度", "回头看", "清单", "砂石", "有限公司", "池河镇", "城关镇", "住房和城乡建设局"]


def _title(pdf: Path) -> list[Line]:
    return [ln for ln in text_lines(pdf, 1) if ln.size == TITLE_PT]


@needs_soffice
def test_titles_break_between_words_into_a_trapezoid_or_diamond(sample_pdfs):
    """§7.3.1: 2号 lines one line apart, breaks keeping words whole, lines of unequal length
    (no rectangle) and no hourglass; two blank lines under the red rule, 主送 (or the first
    line of text) one blank line under the title."""
    several = 0
    for name, pdf, doc in samples(sample_pdfs):
        title = _title(pdf)
        assert "".join(ln.text for ln in title).replace(" ", "") == doc.title, name
        for a, b in zip(title, title[1:]):
            assert abs(b.baseline - a.baseline - PITCH) <= PLACE, (name, a.text, b.text)
            joined = a.text.replace(" ", "") + "|" + b.text.replace(" ", "")
            split = [w for w in TITLE_WORDS if any(joined[i:i + len(w) + 1].replace("|", "") == w
                                                   and "|" in joined[i + 1:i + len(w)]
                                                   for i in range(len(joined)))]
            assert not split, (name, joined, split)
        widths = [right_end(pdf, 1, ln) - ln.x for ln in title]
        if len(widths) > 1:
            several += 1
            assert max(widths) - min(widths) > CHAR, (name, widths)  # not a rectangle
            assert not any(b < a and b < c for a, b, c in zip(widths, widths[1:], widths[2:])), name
        centre = lambda ln: (ln.em_top + ln.em_bottom) / 2  # noqa: E731
        after = next(ln for ln in text_lines(pdf, 1) if ln.baseline > title[-1].baseline)
        assert abs(centre(after) - centre(title[-1]) - 2 * PITCH) <= PLACE, (name, after.text)
        if doc.type.form != "letter":
            rule = red_rules(pdf, 1)[0]
            assert abs(centre(title[0]) - rule[1] - 2.5 * PITCH) <= PLACE, name
    assert several >= 5


@needs_soffice
def test_red_rule_4mm_under_the_number_and_mark_35mm_under_the_block_top(sample_pdfs):
    """§7.2.4-7.2.6: the mark's top 35 mm under the text block's top; the 发文字号 two lines
    under it; the red rule as wide as the text block, 4 mm under the 发文字号."""
    for name, pdf, doc in samples(sample_pdfs):
        if doc.type.form == "letter":
            continue
        [rule] = red_rules(pdf, 1)
        mark_top, mark_bottom, *_ = red_ink(pdf, 1, above=rule[0] - 1, below=TOP)
        number = next(ln for ln in text_lines(pdf, 1) if "〔" in ln.text)
        assert abs(mark_top - (TOP + 35)) <= PLACE, (name, mark_top)
        assert abs(rule[2] - LEFT) <= PLACE and abs(rule[3] - BLOCK_RIGHT) <= PLACE, (name, rule)
        assert abs(rule[0] - number.em_bottom - 4) <= PLACE, (name, rule[0] - number.em_bottom)
        assert abs(number.em_top - mark_bottom - 2 * PITCH - (PITCH - BODY_PT * PT) / 2) <= TOL, name


@needs_soffice
def test_upward_document_number_and_signer_on_one_line(sample_pdfs):
    """上行文 (§7.2.4, §7.2.7): 发文字号 one character in from the left, on the line of the
    签发人, which ends one character in from the right; the red rule 156 mm."""
    for name, pdf, doc in samples(sample_pdfs, form="report"):
        [line] = [ln for ln in text_lines(pdf, 1) if "签发人" in ln.text]
        assert line.text.replace(" ", "").endswith("签发人：" + doc.values["signer"])
        assert abs(line.x - (LEFT + CHAR)) <= PLACE, (name, line.x)
        assert abs(right_end(pdf, 1, line) - (BLOCK_RIGHT - CHAR)) <= PLACE, name
        [rule] = red_rules(pdf, 1)
        assert abs(rule[3] - rule[2] - 156) <= PLACE, rule


@needs_soffice
def test_letter_frame(sample_pdfs):
    """信函格式 (§10.1): the mark 30 mm from the page top; 4 mm under it a red double rule,
    thick over thin, and 20 mm above the page's foot one thin over thick, both 170 mm and
    centred; the 发文字号 flush right 7/8 of a 3号 character under the first rule; no page
    number on the first page, the others 7 mm under the text block; the 版记 without 印发
    line and without rules."""
    for name, pdf, doc in samples(sample_pdfs, form="letter"):
        rules = red_rules(pdf, 1)
        assert len(rules) == 4, rules
        for top, bottom, left, right in rules:
            assert abs(right - left - 170) <= PLACE and abs((left + right) / 2 - PAGE_W / 2) <= PLACE
        (t1, b1, *_), (t2, b2, *_), (t3, b3, *_), (t4, b4, *_) = rules
        assert b1 - t1 > 2 * (b2 - t2) and b4 - t4 > 2 * (b3 - t3)  # thick over thin; thin over thick
        assert abs(b4 - (PAGE_H - 20)) <= PLACE, b4
        # (a draft's 草稿 box ends 25 mm from the top)
        mark_top, mark_bottom, *_ = red_ink(pdf, 1, 300, above=t1 - 0.5, below=27)
        assert abs(mark_top - 30) <= PLACE and abs(t1 - mark_bottom - 4) <= PLACE, (mark_top, mark_bottom, t1)
        number = next(ln for ln in text_lines(pdf, 1) if "〔" in ln.text)
        assert abs(number.em_top - b2 - 7 / 8 * BODY_PT * PT) <= PLACE, number.em_top - b2
        assert abs(right_end(pdf, 1, number) - BLOCK_RIGHT) <= PLACE
        assert page_number(pdf, 1) is None and page_number(pdf, 2) == "2"
        last = page_count(pdf)
        assert not horizontal_rules(pdf, last) and not any(ln.text.endswith("印发") for ln in banji_lines(pdf, last))
        cc = [ln for ln in banji_lines(pdf, last) if ln.text.startswith("抄送：")]
        assert cc and BLOCK_BOTTOM - PITCH < max(ln.em_bottom for ln in banji_lines(pdf, last)) <= BLOCK_BOTTOM
        for page in range(2, text_end(pdf) + 1):
            top, bottom = _dash_rows(pdf, page)
            assert abs((top + bottom) / 2 - (BLOCK_BOTTOM + 7)) <= PLACE, (page, top, bottom)


@needs_soffice
def test_minutes_attendance(sample_pdfs):
    """纪要格式 (§10.3): 出席, 请假, 列席 in that order, one blank line under the text, two
    characters in: the label in 黑体 (the face of the level-1 headings) with a full-width
    colon, the names in 仿宋, wrapped lines aligned after the colon."""
    for name, pdf, doc in samples(sample_pdfs, form="minutes"):
        labels = {"出席": "attendees", "请假": "absent", "列席": "observers"}
        wanted = [label for label, field in labels.items() if field in doc.values]
        found, heading_face = [], None
        for page in range(1, page_count(pdf) + 1):
            page_lines = text_lines(pdf, page)
            heading_face = heading_face or next((r.font for ln in page_lines for r in ln.runs
                                                 if re.match(r"[一二三四五六]、", r.text)), None)
            for i, ln in enumerate(page_lines):
                label = ln.text[:3]
                if label[:2] in labels and label[2] == "：" and abs(ln.x - (LEFT + 2 * CHAR)) <= PLACE:
                    found.append((page, i, ln, page_lines))
        assert [ln.text[:2] for _, _, ln, _ in found] == wanted, name
        page, i, first, page_lines = found[0]
        if i:  # one blank line under the text
            assert abs(first.baseline - page_lines[i - 1].baseline - 2 * PITCH) <= PLACE, name
        for page, i, ln, page_lines in found:
            label = min(ln.runs, key=lambda r: r.x)
            names = {r.font for r in ln.runs if r is not label and CJK.search(r.text)}
            assert label.font == heading_face and label.font not in names, (name, label.font, names)
            wrapped = page_lines[i + 1] if i + 1 < len(page_lines) else None
            if wrapped is not None and abs(wrapped.baseline - ln.baseline - PITCH) <= PLACE \
                    and wrapped.text[:2] not in labels and wrapped.x > LEFT + 4 * CHAR:
                assert abs(wrapped.x - (LEFT + 5 * CHAR)) <= PLACE, (name, wrapped.text)


@needs_soffice
def test_attachment_table(sample_pdfs):
    """通报's 隐患清单 (§8 of the design notes): 小四 at its own pitch, header labels whole on
    one line (序号), the table as wide as the text block, on a page of its own after 附件."""
    for name, pdf, doc in samples(sample_pdfs, id="bulletin"):
        page = next(p for p in range(1, page_count(pdf) + 1)
                    if any(ln.text == "附件" for ln in text_lines(pdf, p)))
        table = [ln for ln in lines(pdf, page) if ln.size == TABLE_PT]
        header = [b for b in word_boxes(pdf, page) if b[4] in ("序号", "单位", "整改要求")]
        assert {b[4] for b in header} == {"序号", "单位", "整改要求"}, name
        # a date's month and day stay together (no 日 alone on a line of its cell)
        boxes = word_boxes(pdf, page)
        alone = [b for b in boxes if b[4] == "日" and not any(abs(o[1] - b[1]) < 0.3 and 0 <= b[0] - o[2] < 2
                                                            for o in boxes if o is not b)]
        assert not alone, (name, alone)
        pitches = Counter(round(b.baseline - a.baseline, 1) for a, b in zip(table, table[1:]))
        assert abs(pitches.most_common(1)[0][0] - TABLE_PT * 1.25 * PT) <= 0.2, pitches  # 15 pt
        grid = [r for r in horizontal_rules(pdf, page, min_mm=100) if r[0] > table[0].em_top - 5]
        assert grid and all(abs(r[2] - LEFT) <= PLACE and abs(r[3] - BLOCK_RIGHT) <= PLACE for r in grid)


@needs_soffice
def test_long_table_repeats_its_header_row(tmp_path):
    """A 隐患清单 that runs over pages repeats its header row on each."""
    ws_root = tmp_path / "ws"
    shutil.copytree(REPO, ws_root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench", "samples"))
    path = ws_root / "casefiles/2021/2021-tb-004/bulletin.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["hazards"] = data["hazards"] * 4
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    ws = Workspace(ws_root)
    renderer = Renderer(ws)
    [pdf] = typeset(renderer, render_case(ws, "2021-tb-004", ["bulletin"], tmp_path, renderer))
    pages = [p for p in range(1, page_count(pdf) + 1)
             if any(ln.size == TABLE_PT for ln in lines(pdf, p))]
    assert len(pages) >= 2
    for page in pages:
        first = min((ln for ln in lines(pdf, page) if ln.size == TABLE_PT), key=lambda ln: ln.baseline)
        assert "序号" in first.text.replace(" ", ""), (page, first.text)


@needs_soffice
def test_letter_copy_number_security_and_urgency_under_the_rule(tmp_path):
    """信函格式 (§10.1): 份号, 密级和保密期限, 紧急程度 flush left under the first double rule,
    one a line in that order, the first 7/8 of a 3号 character under it, beside the 发文字号;
    the title two lines under the last of them."""
    root = tmp_path / "ws"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench", "samples"))
    path = root / "casefiles/2021/2021-dc-002/feedback.yaml"
    path.write_text(path.read_text("utf-8") + "copy_number: 12\nsecurity: 秘密\nsecret_term: 1年\nurgency: 特急\n", "utf-8")
    ws = Workspace(root)
    renderer = Renderer(ws)
    [pdf] = typeset(renderer, render_case(ws, "2021-dc-002", ["feedback"], tmp_path, renderer))
    rule_bottom = red_rules(pdf, 1)[1][1]
    found = text_lines(pdf, 1)
    first, second, third = found[:3]
    assert first.text.startswith("000012") and [second.text, third.text] == ["秘密★1年", "特急"]
    assert all(abs(ln.x - LEFT) <= PLACE for ln in (first, second, third))
    number = next(r for r in first.runs if "〔" in r.text)
    assert abs(number.em_top - first.em_top) <= PLACE and abs(first.em_top - rule_bottom - 7 / 8 * BODY_PT * PT) <= PLACE
    assert all(abs(b.baseline - a.baseline - PITCH) <= PLACE for a, b in [(first, second), (second, third)])
    title = _title(pdf)[0]
    centre = lambda ln: (ln.em_top + ln.em_bottom) / 2  # noqa: E731
    assert abs(centre(title) - centre(third) - 3 * PITCH) <= TOL  # (the faces' boxes sit a little apart)


@needs_soffice
def test_several_signers_two_a_line_the_number_on_the_last(tmp_path):
    """§7.2.7: several 签发人 in order, two names a line, wrapped names aligned with the first;
    the block one character in from the right; the 发文字号 on the line of the last name; the
    red rule under it."""
    root = tmp_path / "ws"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench", "samples"))
    path = root / "casefiles/2021/2021-xc-003/patrol_report.yaml"
    path.write_text(re.sub(r"(?m)^signer: .*$", "signer: 王建国、李明、张华", path.read_text("utf-8")), "utf-8")
    ws = Workspace(root)
    renderer = Renderer(ws)
    [pdf] = typeset(renderer, render_case(ws, "2021-xc-003", ["patrol_report"], tmp_path, renderer))
    first, second = [ln for ln in text_lines(pdf, 1) if "签发人" in ln.text or "张华" in ln.text]
    assert first.text.replace(" ", "").replace("\u3000", "") == "签发人：王建国李明"
    assert abs(right_end(pdf, 1, first) - (BLOCK_RIGHT - CHAR)) <= PLACE
    label = min(first.runs, key=lambda r: r.x)
    name_x = next(r.x for r in sorted(first.runs, key=lambda r: r.x) if r.text.strip().startswith("王"))
    assert label.text.startswith("签发人")
    [wrapped] = [r for r in second.runs if "张华" in r.text]
    assert abs(wrapped.x - name_x) <= PLACE, (wrapped.x, name_x)
    assert "〔" in second.text and abs(second.x - (LEFT + CHAR)) <= PLACE
    assert abs(second.baseline - first.baseline - PITCH) <= PLACE
    [rule] = red_rules(pdf, 1)
    assert second.em_bottom < rule[0] < second.em_bottom + 5 and abs(rule[3] - rule[2] - 156) <= PLACE
