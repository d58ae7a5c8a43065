"""Low-level WordprocessingML helpers over python-docx's oxml layer.

Everything here speaks OOXML (twips, half-points, eighths of a point); docgen.gbt9704 says
what the values are and docgen.blueprint says where they go.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from docgen import gbt9704 as gb

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"


def el(tag: str, **attrs) -> OxmlElement:
    """<w:tag w:attr=...>; attribute names use _ for nothing (w_val → w:val)."""
    node = OxmlElement(tag)
    for key, value in attrs.items():
        node.set(qn(key.replace("_", ":", 1)), str(value))
    return node


def child(parent, tag: str, **attrs):
    """The single child `tag` of parent, created (in schema order is the caller's job) if absent."""
    found = parent.find(qn(tag))
    if found is None:
        found = el(tag)
        parent.append(found)
    for key, value in attrs.items():
        found.set(qn(key.replace("_", ":", 1)), str(value))
    return found


def run_fonts(rpr, east_asia: str, latin: str = gb.FONT_LATIN) -> None:
    child(rpr, "w:rFonts", w_ascii=latin, w_hAnsi=latin, w_eastAsia=east_asia, w_cs=latin,
          w_hint="eastAsia")


def run_size(rpr, points: float) -> None:
    half = round(points * 2)
    child(rpr, "w:sz", w_val=half)
    child(rpr, "w:szCs", w_val=half)


def border(tag: str, style: str = "single", eighths: int = 8, color: str = "000000",
           space: int = 0) -> OxmlElement:
    return el(tag, w_val=style, w_sz=eighths, w_space=space, w_color=color)


def indent_chars(ppr, *, first: float | None = None, left: float | None = None,
                 right: float | None = None, hanging: float | None = None,
                 size_pt: float = gb.BODY_PT) -> None:
    """Indents in characters of the paragraph's type: w:*Chars for Word, twips for the rest."""
    char = round(size_pt * 20)
    attrs = {}
    for name, value in (("firstLine", first), ("left", left), ("right", right), ("hanging", hanging)):
        if value is not None:
            attrs[f"w_{name}"] = round(value * char)
            attrs[f"w_{name}Chars"] = round(value * 100)
    child(ppr, "w:ind", **attrs)


def exact_spacing(ppr, line: int = gb.LINE_PITCH, before: int = 0, after: int = 0) -> None:
    child(ppr, "w:spacing", w_before=before, w_after=after, w_line=line, w_lineRule="exact")


def paragraph_style(document, style_id: str, name: str, *, font: str, size_pt: float,
                    align: str = "both", color: str | None = None, bold: bool = False,
                    spacing: dict | None = None, indent: dict | None = None,
                    keep_next: bool = False):
    """A named paragraph style carrying one GB/T 9704 element's type and placement."""
    style = document.styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
    style.element.name_val = name
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    ppr = style.element.get_or_add_pPr()
    if keep_next:
        child(ppr, "w:keepNext")
    exact_spacing(ppr, **(spacing or {}))
    if indent:
        indent_chars(ppr, size_pt=size_pt, **indent)
    child(ppr, "w:jc", w_val=align)
    rpr = style.element.get_or_add_rPr()
    run_fonts(rpr, font)
    if bold:
        child(rpr, "w:b")
    if color:
        child(rpr, "w:color", w_val=color)
    run_size(rpr, size_pt)
    return style


def page_field_runs(size_pt: float, font: str) -> list:
    """— PAGE — as runs: an em dash, the PAGE field, an em dash (§7.5)."""
    def run(inner=None, text=None):
        r = el("w:r")
        rpr = child(r, "w:rPr")
        run_fonts(rpr, font, latin=font)
        run_size(rpr, size_pt)
        if text is not None:
            t = el("w:t")
            t.text = text
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            r.append(t)
        if inner is not None:
            r.append(inner)
        return r

    return [run(text="— "), run(el("w:fldChar", w_fldCharType="begin")),
            run(text=None, inner=_instr(" PAGE ")), run(el("w:fldChar", w_fldCharType="separate")),
            run(text="1"), run(el("w:fldChar", w_fldCharType="end")), run(text=" —")]


def _instr(code: str):
    node = el("w:instrText")
    node.text = code
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return node


def raw_paragraph(text: str, style_id: str, *, right_chars: float | None = None,
                  before: int | None = None, line: int | None = None,
                  size_pt: float | None = None) -> str:
    """One paragraph as an XML string, for values whose placement depends on their length
    (the office mark, the signature block); text is escaped here, so it is safe to insert
    unescaped."""
    ppr = f'<w:pStyle w:val="{style_id}"/>'
    if before is not None or line is not None:
        ppr += ("<w:spacing" + (f' w:before="{before}"' if before is not None else "")
                + (f' w:line="{line}" w:lineRule="exact"' if line is not None else "") + "/>")
    if right_chars is not None:
        twips = round(right_chars * gb.BODY_PT * 20)
        ppr += f'<w:ind w:right="{twips}" w:rightChars="{round(right_chars * 100)}"/>'
    rpr = ""
    if size_pt is not None:
        half = round(size_pt * 2)
        rpr = f'<w:rPr><w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>'
    return (f'<w:p xmlns:w="{W_NS}"><w:pPr>{ppr}</w:pPr>'
            f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')


def bottom_box(paragraphs_xml: str, width: int, name: str, *, height: str, top: str) -> str:
    """A borderless text box, full width, at `top` EMU under the text block's top and
    `height` EMU high (values or template expressions), its content at its bottom: placed so,
    it ends on the text block's lower edge in Word and LibreOffice alike (LibreOffice ignores
    floating-table and frame positions, and raises bottom-aligned boxes that share a page
    with text by 2.5 mm)."""
    emu = width * 635  # twips to EMU
    ns = (f'xmlns:w="{W_NS}" '
          f'xmlns:wp="{WP_NS}" '
          'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
          'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"')
    return (
        f'<w:p {ns}><w:pPr><w:spacing w:line="20" w:lineRule="exact"/></w:pPr><w:r><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" behindDoc="0"'
        ' locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>'
        f'<wp:positionV relativeFrom="margin"><wp:posOffset>{top}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{emu}" cy="{height}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>'
        f'<wp:docPr id="4097" name="{name}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{emu}" cy="{height}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
        f'<wps:txbx><w:txbxContent>{paragraphs_xml}</w:txbxContent></wps:txbx>'
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="b">'
        '<a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r></w:p>')


def ruled_paragraph(text: str, style_id: str, *, top: int = 0, bottom: int = 0,
                    right_tab: int | None = None) -> str:
    """A paragraph (XML) between horizontal rules of the given widths in eighths of a point.

    Each rule is a paragraph of its own, one point high and without indents: a paragraph's
    own borders would stop at its indents, and the text is indented while the rules must
    span the whole width."""
    tabs = f'<w:tabs><w:tab w:val="right" w:pos="{right_tab}"/></w:tabs>' if right_tab else ""
    runs = "".join((f'<w:r><w:t xml:space="preserve">{escape(part)}</w:t></w:r>' if part else "")
                   + ('<w:r><w:tab/></w:r>' if i < text.count("\t") else "")
                   for i, part in enumerate(text.split("\t")))
    return (_rule(style_id, top) + f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>{tabs}</w:pPr>{runs}</w:p>'
            + _rule(style_id, bottom))


def _rule(style_id: str, size: int) -> str:
    if not size:
        return ""
    return (f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/><w:pBdr><w:top w:val="single" w:sz="{size}"'
            f' w:space="0" w:color="000000"/></w:pBdr><w:spacing w:before="0" w:after="0" w:line="{gb.RULE_LINE}"'
            ' w:lineRule="exact"/><w:ind w:left="0" w:right="0" w:hanging="0" w:firstLine="0"/>'
            '</w:pPr></w:p>')


def fixed_widths(table, widths: list[int]) -> None:
    """Give a python-docx table fixed column widths (twips) that LibreOffice honours too:
    it reads the grid and w:tblLayout, not the per-cell widths python-docx sets."""
    tbl = table._tbl
    tblpr = tbl.tblPr
    child(tblpr, "w:tblW", w_w=sum(widths), w_type="dxa")
    layout = tblpr.find(qn("w:tblLayout"))
    if layout is None:
        layout = el("w:tblLayout")
        look = tblpr.find(qn("w:tblLook"))
        look.addprevious(layout) if look is not None else tblpr.append(layout)
    layout.set(qn("w:type"), "fixed")
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(width))
    for row in tbl.findall(qn("w:tr")):
        for tc, width in zip(row.findall(qn("w:tc")), widths):
            tcpr = tc.get_or_add_tcPr()
            child(tcpr, "w:tcW", w_w=width, w_type="dxa")


# Paragraphs that sit between the text and the signature and so go with it (§7.3.4).
_BEFORE_SIGNATURE = {"AttachNote", "AttachMore"}


def keep_text_with_signature(body) -> bool:
    """§7.3.5: the signature never opens a page by itself. Sets keep-with-next on the
    paragraphs before the first Signature paragraph: the 附件说明, if any, and the last
    paragraph of text (Word has no keep-with-previous). Returns whether anything changed."""
    style = body.find(f".//{qn('w:pStyle')}[@{qn('w:val')}='Signature']")
    if style is None:
        return False
    prev = style.getparent().getparent().getprevious()
    while prev is not None and prev.tag == qn("w:p"):
        ppr = prev.find(qn("w:pPr"))
        if ppr is None:
            ppr = el("w:pPr")
            prev.insert(0, ppr)
        if ppr.find(qn("w:keepNext")) is None:
            own = ppr.find(qn("w:pStyle"))
            ppr.insert(0 if own is None else 1, el("w:keepNext"))
        own = ppr.find(qn("w:pStyle"))
        if own is None or own.get(qn("w:val")) not in _BEFORE_SIGNATURE:
            break
        prev = prev.getprevious()
    return True


# A footer with nothing in it, in every template, for a 版记 page of its own (§7.5).
BLANK_FOOTER = "footer-blank.xml"
BANJI_BOX = "版记"  # name of the 版记's text box (bottom_box), by which it is found again


def add_blank_footer(doc) -> None:
    """Relate an empty footer part to a python-docx Document (not used by any section yet)."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.oxml import parse_xml
    from docx.parts.hdrftr import FooterPart

    part = FooterPart(PackURI(f"/word/{BLANK_FOOTER}"), CONTENT_TYPE.WML_FOOTER,
                      parse_xml(FooterPart._default_footer_xml()), doc.part.package)
    doc.part.relate_to(part, RELATIONSHIP_TYPE.FOOTER)


def banji_drawing(root):
    """The w:drawing of the 版记's text box in a document.xml tree, or None."""
    box = next((d for d in root.iter(f"{{{WP_NS}}}docPr") if d.get("name") == BANJI_BOX), None)
    return None if box is None else next(a for a in box.iterancestors() if a.tag == qn("w:drawing"))


def banji_on_own_page(root, blank_footer_rid: str, blank_pages: int = 0) -> bool:
    """Give the 版记 a section of its own on a new page, after `blank_pages` empty pages (§7.4:
    the 版记 lies on the last, even, side). Those pages carry no page number (§7.5): their
    sections use the blank footer. Returns whether it was done."""
    from copy import deepcopy

    body = root.find(qn("w:body"))
    sect = body.find(qn("w:sectPr"))
    drawing = banji_drawing(root)
    if sect is None or drawing is None:
        return False
    anchor = next(a for a in drawing.iterancestors() if a.tag == qn("w:p"))
    text_sect = deepcopy(sect)  # the text's section, with its page numbers, ends before the 版记
    last = anchor.getprevious()
    if last is not None and last.tag == qn("w:p") and last.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is None:
        ppr = last.find(qn("w:pPr"))
        if ppr is None:
            ppr = el("w:pPr")
            last.insert(0, ppr)
        ppr.append(text_sect)  # after w:rPr, as the schema orders it (w:pPrChange is never set here)
    else:  # after a table: a one-point paragraph closes the section without taking a line
        brk = el("w:p")
        ppr = child(brk, "w:pPr")
        child(ppr, "w:spacing", w_line=gb.RULE_LINE, w_lineRule="exact")
        ppr.append(text_sect)
        anchor.addprevious(brk)
    for ref in sect.findall(qn("w:footerReference")):
        ref.set(qn("r:id"), blank_footer_rid)
    for node in sect.findall(qn("w:titlePg")):
        sect.remove(node)
    for _ in range(blank_pages):
        blank = el("w:p")
        child(blank, "w:pPr").append(deepcopy(sect))
        anchor.addprevious(blank)
    return True
