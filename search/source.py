"""The archive as seen by the index: every document (to rebuild), and which items exist
(to notice items the index lacks)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable


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


def declared_types(root) -> dict[str, str]:
    """{type id: Chinese name} from the workspace's declarations (``templates/<id>.yaml``,
    ``name:``), so that a 文种 name typed as a query matches documents of that type. Only
    the names are read (PyYAML's C loader when present): searching must start fast, and
    ``docgen check`` is what validates declarations."""
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = {}
    for path in sorted((Path(root) / "templates").glob("*.yaml")):
        try:
            data = yaml.load(path.read_text("utf-8"), Loader=loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            out[path.stem] = data["name"]
    return out
