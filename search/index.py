"""The archive's full-text index on Whoosh: schema, open-or-recreate, locked writes, rebuild.

One module owns the index (as paperless-ngx's ``documents/index.py`` does), through Whoosh's
public API only. Everything here is derived from the archive and can always be rebuilt, so a
missing, damaged or out-of-date index is recreated, never fatal.

The folder (``archive/.index``) holds

* ``current.json`` — ``{"schema": N, "name": "docgen-…"}``: which Whoosh index (by its
  ``indexname``) is the live one. Written last, atomically: a rebuild writes a whole new
  index beside the old one and switches this pointer, so searches see the old index or
  the new, never half of one;
* the Whoosh files of that index (and, briefly, of the one being built);
* ``.write.lock`` — every writer holds it; readers never lock.

Documents come from the archive as plain dicts (``archive_id``, ``number``, ``title``,
``text``, ``type``, ``type_name``, ``date``, ``units``, ``persons``, ``case_id``,
``retention``, ``origin``, ``path``); see ``fields``.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import json
import os
import secrets
import threading
import time
import warnings
import zlib
from array import array
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import FieldType
from whoosh.formats import Existence, Positions

from docgen.errors import DocgenError
from search import analysis
from search.source import Source

# Bump whenever fields or analysis change: an index of another version is rebuilt.
SCHEMA_VERSION = 6
POINTER = "current.json"
SEEN = "archive-seen.json"      # the archive as last compared with the index (catch_up)
LOCK_NAME = ".write.lock"
NAME_PREFIX = "docgen-"
WRITE_TIMEOUT = 120.0           # seconds a writer waits for another one
PROGRESS_EVERY = 10000
# A rebuild commits a segment every CHUNK_CHARS characters of text (per process): Whoosh
# keeps a segment's postings in memory until its commit and, past its limit, spills them
# to disk one pickle per posting, which makes a build nearly twice as slow. About 140
# bytes a posting and 0.8 postings a character: a chunk holds ~150 MB, and the builder
# (jieba's dictionary included) stays under 300 MB.
CHUNK_CHARS = 1_300_000
CHUNK_LIMITMB = 512             # never reached by one chunk: no spilling
SMALL_SEGMENT = 500             # segments written by issuing are merged once this small

Notify = Callable[[str], None]


class IndexRebuiltWarning(UserWarning):
    """Issued (when no notify callback is given) when the index had to be recreated."""


def _warn(message: str) -> None:
    warnings.warn(message, IndexRebuiltWarning, stacklevel=3)


# --- schema ------------------------------------------------------------------------------------

class Codec(W3Codec):
    """Whoosh's own codec with ``length_stats`` (a public switch of ``whoosh.codec.base.Codec``)
    off: field-length statistics only serve BM25, which we do not use, and gathering them
    costs a column lookup per posting."""

    length_stats = False


def codec() -> Codec:
    return Codec(blocklimit=128, compression=1)


# compound=False: Whoosh reads a compound segment by copying each of its files into memory
# on every open (the whole postings file, for each search); separate files are mapped.
WRITER_ARGS = dict(limitmb=CHUNK_LIMITMB, compound=False)


class PositionsFormat(Positions):
    """Positions as a flat array of 16-bit unsigned ints (32-bit, after a marker byte, for
    the rare document longer than 65,535 characters): Whoosh's default pickles a list of
    deltas per posting, several times slower to write and to read."""

    def encode(self, poslist):
        if poslist[-1] < 65536:
            return array("H", poslist).tobytes()
        return b"I" + array("I", poslist).tobytes()

    def decode_positions(self, valuestring):
        if len(valuestring) % 2:
            return array("I", valuestring[1:]).tolist()
        return array("H", valuestring).tolist()

    def decode_frequency(self, valuestring):
        return len(valuestring) // 4 if len(valuestring) % 2 else len(valuestring) // 2

    def decode_weight(self, valuestring):
        return self.decode_frequency(valuestring) * self.field_boost

    def combine(self, vs):
        return self.encode(sorted({p for v in vs for p in self.decode_positions(v)}))


# Term bytes shared between documents: a posting waits in memory until its segment is
# written, and one bytes object per distinct bigram instead of per posting is a fifth of
# that memory.
_TERM_BYTES: dict[str, bytes] = {}
_ONE_POSITION: list[bytes] = []           # filled when the first document is indexed


def _term_bytes(gram: str) -> bytes:
    b = _TERM_BYTES.get(gram)
    if b is None:
        if len(_TERM_BYTES) > 1_000_000:
            _TERM_BYTES.clear()
        b = _TERM_BYTES[gram] = gram.encode("utf-8")
    return b


class GramField(FieldType):
    """Positional character bigrams of a list of texts (see ``analysis.grams``). Whoosh
    calls ``index`` for every document; it yields the (term, frequency, weight, positions)
    postings directly, without a token stream. Weights are 1: ranking is ours."""

    def __init__(self):
        super().__init__(PositionsFormat(), analyzer=None, scorable=False, stored=False)

    def index(self, value, **kwargs):
        # In term order: Whoosh sorts a segment's postings before writing them, and
        # runs that are already sorted make that sort cheaper. Most bigrams occur once in
        # a document: their one position is looked up, not encoded.
        grams = analysis.grams(value)
        if not _ONE_POSITION:
            _ONE_POSITION.extend(array("H", [p]).tobytes() for p in range(65536))
        encode, one, term = self.format.encode, _ONE_POSITION, _TERM_BYTES.get
        return [(term(g) or _term_bytes(g), len(ps), 1.0,
                 one[ps[0]] if len(ps) == 1 and ps[0] < 65536 else encode(ps))
                for g, ps in sorted(grams.items())]


class WordsField(FieldType):
    """A set of words (the title's jieba words), no positions."""

    def __init__(self):
        super().__init__(Existence(), analyzer=None, scorable=False, stored=False)

    def index(self, value, **kwargs):
        return [(word.encode("utf-8"), 1, 1.0, b"") for word in dict.fromkeys(value) if word]


def schema():
    from whoosh.fields import ID, NUMERIC, STORED, Schema
    return Schema(
        archive_id=ID(stored=True, unique=True, sortable=True),   # the column: live ids
        exact=WordsField(),              # the folded 文号 and archive id, whole: rank first
        number=GramField(),              # the folded 文号: number: filter
        type=ID, type_name=ID, case_id=ID, retention=ID, origin=ID,
        year=ID, month=ID,               # "2021", "2021-03": filters, newest-first walks
        date=NUMERIC(int, bits=32, signed=False, shift_step=8, sortable=True),   # 20210305
        text=GramField(),                # archive id, 文号, title, units, persons, text
        title=GramField(),
        units=GramField(),
        words=WordsField(),              # jieba words of the title: ranking
        info=STORED,                     # what a hit shows (dict)
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


def fields(doc: dict) -> dict:
    """Whoosh fields for one archive document dict (the archive's contract)."""
    date = _date(doc.get("date"))
    units = [u for u in doc.get("units") or [] if u]
    persons = [p for p in doc.get("persons") or [] if p]
    title, text = doc.get("title") or "", doc.get("text") or ""
    number = doc.get("number") or ""
    out = dict(
        archive_id=doc["archive_id"],
        exact=[analysis.fold(number), analysis.fold(doc["archive_id"])], number=[number],
        type=doc.get("type") or "", type_name=doc.get("type_name") or "",
        case_id=doc.get("case_id") or "", retention=doc.get("retention") or "",
        origin=doc.get("origin") or "",
        text=[doc["archive_id"], number, title, *units, *persons, text],
        title=[title], units=units,
        words=list(analysis.title_words(title)),
        info=dict(archive_id=doc["archive_id"], number=number, title=title,
                  type=doc.get("type") or "", type_name=doc.get("type_name") or "",
                  date=date.isoformat() if date else "", units=units, persons=persons,
                  case_id=doc.get("case_id") or "", path=str(doc.get("path") or "")),
        body=zlib.compress(text.encode("utf-8"), 1),
    )
    if date:
        out.update(year=f"{date.year:04d}", month=f"{date.year:04d}-{date.month:02d}",
                   date=date.year * 10000 + date.month * 100 + date.day)
    return {k: v for k, v in out.items() if v not in ("", [])}


def body_text(stored: dict) -> str:
    body = stored.get("body")
    return zlib.decompress(body).decode("utf-8") if body else ""


# --- the pointer, the lock, opening --------------------------------------------------------------

def write_lock(index_dir, timeout: float = WRITE_TIMEOUT):
    """Exclusive, cross-process lock for every write; waits up to ``timeout`` seconds."""
    from docgen.fsio import lock
    return lock(Path(index_dir) / LOCK_NAME, timeout,
                f"检索索引正被其他进程写入（{index_dir}），等待 {timeout:.0f} 秒仍未结束，请稍后再试。")


def _pointer(index_dir: Path) -> dict | None:
    try:
        data = json.loads((index_dir / POINTER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("name"), str) else None


def _set_pointer(index_dir: Path, name: str) -> None:
    tmp = index_dir / (POINTER + ".tmp")
    tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "name": name}), "utf-8")
    os.replace(tmp, index_dir / POINTER)


MISSING = "检索索引不存在"
OUTDATED = "检索索引版本过旧"
DAMAGED = "检索索引已损坏"


def _open(index_dir: Path, pointer: dict | None = None):
    """(whoosh Index, None) for the live index, else (None, why in Chinese)."""
    from whoosh import index as wix
    pointer = pointer or _pointer(index_dir)
    if pointer is None:
        return None, MISSING if not (index_dir / POINTER).exists() else DAMAGED
    if pointer.get("schema") != SCHEMA_VERSION:
        return None, OUTDATED
    try:
        return wix.open_dir(str(index_dir), indexname=pointer["name"], schema=schema()), None
    except Exception:  # any failure to open: the index is derived data
        return None, DAMAGED


# Open searchers, per thread and index folder: opening one reads every segment's term
# table, much of a short query's time. One is reopened after any commit (its generation
# is no longer the latest) or rebuild (the pointer names another index). Not with
# Whoosh's ``refresh``: in 2.7.5 it carries the old segments' readers, deletions and all,
# into the new reader.
_cached = threading.local()
_every_cache: list[dict] = []        # each thread's, to close them all at exit


@atexit.register
def _close_all() -> None:
    for cache in _every_cache:
        for _, searcher in cache.values():
            _close(searcher)
        cache.clear()


def _thread_cache() -> dict:
    cache = getattr(_cached, "searchers", None)
    if cache is None:
        cache = _cached.searchers = {}
        _every_cache.append(cache)
    return cache


def _searcher(index_dir: Path):
    """(searcher, None) on the live index, else (None, why in Chinese)."""
    cache = _thread_cache()
    key = str(index_dir.resolve())
    pointer = _pointer(index_dir)
    name = (pointer or {}).get("name")
    entry = cache.pop(key, None)
    if entry is not None:
        try:
            if entry[0] == name and pointer.get("schema") == SCHEMA_VERSION and entry[1].up_to_date():
                cache[key] = entry
                return entry[1], None
        except Exception:
            pass
        _close(entry[1])
    ix, problem = _open(index_dir, pointer)
    if ix is None:
        return None, problem
    try:
        searcher = ix.searcher()
    except Exception:
        return None, DAMAGED
    cache[key] = (name, searcher)
    return searcher, None


def _close(searcher) -> None:
    try:
        searcher.close()
    except Exception:
        pass


def forget(index_dir) -> None:
    """Close this thread's open searcher on an index folder (tests, and before deleting it)."""
    entry = _thread_cache().pop(str(Path(index_dir).resolve()), None)
    if entry is not None:
        _close(entry[1])


def _is_damage(exc: BaseException) -> bool:
    """Whether an exception while reading may come from damaged files (Whoosh raises bare
    Exception for some) rather than from a programming error, which must surface. A TypeError
    raised inside Whoosh itself counts as damage: it is how Whoosh's readers fail on bytes a
    concurrent commit was rewriting (seen under load while documents were being issued)."""
    if isinstance(exc, TypeError):
        return _raised_in_whoosh(exc)
    return isinstance(exc, Exception) and not isinstance(
        exc, (DocgenError, AttributeError, NameError, ImportError, NotImplementedError,
              AssertionError, RecursionError))


def _raised_in_whoosh(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and f"{os.sep}whoosh{os.sep}" in tb.tb_frame.f_code.co_filename


_FAILED = object()


def _attempt(index_dir: Path, fn: Callable):
    """``(fn(searcher), None)`` on the index as it is, else ``(_FAILED, why in Chinese)``."""
    searcher, problem = _searcher(index_dir)
    if searcher is None:
        return _FAILED, problem
    try:
        return fn(searcher), None
    except Exception as exc:
        forget(index_dir)
        if not _is_damage(exc):
            raise
        return _FAILED, DAMAGED


def read_index(index_dir, fn: Callable, *, source=None, notify: Notify | None = None):
    """``fn(searcher)`` on a sound index; a missing, out-of-date or damaged index is
    recreated first (refilled from ``source``; without one the new index starts empty and
    the message says to run ``docgen index rebuild``). With a ``source`` that lists the
    archive's ids, items the index lacks (an issue killed before indexing) are indexed, and
    items no longer in the archive are dropped, before ``fn`` runs.

    A reader can fail merely because a concurrent rebuild removed files it was about to
    open, so failures are retried, and the index is only recreated once it also fails
    under the write lock, when nobody else can be changing it.
    """
    index_dir = Path(index_dir)
    source, notify = Source.of(source), notify or _warn
    if source is not None and source.ids is not None:
        catch_up(index_dir, source, notify=notify)
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
        _recreate(index_dir, problem, source, notify)
        result, problem = _attempt(index_dir, fn)
        if result is _FAILED:
            raise DocgenError(f"{problem}，重建后仍无法读取，请检查磁盘或删除 {index_dir} 后重试。")
        return result


def _recreate(index_dir: Path, problem: str, source: Source | None, notify: Notify) -> None:
    """Replace a missing, outdated or damaged index. Caller holds the write lock."""
    if source is None:
        notify(f"{problem}，已新建空索引；请运行 docgen index rebuild 从档案重建。")
        _build(index_dir, [])
    else:
        notify(f"{problem}，正在从档案重建……")
        t0 = time.monotonic()
        n = _build(index_dir, source.documents())
        notify(f"检索索引已重建：{n} 份文件，用时 {time.monotonic() - t0:.1f} 秒。")


# --- building --------------------------------------------------------------------------------

def _remove_other_indexes(index_dir: Path, keep: str) -> None:
    """Delete the files of every index but ``keep`` (a replaced one, or a build that was
    killed). Whoosh names an index's files ``_<name>_*`` (TOC) and ``<name>_*`` (segments)."""
    for p in index_dir.iterdir():
        name = p.name.lstrip("_")
        if name.startswith(NAME_PREFIX) and not name.startswith(keep + "_"):
            try:
                p.unlink()
            except (FileNotFoundError, IsADirectoryError):
                pass


def _chunks(docs: Iterable[dict], limit: int) -> Iterator[list[dict]]:
    chunk, size = [], 0
    for doc in docs:
        chunk.append(doc)
        size += len(doc.get("text") or "") + len(doc.get("title") or "") + 64
        if size >= limit:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _build(index_dir: Path, docs: Iterable[dict], *, procs: int = 1,
           progress: Notify | None = None) -> int:
    """Write ``docs`` as a new index beside the live one, then make it the live one.
    Caller holds the write lock. Until the switch, searches see the old index."""
    from whoosh import index as wix
    index_dir.mkdir(parents=True, exist_ok=True)
    name = NAME_PREFIX + secrets.token_hex(4)
    ix = wix.create_in(str(index_dir), schema(), indexname=name)
    n = 0
    try:
        for chunk in _chunks(docs, CHUNK_CHARS * procs):
            if procs > 1:   # each process writes a segment of its share of the chunk
                w = ix.writer(procs=procs, multisegment=True, batchsize=max(1, len(chunk) // (procs * 4)),
                              codec=codec(), **WRITER_ARGS)
            else:
                w = ix.writer(codec=codec(), **WRITER_ARGS)
            try:
                for doc in chunk:
                    w.add_document(**fields(doc))
            except BaseException:
                w.cancel()
                raise
            w.commit(merge=False)
            before, n = n, n + len(chunk)
            if progress and n // PROGRESS_EVERY > before // PROGRESS_EVERY:
                progress(f"已读入 {n // PROGRESS_EVERY * PROGRESS_EVERY} 份文件……")
    except BaseException:
        _remove_other_indexes(index_dir, keep=(_pointer(index_dir) or {}).get("name", ""))
        raise
    _set_pointer(index_dir, name)
    _remove_other_indexes(index_dir, keep=name)
    return n


def rebuild(index_dir, docs: Iterable[dict], *, notify: Notify | None = None,
            procs: int = 1) -> int:
    """Replace the whole index with ``docs`` (every archive document); returns the count.

    While it runs, searches still see the previous index. ``notify`` receives progress
    messages; ``procs`` > 1 indexes in that many processes.
    """
    index_dir = Path(index_dir)
    with write_lock(index_dir):
        return _build(index_dir, docs, procs=procs, progress=notify)


# --- incremental writes ---------------------------------------------------------------------

def _merge_small(writer, segments):
    """Merge policy for incremental commits: each issue adds a tiny segment; merge those
    once there are several, and never touch the big segments a rebuild wrote (merging them
    rewrites every posting)."""
    from whoosh.reading import SegmentReader
    small = [s for s in segments if s.doc_count_all() < SMALL_SEGMENT]
    if len(small) < 8:
        return segments
    for seg in small:
        writer.add_reader(SegmentReader(writer.storage, writer.schema, seg))
    return [s for s in segments if s not in small]


@contextmanager
def writer(index_dir, *, source=None, notify: Notify | None = None,
           timeout: float = WRITE_TIMEOUT):
    """Locked writer: ``with writer(d) as w: w.update(doc); w.delete(archive_id)``.
    Commits on normal exit, discards everything on an exception."""
    index_dir = Path(index_dir)
    with write_lock(index_dir, timeout):
        ix, problem = _open(index_dir)
        if ix is not None:              # what a killed rebuild left behind
            _remove_other_indexes(index_dir, keep=ix.indexname)
        if ix is None:
            _recreate(index_dir, problem, Source.of(source), notify or _warn)
            ix, problem = _open(index_dir)
            if ix is None:
                raise DocgenError(f"{problem}，请删除 {index_dir} 后运行 docgen index rebuild。")
        w = _Writer(ix.writer(timeout=timeout, delay=0.05, codec=codec(), **WRITER_ARGS))
        try:
            yield w
        except BaseException:
            w.w.cancel()
            raise
        w.w.commit(mergetype=_merge_small)


class _Writer:
    def __init__(self, w):
        self.w = w

    def update(self, doc: dict) -> None:
        """Add a document, replacing any with the same archive_id."""
        self.w.update_document(**fields(doc))

    def delete(self, archive_id: str) -> None:
        self.w.delete_by_term("archive_id", archive_id)


def add_documents(index_dir, docs: Iterable[dict], *, source=None,
                  notify: Notify | None = None) -> int:
    """Add or replace documents (on issue or import). Returns how many were written.

    Pass ``source`` (the archive): if the index turns out to be missing or damaged, it is
    then rebuilt from the archive instead of failing; and with a source that lists ids,
    other items the index lacks are added too.
    """
    index_dir, source, notify = Path(index_dir), Source.of(source), notify or _warn
    docs = list(docs)
    try:
        with writer(index_dir, source=source, notify=notify) as w:
            for doc in docs:
                w.update(doc)
    except Exception as exc:
        if not _is_damage(exc):
            raise
        if source is None:
            raise DocgenError(f"写入检索索引失败（{exc}），请运行 docgen index rebuild 重建。") from None
        with write_lock(index_dir):
            _recreate(index_dir, DAMAGED, source, notify)
    if source is not None and source.ids is not None:
        catch_up(index_dir, source, notify=notify)
    return len(docs)


def delete_documents(index_dir, archive_ids: Iterable[str], *, notify: Notify | None = None) -> None:
    with writer(index_dir, notify=notify) as w:
        for aid in archive_ids:
            w.delete(aid)


def doc_count(index_dir) -> int:
    return read_index(index_dir, lambda s: s.doc_count())


def indexed_ids(searcher) -> set[str]:
    """Archive ids of the documents in the index (not of deleted ones, which the lexicon
    still lists until their segment is merged)."""
    reader = searcher.reader()
    column = reader.column_reader("archive_id")
    return {v.decode("utf-8") if isinstance(v, bytes) else v for v in map(column.__getitem__, reader.all_doc_ids())}


# --- catching up with the archive ----------------------------------------------------------------

def catch_up(index_dir, source: Source, *, notify: Notify | None = None) -> tuple[int, int]:
    """Index the archive items the index lacks and drop the ones the archive no longer has
    (an issue killed between filing and indexing; an item folder removed by hand).
    Returns (added, dropped).

    Cheap when nothing changed: the archive folder's modification time (every item added
    or removed changes it) against the one recorded at the last comparison; then the
    number of items against the number of indexed documents; only when those differ,
    the ids."""
    index_dir, notify = Path(index_dir), notify or _warn
    searcher, _ = _searcher(index_dir)
    if searcher is None:
        return 0, 0                     # read_index recreates it from the archive
    stamp = source.stamp() if source.stamp else None
    try:
        seen = [stamp, _pointer(index_dir)["name"], searcher.doc_count()]
        if stamp is not None and _read_seen(index_dir) == seen:
            return 0, 0
        archive = source.ids()
        have = indexed_ids(searcher) if searcher.doc_count() != len(archive) else None
    except Exception as exc:
        forget(index_dir)
        if not _is_damage(exc):
            raise
        return 0, 0
    added = dropped = 0
    if have is not None:
        added, dropped = _sync(index_dir, source, archive, have, notify)
    if stamp is not None and not added and not dropped:
        _write_seen(index_dir, seen)
    return added, dropped


def _read_seen(index_dir: Path):
    try:
        return json.loads((index_dir / SEEN).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _write_seen(index_dir: Path, seen: list) -> None:
    tmp = index_dir / f"{SEEN}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(seen), "utf-8")
        os.replace(tmp, index_dir / SEEN)
    except OSError:
        tmp.unlink(missing_ok=True)     # a read-only index folder: compare again next time


def _sync(index_dir: Path, source: Source, archive: set[str], have: set[str], notify: Notify):
    # An empty listing with a full index is more likely a wrong folder than an emptied
    # archive: nothing is dropped then.
    missing, gone = archive - have, (have - archive) if archive else set()
    docs = list(source.fetch(sorted(missing))) if missing and source.fetch else []
    if not docs and not gone:
        return 0, 0
    with writer(index_dir, notify=notify) as w:
        for doc in docs:
            w.update(doc)
        for aid in gone:
            w.delete(aid)
    if docs:
        notify(f"检索索引缺少 {len(docs)} 件档案（上次签发或导入可能中断），已补编：" +
               "、".join(d["archive_id"] for d in docs[:5]) + (" 等" if len(docs) > 5 else ""))
    if gone:
        notify(f"档案中已没有 {len(gone)} 件索引中的文件，已从检索索引移除：" +
               "、".join(sorted(gone)[:5]) + (" 等" if len(gone) > 5 else "") +
               "（请运行 docgen archive verify 检查档案）")
    return len(docs), len(gone)
