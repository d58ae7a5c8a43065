"""Case bundles (案卷): one PDF of a whole case, for inspectors.

A bundle is, in order: a cover (案卷封面), the contents (卷内文件目录: 序号, 文号, 责任者, 题名,
日期, 页次), every document of the case in date order, then the attachments in the case's
attachments/ folder that are PDFs or images (PNG, JPEG; one page each, scaled to fit). Every
page but the cover carries the bundle's own page number ("案卷第 N 页", small, at the bottom
outer corner, below the documents' own — N — numbers); the PDF has bookmarks for the cover,
the contents, each document and each attachment.

How it is made: documents are rendered and converted, with the image pages, in one LibreOffice
run; their page counts then fix every page number, and a second run makes the cover, the
contents and a sheet of page-number stamps (pypdf cannot draw Chinese text; LibreOffice can, in
the same fonts as the documents). pypdf merges the pieces, adds the bookmarks and lays each
stamp over its page. The result is written atomically. It is a reading copy, not an archival
one: attachments need not be PDF/A, so the bundle does not claim PDF/A.

Documents are drafts (文号「草稿」) unless the caller passes their issued numbers (`numbers`),
and are rendered from the casefile unless the caller passes PDFs already made (`pdfs`, e.g.
the archive's frozen copies).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docgen import gbt9704 as gb
from docgen import progress
from docgen.errors import DocgenError

DRAFT = "草稿"
PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
ATTACHMENTS_DIR = "attachments"
COVER_TITLE, CONTENTS_TITLE, ATTACHMENTS_TITLE = "案卷封面", "卷内文件目录", "附件材料"
RETENTION_ORDER = ("Y", "D30", "D10")  # longest first
STAMP_PT = 10.5  # 五号: smaller than the 4号 page numbers of the documents
A4_PT = (595.28, 841.89)


@dataclass
class Item:
    """One row of the contents: a document of the case or an attachment file."""

    kind: str                 # "document" or "attachment"
    title: str
    number: str = ""          # 文号: the issued number, DRAFT, or "" for an attachment
    author: str = ""          # 责任者
    date: dt.date | None = None
    doc_id: str | None = None
    source: Path | None = None  # the attachment file
    retention: str = ""       # 保管期限 code of a document (Y, D30, D10)
    first_page: int = 0       # 1-based page of the bundle
    pages: int = 0

    @property
    def draft(self) -> bool:
        return self.kind == "document" and self.number == DRAFT


@dataclass
class Bundle:
    case_id: str
    path: Path
    pages: int
    items: list[Item]
    front_pages: int                       # cover + contents
    skipped: list[Path] = field(default_factory=list)  # attachments that are neither PDF nor image

    def as_dict(self) -> dict:
        return {"case": self.case_id, "pdf": str(self.path), "pages": self.pages,
                "items": [{"kind": i.kind, "doc": i.doc_id, "file": i.source.name if i.source else None,
                           "title": i.title, "number": None if i.draft else (i.number or None),
                           "draft": i.draft,
                           "date": i.date.isoformat() if i.date else None,
                           "first_page": i.first_page, "pages": i.pages} for i in self.items],
                "skipped": [p.name for p in self.skipped]}


def from_archive(workspace, case_id: str) -> tuple[dict[str, str], dict[str, Path], list[str]]:
    """(numbers, pdfs, notices) for build_bundle: issued documents go in as filed — the number
    the register gave them and the archived PDF with its 归档章 — when the item is intact;
    otherwise the document is rendered again under its number, and the notice says why."""
    from docgen.archive import Archive
    from docgen.casefile import load_case

    archive = Archive(workspace)
    docs = {p.stem for p in load_case(workspace, case_id).document_paths()}
    issued = {doc: row for (case, doc), row in archive.issued().items() if case == case_id and doc in docs}
    pdfs, notices = {}, []
    for doc, row in issued.items():
        folder = archive.root / row.archive_id
        trouble = archive.check_item(folder) if folder.is_dir() else [{"message": "不在档案中"}]
        if trouble:
            notices.append(f"{doc} 的归档件 {row.archive_id}（{row.number}）有问题（{trouble[0]['message']}），"
                           "案卷 PDF 中按案卷重新生成；请运行 docgen archive verify 检查")
        else:
            pdfs[doc] = folder / "document.pdf"
    return {d: r.number for d, r in issued.items()}, pdfs, notices


def default_path(workspace, case_id: str) -> Path:
    return workspace.root / "out" / case_id / f"{case_id}-案卷.pdf"


def build_bundle(workspace, case_id: str, out: Path | None = None, *,
                 numbers: Mapping[str, str] | None = None,
                 pdfs: Mapping[str, Path] | None = None,
                 renderer=None, timeout: float = 180) -> Bundle:
    """Make the bundle PDF of a case at `out` (default out/<case>/<case>-案卷.pdf).

    numbers: document id → issued 发文字号; those documents are rendered with their number and
             listed under it, the others as 草稿.
    pdfs:    document id → a PDF of that document to use as is (not rendered again).
    Nothing is written unless the whole bundle could be made.
    """
    from docgen.casefile import inside, load_case
    from docgen.render import Renderer

    numbers, pdfs = dict(numbers or {}), {k: Path(v) for k, v in (pdfs or {}).items()}
    case = load_case(workspace, case_id)
    docs = sorted(case.documents(), key=lambda d: (d.values["date"], d.id))
    if not docs:
        raise DocgenError(f"案卷 {case_id} 中还没有文书，无法组卷；可用 docgen new 类型 {case_id} 新建")
    known = {d.id for d in docs}
    for what, given in (("文号", numbers), ("PDF", pdfs)):
        unknown = sorted(set(given) - known)
        if unknown:
            raise DocgenError(f"为案卷 {case_id} 提供的{what}对应的文书不存在：{'、'.join(unknown)}"
                              f"（现有：{'、'.join(sorted(known))}）")
    for doc_id, number in numbers.items():
        if not gb.NUMBER_RE.match(number or ""):
            raise DocgenError(f"文书 {doc_id} 的发文字号「{number}」不合规范，应如 石安委办〔2021〕16号")
    for doc_id, path in pdfs.items():
        _pdf_pages(path, f"文书 {doc_id} 的 PDF")

    office = workspace.office
    items = [Item("document", d.title, numbers.get(d.id, DRAFT),
                  "、".join(d.values.get("signers") or [office["name"]]), d.values["date"], d.id,
                  retention=d.retention) for d in docs]
    attachments, skipped = _attachments(case.path / ATTACHMENTS_DIR)
    for path in attachments:
        items.append(Item("attachment", path.stem, source=inside(workspace, path, workspace.relative(path))))
        if path.suffix.lower() in PDF_SUFFIXES:
            items[-1].pages = _pdf_pages(path, "附件")
        else:
            _image_size(path)  # fails early, naming the file, if it is not a readable image
            items[-1].pages = 1

    out = Path(out) if out else default_path(workspace, case_id)
    if out.is_dir():
        raise DocgenError(f"输出路径 {out} 是一个文件夹，请给出 PDF 文件名")
    renderer = renderer or Renderer(workspace)
    work = Path(tempfile.mkdtemp(prefix="docgen-bundle-"))
    try:
        return _assemble(workspace, case, docs, items, skipped, out, numbers, pdfs, renderer,
                         timeout, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _assemble(workspace, case, docs, items, skipped, out, numbers, pdfs, renderer, timeout,
              work: Path) -> Bundle:
    from pypdf import PdfReader

    from docgen.pdf import convert
    from docgen.render import Rendered, typeset

    # Run 1: the documents not given as PDF, and the image pages.
    rendered, doc_pdf = [], dict(pdfs)
    for i, doc in progress.items(list(enumerate(docs)), len(docs), "生成案卷中的文书"):
        if doc.id not in pdfs:
            path = work / f"doc{i:03d}.docx"
            path.write_bytes(renderer.render_bytes(doc, numbers.get(doc.id)))
            rendered.append(Rendered(doc, path, numbers.get(doc.id, "")))
    images = [it.source for it in items if it.kind == "attachment"
              and it.source.suffix.lower() in IMAGE_SUFFIXES]
    if rendered:
        doc_pdf.update({r.document.id: pdf for r, pdf in
                        zip(rendered, typeset(renderer, rendered, work / "pdf1", timeout=timeout))})
    image_pdf = None
    if images:
        (pages,) = convert([_image_pages_docx(work / "images.docx", images)], work / "pdf1", timeout=timeout,
                           fonts=workspace.fonts)
        image_pdf = PdfReader(pages)
    if image_pdf is not None and len(image_pdf.pages) != len(images):
        raise DocgenError(f"图片附件排版出错：{len(images)} 张图片生成了 {len(image_pdf.pages)} 页")
    readers = {doc_id: PdfReader(path) for doc_id, path in doc_pdf.items()}
    for it in items:
        if it.kind == "document":
            it.pages = len(readers[it.doc_id].pages)

    # Run 2: cover, contents and stamps. Their page numbers depend on how many pages the cover
    # and contents take, so guess one each and redo in the rare case they took more.
    cover_n, contents_n = 1, 1
    progress.step("正在排版案卷封面、卷内文件目录和页码……")
    for _attempt in range(3):
        page = 1 + cover_n + contents_n
        for it in items:
            it.first_page, page = page, page + it.pages
        total = page - 1
        cover = _cover_docx(work / "cover.docx", workspace, case, items, total)
        contents = _contents_docx(work / "contents.docx", workspace, case, items)
        stamps = _stamps_docx(work / "stamps.docx", cover_n + 1, total)
        cover_pdf, contents_pdf, stamps_pdf = (
            PdfReader(p) for p in convert([cover, contents, stamps], work / "pdf2", timeout=timeout,
                                          fonts=workspace.fonts))
        if (len(cover_pdf.pages), len(contents_pdf.pages)) == (cover_n, contents_n):
            break
        cover_n, contents_n = len(cover_pdf.pages), len(contents_pdf.pages)
    else:  # pragma: no cover - would need the page count to oscillate
        raise DocgenError("案卷封面和目录的页数无法确定，组卷失败")
    if len(stamps_pdf.pages) != total - cover_n:
        raise DocgenError(f"案卷页码生成出错：需要 {total - cover_n} 页，得到 {len(stamps_pdf.pages)} 页")

    data = _merge(case, workspace.office, items, cover_pdf, contents_pdf, readers, image_pdf,
                  stamps_pdf, total)
    from docgen.fsio import atomic_write

    try:
        atomic_write(out, data)
    except OSError as exc:
        raise DocgenError(f"无法写入案卷 PDF {out}：{exc.strerror or exc}") from exc
    return Bundle(case.id, out, total, items, cover_n + contents_n, skipped)


def _merge(case, office, items, cover_pdf, contents_pdf, readers, image_pdf, stamps_pdf,
           total) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    marks = []  # (title, page index, parent title or None)

    def add(reader_pages, title=None, parent=None):
        first = len(writer.pages)
        for page in reader_pages:
            writer.add_page(page)
        if title:
            marks.append((title, first, parent))

    add(cover_pdf.pages, COVER_TITLE)
    add(contents_pdf.pages, CONTENTS_TITLE)
    image_pages = iter(image_pdf.pages) if image_pdf is not None else iter(())
    for it in items:
        if it.kind == "document":
            add(readers[it.doc_id].pages, it.title if it.draft else f"{it.title}（{it.number}）")
        elif it.source.suffix.lower() in PDF_SUFFIXES:
            from pypdf import PdfReader

            add(_open_pdf(it.source, "附件", PdfReader).pages, it.source.name, ATTACHMENTS_TITLE)
        else:
            add([next(image_pages)], it.source.name, ATTACHMENTS_TITLE)
    assert len(writer.pages) == total, (len(writer.pages), total)

    cover_n = len(cover_pdf.pages)
    for index, stamp in enumerate(stamps_pdf.pages, start=cover_n):
        _stamp(writer.pages[index], stamp, right=(index + 1) % 2 == 1)

    parents = {}
    for title, page, parent in marks:
        if parent and parent not in parents:
            parents[parent] = writer.add_outline_item(title=parent, page_number=page)
        writer.add_outline_item(title=title, page_number=page, parent=parents.get(parent))
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": f"{case.values['title']}（案卷 {case.id}）", "/Author": office["name"],
                         "/Subject": "案卷", "/Keywords": case.id, "/Creator": "docgen bundle"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _stamp(page, stamp, *, right: bool) -> None:
    """Lay the stamp sheet's page (A4, number at a bottom corner) over a page of any size or
    rotation, keeping it at the same distance from that page's own corner."""
    from pypdf import Transformation

    if page.get("/Rotate", 0) % 360:
        page.transfer_rotation_to_content()
    box = page.cropbox
    dx = float(box.right) - A4_PT[0] if right else float(box.left)
    page.merge_transformed_page(stamp, Transformation().translate(dx, float(box.bottom)))


# ---------------------------------------------------------------------- inputs

def _attachments(folder: Path) -> tuple[list[Path], list[Path]]:
    if not folder.is_dir():
        return [], []
    files = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: p.name)
    usable = [p for p in files if p.suffix.lower() in PDF_SUFFIXES | IMAGE_SUFFIXES]
    return usable, [p for p in files if p not in usable]


def _open_pdf(path: Path, what: str, reader_class):
    try:
        reader = reader_class(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocgenError(f"{what} {path.name} 已加密，无法收入案卷；请提供未加密的 PDF")
        reader.pages[0]  # noqa: B018 - forces the page tree to be read
        return reader
    except DocgenError:
        raise
    except Exception as exc:  # pypdf raises many types for a broken file
        raise DocgenError(f"{what} {path} 不是可读的 PDF 文件（{exc}）") from None


def _pdf_pages(path: Path, what: str) -> int:
    from pypdf import PdfReader

    if not Path(path).is_file():
        raise DocgenError(f"{what} {path} 不存在")
    return len(_open_pdf(Path(path), what, PdfReader).pages)


def _image_size(path: Path) -> tuple[int, int, float, float]:
    """Pixels and dots per inch of an image, read by python-docx (no imaging library needed)."""
    from docx.image.image import Image

    try:
        img = Image.from_file(str(path))
        return img.px_width, img.px_height, img.horz_dpi or 72, img.vert_dpi or 72
    except Exception as exc:
        raise DocgenError(f"附件 {path.name} 不是可读的 PNG 或 JPEG 图片（{exc}）") from None


# ---------------------------------------------------------------------- the pages we make

def _new_document(margins_mm=(37, 35, 28, 26)):
    """An A4 document whose Normal style is 3号 仿宋 (East Asian), Chinese language."""
    from docx import Document
    from docx.shared import Mm, Pt

    from docgen.ooxml import child, run_fonts

    doc = Document()
    normal = doc.styles["Normal"]
    rpr = normal.element.get_or_add_rPr()
    run_fonts(rpr, gb.FONT_BODY)
    child(rpr, "w:lang", w_val="en-US", w_eastAsia="zh-CN")
    normal.font.size = Pt(gb.BODY_PT)
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, bottom, left, right = margins_mm
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance = section.footer_distance = Mm(10)
    return doc


def _para(container, text="", *, font=gb.FONT_BODY, size=gb.BODY_PT, align="left",
          before=0, after=0, line=None, color=None, bold=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    from docgen.ooxml import run_fonts

    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                    "right": WD_ALIGN_PARAGRAPH.RIGHT, "distribute": WD_ALIGN_PARAGRAPH.DISTRIBUTE,
                    "both": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    if text:
        run = p.add_run(text)
        run_fonts(run._r.get_or_add_rPr(), font)
        run.font.size = Pt(size)
        run.font.bold = bold
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
    return p


def _cell(cell, text, *, font=gb.FONT_BODY, size=gb.SIZES["小四"], align="center"):
    from docx.enum.table import WD_ALIGN_VERTICAL

    cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    first = cell.paragraphs[0]
    p = _para(cell, text, font=font, size=size, align=align, line=size * 1.4)
    first._p.getparent().remove(first._p)  # the cell's empty first paragraph
    return p


def _table(container, rows: int, widths_mm, *, inside=True, outside=True, align="center"):
    """A table of fixed column widths (so LibreOffice keeps them), ruled or not, its cells
    1 mm in from their borders. Properties are written in the schema's order."""
    from docgen.ooxml import el

    table = container.add_table(rows=rows, cols=len(widths_mm))
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    for node in list(tbl_pr):
        tbl_pr.remove(node)
    tbl_pr.append(el("w:tblW", w_w=sum(gb.mm(w) for w in widths_mm), w_type="dxa"))
    tbl_pr.append(el("w:jc", w_val=align))
    borders = el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        on = inside if side.startswith("inside") else outside
        borders.append(el(f"w:{side}", w_val="single" if on else "nil", w_sz=4, w_space=0,
                          w_color="000000"))
    tbl_pr.append(borders)
    tbl_pr.append(el("w:tblLayout", w_type="fixed"))
    margins = el("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(el(f"w:{side}", w_w=gb.mm(1), w_type="dxa"))
    tbl_pr.append(margins)
    for col, width in zip(table._tbl.tblGrid.findall(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}gridCol"), widths_mm):
        col.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}w", str(gb.mm(width)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = gb.mm(width) * 635  # twips to EMU, as python-docx lengths are
    return table


def _retention(case, items: list[Item]) -> str:
    """The case's own retention, else the longest of its documents'."""
    from docgen.doctypes import RETENTIONS

    held = {it.retention for it in items}
    code = case.values.get("retention") or next((r for r in RETENTION_ORDER if r in held), None)
    return RETENTIONS.get(code, "") if code else ""


def _cover_docx(path: Path, workspace, case, items: list[Item], total: int) -> Path:
    """案卷封面: the office (立档单位), the case's title and particulars, counts and dates."""
    from docx.shared import Mm

    from docgen.ooxml import el

    office = workspace.office
    docs = [it for it in items if it.kind == "document"]
    attachments = [it for it in items if it.kind == "attachment"]
    doc = _new_document((25, 25, 28, 26))

    # 全宗号 · 年度 · 案卷号, a small ruled table at the top right.
    ids = _table(doc, 2, (22, 18, 34), align="right")
    for i, (label, value) in enumerate((("全宗号", office["fonds"]), ("年度", str(case.year)),
                                        ("案卷号", case.id))):
        _cell(ids.rows[0].cells[i], label, font=gb.FONT_HEI, size=gb.SIZES["五号"])
        _cell(ids.rows[1].cells[i], value, size=gb.SIZES["小四"])

    _para(doc, office["name"], font=gb.FONT_TITLE, size=gb.SIZES["二号"], align="center",
          before=60, line=gb.SIZES["二号"] * 1.5)
    _para(doc, "案　　卷", font=gb.FONT_TITLE, size=gb.SIZES["初号"], align="center",
          before=18, after=42, line=gb.SIZES["初号"] * 1.4)

    dates = sorted(it.date for it in docs)
    span = gb.format_date(dates[0]) + ("" if dates[0] == dates[-1] else f"至{gb.format_date(dates[-1])}")
    count = f"文书 {len(docs)} 件" + (f"，附件材料 {len(attachments)} 份" if attachments else "") + \
        f"；本卷共 {total} 页"
    rows = [("案卷题名", case.values["title"]),
            ("事项类别", case.values.get("kind", "")),
            ("涉及单位", "、".join(case.values.get("units") or []) or "—"),
            ("涉及人员", "、".join(case.values.get("persons") or []) or "—"),
            ("立卷日期", gb.format_date(case.values["opened"])),
            ("起止日期", span),
            ("办理状态", case.values.get("status") or "—"),
            ("卷内文件", count),
            ("保管期限", _retention(case, docs) or "—")]
    table = _table(doc, len(rows), (30, 120), inside=False, outside=False)
    for row, (label, value) in zip(table.rows, rows):
        row.height = Mm(12)
        _cell(row.cells[0], label, font=gb.FONT_HEI, size=gb.BODY_PT, align="distribute")
        _cell(row.cells[1], value, size=gb.BODY_PT, align="left")
        tc_pr = row.cells[1]._tc.get_or_add_tcPr()
        borders = el("w:tcBorders")
        borders.append(el("w:bottom", w_val="single", w_sz=6, w_space=0, w_color="000000"))
        tc_pr.append(borders)
        row.cells[0].paragraphs[0].paragraph_format.right_indent = Mm(4)

    _para(doc, f"立卷单位：{office['name']}", size=gb.SIZES["四号"], align="center", before=48)
    _para(doc, f"编制日期：{gb.format_date(dt.date.today())}", size=gb.SIZES["四号"], align="center",
          before=6)
    doc.save(str(path))
    return path


CONTENTS_COLUMNS = (("序号", 12), ("文号", 30), ("责任者", 34), ("题名", 48), ("日期", 20), ("页次", 12))


def _contents_docx(path: Path, workspace, case, items: list[Item]) -> Path:
    """卷内文件目录: one row a document or attachment, with its first page in the bundle."""
    from docx.shared import Mm

    from docgen.ooxml import el

    doc = _new_document((30, 25, 28, 26))
    _para(doc, CONTENTS_TITLE, font=gb.FONT_TITLE, size=gb.SIZES["二号"], align="center",
          line=gb.SIZES["二号"] * 1.5, after=12)
    docs = sum(it.kind == "document" for it in items)
    extra = len(items) - docs
    _para(doc, f"案卷号：{case.id}　　文书 {docs} 件" + (f"，附件材料 {extra} 份" if extra else ""),
          size=gb.SIZES["四号"], align="left", line=gb.SIZES["四号"] * 1.5, after=8)
    table = _table(doc, 1 + len(items), [w for _, w in CONTENTS_COLUMNS])
    head = table.rows[0]
    head.height = Mm(10)
    head._tr.get_or_add_trPr().append(el("w:tblHeader"))
    for cell, (label, _) in zip(head.cells, CONTENTS_COLUMNS):
        _cell(cell, label, font=gb.FONT_HEI, size=gb.SIZES["小四"])
    for n, (row, it) in enumerate(zip(table.rows[1:], items), start=1):
        row.height = Mm(12)
        title = it.title if it.kind == "document" else f"{ATTACHMENTS_TITLE}：{it.source.name}"
        values = (str(n), it.number or "—", it.author or "—", title,
                  it.date.strftime("%Y%m%d") if it.date else "—", str(it.first_page))
        for i, (cell, value) in enumerate(zip(row.cells, values)):
            _cell(cell, value, align="left" if i == 3 else "center")
    if any(it.draft for it in items):
        _para(doc, f"注：文号为「{DRAFT}」的文书尚未编号印发；页次为该件在本卷中的起始页。",
              size=gb.SIZES["五号"], before=6, line=gb.SIZES["五号"] * 1.5)
    doc.save(str(path))
    return path


def _image_pages_docx(path: Path, images: list[Path]) -> Path:
    """One page per image: its file name as a caption, the image scaled to fit the text block."""
    from docx.shared import Mm

    doc = _new_document()
    box_w, box_h = 156.0, 225.0 - 16  # text block less the caption line
    for i, image in enumerate(images):
        caption = _para(doc, f"{ATTACHMENTS_TITLE}：{image.name}", font=gb.FONT_HEI,
                        size=gb.SIZES["小四"], line=gb.SIZES["小四"] * 1.5, after=6)
        if i:
            caption.paragraph_format.page_break_before = True
        px_w, px_h, dpi_x, dpi_y = _image_size(image)
        w_mm, h_mm = px_w / dpi_x * 25.4, px_h / dpi_y * 25.4
        scale = min(box_w / w_mm, box_h / h_mm)
        p = _para(doc, align="center")
        p.add_run().add_picture(str(image), width=Mm(w_mm * scale * 0.98), height=Mm(h_mm * scale * 0.98))
    doc.save(str(path))
    return path


def _stamps_docx(path: Path, first: int, last: int) -> Path:
    """Pages `first`..`last`: each blank but for "案卷第 N 页" at the bottom outer corner (right
    on odd pages, left on even), 12 mm above the page edge: well below the documents' own
    — N — numbers (about 7 mm under the text block, i.e. 28 mm above the edge)."""
    doc = _new_document((297 - 12 - 6, 5, 15, 15))
    for n in range(first, last + 1):
        p = _para(doc, f"案卷第 {n} 页", font=gb.FONT_SONG, size=STAMP_PT,
                  align="right" if n % 2 else "left", line=STAMP_PT * 1.2, color="404040")
        if n > first:
            p.paragraph_format.page_break_before = True
    doc.save(str(path))
    return path
