"""The archive as seen by the index: every document (to rebuild), and which items exist
(to notice items the index lacks)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterable

TYPES_CACHE = "declared-types.json"     # in the index folder: see declared_types


class Source:
    """What the index needs from the archive to rebuild itself and to catch up with it.

    ``documents()`` yields every archive document; ``ids()``, when given, lists the
    archive ids of every item cheaply, ``fetch(ids)`` yields the documents of those items
    (skipping any that cannot be read), and ``stamp()`` returns something that changes
    whenever an item is added or removed (so that listing them can be skipped). A plain
    zero-argument callable is accepted wherever a Source is, as ``documents``.
    """

    def __init__(self, documents: Callable[[], Iterable[dict]],
                 ids: Callable[[], set[str]] | None = None,
                 fetch: Callable[[Iterable[str]], Iterable[dict]] | None = None,
                 stamp: Callable[[], object] | None = None):
        self.documents, self.ids, self.fetch, self.stamp = documents, ids, fetch, stamp

    def __call__(self) -> Iterable[dict]:
        return self.documents()

    @classmethod
    def of(cls, source) -> "Source | None":
        if source is None or isinstance(source, cls):
            return source
        return cls(source)


def archive_source(root, notify: Callable[[str], None] | None = None) -> Source:
    """The workspace's archive: an item is a folder of ``archive/`` named by its archive
    id (``docgen.archive``); listing the folder names is the cheap check."""
    root = Path(root)
    folder = root / "archive"

    def ids() -> set[str]:
        try:
            with os.scandir(folder) as entries:
                return {e.name for e in entries if not e.name.startswith(".") and e.is_dir()}
        except FileNotFoundError:
            return set()

    def stamp():
        """The archive folder's modification time: adding or removing an item changes it."""
        try:
            return os.stat(folder).st_mtime_ns
        except FileNotFoundError:
            return None

    def documents():
        from docgen.archive import iter_documents
        return iter_documents(root) if notify is None else iter_documents(root, notify)

    def fetch(wanted):
        from docgen.archive import Archive, document_for_index
        from docgen.errors import DocgenError
        from docgen.workspace import Workspace
        archive = Archive(Workspace(root))
        for aid in wanted:
            try:
                yield document_for_index(archive.item(aid))
            except (DocgenError, OSError, ValueError, KeyError):
                continue            # unreadable: `docgen archive verify` names it
    return Source(documents, ids, fetch, stamp)


def declared_types(root, cache: Path | None = None) -> dict[str, str]:
    """{type id: Chinese name} from the workspace's declarations (``templates/<id>.yaml``,
    ``name:``), so that a 文种 name typed as a query matches documents of that type. Only
    the names are taken, and an unreadable declaration is skipped: ``docgen check`` is what
    validates declarations, and a search must not fail on one.

    Parsing the declarations costs more than a search, so with ``cache`` (a JSON file) the
    names are kept there with each file's size and modification time, and read again only
    when a declaration changes."""
    from docgen.errors import DocgenError
    from docgen.yamlio import load
    paths = sorted((Path(root) / "templates").glob("*.yaml"))
    stamp = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append([path.name, st.st_size, st.st_mtime_ns])
    if cache is not None:
        try:
            kept = json.loads(Path(cache).read_text("utf-8"))
            if kept["stamp"] == stamp:
                return dict(kept["types"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    out = {}
    for path in paths:
        try:
            name = load(path).get("name")
        except DocgenError:
            continue
        if isinstance(name, str):
            out[path.stem] = name
    if cache is not None and Path(cache).parent.is_dir():
        tmp = Path(f"{cache}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"stamp": stamp, "types": out}, ensure_ascii=False), "utf-8")
            os.replace(tmp, cache)
        except OSError:
            tmp.unlink(missing_ok=True)     # a read-only archive: parse every time
    return out
