"""What an inspector types → Whoosh queries.

Syntax:
  约谈 城关镇            both (each word wherever it occurs literally, as grep finds it)
  "安全生产 责任制"      a quoted phrase, spaces included (also “…”)
  约谈 OR 通报           either
  NOT 批评 / -批评       exclude
  type:summons year:2021 unit:城关镇 case:2021-yt-001 number:〔2021〕
                         filters (also 文种: 年度: 单位: 案卷: 文号:)

A 文号 may be typed in any bracket spelling and with spaces (石安委办 (2021) 16 号);
it is folded like the indexed text (``analysis.fold``) and kept one literal. A word that is
a document type's name (约谈通知书, 通报 …, from the workspace's type declarations) matches
documents of that type as well as the text.

``plan`` turns the parsed query into a ``Plan``: the Whoosh query that decides which
documents match, a filter query, and the queries whose matches rank higher. Matching is
exact: a literal becomes a ``Phrase`` of its bigrams (``Term`` for one bigram, ``Prefix``
for a single character), which finds precisely the documents whose folded text contains
it; ranking never adds a document.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Mapping

from docgen.errors import DocgenError
from search import analysis

FIELDS = {
    "type": "type", "文种": "type", "类型": "type",
    "year": "year", "年度": "year", "年份": "year",
    "unit": "unit", "单位": "unit",
    "case": "case", "案卷": "case", "案卷号": "case",
    "number": "number", "文号": "number", "发文字号": "number",
}
FIELD_HELP = "type（文种）、year（年度）、unit（单位）、case（案卷号）、number（文号）"
FIELD_EXAMPLES = {"type": "type:summons", "year": "year:2021", "unit": "unit:城关镇",
                  "case": "case:2021-yt-001", "number": "number:〔2021〕16号"}

# Ranking: for each query word, a document whose 文号 (or archive id) is that word gains
# 16, whose title contains it 8, whose title has it as whole words 4, whose type it names 2.
EXACT_BOOST, TITLE_BOOST, WORD_BOOST, TYPE_BOOST = 16.0, 8.0, 4.0, 2.0


# --- parsing -----------------------------------------------------------------------------

@dataclass
class Atom:
    text: str                     # the literal, folded (for field atoms: the value as typed)
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
        """Positive text literals (folded), for ranking and highlighting."""
        return list(dict.fromkeys(a.text for c in self.clauses if not c.negated
                                  for a in c.atoms if a.field is None))


_QUOTES = {'"': '"', "“": "”", "”": "”"}
_FIELD = re.compile(r"^([A-Za-z_]+|[\u4e00-\u9fff]{2,4})[:：](.*)$", re.S)
# A 文号 typed with spaces between its parts is one literal, not three words.
_SPACED_NUMBER = re.compile(
    r"[\u4e00-\u9fff]*\s*[\[(（〔【［〖﹝]\s*[0-9０-９]{4}\s*[\])）〕】］〗﹞](?:\s*[0-9０-９]+\s*号)?")


def _lex(text: str) -> list[tuple[str, bool]]:
    """Split into (token, quoted). Spaces (including the ideographic space) separate."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        m = _SPACED_NUMBER.match(text, i)
        if m and any(ch.isspace() for ch in m.group(0)):
            out.append((m.group(0), True))
            i = m.end()
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


_OR_MISUSE = "检索式中 OR 的两边都要有检索词（且不能与 NOT 连用），如：约谈 OR 通报"


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
                raise DocgenError(_OR_MISUSE)
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
                raise DocgenError(_OR_MISUSE)
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
            raise DocgenError(f"检索字段「{m.group(1)}」后面缺少取值，如：{FIELD_EXAMPLES[name]}")
        if name == "year":
            years(value)
        elif name in ("unit", "number") and not _searchable(analysis.fold(value)):
            raise DocgenError(f"检索字段「{m.group(1)}」的取值「{value}」不含可检索的文字。")
        return Atom(value, name)
    if m and re.fullmatch(r"[A-Za-z_]+", m.group(1)):
        raise DocgenError(f"不认识的检索字段「{m.group(1)}」，可用的有：{FIELD_HELP}。"
                          f"如要查找这段文字本身，请加引号：\"{tok}\"")
    literal = analysis.fold(tok)
    if not _searchable(literal):
        raise DocgenError(f"检索词「{tok}」不含可检索的汉字、字母或数字。")
    return Atom(literal)


def _searchable(literal: str) -> bool:
    return any(analysis.is_word_char(c) for c in literal)


def years(value: str) -> list[str]:
    m = re.fullmatch(r"(\d{4})(?:\s*[-~至]\s*(\d{4}))?", analysis.fold(str(value)))
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
    s = analysis.fold(str(value))
    try:
        if re.fullmatch(r"\d{4}", s):
            return _dt.date(int(s), 12, 31) if end else _dt.date(int(s), 1, 1)
        if re.fullmatch(r"\d{4}-\d{1,2}", s):
            y, mth = map(int, s.split("-"))
            first = _dt.date(y, mth, 1)
            if not end:
                return first
            return (first.replace(day=28) + _dt.timedelta(days=4)).replace(day=1) - _dt.timedelta(days=1)
        return _dt.date.fromisoformat(s if len(s) == 10 else "-".join(p.zfill(2) for p in s.split("-")))
    except ValueError:
        raise DocgenError(f"日期「{value}」无法识别，应为 YYYY-MM-DD（如 2021-03-05）、YYYY-MM 或 YYYY。") from None


# --- Whoosh queries ------------------------------------------------------------------------

def literal(fieldname: str, text: str):
    """Documents whose ``fieldname`` holds the folded ``text`` inside one line."""
    from whoosh.query import Phrase, Prefix, Term
    if len(text) == 1:
        return Prefix(fieldname, text)   # a character starts a bigram or ends a line
    grams = analysis.literal_grams(text)
    return Term(fieldname, grams[0]) if len(grams) == 1 else Phrase(fieldname, grams)


def type_query(value: str, types: Mapping[str, str], names=(), *, by_id: bool = False):
    """The documents of the type a word names: a declared type whose Chinese name it is
    (or, with ``by_id``, whose id), or a type name recorded in the index. None if none."""
    want = analysis.fold(value)
    qs = [_term("type", tid) for tid, name in types.items()
          if want == analysis.fold(name) or (by_id and want == analysis.fold(tid))]
    qs += [_term("type_name", n) for n in names if want == analysis.fold(n)]
    return _any(qs) if qs else None


@dataclass
class Plan:
    match: object                  # whoosh query: which documents are hits
    filter: object | None          # whoosh query every hit must also match, or None
    boosts: list[tuple[float, object]]   # (score added, whoosh query) for ranking
    terms: list[str]               # positive literals, folded (highlighting)
    has_text: bool                 # whether there are words to rank by


def plan(parsed: Parsed, *, types: Mapping[str, str] = {}, type_names=(), words=None,
         type=None, year=None, unit=None, number=None, case=None, date_from=None,
         date_to=None) -> Plan:
    """The Whoosh queries for a parsed query and the options' filters. ``types`` maps the
    declared type ids to their Chinese names, ``type_names`` are the names the index holds;
    ``words(run)`` segments a literal into the title words the index knows (ranking)."""
    from whoosh.query import And, Every, Not, NumericRange

    musts, nots = [], []
    for clause in parsed.clauses:
        q = _any([_atom_query(a, types, type_names) for a in clause.atoms])
        (nots if clause.negated else musts).append(q)
    filters = [_atom_query(Atom(str(v), name), types, type_names) for v, name in
               ((type, "type"), (year, "year"), (unit, "unit"), (number, "number"), (case, "case")) if v]
    lo, hi = parse_date(date_from), parse_date(date_to, end=True)
    if lo and hi and lo > hi:
        raise DocgenError(f"起始日期 {lo} 晚于截止日期 {hi}。")
    if lo or hi:
        filters.append(NumericRange("date", _day(lo), _day(hi)))
    match = And(musts) if len(musts) > 1 else musts[0] if musts else Every()
    if nots:
        match = And([match, Not(_any(nots))])
    terms = parsed.terms
    boosts = []
    for text in terms:
        boosts.append((EXACT_BOOST, _term("exact", text)))
        in_title = literal("title", text)
        boosts.append((TITLE_BOOST, in_title))
        # Whole words of the title: only where the title holds the literal at all.
        ws = [w for run in text.split(" ") for w in (words(run) if words else [])]
        if ws:
            boosts.append((WORD_BOOST, And([in_title] + [_term("words", w) for w in ws])))
        named = type_query(text, types, type_names)
        if named is not None:
            boosts.append((TYPE_BOOST, named))
    flt = And(filters) if len(filters) > 1 else filters[0] if filters else None
    return Plan(match, flt, boosts, terms, bool(terms))


def _term(fieldname, text):
    from whoosh.query import Term
    return Term(fieldname, text)


def _any(queries):
    from whoosh.query import Or
    return queries[0] if len(queries) == 1 else Or(queries)


def _day(d: _dt.date | None) -> int | None:
    return d.year * 10000 + d.month * 100 + d.day if d else None


def _atom_query(atom: Atom, types: Mapping[str, str], type_names):
    v = atom.text
    if atom.field is None:
        q, named = literal("text", v), type_query(v, types, type_names)
        return q if named is None else _any([q, named])
    if atom.field == "type":
        named = type_query(v, types, type_names, by_id=True)
        return named if named is not None else _any([_term("type", v), _term("type_name", v)])
    if atom.field == "year":
        return _any([_term("year", y) for y in years(v)])
    if atom.field == "case":
        return _term("case_id", v)
    if atom.field == "unit":
        return literal("units", analysis.fold(v))
    if atom.field == "number":
        return literal("number", analysis.fold(v))
    raise AssertionError(atom.field)

