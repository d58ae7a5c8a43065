"""Deadlines the rules set, read from casefiles, closed by the events a clerk records.

Where a deadline comes from (DESIGN.md "Deadlines the seeds set"):

| source                                   | due                                  | key (what `item:` names) |
|------------------------------------------|--------------------------------------|--------------------------|
| memorandum `time` (else summons `time`)  | 15 days after the interview          | the document id, e.g. `memorandum` |
| patrol_report `end`                      | 15 working days after the patrol     | `patrol_report` (alias `巡查报告`) |
| event `巡查结束` (no patrol_report yet)  | 15 working days after that date      | `巡查报告` |
| feedback `deadline`                      | the date written                     | `feedback` |
| hazard_notice `deadline`                 | the date written; closes only on 销号 | `hazard_notice` |
| joint_meeting `decisions[n].deadline`    | the date written                     | `joint_meeting:n` |
| event `省巡查反馈`                       | 20 working days / two months after   | `省巡查反馈:整改方案`, `省巡查反馈:整改结果` |
| event `联合执法行动` (its planned date)  | 15 days before the action            | `联合执法:行动方案` |

A deadline is closed by a row of case.yaml `events` whose `item` is its key (or alias), dated
on or before the day asked about:

    events:
      - {date: 2021-11-18, event: 收到城关镇书面报告, item: memorandum}

A 挂牌督办 deadline closes only on an event whose text contains 销号 (六、第三条: 验收 then
销号); other events naming it (验收合格, 复查未整改) are recorded as progress. An `item` that
names no deadline of its case is an error located at its file, line and field.

Blacklist (八、第六条): a unit is rectified by an event `item: 整改:<unit>` dated on or after the
last bulletin that counts, or when that bulletin's hazards rows for the unit all say 已整改 (or
已立行立改, 已验收, 已销号). `整改:<unit>` must name a unit of a bulletin in the same case.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

from docgen import workdays, yamlio
from docgen.casefile import CASE_FILE, Case, Document, all_case_ids, load_case
from docgen.errors import DocgenError, Problem
from docgen.workdays import Reckoned

RECTIFIED = "整改:"  # item prefix closing a unit's rectification for the blacklist
CLOSED_STATUSES = ("已整改", "已立行立改", "已验收", "已销号")
# Bulletins that name units for what they did wrong; praise never leads to the blacklist.
COUNTING_KINDS = ("批评", "暗访", "情况")


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
                "basis": self.basis, "source": self.source,
                "closed_by": self.closed_by.describe() if self.closed_by else None,
                "closed_late": max(0, (self.closed_by.date - self.due).days) if self.closed_by else 0,
                "progress": [e.describe() for e in self.progress], "calendar_warning": self.warning}


def _key(text: str) -> str:
    # Clerks type the full-width colon as often as the ASCII one; both mean the same key.
    return text.strip().replace("：", ":")


# ---------------------------------------------------------------- events

def events(case: Case) -> list[Event]:
    """The validated `events` rows of a case, with the lines they sit on."""
    raw = yamlio.load(case.path / CASE_FILE).get("events") or []
    out = []
    for i, (row, value) in enumerate(zip(raw, case.values.get("events", [])), 1):
        item = value.get("item")
        out.append(Event(value["date"], value["event"], _key(item) if item else None, value.get("note"), i,
                         raw.line_of(i - 1), row.line_of("item")))
    return out


# ---------------------------------------------------------------- deadlines of one case

def _doc_source(ws, doc: Document, name: str) -> str:
    return f"{ws.relative(doc.path)}（{name}）"


def _from_documents(case: Case, docs: list[Document]) -> list[Deadline]:
    ws, out = case.workspace, []
    of_type = lambda t: [d for d in docs if d.type.id == t]  # noqa: E731
    memos, summonses, reports = of_type("memorandum"), of_type("summons"), of_type("patrol_report")

    # 七、第五条（四）: the memorandum records when the interview happened; before it is
    # written, the summons says when it will.
    for doc in memos or summonses:
        when = doc.values["time"]
        out.append(Deadline(case.id, doc.id, "约谈要求落实情况书面报告", workdays.days_after(when, 15).date,
                            "十项制度 七、第五条（四）", _doc_source(ws, doc, "time"), doc.values["unit"],
                            aliases=tuple(s.id for s in summonses) if memos and len(memos) == 1 else ()))
    for doc in reports:
        due = workdays.workdays_after(doc.values["end"], 15)
        out.append(Deadline(case.id, doc.id, "巡查评估书面报告报县安委办", due.date,
                            "十项制度 十、第八条；省巡查办法 四（二）4", _doc_source(ws, doc, "end"),
                            doc.values["team"], aliases=("巡查报告",) if len(reports) == 1 else (),
                            assumed_years=due.assumed_years))
    for doc in of_type("feedback"):
        out.append(Deadline(case.id, doc.id, "督查反馈问题整改到位并报送整改结果", doc.values["deadline"],
                            "十项制度 四、第七条", _doc_source(ws, doc, "deadline"), doc.values["recipients"]))
    for doc in of_type("hazard_notice"):
        out.append(Deadline(case.id, doc.id, f"挂牌督办隐患整改验收销号：{doc.values['hazard']}",
                            doc.values["deadline"], "十项制度 六、第三条", _doc_source(ws, doc, "deadline"),
                            doc.values["unit"], closing="销号"))
    for doc in of_type("joint_meeting"):
        for n, row in enumerate(doc.values["decisions"], 1):
            if row.get("deadline"):
                out.append(Deadline(case.id, f"{doc.id}:{n}", f"联席会议议定事项：{row['matter']}", row["deadline"],
                                    "十项制度 一、第五条（县安委办督办）",
                                    _doc_source(ws, doc, f"decisions[{n}].deadline"), row["lead"]))
    return out


# event text -> deadlines it opens: (key, what, due from the event date, basis)
Rule = tuple[str, str, Callable[[dt.date], Reckoned], str]
TRIGGERS: dict[str, list[Rule]] = {
    "省巡查反馈": [
        ("省巡查反馈:整改方案", "巡查整改方案报省安委会", lambda d: workdays.workdays_after(d, 20), "省巡查办法 四（二）7"),
        ("省巡查反馈:整改结果", "巡查整改和查处情况报省安委会", lambda d: workdays.months_after(d, 2), "省巡查办法 四（二）7"),
    ],
    "联合执法行动": [
        ("联合执法:行动方案", "联合执法行动方案书面提交县安委办", lambda d: workdays.days_after(d, -15),
         "十项制度 五、第四条"),
    ],
    "巡查结束": [
        ("巡查报告", "巡查评估书面报告报县安委办", lambda d: workdays.workdays_after(d, 15),
         "十项制度 十、第八条；省巡查办法 四（二）4"),
    ],
}


def case_deadlines(case: Case, on: dt.date, docs: list[Document] | None = None) -> list[Deadline]:
    """Every deadline of a case, closed or not as of `on`; DocgenError naming file, line and
    field when an event names an item that does not exist or repeats a trigger."""
    docs = case.documents() if docs is None else docs
    shown = case.workspace.relative(case.path / CASE_FILE)
    deadlines = _from_documents(case, docs)
    rows = events(case)
    problems: list[Problem] = []
    have = {name for d in deadlines for name in d.names}
    seen: dict[str, Event] = {}
    for ev in rows:
        rules = TRIGGERS.get(ev.event.strip())
        if not rules:
            continue
        if ev.event in seen:
            problems.append(Problem(f"「{ev.event}」已在第{seen[ev.event].line}行记录过；一个案卷只跟踪一次，"
                                    "另一次请另立案卷", shown, ev.line, f"events[{ev.index}].event"))
            continue
        seen[ev.event] = ev
        for key, what, rule, basis in rules:
            if key in have:  # the document is written: its own dates are the authority
                continue
            due = rule(ev.date)
            deadlines.append(Deadline(case.id, key, what, due.date, basis,
                                      f"{shown} 第{ev.line}行（events[{ev.index}]）",
                                      assumed_years=due.assumed_years))

    by_name = {name: d for d in deadlines for name in d.names}
    bulletin_units = {u for d in docs if d.type.id == "bulletin" for u in d.values["units"]}
    for ev in rows:
        if not ev.item:
            continue
        where = dict(file=shown, line=ev.item_line, field=f"events[{ev.index}].item")
        if ev.item.startswith(RECTIFIED):
            unit = ev.item[len(RECTIFIED):].strip()
            if unit not in bulletin_units:
                named = "、".join(sorted(bulletin_units)) or "（本案卷没有通报）"
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


def collect(ws, on: dt.date, case_ids: list[str] | None = None,
            problems: list[Problem] | None = None) -> list[Deadline]:
    """Deadlines of the given cases (default all); every problem in every case is reported
    together, because a list silently missing one broken case would hide a deadline. With a
    `problems` list they are added to it and the healthy cases' deadlines still returned."""
    out, found = [], []
    for case_id in case_ids or all_case_ids(ws):
        try:
            out.extend(case_deadlines(load_case(ws, case_id), on))
        except DocgenError as exc:
            found.extend(exc.problems)
    if found and problems is None:
        raise DocgenError(found)
    if found:
        problems.extend(found)
    return out


def due(ws, on: dt.date, within: int | None = None, problems: list[Problem] | None = None) -> list[Deadline]:
    """Open deadlines, most urgent first; `within` keeps those due in that many days (and
    every overdue one). `problems`: as in `collect`."""
    items = [d for d in collect(ws, on, problems=problems) if d.open and (within is None or d.days_left(on) <= within)]
    return sorted(items, key=lambda d: (d.due, d.case, d.key))


# ---------------------------------------------------------------- blacklist (八、第六条)

@dataclass
class Listing:
    unit: str
    bulletins: list[dict]
    rectified: str | None = None  # how the rectification was recorded, when it was

    def as_dict(self) -> dict:
        return {"unit": self.unit, "count": len(self.bulletins), "bulletins": self.bulletins,
                "rectified": self.rectified}


def blacklist(ws, year: int, on: dt.date) -> tuple[list[Listing], list[Listing]]:
    """(blacklisted, rectified): units named in two or more bulletins dated in `year` (up to
    `on`), split by whether their rectification is recorded."""
    named: dict[str, list[tuple[Document, dict]]] = {}
    closures: dict[str, list[tuple[Event, str]]] = {}
    problems = []
    for case_id in all_case_ids(ws):
        try:
            case = load_case(ws, case_id)
            docs = case.documents()
            case_deadlines(case, on, docs)  # validates the case's events
        except DocgenError as exc:
            problems.extend(exc.problems)
            continue
        for doc in docs:
            v = doc.values
            if doc.type.id == "bulletin" and v["kind"] in COUNTING_KINDS and v["date"].year == year and v["date"] <= on:
                for unit in dict.fromkeys(v["units"]):
                    named.setdefault(unit, []).append((doc, v))
        for ev in events(case):
            if ev.item and ev.item.startswith(RECTIFIED) and ev.date <= on:
                where = f"{ws.relative(case.path / CASE_FILE)} 第{ev.line}行"
                closures.setdefault(ev.item[len(RECTIFIED):].strip(), []).append((ev, where))
    if problems:
        raise DocgenError(problems)

    listed, cleared = [], []
    for unit, found in sorted(named.items()):
        if len(found) < 2:
            continue
        found.sort(key=lambda f: f[1]["date"])
        last_doc, last = found[-1]
        entry = Listing(unit, [{"case": d.case.id, "doc": d.id, "title": d.title,
                                "date": v["date"].isoformat(), "kind": v["kind"]} for d, v in found])
        after = [(ev, where) for ev, where in closures.get(unit, []) if ev.date >= last["date"]]
        rows = [r for r in last.get("hazards", []) if r["unit"] == unit]
        if after:
            ev, where = after[0]
            entry.rectified = f"{ev.describe()}（{where}）"
        elif rows and all(str(r.get("status", "")).startswith(CLOSED_STATUSES) for r in rows):
            entry.rectified = f"{last_doc.case.id} {last_doc.id} 隐患清单：{'、'.join(r['status'] for r in rows)}"
        (cleared if entry.rectified else listed).append(entry)
    return listed, cleared


# ---------------------------------------------------------------- case status

def issued_numbers(ws, case_id: str) -> dict[str, str]:
    """{document id: 文号} of the case's issued documents."""
    from docgen.archive import issued_for_case

    return {doc_id: item.metadata["number"] for doc_id, item in issued_for_case(ws, case_id).items()}


def git_history(ws, path) -> tuple[list[dict], str | None]:
    """Commits touching a case folder (newest first) and, when there is none to show, why."""
    def git(*args):
        return subprocess.run(["git", "-C", str(ws.root), *args], capture_output=True, text=True,
                              encoding="utf-8", errors="replace")

    try:
        if git("rev-parse", "--is-inside-work-tree").returncode != 0:
            return [], "工作区不是 git 仓库，没有修改历史（建议 git init 后提交案卷）"
    except FileNotFoundError:
        return [], "未安装 git，无法读取修改历史"
    log = git("log", "--follow", "--date=iso-strict", "--format=%H%x1f%an%x1f%ad%x1f%s", "--", str(path))
    if log.returncode != 0:
        return [], f"读取 git 历史失败：{log.stderr.strip()}"
    history = [dict(zip(("commit", "author", "date", "message"), line.split("\x1f", 3)))
               for line in log.stdout.splitlines() if line]
    dirty = git("status", "--porcelain", "--", str(path)).stdout.strip()
    note = None
    if not history:
        note = "案卷尚未提交到 git"
    elif dirty:
        note = "案卷有未提交的修改（git status 可查看）"
    return history, note


def case_status(ws, case_id: str, on: dt.date) -> dict:
    case = load_case(ws, case_id)
    docs = case.documents()
    numbers = issued_numbers(ws, case_id)
    deadlines = sorted(case_deadlines(case, on, docs), key=lambda d: (d.due, d.key))
    history, note = git_history(ws, case.path)
    return {
        "case": case.id, "title": case.values["title"], "kind": case.values["kind"],
        "status": case.values.get("status", ""), "path": ws.relative(case.path),
        "documents": [{"doc": d.id, "type": d.type.id, "type_name": d.type.name,
                       "title": d.title, "state": "issued" if d.id in numbers else "draft",
                       "number": numbers.get(d.id)} for d in docs],
        "deadlines": [d.as_dict(on) for d in deadlines],
        "history": history, "history_note": note,
    }


def overview(ws, on: dt.date) -> list[dict]:
    """One row per case: documents (issued of them) and open / overdue deadlines."""
    rows, problems = [], []
    for case_id in all_case_ids(ws):
        try:
            case = load_case(ws, case_id)
            docs = case.documents()
            deadlines = case_deadlines(case, on, docs)
        except DocgenError as exc:
            problems.extend(exc.problems)
            continue
        numbers = issued_numbers(ws, case_id)
        open_ = [d for d in deadlines if d.open]
        rows.append({"case": case.id, "title": case.values["title"], "kind": case.values["kind"],
                     "status": case.values.get("status", ""), "documents": len(docs),
                     "issued": sum(d.id in numbers for d in docs), "open": len(open_),
                     "overdue": sum(d.days_left(on) < 0 for d in open_)})
    if problems:
        raise DocgenError(problems)
    return rows
