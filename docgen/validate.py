"""What `docgen check` verifies: office.yaml, the type declarations and their templates,
rules.yaml and the casefiles, including events that name a deadline their case does not have."""

from __future__ import annotations

import datetime as dt

from docgen import casefile
from docgen import rules as rulebook
from docgen.deadlines import case_deadlines
from docgen.errors import DocgenError, Problem
from docgen.templatecheck import check_templates
from docgen.workspace import Workspace


def check(ws: Workspace, case_ids: list[str] | None = None) -> list[Problem]:
    """Every problem found (default: in all casefiles), none raised."""
    return review(ws, case_ids).errors


def review(ws: Workspace, case_ids: list[str] | None = None) -> casefile.Review:
    """Every problem and every proofreader's warning found (default: in all casefiles)."""
    try:
        ws.office, ws.types
    except DocgenError as exc:
        return casefile.Review(exc.problems, [])
    try:
        rules, problems = rulebook.load(ws), []
    except DocgenError as exc:
        rules, problems = None, exc.problems

    def events(case, docs):
        # events that name a deadline the case does not have would silently close nothing
        case_deadlines(case, dt.date.max, docs, rules)

    found = casefile.review(ws, case_ids, events if rules else None)
    return casefile.Review(problems + check_templates(ws) + found.errors, found.warnings)
