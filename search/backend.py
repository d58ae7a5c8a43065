"""The seam between docgen and a search engine: index, search, rebuild.

docgen talks to search through a ``Backend``. ``WhooshBackend`` keeps the index in a folder
beside the archive, the right size for a county office; a province's archive could be
served by a search server instead (see docs/search-server.md for how the same fields and
queries map onto OpenSearch) by adding a class with the same four methods and choosing it
in ``backend``. Every backend parses the query with ``search.query`` and returns
``search.results.Results``, so the syntax, the folding of what people type and the JSON
shape of the hits stay the same whichever engine answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Protocol

from search.results import Results


class Backend(Protocol):
    def add(self, docs: Iterable[dict], *, source=None, notify=None) -> int:
        """Add or replace archive documents (on issue and import)."""

    def remove(self, archive_ids: Iterable[str], *, notify=None) -> None:
        """Drop documents by archive id."""

    def rebuild(self, docs: Iterable[dict], *, notify=None, procs: int = 1) -> int:
        """Replace everything with ``docs`` (every archive document)."""

    def search(self, query: str = "", **options) -> Results:
        """Hits for a query; see ``search`` below for the options."""


SORTS = {"relevance": "relevance", "date": "date", "newest": "date", None: None}


class WhooshBackend:
    """The archive's index in a local folder (``archive/.index``), through Whoosh."""

    def __init__(self, index_dir):
        self.index_dir = Path(index_dir)

    def add(self, docs, *, source=None, notify=None) -> int:
        from search.index import add_documents
        return add_documents(self.index_dir, docs, source=source, notify=notify)

    def remove(self, archive_ids, *, notify=None) -> None:
        from search.index import delete_documents
        delete_documents(self.index_dir, archive_ids, notify=notify)

    def rebuild(self, docs, *, notify=None, procs: int = 1) -> int:
        from search.index import rebuild
        return rebuild(self.index_dir, docs, notify=notify, procs=procs)

    def search(self, query: str = "", *, types: Mapping[str, str] | None = None, type=None,
               year=None, unit=None, number=None, case=None, date_from=None, date_to=None,
               limit: int | None = 20, sort: str | None = None,
               marks: tuple[str, str] | str = ("【", "】"), facets=(), source=None,
               notify=None) -> Results:
        from docgen.errors import DocgenError
        from search import query as sq
        from search.index import read_index
        if sort not in SORTS:
            raise DocgenError(f"排序方式「{sort}」无效，可用：relevance（相关度）、date（成文日期，最新在前）。")
        if limit is not None and limit < 1:
            raise DocgenError("显示条数须为正整数。")
        parsed = sq.parse(query)
        options = dict(type=type, year=year, unit=unit, number=number, case=case,
                       date_from=date_from, date_to=date_to)
        sq.plan(parsed, **options)             # a bad filter is reported before the index is opened
        return read_index(self.index_dir,
                          lambda searcher: _run(searcher, parsed, types or {}, options, limit,
                                                SORTS[sort], marks, tuple(facets)),
                          source=source, notify=notify)


FACETS = ("type", "type_name", "year")


def _run(searcher, parsed, types, options, limit, sort, marks, facets) -> Results:
    from whoosh.query import And

    from search import query as sq, results
    from search.engine import Engine
    engine = Engine(searcher)
    p = sq.plan(parsed, types=types, type_names=engine.type_names(), words=engine.words, **options)
    docs = engine.docs(And([p.filter, p.match]) if p.filter is not None else p.match)
    sort = sort or ("relevance" if p.has_text else "date")
    if sort == "relevance":
        order = engine.ranked(docs, p.boosts, limit)
    else:
        order = [(d, None) for d in engine.newest(docs, limit)]
    fmt = results.formatter(marks)
    hits = [results.Hit(searcher.stored_fields(d), score, p.terms, fmt) for d, score in order]
    counts = {name: engine.facet(name, docs) for name in facets if name in FACETS}
    return Results(engine.count(docs), hits, counts)


def backend(index_dir) -> Backend:
    """The backend for an archive's index folder (the only one so far: Whoosh)."""
    return WhooshBackend(index_dir)


def search(index_dir, query: str = "", **options) -> Results:
    """The one entry point for the command line and the web: the hits for a query as a
    ``Results`` (``.as_dict()`` is the JSON of ``docgen search --json``).

    Options: ``type``, ``year``, ``unit``, ``number``, ``case``, ``date_from``, ``date_to``
    (filters, as in the query syntax); ``limit`` (None: every hit); ``sort`` ("relevance",
    the default when there are words, or "date": newest first); ``marks`` (a pair of
    strings put around each match in snippets, or "html"); ``facets`` (of "type",
    "type_name", "year": the hits counted by each value, in ``Results.facets``); ``types``
    ({type id: Chinese name}, the workspace's declarations, so that 文种 names match);
    ``source`` (the archive, ``search.source.archive_source(root)``: a missing or damaged
    index is rebuilt from it, and items the index lacks are added) and ``notify``
    (receives the Chinese messages about that).
    """
    return backend(index_dir).search(query, **options)
