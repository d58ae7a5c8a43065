"""What `docgen check` verifies: office.yaml, the type declarations, rules.yaml and the
casefiles, including events that name a deadline their case does not have."""

from __future__ import annotations

import datetime as dt

from docgen import rules as rulebook
from docgen.casefile import Case, all_case_ids, case_dir, load_case
from docgen.deadlines import case_deadlines
from docgen.errors import DocgenError, Problem
from docgen.workspace import Workspace


def check(ws: Workspace, case_ids: list[str] | None = None) -> list[Problem]:
    """Every problem found (default: in all casefiles), none raised."""
    problems: list[Problem] = []

    def collect(action):
        try:
            return action()
        except DocgenError as exc:
            problems.extend(exc.problems)
            return None

    if collect(lambda: (ws.office, ws.types)) is None:
        return problems
    rules = collect(lambda: rulebook.load(ws))
    for case_id in case_ids or all_case_ids(ws):
        case = collect(lambda: load_case(ws, case_id))
        # the documents are checked even when case.yaml is wrong: a new case has both to fill in
        folder = case.path if case else collect(lambda: case_dir(ws, case_id))
        if folder is None:
            continue
        docs = [collect(lambda: doc.load_document(path))
                for doc in [case or Case(ws, case_id, folder, {})] for path in doc.document_paths()]
        if case is not None and rules is not None and None not in docs:
            # events that name a deadline the case does not have would silently close nothing
            collect(lambda: case_deadlines(case, dt.date.max, docs, rules))
    return problems
