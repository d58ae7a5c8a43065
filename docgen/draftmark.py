"""The 草稿 mark on the PDF of a draft.

A draft (rendered without its 发文字号) is printed to be read and corrected, never sent: every
page of its PDF carries 草稿 in a red box in the top margin, above the text block and clear of
the office mark, where an issued document has its 归档章 instead. The mark is laid over the
finished pages with pypdf, after the layout has been read back from them (so it never counts
as the document's text), from a page LibreOffice draws once (in the fonts of the workspace),
its glyphs embedded like the document's own. The .docx of a draft stays clean: it is what the clerk edits.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import threading
from pathlib import Path

from docgen import gbt9704 as gb
from docgen.fsio import atomic_write

MARK = "草稿"
TOP_MM, RIGHT_MM = 12, 26    # the box's top edge, and its right edge in from the page's
WIDTH_MM, HEIGHT_MM = 30, 13
A4_MM = (210, 297)

_lock = threading.Lock()


def mark_docx() -> bytes:
    """A blank A4 page with the mark where it goes."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    from docgen.ooxml import child, el, fixed_widths, run_fonts

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(A4_MM[0]), Mm(A4_MM[1])
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(10)
    section.left_margin, section.right_margin = Mm(A4_MM[0] - RIGHT_MM - WIDTH_MM - 5), Mm(RIGHT_MM)
    table = doc.add_table(rows=1, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.RIGHT
    borders = child(table._tbl.tblPr, "w:tblBorders")
    for side in ("top", "left", "bottom", "right"):
        borders.append(el(f"w:{side}", w_val="single", w_sz=12, w_space=0, w_color=gb.RED))
    table.rows[0].height = Mm(HEIGHT_MM)
    cell = table.rows[0].cells[0]
    para = cell.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run(MARK)
    run.font.size = Pt(gb.SIZES["二号"])
    run.font.color.rgb = RGBColor.from_string(gb.RED)
    run_fonts(run._r.get_or_add_rPr(), gb.FONT_HEI)
    child(cell._tc.get_or_add_tcPr(), "w:vAlign", w_val="center")
    fixed_widths(table, [gb.mm(WIDTH_MM)])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def overlay(fonts: Path | None = None, timeout: float = 180) -> bytes:
    """The mark's page as PDF for these fonts: drawn by LibreOffice once, then kept in the
    per-user runtime folder (named by the font configuration and by this module's code) for
    every later process."""
    from docgen.pdf import convert, environment
    from docgen.runtime import runtime_dir

    config = Path(environment(fonts)["FONTCONFIG_FILE"]).stem
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    cached = runtime_dir() / f"draft-mark-{config}-{code}.pdf"
    with _lock:
        if not cached.is_file():
            with tempfile.TemporaryDirectory(prefix="docgen-draft-") as tmp:
                source = Path(tmp) / "draft-mark.docx"
                source.write_bytes(mark_docx())
                (pdf,) = convert([source], timeout=timeout, fonts=fonts)
                atomic_write(cached, pdf.read_bytes())
        return cached.read_bytes()


def apply(pdfs: list[Path], *, fonts: Path | None = None, timeout: float = 180) -> None:
    """Lay the mark over every page of each PDF, rewriting each in place atomically."""
    if not pdfs:
        return
    from pypdf import PdfReader, PdfWriter, Transformation

    mark = PdfReader(io.BytesIO(overlay(fonts, timeout))).pages[0]
    width, height = float(mark.mediabox.width), float(mark.mediabox.height)
    for pdf in pdfs:
        writer = PdfWriter(clone_from=PdfReader(pdf))
        for page in writer.pages:
            box = page.cropbox  # the mark keeps its distance from the page's top right corner
            page.merge_transformed_page(mark, Transformation().translate(
                float(box.right) - width, float(box.top) - height))
        buffer = io.BytesIO()
        writer.write(buffer)
        atomic_write(pdf, buffer.getvalue())
