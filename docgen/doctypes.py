"""Document types: a docxtpl template plus a declaration, so a new type needs no code.

`templates/<type>.yaml` declares the type's Chinese name, its GB/T 9704 form, its default
retention and its fields; `templates/common.yaml` declares the fields every document has.
This module reads declarations and validates values against them, reporting the file, line
and field of every problem in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from docgen import gbt9704, yamlio
from docgen.errors import DocgenError, Problem
from docgen.ids import FIRST_YEAR, LAST_YEAR
from docgen.yamlio import Located, LocatedList

FORMS = {
    "file": "文件格式",
    "letter": "信函格式",
    "minutes": "纪要格式",
    "report": "上行文（含签发人）",
}
RETENTIONS = {"Y": "永久", "D30": "30年", "D10": "10年"}
KINDS = ("text", "paragraphs", "list", "date", "datetime", "number", "body", "table", "bool")
KIND_NAMES = {"text": "文字", "paragraphs": "段落（文字或文字列表）", "list": "列表",
              "date": "日期（如 2021-10-26）", "datetime": "日期时间（如 2021-11-05 09:30）",
              "number": "数字（如 15 或 2.5）", "body": "正文（段落与各级标题）", "table": "表格（每行一组字段）",
              "bool": "是/否（true/false）"}
MAX_HEADING_LEVEL = 4
# Items of one list, rows of one table, headings of one level: numbered 一 … 九千九百九十九.
MAX_ITEMS = 9999
_TRUE, _FALSE = ("true", "True", "TRUE", "是"), ("false", "False", "FALSE", "否")
# Characters XML 1.0 cannot hold; a value with one would make a .docx that Word cannot open.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# YAML folds a long line into a space; between Chinese characters that space is wrong.
_CJK = "\u2e80-\u9fff\uff00-\uffef\u3000-\u303f\u2018-\u201d"
# Only spaces: a "\n" typed in a quoted string is a wanted line break.
_FOLD_SPACE = re.compile(f"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")
# Half-width , ; : ? ! ( ) next to a Chinese character: a proofreader marks them (GB/T 15834).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HALF_WIDTH = re.compile(f"(?<=[{_HAN}])[,;:?!()]|[,;:?!()](?=[{_HAN}])")
_FULL_WIDTH = dict(zip(",;:?!()", "，；：？！（）"))


@dataclass
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    example: object = None
    columns: dict[str, Field] = field(default_factory=dict)  # for tables
    choices: tuple = ()  # allowed values of a text field, when limited
    pattern: str = ""    # a regular expression a text field must match as a whole
    proofread: bool = True  # printed prose, checked for half-width punctuation; False for keys

    @property
    def display(self) -> str:
        return f"{self.name}（{self.label}）"


@dataclass
class DocType:
    id: str
    name: str
    form: str
    retention: str
    fields: dict[str, Field]
    template: Path
    basis: str = ""
    mark: str = ""  # suffix after the office's mark name: 文件, 纪要 …

    @property
    def declaration(self) -> Path:
        return self.template.with_suffix(".yaml")


def _flag(spec: Located, key: str, where: str, name: str) -> bool:
    value = spec.get(key)
    if value is None or value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise DocgenError(Problem(f"{key} 应为 true 或 false", where, spec.line_of(key), name))


def _parse_field(name: str, spec, where: str, line: int | None) -> Field:
    if not isinstance(spec, dict) or "label" not in spec:
        raise DocgenError(Problem("字段声明需要 label（中文名称）", where, line, name))
    kind = spec.get("type") or "text"
    if kind not in KINDS:
        raise DocgenError(Problem(f"未知字段类型「{kind}」，可选：{'、'.join(KINDS)}", where, line, name))
    columns = {}
    if kind == "table":
        cols = spec.get("columns")
        if not isinstance(cols, dict) or not cols:
            raise DocgenError(Problem("表格字段需要 columns 声明各列", where, line, name))
        columns = {c: _parse_field(c, s, where, cols.line_of(c)) for c, s in cols.items()}
    choices = spec.get("choices") or ()
    if choices and (not isinstance(choices, list) or not all(isinstance(c, str) for c in choices)):
        raise DocgenError(Problem("choices 应为文字列表，如 [Y, D30, D10]", where, spec.line_of("choices"), name))
    pattern = spec.get("pattern") or ""
    try:
        re.compile(pattern)
    except (re.error, TypeError):
        raise DocgenError(Problem("pattern 不是有效的正则表达式", where, spec.line_of("pattern"), name)) from None
    return Field(name, str(spec["label"]), kind, _flag(spec, "required", where, name),
                 str(spec.get("help") or ""), yamlio.plain(spec.get("example")), columns, tuple(choices), pattern)


def _parse_fields(data: Located, where: str) -> dict[str, Field]:
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise DocgenError(Problem("fields 应为字段声明的映射", where, data.line_of("fields"), "fields"))
    return {n: _parse_field(n, s, where, fields.line_of(n)) for n, s in fields.items()}


def load_types(templates: Path) -> dict[str, DocType]:
    """Every document type declared in a templates folder, keyed by type id."""
    common_path = templates / "common.yaml"
    common = _parse_fields(yamlio.load(common_path), str(common_path)) if common_path.exists() else {}
    types = {}
    for decl in sorted(templates.glob("*.yaml")):
        if decl.name == "common.yaml":
            continue
        data = yamlio.load(decl)
        where = str(decl)
        for key in ("name", "form", "retention"):
            if key not in data:
                raise DocgenError(Problem("文书类型声明缺少此项", where, None, key))
        if data["form"] not in FORMS:
            raise DocgenError(Problem(f"未知版式「{data['form']}」，可选：{'、'.join(FORMS)}",
                                      where, data.line_of("form"), "form"))
        if data["retention"] not in RETENTIONS:
            raise DocgenError(Problem("保管期限应为 Y、D30 或 D10", where, data.line_of("retention"), "retention"))
        template = decl.with_suffix(".docx")
        if not template.exists():
            raise DocgenError(Problem(f"缺少模板文件 {template.name}", where))
        fields = {**common, **_parse_fields(data, where)}
        types[decl.stem] = DocType(decl.stem, str(data["name"]), data["form"], data["retention"],
                                   fields, template, str(data.get("basis", "")), str(data.get("mark", "")))
    return types


# ---------------------------------------------------------------- validation

def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})\s*日?\s*", value)
        if m:
            try:
                return dt.date(*map(int, m.groups()))
            except ValueError:
                return None
    return None


def _datetime(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value)
        if m:
            try:
                return dt.datetime(*(int(g) for g in m.groups() if g))
            except ValueError:
                return None
    return None


def _number(value) -> int | Decimal | None:
    """A count or an amount as typed: 15 → 15, 2.50 → Decimal('2.50')."""
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+(\.\d+)?\s*", value):
        return Decimal(value.strip()) if "." in value else int(value)
    return None


class Validator:
    """Collects every problem in a file instead of stopping at the first."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def fail(self, message: str, line: int | None, name: str) -> None:
        self.problems.append(Problem(message, self.file, line, name))

    def check_text(self, value: str, line, name, proofread: bool = True) -> str:
        if _XML_INVALID.search(value):
            self.fail("含有不可见的控制字符，请删除后重试", line, name)
        half = sorted(set(_HALF_WIDTH.findall(value)), key=",;:?!()".index) if proofread else ()
        if half:
            self.warnings.append(Problem(
                f"中文里用了半角标点{''.join(f'「{c}」' for c in half)}，"
                f"应为全角{''.join(f'「{_FULL_WIDTH[c]}」' for c in half)}", self.file, line, name))
        return _FOLD_SPACE.sub("", value.strip())

    def dated(self, parsed, value, wrong: str, line, name):
        if parsed is None:
            return self.fail(f"{wrong}：「{value}」" if isinstance(value, str) else wrong, line, name)
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            return self.fail(f"年份 {parsed.year} 不合理，应在 {FIRST_YEAR}—{LAST_YEAR} 之间", line, name)
        return parsed

    def count(self, items: list, what: str, line, name) -> bool:
        if len(items) > MAX_ITEMS:
            self.fail(f"{what}最多{MAX_ITEMS}项，这里有{len(items)}项；请分成几份文书或作为附件", line, name)
            return False
        return True

    def value(self, spec: Field, value, line: int | None, name: str):
        """Normalise one value of a declared field; None (with a problem) when it is wrong."""
        expected = f"应为{KIND_NAMES[spec.kind]}"
        if spec.kind == "text":
            text = _text(value)
            if text is None:
                return self.fail(expected, line, name)
            if spec.choices and text.strip() not in spec.choices:
                return self.fail(f"应为以下之一：{'、'.join(spec.choices)}", line, name)
            if spec.pattern and not re.fullmatch(spec.pattern, text.strip()):
                return self.fail(f"格式不对（{spec.help}）：{text.strip()}", line, name)
            return self.check_text(text, line, name, spec.proofread)
        if spec.kind == "bool":
            if value in _TRUE or value in _FALSE:
                return value in _TRUE
            return self.fail(expected, line, name)
        if spec.kind == "number":
            number = _number(value)
            return number if number is not None else self.fail(f"{expected}，而不是「{value}」", line, name)
        if spec.kind == "date":
            return self.dated(_date(value), value, f"{expected}，不是有效日期", line, name)
        if spec.kind == "datetime":
            return self.dated(_datetime(value), value, f"{expected}，不是有效日期时间", line, name)
        if spec.kind in ("list", "paragraphs"):
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list):
                return self.fail(expected, line, name)
            if not self.count(items, "列表", line, name):
                return None
            out = []
            for i, item in enumerate(items):
                where = items.line_of(i) if isinstance(items, LocatedList) else line
                text = _text(item)
                if text is None or not text.strip():
                    self.fail(f"第{i + 1}项" + ("是空的，请填写或删去该行" if item is None or text is not None
                                               else "应为一行文字，不能再含列表或「字段: 值」"), where, name)
                else:
                    out.append(self.check_text(text, where, name))
            return out
        if spec.kind == "table":
            return self.table(spec, value, line, name)
        return self.body(value, line, name, 1)

    def table(self, spec: Field, rows, line, name):
        if not isinstance(rows, list):
            return self.fail(f"应为{KIND_NAMES['table']}", line, name)
        if not self.count(rows, "表格", line, name):
            return None
        out = []
        for i, row in enumerate(rows):
            where = rows.line_of(i) if isinstance(rows, LocatedList) else line
            if not isinstance(row, Located):
                self.fail(f"第{i + 1}行应为「列名: 值」的映射", where, name)
                continue
            out.append(self.mapping(spec.columns, row, f"{name}[{i + 1}].", where))
        return out

    def body(self, items, line, name, level):
        """Paragraphs and headings: a string is a paragraph, {heading, body} a numbered heading."""
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list):
            return self.fail(f"应为{KIND_NAMES['body']}", line, name)
        if not self.count(items, "同一级的段落和标题", line, name):
            return None
        out = []
        for i, item in enumerate(items):
            where = items.line_of(i) if isinstance(items, LocatedList) else line
            if isinstance(item, Located):
                unknown = set(item) - {"heading", "body"}
                if "heading" not in item or unknown:
                    self.fail("标题段应写成「heading: 标题」，其下正文写在「body:」中", where, name)
                    continue
                if level > MAX_HEADING_LEVEL:
                    self.fail(f"标题最多{MAX_HEADING_LEVEL}级（一、（一）1.（1））", where, name)
                    continue
                heading = _text(item["heading"])
                if heading is None:
                    self.fail("标题应为文字", item.line_of("heading"), name)
                    continue
                children = item.get("body") or []
                out.append({"heading": self.check_text(heading, where, name),
                            "body": self.body(children, item.line_of("body"), name, level + 1) or []})
            else:
                text = _text(item)
                if text is None:
                    self.fail("段落是空的，请填写或删去该行" if item is None else "段落应为文字", where, name)
                else:
                    out.append(self.check_text(text, where, name))
        return out

    def mapping(self, fields: dict[str, Field], data: Located, prefix: str = "",
                line: int | None = None, ignore: tuple = ()) -> dict:
        values = {}
        for key in data:
            if key not in fields and key not in ignore:
                self.fail(f"未知字段（可用字段：{'、'.join(fields)}）", data.line_of(key), prefix + key)
        for name, spec in fields.items():
            raw = data.get(name)
            if raw == [] and not spec.required:
                values[name] = []  # an explicit empty list: "none", not "the default"
                continue
            if raw is None or raw == [] or isinstance(raw, str) and not raw.strip():
                if spec.required:
                    blank = "只填了空格" if raw else "缺少必填项"
                    self.fail(f"{blank}「{spec.label}」", data.line_of(name) if name in data else line or data.line,
                              prefix + name)
                continue
            result = self.value(spec, raw, data.line_of(name), prefix + name)
            if result is not None:
                values[name] = result
        return values

    def raise_if_failed(self) -> None:
        if self.problems:
            raise DocgenError(self.problems)


def flatten_body(tree: list, level: int = 1) -> list[dict]:
    """The body tree as paragraphs with GB/T 9704 heading numbers: 一、 （一） 1. （1）."""
    out, n = [], 0
    for item in tree:
        if isinstance(item, dict):
            n += 1
            out.append({"level": level, "text": gbt9704.heading_label(level, n) + item["heading"]})
            out.extend(flatten_body(item["body"], level + 1))
        else:
            out.append({"level": 0, "text": item})
    return out
