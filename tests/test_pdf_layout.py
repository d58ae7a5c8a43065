"""The GB/T 9704 layout measured on the PDF itself, as an inspector with a ruler would.

A 通知 whose body is several pages of plain Chinese paragraphs is rendered and converted once
(module fixture); the tests read glyph positions back (pypdf for baselines, sizes and fonts,
`pdftotext -bbox` for the right ends of lines) and look at rendered pixels (pdftoppm) for the
rules and the red mark. Lengths are in millimetres from the top-left corner of the page.

Vertical positions of text are taken from the ideographic em box of each glyph (0.88 of the
type size above the baseline, 0.12 below), the box a CJK face draws its characters in. A line
of the 22-line grid is 10.2 mm high and its type 5.6 mm, so the 4.6 mm of leading is shared
above and below the glyphs: the text block's edges are the em box edges of the first and last
lines pushed out by half the leading.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import REPO, part
from docgen import gbt9704 as gb
from docgen.casefile import load_case
from docgen.pdf import convert
from docgen.render import Renderer
from docgen.workspace import Workspace

PT = 25.4 / 72  # mm per point
TOL = 1.0       # mm, the standard's tolerance on margins
PAGE_W, PAGE_H = 210.0, 297.0
TOP, BOTTOM, LEFT, RIGHT = 37.0, 35.0, 28.0, 26.0
BLOCK_BOTTOM = PAGE_H - BOTTOM           # 262 mm
BLOCK_RIGHT = PAGE_W - RIGHT             # 184 mm
PITCH = (PAGE_H - TOP - BOTTOM) / 22     # 10.23 mm
NUMBER_PT = gb.SIZES["四号"]
CJK = re.compile(r"[\u4e00-\u9fff]")

# Plain ideographs (no punctuation, so no line-breaking rules move a character) in paragraphs
# of 26 + 5 × 28 + 13 characters and a full stop: one indented first line, five full lines.
CHARS = "安全生产监督管理责任制度落实检查整改隐患排查治理重点行业领域企业单位部门乡镇街道风险防控应急值守执法宣传教育培训"


def _paragraph(k: int) -> str:
    return "".join(CHARS[(k * 11 + i * 5) % len(CHARS)] for i in range(26 + 5 * 28 + 13)) + "。"


CASE, DOC = "2021-bx-001", "notice"
TITLE = "关于开展安全生产大检查的通知"
HEADINGS = ["全面排查重点行业领域安全风险", "严格落实整改责任"]


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) not installed")
    root = tmp_path_factory.mktemp("layout") / "ws"
    root.mkdir()
    shutil.copy(REPO / "office.yaml", root)
    shutil.copy(REPO / "rules.yaml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    folder = root / "casefiles" / "2021" / CASE
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(yaml.safe_dump(
        {"title": "版式测量", "kind": "通知", "opened": "2021-10-20"}, allow_unicode=True), "utf-8")
    paras = [_paragraph(k) for k in range(7)]
    body = [paras[0], {"heading": HEADINGS[0], "body": paras[1:4]},
            {"heading": HEADINGS[1], "body": paras[4:]}]
    (folder / f"{DOC}.yaml").write_text(yaml.safe_dump(
        {"type": "notice", "title": TITLE, "date": "2021-10-26",
         "recipients": "各镇人民政府，县安委会各成员单位", "body": body},
        allow_unicode=True, sort_keys=False), "utf-8")
    ws = Workspace(root)
    docx = root / "notice.docx"
    docx.write_bytes(Renderer(ws).render_bytes(load_case(ws, CASE).document(DOC)))
    [out] = convert([docx])
    return out


# ------------------------------------------------------------------ reading the PDF back

@dataclass
class Run:
    baseline: float  # mm from the top of the page
    x: float         # mm from the left edge, where the run starts
    size: float      # points
    font: str        # base font name without subset tag
    text: str

    @property
    def em_top(self) -> float:
        return self.baseline - 0.88 * self.size * PT

    @property
    def em_bottom(self) -> float:
        return self.baseline + 0.12 * self.size * PT


@dataclass
class Line:
    runs: list[Run]

    @property
    def baseline(self) -> float:
        return self.runs[0].baseline

    @property
    def size(self) -> float:
        return max(r.size for r in self.runs)

    @property
    def x(self) -> float:
        return min(r.x for r in self.runs)

    @property
    def text(self) -> str:
        return "".join(r.text for r in sorted(self.runs, key=lambda r: r.x))

    @property
    def em_top(self) -> float:
        return min(r.em_top for r in self.runs)

    @property
    def em_bottom(self) -> float:
        return max(r.em_bottom for r in self.runs)


def runs(pdf: Path, page: int) -> list[Run]:
    """Text runs of a page (1-based) with their baselines and starts in mm."""
    reader = PdfReader(pdf)
    height = float(reader.pages[page - 1].mediabox.height)
    found = []

    def visit(text, cm, tm, font, size):
        if not text.strip() or not font:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        found.append(Run((height - y) * PT, x * PT, size * tm[3] * cm[3],
                         str(font["/BaseFont"]).lstrip("/").split("+")[-1], text.strip("\n")))
    reader.pages[page - 1].extract_text(visitor_text=visit)
    return found


def lines(pdf: Path, page: int, *, size: float | None = None) -> list[Line]:
    """Runs grouped into lines by baseline, top to bottom; only runs of `size` pt if given."""
    grouped: dict[float, list[Run]] = {}
    for run in runs(pdf, page):
        if size is None or abs(run.size - size) < 0.1:
            key = next((k for k in grouped if abs(k - run.baseline) < 0.3), run.baseline)
            grouped.setdefault(key, []).append(run)
    return [Line(grouped[k]) for k in sorted(grouped)]


def word_boxes(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """pdftotext's word boxes (xMin, yMin, xMax, yMax in mm, text): xMax is the end of the
    last glyph's advance, which pypdf does not give."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(*(float(v) * PT for v in m.groups()[:4]), m.group(5)) for m in re.finditer(pattern, html)]


def right_end(pdf: Path, page: int, line: Line) -> float:
    return max(x1 for x0, y0, x1, y1, _ in word_boxes(pdf, page) if y0 < line.baseline < y1)


def raster(pdf: Path, page: int, dpi: int, *, gray: bool) -> tuple[int, int, int, bytes]:
    """A page as pixels: (width, height, channels, bytes) from pdftoppm's PGM/PPM."""
    args = ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page)] + (["-gray"] if gray else [])
    data = subprocess.run(args + [str(pdf)], capture_output=True, check=True).stdout
    magic, size, _maxval, pixels = data.split(b"\n", 3)
    width, height = map(int, size.split())
    return width, height, 1 if magic == b"P5" else 3, pixels


def horizontal_rules(pdf: Path, page: int, *, min_mm: float = 100, dpi: int = 200):
    """Dark horizontal rules at least min_mm long: [(top, bottom, left, right)] in mm."""
    width, height, _, px = raster(pdf, page, dpi, gray=True)
    mm = 25.4 / dpi
    rows = []
    for y in range(height):
        row = px[y * width:(y + 1) * width]
        dark = [x for x in range(width) if row[x] < 128]
        if len(dark) * mm >= min_mm:
            rows.append((y, dark[0], dark[-1]))
    rules = []
    for y, x0, x1 in rows:
        if rules and y - rules[-1][1] <= 1:
            rules[-1][1:] = [y, min(rules[-1][2], x0), max(rules[-1][3], x1)]
        else:
            rules.append([y, y, x0, x1])
    return [(a * mm, (b + 1) * mm, c * mm, (d + 1) * mm) for a, b, c, d in rules]


def page_count(pdf: Path) -> int:
    return len(PdfReader(pdf).pages)


def body_lines(pdf: Path, page: int) -> list[Line]:
    """The 3号 lines of the grid (body and headings), above the text block's lower edge."""
    return [ln for ln in lines(pdf, page, size=gb.BODY_PT) if ln.baseline < BLOCK_BOTTOM]


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
    assert counts == {gb.CHARS_PER_LINE}, [(len(ln.text), ln.text) for ln in full]
    assert all(len(ln.text) == gb.CHARS_PER_LINE for ln in full)


def test_left_and_right_margins(pdf):
    for page in (2, 3):
        body = body_lines(pdf, page)
        flush = [ln for ln in body if abs(ln.x - LEFT) < 3]
        indented = [ln for ln in body if ln not in flush]
        assert flush and indented
        for ln in flush:  # wrapped lines start at the left edge of the text block: 28 mm
            assert abs(ln.x - LEFT) <= TOL, (ln.x, ln.text)
        char = (gb.BODY_PT + gb.CHAR_CONDENSE / 20) * PT
        for ln in indented:  # first lines and headings two characters in
            assert abs(ln.x - (LEFT + 2 * char)) <= TOL, (ln.x, ln.text)
        for ln in full_lines(pdf, page):  # full lines end at the right edge: 210 - 26 mm
            assert abs(right_end(pdf, page, ln) - BLOCK_RIGHT) <= TOL, ln.text


def test_top_and_bottom_margins(pdf):
    body = body_lines(pdf, 2)
    leading = PITCH - gb.BODY_PT * PT
    first, last = body[0], body[-1]
    # The glyphs themselves: the first line's characters start 2.7 mm under the 37 mm edge
    # (LibreOffice, like Word, sets most of a line's leading above its type) ...
    assert TOP < first.em_top < TOP + leading
    # ... and the last line's stay inside the text block.
    assert last.em_bottom <= BLOCK_BOTTOM
    # The line grid, each line's type centred in its 10.23 mm, fills 37 mm to 262 mm.
    assert abs(first.em_top - leading / 2 - TOP) <= TOL, first.em_top
    assert abs(last.em_bottom + leading / 2 - BLOCK_BOTTOM) <= TOL, last.em_bottom


# ------------------------------------------------------------------ §7.5 page numbers

def _number_line(pdf, page) -> Line:
    [line] = [ln for ln in lines(pdf, page, size=NUMBER_PT) if ln.baseline > BLOCK_BOTTOM]
    return line


def test_page_numbers_alternate_sides_one_character_in(pdf):
    char = NUMBER_PT * PT
    for page in range(1, page_count(pdf) + 1):
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
        assert abs((top + bottom) / 2 - (BLOCK_BOTTOM + 7)) <= TOL, (page, top, bottom)


# ------------------------------------------------------------------ §7.3.5 signature

def test_signature_never_opens_a_page_alone(pdf):
    """The sample's text ends near a page foot; the last paragraph goes over with the
    signature rather than leaving 署名 and 成文日期 alone on the last page."""
    last = page_count(pdf)
    body = body_lines(pdf, last)
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
    assert abs((last_rule[0] + last_rule[1]) / 2 - BLOCK_BOTTOM) <= TOL, last_rule


def test_banji_rules_as_wide_as_text_block(pdf):
    for top, bottom, left, right in horizontal_rules(pdf, page_count(pdf)):
        assert abs(left - LEFT) <= TOL and abs(right - BLOCK_RIGHT) <= TOL, (left, right)


# ------------------------------------------------------------------ §7.2 red mark and rule

def _red(pdf, page, dpi=50):
    width, height, _, px = raster(pdf, page, dpi, gray=False)
    mm = 25.4 / dpi
    return [((i % width) * mm, (i // width) * mm) for i in range(width * height)
            if px[3 * i] > 180 and px[3 * i + 1] < 90 and px[3 * i + 2] < 90]


def test_red_mark_and_rule_on_page_one_only(pdf):
    red = _red(pdf, 1)
    mark = [(x, y) for x, y in red if y < 100]
    rule = [(x, y) for x, y in red if y >= 100]
    assert len(mark) > 500  # the office's name, in red type, centred
    xs = [x for x, _ in mark]
    assert abs((min(xs) + max(xs)) / 2 - (LEFT + BLOCK_RIGHT) / 2) < 3
    # the red rule under the number: as wide as the text block
    rx = [x for x, _ in rule]
    assert rule and abs(min(rx) - LEFT) <= TOL and abs(max(rx) - BLOCK_RIGHT) <= TOL
    assert not _red(pdf, 2)
    [number] = [ln for ln in lines(pdf, 1) if "〔" in ln.text]
    assert number.em_bottom < min(y for _, y in rule) < number.em_bottom + 7


def test_mark_top_35mm_under_text_block_top(pdf):
    top = min(y for x, y in _red(pdf, 1, dpi=100) if y < 100)
    assert abs(top - (TOP + 35)) <= TOL, top


LONG_CC = ["县委办", "县人大办", "县政府办", "县政协办", "县纪委监委", "县委组织部", "县委宣传部",
           "县应急管理局", "县住房和城乡建设局", "县交通运输局", "县市场监管局", "县消防救援大队", "各镇人民政府"]


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> Path:
    """The sample 约谈通知书 as a secret, urgent document with a 抄送 of four lines."""
    root = tmp_path_factory.mktemp("marked") / "ws"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench"))
    path = root / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text("utf-8") + "security: 秘密\nsecret_term: 1年\nurgency: 特急\ncc: [" + ", ".join(LONG_CC) + "]\n",
                    "utf-8")
    ws = Workspace(root)
    docx = root / "summons.docx"
    docx.write_bytes(Renderer(ws).render_bytes(load_case(ws, "2021-yt-001").document("summons")))
    [out] = convert([docx])
    return out


def test_security_and_urgency_top_left_above_the_mark(marked):
    """§7.2.2-7.2.3: 密级★保密期限 and 紧急程度 in 黑体, one a line from the top of the text
    block, flush left; the mark stays 35 mm under the text block's top."""
    first = lines(marked, 1, size=gb.BODY_PT)[:2]
    assert [ln.text for ln in first] == ["秘密★1年", "特急"]
    assert all(abs(ln.x - LEFT) <= TOL for ln in first)
    assert TOP <= first[0].em_top and first[0].em_bottom <= TOP + PITCH  # the grid's first line
    # one grid line apart (baselines shift a little between the Latin digits' face and 黑体)
    assert all(abs(b.baseline - a.baseline - PITCH) <= TOL for a, b in zip(first, first[1:]))
    security, urgency = ({r.font for r in ln.runs if CJK.search(r.text)} for ln in first)
    assert security == urgency and len(urgency) == 1 and "Hei" in urgency.pop()  # 黑体
    top = min(y for x, y in _red(marked, 1, dpi=100) if y < 100)
    assert abs(top - (TOP + 35)) <= TOL, top


# ------------------------------------------------------------------ faces

def test_title_body_and_heading_faces_distinct(pdf):
    first = lines(pdf, 1)
    [title] = [ln for ln in first if ln.text == TITLE]
    body = [r for ln in body_lines(pdf, 2) for r in ln.runs if not r.text.startswith("一、")]
    heading = [r for ln in body_lines(pdf, 2) for r in ln.runs if HEADINGS[0] in r.text]
    assert title.size == gb.SIZES["二号"] and heading
    faces = {"title": {r.font for r in title.runs}, "body": {r.font for r in body},
             "heading": {r.font for r in heading}}
    assert all(len(f) == 1 for f in faces.values()), faces
    assert len(set.union(*faces.values())) == 3, faces
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    for face in set.union(*faces.values()):
        [row] = [r for r in listed if r.split()[0].split("+")[-1] == face]
        assert re.search(r"\s+yes\s+yes\s+yes\s+\d+\s+\d+$", row), row  # embedded, subset, unicode


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


def test_banji_alone_on_the_last_page_has_no_page_number(tmp_path):
    """§7.5: the sample 约谈通知书's 版记 does not fit under its signature; the page that holds
    only the 版记 gets no number, the others keep theirs. 联合执法通知's 版记 shares its page
    and keeps the number."""
    from docgen.render import render_case, typeset

    root = tmp_path / "ws"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "out", "archive", "bench"))
    ws = Workspace(root)
    renderer = Renderer(ws)
    rendered = [*render_case(ws, "2021-yt-001", ["summons"], tmp_path, renderer),
                *render_case(ws, "2021-zf-014", ["notice"], tmp_path, renderer)]
    alone, shared = typeset(renderer, rendered)

    def numbers(pdf):
        return [m.group(0) for page in PdfReader(pdf).pages
                for m in [re.search(r"—\s*\d+\s*—", page.extract_text())] if m]

    assert page_count(alone) == 3 and numbers(alone) == ["— 1 —", "— 2 —"]
    assert PdfReader(alone).pages[-1].extract_text().startswith("抄送：")
    assert abs(horizontal_rules(alone, 3)[-1][1] - BLOCK_BOTTOM) <= TOL
    assert numbers(shared) == ["— 1 —", "— 2 —", "— 3 —"]
    # the .docx says the same: the 版记 in a section of its own, its footers blank
    assert part(rendered[0].docx, "word/document.xml").count("<w:sectPr") == 2
    assert part(rendered[1].docx, "word/document.xml").count("<w:sectPr") == 1
