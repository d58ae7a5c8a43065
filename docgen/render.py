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
from docgen.rules import load as load_rules
from docgen.ooxml import (BLANK_FOOTER, W_NS, banji_drawing, banji_on_own_page, keep_text_with_signature,
                          raw_paragraph)

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
    )
    env.globals["banji_box"] = _banji_box  # the 版记 box's size depends on its 抄送 lines
    return env


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

    def render(self, context: dict, banji_alone: bool = False) -> bytes:
        """The .docx; banji_alone puts the 版记 on a page of its own without a page number
        (for when it would land alone on the last page anyway)."""
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
                        raise DocgenError(f"模板 {self.path.name} 生成的 {name} 不是合法的 XML：{exc}") from None
                    if name == "word/document.xml" and self._arrange(root, banji_alone):
                        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                    else:
                        data = xml.encode("utf-8")
                zf.writestr(name, data)
        return out.getvalue()

    def _arrange(self, root, banji_alone: bool) -> bool:
        """Layout fixes that need the rendered body; whether any changed it."""
        kept = keep_text_with_signature(root)
        moved = bool(banji_alone and self.blank_footer and banji_on_own_page(root, self.blank_footer))
        return kept or moved


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
            # in a letter's header (a run) and in the 文件格式 body (a placed paragraph)
            "mark": RichText(mark, size=round(mark_pt * 2)),
            **markings,
            "mark_paragraph": Markup(raw_paragraph(mark, "Mark", size_pt=mark_pt, **dict(zip(
                ("before", "line"), gb.mark_spacing(mark_pt, sum(map(bool, markings.values()))))))),
            "signature": Markup(_signature(signers, str(date))),
            "cc_text": "，".join(cc),
            "print_date": values.get("print_date", date),
            "attachment_lines": gb.attachment_lines(attachments),
        }

    def render_bytes(self, doc: Document, number: str | None = None, *, banji_alone: bool = False) -> bytes:
        context = self.context(doc, number)
        try:
            return self.template(doc).render(context, banji_alone)
        except UndefinedError as exc:
            name = _undefined_name(exc)
            field = doc.type.fields.get(name)
            label = f"（{field.label}）" if field else ""
            raise DocgenError(Problem(f"模板需要「{name}」{label}，但文书中没有填写", str(
                self.workspace.relative(doc.path)), None, name)) from None
        except TemplateError as exc:
            raise DocgenError(f"模板 {doc.type.template.name} 有误：{exc}") from None


def typeset(renderer: Renderer, rendered: list[Rendered], out_dir: Path | None = None, *,
            timeout: float = 180) -> list[Path]:
    """PDFs of rendered documents whose .docx are written, beside them or in out_dir.

    Where a 版记 came out alone on the last page, the .docx is rendered again with the 版记
    in a section of its own, on a page without a number (§7.5), and converted again.
    A draft's (one without a number) pages are marked 草稿 once they are final."""
    from docgen import draftmark
    from docgen.pdf import convert

    fonts = renderer.workspace.fonts
    pdfs = convert([r.docx for r in rendered], out_dir, timeout=timeout, fonts=fonts)
    alone = [i for i, (r, pdf) in enumerate(zip(rendered, pdfs)) if banji_alone(pdf, r.docx.read_bytes())]
    for i in alone:
        r = rendered[i]
        atomic_write(r.docx, renderer.render_bytes(r.document, r.number or None, banji_alone=True))
    if alone:
        for i, pdf in zip(alone, convert([rendered[i].docx for i in alone], out_dir, timeout=timeout, fonts=fonts)):
            pdfs[i] = pdf
    draftmark.apply([pdf for r, pdf in zip(rendered, pdfs) if not r.number], fonts=fonts, timeout=timeout)
    return pdfs


_PAGE_NUMBER = re.compile(r"[—–-]\s*\d+\s*[—–-]")


def banji_alone(pdf: Path, docx: bytes) -> bool:
    """Whether the last page of the PDF carries nothing but the 版记 and a page number."""
    from pypdf import PdfReader

    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    drawing = banji_drawing(root)
    if drawing is None:
        return False
    expected = re.sub(r"\s+", "", "".join(t.text or "" for t in drawing.iter(f"{{{W_NS}}}t")))
    pages = PdfReader(pdf).pages
    if len(pages) < 2 or not expected:
        return False
    found = re.sub(r"\s+", "", _PAGE_NUMBER.sub("", pages[-1].extract_text()))
    return sorted(found) == sorted(expected)  # the text box may come out in either order


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


def _signature(signers: list[str], date_text: str) -> str:
    """发文机关署名 and 成文日期, unsealed (§7.3.5.2): their indents depend on their lengths;
    joint issuers stand one under another, the lead office first, the date under the last."""
    widths = [gb.text_width_em(name) for name in signers]
    name_right, date_right = gb.signature_indents(max(widths), gb.text_width_em(date_text))
    names = [raw_paragraph(name, "Signature", right_chars=name_right + max(widths) - width,
                           before=gb.LINE_PITCH if i == 0 else None)
             for i, (name, width) in enumerate(zip(signers, widths))]
    return "".join(names) + raw_paragraph(date_text, "SignDate", right_chars=date_right)


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
