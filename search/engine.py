"""Evaluating Whoosh queries as sets of document numbers, and putting hits in order.

Whoosh's own ``searcher.search`` scores every matching document in Python, a cost paid per
hit however few are shown. Here a query is evaluated as a set, through the public matcher
API (``reader.postings``, ``skip_to``, ``value_as("positions")``), narrowing as it goes:
each part is evaluated only within the documents the previous parts left, and a long
posting list is probed for those few documents instead of read whole. Ranking then
orders the set; it never adds to it.

A ``Phrase`` of bigrams is decided exactly: its tiles (bigrams at offsets 0, 2, 4 … and
the last) must all be present, then their positions must line up in one document.
"""

from __future__ import annotations

from whoosh import query as wq

# Read a posting list whole when it is at most this many times longer than the candidate
# set; otherwise look the candidates up in it one by one (skip_to).
PROBE_RATIO = 8
SMALL_SORT = 3000          # sets up to this size are put in date order directly


def _text(term) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


class Engine:
    """Set algebra over one searcher; caches posting sets for the duration of a query."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self._sets: dict = {}
        self._universe: set[int] | None = None
        self._date = None

    # --- leaves ------------------------------------------------------------------------------

    def universe(self) -> set[int]:
        if self._universe is None:
            self._universe = set(self.reader.all_doc_ids())
        return self._universe

    def df(self, fieldname: str, text: str) -> int:
        return self.reader.doc_frequency(fieldname, text)

    def term(self, fieldname: str, text: str, within: set[int] | None = None) -> set[int]:
        """Documents holding a term (deleted ones excluded), within ``within`` if given."""
        key = (fieldname, text)
        if key in self._sets:
            found = self._sets[key]
            return found if within is None else found & within
        n = self.df(fieldname, text)
        if not n:
            return set()
        if within is not None and len(within) * PROBE_RATIO < n:
            return self._probe(fieldname, text, within)
        m = self.reader.postings(fieldname, text)
        found = set()
        add = found.add
        while m.is_active():
            add(m.id())
            m.next()
        self._sets[key] = found
        return found if within is None else found & within

    def _probe(self, fieldname: str, text: str, cands: set[int]) -> set[int]:
        m = self.reader.postings(fieldname, text)
        found = set()
        for d in sorted(cands):
            if not m.is_active():
                break
            m.skip_to(d)
            if m.is_active() and m.id() == d:
                found.add(d)
        return found

    def phrase(self, fieldname: str, grams: list[str], within: set[int] | None = None) -> set[int]:
        """Documents where ``grams`` occur at consecutive positions of ``fieldname``."""
        last = len(grams) - 1
        offsets = list(range(0, last + 1, 2))
        if offsets[-1] != last:
            offsets.append(last)
        tiles = sorted(((grams[o], o) for o in offsets), key=lambda t: self.df(fieldname, t[0]))
        cands = within
        for gram, _ in tiles:
            cands = self.term(fieldname, gram, cands)
            if not cands:
                return set()
        # Positions of each tile, rarest first, shifted back to where the phrase would start.
        matchers = [(self.reader.postings(fieldname, gram), o) for gram, o in tiles]
        found = set()
        for d in sorted(cands):
            starts = None
            for m, o in matchers:
                m.skip_to(d)
                shifted = {p - o for p in m.value_as("positions")}
                starts = shifted if starts is None else starts & shifted
                if not starts:
                    break
            if starts:
                found.add(d)
        return found

    # --- queries --------------------------------------------------------------------------

    def docs(self, q, within: set[int] | None = None) -> set[int]:
        """The documents matching a Whoosh query (within ``within`` if given)."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, within)
        if isinstance(q, wq.Phrase):
            return self.phrase(q.fieldname, list(q.words), within)
        if isinstance(q, wq.And):
            result = within
            for sub in sorted(q.subqueries, key=self._cost):
                result = self.docs(sub, result)
                if not result:
                    return set()
            return result if result is not None else self.universe()
        if isinstance(q, wq.Or):
            out: set[int] = set()
            for sub in q.subqueries:
                out |= self.docs(sub, within)
            return out
        if isinstance(q, wq.Not):
            base = within if within is not None else self.universe()
            return base - self.docs(q.query, base)
        if isinstance(q, wq.Every):
            return set(within) if within is not None else self.universe()
        if isinstance(q, wq.Prefix):
            out = set()
            for t in self.reader.expand_prefix(q.fieldname, q.text):
                out |= self.term(q.fieldname, _text(t), within)
            return out
        # Anything else (NumericRange …): Whoosh's own matcher.
        found = set(q.matcher(self.searcher).all_ids()) if q.estimate_size(self.reader) else set()
        return found if within is None else found & within

    def _cost(self, q) -> float:
        """A guess at a query's result size, so that And evaluates the smallest first and
        the rest only within it; negations and ranges last."""
        if isinstance(q, wq.Term):
            return self.df(q.fieldname, q.text)
        if isinstance(q, wq.Phrase):
            return min(self.df(q.fieldname, w) for w in q.words)
        if isinstance(q, wq.Or):
            return sum(self._cost(s) for s in q.subqueries)
        if isinstance(q, wq.And):
            return min(self._cost(s) for s in q.subqueries)
        if isinstance(q, (wq.Not, wq.Every)):
            return float("inf")
        return self.reader.doc_count_all() / 2

    # --- order ------------------------------------------------------------------------------

    def date_of(self, docnum: int) -> int:
        if self._date is None:
            self._date = self.reader.column_reader("date")
        return self._date[docnum] or 0

    def newest(self, docs: set[int], k: int | None) -> list[int]:
        """Up to ``k`` of ``docs``, newest first (undated last, then by document number)."""
        if not docs:
            return []
        if k is None or len(docs) <= SMALL_SORT:
            return sorted(docs, key=lambda d: (self.date_of(d), d), reverse=True)[:k]
        # Large sets: month by month from the newest, stopping once k are found.
        out: list[int] = []
        for month in sorted(map(_text, self.reader.lexicon("month")), reverse=True):
            inside = self.term("month", month, docs)
            out += sorted(inside, key=lambda d: (self.date_of(d), d), reverse=True)
            if len(out) >= k:
                return out[:k]
        dated = set(out)
        return (out + sorted((d for d in docs if d not in dated), reverse=True))[:k]

    def ranked(self, docs: set[int], boosts, k: int | None) -> list[tuple[int, float]]:
        """(docnum, score) of up to ``k`` of ``docs``, best first, newest first within a
        score: 1, plus each boost whose query the document matches."""
        groups = {1.0: docs}
        for extra, q in boosts:
            found = self.docs(q, docs)
            if not found:
                continue
            split: dict[float, set[int]] = {}
            for score, group in groups.items():
                inside = group & found
                if inside:
                    split[score + extra] = split.get(score + extra, set()) | inside
                if len(inside) < len(group):
                    split[score] = split.get(score, set()) | (group - inside)
            groups = split
        out: list[tuple[int, float]] = []
        for score in sorted(groups, reverse=True):
            need = None if k is None else k - len(out)
            if need == 0:
                break
            out += [(d, score) for d in self.newest(groups[score], need)]
        return out
