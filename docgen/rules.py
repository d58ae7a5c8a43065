"""An office's rules as data: `rules.yaml` in the workspace declares every deadline its 制度 sets
and the blacklist rule, so an office whose rules differ edits a file, not code.

    deadlines:
      - item: 约谈落实报告                 # what an events row names to close it
        what: 约谈要求落实情况书面报告      # {field} takes a value of the starting document
        start:                            # the first of these the case has starts it
          - {type: memorandum, field: time}
          - {type: summons, field: time}
        after: 15日                       # 15日, 15个工作日, 2个月; before: 15日; none: the date itself
        party: "{unit}"
        closed_by: 销号                   # optional: the text the closing event must contain
        basis: 十项制度 七、第五条（四）
    blacklist:
      type: bulletin                      # the documents that name units …

A start is a document type and one of its date fields (a table's date column as
`decisions[].deadline`: one deadline per row), or an event of case.yaml (`event: 巡查结束`).
Everything is checked against the workspace's document types; every problem is reported with
rules.yaml's line and the field's path, in Chinese.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from docgen import workdays, yamlio
from docgen.doctypes import FORMS, KIND_NAMES, RETENTIONS
from docgen.errors import DocgenError, Problem
from docgen.workdays import Reckoned
from docgen.yamlio import Located, LocatedList

RULES_FILE = "rules.yaml"
RECTIFIED = "整改:"  # an events item closing a unit's rectification for the blacklist
DATE_KINDS = ("date", "datetime")
_PERIOD = re.compile(r"\s*(\d+)\s*(日|天|个工作日|工作日|个月|月)\s*")
_UNITS = {"日": "days", "天": "days", "个工作日": "workdays", "工作日": "workdays", "个月": "months", "月": "months"}


def item_key(text: str) -> str:
    """Clerks type the full-width colon as often as the ASCII one; both name the same item."""
    return str(text).strip().replace("：", ":")


@dataclass(frozen=True)
class Period:
    count: int
    unit: str  # days, workdays or months
    before: bool
    text: str  # as the rule writes it, e.g. 15个工作日: for the documents that print it

    def reckon(self, start) -> Reckoned:
        n = -self.count if self.before else self.count
        return {"days": workdays.days_after, "workdays": workdays.workdays_after,
                "months": workdays.months_after}[self.unit](start, n)


@dataclass(frozen=True)
class Start:
    type: str | None = None    # a document type id …
    field: str | None = None   # … and its date field,
    column: str | None = None  # or a date column of that table field;
    event: str | None = None   # or an events row's text

    def describe(self) -> str:
        if self.event:
            return f"办理记录「{self.event}」"
        return f"{self.type} 的 {self.field}" + (f"[].{self.column}" if self.column else "")


@dataclass(frozen=True)
class DeadlineRule:
    item: str
    what: str
    starts: tuple[Start, ...]
    period: Period | None
    party: str
    closed_by: str | None
    basis: str
    line: int | None

    def text(self, template: str, values: dict) -> str:
        """`what` or `party` with {field} filled in; lists joined with 、."""
        return template.format_map({k: "、".join(map(str, v)) if isinstance(v, list) else v
                                    for k, v in values.items()})


@dataclass(frozen=True)
class BlacklistRule:
    type: str
    units: str            # the list field naming the units
    kind: str | None      # the field telling what kind of document it is
    counting: tuple[str, ...]  # the kinds that count (praise does not)
    times: int            # named this often in one year
    rows: str | None      # a table of the units' problems …
    row_unit: str
    row_status: str
    rectified: tuple[str, ...]  # … whose status, starting with one of these, means rectified
    basis: str
    consequence: str


@dataclass
class Rules:
    deadlines: list[DeadlineRule]
    blacklist: BlacklistRule | None
    path: Path

    def triggered_by(self, event: str) -> list[DeadlineRule]:
        return [r for r in self.deadlines if any(s.event == event for s in r.starts)]

    def started_by_type(self, type_id: str) -> list[DeadlineRule]:
        return [r for r in self.deadlines if any(s.type == type_id for s in r.starts)]


def load(ws) -> Rules:
    """The workspace's rules.yaml, checked against its document types."""
    path = ws.root / RULES_FILE
    if not path.is_file():
        raise DocgenError(Problem(f"工作区缺少期限规则文件 {RULES_FILE}：期限（docgen due）、黑名单和校验都依据它。"
                                  "可从 docgen init 新建的工作区复制样例，再按本县制度修改", RULES_FILE))
    data = yamlio.load(path, shown_as=RULES_FILE)
    parser = _Parser(ws)
    rules = parser.rules(data, path)
    if parser.problems:
        raise DocgenError(parser.problems)
    return rules


class _Parser:
    """Reads rules.yaml, collecting every problem with its line and field path."""

    def __init__(self, ws):
        self.ws = ws
        self.problems: list[Problem] = []

    def fail(self, message: str, line: int | None, field: str) -> None:
        self.problems.append(Problem(message, RULES_FILE, line, field))

    def rules(self, data: Located, path: Path) -> Rules:
        self.keys(data, {"deadlines", "blacklist"}, "")
        raw = data.get("deadlines") or []
        out: list[DeadlineRule] = []
        if raw and not isinstance(raw, LocatedList):  # an office may have no deadlines (deadlines: [])
            self.fail("deadlines 应为期限规则的列表（每条以「- item:」开头）", data.line_of("deadlines"), "deadlines")
            raw = []
        seen: dict[str, int | None] = {}
        for i, entry in enumerate(raw, 1):
            where = f"deadlines[{i}]"
            if not isinstance(entry, Located):
                self.fail("每条期限规则应为「键: 值」的映射", raw.line_of(i - 1), where)
                continue
            rule = self.deadline(entry, where)
            if rule is None:
                continue
            if rule.item in seen:
                self.fail(f"事项名「{rule.item}」与第{seen[rule.item]}行的规则重复", entry.line_of("item"), where + ".item")
            seen[rule.item] = entry.line_of("item")
            out.append(rule)
        blacklist = None
        if data.get("blacklist") is not None:
            blacklist = self.blacklist(data["blacklist"], data.line_of("blacklist"))
        return Rules(out, blacklist, path)

    # ------------------------------------------------------------ pieces
    def keys(self, data: Located, allowed: set[str], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"未知的键（可用：{'、'.join(sorted(allowed))}）", data.line_of(key), prefix + key)

    def text(self, data: Located, key: str, where: str, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail("缺少此项", data.line_of(key) if key in data else data.line, f"{where}.{key}")
            return None
        if isinstance(value, (dict, list, bool)):
            self.fail("应为文字", data.line_of(key), f"{where}.{key}")
            return None
        return str(value).strip()

    def doctype(self, name, line, where):
        if not isinstance(name, str) or not name.strip():
            self.fail("应写文书类型（如 memorandum 或 约谈纪要）", line, where)
            return None
        doctype = self.ws.find_type(name.strip())
        if doctype is None:
            self.fail(f"未知文书类型「{name}」，可用：{self.ws.type_names()}", line, where)
        return doctype

    def deadline(self, data: Located, where: str) -> DeadlineRule | None:
        self.keys(data, {"item", "what", "start", "after", "before", "party", "closed_by", "basis"}, where + ".")
        before = len(self.problems)
        item = self.text(data, "item", where)
        what = self.text(data, "what", where)
        basis = self.text(data, "basis", where)
        party = self.text(data, "party", where, required=False) or ""
        closed_by = self.text(data, "closed_by", where, required=False)
        if item and item_key(item).startswith(RECTIFIED):
            self.fail(f"事项名不能以「{RECTIFIED}」开头（这是通报点名单位整改的写法）", data.line_of("item"), where + ".item")
        starts = self.starts(data, where)
        period = None
        if "after" in data and "before" in data:
            self.fail("after 和 before 只能写一个", data.line_of("before"), where + ".before")
        for key in ("after", "before"):
            if key in data:
                period = self.period(data[key], key == "before", data.line_of(key), f"{where}.{key}")
        if starts:
            for name, template in (("what", what), ("party", party)):
                if template:
                    self.placeholders(template, starts, name == "what", data.line_of(name), f"{where}.{name}")
        if len(self.problems) > before:
            return None
        return DeadlineRule(item_key(item), what, tuple(starts), period, party, closed_by, basis, data.line)

    def starts(self, data: Located, where: str) -> list[Start]:
        raw = data.get("start")
        line = data.line_of("start")
        if raw is None:
            self.fail("缺少起算（start）：文书类型和日期字段（type、field），或办理记录事件（event）", line or data.line,
                      where + ".start")
            return []
        entries = raw if isinstance(raw, list) else [raw]
        out = []
        for i, entry in enumerate(entries, 1):
            at = f"{where}.start" + (f"[{i}]" if isinstance(raw, list) else "")
            at_line = raw.line_of(i - 1) if isinstance(raw, LocatedList) else line
            if not isinstance(entry, Located):
                self.fail("起算应写成 {type: 文书类型, field: 日期字段} 或 {event: 事件}", at_line, at)
                continue
            self.keys(entry, {"type", "field", "event"}, at + ".")
            if "event" in entry:
                if "type" in entry or "field" in entry:
                    self.fail("event 与 type、field 不能写在同一项中；可写成两项（依次取案卷中有的）", at_line, at)
                elif not isinstance(entry["event"], str) or not entry["event"].strip():
                    self.fail("应写办理记录的事件文字，如 巡查结束", entry.line_of("event"), at + ".event")
                else:
                    out.append(Start(event=entry["event"].strip()))
                continue
            start = self.field_start(entry, at, at_line)
            if start:
                out.append(start)
        return out

    def field_start(self, entry: Located, at: str, line) -> Start | None:
        doctype = self.doctype(entry.get("type"), entry.line_of("type"), at + ".type")
        field = entry.get("field")
        if doctype is None:
            return None
        if not isinstance(field, str) or not field.strip():
            self.fail(f"应写 {doctype.id} 的日期字段名", entry.line_of("field") if "field" in entry else line, at + ".field")
            return None
        name, _, column = field.strip().partition("[].")
        spec = doctype.fields.get(name)
        dates = lambda fields: "、".join(n for n, f in fields.items() if f.kind in DATE_KINDS) or "（无）"  # noqa: E731
        if spec is None:
            self.fail(f"{doctype.name}（{doctype.id}）没有字段「{name}」；日期字段有：{dates(doctype.fields)}",
                      entry.line_of("field"), at + ".field")
            return None
        if column:
            col = spec.columns.get(column) if spec.kind == "table" else None
            if col is None or col.kind not in DATE_KINDS:
                where = f"表格字段 {name} 的日期列有：{dates(spec.columns)}" if spec.kind == "table" else f"{name} 不是表格字段"
                self.fail(f"「{field}」不是日期列：{where}", entry.line_of("field"), at + ".field")
                return None
        elif spec.kind not in DATE_KINDS:
            hint = f"；表格的日期列写作 {name}[].列名" if spec.kind == "table" else ""
            self.fail(f"「{name}」不是日期字段；{doctype.id} 的日期字段有：{dates(doctype.fields)}{hint}",
                      entry.line_of("field"), at + ".field")
            return None
        return Start(type=doctype.id, field=name, column=column or None)

    def period(self, value, before: bool, line, where) -> Period | None:
        m = _PERIOD.fullmatch(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if m is None:
            self.fail(f"期限应写作「15日」「15个工作日」或「2个月」，而不是「{value}」", line, where)
            return None
        return Period(int(m.group(1)), _UNITS[m.group(2)], before, str(value).strip())

    def placeholders(self, template: str, starts: list[Start], required: bool, line, where) -> None:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        except ValueError:
            self.fail("花括号不配对：引用文书字段写作 {字段名}，如 {unit}", line, where)
            return
        if not names:
            return
        if required and any(s.event for s in starts):
            self.fail("由办理记录（event）起算的期限没有文书可引用，不能含 {字段}", line, where)
        for start in starts:
            if start.event:
                continue
            doctype = self.ws.types[start.type]
            fields = dict(doctype.fields)
            if start.column:
                fields.update(doctype.fields[start.field].columns)
            for name in sorted(names - set(fields)):
                self.fail(f"{{{name}}} 不是 {doctype.name}（{doctype.id}）的字段", line, where)

    def blacklist(self, data, line) -> BlacklistRule | None:
        where = "blacklist"
        if not isinstance(data, Located):
            self.fail("blacklist 应为「键: 值」的映射", line, where)
            return None
        allowed = {"type", "units", "kind", "counting", "times", "rows", "row_unit", "row_status", "rectified",
                   "basis", "consequence"}
        self.keys(data, allowed, where + ".")
        before = len(self.problems)
        doctype = self.doctype(data.get("type"), data.line_of("type"), where + ".type")
        basis = self.text(data, "basis", where)
        consequence = self.text(data, "consequence", where)
        times = data.get("times") or "2"
        if not (isinstance(times, str) and times.strip().isdecimal() and int(times) >= 1):
            self.fail("times 应为正整数（一年中被点名的次数）", data.line_of("times"), where + ".times")
        times = int(times) if isinstance(times, str) and times.strip().isdecimal() else 2
        names = {key: self.text(data, key, where, required=key == "units")
                 for key in ("units", "kind", "rows", "row_unit", "row_status")}
        lists = {}
        for key in ("counting", "rectified"):
            value = data.get(key) or []
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail("应为文字列表", data.line_of(key), f"{where}.{key}")
                value = []
            lists[key] = tuple(v.strip() for v in value)
        if doctype is not None:
            fields = doctype.fields

            def need(key, kind):
                name = names[key]
                if name and (name not in fields or fields[name].kind != kind):
                    self.fail(f"{doctype.name}（{doctype.id}）没有{KIND_NAMES[kind]}字段「{name}」", data.line_of(key),
                              f"{where}.{key}")

            need("units", "list")
            need("kind", "text")
            need("rows", "table")
            if "date" not in fields:
                self.fail(f"{doctype.id} 没有成文日期字段 date，无法按年度统计", data.line_of("type"), where + ".type")
            kind = fields.get(names["kind"] or "")
            for value in lists["counting"]:
                if kind is not None and kind.choices and value not in kind.choices:
                    self.fail(f"「{value}」不是 {names['kind']} 的可选值（{'、'.join(kind.choices)}）",
                              data.line_of("counting"), where + ".counting")
            if names["kind"] and not lists["counting"]:
                self.fail("写了 kind 就要列出计入的类别（counting）", data.line_of("kind"), where + ".counting")
            table = fields.get(names["rows"] or "")
            if table is not None and table.kind == "table":
                for key, default in (("row_unit", "unit"), ("row_status", "status")):
                    column = names[key] or default
                    if column not in table.columns:
                        self.fail(f"表格 {names['rows']} 没有列「{column}」", data.line_of(key) or data.line_of("rows"),
                                  f"{where}.{key}")
        if len(self.problems) > before:
            return None
        return BlacklistRule(doctype.id, names["units"], names["kind"], lists["counting"], times, names["rows"],
                             names["row_unit"] or "unit", names["row_status"] or "status", lists["rectified"],
                             basis, consequence)


def type_catalog(ws, rules: Rules | None) -> list[dict]:
    """Every document type of the workspace: names, form, the clause it serves, its fields and
    the deadlines it starts under the rules (`docgen types`)."""
    out = []
    for doctype in ws.types.values():
        starts = [(rule, start) for rule in (rules.deadlines if rules else []) for start in rule.starts
                  if start.type == doctype.id]
        out.append({
            "id": doctype.id, "name": doctype.name, "form": doctype.form, "form_name": FORMS[doctype.form],
            "retention": doctype.retention, "retention_name": RETENTIONS[doctype.retention], "basis": doctype.basis,
            "template": ws.relative(doctype.template),
            "fields": [{"name": f.name, "label": f.label, "kind": f.kind, "kind_name": KIND_NAMES[f.kind],
                        "required": f.required, "choices": list(f.choices), "help": f.help}
                       for f in doctype.fields.values()],
            "deadlines": [{"item": rule.item, "what": rule.what,
                           "field": start.field + (f"[].{start.column}" if start.column else ""),
                           "field_label": _label(doctype, start),
                           "period": ("前" if rule.period.before else "后") + rule.period.text if rule.period else "当日",
                           "basis": rule.basis} for rule, start in starts],
        })
    return out


def _label(doctype, start: Start) -> str:
    spec = doctype.fields[start.field]
    return f"{spec.label}的{spec.columns[start.column].label}" if start.column else spec.label
