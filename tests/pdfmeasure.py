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
        return max(self.runs, key=lambda r: r.size).baseline

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
    return _rules(rows, mm)


def _is_red(px: bytes, i: int) -> bool:
    return px[3 * i] > 150 and px[3 * i + 1] < 110 and px[3 * i + 2] < 110


def red_rules(pdf: Path, page: int, *, min_mm: float = 100, dpi: int = 400):
    """Red horizontal rules at least min_mm long: [(top, bottom, left, right)] in mm. At 400 dpi
    (0.064 mm a pixel) the two lines of a double rule come out as two rules."""
    width, height, _, px = raster(pdf, page, dpi, gray=False)
    mm = 25.4 / dpi
    need = min_mm / mm
    rows = []
    for y in range(height):
        base = y * width
        xs = [x for x in range(0, width, 4) if _is_red(px, base + x)]  # every 4th pixel: 0.25 mm
        if len(xs) * 4 >= need:
            rows.append((y, xs[0], xs[-1] + 3))
    return _rules(rows, mm)


def red_points(pdf: Path, page: int, dpi: int = 100) -> list[tuple[float, float]]:
    """Positions (x, y mm) of red pixels."""
    width, height, _, px = raster(pdf, page, dpi, gray=False)
    mm = 25.4 / dpi
    return [((i % width) * mm, (i // width) * mm) for i in range(width * height) if _is_red(px, i)]


def ink_rows(pdf: Path, page: int, x0: float, x1: float, y0: float, y1: float, *, dpi: int = 300,
             red: bool = False) -> tuple[float, float] | None:
    """Top and bottom (mm) of the dark (or red) ink inside a rectangle, or None if blank."""
    width, height, _, px = raster(pdf, page, dpi, gray=False)
    to_px = dpi / 25.4
    found = [y for y in range(int(y0 * to_px), min(height, int(y1 * to_px)))
             if any((_is_red(px, y * width + x) if red else
                     max(px[3 * (y * width + x):3 * (y * width + x) + 3]) < 128)
                    for x in range(int(x0 * to_px), int(x1 * to_px)))]
    return (found[0] / to_px, (found[-1] + 1) / to_px) if found else None


def ink_columns(pdf: Path, page: int, x0: float, x1: float, y0: float, y1: float, *,
                dpi: int = 300) -> tuple[float, float] | None:
    """Left and right (mm) of the dark ink inside a rectangle, or None if blank."""
    width, height, _, px = raster(pdf, page, dpi, gray=True)
    to_px = dpi / 25.4
    ys = range(int(y0 * to_px), min(height, int(y1 * to_px)))
    found = [x for x in range(int(x0 * to_px), int(x1 * to_px))
             if any(px[y * width + x] < 128 for y in ys)]
    return (found[0] / to_px, (found[-1] + 1) / to_px) if found else None


def is_blank(pdf: Path, page: int) -> bool:
    """No ink at all on the page."""
    width, height, _, px = raster(pdf, page, 30, gray=True)
    return min(px) > 200


def page_number(pdf: Path, page: int) -> str | None:
    """The printed page number (— 3 — as "3") under the text block, or None."""
    found = [ln for ln in lines(pdf, page) if ln.em_top > BLOCK_BOTTOM and PAGE_NUMBER.match(ln.text.strip())]
    return re.sub(r"\D", "", found[0].text) if found else None
