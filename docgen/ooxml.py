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


# Schema order of the children of the property elements docgen writes (Word refuses a file
# whose properties are out of order).
_ORDER = {
    "w:pPr": ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
              "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
              "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
              "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"),
    "w:rPr": ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
              "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
              "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"),
    "w:sectPr": ("headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
                 "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter "
                 "docGrid printerSettings sectPrChange"),
    "w:tblPr": ("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
                "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook"),
    "w:trPr": "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc hidden",
    "w:tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark",
}
_RANK = {qn(parent): {qn("w:" + name): i for i, name in enumerate(names.split())}
         for parent, names in _ORDER.items()}


def child(parent, tag: str, **attrs):
    """The single child `tag` of parent, created if absent (in schema order when parent is a
    pPr, rPr, sectPr or table property element)."""
    found = parent.find(qn(tag))
    if found is None:
        found = el(tag)
        rank = _RANK.get(parent.tag)
        if rank is None or qn(tag) not in rank:
            parent.append(found)
        else:
            mine = rank[qn(tag)]
            later = next((c for c in parent if rank.get(c.tag, -1) > mine), None)
            later.addprevious(found) if later is not None else parent.append(found)
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
                    keep_next: bool = False, grid: bool = True, new_page: bool = False,
                    outline: int | None = None):
    """A named paragraph style carrying one GB/T 9704 element's type and placement. Off the
    line grid (grid=False) a line is exactly as high as its spacing says, wherever it is."""
    style = document.styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
    style.element.name_val = name
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    ppr = style.element.get_or_add_pPr()
    if keep_next:
        child(ppr, "w:keepNext")
    if new_page:
        child(ppr, "w:pageBreakBefore")
    if not grid:
        child(ppr, "w:snapToGrid", w_val=0)
    exact_spacing(ppr, **(spacing or {}))
    if indent:
        indent_chars(ppr, size_pt=size_pt, **indent)
    child(ppr, "w:jc", w_val=align)
    if outline:  # a heading level, for Word's navigation pane
        child(ppr, "w:outlineLvl", w_val=outline - 1)
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


def raw_paragraph(text: str, style_id: str, *, right: int | None = None,
                  before: int | None = None, line: int | None = None,
                  size_pt: float | None = None, rule: tuple[int, str, int] | None = None) -> str:
    """One paragraph as an XML string, for values whose placement depends on their length
    (the office mark, the signature block); text is escaped here, so it is safe to insert
    unescaped."""
    ppr = f'<w:pStyle w:val="{style_id}"/>'
    if rule:  # (eighths of a point, colour, points of space): a bottom border
        ppr += f'<w:pBdr><w:bottom w:val="single" w:sz="{rule[0]}" w:space="{rule[2]}" w:color="{rule[1]}"/></w:pBdr>'
    if before is not None or line is not None:
        ppr += ("<w:spacing" + (f' w:before="{before}"' if before is not None else "")
                + (f' w:line="{line}" w:lineRule="exact"' if line is not None else "") + "/>")
    if right is not None:  # twips, not characters: Word would measure those in its own way
        ppr += f'<w:ind w:right="{right}" w:rightChars="0"/>'
    rpr = ""
    if size_pt is not None:
        half = round(size_pt * 2)
        rpr = f'<w:rPr><w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>'
    return (f'<w:p xmlns:w="{W_NS}"><w:pPr>{ppr}</w:pPr>'
            f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')


def tabbed_paragraph(style_id: str, runs: list[tuple[str, str]], tabs: list[tuple[str, int]], *,
                     before: int | None = None, rule: tuple[int, str, int] | None = None,
                     drawings: tuple[str, ...] = ()) -> str:
    """One left-aligned paragraph as an XML string whose runs (text, East Asian font; a tab
    as \\t) stand at tab stops ((kind, twips)); `rule` = (eighths of a point, colour, points
    of space) draws a bottom border; `drawings` are runs of floating drawings (anchored()).
    Text is escaped here."""
    ppr = f'<w:pStyle w:val="{style_id}"/>'
    if rule:
        ppr += f'<w:pBdr><w:bottom w:val="single" w:sz="{rule[0]}" w:space="{rule[2]}" w:color="{rule[1]}"/></w:pBdr>'
    ppr += "<w:tabs>" + "".join(f'<w:tab w:val="{kind}" w:pos="{pos}"/>' for kind, pos in tabs) + "</w:tabs>"
    if before is not None:
        ppr += f'<w:spacing w:before="{before}"/>'
    ppr += '<w:jc w:val="left"/>'
    body = ""
    for text, font in runs:
        rpr = (f'<w:rPr><w:rFonts w:ascii="{gb.FONT_LATIN}" w:hAnsi="{gb.FONT_LATIN}" w:eastAsia="{font}"'
               f' w:cs="{gb.FONT_LATIN}" w:hint="eastAsia"/></w:rPr>')
        for i, part in enumerate(text.split("\t")):
            body += (f"<w:r>{rpr}<w:tab/></w:r>" if i else "") + \
                (f'<w:r>{rpr}<w:t xml:space="preserve">{escape(part)}</w:t></w:r>' if part else "")
    return f'<w:p {DRAWING_NS}><w:pPr>{ppr}</w:pPr>{body}{"".join(drawings)}</w:p>'


DRAWING_NS = (f'xmlns:w="{W_NS}" xmlns:wp="{WP_NS}" '
              'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
              'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"')


def anchored(graphic: str, *, name: str, shape_id: int, cx, cy, y, x=None, relative_to: str = "page",
             wrap: str = "none") -> str:
    """A floating drawing run (wp:anchor) `cx` × `cy` EMU, its top `y` EMU under the top of the
    page or of the text block (relative_to "margin"), its left `x` EMU from the same left edge
    or centred when x is None. Values may be template expressions."""
    horizontal = ("<wp:align>center</wp:align>" if x is None else f"<wp:posOffset>{x}</wp:posOffset>")
    wrapping = "<wp:wrapTopAndBottom/>" if wrap == "topAndBottom" else "<wp:wrapNone/>"
    return (
        '<w:r><w:drawing>'
        f'<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{shape_id}" behindDoc="0"'
        ' locked="1" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="{relative_to}">{horizontal}</wp:positionH>'
        f'<wp:positionV relativeFrom="{relative_to}"><wp:posOffset>{y}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>{wrapping}'
        f'<wp:docPr id="{shape_id}" name="{name}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f'<wps:wsp>{graphic}</wps:wsp>'
        '</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>')


def text_box(paragraphs_xml: str, cx, cy, *, bottom: bool = False) -> str:
    """The shape of a borderless text box without insets, its content at its top or bottom."""
    return (f'<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
            f'<wps:txbx><w:txbxContent>{paragraphs_xml}</w:txbxContent></wps:txbx>'
            '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0"'
            f' anchor="{"b" if bottom else "t"}"><a:noAutofit/></wps:bodyPr>')


def filled_rect(cx, cy, color: str) -> str:
    """The shape of a rectangle filled with a colour, without outline (a rule of exact thickness)."""
    return (f'<wps:cNvSpPr/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
            '<a:ln><a:noFill/></a:ln></wps:spPr><wps:bodyPr/>')


def drawing_paragraph(*runs: str, style_id: str | None = None) -> str:
    """A paragraph one point high that only anchors floating drawings."""
    style = f'<w:pStyle w:val="{style_id}"/>' if style_id else ""
    # off the line grid, or LibreOffice gives it a whole line of the grid (and a 版记 that would
    # fit under the text goes to the next page)
    return (f'<w:p {DRAWING_NS}><w:pPr>{style}<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0"'
            f' w:line="{gb.RULE_LINE}" w:lineRule="exact"/></w:pPr>{"".join(runs)}</w:p>')


def bottom_box(paragraphs_xml: str, width: int, name: str, *, height: str, top: str) -> str:
    """A borderless text box, full width, at `top` EMU under the text block's top and
    `height` EMU high (values or template expressions), its content at its bottom: placed so,
    it ends on the text block's lower edge in Word and LibreOffice alike (LibreOffice ignores
    floating-table and frame positions, and raises bottom-aligned boxes that share a page
    with text by 2.5 mm)."""
    cx = width * 635  # twips to EMU
    return drawing_paragraph(anchored(text_box(paragraphs_xml, cx, height, bottom=True), name=name, shape_id=4097,
                                      cx=cx, cy=height, y=top, relative_to="margin", wrap="topAndBottom"))


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
    """Give a table (python-docx's or its w:tbl) fixed column widths (twips) that LibreOffice
    honours too: it reads the grid and w:tblLayout, not the per-cell widths python-docx sets."""
    tbl = getattr(table, "_tbl", table)
    tblpr = tbl.find(qn("w:tblPr"))
    child(tblpr, "w:tblW", w_w=sum(widths), w_type="dxa")
    child(tblpr, "w:tblLayout", w_type="fixed")
    for col, width in zip(tbl.find(qn("w:tblGrid")).findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(width))
    for row in tbl.findall(qn("w:tr")):
        for tc, width in zip(row.findall(qn("w:tc")), widths):
            tcpr = tc.find(qn("w:tcPr"))
            if tcpr is None:
                tcpr = el("w:tcPr")
                tc.insert(0, tcpr)
            child(tcpr, "w:tcW", w_w=width, w_type="dxa")


def table_cells(tbl) -> list[list[str]]:
    """The text of each cell of a table, row by row."""
    return [["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.findall(qn("w:tc"))]
            for tr in tbl.findall(qn("w:tr"))]


# Paragraphs that sit between the text and the signature and so go with it (§7.3.4).
_BEFORE_SIGNATURE = {"AttachNote", "AttachMore"}


def _style(p) -> str | None:
    node = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return None if node is None else node.get(qn("w:val"))


def paragraph_text(p) -> str:
    """A paragraph's own text (not that of text boxes inside it)."""
    return "".join(t.text or "" for t in p.iter(qn("w:t"))
                   if next(a for a in t.iterancestors(qn("w:p"))) is p)


def signature_paragraphs(body):
    """(last paragraph of the text, the 附件说明 paragraphs, the 署名 paragraphs, the 成文日期
    paragraph) of a rendered body, or None when it has no signature."""
    name = next((p for p in body.iter(qn("w:p")) if _style(p) == "Signature"), None)
    if name is None:
        return None
    names, date = [name], name.getnext()
    while date is not None and _style(date) == "Signature":
        names.append(date)
        date = date.getnext()
    attach, prev = [], name.getprevious()
    while prev is not None and prev.tag == qn("w:p") and _style(prev) in _BEFORE_SIGNATURE:
        attach.insert(0, prev)
        prev = prev.getprevious()
    return (prev if prev is not None and prev.tag == qn("w:p") else None), attach, names, date


def break_before_tail(p, chars: int) -> None:
    """Start a new page before the last `chars` characters of paragraph p (the whole paragraph
    when it has no more): the paragraph's text is unchanged, only where its lines fall."""
    pos = len(paragraph_text(p)) - chars
    if pos <= 0:
        child(child(p, "w:pPr"), "w:pageBreakBefore")
    else:
        insert_break(p, pos, page=True)


def insert_break(p, pos: int, *, page: bool = False) -> None:
    """A line break (or page break) in paragraph p before its character `pos`, splitting the
    run there; the text itself is unchanged."""
    from copy import deepcopy

    for t in (t for t in p.iter(qn("w:t")) if next(a for a in t.iterancestors(qn("w:p"))) is p):
        size = len(t.text or "")
        if pos <= size:
            run = t.getparent()
            tail = deepcopy(run)
            for node in list(tail):
                if node.tag != qn("w:rPr"):
                    tail.remove(node)
            tail_t = el("w:t")
            tail_t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            tail_t.text, t.text = t.text[pos:], t.text[:pos]
            tail.append(el("w:br", w_type="page") if page else el("w:br"))
            tail.append(tail_t)
            for later in list(t.itersiblings()):  # the rest of the run goes after the break
                tail.append(later)
            run.addnext(tail)
            return
        pos -= size


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


def banji_size(printed: bool, what: str) -> str:
    """The Jinja expression that sizes the 版记 box at render time (`what`: height or top),
    from its 抄送 lines and whether it has an 印发 line."""
    return "{{ banji_box(cc_text, %s).%s }}" % (printed, what)


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
    else:  # after a table: a one-point paragraph (off the grid) closes the section without taking a line
        brk = el("w:p")
        ppr = child(brk, "w:pPr")
        child(ppr, "w:snapToGrid", w_val=0)
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
