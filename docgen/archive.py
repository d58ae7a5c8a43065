"""The archive store (DA/T 22-2015, GB/T 18894-2016): one read-only folder an item (件), its
fixity, and the register (docgen.register) it is checked against.

    archive/J021-WS·2021-D10-AWB-0001/      named by its 档号; folders 0555, files 0444
        document.docx        the issued original (or original.<ext> for an imported file)
        document.pdf         PDF/A with the 归档章 on its first page
        <doc>.yaml           the casefile document exactly as issued (issued items)
        text.txt             the full text, for the index
        metadata.json        the archival metadata (ARCHIVE.md)
        manifest-sha256.txt  BagIt-style fixity: "<sha256>  <file>" a line, every file above

Filing is one transaction under the workspace lock: the item is built in a temporary folder
inside archive/, a journal names the register line it will get, one rename publishes it, the
line is appended to the register and committed to git, the journal is removed. A crash at any
point is finished or undone by whoever takes the lock next (recover): a temporary folder is
removed (nothing was filed, the number was never given), a published item whose line is
missing gets it, a line git lacks is committed. No number is given twice, none is lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from docgen import fsio, provenance
from docgen.errors import DocgenError, Problem
from docgen.ids import check_id
from docgen.fsio import atomic_write, fsync_dir, make_read_only, remove_tree
from docgen.register import ISSUED, VOID, Register, Row, archive_id

__all__ = ["Archive", "Item", "Row", "archive_id", "document_for_index", "iter_documents", "sha256"]

MANIFEST = "manifest-sha256.txt"
METADATA = "metadata.json"
TEXT = "text.txt"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
JOURNAL = ".filing.json"  # the register line of the item being filed, until it is written
LOCK_TIMEOUT = 600  # seconds; issuing holds the lock through LibreOffice runs
REQUIRED = ("archive_id", "number", "title", "date", "type", "type_name", "retention", "origin", "year")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class Item:
    path: Path
    metadata: dict
    notices: list[str] = field(default_factory=list)  # what the clerk should know (e.g. a failed commit)

    @property
    def id(self) -> str:
        return self.metadata["archive_id"]


def _problem(kind: str, item: str, file: str, message: str) -> dict:
    return {"item": item, "file": file, "problem": kind, "message": message}


def void_entry(row: Row) -> dict:
    """A 作废 register line as shown to an inspector (JSON and the web)."""
    return {"status": row.status, "number": row.number, "reason": row.note, "date": row.recorded[:10],
            "recorded": row.recorded, "register": row.where}


class Archive:
    """The archive folder of a workspace and its register."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.root: Path = workspace.archive
        self.register = Register(workspace.root)
        self.broken: list[Problem] = []  # items whose metadata could not be read by items()

    # ------------------------------------------------------------------ reading
    def folders(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def read(self, folder: Path) -> Item:
        """One item; DocgenError naming it when its metadata cannot be read."""
        shown = self.workspace.relative(folder / METADATA)
        try:
            meta = json.loads((folder / METADATA).read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise DocgenError(Problem(f"档案 {folder.name} 缺少 {METADATA}", shown)) from None
        except UnicodeDecodeError:
            raise DocgenError(Problem(f"档案 {folder.name} 的 {METADATA} 不是 UTF-8 文本，无法读取", shown)) from None
        except ValueError as exc:
            raise DocgenError(Problem(f"档案 {folder.name} 的 {METADATA} 不是合法的 JSON（{exc}）", shown)) from None
        except OSError as exc:
            raise DocgenError(Problem(f"档案 {folder.name} 的 {METADATA} 无法读取（{exc.strerror}）", shown)) from None
        missing = [key for key in REQUIRED if not isinstance(meta, dict) or key not in meta]
        if missing:
            raise DocgenError(Problem(f"档案 {folder.name} 的 {METADATA} 缺少 {'、'.join(missing)}", shown))
        if meta["archive_id"] != folder.name:
            raise DocgenError(Problem(f"档案目录 {folder.name} 的元数据写的档号是 {meta['archive_id']}", shown))
        return Item(folder, meta)

    def items(self) -> list[Item]:
        """Every readable item; the others are named in self.broken."""
        found, self.broken = [], []
        for folder in self.folders():
            try:
                found.append(self.read(folder))
            except DocgenError as exc:
                self.broken += exc.problems
        return found

    def item(self, item_id: str) -> Item:
        path = self.root / check_id(item_id, "档号")
        if "/" in item_id or item_id.startswith(".") or not path.is_dir():
            raise DocgenError(f"档案中没有 {item_id}（可用 docgen archive list 查看）")
        return self.read(path)

    def show(self, item_id: str) -> dict:
        """`docgen archive show --json`: an item's metadata, the reason if its number was voided
        (None otherwise), and the register's 作废 line itself ("void": status, number, reason,
        date, when recorded and where in the register; None if not voided)."""
        found = self.item(item_id)
        voided = self.voided().get(found.id)
        return {**found.metadata, "voided": voided.note if voided else None,
                "void": void_entry(voided) if voided else None}

    def voided(self) -> dict[str, Row]:
        """档号 → the 作废 line of each item whose number was withdrawn."""
        rows, _ = self.register.load()
        return {r.archive_id: r for r in rows if r.status == VOID and r.archive_id}

    def issued(self) -> dict[tuple[str, str], Row]:
        """(case, document) → the register line of its issue, for documents not voided since
        (the register is the truth: an issued document whose item was lost is still issued)."""
        rows, _ = self.register.load()
        return {(r.case, r.doc): r for r in Register.current(rows).values() if r.status == ISSUED}

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[list[str]]:
        """`with archive.lock() as notices:` exclusive across processes for everything that
        gives out numbers or writes the archive or register; whoever takes it first finishes
        what a crash left (recover), and `notices` say what that did."""
        self.root.mkdir(parents=True, exist_ok=True)
        with fsio.lock(self.root / LOCK, timeout, "档案正被另一个签发、导入或校验任务占用，等待超时，请稍后重试"):
            yield self.recover()

    def recover(self) -> list[str]:
        """Under the lock: clear a crash's leftovers and finish an interrupted filing. Returns
        what was done, for the clerk."""
        done = []
        for stale in self.root.glob(TMP_PREFIX + "*"):
            remove_tree(stale)  # a filing that never published: its number was never given
        journal = self.root / JOURNAL
        if journal.exists():
            try:
                row = Row(**json.loads(journal.read_text(encoding="utf-8")))
            except (ValueError, TypeError):
                journal.unlink()  # written atomically, so unreadable means nothing was filed after it
                row = None
            if row is not None:
                registered = {r.archive_id for r in self.register.rows()}
                target = self.root / row.archive_id
                if row.archive_id not in registered and target.is_dir():
                    if not (target / MANIFEST).is_file() or sha256(target / MANIFEST) != row.manifest:
                        raise DocgenError(f"上次归档 {row.archive_id}（{row.number or row.title}）中断，其校验清单"
                                          f"与中断前记录的不符，无法自动补记；请运行 docgen archive verify 并联系管理员"
                                          f"（中断记录：{self.workspace.relative(journal)}）")
                    row.note = "归档后登记前中断，补记"
                    self.register.append(row)
                    done.append(f"上次归档中断，已补记登记：{row.number or '（无文号）'} {row.archive_id}")
                journal.unlink()
        if provenance.is_repository(self.workspace.root):
            for path in self.register.files():
                if self.register.uncommitted(path):
                    failed = self.commit_register(path, f"发文登记（补记未提交的登记）：{path.name}")
                    done.append(failed or f"已把 {self.workspace.relative(path)} 中尚未提交的登记提交 git")
        return done

    def file(self, build: Callable[[Path], dict], row: Row, message: str, clerk: str | None = None) -> Item:
        """Under the lock: build an item in a temporary folder (build(tmp) writes its files and
        returns the metadata), publish it read-only by one rename, append `row` to the register
        and commit it with `message`."""
        target = self.root / row.archive_id
        if target.exists():  # the register says free, yet a folder is there: someone copied it in
            raise DocgenError(f"档号 {row.archive_id} 未登记，但档案中已有此目录；档案只能追加，不会覆盖。"
                              "请运行 docgen archive verify 查看")
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=TMP_PREFIX))
        journal = self.root / JOURNAL
        published = False
        try:
            metadata = build(tmp)
            files = sorted(p.name for p in tmp.iterdir() if p.is_file())
            metadata["files"] = {name: sha256(tmp / name) for name in files}
            metadata["filed_at"] = row.recorded = now()
            atomic_write(tmp / METADATA, json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
            atomic_write(tmp / MANIFEST, "".join(f"{sha256(tmp / name)}  {name}\n"
                                                 for name in sorted(files + [METADATA])))
            row.manifest = sha256(tmp / MANIFEST)
            make_read_only(tmp)
            fsync_dir(tmp)
            with fsio.uninterrupted():  # publish, register and commit together (a kill -9 is recover's)
                atomic_write(journal, json.dumps(asdict(row) | {"file": None, "line": None}, ensure_ascii=False))
                os.rename(tmp, target)
                published = True
                fsync_dir(self.root)
                path = self.register.append(row)
                journal.unlink()
                notice = self.commit_register(path, message, clerk)
        except BaseException:
            if not published:
                remove_tree(tmp)
                journal.unlink(missing_ok=True)
            raise
        return Item(target, metadata, [notice] if notice else [])

    def record(self, row: Row, message: str, clerk: str | None = None) -> list[str]:
        """Under the lock: append a line that files nothing (a voided number) and commit it."""
        with fsio.uninterrupted():
            path = self.register.append(row)
            return [n for n in [self.commit_register(path, message, clerk)] if n]

    def commit_register(self, path: Path, message: str, clerk: str | None = None) -> str | None:
        """Commit a register file (by `clerk`, when known); a failure is reported, not raised:
        the line is written, and the next issue commits it."""
        try:
            self.register.commit(path, message, self.workspace.office["name"], clerk)
        except DocgenError as exc:
            shown = self.workspace.relative(path)
            return f"登记已写入 {shown}，但提交 git 失败（{exc}）；请运行 git commit {shown}，或待下次签发时一并提交"
        return None

    # ------------------------------------------------------------------ fixity
    def check_item(self, folder: Path) -> list[dict]:
        """Every file of one item against its manifest: changed, missing, unexpected."""
        name_ = folder.name
        manifest = folder / MANIFEST
        if not manifest.is_file():
            return [_problem("missing", name_, MANIFEST, "缺少校验清单")]
        try:
            text = manifest.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return [_problem("changed", name_, MANIFEST, "校验清单不是 UTF-8 文本，已损坏")]
        problems, listed = [], {}
        for n, line in enumerate(text.splitlines(), 1):
            digest, sep, name = line.partition("  ")
            if not sep or len(digest) != 64 or not name or name in listed:
                problems.append(_problem("changed", name_, MANIFEST, f"校验清单第{n}行格式有误"))
                continue
            listed[name] = digest
        for name, digest in listed.items():
            path = folder / name
            if not path.is_file():
                problems.append(_problem("missing", name_, name, "文件缺失"))
            elif sha256(path) != digest:
                problems.append(_problem("changed", name_, name, "内容已被改动（SHA-256 不符）"))
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if not path.is_dir() and name not in listed and name != MANIFEST:
                problems.append(_problem("unexpected", name_, name, "清单之外的文件"))
        return problems

    def verify(self) -> tuple[list[dict], list[str]]:
        """(problems, notices): every item's fixity, and register ⇄ archive both ways — every
        registered item present and matching its manifest digest and metadata, every item
        registered — and the register's git history. Takes the lock, so a filing in progress
        is not mistaken for damage, and finishes one a crash interrupted. An account that may
        only read the workspace (an inspector's) gets the check without either."""
        with contextlib.ExitStack() as stack:
            try:
                notices = stack.enter_context(self.lock())
            except PermissionError:
                notices = ["没有写入档案目录的权限：未加锁、未恢复中断的签发，只做只读校验（签发进行中时可能误报）"]
            return self._verify(notices), notices

    def _verify(self, notices: list[str]) -> list[dict]:
        rows, wrong = self.register.load()
        problems = [_problem("register", "", f"{p.file}" + (f" 第{p.line}行" if p.line else ""), p.message)
                    for p in wrong]
        history, said = self.register.history_problems()
        notices += said
        problems += [_problem("register", "", p.file or "", p.message) for p in history]
        filed: dict[str, Row] = {}
        numbers: dict[str, Row] = {}
        for row in rows:
            if row.status == VOID:
                continue
            if row.archive_id in filed:
                problems.append(_problem("register", row.archive_id, row.where,
                                         f"档号重复登记（另见{filed[row.archive_id].where}）"))
            filed[row.archive_id] = row
            if row.number and row.number in numbers:
                problems.append(_problem("register", row.archive_id, row.where,
                                         f"文号 {row.number} 重复登记（另见{numbers[row.number].where}）"))
            numbers.setdefault(row.number, row)
        voids: set[str] = set()
        for row in rows:
            if row.status != VOID:
                continue
            key = row.number or row.archive_id
            if key in voids:
                problems.append(_problem("register", row.archive_id, row.where, f"{key} 重复作废"))
            voids.add(key)
            # A void names a filed item, or stands alone (a number lost before it was filed)
            target = filed.get(row.archive_id)
            if target is not None and target.number != row.number:
                problems.append(_problem("register", row.archive_id, row.where,
                                         f"作废的 {row.number or row.archive_id} 与登记簿中的签发记录对不上"))
        present = {folder.name: folder for folder in self.folders()}
        for name, folder in present.items():
            problems += self.check_item(folder)
            if name not in filed:
                problems.append(_problem("unregistered", name, "", "登记簿中没有此档号：未经签发或导入登记的档案"))
        for aid, row in filed.items():
            folder = present.get(aid)
            if folder is None:
                label = f"{row.number or '（无文号）'}《{row.title}》"
                problems.append(_problem("missing-item", aid, "", f"档案缺失：登记簿（{row.where}）登记的 {label} 不在档案中"))
            else:
                problems += self._against_register(folder, row)
        return problems

    def verify_item(self, item_id: str) -> list[dict]:
        """One item: its files against its manifest, and it against its register line — what an
        item's page shows (no lock, no history: `verify` does the whole archive)."""
        folder = self.root / item_id
        if "/" in item_id or item_id.startswith(".") or not folder.is_dir():
            raise DocgenError(f"档案中没有 {item_id}（可用 docgen archive list 查看）")
        rows, _ = self.register.load()
        row = next((r for r in rows if r.archive_id == item_id and r.status != VOID), None)
        if row is None:
            return self.check_item(folder) + [_problem("unregistered", item_id, "", "登记簿中没有此档号")]
        return self.check_item(folder) + self._against_register(folder, row)

    def _against_register(self, folder: Path, row: Row) -> list[dict]:
        """A present item against its register line: manifest digest, metadata, and the
        metadata's own digests against the manifest."""
        aid, problems = folder.name, []
        if not (folder / MANIFEST).is_file() or sha256(folder / MANIFEST) != row.manifest:
            problems.append(_problem("changed", aid, MANIFEST, f"校验清单与登记簿（{row.where}）记录的 SHA-256 不符"))
        try:
            meta = self.read(folder).metadata
        except DocgenError as exc:
            return problems + [_problem("changed", aid, METADATA, p.message) for p in exc.problems]
        expected = {"number": row.number, "title": row.title, "date": row.date, "case_id": row.case, "document": row.doc}
        differ = [key for key, value in expected.items() if (meta.get(key) or "") != value]
        if differ:
            problems.append(_problem("changed", aid, METADATA, f"元数据与登记簿（{row.where}）不符：" + "、".join(differ)))
        if (folder / MANIFEST).is_file():
            manifest = {line.partition("  ")[2]: line.partition("  ")[0] for line in
                        (folder / MANIFEST).read_bytes().decode("utf-8", "replace").splitlines()}
            manifest.pop(METADATA, None)
            if manifest != (meta.get("files") or {}):
                problems.append(_problem("changed", aid, MANIFEST, "校验清单与元数据中的文件摘要不符"))
        return problems


# ---------------------------------------------------------------------- the search index's feed

def document_for_index(item: Item) -> dict:
    meta = item.metadata
    text_path = item.path / TEXT
    pdf = item.path / "document.pdf"
    return {
        "archive_id": meta["archive_id"], "number": meta.get("number", ""), "title": meta["title"],
        "text": text_path.read_text(encoding="utf-8", errors="replace") if text_path.exists() else "",
        "type": meta["type"], "type_name": meta["type_name"], "date": dt.date.fromisoformat(meta["date"]),
        "units": meta.get("units", []), "persons": meta.get("persons", []), "case_id": meta.get("case_id", ""),
        "retention": meta["retention"], "origin": meta["origin"],
        "path": str(pdf if pdf.exists() else item.path),
    }


def _warn(message: str) -> None:
    print(f"提示：{message}", file=sys.stderr)


def iter_documents(root: Path, notify: Callable[[str], None] | None = _warn) -> Iterator[dict]:
    """Every archived item as a document for the search index (rebuild); an item that cannot
    be read is named through `notify` and left out."""
    from docgen.workspace import Workspace

    archive = Archive(Workspace(Path(root)))
    for item in archive.items():
        yield document_for_index(item)
    for problem in archive.broken:
        if notify:
            notify(f"{problem}，未编入检索索引")
