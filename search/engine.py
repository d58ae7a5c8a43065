"""Evaluating Whoosh queries as sets of documents, and putting hits in order.

Whoosh's own ``searcher.search`` scores every matching document in Python, a cost paid per
hit however few are shown. Here a query is evaluated as a set, through the public matcher
API (``reader.postings``, ``skip_to``, ``value_as("positions")``), narrowing as it goes:
each part of an ``And`` is evaluated within what the previous parts left, and a long
posting list is probed for those few documents instead of read whole. Ranking then
orders the set; it never adds to it.

A set is a Python int used as a byte map (byte *i* is 1 when document *i* is in it): And,
Or, And-not and counting (``int.bit_count``) run in C over one byte a document, and a
posting list becomes one with a single C-level scatter.

A ``Phrase`` of bigrams is decided exactly: its tiles (bigrams at offsets 0, 2, 4 … and
the last) must all be present, then their positions must line up in one document.

The sets of terms and phrases are kept per index reader (readers are kept open between
searches, see ``search.index``), as a search engine's filter cache does: an inspector's
next query usually shares words with the last one. A reader is replaced after every
commit, and its cache with it.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict, deque
from itertools import repeat

from whoosh import query as wq

# Probe a posting list for the candidates instead of reading it whole when it is this many
# times longer than the candidate set.
PROBE_RATIO = 8
SMALL_SORT = 2000          # sets up to this size are put in date order directly
CACHED_SETS = 256          # term and phrase sets kept per reader

DocSet = int


def _text(term) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


class _ReaderCache:
    """What is worth keeping while a reader stays open."""

    def __init__(self, reader):
        self.sets: OrderedDict = OrderedDict()
        self.n = reader.doc_count_all()
        if reader.has_deletions():
            marks = bytearray(self.n)
            deque(map(marks.__setitem__, reader.all_doc_ids(), repeat(1)), 0)
        else:
            marks = b"\x01" * self.n
        self.live: DocSet = int.from_bytes(marks, "little")
        self.df: dict = {}
        self.known: dict = {}
        self._type_names: list[str] | None = None
        self.dates: dict[int, int] = {}
        self.column = reader.column_reader("date") if self.n else None
        self.months = sorted((_text(t) for t in reader.lexicon("month")), reverse=True)

    def type_names(self, reader) -> list[str]:
        if self._type_names is None:
            self._type_names = [_text(t) for t in reader.lexicon("type_name")]
        return self._type_names

    def date(self, docnum: int) -> int:
        """A document's date as 20210305 (0 when undated)."""
        d = self.dates.get(docnum)
        if d is None:
            d = self.dates[docnum] = (self.column[docnum] or 0) if self.column is not None else 0
        return d


_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class Engine:
    """Set algebra over one searcher's reader."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        cache = _caches.get(self.reader)
        if cache is None:
            cache = _caches[self.reader] = _ReaderCache(self.reader)
        self.cache = cache
        self.n = cache.n

    # --- sets --------------------------------------------------------------------------------

    def universe(self) -> DocSet:
        return self.cache.live

    def count(self, docs: DocSet) -> int:
        return docs.bit_count()

    def _from_ids(self, ids) -> DocSet:
        marks = bytearray(self.n)
        deque(map(marks.__setitem__, ids, repeat(1)), 0)
        return int.from_bytes(marks, "little")

    def members(self, docs: DocSet) -> list[int]:
        """Document numbers in a set, ascending."""
        if not docs:
            return []
        raw = docs.to_bytes(self.n, "little")
        out, find = [], raw.find
        i = find(1)
        while i >= 0:
            out.append(i)
            i = find(1, i + 1)
        return out

    def _remember(self, key, docs: DocSet) -> DocSet:
        sets = self.cache.sets
        sets[key] = docs
        if len(sets) > CACHED_SETS:
            sets.popitem(last=False)
        return docs

    def _recall(self, key):
        sets = self.cache.sets
        if key in sets:
            sets.move_to_end(key)
            return sets[key]
        return None

    # --- leaves ------------------------------------------------------------------------------

    def df(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        n = self.cache.df.get(key)
        if n is None:
            n = self.cache.df[key] = self.reader.doc_frequency(fieldname, text)
        return n

    def type_names(self) -> list[str]:
        """The document type names the index holds."""
        return self.cache.type_names(self.reader)

    def words(self, run: str, longest: int = 4) -> list[str]:
        """A literal split into the title words the index knows (forward maximum matching,
        words of up to ``longest`` characters), or [] if some part is no title word: no
        jieba dictionary is loaded to search."""
        known = self.cache.known
        out, i = [], 0
        while i < len(run):
            for size in range(min(longest, len(run) - i), 0, -1):
                w = run[i:i + size]
                hit = known.get(w)
                if hit is None:
                    hit = known[w] = self.df("words", w) > 0
                if hit:
                    out.append(w)
                    i += size
                    break
            else:
                return []
        return out

    def term(self, fieldname: str, text: str, within: DocSet | None = None) -> DocSet:
        """Documents holding a term (deleted ones excluded), within ``within`` if given."""
        key = (fieldname, text)
        found = self._recall(key)
        if found is None:
            n = self.df(fieldname, text)
            if not n:
                return 0
            if within is not None and within.bit_count() * PROBE_RATIO < n:
                return self._probe(fieldname, text, within)
            ids = self.reader.postings(fieldname, text).all_ids()
            found = self._remember(key, self._from_ids(ids))
        return found if within is None else found & within

    def _probe(self, fieldname: str, text: str, cands: DocSet) -> DocSet:
        m = self.reader.postings(fieldname, text)
        found = []
        for d in self.members(cands):
            if not m.is_active():
                break
            m.skip_to(d)
            if m.is_active() and m.id() == d:
                found.append(d)
        return self._from_ids(found)

    def phrase(self, fieldname: str, grams: list[str], within: DocSet | None = None) -> DocSet:
        """Documents where ``grams`` occur at consecutive positions of ``fieldname``."""
        key = (fieldname, tuple(grams))
        found = self._recall(key)
        if found is not None:
            return found if within is None else found & within
        last = len(grams) - 1
        offsets = list(range(0, last + 1, 2))
        if offsets[-1] != last:
            offsets.append(last)
        tiles = sorted(((grams[o], o) for o in offsets), key=lambda t: self.df(fieldname, t[0]))
        # Every tile must be present; narrow within the caller's set only when that is
        # cheaper than finding the phrase's own set, which is then kept.
        narrow = within is not None and within.bit_count() * PROBE_RATIO < self.df(fieldname, tiles[0][0])
        cands = within if narrow else None
        for gram, _ in tiles:
            cands = self.term(fieldname, gram, cands)
            if not cands:
                return 0
        # Positions of each tile, rarest first, shifted back to where the phrase would start.
        matchers = [(self.reader.postings(fieldname, gram), o) for gram, o in tiles]
        hits = []
        for d in self.members(cands):
            starts = None
            for m, o in matchers:
                m.skip_to(d)
                shifted = {p - o for p in m.value_as("positions")}
                starts = shifted if starts is None else starts & shifted
                if not starts:
                    break
            if starts:
                hits.append(d)
        found = self._from_ids(hits)
        if not narrow:
            self._remember(key, found)
        return found if within is None else found & within

    # --- queries --------------------------------------------------------------------------

    def docs(self, q, within: DocSet | None = None) -> DocSet:
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
                    return 0
            return result if result is not None else self.universe()
        if isinstance(q, wq.Or):
            out = 0
            for sub in q.subqueries:
                out |= self.docs(sub, within)
            return out
        if isinstance(q, wq.Not):
            base = within if within is not None else self.universe()
            return base & ~self.docs(q.query, base)
        if isinstance(q, wq.Every):
            return within if within is not None else self.universe()
        if isinstance(q, wq.Prefix):
            out = 0
            for t in self.reader.expand_prefix(q.fieldname, q.text):
                out |= self.term(q.fieldname, _text(t), within)
            return out
        # Anything else (NumericRange …): Whoosh's own matcher.
        found = self._from_ids(q.matcher(self.searcher).all_ids()) if q.estimate_size(self.reader) else 0
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
        return self.n / 2

    def facet(self, fieldname: str, docs: DocSet) -> dict[str, int]:
        """{value: how many of ``docs`` have it} for every value of an ID field."""
        out = {}
        for value in (_text(t) for t in self.reader.lexicon(fieldname)):
            n = (docs & self.term(fieldname, value)).bit_count() if docs else 0
            if n:
                out[value] = n
        return out

    # --- order ------------------------------------------------------------------------------

    def newest(self, docs: DocSet, k: int | None) -> list[int]:
        """Up to ``k`` of ``docs``, newest first (undated last; then by document number)."""
        count = docs.bit_count()
        if not count:
            return []
        date = self.cache.date
        if k is None or count <= SMALL_SORT:
            return sorted(self.members(docs), key=lambda d: (date(d), d), reverse=True)[:k]
        # Large sets: month by month from the newest, stopping once k are found.
        out: list[int] = []
        seen = 0
        for month in self.cache.months:
            inside = self.term("month", month, docs)
            if inside:
                seen |= inside
                out += sorted(self.members(inside), key=lambda d: (date(d), d), reverse=True)
                if len(out) >= k:
                    return out[:k]
        return (out + self.members(docs & ~seen)[::-1])[:k]      # undated ones last

    def ranked(self, docs: DocSet, boosts, k: int | None) -> list[tuple[int, float]]:
        """(docnum, score) of up to ``k`` of ``docs``, best first, newest first within a
        score: 1, plus each boost whose query the document matches."""
        groups = {1.0: docs}
        for extra, q in boosts:
            found = self.docs(q, docs)
            if not found:
                continue
            split: dict[float, DocSet] = {}
            for score, group in groups.items():
                inside = group & found
                if inside:
                    split[score + extra] = split.get(score + extra, 0) | inside
                if inside != group:
                    split[score] = split.get(score, 0) | (group & ~found)
            groups = split
        out: list[tuple[int, float]] = []
        for score in sorted(groups, reverse=True):
            need = None if k is None else k - len(out)
            if need == 0:
                break
            out += [(d, score) for d in self.newest(groups[score], need)]
        return out
