"""No silent waits (issue 13 §7): one warm LibreOffice per process, progress on stderr, and
the 草稿 mark that tells a draft's PDF from an issued one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from docgen import gbt9704 as gb

MM_PT = 72 / 25.4


def red_pixels(pdf: Path, page: int, box_mm: tuple[float, float, float, float], dpi: int = 50) -> int:
    """How many clearly red pixels a page has inside a box (left, top, right, bottom; mm from
    the page's top left corner), on the page as pdftoppm paints it."""
    data = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)],
                          check=True, capture_output=True).stdout
    header, _, rest = data.partition(b"\n")
    dims, _, rest = rest.partition(b"\n")
    maxval, _, pixels = rest.partition(b"\n")
    width, height = map(int, dims.split())
    scale = dpi / 25.4
    left, top, right, bottom = (round(v * scale) for v in box_mm)
    count = 0
    for y in range(max(top, 0), min(bottom, height)):
        row = pixels[y * width * 3:(y + 1) * width * 3]
        for x in range(max(left, 0), min(right, width)):
            r, g, b = row[x * 3:x * 3 + 3]
            count += r > 180 and g < 110 and b < 110
    return count


def marks(pdf: Path) -> list[list[tuple[float, float]]]:
    """Where 草稿 is printed on each page: (x from the left, y from the top) in mm."""
    found = []
    for page in PdfReader(pdf).pages:
        height = float(page.mediabox.height)
        spots = []

        def visit(text, cm, tm, *_):
            if "草稿" in text:
                spots.append((tm[4] / MM_PT, (height - tm[5]) / MM_PT))
        page.extract_text(visitor_text=visit)
        found.append(spots)
    return found


MARGIN_BOX = (150, 5, 190, 32)  # where the mark goes: the top margin's right end


def test_draft_pdf_is_marked_in_the_margin_of_every_page(run, workspace):
    result = run("render", "2021-yt-001", "summons", "--pdf")
    assert result.exit_code == 0, result.output
    pdf = workspace / "out" / "2021-yt-001" / "2021-yt-001-summons.pdf"
    spots = marks(pdf)
    assert len(spots) >= 2 and all(len(s) == 1 for s in spots), spots
    for (x, y), in spots:
        assert y < gb.MARGIN_TOP / gb.MM - 5, "in the top margin, above the text block"
        assert x > 105, "on the right half"
    for page in range(1, len(spots) + 1):
        assert red_pixels(pdf, page, MARGIN_BOX) > 40
    # the .docx the clerk edits stays without it
    from conftest import part
    assert "草稿" not in part(workspace / "out" / "2021-yt-001" / "2021-yt-001-summons.docx", "word/document.xml")


def test_issued_pdf_has_no_draft_mark(run, workspace):
    import json

    result = run("issue", "2021-yt-001", "summons", "--allow-dirty", "--json")
    assert result.exit_code == 0, result.output
    pdf = Path(json.loads(result.stdout)["pdf"])
    spots = marks(pdf)
    assert not any(spots)
    assert all("草稿" not in page.extract_text() for page in PdfReader(pdf).pages)
    # the 归档章 is red in the first page's top margin; the other pages' margins stay white
    for page in range(2, len(spots) + 1):
        assert red_pixels(pdf, page, MARGIN_BOX) == 0
