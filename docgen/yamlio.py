"""The one YAML reader: every scalar comes back as the characters the clerk typed.

YAML's implicit typing turns `phone: 0571234` into 193180 (an octal number), `12:30` into 750
(sexagesimal) and `0x1F` into 31. Here no scalar is typed: a value is a `str` exactly as
written, or None for an empty value (or `~`, `null`); only the validator converts, and only
fields declared date, datetime, number or bool (docgen.doctypes).

Mappings load as `Located` dicts and sequences as `LocatedList`s, each knowing the line of
every key or item, so errors name the file, the line and the field. The file is parsed by
ruamel.yaml (YAML 1.2) into events, and this module builds the values itself: no tag can make
an object, an alias may repeat only a bounded number of nodes (a "billion laughs" file is
refused in milliseconds), and a syntax error is explained in Chinese at the line to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

from docgen.errors import DocgenError, Problem, os_message

# Nodes that aliases (*name) may repeat in one file. Casefiles need none; a few for shared
# lists are fine. "Billion laughs" needs ~10^9.
ALIAS_BUDGET = 1000
# Deeper nesting is no casefile; it would only exhaust the stack.
MAX_DEPTH = 40
_NULLS = {"", "~", "null", "Null", "NULL"}
_STR_TAGS = {"!", "tag:yaml.org,2002:str"}
_SEQ_TAGS = {None, "tag:yaml.org,2002:seq"}
_MAP_TAGS = {None, "tag:yaml.org,2002:map"}
# A lone UTF-16 surrogate (typed as "\ud800") is no character: no file or document can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


class Located(dict):
    """A mapping that knows the 1-based line of each key."""

    lines: dict
    line: int | None = None

    def line_of(self, key) -> int | None:
        return self.lines.get(key, self.line)


class LocatedList(list):
    """A sequence that knows the 1-based line of each item."""

    lines: list
    line: int | None = None

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if index < len(self.lines) else self.line


def _empty(line: int = 1) -> Located:
    data = Located()
    data.lines, data.line = {}, line
    return data


def _shown_tag(tag) -> str:
    """A tag as the clerk typed it: !!int, not tag:yaml.org,2002:int."""
    return str(tag).replace("tag:yaml.org,2002:", "!!")


class _Builder:
    """Values from the parser's events, with the checks above."""

    def __init__(self, name: str):
        self.name = name
        self.anchors: dict[str, tuple[object, int]] = {}
        self.repeated = 0

    def fail(self, message: str, event, field: str | None = None) -> DocgenError:
        return DocgenError(Problem(message, self.name, event.start_mark.line + 1, field or None))

    def document(self, events):
        """The one document of the stream (an empty Located for an empty file)."""
        from ruamel.yaml import events as ev

        data = started = None
        for event in events:
            if isinstance(event, ev.DocumentStartEvent):
                if started:
                    raise self.fail("一个文件只能有一份 YAML 文档：请删去多余的「---」或「...」分隔行", event)
                data, _ = self.node(next(events), events, "", 0)
                started = True
        return _empty() if data is None else data

    def node(self, event, events, path: str, depth: int):
        """(value, number of nodes it holds) of the node starting with `event`."""
        from ruamel.yaml import events as ev

        if depth > MAX_DEPTH:
            raise self.fail(f"嵌套超过{MAX_DEPTH}层，请检查缩进和括号", event, re.split(r"[.\[]", path)[0])
        if isinstance(event, ev.AliasEvent):
            if event.anchor not in self.anchors:
                raise self.fail(f"引用了未定义的锚点「*{event.anchor}」（应先用「&{event.anchor}」定义）", event, path)
            value, size = self.anchors[event.anchor]
            self.repeated += size
            if self.repeated > ALIAS_BUDGET:
                raise self.fail(f"别名（*{event.anchor} 等）展开后超过{ALIAS_BUDGET}项，文件可能被恶意构造；"
                                "请直接写出各项内容", event, path)
            return value, size
        if isinstance(event, ev.ScalarEvent):
            value, size = self.scalar(event, path), 1
        elif isinstance(event, ev.SequenceStartEvent):
            value, size = self.sequence(event, events, path, depth)
        elif isinstance(event, ev.MappingStartEvent):
            value, size = self.mapping(event, events, path, depth)
        else:  # the parser yields nothing else inside a document
            raise self.fail("YAML 格式错误：此处应为一个值", event, path)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, size)
        return value, size

    def scalar(self, event, path: str) -> str | None:
        tag = event.tag
        if tag is not None and str(tag) not in _STR_TAGS:
            raise self.fail(f"不支持 YAML 标签「{_shown_tag(tag)}」：请去掉标签，直接写值", event, path)
        if _SURROGATE.search(event.value):
            raise self.fail("含有无效字符（孤立的 UTF-16 代理项，多为「\\u」转义写错），请删除或改正", event, path)
        if event.style is None and tag is None and event.value in _NULLS:
            return None
        return event.value

    def sequence(self, start, events, path: str, depth: int):
        from ruamel.yaml import events as ev

        if start.tag not in _SEQ_TAGS:
            raise self.fail(f"不支持 YAML 标签「{_shown_tag(start.tag)}」：请去掉标签", start, path)
        result, size = LocatedList(), 1
        result.line, result.lines = start.start_mark.line + 1, []
        for event in events:
            if isinstance(event, ev.SequenceEndEvent):
                return result, size
            value, n = self.node(event, events, f"{path}[{len(result) + 1}]", depth + 1)
            result.append(value)
            result.lines.append(_item_line(event))
            size += n
        raise self.fail("YAML 格式错误：列表没有结束", start, path)

    def mapping(self, start, events, path: str, depth: int):
        from ruamel.yaml import events as ev

        if start.tag not in _MAP_TAGS:
            raise self.fail(f"不支持 YAML 标签「{_shown_tag(start.tag)}」：请去掉标签", start, path)
        result, size = Located(), 1
        result.line, result.lines = start.start_mark.line + 1, {}
        for event in events:
            if isinstance(event, ev.MappingEndEvent):
                return result, size
            key, _ = self.node(event, events, path, depth + 1)
            if not isinstance(key, str):
                if key is not None:
                    raise self.fail("字段名（冒号前）必须是文字", event, path)
                key = event.value if isinstance(event, ev.ScalarEvent) else ""
            field = f"{path}.{key}" if path else key
            if key in result:
                raise self.fail(f"重复出现（前一次在第{result.lines[key]}行）", event, field)
            value_event = next(events)
            value, n = self.node(value_event, events, field, depth + 1)
            result[key] = value
            result.lines[key] = event.start_mark.line + 1
            size += n + 1
        raise self.fail("YAML 格式错误：映射没有结束", start, path)


def _item_line(event) -> int:
    """The 1-based line a list item's text is on: for `- |` and `- >` the line after the
    indicator, where the clerk typed it."""
    block = getattr(event, "style", None) in ("|", ">")  # only scalars have a style
    return event.start_mark.line + 1 + block


# ---------------------------------------------------------------- syntax errors in Chinese

_FULLWIDTH_KEY = re.compile(r"^\s*(?:-\s+)?[^\s#：:'\"][^：:#]*?\s*：")
_FULLWIDTH_MESSAGE = "YAML 格式错误：字段名后用了全角冒号「：」，请改为半角冒号加空格「: 」"
_NO_SPACE_KEY = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w-]*:[^\s/]")

# (start of ruamel's problem text, Chinese explanation, whether the place to fix is where the
# construct began (the context mark) rather than where the parser gave up)
_SYNTAX = [
    ("could not find expected ':'", "缺少冒号：每行应写作「字段: 值」（半角冒号后加一个空格）", True),
    ("mapping values are not allowed here",
     "此处不能出现「: 」：值里含有「: 」时请给整个值加引号（如 '附注: 见附件'），否则请检查缩进", False),
    ("found character '\\t' that cannot start any token", "不能用 Tab 键缩进，请改用空格", False),
    ("found unexpected end of stream", "引号或括号没有闭合，一直到文件末尾", True),
    ("found unknown escape character",
     "双引号内的反斜杠「\\」转义无效；含反斜杠的文字请改用单引号", False),
    ("expected escape sequence", "双引号内的「\\x」「\\u」转义写法不对；含反斜杠的文字请改用单引号", False),
    ("expected ',' or ']'", "方括号「[ ]」列表没有闭合或缺少逗号", True),
    ("expected ',' or '}'", "花括号「{ }」没有闭合或缺少逗号", True),
    ("expected <block end>", "缩进不一致：这一行与上文同级的行没有对齐", False),
    ("expected the node content", "此处缺少值", False),
    ("found undefined tag handle", "不支持以「!」开头的 YAML 标签：请去掉「!」", False),
    ("sequence entries are not allowed here", "列表项「- 」的缩进不对：应与同一列表的其他项对齐", False),
    ("expected alphabetic or numeric character", "「&」「*」后应为锚点名称：值以 & 或 * 开头时请加引号", False),
    ("found unexpected ':'", "此处不能出现冒号：含冒号的值请加引号", False),
    ("while scanning a block scalar", "「|」「>」多行文字的写法不对：符号后换行再缩进书写", True),
]
_GENERIC = "请检查这一行的缩进、冒号（半角「: 」）和引号；含有 : # [ ] { } 等符号的值请加引号"


def _syntax_problem(exc, text: str, name: str) -> Problem:
    """A ruamel.yaml error as a Chinese message at the line the clerk must fix."""
    from ruamel.yaml.error import MarkedYAMLError

    if not isinstance(exc, MarkedYAMLError):  # ReaderError: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        code = getattr(exc, "character", None)
        what = f"（U+{code:04X}）" if isinstance(code, int) else ""
        return Problem(f"YAML 格式错误：含有 YAML 不允许的控制字符{what}，请删除", name, line)
    problem = str(exc.problem or exc.context or "")
    context = exc.context_mark.line + 1 if exc.context_mark else None
    line = exc.problem_mark.line + 1 if exc.problem_mark else context
    message = _GENERIC
    for start, chinese, at_context in _SYNTAX:
        if problem.startswith(start) or str(exc.context or "").startswith(start):
            message = chinese
            line = context if at_context and context else line
            break
    lines = text.splitlines()
    # The commonest slip: a full-width colon after the field name. The parser notices only
    # later, so look back from where it stopped to where the construct began.
    first = min(x for x in (context, line, (line or 1) - 1) if x) if line else 1
    for n in range(max(first, 1), min(line or 1, len(lines)) + 1):
        if _FULLWIDTH_KEY.match(lines[n - 1]):
            return Problem(_FULLWIDTH_MESSAGE, name, n)
        if _NO_SPACE_KEY.match(lines[n - 1]):
            return Problem("YAML 格式错误：冒号后缺少空格，请写作「字段: 值」", name, n)
    return Problem(f"YAML 格式错误：{message}", name, line)


# ---------------------------------------------------------------- reading

def loads(text: str, name: str) -> Located:
    """Parse YAML text (shown in errors as `name`) whose top level is a mapping."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    builder = _Builder(name)
    try:
        data = builder.document(iter(YAML(typ="safe", pure=True).parse(text)))
    except YAMLError as exc:
        raise DocgenError(_syntax_problem(exc, text, name)) from None
    if not isinstance(data, Located):
        hint = next((n for n, line in enumerate(text.splitlines(), 1) if _FULLWIDTH_KEY.match(line)), None)
        if hint:
            raise DocgenError(Problem(_FULLWIDTH_MESSAGE, name, hint))
        raise DocgenError(Problem("文件顶层应为「字段: 值」形式的映射", name, 1))
    return data


def load(path: Path, *, shown_as: str | None = None) -> Located:
    """Load one YAML file whose top level is a mapping; errors name the file and line."""
    name = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DocgenError(Problem("文件不是 UTF-8 编码，请用 UTF-8 保存", name)) from None
    except OSError as exc:  # missing, a folder, unreadable
        raise DocgenError(Problem(f"无法读取：{os_message(exc, '')}", name)) from None
    return loads(text, name)


def plain(value):
    """Located containers back to plain dicts and lists (for dumping or comparing)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# ---------------------------------------------------------------- writing (skeletons)

# A string written bare reads back as itself when it starts with no indicator, holds no
# ": " or " #", has no surrounding spaces, no line-break-like or unprintable character, and
# is not a null word.
_BARE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")
_PRINTABLE = re.compile("[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")


def dump_scalar(value) -> str:
    """A scalar as YAML that `loads` reads back as the same text (None as an empty value)."""
    if value is None:
        return ""
    text = str(value)
    if (_BARE.fullmatch(text) and _PRINTABLE.fullmatch(text) and text == text.strip()
            and text not in _NULLS and ": " not in text and " #" not in text and not text.endswith(":")):
        return text
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def _escape(ch: str) -> str:
    if ch in '"\\':
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch == " " or _PRINTABLE.fullmatch(ch) and ch != "\t":
        return ch
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def dump(value, indent: int = 0) -> str:
    """Block-style YAML of plain values (str, None, list, dict), read back by `loads` unchanged."""
    pad = " " * indent
    if isinstance(value, (dict, list)) and value:
        lines = []
        for key, item in value.items() if isinstance(value, dict) else ((None, v) for v in value):
            lead = f"{pad}{dump_scalar(key)}:" if isinstance(value, dict) else f"{pad}-"
            if isinstance(item, dict) and item and key is None:
                lines.append(f"{lead} {dump(item, indent + 2)[indent + 2:]}")
            elif isinstance(item, (dict, list)) and item:
                lines.append(f"{lead}\n{dump(item, indent + 2)}")
            else:
                lines.append(f"{lead} {_inline(item)}".rstrip())
        return "\n".join(lines)
    return pad + _inline(value)


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return dump_scalar(value)
