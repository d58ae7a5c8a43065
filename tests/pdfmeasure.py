"""Reading a PDF back as an inspector with a ruler would: text lines with their baselines and
starts, word boxes with their ends, and the pixels of rules and red ink.

Lengths are millimetres from the top-left corner of the page. Vertical positions of text come
from the ideographic em box of each glyph (0.88 of the type size above the baseline, 0.12
below), the box a CJK face draws its characters in. Nothing here knows how docgen lays a
document out: the tests compare these readings with the standard's millimetres.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader

PT = 25.4 / 72  # mm per point
PAGE_W, PAGE_H = 210.0, 297.0
TOP, BOTTOM, LEFT, RIGHT = 37.0, 35.0, 28.0, 26.0   # §5.2 margins
BLOCK_BOTTOM = PAGE_H - BOTTOM                       # 262 mm
BLOCK_RIGHT = PAGE_W - RIGHT                         # 184 mm
BLOCK_WIDTH = BLOCK_RIGHT - LEFT                     # 156 mm
PITCH = (PAGE_H - TOP - BOTTOM) / 22                 # 10.23 mm, 22 lines a page
CHAR = BLOCK_WIDTH / 28                              # 5.57 mm, 28 characters a line
BODY_PT, BANJI_PT, TITLE_PT = 16, 14, 22             # 3号, 4号, 2号
CJK = re.compile(r"[\u4e00-\u9fff]")
PAGE_NUMBER = re.compile(r"^—\s*\d+\s*—$")


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
        """The baseline of the line's Chinese type (a Latin face's may sit a little apart)."""
        chinese = [r for r in self.runs if CJK.search(r.text)] or self.runs
        return max(chinese, key=lambda r: r.size).baseline

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


@lru_cache(maxsize=64)
def _reader(pdf: Path, mtime: float) -> PdfReader:
    return PdfReader(pdf)


def reader(pdf: Path) -> PdfReader:
    return _reader(Path(pdf), Path(pdf).stat().st_mtime)


def page_count(pdf: Path) -> int:
    return len(reader(pdf).pages)


def runs(pdf: Path, page: int) -> list[Run]:
    """Text runs of a page (1-based) with their baselines and starts in mm."""
    pg = reader(pdf).pages[page - 1]
    height = float(pg.mediabox.height)
    found = []

    def visit(text, cm, tm, font, size):
        if not text.strip() or not font:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        found.append(Run((height - y) * PT, x * PT, size * tm[3] * cm[3],
                         str(font["/BaseFont"]).lstrip("/").split("+")[-1], text.strip("\n")))
    pg.extract_text(visitor_text=visit)
    return found


def lines(pdf: Path, page: int, *, size: float | None = None) -> list[Line]:
    """Runs grouped into lines by baseline, top to bottom; only runs of `size` pt if given."""
    grouped: dict[float, list[Run]] = {}
    for run in runs(pdf, page):
        if size is None or abs(run.size - size) < 0.1:
            key = next((k for k in grouped if abs(k - run.baseline) < 0.6), run.baseline)
            grouped.setdefault(key, []).append(run)
    return [Line(grouped[k]) for k in sorted(grouped)]


def text_lines(pdf: Path, page: int) -> list[Line]:
    """The lines inside the text block (page numbers left out), top to bottom."""
    return [ln for ln in lines(pdf, page) if TOP - 2 < ln.em_top and ln.em_bottom < BLOCK_BOTTOM + 1
            and not PAGE_NUMBER.match(ln.text.strip())]


@lru_cache(maxsize=256)
def _bbox(pdf: Path, page: int, mtime: float) -> str:
    return subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def word_boxes(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """pdftotext's word boxes (xMin, yMin, xMax, yMax in mm, text): xMax is the end of the
    last glyph's advance, which pypdf does not give."""
    html = _bbox(Path(pdf), page, Path(pdf).stat().st_mtime)
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(*(float(v) * PT for v in m.groups()[:4]), m.group(5)) for m in re.finditer(pattern, html)]


def right_end(pdf: Path, page: int, line: Line) -> float:
    """Where a line's last glyph advance ends (mm from the left edge)."""
    return max(x1 for x0, y0, x1, y1, _ in word_boxes(pdf, page) if y0 < line.baseline < y1)


def page_text(pdf: Path, page: int) -> str:
    """The page's text as pdftotext reads it in reading order."""
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


@lru_cache(maxsize=64)
def _raster(pdf: Path, page: int, dpi: int, gray: bool, mtime: float):
    args = ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page)] + (["-gray"] if gray else [])
    data = subprocess.run(args + [str(pdf)], capture_output=True, check=True).stdout
    magic, size, _maxval, pixels = data.split(b"\n", 3)
    width, height = map(int, size.split())
    return width, height, 1 if magic == b"P5" else 3, pixels


def raster(pdf: Path, page: int, dpi: int, *, gray: bool) -> tuple[int, int, int, bytes]:
    """A page as pixels: (width, height, channels, bytes) from pdftoppm's PGM/PPM."""
    return _raster(Path(pdf), page, dpi, gray, Path(pdf).stat().st_mtime)


def _rules(rows: list[tuple[int, int, int]], mm: float) -> list[tuple[float, float, float, float]]:
    rules: list[list[int]] = []
    for y, x0, x1 in rows:
        if rules and y - rules[-1][1] <= 1:
            rules[-1][1:] = [y, min(rules[-1][2], x0), max(rules[-1][3], x1)]
        else:
            rules.append([y, y, x0, x1])
    return [(a * mm, (b + 1) * mm, c * mm, (d + 1) * mm) for a, b, c, d in rules]


# Byte maps: a pixel channel to 1 where it passes a threshold, else 0 (bytes.translate is C-fast).
_DARK = bytes(int(v < 128) for v in range(256))
_HIGH = bytes(int(v > 150) for v in range(256))
_LOW = bytes(int(v < 110) for v in range(256))


def _marks(pdf: Path, page: int, dpi: int, *, red: bool) -> tuple[int, int, bytes]:
    """(width, height, one byte a pixel: 1 where it is red, or dark, else 0)."""
    width, height, channels, px = raster(pdf, page, dpi, gray=not red)
    if not red:
        return width, height, px.translate(_DARK)
    r, g, b = px[0::3].translate(_HIGH), px[1::3].translate(_LOW), px[2::3].translate(_LOW)
    size = len(r)
    mask = int.from_bytes(r, "big") & int.from_bytes(g, "big") & int.from_bytes(b, "big")
    return width, height, mask.to_bytes(size, "big")


def marked_rows(pdf: Path, page: int, dpi: int, *, red: bool) -> list[tuple[int, int, int, int]]:
    """Rows of pixels holding red (or dark) ink: (y, first x, last x, how many) in pixels."""
    width, height, mask = _marks(pdf, page, dpi, red=red)
    rows = []
    for y in range(height):
        row = mask[y * width:(y + 1) * width]
        count = row.count(1)
        if count:
            rows.append((y, row.find(1), row.rfind(1), count))
    return rows


def horizontal_rules(pdf: Path, page: int, *, min_mm: float = 100, dpi: int = 200):
    """Dark horizontal rules at least min_mm long: [(top, bottom, left, right)] in mm."""
    mm = 25.4 / dpi
    return _rules([(y, x0, x1) for y, x0, x1, n in marked_rows(pdf, page, dpi, red=False) if n * mm >= min_mm], mm)


def red_rules(pdf: Path, page: int, *, min_mm: float = 100, dpi: int = 400):
    """Red horizontal rules at least min_mm long: [(top, bottom, left, right)] in mm. At 400 dpi
    (0.064 mm a pixel) the two lines of a double rule come out as two rules."""
    mm = 25.4 / dpi
    return _rules([(y, x0, x1) for y, x0, x1, n in marked_rows(pdf, page, dpi, red=True) if n * mm >= min_mm], mm)


def red_ink(pdf: Path, page: int, dpi: int = 200, *, above: float = PAGE_H, below: float = 0
            ) -> tuple[float, float, float, float] | None:
    """The box (top, bottom, left, right in mm) of the red ink between two heights, or None."""
    mm = 25.4 / dpi
    rows = [r for r in marked_rows(pdf, page, dpi, red=True) if below <= r[0] * mm < above]
    if not rows:
        return None
    return rows[0][0] * mm, (rows[-1][0] + 1) * mm, min(r[1] for r in rows) * mm, (max(r[2] for r in rows) + 1) * mm


def is_blank(pdf: Path, page: int) -> bool:
    """No ink from the text block's top down (a draft's 草稿 mark stands in the top margin)."""
    width, height, _, px = raster(pdf, page, 30, gray=True)
    return min(px[int(TOP * 30 / 25.4) * width:]) > 200


def page_number(pdf: Path, page: int) -> str | None:
    """The printed page number (— 3 — as "3") under the text block, or None."""
    found = [ln for ln in lines(pdf, page) if ln.em_top > BLOCK_BOTTOM and PAGE_NUMBER.match(ln.text.strip())]
    return re.sub(r"\D", "", found[0].text) if found else None
