"""The filing stamp (归档章, DA/T 22-2015) on the first page of an archived PDF.

A small two-row, three-column table at the top right of the first page: 全宗号 · 年度 · 件号
over 机构(问题) · 保管期限 · 页数. It is drawn by LibreOffice from a one-page .docx (so its
glyphs come from the same embedded CJK fonts as the document) and laid over the page with
pypdf, leaving the document's own content untouched.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from docgen import gbt9704 as gb

CELL_W_MM, CELL_H_MM = 15, 7
TOP_MM = 8  # inside the 37 mm top margin, clear of the office mark


def stamp_docx(cells: list[list[str]]) -> bytes:
    """A blank A4 page with the stamp's table at the top right (red, as stamps are)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    from docgen.ooxml import child, el, fixed_widths, run_fonts

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(10)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    table = doc.add_table(rows=2, cols=3)
    table.alignment = WD_TABLE_ALIGNMENT.RIGHT
    borders = child(table._tbl.tblPr, "w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(el(f"w:{side}", w_val="single", w_sz=8, w_space=0, w_color=gb.RED))
    for r, row in enumerate(table.rows):
        row.height = Mm(CELL_H_MM)
        for c, cell in enumerate(row.cells):
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = para.add_run(cells[r][c])
            run.font.size = Pt(gb.SIZES["五号"])
            run.font.color.rgb = RGBColor.from_string(gb.RED)
            run_fonts(run._r.get_or_add_rPr(), gb.FONT_BODY)
    fixed_widths(table, [gb.mm(CELL_W_MM)] * 3)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def apply(pdf: Path, cells: list[list[str]], out: Path, fonts: Path | None = None) -> None:
    """Write `out`: `pdf` with the stamp over its first page. PDF/A metadata is kept. `fonts`:
    the workspace's fonts folder, so the stamp's 仿宋 is the document's."""
    from pypdf import PdfReader, PdfWriter

    from docgen.pdf import convert

    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".stamp-") as tmp:
        source = Path(tmp) / "stamp.docx"
        source.write_bytes(stamp_docx(cells))
        (stamp_pdf,) = convert([source], fonts=fonts)
        stamp_page = PdfReader(stamp_pdf).pages[0]
        writer = PdfWriter(clone_from=PdfReader(pdf))
        writer.pages[0].merge_page(stamp_page)
        with open(out, "wb") as handle:
            writer.write(handle)
            handle.flush()
            os.fsync(handle.fileno())
