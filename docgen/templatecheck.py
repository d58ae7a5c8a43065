"""`docgen template check`: a template after a clerk edited it in Word, WPS or LibreOffice.

Each tag is read where the clerk sees it, in its paragraph (after docgen.templatefix has
undone what the office suite did), and every problem is told in Chinese with that
paragraph's visible text: a tag Jinja cannot read (a stray character, a full-width
bracket), a block left open or closed twice, a block that opens in one paragraph and closes
in another without docxtpl's paragraph form, a name that is neither a field declared for the
type nor a value docgen provides, a tag in a field code, a tag's remains (`}}` left alone).
Then the template is compiled and a sample document rendered exactly as `docgen render`
does, so that whatever slipped through is reported too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import io
import re
import zipfile
from pathlib import Path

from jinja2 import TemplateError, TemplateSyntaxError, meta, nodes
from lxml import etree

from docgen import templatefix
from docgen.casefile import CASE_FIELDS, Case, Document
from docgen.doctypes import DocType, Field
from docgen.errors import DocgenError, Problem
from docgen.jinjaerrors import chinese
from docgen.ooxml import W_NS
from docgen.render import STYLE_IDS, Renderer
from docgen.workspace import OFFICE_FIELDS, RULES_FILE, Workspace

W = f"{{{W_NS}}}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
SHOWN = 40  # characters of a paragraph shown in a message

# block tag → its end tag; middle tags → the blocks they may stand in
BLOCKS = {"if": "endif", "for": "endfor", "with": "endwith", "filter": "endfilter", "macro": "endmacro",
          "call": "endcall", "block": "endblock", "autoescape": "endautoescape", "raw": "endraw"}
MIDDLES = {"elif": ("if",), "else": ("if", "for")}
SIMPLE = ("set", "do", "break", "continue", "include", "import", "from")
# docxtpl's own tags, replaced before Jinja sees the template
DOCXTPL = ("colspan", "cellbg", "vm", "hm")
LEVELS = {"p": "段落", "tr": "表格行", "tc": "单元格", "r": "文字块"}
_TAG_PARTS = re.compile(r"^\{([{%#])(-?)(p|tr|tc|r)?(?=\s)(.*?)(-?)[}%#]\}$", re.S)
_REMAINS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\{\s+[{%]|[}%]\s+\}|[｛｝]")
_FULL_WIDTH = {"（": "(", "）": ")", "，": ",", "：": ":", "＝": "=", "｛": "{", "｝": "}", "【": "[",
               "】": "]", "｜": "|", "．": ".", "。": "."}
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
PART_NAMES = {"document": "正文", "header": "页眉", "footer": "页脚"}


@dataclasses.dataclass
class Tag:
    text: str            # as written, {%p if x %}
    kind: str            # "{" print, "%" statement, "#" comment
    level: str | None    # docxtpl's p, tr, tc, r, or None
    body: str            # inside the delimiters, without the level letter
    said: str            # the tag in its paragraph, as messages show it
    paragraph: int       # which paragraph of which part, to pair run-level blocks

    @property
    def keyword(self) -> str:
        return (self.body.split() or [""])[0]


def check_templates(ws: Workspace, names: list[str] | None = None) -> list[Problem]:
    """Problems in the named templates (type ids, Chinese names or .docx paths), default all."""
    problems = []
    renderer = Renderer(ws)
    for name in names or list(ws.types):
        doctype = _doctype(ws, name)
        problems.extend(check_template(renderer, doctype))
    return problems


def _doctype(ws: Workspace, name: str) -> DocType:
    path = Path(name)
    if path.suffix.lower() == ".docx":
        if not path.is_file():
            raise DocgenError(f"找不到模板文件 {name}")
        found = ws.find_type(path.stem)
        if found is None:
            raise DocgenError(f"模板 {path.name} 不对应任何文书类型（文件名应为类型 id，如 summons.docx）；"
                              f"可用：{ws.type_names()}")
        return dataclasses.replace(found, template=path.resolve())
    return ws.doctype(name)


def check_template(renderer: Renderer, doctype: DocType) -> list[Problem]:
    ws = renderer.workspace
    shown = ws.relative(doctype.template) if doctype.template.is_relative_to(ws.root) else str(doctype.template)

    def problem(message: str) -> Problem:
        return Problem(message, shown)

    try:
        with zipfile.ZipFile(doctype.template) as zf:
            parts = {info.filename: zf.read(info) for info in zf.infolist()}
        parts = templatefix.normalise(parts, STYLE_IDS)
    except (OSError, zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        return [problem(f"不是可以读取的 Word 文档（.docx）：{exc}")]
    tags, found = _read_tags(parts)
    found += _check_syntax(renderer.env, tags)
    found += _check_blocks(tags)
    if not found:
        found += _check_names(renderer, doctype, tags)
    if not found:
        found += _try_render(renderer, doctype)
    return [problem(message) for message in found]


# ---------------------------------------------------------------- reading the tags

def _read_tags(parts: dict[str, bytes]) -> tuple[list[Tag], list[str]]:
    """Every tag in the order Jinja meets it, and the problems seen while reading."""
    tags, problems, count = [], [], 0
    for name in sorted(parts, key=_part_order):
        if not templatefix.templated(name):
            continue
        root = etree.fromstring(parts[name])
        if name == templatefix.CORE:
            for node in root:
                text = node.text or ""
                label = etree.QName(node).localname
                tags.extend(_tags_in(text, f"文档属性 {label}「{_short(text)}」中的 ", (count := count + 1)))
            continue
        part = PART_NAMES[re.match(r"word/([a-z]+)", name).group(1)]
        # LibreOffice's copy of a text box for old readers holds the same tags again
        texts = ["".join(t.text or "" for t in found) for p, found in templatefix.text_nodes(root).items()
                 if not any(a.tag == MC_FALLBACK for a in p.iterancestors())]
        for i, text in enumerate(texts):
            where = f"{part}段落「{_short(text)}」"
            count += 1
            if _alone_in(text):  # a {%p …%} paragraph: the text after it tells where it is
                after = next((t for t in texts[i + 1:] if t.strip() and not _alone_in(t)), "")
                tags.extend(_tags_in(text, f"{part}中独占一段的 ", count,
                                     f"（其后一段「{_short(after)}」）" if after else ""))
            else:
                tags.extend(_tags_in(text, where + "中的 ", count))
            remains = _REMAINS.findall(templatefix.TAG.sub("", text))
            if remains:
                problems.append(f"{where}中有残缺的标签「{'」「'.join(dict.fromkeys(remains))}」："
                                "标签应写作 {{ 字段名 }} 或 {% … %}，括号须是半角且成对，中间不能有多余的字符")
        for code in root.iter(f"{W}instrText"):
            if "{{" in (code.text or "") or "{%" in (code.text or ""):
                problems.append(f"{part}的域代码「{_short(code.text)}」中有标签：域代码中的标签不会印出，"
                                "请删去该域，把标签作为普通文字输入")
    return tags, problems


def _part_order(name: str) -> tuple:
    # headers and footers are compiled separately from the body; order only matters within a part
    return (name != "word/document.xml", name)


def _alone_in(text: str) -> bool:
    return bool(re.fullmatch(r"\{%.*?%\}", text.strip(), re.S))


def _tags_in(text: str, before: str, paragraph: int, after: str = "") -> list[Tag]:
    found = []
    for match in templatefix.TAG.finditer(text):
        parts = _TAG_PARTS.match(match.group(0))
        if parts:
            kind, _, level, body, _ = parts.groups()
        else:  # {{x}} without spaces, {%if%}
            kind, level, body = match.group(0)[1], None, match.group(0)[2:-2].strip("-")
        found.append(Tag(match.group(0), kind, level, body.strip(), before + match.group(0) + after, paragraph))
    return found


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


# ---------------------------------------------------------------- each tag on its own

def _check_syntax(env, tags: list[Tag]) -> list[str]:
    problems = []
    for tag in tags:
        if tag.kind == "#":
            continue
        if tag.kind == "%" and tag.keyword in DOCXTPL:
            continue
        source = _alone(tag)
        if source is None:
            problems.append(f"{tag.said} 不是认得的标签（可用 if、elif、else、for、endif、endfor 等）"
                            + _hint(tag))
            continue
        try:
            tree = env.parse(source)
        except TemplateError as exc:
            problems.append(f"{tag.said} 写法有误：{chinese(exc, env)}" + _hint(tag))
            continue
        problems.extend(f"{tag.said} 写法有误：{message}" for message in _unknown_filters(env, tree))
    return problems


def _unknown_filters(env, tree) -> list[str]:
    """What Jinja would refuse when compiling: filters and tests it does not have."""
    found = []
    for node, known, what in ((nodes.Filter, env.filters, "过滤器"), (nodes.Test, env.tests, "测试")):
        for use in tree.find_all(node):
            if use.name not in known:
                near = difflib.get_close_matches(use.name, sorted(known), 3)
                found.append(f"没有名为「{use.name}」的{what}" + (f"，是否应为「{'」「'.join(near)}」？" if near else ""))
    return found


def _alone(tag: Tag) -> str | None:
    """A template holding just this tag, completed so that Jinja can read it alone."""
    if tag.kind == "{":
        return "{{ " + tag.body + " }}"
    word = tag.keyword
    if word in BLOCKS:
        if word == "raw":
            return "{% raw %}{% endraw %}"
        return "{% " + tag.body + " %}{% " + BLOCKS[word] + " %}"
    if word == "set" and "=" not in tag.body:
        return "{% " + tag.body + " %}{% endset %}"
    if word in MIDDLES:
        opener = MIDDLES[word][0]
        return "{% " + opener + " true %}{% " + tag.body + " %}{% " + BLOCKS[opener] + " %}"
    if word in SIMPLE:
        return "{% for _ in [] %}{% " + tag.body + " %}{% endfor %}" if word in ("break", "continue") \
            else "{% " + tag.body + " %}"
    if word.startswith("end") and (word[3:] in BLOCKS or word == "endset"):
        return ""
    return None


def _hint(tag: Tag) -> str:
    """Full-width punctuation outside quotes is the usual cause, typed with a Chinese IME."""
    outside = _STRING.sub("", tag.body)
    wide = [c for c in dict.fromkeys(outside) if c in _FULL_WIDTH]
    if wide:
        return "。标签中有全角字符" + "、".join(f"「{c}」（应为半角「{_FULL_WIDTH[c]}」）" for c in wide)
    return ""


# ---------------------------------------------------------------- blocks opened and closed

def _check_blocks(tags: list[Tag]) -> list[str]:
    problems, stack = [], []
    for tag in (t for t in tags if t.kind == "%"):
        word = tag.keyword
        if word in BLOCKS or (word == "set" and "=" not in tag.body):
            stack.append(tag)
        elif word in MIDDLES:
            if not stack or stack[-1].keyword not in MIDDLES[word]:
                problems.append(f"{tag.said} 前面没有对应的 "
                                + " 或 ".join("{% " + o + " … %}" for o in MIDDLES[word]))
            else:
                problems.extend(_same_level(stack[-1], tag))
        elif word.startswith("end") and (word[3:] in BLOCKS or word == "endset"):
            opener = word[3:]
            if not any(t.keyword == opener for t in stack):
                problems.append(f"{tag.said} 是多余的：前面没有对应的 {{% {opener} … %}}")
                continue
            while stack[-1].keyword != opener:
                problems.append(_unclosed(stack.pop()) + f"（在{tag.said}之前就应结束）")
            problems.extend(_same_level(stack.pop(), tag))
    problems.extend(_unclosed(t) for t in reversed(stack))
    return problems


def _unclosed(tag: Tag) -> str:
    end = "endset" if tag.keyword == "set" else BLOCKS[tag.keyword]
    level = tag.level or ""
    return f"{tag.said} 没有对应的 {{%{level} {end} %}}"


def _same_level(opener: Tag, closer: Tag) -> list[str]:
    """docxtpl removes the whole paragraph (row, cell) holding a {%p …%} tag, and leaves a plain
    tag where it is: a block must open and close at the same level, and a plain one within
    its paragraph, or the rendered XML is cut in the wrong places."""
    if opener.level != closer.level:
        def say(t: Tag) -> str:
            return f"{t.said}（{LEVELS[t.level]}级）" if t.level else f"{t.said}（段内）"
        return [f"{say(opener)}与{say(closer)}不配对："
                "配对的标签须同为 {%p …%}（各占一段）或同为 {% … %}（在同一段内）"]
    if opener.level is None and opener.paragraph != closer.paragraph:
        return [f"{opener.said}到{closer.said}跨了段落："
                "跨段的块要写成 {%p " + opener.body + " %} 和 {%p " + closer.body + " %}，各占一段"]
    return []


# ---------------------------------------------------------------- names

def _check_names(renderer: Renderer, doctype: DocType, tags: list[Tag]) -> list[str]:
    """Names the template uses that neither the type's declaration nor docgen provides."""
    env = renderer.env
    sample = sample_document(renderer.workspace, doctype)
    known = set(renderer.context(sample)) | set(doctype.fields) | set(env.globals)
    source = "".join(tag.text if tag.level is None else "{" + tag.text[1] + tag.text[2 + len(tag.level):]
                     for tag in tags if not (tag.kind == "%" and tag.keyword in DOCXTPL))
    try:
        used = meta.find_undeclared_variables(env.parse(source))
    except TemplateError:
        return []  # reported by the compile in _try_render
    problems = []
    for name in sorted(used - known):
        near = difflib.get_close_matches(name, sorted(doctype.fields), 3, 0.6)
        first = next((t for t in tags if re.search(rf"\b{re.escape(name)}\b", t.body)), None)
        where = first.said + " " if first else "模板"
        problems.append(f"{where}用到了「{name}」，但文书类型 {doctype.id}（{doctype.name}）的声明"
                        f"（{doctype.declaration.name}）中没有这个字段"
                        + (f"，是否应为「{'」「'.join(near)}」？" if near else "；新字段须先在声明中加上"))
    problems.extend(_check_attributes(env, renderer.workspace, tags))
    return problems


# attributes of the values docgen provides, by the name the template sees them under
def _attributes(ws: Workspace) -> dict[str, set]:
    return {"office": set(OFFICE_FIELDS) | set(ws.office), "case": {"id"} | set(CASE_FIELDS),
            "rule_deadline": {"due", "period"}}


def _check_attributes(env, ws: Workspace, tags: list[Tag]) -> list[str]:
    allowed, problems = _attributes(ws), []
    for tag in tags:
        source = _alone(tag)
        if not source:
            continue
        for node in env.parse(source).find_all(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name in allowed \
                    and node.attr not in allowed[node.node.name]:
                near = difflib.get_close_matches(node.attr, sorted(allowed[node.node.name]), 3, 0.6)
                problems.append(f"{tag.said} 用到了「{node.node.name}.{node.attr}」，"
                                f"但 {node.node.name} 没有「{node.attr}」这一项"
                                + (f"，是否应为「{'」「'.join(near)}」？" if near else ""))
    return problems


# ---------------------------------------------------------------- compiled and rendered

def _try_render(renderer: Renderer, doctype: DocType) -> list[str]:
    """Compile the template as `docgen render` does and render a sample from the declaration."""
    sample = sample_document(renderer.workspace, doctype)
    try:
        renderer.template(sample)
    except TemplateSyntaxError as exc:
        return [f"Jinja 无法读取模板（第{exc.lineno}行附近「{_short(_line_text(exc.source, exc.lineno))}」）："
                f"{chinese(exc, renderer.env)}"]
    except TemplateError as exc:
        return [f"Jinja 无法读取模板：{chinese(exc, renderer.env)}"]
    try:
        renderer.render_bytes(sample)
    except DocgenError as exc:
        # a template printing a deadline reads rules.yaml, whose own problems docgen check reports
        return [f"按声明中的例子试生成时出错：{p.message}" for p in exc.problems if p.file != RULES_FILE]
    except Exception as exc:  # what a broken template does inside Jinja or docxtpl has no fixed type
        return [f"按声明中的例子试生成时出错：{exc}"]
    return []


def _line_text(source: str | None, lineno: int | None) -> str:
    if not source or not lineno:
        return ""
    lines = source.splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    return re.sub(r"<[^>]+>", "", line)


def sample_document(ws: Workspace, doctype: DocType) -> Document:
    """A document of the type with the fields a casefile could have: each required one and
    each optional one with an example (its example, or a stand-in)."""
    values = {name: _sample(spec) for name, spec in doctype.fields.items()
              if spec.required or spec.example is not None}
    case = Case(ws, "样例", ws.casefiles / "0000" / "样例", {"title": "样例", "kind": "样例", "opened": dt.date(2021, 1, 1)})
    return Document(case, "sample", doctype.declaration, doctype, values)


def _sample(spec: Field):
    example = spec.example
    if spec.kind == "table":
        return [{name: _sample(col) for name, col in spec.columns.items()}]
    if spec.kind in ("list", "paragraphs", "body"):
        items = example if isinstance(example, list) else [example or spec.label]
        return [str(item) for item in items]
    if spec.kind == "date":
        return example if isinstance(example, dt.date) else dt.date(2021, 1, 1)
    if spec.kind == "datetime":
        return example if isinstance(example, dt.datetime) else dt.datetime(2021, 1, 1, 9, 30)
    if spec.kind == "bool":
        return bool(example)
    return str(example if example is not None else spec.choices[0] if spec.choices else spec.label)
