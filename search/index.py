"""The archive's full-text index: schema, Chinese analysis, opening, writing, rebuilding.

One module owns the index (as in paperless-ngx's documents/index.py). The archive hands us
documents as plain dicts (see ``doc_fields``); everything here is derived and can always be
rebuilt from the archive, so a missing, corrupt or out-of-date index is recreated, never fatal.

Analysis. Chinese has no spaces, and jieba alone loses substrings (约谈 → 约/谈), so each
document is indexed twice:

* ``grams``: overlapping character bigrams of every CJK run plus the run's last character
  (so single characters can be found by prefix), Latin/digit runs as whole lower-case
  words. A literal query of two or more characters becomes a phrase of its bigrams, which
  finds every document containing it, exactly as a substring scan would.
* ``words``: jieba words, for ranking only: a query that matches whole words ranks above one
  that only matches characters inside other words.

Writers hold a file lock inside the index directory and wait for it; readers never lock.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import time
import warnings
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh.analysis import Token, Tokenizer

from docgen.errors import DocgenError

# Bump whenever fields or analysis change: an index with another version is rebuilt.
SCHEMA_VERSION = 1
INDEX_NAME = "docgen"
LOCK_NAME = ".write.lock"          # never deleted, so waiting writers keep a valid lock
VERSION_NAME = "docgen-index.json"  # written last: its absence means "incomplete, rebuild"
WRITE_TIMEOUT = 120.0               # seconds a writer waits for another one

Notify = Callable[[str], None]
Source = Callable[[], Iterable[dict]]


class IndexRebuiltWarning(UserWarning):
    """Issued (when no notify callback is given) when the index had to be recreated."""


def _warn(message: str) -> None:
    warnings.warn(message, IndexRebuiltWarning, stacklevel=3)


# --- text normalisation and tokens -------------------------------------------------------

# Length-preserving fold, so character offsets in folded text are offsets in the original:
# full-width ASCII letters/digits → half-width, A-Z → a-z. Punctuation is left alone.
_FOLD = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_FOLD.update({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})           # ０-９
_FOLD.update({c: c - 0xFEE0 + 32 for c in range(0xFF21, 0xFF3B)})      # Ａ-Ｚ
_FOLD.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})           # ａ-ｚ

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(f"([{_CJK}]+)|([0-9a-z]+)")
CJK_CHAR = re.compile(f"[{_CJK}]")


def fold(text: str) -> str:
    return text.translate(_FOLD)


def runs(text: str) -> list[tuple[str, bool]]:
    """Searchable runs of already folded text: (run, is_cjk)."""
    return [(m.group(0), m.group(1) is not None) for m in _RUNS.finditer(text)]


def gram_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for the grams field; text must be folded."""
    for m in _RUNS.finditer(text):
        run, start = m.group(0), m.start()
        if m.group(1) is None:
            yield run, start, m.end()
            continue
        for i in range(len(run) - 1):
            yield run[i:i + 2], start + i, start + i + 2
        # The last character on its own: lets a one-character query find a character
        # that ends a run, and never equals a bigram, so phrases cannot cross runs.
        yield run[-1], m.end() - 1, m.end()


def run_grams(run: str) -> list[str]:
    """The consecutive bigrams a CJK run of two or more characters is indexed as."""
    return [run[i:i + 2] for i in range(len(run) - 1)]


# --- jieba, loaded only for indexing -----------------------------------------------------

# Office vocabulary jieba splits or does not know; added so whole-word ranking sees them.
# Changing this list changes tokens: bump SCHEMA_VERSION.
DOMAIN_WORDS = (
    "约谈", "约谈通知书", "约谈纪要", "安委办", "安委会", "应急管理局", "挂牌督办", "督查",
    "巡查组", "巡查", "限期整改", "整改", "隐患", "重大事故隐患", "通报", "暗访",
    "一岗双责", "党政同责", "联席会议", "联合执法", "有限空间", "危险化学品", "销号",
)

_jieba = None


def cache_dir() -> Path:
    """A writable cache folder for jieba's dictionary (the default, /tmp, may be shared)."""
    base = os.environ.get("DOCGEN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    path = Path(base) / "docgen" if base else Path.home() / ".cache" / "docgen"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    import tempfile
    return Path(tempfile.gettempdir())


def _tokenizer():
    global _jieba
    if _jieba is None:
        import logging

        import jieba
        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.tmp_dir = str(cache_dir())
        for word in DOMAIN_WORDS:
            tok.add_word(word)
        _jieba = tok
    return _jieba


def word_tokens(text: str) -> Iterator[str]:
    """jieba words of folded text, punctuation and spaces dropped."""
    for word in _tokenizer().cut(text, HMM=False):
        if _RUNS.search(word):
            yield word


# --- whoosh analysers (module-level classes: the schema is pickled with the index) -------

class _Tokenizer(Tokenizer):
    """Shared whoosh tokenizer plumbing: subclasses provide ``terms(folded_text)``."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost, t.pos, t.startchar, t.endchar = 1.0, start_pos, start_char, start_char + len(value)
            yield t
            return
        for pos, (text, start, end) in enumerate(self.terms(fold(value))):
            t.text, t.boost, t.stopped = text, 1.0, False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class GramAnalyzer(_Tokenizer):
    def terms(self, text):
        return gram_tokens(text)


class WordAnalyzer(_Tokenizer):
    def terms(self, text):
        return ((w, 0, 0) for w in word_tokens(text))


# --- schema and documents ----------------------------------------------------------------

def schema():
    from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
    grams = GramAnalyzer()
    return Schema(
        archive_id=ID(stored=True, unique=True),
        number=ID,                       # exact 文号; its characters are also in grams
        type=ID, type_name=ID, year=ID, case_id=ID, retention=ID, origin=ID,
        date=DATETIME(sortable=True),
        # Recall: 文号, title, units, persons and text, as bigrams with positions.
        grams=TEXT(analyzer=grams, phrase=True),
        title_grams=TEXT(analyzer=grams, phrase=True, field_boost=1.0),
        unit_grams=TEXT(analyzer=grams, phrase=True),
        # Ranking: jieba words of title and text.
        words=TEXT(analyzer=WordAnalyzer(), phrase=True),
        info=STORED,                     # display metadata (dict)
        body=STORED,                     # zlib-compressed text, for snippets
    )


def _date(value) -> _dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def doc_fields(doc: dict) -> dict:
    """Whoosh fields for one archive document dict (the archive's contract)."""
    date = _date(doc.get("date"))
    units = [u for u in doc.get("units") or [] if u]
    persons = [p for p in doc.get("persons") or [] if p]
    title, text, number = doc.get("title") or "", doc.get("text") or "", doc.get("number") or ""
    # Newlines separate the parts; a gram never spans a separator.
    searchable = "\n".join([doc["archive_id"], number, title, "\n".join(units),
                            "\n".join(persons), text])
    fields = dict(
        archive_id=doc["archive_id"], type=doc.get("type") or "",
        type_name=doc.get("type_name") or "", case_id=doc.get("case_id") or "",
        retention=doc.get("retention") or "", origin=doc.get("origin") or "",
        grams=searchable, title_grams=title, unit_grams="\n".join(units),
        words=title + "\n" + text,
        info=dict(archive_id=doc["archive_id"], number=number, title=title,
                  type=doc.get("type") or "", type_name=doc.get("type_name") or "",
                  date=date.isoformat() if date else "", units=units, persons=persons,
                  case_id=doc.get("case_id") or "", path=str(doc.get("path") or "")),
        body=zlib.compress(text.encode("utf-8"), 6),
    )
    if number:
        fields["number"] = number
    if date:
        fields["date"] = _dt.datetime(date.year, date.month, date.day)
        fields["year"] = str(date.year)
    return {k: v for k, v in fields.items() if v != ""}


def body_text(stored: dict) -> str:
    body = stored.get("body")
    return zlib.decompress(body).decode("utf-8") if body else ""


# --- opening, locking, recreating --------------------------------------------------------

@contextmanager
def write_lock(index_dir: Path, timeout: float = WRITE_TIMEOUT):
    """Exclusive, cross-process lock for every write; waits up to ``timeout`` seconds."""
    from whoosh.util.filelock import FileLock
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / LOCK_NAME))
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise DocgenError(f"检索索引正被其他进程写入（{index_dir}），等待 {timeout:.0f} 秒仍未结束，请稍后再试。")
        time.sleep(0.05)
    try:
        yield
    finally:
        lock.release()


def _read_version(index_dir: Path) -> int | None:
    try:
        return json.loads((index_dir / VERSION_NAME).read_text("utf-8")).get("schema")
    except (OSError, ValueError, AttributeError):
        return None


def _write_version(index_dir: Path) -> None:
    tmp = index_dir / (VERSION_NAME + ".tmp")
    tmp.write_text(json.dumps({"schema": SCHEMA_VERSION}), "utf-8")
    os.replace(tmp, index_dir / VERSION_NAME)


def _problem(index_dir: Path) -> str | None:
    """Why the index cannot be used as it is (Chinese), or None if it is fine."""
    from whoosh import index as wix
    if not index_dir.is_dir() or not wix.exists_in(str(index_dir), INDEX_NAME):
        return "检索索引不存在"
    version = _read_version(index_dir)
    if version is None:
        return "检索索引不完整（上次建立未完成）"
    if version != SCHEMA_VERSION:
        return "检索索引版本过旧"
    try:
        ix = wix.open_dir(str(index_dir), INDEX_NAME, schema=schema())
        with ix.reader() as r:       # opens every segment's files
            r.doc_count()
            list(r.field_terms("type"))
    except Exception:  # any failure to read means corrupt; the index is derived data
        return "检索索引已损坏"
    return None


def _clear(index_dir: Path) -> None:
    """Delete everything in the index folder except the lock we are holding."""
    for p in index_dir.iterdir():
        if p.name == LOCK_NAME:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                p.unlink()
            except FileNotFoundError:
                pass


def open_index(index_dir, *, source: Source | None = None, notify: Notify | None = None):
    """Open the whoosh index, recreating it first if missing, corrupt or out of date.

    ``source`` returns every archive document, used to refill a recreated index; without
    it the recreated index starts empty and the message says to run ``docgen index rebuild``.
    """
    from whoosh import index as wix
    index_dir = Path(index_dir)
    if _problem(index_dir) is not None:
        with write_lock(index_dir):
            problem = _problem(index_dir)    # another process may have fixed it meanwhile
            if problem is not None:
                _recreate(index_dir, problem, source, notify or _warn)
    return wix.open_dir(str(index_dir), INDEX_NAME, schema=schema())


def _recreate(index_dir: Path, problem: str, source, notify) -> None:
    if source is None:
        notify(f"{problem}，已新建空索引；请运行 docgen index rebuild 从档案重建。")
        _fill(index_dir, [], fresh=True)
    else:
        notify(f"{problem}，正在从档案重建……")
        t0 = time.monotonic()
        n = _fill(index_dir, source(), fresh=True)
        notify(f"检索索引已重建：{n} 份文件，用时 {time.monotonic() - t0:.1f} 秒。")


def _fill(index_dir: Path, docs: Iterable[dict], *, fresh: bool, procs: int = 1,
          limitmb: int = 128) -> int:
    """Write all ``docs`` as the whole index content. Caller holds the write lock.

    fresh: wipe the folder and create a new index (broken or absent index). Otherwise the
    existing index stays searchable until the single commit replaces all its segments.
    """
    from whoosh import index as wix
    from whoosh.writing import CLEAR
    if fresh:
        _clear(index_dir)
        ix = wix.create_in(str(index_dir), schema(), INDEX_NAME)
    else:
        ix = wix.open_dir(str(index_dir), INDEX_NAME, schema=schema())
    # The posting pool spills to disk past limitmb, which bounds memory for any archive size.
    w = ix.writer(procs=procs, limitmb=limitmb, timeout=WRITE_TIMEOUT, delay=0.05,
                  **({"multisegment": True} if procs > 1 else {}))
    n = 0
    try:
        for doc in docs:
            w.add_document(**doc_fields(doc))
            n += 1
    except BaseException:
        w.cancel()
        raise
    w.commit(mergetype=CLEAR)
    _write_version(index_dir)
    return n


# --- public write API (what the archive calls) -------------------------------------------

def rebuild(index_dir, docs: Iterable[dict], *, notify: Notify | None = None,
            procs: int = 1, limitmb: int = 128) -> int:
    """Replace the whole index with ``docs`` (every archive document); returns the count.

    While it runs, searches still see the previous index (if it was sound).
    """
    index_dir = Path(index_dir)
    with write_lock(index_dir):
        return _fill(index_dir, docs, fresh=_problem(index_dir) is not None,
                     procs=procs, limitmb=limitmb)


@contextmanager
def writer(index_dir, *, source: Source | None = None, notify: Notify | None = None,
           timeout: float = WRITE_TIMEOUT):
    """Locked writer: ``with writer(d) as w: w.update(doc); w.delete(archive_id)``.

    Commits on normal exit, discards everything on an exception.
    """
    index_dir = Path(index_dir)
    ix = open_index(index_dir, source=source, notify=notify)
    with write_lock(index_dir, timeout):
        w = _Writer(ix.writer(timeout=timeout, delay=0.05))
        try:
            yield w
        except BaseException:
            w.w.cancel()
            raise
        w.w.commit()


class _Writer:
    def __init__(self, w):
        self.w = w

    def update(self, doc: dict) -> None:
        """Add a document, replacing any with the same archive_id."""
        self.w.update_document(**doc_fields(doc))

    add = update   # the archive is append-only, but re-indexing must not duplicate

    def delete(self, archive_id: str) -> None:
        self.w.delete_by_term("archive_id", archive_id)


def index_documents(index_dir, docs: Iterable[dict], *, source: Source | None = None,
                    notify: Notify | None = None) -> int:
    """Add or replace documents (on issue or import). Returns how many were written."""
    n = 0
    with writer(index_dir, source=source, notify=notify) as w:
        for doc in docs:
            w.update(doc)
            n += 1
    return n


def delete_documents(index_dir, archive_ids: Iterable[str], *, notify: Notify | None = None) -> None:
    with writer(index_dir, notify=notify) as w:
        for aid in archive_ids:
            w.delete(aid)


def doc_count(index_dir) -> int:
    ix = open_index(index_dir)
    with ix.reader() as r:
        return r.doc_count()
