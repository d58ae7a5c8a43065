"""Where each case stands: its documents (draft or issued, and whether one was edited after it
was issued), its deadlines reckoned from what was issued, its git history.

This sits above the archive and the deadlines: what was issued comes from the register and the
archive (each issued item keeps the casefile document as issued) and is handed down to
docgen.deadlines, which never looks upward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from docgen import provenance
from docgen.archive import Archive
from docgen.casefile import Case, Document, Review, all_case_ids, load_case
from docgen.deadlines import case_deadlines
from docgen.errors import DocgenError


@dataclass
class Drift:
    """A casefile document that differs from the version issued under `number`."""

    case: str
    doc: str
    number: str
    archive_id: str
    file: str
    fields: list[str]  # names of the fields whose values changed; empty when the file is gone

    @property
    def message(self) -> str:
        what = f"签发（{self.number}，档号 {self.archive_id}）后"
        if not self.fields:
            return f"{what}已从案卷中删除；已发出的公文以档案为准"
        return (f"{what}又被修改，与发出的公文不符：{'、'.join(self.fields)}。已发出的公文以档案为准，"
                "期限按签发时的内容计算；如需更正请另行发文")

    def as_dict(self) -> dict:
        return {"case": self.case, "doc": self.doc, "number": self.number, "archive_id": self.archive_id,
                "file": self.file, "fields": self.fields, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file}：{self.message}"


class Issued:
    """The documents a workspace has issued (register lines, read once) and their versions as
    issued (kept in each archived item)."""

    def __init__(self, ws):
        self.ws = ws
        self.archive = Archive(ws)
        self.rows = self.archive.issued()

    def numbers(self, case_id: str) -> dict[str, str]:
        return {doc: row.number for (case, doc), row in self.rows.items() if case == case_id}

    def version(self, case: Case, doc_id: str) -> Document | None:
        """The document as issued, or None (not issued, or its item cannot be read: verify
        names that)."""
        row = self.rows.get((case.id, doc_id))
        if row is None:
            return None
        kept = self.archive.root / row.archive_id / f"{doc_id}.yaml"
        if not kept.is_file():
            return None
        try:
            return case.load_document(kept)
        except DocgenError:
            return None

    def documents(self, case: Case, docs: list[Document] | None = None) -> list[Document]:
        """The case's documents with every issued one as it was issued: deadlines run from
        what went out, not from later edits (nor vanish with a deleted file)."""
        docs = case.documents() if docs is None else docs
        have = {d.id for d in docs}
        out = [self.version(case, d.id) or d for d in docs]
        out += [v for (c, doc_id) in self.rows if c == case.id and doc_id not in have
                for v in [self.version(case, doc_id)] if v]
        return out

    def drift(self, case: Case, docs: list[Document]) -> list[Drift]:
        found = []
        current = {d.id: d for d in docs}
        for (case_id, doc_id), row in self.rows.items():
            if case_id != case.id:
                continue
            issued = self.version(case, doc_id)
            now = current.get(doc_id)
            if issued is None:
                continue
            shown = self.ws.relative(case.path / f"{doc_id}.yaml")
            if now is None:
                found.append(Drift(case.id, doc_id, row.number, row.archive_id, shown, []))
                continue
            changed = [name for name in dict.fromkeys([*issued.values, *now.values])
                       if issued.values.get(name) != now.values.get(name)]
            if changed:
                labels = [f"{n}（{now.type.fields[n].label}）" if n in now.type.fields else n for n in changed]
                found.append(Drift(case.id, doc_id, row.number, row.archive_id, shown, labels))
        return found


def check(ws, case_ids: list[str] | None = None) -> tuple[Review, list[Drift]]:
    """`docgen check`: every problem and proofreader's warning (docgen.validate) and every
    issued document edited since."""
    from docgen.validate import review

    report = review(ws, case_ids)
    issued = Issued(ws)
    drifts: list[Drift] = []
    for case_id in case_ids or all_case_ids(ws):
        try:
            case = load_case(ws, case_id)
            docs = case.documents()
        except DocgenError:
            continue  # validate has named it
        drifts += issued.drift(case, docs)
    return report, drifts


def case_status(ws, case_id: str, on: dt.date) -> dict:
    case = load_case(ws, case_id)
    docs = case.documents()
    issued = Issued(ws)
    numbers = issued.numbers(case_id)
    drifts = {d.doc: d for d in issued.drift(case, docs)}
    deadlines = sorted(case_deadlines(case, on, issued.documents(case, docs)), key=lambda d: (d.due, d.key))
    history, note = provenance.history(ws.root, case.path)
    return {
        "case": case.id, "title": case.values["title"], "kind": case.values["kind"],
        "status": case.values.get("status", ""), "path": ws.relative(case.path),
        "documents": [{"doc": d.id, "type": d.type.id, "type_name": d.type.name,
                       "title": d.title, "state": "issued" if d.id in numbers else "draft",
                       "number": numbers.get(d.id),
                       "drift": drifts[d.id].as_dict() if d.id in drifts else None} for d in docs],
        "drift": [d.as_dict() for d in drifts.values()],
        "deadlines": [d.as_dict(on) for d in deadlines],
        "history": history, "history_note": note,
    }


def overview(ws, on: dt.date) -> list[dict]:
    """One row per case: documents (issued of them, edited after issue of them) and open /
    overdue deadlines."""
    from docgen import rules as rulebook

    rows, problems = [], []
    issued, rules = Issued(ws), rulebook.load(ws)
    for case_id in all_case_ids(ws):
        try:
            case = load_case(ws, case_id)
            docs = case.documents()
            deadlines = case_deadlines(case, on, issued.documents(case, docs), rules)
        except DocgenError as exc:
            problems.extend(exc.problems)
            continue
        numbers = issued.numbers(case_id)
        open_ = [d for d in deadlines if d.open]
        rows.append({"case": case.id, "title": case.values["title"], "kind": case.values["kind"],
                     "status": case.values.get("status", ""), "documents": len(docs),
                     "issued": sum(d.id in numbers for d in docs), "drifted": len(issued.drift(case, docs)),
                     "open": len(open_), "overdue": sum(d.days_left(on) < 0 for d in open_)})
    if problems:
        raise DocgenError(problems)
    return rows
