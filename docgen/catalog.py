"""归档文件目录 (DA/T 22-2015): the year's catalogue of archived items as a Word table."""

from __future__ import annotations

import io

from docgen import gbt9704 as gb

COLUMNS = [("件号", 12), ("档号", 42), ("文号", 34), ("责任者", 34), ("题名", 80),
           ("日期", 20), ("页数", 12), ("密级", 12), ("备注", 21)]  # widths in mm, landscape text block


def catalog_docx(office: dict, year: int, items: list, notes: dict[str, str] | None = None) -> bytes:
    """One row an item, by retention (永久, 30年, 10年) then 件号; dates as eight digits.
    `notes` (档号 → text) go in the 备注 column, e.g. a voided number's reason."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    from docgen.ooxml import el, fixed_widths, run_fonts

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))

    def text(paragraph, value, font=gb.FONT_BODY, size=gb.SIZES["五号"]):
        run = paragraph.add_run(value)
        run.font.size = Pt(size)
        run_fonts(run._r.get_or_add_rPr(), font)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text(title, "归档文件目录", gb.FONT_TITLE, gb.SIZES["二号"])
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text(sub, f"全宗号：{office['fonds']}　　全宗名称：{office['name']}　　年度：{year}", size=gb.SIZES["四号"])

    order = {"Y": 0, "D30": 1, "D10": 2}
    rows = sorted(items, key=lambda i: (order[i.metadata["retention"]], i.metadata["item_no"]))
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.style = doc.styles["Table Grid"]
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(el("w:tblHeader"))  # repeat on every page
    for cell, (name, _) in zip(header.cells, COLUMNS):
        text(cell.paragraphs[0], name, gb.FONT_HEI)
    for item in rows:
        meta = item.metadata
        values = [f"{meta['item_no']:04d}", meta["archive_id"], meta.get("number", ""), meta.get("issuer", ""),
                  meta["title"], meta["date"].replace("-", ""), str(meta.get("pages") or ""),
                  meta.get("security", ""), "；".join(filter(None, ["导入" if meta["origin"] == "imported" else "",
                                                                   (notes or {}).get(meta["archive_id"], "")]))]
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            text(cell.paragraphs[0], value)
    fixed_widths(table, [gb.mm(width) for _, width in COLUMNS])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
