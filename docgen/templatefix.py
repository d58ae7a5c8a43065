"""A template as Word, WPS or LibreOffice saved it, put back the way docxtpl reads it.

Clerks edit the .docx templates in an office suite, and every suite rewrites what it saves:
Word splits a tag typed as `{{ unit }}` over several runs (one per edit, each with its own
rsid, with w:proofErr marks and bookmarks between them), LibreOffice writes `'` as `&apos;`,
drops parts no section uses and renames styles whose names are Chinese ("Style12"), and
autocorrect turns quotes into curly ones. docxtpl's `patch_xml` copes with part of this with
regular expressions over the XML text; what it cannot see is done here, on the parsed XML,
before it runs (`normalise`), and on the tags' text after it ran (`clean_tags`):

- tracked changes (修订) are accepted: the copy rendered is the template as it reads "final";
- a tag's text is gathered into the first w:t it starts in, whatever lies between its pieces
  (runs nested in hyperlinks, smart tags or content controls, where docxtpl's textual
  stripping would cut the XML's nesting), and what wraps a tag (a hyperlink, smart tag,
  custom XML or content control) gives way to its content;
- a field (a hyperlink or MERGEFIELD an editor wrapped round a tag) gives way to its result,
  so that the rendered value is not replaced when the field is updated;
- entities, curly and full-width quotes and odd spaces inside tags become plain characters;
- styles renamed by the suite get their ids back (the render places paragraphs by style id),
  the blank footer the 版记 page needs is put back if the suite dropped it, and so are the
  expressions sizing the 版记 box (a suite keeps only numbers in a drawing's geometry).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from docgen.ooxml import BLANK_FOOTER, W_NS, WP_NS, banji_drawing, banji_size

W = f"{{{W_NS}}}"
CORE = "docProps/core.xml"
# The parts the render runs through Jinja.
_TEMPLATED = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")
# A tag as docxtpl and Jinja see it; a tag never spans paragraphs.
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_PARSER = etree.XMLParser(remove_blank_text=False, resolve_entities=False, huge_tree=True)

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
FOOTER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
FOOTER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"
# Attributes naming a style, wherever a suite may have written the renamed id.
_STYLE_REFS = ("pStyle", "rStyle", "tblStyle", "basedOn", "next", "link", "numStyleLink", "styleLink")

# Inside a tag: what autocorrect and input methods type for plain ASCII.
_IN_TAG = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "＂": '"', "″": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "＇": "'", "′": "'",
    "\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None, "\u00ad": None,
})
_ENTITIES = (("&quot;", '"'), ("&apos;", "'"), ("&#39;", "'"), ("&#34;", '"'), ("&lt;", "<"),
             ("&gt;", ">"), ("&amp;", "&"))


def templated(name: str) -> bool:
    """Whether the render runs this part of the package through Jinja."""
    return bool(_TEMPLATED.match(name)) or name == CORE


def normalise(parts: dict[str, bytes], style_ids: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """The package's parts (name → bytes) with what office suites do to templates undone.
    `style_ids` maps style names to the ids the render refers to them by."""
    parts = dict(parts)
    for name in [n for n in parts if templated(n)]:
        root = etree.fromstring(parts[name], _PARSER)
        if name != CORE:
            accept_revisions(root)
            gather_tags(root)
            _unwrap_round_tags(root)
            for p in list(root.iter(f"{W}p")):
                _unwrap_fields(p)
            _restore_banji_size(root)
        parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if style_ids:
        _restore_style_ids(parts, style_ids)
    _restore_blank_footer(parts)
    _stop_tracking(parts)
    return parts


def clean_tags(xml: str) -> str:
    """After docxtpl's patch_xml: entities, quotes and spaces inside every tag made plain."""
    def clean(match: re.Match) -> str:
        text = match.group(0)
        for entity, char in _ENTITIES:
            text = text.replace(entity, char)
        return text.translate(_IN_TAG)

    return TAG.sub(clean, xml)


# ---------------------------------------------------------------- tracked changes

# A template edited with 修订 (track changes) on is rendered as it reads with every revision
# accepted: that is the text the clerk sees as "final" and meant to print. Left as they are,
# the revisions would reach every rendered document as revision marks (LibreOffice prints
# them, deletions struck through), Jinja would still run the tags in deleted text, and an
# inline {% if %}…{% endif %} with one end inside a w:ins and the other outside would have
# Jinja cut the w:ins element in two, leaving XML that no reader opens.
_GONE = {f"{W}del", f"{W}moveFrom"}  # content no longer there: removed with it
_KEPT = {f"{W}ins", f"{W}moveTo"}  # content that now is: unwrapped
# what a change leaves behind besides content: formatting before the change, ends of a move
_MARKS = {f"{W}{name}" for name in (
    "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "tblPrExChange", "tcPrChange", "trPrChange",
    "tblGridChange", "numberingChange", "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart",
    "moveToRangeEnd", "customXmlInsRangeStart", "customXmlInsRangeEnd", "customXmlDelRangeStart",
    "customXmlDelRangeEnd", "customXmlMoveFromRangeStart", "customXmlMoveFromRangeEnd",
    "customXmlMoveToRangeStart", "customXmlMoveToRangeEnd")}
# where w:ins and w:del mark a paragraph mark, a run or a table row rather than wrap content
_MARKED = {f"{W}rPr", f"{W}trPr", f"{W}numPr"}


def accept_revisions(root) -> None:
    """Every tracked insertion, deletion, move and formatting change in the part accepted."""
    for row in [tr for tr in root.iter(f"{W}tr") if _revised(tr.find(f"{W}trPr"), _GONE)]:
        row.getparent().remove(row)
    joined = [p for p in root.iter(f"{W}p") if _revised(p.find(f"{W}pPr/{W}rPr"), _GONE)]
    for node in list(root.iter(*_GONE, *_KEPT, *_MARKS)):
        parent = node.getparent()
        if node.tag in _MARKS or node.tag in _GONE or parent.tag in _MARKED:
            parent.remove(node)
        else:
            _replace_by_children(node)
    for p in joined:
        _join_next(p)


def _revised(props, kinds: set) -> bool:
    return props is not None and any(child.tag in kinds for child in props)


def _join_next(p) -> None:
    """A deleted paragraph mark joins its paragraph's content to the next paragraph, whose
    mark, and so whose properties, survive (a paragraph deleted whole simply goes). A last
    paragraph before a table or a section's end keeps its place."""
    after = p.getnext()
    props = p.find(f"{W}pPr")
    if after is None or after.tag != f"{W}p" or (props is not None and props.find(f"{W}sectPr") is not None):
        return
    start = 1 if len(after) and after[0].tag == f"{W}pPr" else 0
    for i, kid in enumerate(k for k in p if k.tag != f"{W}pPr"):
        after.insert(start + i, kid)
    p.getparent().remove(p)


def _stop_tracking(parts: dict[str, bytes]) -> None:
    """The rendered document does not open with 修订 on because the template was edited so."""
    data = parts.get("word/settings.xml")
    if data is None or b"trackRevisions" not in data:
        return
    settings = etree.fromstring(data, _PARSER)
    for node in settings.findall(f"{W}trackRevisions"):
        settings.remove(node)
    parts["word/settings.xml"] = etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)


# ---------------------------------------------------------------- tags split over runs

def text_nodes(root) -> dict:
    """The w:t elements of every paragraph, in document order, keyed by their own paragraph
    (a text box's paragraphs are their own, not the paragraph anchoring the box)."""
    found: dict = {}
    for t in root.iter(f"{W}t"):
        p = next(t.iterancestors(f"{W}p"), None)
        if p is not None:
            found.setdefault(p, []).append(t)
    return found


def gather_tags(root) -> None:
    """Put each tag's whole text into the w:t where it starts; w:t and runs left empty go."""
    for nodes in text_nodes(root).values():
        texts = [t.text or "" for t in nodes]
        joined = "".join(texts)
        if "{" not in joined:
            continue
        home = []  # for each character of the paragraph, the w:t it belongs in
        for i, text in enumerate(texts):
            home.extend([i] * len(text))
        emptied = set()
        for match in TAG.finditer(joined):
            first = home[match.start()]
            for k in range(match.start(), match.end()):
                if home[k] != first:
                    emptied.add(home[k])
                    home[k] = first
        if not emptied:
            continue
        new = [""] * len(nodes)
        for char, i in zip(joined, home):
            new[i] += char
        for t, text in zip(nodes, new):
            if text == (t.text or ""):
                continue
            t.text = text
            if text.strip() != text:
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        for i in emptied:
            if not new[i]:
                _remove_text(nodes[i])


def _remove_text(t) -> None:
    run = t.getparent()
    run.remove(t)
    if run.tag == f"{W}r" and all(c.tag == f"{W}rPr" for c in run):
        parent = run.getparent()
        parent.remove(run)
        # a hyperlink, smart tag or insertion left without runs goes too
        while parent.tag != f"{W}p" and len(parent) == 0:
            grand = parent.getparent()
            grand.remove(parent)
            parent = grand


# ---------------------------------------------------------------- what editors wrap round tags

# Elements that only wrap runs (or paragraphs, or rows) without being text themselves.
_WRAPPERS = {f"{W}{name}" for name in ("hyperlink", "fldSimple", "smartTag", "customXml", "sdt", "dir", "bdo")}


def _unwrap_round_tags(root) -> None:
    """A wrapper holding a tag gives way to its content. Jinja drops what lies between an
    {% if %} and its {% endif %} (and repeats what lies in a for): with one end inside a
    wrapper and the other outside, it would cut the wrapper's element in two. A field for
    one more reason: Word updates fields (on opening, before printing) and would put the
    field's own value where the tag's went."""
    for node in list(root.iter(*_WRAPPERS)):
        if not TAG.search("".join(t.text or "" for t in node.iter(f"{W}t"))):
            continue
        if node.tag == f"{W}sdt":  # a content control: its properties go, its content stays
            content = node.find(f"{W}sdtContent")
            if content is None:
                continue
            node.addprevious(content)
            node.getparent().remove(node)
            node = content
        _replace_by_children(node)


def _unwrap_fields(p) -> None:
    """A complex field (begin, code, separate, result, end runs) whose result holds a tag is
    replaced by its result, as _unwrap_round_tags does for the simple ones."""
    runs = [r for r in p.iter(f"{W}r") if next(r.iterancestors(f"{W}p")) is p]
    stack: list[dict] = []  # open complex fields: their code runs and their result's text
    for run in runs:
        kinds = [c.get(f"{W}fldCharType") for c in run.iter(f"{W}fldChar")]
        if "begin" in kinds:
            stack.append({"code": [run], "result": [], "in_result": False})
            continue
        if not stack:
            continue
        field = stack[-1]
        if "separate" in kinds:
            field["code"].append(run)
            field["in_result"] = True
        elif "end" in kinds:
            field["code"].append(run)
            stack.pop()
            text = "".join(t.text or "" for r in field["result"] for t in r.iter(f"{W}t"))
            if TAG.search(text):
                for code in field["code"]:
                    code.getparent().remove(code)
            elif stack:  # a nested field is part of its parent's code or result
                stack[-1]["result" if stack[-1]["in_result"] else "code"].extend(field["code"] + field["result"])
        elif field["in_result"]:
            field["result"].append(run)
        else:
            field["code"].append(run)


def _replace_by_children(node) -> None:
    parent = node.getparent()
    index = parent.index(node)
    for i, kid in enumerate(list(node)):
        parent.insert(index + i, kid)
    parent.remove(node)


# ---------------------------------------------------------------- styles and parts

def _restore_style_ids(parts: dict[str, bytes], style_ids: Mapping[str, str]) -> None:
    """Styles a suite renamed (LibreOffice calls a style named 公文正文 "Style12") get the
    id the render refers to them by, everywhere they are referred to."""
    data = parts.get("word/styles.xml")
    if data is None or all(f'w:styleId="{i}"'.encode() in data for i in style_ids.values()):
        return
    styles = etree.fromstring(data, _PARSER)
    taken = {s.get(f"{W}styleId") for s in styles.iter(f"{W}style")}
    renamed = {}
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name")
        wanted = style_ids.get(name.get(f"{W}val")) if name is not None else None
        current = style.get(f"{W}styleId")
        if wanted and current != wanted and wanted not in taken:
            renamed[current] = wanted
            taken.add(wanted)
    if not renamed:
        return
    for name, data in list(parts.items()):
        if not (name.startswith("word/") and name.endswith(".xml")) or name.startswith("word/theme/"):
            continue
        root = etree.fromstring(data, _PARSER)
        changed = False
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            attr = f"{W}styleId" if node.tag == f"{W}style" else f"{W}val" \
                if node.tag.startswith(W) and node.tag[len(W):] in _STYLE_REFS else None
            if attr and node.get(attr) in renamed:
                node.set(attr, renamed[node.get(attr)])
                changed = True
        if changed:
            parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _restore_banji_size(root) -> None:
    drawing = banji_drawing(root)
    offset = None if drawing is None else drawing.find(f".//{{{WP_NS}}}positionV/{{{WP_NS}}}posOffset")
    if offset is None or TAG.search(offset.text or ""):
        return
    printed = "印发" in "".join(t.text or "" for t in drawing.iter(f"{W}t"))
    offset.text = banji_size(printed, "top")
    height = banji_size(printed, "height")
    drawing.find(f".//{{{WP_NS}}}extent").set("cy", height)
    for ext in drawing.iter(f"{{{A_NS}}}ext"):
        if ext.getparent().tag == f"{{{A_NS}}}xfrm":
            ext.set("cy", height)


def _restore_blank_footer(parts: dict[str, bytes]) -> None:
    """The footer no section uses until a 版记 needs a page of its own: a suite that drops
    unused parts (LibreOffice does) loses it, and the 版记 page would keep its number."""
    rels_name = "word/_rels/document.xml.rels"
    if rels_name not in parts or "[Content_Types].xml" not in parts:
        return
    rels = etree.fromstring(parts[rels_name], _PARSER)
    if any(r.get("Target") == BLANK_FOOTER for r in rels):
        return
    ids = {r.get("Id") for r in rels}
    rid = next(f"rIdBlank{n}" for n in range(1, len(ids) + 2) if f"rIdBlank{n}" not in ids)
    etree.SubElement(rels, f"{{{REL_NS}}}Relationship", Id=rid, Type=FOOTER_REL, Target=BLANK_FOOTER)
    parts[rels_name] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    types = etree.fromstring(parts["[Content_Types].xml"], _PARSER)
    etree.SubElement(types, f"{{{CT_NS}}}Override", PartName=f"/word/{BLANK_FOOTER}", ContentType=FOOTER_CT)
    parts["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
    parts[f"word/{BLANK_FOOTER}"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                     f'<w:ftr xmlns:w="{W_NS}"><w:p/></w:ftr>').encode()
