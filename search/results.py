"""Hits as the command line and the web show them: fields, score, highlighted snippet, JSON.

Snippets mark exactly what matched: the query's literals are found in the folded text
(``analysis.fold_mapped``), marked in the original characters, and laid out with
``whoosh.highlight``'s ``Fragment`` and formatters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from whoosh.highlight import Formatter, Fragment, HtmlFormatter, get_text

from search import analysis
from search.index import body_text

SNIPPET_WIDTH = 90
ELLIPSIS = "……"
JSON_FIELDS = ("archive_id", "number", "title", "type", "date", "units", "snippet", "score", "path")


class Hit:
    """One matching document as shown: what its metadata says, its score (None when sorted
    by date), and a snippet of its text with the matches marked (made when first asked for:
    a caller listing every hit's id need not pay for it)."""

    def __init__(self, stored: dict, score: float | None, literals: list[str], fmt: Formatter):
        info = stored["info"]
        self.archive_id: str = info["archive_id"]
        self.number: str = info["number"]
        self.title: str = info["title"]
        self.type: str = info["type"]
        self.type_name: str = info["type_name"]
        self.date: str = info["date"]
        self.units: list[str] = info["units"]
        self.path: str = info["path"]
        self.score = score
        self._make = lambda: snippet(body_text(stored), literals, fmt)

    @cached_property
    def snippet(self) -> str:
        return self._make()

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in JSON_FIELDS}


@dataclass
class Results:
    total: int
    hits: list[Hit]
    # {field: {value: number of hits}} for the fields asked for (the web page's facets);
    # not part of the JSON of `docgen search`.
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The shape of ``docgen search --json`` (and of the web's /api/search)."""
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits]}


class MarkFormatter(Formatter):
    """Marks a match with a pair of strings: 【】 in plain text, colours on a terminal."""

    between = ELLIPSIS

    def __init__(self, marks: tuple[str, str] = ("【", "】")):
        self.marks = marks

    def format_token(self, text, token, replace=False):
        return self.marks[0] + get_text(text, token, replace) + self.marks[1]


def formatter(marks: tuple[str, str] | str = ("【", "】")) -> Formatter:
    """``marks`` is a pair of strings, or "html" for escaped text with <mark> elements."""
    if marks == "html":
        return HtmlFormatter(tagname="mark", classname="hit", termclass="t", between=ELLIPSIS)
    return MarkFormatter(marks)


@dataclass
class _Match:
    startchar: int
    endchar: int
    text: str
    boost: float = 1.0


def matches(text: str, literals: list[str]) -> list[_Match]:
    """Where each folded literal occurs in ``text``, as character ranges of ``text``."""
    # Folding never changes Chinese characters: a line without a literal's longest run of
    # them cannot hold it, and needs no folding.
    anchors = [max(analysis.CJK_RUN.findall(lit), key=len, default="") for lit in literals]
    found, start = [], 0
    for line in text.splitlines(keepends=True):
        if all(a and a not in line for a in anchors):
            start += len(line)
            continue
        folded = analysis.fold_line(line)
        if not any(lit in folded for lit in literals):
            start += len(line)
            continue
        folded, offsets = analysis.fold_mapped(line.rstrip("\r\n"))
        for lit in literals:
            i = folded.find(lit)
            while i >= 0:
                found.append(_Match(start + offsets[i], start + offsets[i + len(lit) - 1] + 1, lit))
                i = folded.find(lit, i + 1)
        start += len(line)
    found.sort(key=lambda m: (m.startchar, -m.endchar))
    return found


def snippet(text: str, literals: list[str], fmt: Formatter, width: int = SNIPPET_WIDTH) -> str:
    """A window of ``text`` around the densest cluster of matches, the matches marked."""
    flat = re.sub(r"\s", " ", text)            # one for one, so offsets stay valid
    spans = matches(text, literals)
    if not spans:
        body = re.sub(r" {2,}", " ", flat).strip()
        return body[:width] + (ELLIPSIS if len(body) > width else "")
    # Window start: the match whose window holds the most distinct literals, then most matches.
    best, best_key = 0, (-1, -1)
    for i, m in enumerate(spans):
        inside = [s for s in spans[i:] if s.endchar <= m.startchar + width]
        key = (len({s.text for s in inside}), len(inside))
        if key > best_key:
            best, best_key = i, key
    lo = max(0, spans[best].startchar - width // 4)
    hi = min(len(flat), lo + width)
    lo = max(0, min(lo, hi - width))
    shown: list[_Match] = []
    for m in spans:                 # overlapping or touching matches are marked as one
        if not (lo <= m.startchar and m.endchar <= hi):
            continue
        if shown and m.startchar <= shown[-1].endchar:
            shown[-1].endchar = max(shown[-1].endchar, m.endchar)
        else:
            shown.append(_Match(m.startchar, m.endchar, m.text))
    body = fmt.format_fragment(Fragment(flat, shown, lo, hi))
    body = re.sub(r" {2,}", " ", body)
    return (ELLIPSIS if lo > 0 else "") + body.strip() + (ELLIPSIS if hi < len(flat) else "")
