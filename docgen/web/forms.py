"""Forms generated from the type declarations (templates/<type>.yaml, casefile.CASE_FIELDS).

One declaration, three uses (as in docassemble): `docgen new` writes a skeleton from it,
`docgen check` validates against it, and this module turns it into a form and the form's
input back into the YAML values a clerk would have typed. Nothing here judges the values:
what is wrong is said by the same validation `docgen check` runs (data.check_candidate), and
the messages are placed beside the field they name.

How each kind of field is edited:
  text        one line (a list of choices when declared)
  list        a text box, one item a line
  paragraphs  a text box, one paragraph a line
  date        a date picker; datetime: a date-and-time picker
  bool        是 / 否
  table       a grid, one row an entry, with blank rows to add more
  body        a text box, one paragraph a line; a line starting with # is a heading
              (## a second-level heading …), numbered when rendered
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from docgen.doctypes import KIND_NAMES

BLANK_ROWS = 2  # empty rows offered under a table's filled ones
_FIELD_ROOT = re.compile(r"^([^\[.]+)(?:\[(\d+)\])?")


@dataclass
class FormField:
    name: str
    label: str
    kind: str
    required: bool
    help: str
    example: str
    choices: tuple
    value: str = ""
    rows: list[dict] = field(default_factory=list)    # a table's rows: {column: text}
    columns: list[FormField] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, "")

    @property
    def widget(self) -> str:
        if self.kind == "text":
            return "select" if self.choices else "input"
        if self.kind in ("list", "paragraphs", "body"):
            return "textarea"
        return self.kind  # date, datetime, bool, table


# ---------------------------------------------------------------- values -> form text

def _example(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "；".join(_example(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}: {_example(v)}" for k, v in value.items())
    return str(value)


def outline(tree) -> str:
    """A body tree (strings and {heading, body}) as the text the form edits."""
    lines = []

    def walk(items, level):
        for item in [items] if isinstance(items, str) else items or []:
            if isinstance(item, dict):
                lines.append("#" * level + " " + str(item.get("heading", "")))
                walk(item.get("body") or [], level + 1)
            else:
                lines.append(str(item))
    walk(tree, 1)
    return "\n".join(lines)


def as_text(kind: str, value) -> str:
    if value is None:
        return ""
    if kind in ("list", "paragraphs"):
        return "\n".join(map(str, value)) if isinstance(value, list) else str(value)
    if kind == "body":
        return outline(value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if kind == "datetime" and isinstance(value, str):
        return value.strip().replace(" ", "T", 1)
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if kind == "bool":
        return {True: "true", False: "false"}.get(value, str(value))
    return str(value)


def build(fields: dict, values: dict | None = None, problems=()) -> list[FormField]:
    """Form fields for declared fields, filled from `values` (as loaded from YAML), with the
    validation problems (doctypes Problem objects) placed beside the fields they name."""
    values = values or {}
    out = []
    for name, spec in fields.items():
        form = FormField(name, spec.label, spec.kind, spec.required, spec.help, _example(spec.example),
                         spec.choices)
        value = values.get(name)
        if spec.kind == "table":
            form.columns = build(spec.columns)
            rows = value if isinstance(value, list) else []
            form.rows = [{c: as_text(col.kind, row.get(c)) if isinstance(row, dict) else "" for c, col in
                          spec.columns.items()} for row in rows]
            form.rows += [{c: "" for c in spec.columns} for _ in range(BLANK_ROWS)]
        else:
            form.value = as_text(spec.kind, value)
        out.append(form)
    place(out, problems)
    return out


def place(forms: list[FormField], problems) -> list:
    """Attach each problem to its field; returns the problems that name no field of the form."""
    by_name = {f.name: f for f in forms}
    rest = []
    for problem in problems:
        match = _FIELD_ROOT.match(problem.field or "")
        target = by_name.get(match.group(1)) if match else None
        if target is None:
            rest.append(problem)
            continue
        row = f"第{match.group(2)}行：" if match.group(2) else ""
        column = (problem.field or "").partition(".")[2]
        col = next((c for c in target.columns if c.name == column), None)
        target.errors.append(row + (f"{col.label}：" if col else "") + problem.message)
    return rest


# ---------------------------------------------------------------- form input -> values

def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def parse_outline(text: str) -> list:
    """The form's body text back to the tree the declaration's body kind expects."""
    root: list = []
    stack = [(0, root)]  # (level, list the next item goes into)
    for line in _lines(text):
        marks = len(line) - len(line.lstrip("#"))
        if marks and line[marks:].strip():
            heading = {"heading": line[marks:].strip(), "body": []}
            while stack[-1][0] >= marks:
                stack.pop()
            stack[-1][1].append(heading)
            stack.append((marks, heading["body"]))
        else:
            stack[-1][1].append(line)
    return root


def _value(kind: str, text: str):
    """One field's input as the YAML value a clerk would write; None when left empty. Input
    that does not fit the kind is passed on as typed, for validation to name."""
    text = (text or "").replace("\r\n", "\n")
    if kind == "list":
        return _lines(text) or None
    if kind == "paragraphs":
        lines = _lines(text)
        return None if not lines else (lines[0] if len(lines) == 1 else lines)
    if kind == "body":
        return parse_outline(text) or None
    text = text.strip()
    if not text:
        return None
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    if kind == "datetime":
        return text.replace("T", " ", 1)
    if kind == "bool":
        return {"true": True, "false": False}.get(text, text)
    return text


def parse(fields: dict, form) -> dict:
    """{name: value or None} for every declared field, from submitted form data (a mapping of
    input names to strings; a table's cells are named <field>.<row>.<column>)."""
    values = {}
    for name, spec in fields.items():
        if spec.kind != "table":
            values[name] = _value(spec.kind, form.get(name, ""))
            continue
        try:
            count = min(int(form.get(f"{name}.rows", 0)), 500)
        except ValueError:
            count = 0
        rows = []
        for i in range(count):
            row = {c: _value(col.kind, form.get(f"{name}.{i}.{c}", "")) for c, col in spec.columns.items()}
            row = {c: v for c, v in row.items() if v is not None}
            if row:
                rows.append(row)
        values[name] = rows or None
    return values


def more_rows(forms: list[FormField], name: str, count: int = 3) -> None:
    """Offer more blank rows in a table (the form's 「加行」 button; no script needed)."""
    for form in forms:
        if form.name == name and form.kind == "table":
            form.rows += [{c.name: "" for c in form.columns} for _ in range(count)]
