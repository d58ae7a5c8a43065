"""The archive's full-text index: schema, Chinese analysis, opening, writing, rebuilding.

One module owns the index (as in paperless-ngx's documents/index.py). The archive hands us
documents as plain dicts (see ``doc_fields``); everything here is derived and can always be
rebuilt from the archive, so a missing, corrupt or out-of-date index is recreated, never fatal.

Analysis. Chinese has no spaces, and jieba alone loses substrings (约谈 → 约/谈), so each
document is indexed twice:

* ``grams``: every pair of adjacent characters within a run of Chinese, Latin letters and
  digits, plus each run's last character. A query of two or more characters matches the
  documents holding all of its pairs: every document that contains it literally (what
  grep finds), plus rare ones holding the pairs apart. One character matches by prefix.
* ``words``: jieba words, for ranking only: a query that matches whole words ranks above one
  that only matches characters inside other words.

Fields record only which documents hold a term (no positions or frequencies): queries are
evaluated as sets of documents (see search.query), which is what makes them fast in Python.
Writers hold a file lock inside the index directory and wait for it; readers never lock.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import pickle
import re
import shutil
import time
import warnings
import zlib
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import PostingPool

from docgen.errors import DocgenError

# Bump whenever fields or analysis change: an index with another version is rebuilt.
SCHEMA_VERSION = 4
INDEX_NAME = "docgen"
LOCK_NAME = ".write.lock"          # never deleted, so waiting writers keep a valid lock
VERSION_NAME = "docgen-index.json"  # written last: its absence means "incomplete, rebuild"
WRITE_TIMEOUT = 120.0               # seconds a writer waits for another one
PROGRESS_EVERY = 10000

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
CJK_CHAR = re.compile(f"[{_CJK}]")
# Grams run over everything between spaces, punctuation included, so "〔2021〕16号" or
# "生产，加强" keep their characters adjacent; words and query checks use the letters only.
_RUNS = re.compile(r"\S+")
_WORDS = re.compile(f"[{_CJK}0-9a-z]+")


def fold(text: str) -> str:
    return text.translate(_FOLD)


def runs(text: str) -> list[str]:
    """Runs of already folded text between spaces, as the grams fields index them."""
    return _RUNS.findall(text)


def word_runs(text: str) -> list[str]:
    """Runs of Chinese, Latin letters and digits (no punctuation) of folded text."""
    return _WORDS.findall(text)


def gram_tokens(text: str) -> Iterator[str]:
    """Terms of the grams field for folded text: every pair of adjacent characters in a
    run, plus the run's last character alone, so that any string of two or more
    characters is found as the set of its pairs and a single one by prefix (it starts a
    pair or ends a run)."""
    for run in _RUNS.findall(text):
        for i in range(len(run) - 1):
            yield run[i:i + 2]
        yield run[-1]


def tri_tokens(text: str) -> Iterator[str]:
    """Terms of the tri field: every three adjacent characters in a run. Longer queries
    match on these; requiring all pairs instead also finds documents that merely hold the
    same pairs apart (安全生产责任 … 责任制 for 安全生产责任制)."""
    for run in _RUNS.findall(text):
        for i in range(len(run) - 2):
            yield run[i:i + 3]


def run_grams(run: str, n: int = 2) -> list[str]:
    """The n-grams a run of n or more characters is indexed as."""
    return [run[i:i + n] for i in range(len(run) - n + 1)]


# --- jieba, loaded only for indexing -----------------------------------------------------

# Office vocabulary jieba splits or does not know; added so whole-word ranking sees them.
# Changing this list changes tokens: bump SCHEMA_VERSION.
DOMAIN_WORDS = (
    "约谈", "约谈通知书", "约谈纪要", "安委办", "安委会", "应急管理局", "挂牌督办", "督查",
    "巡查组", "巡查", "限期整改", "整改", "隐患", "重大事故隐患", "通报", "暗访",
    "一岗双责", "党政同责", "联席会议", "联合执法", "有限空间", "危险化学品", "销号",
)

_jieba = None


def _tokenizer():
    global _jieba
    if _jieba is None:
        from docgen.words import tokenizer

        _jieba = tokenizer(DOMAIN_WORDS)
    return _jieba


def word_tokens(text: str) -> Iterator[str]:
    """jieba words of folded text, punctuation and spaces dropped."""
    for word in _tokenizer().cut(text, HMM=False):
        if _WORDS.fullmatch(word):
            yield word


# --- whoosh analysers (module-level classes: the schema is pickled with the index) -------

class _Tokenizer(Tokenizer):
    """Whoosh tokenizer yielding each distinct term once: every field here records only
    which documents contain a term (no frequencies, no positions), the cheapest format to
    write and read; recall and ranking are computed as sets of documents."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        terms = [value] if not tokenize else dict.fromkeys(self.terms(fold(value)))
        for pos, text in enumerate(terms):
            t.text = t.original = text
            t.boost, t.stopped, t.pos = 1.0, False, start_pos + pos
            yield t


class GramAnalyzer(_Tokenizer):
    def terms(self, text):
        return gram_tokens(text)


class TriAnalyzer(_Tokenizer):
    def terms(self, text):
        return tri_tokens(text)


class WordAnalyzer(_Tokenizer):
    def terms(self, text):
        return word_tokens(text)


# --- schema and documents ----------------------------------------------------------------

def _set_field(analyzer):
    from whoosh.fields import FieldType
    from whoosh.formats import Existence
    return FieldType(Existence(), analyzer, scorable=False)


class Codec(W3Codec):
    """Whoosh's codec without per-block length statistics: they only serve BM25, which we
    do not use, and gathering them costs a column lookup (or, for unscored fields, a file
    stat) per posting, a sixth of the indexing time. Larger posting blocks: we read whole
    posting lists, and each block costs a few Python calls however small it is."""

    length_stats = False

    def __init__(self, blocklimit=1024, compression=3, inlinelimit=1):
        super().__init__(blocklimit, compression, inlinelimit)


def schema():
    from whoosh.fields import ID, STORED, Schema
    return Schema(
        archive_id=ID(stored=True, unique=True),
        number=ID,                   # exact 文号; its characters are also in grams
        type=ID, type_name=ID, case_id=ID, retention=ID, origin=ID,
        # "2021", "2021-03", "2021-03-05": filters and date order; the day column sorts
        # small result sets, month and day postings large ones.
        year=ID, month=ID, day=ID(sortable=True),
        # Recall: archive id, 文号, title, units, persons and text as bigrams and trigrams.
        grams=_set_field(GramAnalyzer()),
        tri=_set_field(TriAnalyzer()),
        title_grams=_set_field(GramAnalyzer()),
        unit_grams=_set_field(GramAnalyzer()),
        # Ranking: jieba words of title and text.
        words=_set_field(WordAnalyzer()),
        info=STORED,                 # display metadata (dict)
        body=STORED,                 # zlib-compressed text, for snippets
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
        grams=searchable, tri=searchable, title_grams=title, unit_grams="\n".join(units),
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
        iso = date.isoformat()
        fields.update(year=iso[:4], month=iso[:7], day=iso)
    return {k: v for k, v in fields.items() if v != ""}


def body_text(stored: dict) -> str:
    body = stored.get("body")
    return zlib.decompress(body).decode("utf-8") if body else ""


# --- opening, locking, recreating --------------------------------------------------------

def write_lock(index_dir: Path, timeout: float = WRITE_TIMEOUT):
    """Exclusive, cross-process lock for every write; waits up to ``timeout`` seconds."""
    from docgen.fsio import lock
    return lock(Path(index_dir) / LOCK_NAME, timeout,
                f"检索索引正被其他进程写入（{index_dir}），等待 {timeout:.0f} 秒仍未结束，请稍后再试。")


def _read_version(index_dir: Path) -> int | None:
    try:
        return json.loads((index_dir / VERSION_NAME).read_text("utf-8")).get("schema")
    except (OSError, ValueError, AttributeError):
        return None


def _write_version(index_dir: Path) -> None:
    tmp = index_dir / (VERSION_NAME + ".tmp")
    tmp.write_text(json.dumps({"schema": SCHEMA_VERSION}), "utf-8")
    os.replace(tmp, index_dir / VERSION_NAME)


DAMAGED = "检索索引已损坏"


def _try_open(index_dir: Path):
    """(reader, None) on a sound, current index, else (None, why in Chinese)."""
    from whoosh import index as wix
    if not index_dir.is_dir() or not any(index_dir.glob(f"_{INDEX_NAME}_*.toc")):
        return None, "检索索引不存在"
    version = _read_version(index_dir)
    if version is None:
        return None, "检索索引不完整（上次建立未完成）"
    if version != SCHEMA_VERSION:
        return None, "检索索引版本过旧"
    reader = None
    try:
        reader = wix.open_dir(str(index_dir), INDEX_NAME, schema=schema()).reader()
        reader.doc_count()                 # opening the reader opened every segment's files
        list(reader.field_terms("type"))
        return reader, None
    except Exception:  # any failure to read means corrupt: the index is derived data
        if reader is not None:
            try:
                reader.close()
            except Exception:
                pass
        return None, DAMAGED


def _is_damage(exc: BaseException) -> bool:
    """Whether an exception while reading may come from damaged files (Whoosh raises bare
    Exception for some) rather than from a programming error, which must surface."""
    return isinstance(exc, Exception) and not isinstance(
        exc, (DocgenError, AttributeError, NameError, ImportError, NotImplementedError,
              AssertionError, RecursionError))


def read_index(index_dir, fn: Callable, *, source: Source | None = None,
               notify: Notify | None = None):
    """``fn(reader)`` on a sound index; a missing, out-of-date or corrupt index is recreated
    first (refilled from ``source``, which returns every archive document; without it the
    new index starts empty and the message says to run ``docgen index rebuild``).

    A reader can fail merely because a concurrent commit removed files it was about to
    open, so failures are retried, and the index is only recreated once it also fails
    under the write lock, when nobody else can be changing it.
    """
    index_dir = Path(index_dir)
    for attempt in range(3):
        result, problem = _attempt(index_dir, fn)
        if result is not _FAILED:
            return result
        if problem != DAMAGED:
            break                              # missing or outdated: no point retrying
        time.sleep(0.05 * (attempt + 1))
    with write_lock(index_dir):
        result, problem = _attempt(index_dir, fn)
        if result is not _FAILED:
            return result
        _recreate(index_dir, problem, source, notify or _warn)
        result, problem = _attempt(index_dir, fn)
        if result is _FAILED:
            raise DocgenError(f"{problem}，重建后仍无法读取，请检查磁盘或删除 {index_dir} 后重试。")
        return result


_FAILED = object()


def _attempt(index_dir: Path, fn: Callable):
    """``(fn(reader), None)`` on the index as it is, else ``(_FAILED, why in Chinese)``."""
    reader, problem = _try_open(index_dir)
    if reader is None:
        return _FAILED, problem
    try:
        with reader:
            return fn(reader), None
    except Exception as exc:
        if not _is_damage(exc):
            raise
        return _FAILED, DAMAGED


def open_index(index_dir, *, source: Source | None = None, notify: Notify | None = None):
    """The whoosh Index, checked (and recreated if needed) as in ``read_index``."""
    from whoosh import index as wix
    read_index(index_dir, lambda r: None, source=source, notify=notify)
    return wix.open_dir(str(index_dir), INDEX_NAME, schema=schema())


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


def _recreate(index_dir: Path, problem: str, source, notify) -> None:
    if source is None:
        notify(f"{problem}，已新建空索引；请运行 docgen index rebuild 从档案重建。")
        _fill(index_dir, [], fresh=True)
    else:
        notify(f"{problem}，正在从档案重建……")
        t0 = time.monotonic()
        n = _fill(index_dir, source(), fresh=True)
        notify(f"检索索引已重建：{n} 份文件，用时 {time.monotonic() - t0:.1f} 秒。")


class _BatchedPool(PostingPool):
    """Whoosh's posting pool, spilling runs in pickled batches instead of one pickle per
    posting: past ``limitmb`` every posting goes to disk and back, and per-item pickling
    was a quarter of the indexing time."""

    batch = 1000     # items per pickle; bounds merge memory to runs × batch items

    def add(self, item):
        # Same bookkeeping as PostingPool.add, minus its per-item type assertions.
        self.fieldnames.add(item[0])
        self.currentsize += 150 + len(item[1]) * 2 + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def _write_run(self, f, items):
        it = iter(items)
        while chunk := list(islice(it, self.batch)):
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                yield from pickle.load(f)
        except EOFError:
            return
        finally:
            f.close()
            self._remove_run(path)


def _fill(index_dir: Path, docs: Iterable[dict], *, fresh: bool, procs: int = 1,
          limitmb: int = 128, progress: Notify | None = None) -> int:
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
    # compound=False: Whoosh reads a compound segment by copying each sub-file into memory
    # on every open (the whole postings file per search); separate files are read in place.
    pool = _BatchedPool
    if procs > 1:
        # MpWriter's sub-writers build their pool from this module global; they are forked
        # while we add documents, so they inherit the faster pool (spawned ones use stock).
        import whoosh.writing
        stock, whoosh.writing.PostingPool = whoosh.writing.PostingPool, pool
    try:
        w = ix.writer(procs=procs, limitmb=limitmb, timeout=WRITE_TIMEOUT, delay=0.05,
                      compound=False, codec=Codec(), **({"multisegment": True} if procs > 1 else {}))
        if procs == 1:   # SegmentWriter ignores its poolclass argument; swap the empty pool
            w.pool = pool(w._tempstorage, w.newsegment, limitmb=limitmb)
        n = _add_all(w, docs, progress)
    finally:
        if procs > 1:
            whoosh.writing.PostingPool = stock
    w.commit(mergetype=CLEAR)
    _write_version(index_dir)
    return n


def _add_all(w, docs: Iterable[dict], progress: Notify | None = None) -> int:
    n = 0
    try:
        for doc in docs:
            w.add_document(**doc_fields(doc))
            n += 1
            if progress and n % PROGRESS_EVERY == 0:
                progress(f"已读入 {n} 份文件……")
    except BaseException:
        w.cancel()
        raise
    return n


# --- public write API (what the archive calls) -------------------------------------------

def rebuild(index_dir, docs: Iterable[dict], *, notify: Notify | None = None,
            procs: int = 1, limitmb: int = 128) -> int:
    """Replace the whole index with ``docs`` (every archive document); returns the count.

    While it runs, searches still see the previous index (if it was sound). ``notify``
    receives progress messages; ``procs`` > 1 indexes in that many processes (each holds
    up to ``limitmb`` of postings, about twice that in resident memory).
    """
    index_dir = Path(index_dir)
    with write_lock(index_dir):
        reader, problem = _try_open(index_dir)
        if reader is not None:
            reader.close()
        return _fill(index_dir, docs, fresh=problem is not None, procs=procs, limitmb=limitmb,
                     progress=notify)


@contextmanager
def writer(index_dir, *, source: Source | None = None, notify: Notify | None = None,
           timeout: float = WRITE_TIMEOUT):
    """Locked writer: ``with writer(d) as w: w.update(doc); w.delete(archive_id)``.

    Commits on normal exit, discards everything on an exception.
    """
    index_dir = Path(index_dir)
    ix = open_index(index_dir, source=source, notify=notify)
    with write_lock(index_dir, timeout):
        w = _Writer(ix.writer(timeout=timeout, delay=0.05, compound=False, codec=Codec()))
        try:
            yield w
        except BaseException:
            w.w.cancel()
            raise
        w.w.commit()   # merges small segments, so it reads (possibly damaged) old ones


class _Writer:
    def __init__(self, w):
        self.w = w

    def update(self, doc: dict) -> None:
        """Add a document, replacing any with the same archive_id."""
        self.w.update_document(**doc_fields(doc))

    add = update   # the archive is append-only, but re-indexing must not duplicate

    def delete(self, archive_id: str) -> None:
        self.w.delete_by_term("archive_id", archive_id)


def add_documents(index_dir, docs: Iterable[dict], *, source: Source | None = None,
                    notify: Notify | None = None) -> int:
    """Add or replace documents (on issue or import). Returns how many were written.

    Pass ``source`` (every archive document, the new ones included): if the index turns out
    to be damaged while writing, it is then rebuilt from the archive instead of failing.
    """
    docs = list(docs)
    try:
        with writer(index_dir, source=source, notify=notify) as w:
            for doc in docs:
                w.update(doc)
    except Exception as exc:
        if not _is_damage(exc) or isinstance(exc, DocgenError):
            raise
        if source is None:
            raise DocgenError(f"写入检索索引失败（{exc}），请运行 docgen index rebuild 重建。") from None
        with write_lock(Path(index_dir)):
            _recreate(Path(index_dir), DAMAGED, source, notify or _warn)
    return len(docs)


def delete_documents(index_dir, archive_ids: Iterable[str], *, notify: Notify | None = None) -> None:
    with writer(index_dir, notify=notify) as w:
        for aid in archive_ids:
            w.delete(aid)


def doc_count(index_dir) -> int:
    return read_index(index_dir, lambda r: r.doc_count())
