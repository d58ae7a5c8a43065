"""Deadlines read from casefiles by the office's rules (rules.yaml), closed by the events a clerk
records.

Every deadline comes from a rule of the workspace's `rules.yaml` (docgen.rules): started by a
date field of a document (a table's date column starts one per row) or by an events row of
case.yaml, due a number of days, working days or months after (or before) that date, or on
the date itself. Its key, what `item:` names, is the document id (`memorandum`, `joint_meeting:2`
for a table row) or, when an event started it, the rule's item (`省巡查反馈:整改方案`). When a case
holds one deadline of a rule, the rule's item names it too; and when a rule lists several
starts, the first the case has wins, the documents of later ones naming it as well (a summons
until its memorandum is written).

A deadline is closed by a row of case.yaml `events` whose `item` is its key (or alias), dated
on or before the day asked about:

    events:
      - {date: 2021-11-18, event: 收到城关镇书面报告, item: memorandum}

A rule with `closed_by: 销号` closes only on an event whose text contains 销号 (挂牌督办: 验收
then 销号); other events naming it are recorded as progress. An `item` that names no deadline of
its case is an error located at its file, line and field.

Blacklist (rules.yaml `blacklist`): a unit is rectified by an event `item: 整改:<unit>` dated on
or after the last document that counts, or when that document's rows for the unit all carry a
rectified status. `整改:<unit>` must name a unit named by a document of the same case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from docgen import rules as rulebook
from docgen import yamlio
from docgen.casefile import CASE_FILE, Case, Document, all_case_ids, case_dir, load_case
from docgen.errors import DocgenError, Problem
from docgen.rules import RECTIFIED, DeadlineRule, Rules, Start, item_key
from docgen.workdays import Reckoned


@dataclass
class Event:
    date: dt.date
    event: str
    item: str | None
    note: str | None
    index: int  # 1-based row number, as Validator names fields: events[3].item
    line: int | None
    item_line: int | None

    def describe(self) -> str:
        return f"{self.date.isoformat()} {self.event}"


@dataclass
class Deadline:
    case: str
    key: str
    what: str
    due: dt.date
    basis: str
    source: str  # the file (and field) the date was read from
    party: str = ""
    closing: str | None = None  # text the closing event must contain; None: any event naming it
    aliases: tuple[str, ...] = ()
    assumed_years: tuple[int, ...] = ()
    rule: str = ""    # the rules.yaml item it comes from
    period: str = ""  # the rule's period as written (15日, 15个工作日); "" when due on the date itself
    closed_by: Event | None = None
    progress: list[Event] = field(default_factory=list)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)

    @property
    def open(self) -> bool:
        return self.closed_by is None

    @property
    def warning(self) -> str | None:
        return Reckoned(self.due, self.assumed_years).warning

    def days_left(self, on: dt.date) -> int:
        return (self.due - on).days

    def as_dict(self, on: dt.date) -> dict:
        left = self.days_left(on)
        return {"case": self.case, "item": self.key, "due": self.due.isoformat(), "days_left": left,
                "overdue": self.open and left < 0, "open": self.open, "what": self.what, "party": self.party,
                "basis": self.basis, "source": self.source, "rule": self.rule, "period": self.period,
                "closed_by": self.closed_by.describe() if self.closed_by else None,
                "closed_late": max(0, (self.closed_by.date - self.due).days) if self.closed_by else 0,
                "progress": [e.describe() for e in self.progress], "calendar_warning": self.warning}


# ---------------------------------------------------------------- events

def events(case: Case) -> list[Event]:
    """The validated `events` rows of a case, with the lines they sit on."""
    raw = yamlio.load(case.path / CASE_FILE).get("events") or []
    out = []
    for i, (row, value) in enumerate(zip(raw, case.values.get("events", [])), 1):
        item = value.get("item")
        out.append(Event(value["date"], value["event"], item_key(item) if item else None, value.get("note"), i,
                         raw.line_of(i - 1), row.line_of("item")))
    return out


# ---------------------------------------------------------------- deadlines of one case

class _Blank(dict):
    """Values for a rule's {field}: an optional field left out prints as nothing."""

    def __missing__(self, key):
        return ""


def _deadline(rule: DeadlineRule, case: Case, key: str, start, source: str, values: dict) -> Deadline:
    due = rule.period.reckon(start) if rule.period else Reckoned(start.date() if isinstance(start, dt.datetime) else start)
    return Deadline(case.id, key, rule.text(rule.what, _Blank(values)), due.date, rule.basis, source,
                    rule.text(rule.party, _Blank(values)) if values or "{" not in rule.party else "",
                    rule.closed_by, assumed_years=due.assumed_years, rule=rule.item,
                    period=rule.period.text if rule.period else "")


def _from_document(rule: DeadlineRule, start: Start, doc: Document) -> list[Deadline]:
    ws = doc.case.workspace
    where = ws.relative(doc.path)
    if start.column is None:
        value = doc.values.get(start.field)
        if value is None:
            return []
        return [_deadline(rule, doc.case, doc.id, value, f"{where}（{start.field}）", doc.values)]
    out = []
    for n, row in enumerate(doc.values.get(start.field) or [], 1):
        if row.get(start.column) is not None:
            out.append(_deadline(rule, doc.case, f"{doc.id}:{n}", row[start.column],
                                 f"{where}（{start.field}[{n}].{start.column}）", {**doc.values, **row}))
    return out


def started_by(doc: Document, rules: Rules) -> list[Deadline]:
    """The deadlines a document starts by its own dates (e.g. the report due after the
    interview its memorandum records), whatever else its case holds."""
    return [d for rule in rules.started_by_type(doc.type.id) for start in rule.starts if start.type == doc.type.id
            for d in _from_document(rule, start, doc)]


def _from_rule(rule: DeadlineRule, case: Case, docs: list[Document], triggers: dict[str, Event]) -> list[Deadline]:
    """The first of the rule's starts the case has decides; later documents name it too."""
    shown = case.workspace.relative(case.path / CASE_FILE)
    for i, start in enumerate(rule.starts):
        if start.event:
            ev = triggers.get(start.event)
            if ev is None:
                continue
            return [_deadline(rule, case, rule.item, ev.date, f"{shown} 第{ev.line}行（events[{ev.index}]）", {})]
        found = [d for doc in docs if doc.type.id == start.type for d in _from_document(rule, start, doc)]
        if not found:
            continue
        if len(found) == 1:
            later = {s.type for s in rule.starts[i + 1:] if s.type}
            found[0].aliases = (rule.item, *(d.id for d in docs if d.type.id in later))
        return found
    return []


def case_deadlines(case: Case, on: dt.date, docs: list[Document] | None = None,
                   rules: Rules | None = None) -> list[Deadline]:
    """Every deadline of a case, closed or not as of `on`; DocgenError naming file, line and
    field when an event names an item that does not exist or repeats a trigger."""
    rules = rules or rulebook.load(case.workspace)
    docs = case.documents() if docs is None else docs
    shown = case.workspace.relative(case.path / CASE_FILE)
    rows = events(case)
    problems: list[Problem] = []
    triggers: dict[str, Event] = {}
    for ev in rows:
        text = ev.event.strip()
        if not rules.triggered_by(text):
            continue
        if text in triggers:
            problems.append(Problem(f"「{text}」已在第{triggers[text].line}行记录过；一个案卷只跟踪一次，"
                                    "另一次请另立案卷", shown, ev.line, f"events[{ev.index}].event"))
            continue
        triggers[text] = ev
    deadlines = [d for rule in rules.deadlines for d in _from_rule(rule, case, docs, triggers)]

    by_name: dict[str, Deadline] = {}
    for d in deadlines:
        for name in d.names:
            by_name.setdefault(name, d)
    named_units = set()
    if rules.blacklist:
        named_units = {u for d in docs if d.type.id == rules.blacklist.type for u in d.values.get(rules.blacklist.units, [])}
    for ev in rows:
        if not ev.item:
            continue
        where = dict(file=shown, line=ev.item_line, field=f"events[{ev.index}].item")
        if ev.item.startswith(RECTIFIED):
            unit = ev.item[len(RECTIFIED):].strip()
            if unit not in named_units:
                named = "、".join(sorted(named_units)) or "（本案卷没有通报）"
                problems.append(Problem(f"「{unit}」不是本案卷通报点名的单位；可用：{named}", **where))
            continue
        target = by_name.get(ev.item)
        if target is None:
            known = "、".join(sorted(by_name)) or "（本案卷没有需要跟踪的期限）"
            problems.append(Problem(f"本案卷没有期限事项「{ev.item}」；可用：{known}；"
                                    f"通报点名单位整改写作「{RECTIFIED}单位名称」", **where))
            continue
        if ev.date > on:
            continue
        if target.closed_by is None and (target.closing is None or target.closing in ev.event):
            target.closed_by = ev
        else:
            target.progress.append(ev)
    if problems:
        raise DocgenError(problems)
    return deadlines


# The documents deadlines are read from, by case: a caller above the archive hands down the
# issued versions; by default the casefiles as they stand.
Documents = Callable[[Case], list[Document]]


def collect(ws, on: dt.date, case_ids: list[str] | None = None, documents: Documents | None = None,
            problems: list[Problem] | None = None) -> list[Deadline]:
    """Deadlines of the given cases (default all); every problem in every case is reported
    together, because a list silently missing one broken case would hide a deadline. With a
    `problems` list they are added to it and the healthy cases' deadlines still returned."""
    rules = rulebook.load(ws)
    out, found = [], []
    for case_id in case_ids or all_case_ids(ws):
        try:
            case = load_case(ws, case_id)
            out.extend(case_deadlines(case, on, documents(case) if documents else None, rules))
        except DocgenError as exc:
            found.extend(exc.problems)
    if found and problems is None:
        raise DocgenError(found)
    if found:
        problems.extend(found)
    return out


def due(ws, on: dt.date, within: int | None = None, documents: Documents | None = None,
        problems: list[Problem] | None = None) -> list[Deadline]:
    """Open deadlines, most urgent first; `within` keeps those due in that many days (and
    every overdue one). `problems`: as in `collect`."""
    items = [d for d in collect(ws, on, documents=documents, problems=problems)
             if d.open and (within is None or d.days_left(on) <= within)]
    return sorted(items, key=lambda d: (d.due, d.case, d.key))


def cases(ws, on: dt.date, documents: Documents | None = None) -> list[dict]:
    """Every case, newest year first: title, status, documents and the deadlines still open on
    `on`. A case with a problem is listed with it rather than hiding the others."""
    rules = rulebook.load(ws)
    rows = []
    for case_id in all_case_ids(ws):
        folder = case_dir(ws, case_id)
        row = {"case": case_id, "year": int(folder.parent.name), "title": "", "kind": "", "status": "",
               "documents": sorted(p.stem for p in folder.glob("*.yaml") if p.name != CASE_FILE),
               "open": [], "problems": []}
        try:
            case = load_case(ws, case_id)
            row.update(title=case.values["title"], kind=case.values["kind"], status=case.values.get("status", ""))
            found = case_deadlines(case, on, documents(case) if documents else None, rules)
        except DocgenError as exc:
            row["problems"] = [str(p) for p in exc.problems]
            rows.append(row)
            continue
        row["open"] = [d.as_dict(on) for d in sorted(found, key=lambda d: (d.due, d.key)) if d.open]
        rows.append(row)
    return sorted(rows, key=lambda r: -r["year"])  # newest year first, case ids in order within it


# ---------------------------------------------------------------- blacklist

@dataclass
class Listing:
    unit: str
    bulletins: list[dict]
    rectified: str | None = None  # how the rectification was recorded, when it was

    def as_dict(self) -> dict:
        return {"unit": self.unit, "count": len(self.bulletins), "bulletins": self.bulletins,
                "rectified": self.rectified}


def blacklist(ws, year: int, on: dt.date, documents: Documents | None = None) -> tuple[list[Listing], list[Listing]]:
    """(blacklisted, rectified): units named by the rule's documents dated in `year` (up to
    `on`) as often as the rule says, split by whether their rectification is recorded."""
    rules = rulebook.load(ws)
    rule = rules.blacklist
    if rule is None:
        raise DocgenError(Problem("期限规则中没有黑名单规则（blacklist）", rulebook.RULES_FILE))
    named: dict[str, list[tuple[Document, dict]]] = {}
    closures: dict[str, list[tuple[Event, str]]] = {}
    problems = []
    for case_id in all_case_ids(ws):
        try:
            case = load_case(ws, case_id)
            docs = documents(case) if documents else case.documents()
            case_deadlines(case, on, docs, rules)  # validates the case's events
        except DocgenError as exc:
            problems.extend(exc.problems)
            continue
        for doc in docs:
            v = doc.values
            counts = rule.kind is None or v.get(rule.kind) in rule.counting
            if doc.type.id == rule.type and counts and v["date"].year == year and v["date"] <= on:
                for unit in dict.fromkeys(v.get(rule.units, [])):
                    named.setdefault(unit, []).append((doc, v))
        for ev in events(case):
            if ev.item and ev.item.startswith(RECTIFIED) and ev.date <= on:
                where = f"{ws.relative(case.path / CASE_FILE)} 第{ev.line}行"
                closures.setdefault(ev.item[len(RECTIFIED):].strip(), []).append((ev, where))
    if problems:
        raise DocgenError(problems)

    listed, cleared = [], []
    for unit, found in sorted(named.items()):
        if len(found) < rule.times:
            continue
        found.sort(key=lambda f: f[1]["date"])
        last_doc, last = found[-1]
        entry = Listing(unit, [{"case": d.case.id, "doc": d.id, "title": d.title, "date": v["date"].isoformat(),
                                "kind": v.get(rule.kind, "") if rule.kind else ""} for d, v in found])
        after = [(ev, where) for ev, where in closures.get(unit, []) if ev.date >= last["date"]]
        rows = [r for r in last.get(rule.rows, []) if r.get(rule.row_unit) == unit] if rule.rows else []
        if after:
            ev, where = after[0]
            entry.rectified = f"{ev.describe()}（{where}）"
        elif rows and rule.rectified and all(str(r.get(rule.row_status, "")).startswith(rule.rectified) for r in rows):
            statuses = "、".join(str(r[rule.row_status]) for r in rows)
            entry.rectified = f"{last_doc.case.id} {last_doc.id} {last_doc.type.fields[rule.rows].label}：{statuses}"
        (cleared if entry.rectified else listed).append(entry)
    return listed, cleared
