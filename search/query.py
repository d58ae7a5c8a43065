"""User queries → matching documents (as sets), ranking, and highlighted snippets.

Syntax (what an inspector types):
  约谈 城关镇            every word must match (a word matches wherever it appears literally)
  "安全生产 责任制"      a quoted phrase (also “…”)
  约谈 OR 通报           either
  NOT 批评 / -批评       exclude
  type:summons year:2021 unit:城关镇 case:2021-yt-001   filters (also 文种: 年度: 单位: 案卷:)
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from bisect import bisect_left, bisect_right
from collections import deque
from itertools import accumulate, chain, islice, repeat
from pathlib import Path

from docgen.errors import DocgenError
from search.index import (Notify, Source, body_text, fold, read_index, run_grams, runs,
                          word_runs)

FIELDS = {
    "type": "type", "文种": "type", "类型": "type",
    "year": "year", "年度": "year", "年份": "year",
    "unit": "unit", "单位": "unit",
    "case": "case", "案卷": "case", "案卷号": "case",
}
FIELD_HELP = "type（文种）、year（年度）、unit（单位）、case（案卷号）"
FIELD_EXAMPLES = {"type": "type:summons", "year": "year:2021", "unit": "unit:城关镇", "case": "case:2021-yt-001"}

# Ranking weights: a title hit or a whole-word (jieba) hit must outweigh any amount of
# characters-only matching in the text.
EXACT_BOOST = 16.0    # the query is a document's 文号 or archive id
TITLE_BOOST = 8.0
WORD_BOOST = 4.0
SMALL_SORT = 2000     # sets up to this size are date-sorted from the day column
PROBE_RATIO = 16      # look up members instead of reading postings 16x longer than the set
CHEAP_POSTINGS = 5000  # posting lists this short are always read whole
MAX_WORD = 8          # longest word tried when segmenting a query against the index lexicon


# --- parsing -----------------------------------------------------------------------------

@dataclass
class Atom:
    text: str                     # the literal (for field atoms: the value)
    field: str | None = None      # canonical field name, or None for text


@dataclass
class Clause:
    atoms: list[Atom]             # alternatives joined by OR
    negated: bool = False


@dataclass
class Parsed:
    clauses: list[Clause] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        """Positive text literals, for highlighting."""
        return [a.text for c in self.clauses if not c.negated for a in c.atoms if a.field is None]


_QUOTES = {'"': '"', "“": "”", "”": "”"}
_FIELD = re.compile(r"^([A-Za-z_]+|[\u4e00-\u9fff]{2,3})[:：](.*)$", re.S)


def _lex(text: str) -> list[tuple[str, bool]]:
    """Split into (token, quoted). Spaces (including the ideographic space) separate."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        # A token runs to the next space, but a quote inside it (e.g. unit:"城关 镇") spans spaces.
        buf, quoted = [], False
        while i < n and not text[i].isspace():
            if text[i] in _QUOTES:
                close = _QUOTES[text[i]]
                j = text.find(close, i + 1)
                if close == "”" and j < 0:
                    j = text.find('"', i + 1)
                if j < 0:
                    raise DocgenError(f"检索式有未闭合的引号：{text[i:]}")
                buf.append(text[i + 1:j])
                quoted = True
                i = j + 1
            else:
                buf.append(text[i])
                i += 1
        out.append(("".join(buf), quoted))
    return out


def parse(text: str) -> Parsed:
    """Parse a query; raises DocgenError with a Chinese explanation if it is malformed."""
    tokens = _lex(text or "")
    clauses: list[Clause] = []
    pending_or = False
    i = 0
    while i < len(tokens):
        tok, quoted = tokens[i]
        i += 1
        if not quoted and tok == "AND":
            continue
        if not quoted and tok == "OR":
            if not clauses or pending_or or clauses[-1].negated:
                raise DocgenError("检索式中 OR 的两边都要有检索词（且不能与 NOT 连用），如：约谈 OR 通报")
            pending_or = True
            continue
        negated = False
        if not quoted and tok == "NOT":
            if i >= len(tokens):
                raise DocgenError("检索式中 NOT 后面缺少要排除的检索词，如：NOT 批评")
            tok, quoted = tokens[i]
            i += 1
            negated = True
        elif not quoted and tok.startswith("-"):
            tok = tok[1:]
            if not tok:
                raise DocgenError("检索式中减号后面缺少要排除的检索词，如：-批评")
            negated = True
        atom = _atom(tok, quoted)
        if pending_or:
            if negated:
                raise DocgenError("检索式中 OR 的两边都要有检索词（且不能与 NOT 连用），如：约谈 OR 通报")
            clauses[-1].atoms.append(atom)
            pending_or = False
        else:
            clauses.append(Clause([atom], negated))
    if pending_or:
        raise DocgenError("检索式以 OR 结尾，OR 后面缺少检索词，如：约谈 OR 通报")
    return Parsed(clauses)


def _atom(tok: str, quoted: bool) -> Atom:
    m = None if quoted else _FIELD.match(tok)
    if m and (m.group(1).lower() in FIELDS or m.group(1) in FIELDS):
        name = FIELDS.get(m.group(1).lower()) or FIELDS[m.group(1)]
        value = m.group(2).strip().strip('"“”')
        if not value:
            raise DocgenError(f"检索字段「{m.group(1)}」后面缺少取值，如：{FIELD_EXAMPLES.get(name, name + ':…')}")
        if name == "year":
            _years(value)
        return Atom(value, name)
    if m and re.fullmatch(r"[A-Za-z_]+", m.group(1)):
        raise DocgenError(f"不认识的检索字段「{m.group(1)}」，可用的有：{FIELD_HELP}。"
                          f"如要查找这段文字本身，请加引号：\"{tok}\"")
    if not word_runs(fold(tok)):
        raise DocgenError(f"检索词「{tok}」不含可检索的汉字、字母或数字。")
    return Atom(tok)


def _years(value: str) -> list[str]:
    m = re.fullmatch(r"(\d{4})(?:\s*[-~至]\s*(\d{4}))?", value)
    if not m or (m.group(2) and m.group(2) < m.group(1)):
        raise DocgenError(f"年度「{value}」应为四位年份或年份范围，如 2021 或 2019-2021。")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    return [str(y) for y in range(first, last + 1)]


def parse_date(value, *, end: bool = False) -> _dt.date | None:
    """YYYY-MM-DD, YYYY-MM or YYYY; a bound given as month/year covers it whole."""
    if value in (None, ""):
        return None
    if isinstance(value, _dt.date):
        return value
    s = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}", s):
            return _dt.date(int(s), 12, 31) if end else _dt.date(int(s), 1, 1)
        if re.fullmatch(r"\d{4}-\d{1,2}", s):
            y, mth = map(int, s.split("-"))
            first = _dt.date(y, mth, 1)
            if not end:
                return first
            return (first.replace(day=28) + _dt.timedelta(days=4)).replace(day=1) - _dt.timedelta(days=1)
        return _dt.date.fromisoformat(s if len(s) == 10 else "-".join(
            p.zfill(2) for p in s.split("-")))
    except ValueError:
        raise DocgenError(f"日期「{value}」无法识别，应为 YYYY-MM-DD（如 2021-03-05）、YYYY-MM 或 YYYY。") from None


# --- evaluating ----------------------------------------------------------------------------
#
# Queries are evaluated as document sets, not scored by Whoosh's matchers: those score every
# matching document in Python (~20 µs each), far too slow when a common word matches most of
# a 100,000-document archive. A set is a Python int used as a byte map (byte i is 1 when
# document i is in it): AND, OR, AND NOT and counting (int.bit_count) then run in C over
# N bytes, and building one from a posting list is a single C-level scatter. The ranking
# the issue asks for (文号 > title > whole words > characters only, newest first within)
# is a handful of such operations.

DocSet = int


class Engine:
    """Document-set algebra over one index reader; caches postings for one query."""

    def __init__(self, reader):
        self.reader = reader
        self.leaves = reader.leaf_readers()
        self.n = reader.doc_count_all()
        deleted = bytearray(self.n)
        for seg, base in self.leaves:
            if seg.has_deletions():
                for d in seg.deleted_docs_set:
                    deleted[base + d] = 1
        self.live = self.all_bytes() & ~int.from_bytes(deleted, "little")
        self._cache: dict = {}

    def all_bytes(self) -> DocSet:
        return int.from_bytes(b"\x01" * self.n, "little")

    def all(self) -> DocSet:
        return self.live

    def count(self, docs: DocSet) -> int:
        return docs.bit_count()

    def members(self, docs: DocSet, reverse: bool = False) -> list[int]:
        """Document numbers in a set, ascending (or descending)."""
        if not docs:
            return []
        raw = docs.to_bytes(self.n, "little")
        out, find = [], raw.find
        i = find(1)
        while i >= 0:
            out.append(i)
            i = find(1, i + 1)
        return out[::-1] if reverse else out

    def ids(self, fieldname: str, text: str) -> DocSet:
        key = (fieldname, text)
        if key not in self._cache:
            self._cache[key] = self._scatter([(fieldname, text)])
        return self._cache[key]

    def _scatter(self, terms) -> DocSet:
        marks = bytearray(self.n)
        put = marks.__setitem__
        for fieldname, text in terms:
            for seg, base in self.leaves:
                if (fieldname, text) in seg:
                    deque(map(put, _posting_ids(seg, base, fieldname, text), repeat(1)), 0)
        return int.from_bytes(marks, "little")

    def prefix(self, fieldname: str, prefix: str) -> DocSet:
        terms = [(fieldname, t if isinstance(t, str) else t.decode("utf-8"))
                 for t in self.reader.expand_prefix(fieldname, prefix)]
        return self._scatter(terms)

    def terms(self, fieldname: str, prefix: str = "") -> list[str]:
        key = ("terms", fieldname, prefix)
        if key not in self._cache:
            self._cache[key] = [t if isinstance(t, str) else t.decode("utf-8")
                                for t in (self.reader.expand_prefix(fieldname, prefix) if prefix
                                          else self.reader.field_terms(fieldname))]
        return self._cache[key]

    def literal(self, fieldname: str, text: str, trifield: str | None = None) -> DocSet:
        """Documents whose ``fieldname`` holds every bigram of ``text`` (every trigram of
        runs of three or more, when a ``trifield`` indexes them): all the documents that
        contain it literally, as a substring scan finds them."""
        terms, extra, prefixes = {}, {}, []
        for run in runs(fold(text)):
            if len(run) == 1:
                # A character either starts a bigram or ends a run (indexed alone).
                prefixes.append(lambda r=run: self.prefix(fieldname, r))
            elif len(run) == 2 or trifield is None:
                terms.update(dict.fromkeys((fieldname, g) for g in run_grams(run)))
            else:
                tiles = _tiles(run)
                terms.update(dict.fromkeys((trifield, g) for g in tiles))
                extra.update(dict.fromkeys((trifield, g) for g in run_grams(run, 3) if g not in tiles))
        if not terms:
            return _intersect(prefixes)
        result = self.all_of(list(terms), refine=list(extra))
        for prefix in prefixes if result else ():
            result &= prefix()
        return result

    def words(self, text: str) -> DocSet:
        """Documents where ``text`` occurs as whole jieba words (ranking only)."""
        return self.all_of([("words", w) for run in word_runs(fold(text)) for w in self._segment(run)])

    def all_of(self, terms: list[tuple[str, str]], refine=()) -> DocSet:
        """Documents holding every term, plus those of ``refine`` that are cheap to apply.

        Rarest first, so an empty result stops early. Once the result is far smaller than
        a term's posting list, its members are looked up in that list block by block
        instead of reading the whole list. ``refine`` terms (the trigrams between the
        tiles) only sharpen the answer, so they are skipped when they would cost a full
        read of a long posting list.
        """
        if not terms:
            return 0
        df = self.reader.doc_frequency
        terms = sorted(dict.fromkeys(terms), key=lambda t: df(*t))
        result = self.ids(*terms[0])
        for t in terms[1:] + sorted(refine, key=lambda t: df(*t)):
            if not result:
                return 0
            n = df(*t)
            if t in self._cache or n <= CHEAP_POSTINGS:
                result &= self.ids(*t)
            elif result.bit_count() * PROBE_RATIO < n:
                result = self._probe(result, t)
            elif t not in refine:
                result &= self.ids(*t)
        return result

    def _probe(self, docs: DocSet, term: tuple[str, str]) -> DocSet:
        marks = bytearray(self.n)
        cands = self.members(docs)
        for seg, base in self.leaves:
            lo = bisect_left(cands, base)
            hi = bisect_left(cands, base + seg.doc_count_all())
            if lo < hi and term in seg:
                for d in _probe_postings(seg, term, [c - base for c in cands[lo:hi]]):
                    marks[base + d] = 1
        return int.from_bytes(marks, "little")

    def _segment(self, run: str) -> list[str]:
        """Split a run into words the index knows (forward maximum matching on the
        ``words`` lexicon), so no jieba dictionary is loaded at query time."""
        out, i = [], 0
        while i < len(run):
            for size in range(min(MAX_WORD, len(run) - i), 0, -1):
                w = run[i:i + size]
                if size == 1 or ("words", w) in self.reader:
                    out.append(w)
                    i += size
                    break
        return out

    def date_range(self, lo: _dt.date | None, hi: _dt.date | None) -> DocSet:
        """Documents dated lo..hi, from whole years, whole months and single days."""
        lo = lo or _dt.date(1, 1, 1)
        hi = hi or _dt.date(9999, 12, 31)
        terms = []
        for y in self.terms("year"):
            if not lo.year <= int(y) <= hi.year:
                continue
            if lo <= _dt.date(int(y), 1, 1) and _dt.date(int(y), 12, 31) <= hi:
                terms.append(("year", y))
                continue
            for m in self.terms("month", y):
                first, last = _dt.date(int(y), int(m[5:7]), 1), parse_date(m, end=True)
                if last < lo or first > hi:
                    continue
                if lo <= first and last <= hi:
                    terms.append(("month", m))
                    continue
                terms += [("day", d) for d in self.terms("day", m)
                          if lo.isoformat() <= d <= hi.isoformat()]
        return self._scatter(terms)

    def newest(self, docs: DocSet, k: int | None) -> list[int]:
        """Up to k of ``docs``, newest first (undated last, then by document number)."""
        if not docs:
            return []
        if k is None or self.count(docs) <= SMALL_SORT:
            day = self._day_column()
            return sorted(self.members(docs), key=lambda d: (day(d), d), reverse=True)[:k]
        # Large sets: walk month then day postings backwards and stop once k are found.
        out: list[int] = []
        for m in reversed(self.terms("month")):
            in_month = docs & self.ids("month", m)
            if not in_month:
                continue
            for d in reversed(self.terms("day", m)):
                out += self.members(in_month & self.ids("day", d), reverse=True)
                if len(out) >= k:
                    return out[:k]
        # Fewer than k dated: the undated ones follow.
        dated = set(out)
        return (out + [d for d in self.members(docs, reverse=True) if d not in dated])[:k]

    def _day_column(self):
        if not hasattr(self, "_days"):
            readers = [(base, seg.column_reader("day")) for seg, base in self.leaves]

            def day(docnum):
                for base, col in reversed(readers):
                    if docnum >= base:
                        v = col[docnum - base]
                        return v.decode() if isinstance(v, bytes) else (v or "")
                return ""
            self._days = day
        return self._days


def _tiles(run: str) -> list[str]:
    """Trigrams overlapping by one character that cover a run of three or more: as
    selective as all its trigrams in practice, at half the postings to read."""
    starts = list(range(0, len(run) - 2, 2))
    if starts[-1] != len(run) - 3:
        starts.append(len(run) - 3)
    return [run[i:i + 3] for i in starts]


def _intersect(thunks) -> DocSet:
    """AND lazily, stopping as soon as the result is empty (no thunks: nothing)."""
    result = None
    for thunk in thunks:
        result = thunk() if result is None else result & thunk()
        if not result:
            return 0
    return result or 0


def _posting_ids(seg, base: int, fieldname: str, text: str):
    """Document numbers (offset by ``base``) of one term in one segment, as an iterator.

    Reads Whoosh 2.7's W3 codec blocks directly (pickled, delta-encoded ids, decoded with
    C-level itertools) because the generic matcher costs a Python call per posting; falls
    back to it on any other codec.
    """
    try:
        from whoosh.codec.whoosh3 import W3LeafMatcher
        m = seg._terms.matcher(fieldname, seg._text_to_bytes(fieldname, text),
                               seg.schema[fieldname].format)
        if isinstance(m, W3LeafMatcher) and not m._byteids:
            blocks = []
            while m.is_active():
                m._read_data()
                # Each block's deltas start from 0: seeding the running sum with base
                # yields base itself first, which islice drops.
                blocks.append(islice(accumulate(m._data[0], initial=base), 1, None))
                m._next_block()
            return chain.from_iterable(blocks)
    except AttributeError:
        pass
    return (base + i for i in seg.postings(fieldname, text).all_ids())


def _probe_postings(seg, term: tuple[str, str], cands: list[int]) -> list[int]:
    """Which of the sorted segment-local ``cands`` are in the term's posting list, reading
    only the blocks that could hold them (W3 codec internals; generic fallback)."""
    fieldname, text = term
    try:
        from whoosh.codec.whoosh3 import W3LeafMatcher
        m = seg._terms.matcher(fieldname, seg._text_to_bytes(fieldname, text),
                               seg.schema[fieldname].format)
        if isinstance(m, W3LeafMatcher) and not m._byteids:
            found, i = [], 0
            while m.is_active() and i < len(cands):
                j = bisect_right(cands, m._maxid, i)
                if j > i:                      # some candidates fall in this block
                    m._read_data()
                    ids = list(accumulate(m._data[0]))
                    for c in cands[i:j]:
                        k = bisect_left(ids, c)
                        if k < len(ids) and ids[k] == c:
                            found.append(c)
                    i = j
                m._next_block()
            return found
    except AttributeError:
        pass
    posted = set(seg.postings(fieldname, text).all_ids())
    return [c for c in cands if c in posted]


def _field_set(engine: Engine, atom: Atom) -> DocSet:
    v = atom.text
    if atom.field == "type":
        return engine.ids("type", v) | engine.ids("type_name", v)
    if atom.field == "year":
        return engine._scatter([("year", y) for y in _years(v)])
    if atom.field == "case":
        return engine.ids("case_id", v)
    if atom.field == "unit":
        if not word_runs(fold(v)):
            raise DocgenError(f"单位「{v}」不含可检索的文字。")
        return engine.literal("unit_grams", v)
    raise AssertionError(atom.field)


def _atom_set(engine: Engine, atom: Atom) -> DocSet:
    return _field_set(engine, atom) if atom.field else engine.literal("grams", atom.text, "tri")


def _any(engine: Engine, atoms) -> DocSet:
    out = 0
    for a in atoms:
        out |= _atom_set(engine, a)
    return out


def evaluate(engine: Engine, parsed: Parsed, *, type=None, year=None, unit=None,
             date_from=None, date_to=None) -> tuple[DocSet, dict[float, DocSet], bool]:
    """(matching documents, the same split into groups by score, whether there were words
    to rank). Score: 1, plus for each query word found as the document's 文号 or archive id
    16, in its title 8, as whole words 4."""
    lo, hi = parse_date(date_from), parse_date(date_to, end=True)
    musts, masks, texts = [], [], []
    for clause in parsed.clauses:
        if clause.negated:
            masks.append(lambda c=clause: _any(engine, c.atoms))
        else:
            musts.append(lambda c=clause: _any(engine, c.atoms))
            texts += [a.text for a in clause.atoms if a.field is None]
    for value, name in ((type, "type"), (year, "year"), (unit, "unit")):
        if value:
            musts.append(lambda a=Atom(str(value), name): _field_set(engine, a))
    if lo or hi:
        musts.append(lambda: engine.date_range(lo, hi))
    docs = (_intersect(musts) if musts else engine.all()) & engine.live
    for mask in masks:
        if not docs:
            break
        docs &= ~mask()
    groups: dict[float, DocSet] = {1.0: docs} if docs else {}
    for text in dict.fromkeys(texts) if docs else ():
        for extra, found in ((EXACT_BOOST, lambda t=text: engine.ids("number", t) | engine.ids("archive_id", t)),
                             (TITLE_BOOST, lambda t=text: engine.literal("title_grams", t)),
                             (WORD_BOOST, lambda t=text: engine.words(t))):
            found = found()
            if not found:
                continue
            split: dict[float, DocSet] = {}
            for score, group in groups.items():
                inside = group & found
                if inside:
                    split[score + extra] = split.get(score + extra, 0) | inside
                if group != inside:
                    split[score] = split.get(score, 0) | (group & ~found)
            groups = split
    return docs, groups, bool(texts)


# --- highlighting ------------------------------------------------------------------------

def highlight(text: str, terms: list[str], *, width: int = 90,
              marks: tuple[str, str] = ("【", "】")) -> str:
    """A window of ``text`` around the densest cluster of query matches, marked."""
    flat = re.sub(r"\s+", " ", text).strip()
    low = fold(flat)
    spans = []
    pieces = {r for t in terms for r in runs(fold(t))}
    for piece in pieces:
        start = low.find(piece)
        while start >= 0:
            spans.append((start, start + len(piece), piece))
            start = low.find(piece, start + 1)
    if not spans:
        return flat[:width] + ("……" if len(flat) > width else "")
    spans.sort()
    # Best window start: the match whose window covers the most distinct pieces.
    best, best_key = 0, (-1, -1)
    for i, (s, _, _) in enumerate(spans):
        inside = [sp for sp in spans[i:] if sp[1] <= s + width]
        key = (len({p for _, _, p in inside}), len(inside))
        if key > best_key:
            best, best_key = i, key
    lo = max(0, spans[best][0] - width // 4)
    hi = min(len(flat), lo + width)
    lo = max(0, min(lo, hi - width))
    # Merge overlapping matches inside the window, then mark them.
    merged: list[list[int]] = []
    for s, e, _ in spans:
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], lo
    for s, e in merged:
        out += [flat[pos:s], marks[0], flat[s:e], marks[1]]
        pos = e
    out.append(flat[pos:hi])
    return ("……" if lo > 0 else "") + "".join(out) + ("……" if hi < len(flat) else "")


# --- searching ---------------------------------------------------------------------------

@dataclass
class Hit:
    archive_id: str
    number: str
    title: str
    type: str
    type_name: str
    date: str
    units: list[str]
    snippet: str
    score: float | None
    path: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in
                ("archive_id", "number", "title", "type", "date", "units", "snippet", "score", "path")}


@dataclass
class Results:
    total: int
    hits: list[Hit]
    # {field: {value: hits}} for the fields asked for (the web page's facets); not in --json
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits]}


SORTS = ("relevance", "newest")


def search(index_dir, query: str = "", *, type=None, year=None, unit=None, date_from=None,
           date_to=None, limit: int | None = 20, sort: str | None = None,
           marks: tuple[str, str] = ("【", "】"), source: Source | None = None,
           notify: Notify | None = None, facets: tuple[str, ...] = ()) -> Results:
    """Search the index. ``sort`` defaults to relevance when there are words to rank by,
    otherwise newest first. ``limit=None`` returns every hit. ``facets`` (of "type",
    "year") counts all the hits by each value of those fields."""
    if sort not in (None, *SORTS):
        raise DocgenError(f"排序方式「{sort}」无效，可用：relevance（相关度）、newest（最新在前）。")
    if limit is not None and limit < 1:
        raise DocgenError("显示条数须为正整数。")
    parsed = parse(query)
    lo, hi = parse_date(date_from), parse_date(date_to, end=True)
    if lo and hi and lo > hi:
        raise DocgenError(f"起始日期 {lo} 晚于截止日期 {hi}。")
    filters = dict(type=type, year=year, unit=unit, date_from=lo, date_to=hi)
    return read_index(index_dir, lambda reader: _run(reader, parsed, limit, sort, marks, filters, facets),
                      source=source, notify=notify)


def _run(reader, parsed, limit, sort, marks, filters, facets=()) -> Results:
    engine = Engine(reader)
    docs, groups, has_text = evaluate(engine, parsed, **filters)
    counts = {name: {value: n for value in engine.terms(name) if (n := engine.count(docs & engine.ids(name, value)))}
              for name in facets} if docs else {name: {} for name in facets}
    sort = sort or ("relevance" if has_text else "newest")
    order: list[tuple[int, float | None]] = []
    if sort == "relevance":
        for score in sorted(groups, reverse=True):      # best first, newest first within
            need = None if limit is None else limit - len(order)
            if need == 0:
                break
            order += [(d, score) for d in engine.newest(groups[score], need)]
    else:
        order = [(d, None) for d in engine.newest(docs, limit)]
    hits = []
    for d, score in order:
        stored = reader.stored_fields(d)
        info = stored["info"]
        hits.append(Hit(
            archive_id=info["archive_id"], number=info["number"], title=info["title"],
            type=info["type"], type_name=info["type_name"], date=info["date"],
            units=info["units"], path=info["path"],
            snippet=highlight(body_text(stored), parsed.terms, marks=marks),
            score=score))
    return Results(engine.count(docs), hits, counts)
