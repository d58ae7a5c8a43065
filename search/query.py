"""User queries → Whoosh queries, and highlighted snippets.

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
from pathlib import Path

from whoosh import query as Q

from docgen.errors import DocgenError
from search.index import (CJK_CHAR, body_text, fold, open_index, run_grams, runs,
                          Notify, Source)

FIELDS = {
    "type": "type", "文种": "type", "类型": "type",
    "year": "year", "年度": "year", "年份": "year",
    "unit": "unit", "单位": "unit",
    "case": "case", "案卷": "case", "案卷号": "case",
}
FIELD_HELP = "type（文种）、year（年度）、unit（单位）、case（案卷号）"

# Ranking weights: a title hit or a whole-word (jieba) hit must outweigh any amount of
# characters-only matching in the text.
TITLE_BOOST = 8.0
WORD_BOOST = 4.0
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
            raise DocgenError(f"检索字段「{m.group(1)}」后面缺少取值，如：{m.group(1)}:2021")
        if name == "year":
            _years(value)
        return Atom(value, name)
    if m and re.fullmatch(r"[A-Za-z_]+", m.group(1)):
        raise DocgenError(f"不认识的检索字段「{m.group(1)}」，可用的有：{FIELD_HELP}。"
                          f"如要查找这段文字本身，请加引号：\"{tok}\"")
    if not runs(fold(tok)):
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


# --- compiling ---------------------------------------------------------------------------

def _run_query(fieldname: str, run: str, is_cjk: bool):
    if not is_cjk:
        return Q.Term(fieldname, run)
    if len(run) == 1:
        # Every occurrence of a character starts a bigram or ends a run (indexed alone).
        return Q.Prefix(fieldname, run)
    grams = run_grams(run)
    return Q.Term(fieldname, grams[0]) if len(grams) == 1 else Q.Phrase(fieldname, grams)


def _literal(fieldname: str, text: str):
    """Documents containing ``text`` literally (a superset when it has punctuation)."""
    parts = [_run_query(fieldname, r, cjk) for r, cjk in runs(fold(text))]
    return parts[0] if len(parts) == 1 else Q.And(parts)


def _segment(reader, run: str) -> list[str]:
    """Split a CJK run into words the index knows (forward maximum matching on the
    ``words`` lexicon), so ranking needs no jieba dictionary at query time."""
    out, i = [], 0
    while i < len(run):
        for size in range(min(MAX_WORD, len(run) - i), 0, -1):
            w = run[i:i + size]
            if size == 1 or ("words", w) in reader:
                out.append(w)
                i += size
                break
    return out


def _words(reader, text: str):
    parts = []
    for run, cjk in runs(fold(text)):
        seg = _segment(reader, run) if cjk else [run]
        parts.append(Q.Term("words", seg[0]) if len(seg) == 1 else Q.Phrase("words", seg))
    return parts[0] if len(parts) == 1 else Q.And(parts)


def _field_query(atom: Atom):
    v = atom.text
    if atom.field == "type":
        return Q.Or([Q.Term("type", v), Q.Term("type_name", v)])
    if atom.field == "year":
        years = _years(v)
        return Q.Term("year", years[0]) if len(years) == 1 else Q.Or([Q.Term("year", y) for y in years])
    if atom.field == "case":
        return Q.Term("case_id", v)
    if atom.field == "unit":
        if not runs(fold(v)):
            raise DocgenError(f"单位「{v}」不含可检索的文字。")
        return _literal("unit_grams", v)
    raise AssertionError(atom.field)


def _atom_query(atom: Atom):
    return _field_query(atom) if atom.field else _literal("grams", atom.text)


def _one(qs):
    return qs[0] if len(qs) == 1 else Q.Or(qs)


def compile_query(parsed: Parsed, reader, *, type=None, year=None, unit=None,
                  date_from=None, date_to=None):
    """(query, filter, mask) for Searcher.search. Text clauses score; filters do not."""
    required, boosts, filters, masks = [], [], [], []
    for clause in parsed.clauses:
        q = _one([_atom_query(a) for a in clause.atoms])
        if clause.negated:
            masks.append(q)
        elif all(a.field for a in clause.atoms):
            filters.append(q)
        else:
            required.append(q)
            for a in clause.atoms:
                if a.field is None:
                    boosts.append(_boost(_literal("title_grams", a.text), TITLE_BOOST))
                    boosts.append(_boost(_words(reader, a.text), WORD_BOOST))
    for value, name in ((type, "type"), (year, "year"), (unit, "unit")):
        if value:
            filters.append(_field_query(Atom(str(value), name)))
    lo, hi = parse_date(date_from), parse_date(date_to, end=True)
    if lo and hi and lo > hi:
        raise DocgenError(f"起始日期 {lo} 晚于截止日期 {hi}。")
    if lo or hi:
        filters.append(Q.DateRange("date", _dt.datetime.combine(lo, _dt.time.min) if lo else None,
                                   _dt.datetime.combine(hi, _dt.time.max) if hi else None))
    query = Q.And(required) if len(required) > 1 else (required[0] if required else Q.Every())
    if boosts:
        query = Q.AndMaybe(query, Q.Or(boosts))
    filt = (Q.And(filters) if len(filters) > 1 else filters[0]) if filters else None
    mask = _one(masks) if masks else None
    return query, filt, mask, bool(required)


def _boost(q, boost):
    q.boost = boost
    return q


# --- highlighting ------------------------------------------------------------------------

def highlight(text: str, terms: list[str], *, width: int = 90,
              marks: tuple[str, str] = ("【", "】")) -> str:
    """A window of ``text`` around the densest cluster of query matches, marked."""
    flat = re.sub(r"\s+", " ", text).strip()
    low = fold(flat)
    spans = []
    pieces = {r for t in terms for r, _ in runs(fold(t))}
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

    def as_dict(self) -> dict:
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits]}


SORTS = ("relevance", "newest")


def search(index_dir, query: str = "", *, type=None, year=None, unit=None, date_from=None,
           date_to=None, limit: int | None = 20, sort: str | None = None,
           marks: tuple[str, str] = ("【", "】"), source: Source | None = None,
           notify: Notify | None = None) -> Results:
    """Search the index. ``sort`` defaults to relevance when there are words to rank by,
    otherwise newest first. ``limit=None`` returns every hit."""
    if sort not in (None, *SORTS):
        raise DocgenError(f"排序方式「{sort}」无效，可用：relevance（相关度）、newest（最新在前）。")
    if limit is not None and limit < 1:
        raise DocgenError("显示条数须为正整数。")
    parsed = parse(query)
    ix = open_index(Path(index_dir), source=source, notify=notify)
    with ix.searcher() as s:
        q, filt, mask, has_text = compile_query(parsed, s.reader(), type=type, year=year,
                                                unit=unit, date_from=date_from, date_to=date_to)
        sort = sort or ("relevance" if has_text else "newest")
        kwargs = {"sortedby": "date", "reverse": True} if sort == "newest" else {}
        res = s.search(q, limit=limit, filter=filt, mask=mask, **kwargs)
        hits = []
        for r in res:
            info = r["info"]
            hits.append(Hit(
                archive_id=info["archive_id"], number=info["number"], title=info["title"],
                type=info["type"], type_name=info["type_name"], date=info["date"],
                units=info["units"], path=info["path"],
                snippet=highlight(body_text(r.fields()), parsed.terms, marks=marks),
                score=round(r.score, 3) if sort == "relevance" and r.score is not None else None))
        return Results(len(res), hits)
