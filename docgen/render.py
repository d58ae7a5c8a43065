"""Rendering casefile documents through their docxtpl templates into .docx files.

docxtpl re-reads the template, re-patches and re-compiles its XML for every document; a
third of the time each. Here each template is opened and its parts patched and compiled once
(`CompiledTemplate`); a render only runs the compiled Jinja templates and writes a new zip from
the cached parts. The same docxtpl tag syntax and patching apply, with a strict environment:
a value the template needs but the casefile lacks is an error, never a blank, and every
value is XML-escaped so `&`, `<`, quotes, `{{ }}` and emoji come out literally.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from docxtpl import DocxTemplate, RichText
from jinja2 import Environment, StrictUndefined, TemplateError, UndefinedError
from lxml import etree
from markupsafe import Markup

from docgen import gbt9704 as gb
from docgen import progress, templatefix
from docgen.blueprint import STYLES
from docgen.casefile import Document
from docgen.deadlines import started_by
from docgen.doctypes import flatten_body
from docgen.errors import DocgenError, Problem
from docgen.fsio import atomic_write
from docgen.ooxml import (BLANK_FOOTER, W_NS, anchored, banji_drawing, banji_on_own_page, break_before_tail,
                          filled_rect, fixed_widths, insert_break, paragraph_text, raw_paragraph, signature_paragraphs,
                          table_cells, tabbed_paragraph, text_box)
from docgen.rules import load as load_rules

# Style names → the ids the render places paragraphs by (an office suite may rename them).
STYLE_IDS = {name: style_id for style_id, (name, _) in STYLES.items()}


class CnDate(dt.date):
    """A date that prints as GB/T 9704 writes it (2021年10月26日) and still does arithmetic."""

    def __str__(self) -> str:
        return gb.format_date(self)

    @classmethod
    def of(cls, value: dt.date) -> CnDate:
        return cls(value.year, value.month, value.day)


class CnDateTime(dt.datetime):
    def __str__(self) -> str:
        return gb.format_datetime(self)

    @classmethod
    def of(cls, value: dt.datetime) -> CnDateTime:
        return cls(value.year, value.month, value.day, value.hour, value.minute)


class StartedDeadline:
    """The deadline a document starts under the office's rules (the report due after the
    interview a memorandum records), for templates that print it: looked up on first use, so
    only templates that print one need rules.yaml."""

    def __init__(self, renderer: Renderer, doc: Document):
        self._renderer, self._doc = renderer, doc

    @cached_property
    def _deadline(self):
        found = started_by(self._doc, self._renderer.rules)
        if len(found) != 1:
            raise DocgenError(Problem(f"模板 {self._doc.type.template.name} 要印出期限，但期限规则中由"
                                      f"{self._doc.type.name}（{self._doc.type.id}）起算的期限有{len(found)}条，应为1条",
                                      "rules.yaml"))
        return found[0]

    @property
    def due(self) -> CnDate:
        return CnDate.of(self._deadline.due)

    @property
    def period(self) -> str:
        return self._deadline.period


def _environment() -> Environment:
    env = Environment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)
    env.filters.update(
        outline=lambda tree, level=1: flatten_body(tree, level),
        ordinal=lambda n, level=3: gb.heading_label(level, n),
        list_item=gb.list_item,
        title_lines=lambda title: "\n".join(gb.title_lines(title)),  # §7.3.1, lines broken as docxtpl does
    )
    env.globals["banji_box"] = _banji_box  # the 版记 box's size depends on its 抄送 lines
    return env


@dataclass(frozen=True)
class Layout:
    """What typesetting decided from a PDF of the document, for the next rendering of it.

    banji_blank_pages: None keeps the 版记 at the foot of the text's last page; a number puts
    it on a page of its own after that many blank pages, so that it lies on an even page, the
    last side of a double-sided print (§7.4).
    carry: how many characters at the end of the text's last paragraph start a new page, so
    that the signature never opens a page without text above it (§7.3.5); 0 for none."""
    banji_blank_pages: int | None = None
    carry: int = 0


class CompiledTemplate:
    """A docxtpl template read, patched and compiled once, rendered many times; what an
    office suite did to it when a clerk edited it is undone first (docgen.templatefix)."""

    def __init__(self, path: Path, env: Environment):
        self.path = path
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
        self._docx = tpl
        self.parts: dict[str, bytes] = {}
        self.templates = {}
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                self.parts[info.filename] = zf.read(info)
        self.parts = templatefix.normalise(self.parts, STYLE_IDS)
        rels = etree.fromstring(self.parts["word/_rels/document.xml.rels"])
        # None in a template made before blank footers existed: its 版记 pages keep a number
        self.blank_footer = next((r.get("Id") for r in rels if r.get("Target") == BLANK_FOOTER), None)
        for name, data in self.parts.items():
            if templatefix.templated(name):
                xml = templatefix.clean_tags(tpl.patch_xml(data.decode("utf-8")))
                # docxtpl puts each paragraph on its own line so Jinja errors carry a line.
                xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
                self.templates[name] = env.from_string(xml)

    def render(self, context: dict, layout: Layout = Layout()) -> bytes:
        """The .docx, arranged as `layout` says (what typesetting found in an earlier PDF)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, data in self.parts.items():
                if name in self.templates:
                    xml = self.templates[name].render(context)
                    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
                    xml = self._docx.resolve_listing(xml)
                    try:  # prove the part is well-formed: Word refuses the whole file otherwise
                        root = etree.fromstring(xml.encode("utf-8"))
                    except etree.XMLSyntaxError as exc:
                        # lxml's own words (English) are for developers; the clerk needs the likely cause
                        raise DocgenError(
                            f"模板 {self.path.name} 有误：生成的 {name} 不是合法的 Word 文件内容"
                            f"（第 {exc.lineno} 段附近），多为 {{% if %}}…{{% endif %}} 等标签一端在段落或表格内、"
                            f"另一端在外。运行 docgen template check {self.path.stem} 可看到出错的段落。") from None
                    if name == "word/document.xml" and self._arrange(root, layout):
                        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                    else:
                        data = xml.encode("utf-8")
                zf.writestr(name, data)
        return out.getvalue()

    def _arrange(self, root, layout: Layout) -> bool:
        """Layout fixes that need the rendered body; whether any changed it."""
        tables = root.findall(f".//{{{W_NS}}}tbl")
        for tbl in tables:  # column widths from the content
            header, *rows = table_cells(tbl)
            widths = gb.column_widths(header, rows)
            fixed_widths(tbl, widths)
            for tr in tbl.findall(f"{{{W_NS}}}tr")[1:]:
                for tc, width in zip(tr.findall(f"{{{W_NS}}}tc"), widths):
                    for p in tc.findall(f"{{{W_NS}}}p"):
                        at = gb.cell_break(paragraph_text(p), width)
                        if at:
                            insert_break(p, at)
        found = signature_paragraphs(root) if layout.carry else None
        if found and found[0] is not None:
            break_before_tail(found[0], layout.carry)
        moved = bool(layout.banji_blank_pages is not None and self.blank_footer
                     and banji_on_own_page(root, self.blank_footer, layout.banji_blank_pages))
        return bool(tables) or bool(found) or moved


@dataclass
class Rendered:
    document: Document
    docx: Path
    number: str


class Renderer:
    """Renders documents of one workspace; templates are compiled on first use and kept."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.env = _environment()
        self._compiled: dict[str, CompiledTemplate] = {}

    @cached_property
    def rules(self):
        return load_rules(self.workspace)

    def template(self, doc: Document) -> CompiledTemplate:
        key = doc.type.id
        if key not in self._compiled:
            self._compiled[key] = CompiledTemplate(doc.type.template, self.env)
        return self._compiled[key]

    def context(self, doc: Document, number: str | None = None) -> dict:
        office = self.workspace.office
        values = {k: _for_template(v) for k, v in doc.values.items()}
        number = number or gb.draft_number(office["number_prefix"])
        mark = values.pop("mark", None) or office["mark_name"] + doc.type.mark
        mark_pt = gb.mark_size_pt(mark)
        markings = {"copy_no": gb.copy_number(values["copy_number"]) if values.get("copy_number") else "",
                    "security_text": gb.security_line(values["security"], values.get("secret_term"))
                    if values.get("security") else "",
                    "urgency_text": values.get("urgency", "")}
        signers = values.pop("signers", None) or [office["name"]]
        date = values["date"]
        cc = values.get("cc", office["cc"])
        attachments = values.get("attachments", [])
        return {
            "rule_deadline": StartedDeadline(self, doc),
            **values,
            "office": office,
            "case": {"id": doc.case.id, **{k: _for_template(v) for k, v in doc.case.values.items()}},
            "doc_id": doc.id,
            "type_name": doc.type.name,
            "number": number,
            # a run of the mark at its size, for a template that places the mark itself
            "mark": RichText(mark, size=round(mark_pt * 2)),
            # the 发文字号's paragraph, placed from the mark's size (§7.2.4, §7.2.6; §10.1)
            "number_paragraph": Markup(raw_paragraph(number, "DocNumber", before=gb.number_spacing(mark_pt),
                                                     rule=gb.NUMBER_RULE)),
            "letter_head": Markup(_letter_head(mark, mark_pt, number, markings)),
            "more_markings": [text for text in markings.values() if text][1:],
            **markings,
            "mark_paragraph": Markup(raw_paragraph(mark, "Mark", size_pt=mark_pt, **dict(zip(
                ("before", "line"), gb.mark_spacing(mark_pt, sum(map(bool, markings.values()))))))),
            "signature": Markup(_signature(signers, str(date), bool(values.get("sealed")))),
            **({"signer_block": Markup(_signer_block(values["signer"], number, gb.number_spacing(mark_pt)))}
               if values.get("signer") else {}),
            "cc_text": "，".join(cc),
            "print_date": values.get("print_date", date),
            "attachment_lines": gb.attachment_lines(attachments),
        }

    def render_bytes(self, doc: Document, number: str | None = None, *, layout: Layout = Layout()) -> bytes:
        context = self.context(doc, number)
        try:
            return self.template(doc).render(context, layout)
        except UndefinedError as exc:
            name = _undefined_name(exc)
            field = doc.type.fields.get(name)
            label = f"（{field.label}）" if field else ""
            raise DocgenError(Problem(f"模板需要「{name}」{label}，但文书中没有填写", str(
                self.workspace.relative(doc.path)), None, name)) from None
        except TemplateError as exc:
            from docgen.jinjaerrors import chinese

            name = doc.type.template.name
            raise DocgenError(f"模板 {name} 有误：{chinese(exc, self.env)}。"
                              f"运行 docgen template check {doc.type.id} 可看到出错的段落。") from None


def typeset(renderer: Renderer, rendered: list[Rendered], out_dir: Path | None = None, *,
            timeout: float = 180) -> list[Path]:
    """PDFs of rendered documents whose .docx are written, beside them or in out_dir.

    Some of the standard's rules can only be checked on the typeset pages: each PDF is read
    back, and where it shows that another `Layout` is needed (the signature opening a page,
    the 版记 on an odd page or alone on a numbered one), the .docx is rendered again so
    arranged and converted again, until the pages agree (one round nearly always does).
    A draft's (one without a number) pages are marked 草稿 once they are final."""
    from docgen import draftmark
    from docgen.pdf import convert

    fonts = renderer.workspace.fonts
    pdfs = convert([r.docx for r in rendered], out_dir, timeout=timeout, fonts=fonts)
    layouts = [Layout()] * len(rendered)
    for _ in range(3):
        redo = []
        for i, (r, pdf) in enumerate(zip(rendered, pdfs)):
            wanted = layout_for(pdf, r.docx.read_bytes(), layouts[i])
            if wanted != layouts[i]:
                layouts[i] = wanted
                atomic_write(r.docx, renderer.render_bytes(r.document, r.number or None, layout=wanted))
                redo.append(i)
        if not redo:
            break
        for i, pdf in zip(redo, convert([rendered[i].docx for i in redo], out_dir, timeout=timeout, fonts=fonts)):
            pdfs[i] = pdf
    draftmark.apply([pdf for r, pdf in zip(rendered, pdfs) if not r.number], fonts=fonts, timeout=timeout)
    return pdfs


_PAGE_NUMBER = re.compile(r"[—–-]\s*\d+\s*[—–-]")
# Lines of text that go with the signature when it would open a page (§7.3.5)
CARRIED_LINES = 2


def layout_for(pdf: Path, docx: bytes, current: Layout = Layout()) -> Layout:
    """The layout a document needs, judged from a PDF of it made with the `current` one."""
    from pypdf import PdfReader

    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    pages = [_PAGE_NUMBER.sub("", page.extract_text()) for page in PdfReader(pdf).pages]
    return Layout(_banji_blank_pages(root, pages), _carry(root, pages, current.carry))


def _banji_blank_pages(root, pages: list[str]) -> int | None:
    """The 版记 shares the text's last page only if that page is even; otherwise it goes on
    the next even page, after a blank page if the text ends on an even page (§7.4)."""
    from collections import Counter

    drawing = banji_drawing(root)
    banji = Counter(_bare("".join(t.text or "" for t in drawing.iter(f"{{{W_NS}}}t")))) \
        if drawing is not None else Counter()
    if not banji:
        return None
    counted = [Counter(_bare(page)) for page in pages]
    # a page holding only the 版记 has only its characters (the text box comes out in any order)
    text_end = max((i for i, page in enumerate(counted, 1) if page and not page <= banji), default=1)
    if text_end == len(pages):  # the 版记 shares the text's last page
        return None if text_end % 2 == 0 else 0
    return 0 if text_end % 2 else 1


def _carry(root, pages: list[str], current: int) -> int:
    """Characters of the last paragraph to carry onto the signature's page: none while some
    text stands above the signature on its page; else those of the last lines before it."""
    found = signature_paragraphs(root)
    if not found or found[0] is None or found[3] is None:
        return current
    last, attach, names, date = found
    lines = [[_bare(ln) for ln in page.splitlines() if ln.strip()] for page in pages]
    block = [_bare(paragraph_text(p)) for p in (*names, date)]
    # the page and line where the 署名 starts (the 版记's 印发 line may repeat the office's name)
    at, row = next(((i, j) for i, page in reversed(list(enumerate(lines))) for j in range(len(page))
                    if page[j:j + len(block)] == block), (0, 0))
    above = lines[at][:row] if at else ["-"]
    if len("".join(above)) > len("".join(_bare(paragraph_text(p)) for p in attach)):
        return current
    # The text ended at the foot of the page before: carry its last lines over.
    text = paragraph_text(last)
    tail = lines[at - 1][-CARRIED_LINES:]
    start = text.rfind(tail[0][:6]) if tail else -1
    return len(text) - start if start >= 0 else len(text)


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _for_template(value):
    if isinstance(value, dt.datetime):
        return CnDateTime.of(value)
    if isinstance(value, dt.date):
        return CnDate.of(value)
    if isinstance(value, list):
        return [_for_template(v) for v in value]
    if isinstance(value, dict):
        return {k: _for_template(v) for k, v in value.items()}
    return value


def _signature(signers: list[str], date_text: str, sealed: bool) -> str:
    """发文机关署名 and 成文日期 (§7.3.5), placed from the widths of their texts; joint issuers
    stand one under another, the lead office first, their first characters aligned, and the
    date under the last. One blank line above an unsealed name, room for the seal above a
    sealed one."""
    widths = [gb.text_width(name) for name in signers]
    name_right, date_right = gb.signature_indents(max(widths), gb.text_width(date_text), sealed)
    before = (gb.SEAL_LINES if sealed else 1) * gb.LINE_PITCH
    names = [raw_paragraph(name, "Signature", right=name_right + max(widths) - width,
                           before=before if i == 0 else None)
             for i, (name, width) in enumerate(zip(signers, widths))]
    return "".join(names) + raw_paragraph(date_text, "SignDate", right=date_right)


def _signer_block(signer: str, number: str, before: int) -> str:
    """上行文's 发文字号 and 签发人 (§7.2.4, §7.2.7): names (several parted by 、) two a line,
    the number on the line of the last, the red rule under it (§7.2.6)."""
    lines, label_at, names_at = gb.signer_lines(re.split(r"[、，,]\s*", signer.strip()))
    out = []
    for i, names in enumerate(lines):
        last = i == len(lines) - 1
        head = "\t" + (number if last else "") + "\t"
        runs = [(head + gb.SIGNER_LABEL, gb.FONT_BODY)] if i == 0 else [(head + "\t", gb.FONT_BODY)]
        tabs = [("left", gb.BODY_PT * 20), ("left", label_at), ("left", names_at)]
        out.append(tabbed_paragraph("DocNumber", runs + [(names, gb.FONT_KAI)], tabs,
                                    before=before if i == 0 else 0, rule=gb.NUMBER_RULE if last else None))
    return "".join(out)


def _letter_head(mark: str, mark_pt: float, number: str, markings: dict) -> str:
    """信函格式's first line (§10.1): 份号, 密级 or 紧急程度 (the first set) flush left and the
    发文字号 flush right, 7/8 of a character under the double rule; the red mark and the two
    double rules drawn at their places on the page, anchored to it."""
    frame = gb.letter_frame(mark_pt)
    width, length = gb.TEXT_WIDTH * 635, gb.mm(gb.LETTER_RULE_LENGTH) * 635  # EMU
    line = frame["mark_line"]
    text = raw_paragraph(mark, "LetterMark", before=0, line=line, size_pt=mark_pt)
    drawings = [anchored(text_box(text, width, line * 635), name="信函机关标志", shape_id=4001, cx=width,
                         cy=line * 635, y=frame["mark_top"] * 635)]
    for i, (top, height) in enumerate(frame["rules"]):
        drawings.append(anchored(filled_rect(length, height * 635, gb.RED), name=f"信函红色双线{i + 1}",
                                 shape_id=4002 + i, x=(gb.PAGE_WIDTH * 635 - length) // 2, cx=length,
                                 cy=height * 635, y=top * 635))
    first = next(((key, text) for key, text in markings.items() if text), ("", ""))
    runs = [(first[1], gb.FONT_BODY if first[0] == "copy_no" else gb.FONT_HEI), ("\t" + number, gb.FONT_BODY)]
    return tabbed_paragraph("DocNumber", runs, [("right", gb.TEXT_WIDTH)], before=frame["number_before"],
                            drawings=tuple(drawings))


def _banji_box(cc_text: str, printed: bool) -> dict:
    """Height and offset under the text block's top (EMU) of the 版记's text box."""
    height = gb.banji_height(cc_text, printed)
    return {"height": height * 635, "top": (gb.TEXT_HEIGHT - height) * 635}


def _undefined_name(exc: UndefinedError) -> str:
    match = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(exc))
    return next((g for g in match.groups() if g), str(exc)) if match else str(exc)



def draft_path(out_dir: Path, case_id: str, doc_id: str) -> Path:
    return out_dir / f"{case_id}-{doc_id}.docx"


def render_case(workspace, case_id: str, doc_ids: list[str] | None, out_dir: Path,
                renderer: Renderer | None = None) -> list[Rendered]:
    """Render documents of a case (all when doc_ids is None) as drafts into out_dir.

    All-or-nothing: every document is validated and rendered in memory before any file is
    written, so a bad casefile leaves no file behind.
    """
    from docgen.casefile import load_case

    renderer = renderer or Renderer(workspace)
    case = load_case(workspace, case_id)
    docs = [case.document(d) for d in doc_ids] if doc_ids else case.documents()
    if not docs:
        raise DocgenError(f"案卷 {case_id} 中还没有文书，可用 docgen new 类型 {case_id} 新建")
    rendered = [(doc, renderer.render_bytes(doc)) for doc in progress.items(docs, len(docs), "生成 Word 文档")]
    results = []
    for doc, data in rendered:
        path = draft_path(out_dir, doc.case.id, doc.id)
        atomic_write(path, data)
        results.append(Rendered(doc, path, ""))
    return results
