"""The append-only archive of issued and imported documents (DA/T 22-2015, GB/T 18894-2016).

One folder an item (件), named by its 档号 (全宗号-WS·年度-保管期限-机构-件号):

    archive/J021-WS·2021-D10-AWB-0001/
        document.docx        the issued original (or original.<ext> for an imported file)
        document.pdf         PDF/A with the 归档章 on its first page
        text.txt             the full text, for the index
        metadata.json        the archival metadata (ARCHIVE.md)
        manifest-sha256.txt  BagIt-style fixity: "<sha256>  <file>" a line, every file above

Crash safety: an item is built in a temporary folder inside archive/ and becomes visible by
one atomic rename; the folders themselves are the ledger (the next 发文字号 and 件号 are
derived from them), so a crash or kill at any point leaves no gap, no duplicate and no
half-filed item. A file lock serialises issuers across processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from docgen import gbt9704 as gb
from docgen import progress
from docgen.doctypes import RETENTIONS
from docgen.errors import DocgenError
from docgen.fsio import atomic_write

CATEGORY = "WS"  # 门类: 文书
MANIFEST = "manifest-sha256.txt"
METADATA = "metadata.json"
TEXT = "text.txt"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
LOCK_TIMEOUT = 600  # seconds; issuing holds the lock through one LibreOffice run


def archive_id(fonds: str, year: int, retention: str, org: str, item_no: int) -> str:
    """档号: 全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号 (ARCHIVE.md)."""
    return f"{fonds}-{CATEGORY}·{year}-{retention}-{org}-{item_no:04d}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Item:
    path: Path
    metadata: dict

    @property
    def id(self) -> str:
        return self.metadata["archive_id"]


class Archive:
    """The archive folder of a workspace."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.root: Path = workspace.archive

    # ------------------------------------------------------------------ reading
    def items(self) -> list[Item]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            meta = folder / METADATA
            if folder.is_dir() and not folder.name.startswith(".") and meta.is_file():
                found.append(Item(folder, json.loads(meta.read_text(encoding="utf-8"))))
        return found

    def item(self, item_id: str) -> Item:
        path = self.root / item_id
        if "/" in item_id or item_id.startswith(".") or not (path / METADATA).is_file():
            raise DocgenError(f"档案中没有 {item_id}（可用 docgen archive list 查看）")
        return Item(path, json.loads((path / METADATA).read_text(encoding="utf-8")))

    def issued(self, case_id: str, doc_id: str) -> Item | None:
        for item in self.items():
            meta = item.metadata
            if meta.get("origin") == "issued" and meta.get("case_id") == case_id and meta.get("document") == doc_id:
                return item
        return None

    # ------------------------------------------------------------------ locking
    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT):
        """Exclusive across processes; waits for another issuer, then clears its leftovers."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise DocgenError("档案正被另一个签发或导入任务占用，等待超时，请稍后重试") from None
                    time.sleep(0.1)
            try:
                # Under the lock no other writer runs, so any temporary folder is a crash's.
                for stale in self.root.glob(TMP_PREFIX + "*"):
                    shutil.rmtree(stale, ignore_errors=True)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ numbering
    def _next_item_no(self, items: list[Item], year: int, retention: str, org: str) -> int:
        nos = [i.metadata["item_no"] for i in items if (i.metadata["year"], i.metadata["retention"],
                                                       i.metadata["org_code"]) == (year, retention, org)]
        return max(nos, default=0) + 1

    @staticmethod
    def _next_number(items: list[Item], prefix: str, year: int) -> int:
        seqs = []
        for item in items:
            match = gb.NUMBER_RE.match(item.metadata.get("number") or "")
            if item.metadata.get("origin") == "issued" and match and match["prefix"] == prefix \
                    and int(match["year"]) == year:
                seqs.append(int(match["seq"]))
        return max(seqs, default=0) + 1

    # ------------------------------------------------------------------ filing
    def _file(self, build, item_id: str) -> Item:
        """Build an item in a temporary folder (build(tmp) writes its files and returns the
        metadata), write digests and manifest, then publish it with one rename."""
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=TMP_PREFIX))
        try:
            metadata = build(tmp)
            files = sorted(p.name for p in tmp.iterdir() if p.is_file())
            metadata["files"] = {name: sha256(tmp / name) for name in files}
            metadata["filed_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
            atomic_write(tmp / METADATA, json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
            manifest = "".join(f"{sha256(tmp / name)}  {name}\n" for name in sorted(files + [METADATA]))
            atomic_write(tmp / MANIFEST, manifest)
            _fsync_dir(tmp)
            target = self.root / item_id
            if target.exists():  # the lock makes this impossible unless someone copied files in by hand
                raise DocgenError(f"档号 {item_id} 的目录已存在，档案只能追加，不会覆盖")
            os.rename(tmp, target)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return Item(target, metadata)

    def issue(self, case_id: str, doc_id: str, *, allow_dirty: bool = False) -> Item:
        """Number a draft, render its final .docx and PDF, and file them. Refuses a document
        already issued (naming its number) and, in git, a casefile with uncommitted changes."""
        from docgen import provenance
        from docgen.casefile import load_case
        from docgen.render import Rendered, Renderer

        ws = self.workspace
        case = load_case(ws, case_id)
        doc = case.document(doc_id)
        git = provenance.state(ws.root, case.path)
        if git and git.dirty and not allow_dirty:
            raise DocgenError(f"案卷 {case_id} 有未提交的修改（{'、'.join(git.dirty)}），请先 git commit；"
                              "确需签发请加 --allow-dirty（将记入档案）")
        renderer = Renderer(ws)
        renderer.render_bytes(doc)  # a bad casefile fails here, before any number is taken
        office = ws.office
        with self.lock():
            done = self.issued(case_id, doc_id)
            if done:
                raise DocgenError(f"{case_id} 的 {doc_id} 已签发，文号 {done.metadata['number']}，"
                                  f"档号 {done.id}；更正请另行发文")
            items = self.items()
            year = doc.values["date"].year
            retention = doc.retention
            number = gb.format_number(office["number_prefix"], year,
                                      self._next_number(items, office["number_prefix"], year))
            item_no = self._next_item_no(items, year, retention, office["org_code"])
            item_id = archive_id(office["fonds"], year, retention, office["org_code"], item_no)

            def build(tmp: Path) -> dict:
                progress.step(f"正在生成 {number}（{doc.type.name}）……")
                docx = tmp / "document.docx"
                docx.write_bytes(renderer.render_bytes(doc, number))
                pages = _pdf_with_stamp(Rendered(doc, docx, number), renderer, tmp / "document.pdf",
                                        office, year, item_no, retention)
                text = docx_text(docx.read_bytes())
                (tmp / TEXT).write_text(text, encoding="utf-8")
                return {
                    **_base_metadata(item_id, office, year, retention, item_no),
                    "number": number, "title": doc.title, "issuer": "、".join(doc.values.get("signers") or [office["name"]]),
                    "date": doc.values["date"].isoformat(), "type": doc.type.id, "type_name": doc.type.name,
                    "security": doc.values.get("security", ""), "pages": pages,
                    "units": _units(case, doc), "persons": _persons(case, doc),
                    "case_id": case_id, "casefile": ws.relative(case.path), "document": doc_id,
                    "origin": "issued",
                    "git": None if git is None else {"commit": git.commit, "case_commit": git.case_commit,
                                                     "dirty": git.dirty, "allow_dirty": bool(git.dirty)},
                }

            item = self._file(build, item_id)
        progress.step("正在更新检索索引……")
        _index(ws, item)
        return item

    def import_file(self, source: Path, *, title: str | None = None, number: str | None = None,
                    date: dt.date | None = None, type_id: str | None = None, retention: str | None = None,
                    issuer: str | None = None, units: list[str] | None = None) -> Item:
        """File a document docgen did not make (.docx, .pdf, .txt); what the file does not say
        must come from the options. The same file twice is refused."""
        from docgen.importer import read_document

        ws = self.workspace
        digest = sha256(source)
        for item in self.items():
            if item.metadata.get("source_sha256") == digest:
                raise DocgenError(f"{source.name} 已导入，档号 {item.id}")
        found = read_document(source)
        title = title or found.title
        date = date or found.date
        missing = [label for label, value in (("题名（--title）", title), ("日期（--date）", date)) if not value]
        if missing:
            raise DocgenError(f"无法从 {source.name} 中读出{'、'.join(missing)}，请用选项给出")
        kind = type_id or found.type_id
        types = ws.types
        type_name = types[kind].name if kind in types else (found.type_name or "其他")
        retention = retention or (types[kind].retention if kind in types else "D30")
        if retention not in RETENTIONS:
            raise DocgenError("保管期限应为 Y、D30 或 D10")
        office = ws.office
        with self.lock():
            items = self.items()
            item_no = self._next_item_no(items, date.year, retention, office["org_code"])
            item_id = archive_id(office["fonds"], date.year, retention, office["org_code"], item_no)

            def build(tmp: Path) -> dict:
                shutil.copyfile(source, tmp / f"original{source.suffix.lower()}")
                (tmp / TEXT).write_text(found.text, encoding="utf-8")
                return {
                    **_base_metadata(item_id, office, date.year, retention, item_no),
                    "number": number or found.number or "", "title": title,
                    "issuer": issuer or found.issuer or "", "date": date.isoformat(),
                    "type": kind or "other", "type_name": type_name, "security": "",
                    "pages": found.pages, "units": units or [], "persons": [],
                    "case_id": "", "casefile": "", "document": "", "origin": "imported",
                    "source_name": source.name, "source_sha256": digest, "git": None,
                }

            item = self._file(build, item_id)
        _index(ws, item)
        return item

    # ------------------------------------------------------------------ fixity
    def verify(self) -> list[dict]:
        """Recompute every digest: missing, changed and unexpected files, by item."""
        problems = []
        if not self.root.is_dir():
            return problems
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            manifest = folder / MANIFEST
            if not manifest.is_file():
                problems.append({"item": folder.name, "file": MANIFEST, "problem": "missing",
                                 "message": "缺少校验清单"})
                continue
            listed = {}
            for line in manifest.read_text(encoding="utf-8").splitlines():
                digest, _, name = line.partition("  ")
                listed[name] = digest
            for name, digest in listed.items():
                path = folder / name
                if not path.is_file():
                    problems.append({"item": folder.name, "file": name, "problem": "missing", "message": "文件缺失"})
                elif sha256(path) != digest:
                    problems.append({"item": folder.name, "file": name, "problem": "changed",
                                     "message": "内容已被改动（SHA-256 不符）"})
            for path in sorted(folder.rglob("*")):
                name = path.relative_to(folder).as_posix()
                if path.is_file() and name not in listed and name != MANIFEST:
                    problems.append({"item": folder.name, "file": name, "problem": "unexpected",
                                     "message": "清单之外的文件"})
        return problems


def _base_metadata(item_id: str, office: dict, year: int, retention: str, item_no: int) -> dict:
    return {"archive_id": item_id, "fonds": office["fonds"], "category": CATEGORY, "year": year,
            "retention": retention, "retention_name": RETENTIONS[retention], "org_code": office["org_code"],
            "item_no": item_no}


def _pdf_with_stamp(rendered: Rendered, renderer: Renderer, out: Path, office: dict, year: int, item_no: int,
                    retention: str) -> int:
    from pypdf import PdfReader

    from docgen import stamp
    from docgen.render import typeset

    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".pdf-") as tmp:
        (plain,) = typeset(renderer, [rendered], Path(tmp))
        pages = len(PdfReader(plain).pages)
        progress.step("正在加盖归档章……")
        stamp.apply(plain, [[office["fonds"], str(year), f"{item_no:04d}"],
                            [office["org_code"], retention, str(pages)]], out)
    return pages


def _units(case, doc) -> list[str]:
    values = doc.values
    named = list(case.values.get("units", []))
    for key in ("unit", "target"):
        if values.get(key):
            named.append(values[key])
    named += values.get("units", []) + [row["unit"] for row in values.get("hazards", []) if row.get("unit")]
    return list(dict.fromkeys(named))


def _persons(case, doc) -> list[str]:
    return list(dict.fromkeys(case.values.get("persons", []) + doc.values.get("interviewees", [])))


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(data: bytes) -> str:
    """Paragraph text of a .docx, body and text boxes, one paragraph a line."""
    import io
    import zipfile

    from lxml import etree

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    lines = []
    for p in root.iter(f"{W}p"):
        text = "".join(node.text or "" if node.tag == f"{W}t" else "\n"
                       for node in p.iter(f"{W}t", f"{W}br") if _own(node, p))
        if text.strip():
            lines.append(text)
    return "\n".join(lines)


def _own(node, paragraph) -> bool:
    """True when node belongs to paragraph itself, not to a text box nested inside it."""
    parent = node.getparent()
    while parent is not None and parent is not paragraph:
        if parent.tag == f"{W}p":
            return False
        parent = parent.getparent()
    return True


def _index(ws, item: Item) -> None:
    """Keep the search index in step; it is derived, so a failure only asks for a rebuild."""
    try:
        from search import index
    except ImportError:
        return
    import sys

    def notify(message: str) -> None:
        print(f"提示：{message}", file=sys.stderr)

    try:
        index.add_documents(ws.archive / ".index", [document_for_index(item)],
                            source=lambda: iter_documents(ws.root), notify=notify)
    except Exception as exc:  # noqa: BLE001 - the archive is filed; the index can be rebuilt
        notify(f"档案已归档，但更新检索索引失败（{exc}），可运行 docgen index rebuild 重建")


def document_for_index(item: Item) -> dict:
    meta = item.metadata
    text_path = item.path / TEXT
    pdf = item.path / "document.pdf"
    return {
        "archive_id": meta["archive_id"], "number": meta.get("number", ""), "title": meta["title"],
        "text": text_path.read_text(encoding="utf-8") if text_path.exists() else "",
        "type": meta["type"], "type_name": meta["type_name"], "date": dt.date.fromisoformat(meta["date"]),
        "units": meta.get("units", []), "persons": meta.get("persons", []), "case_id": meta.get("case_id", ""),
        "retention": meta["retention"], "origin": meta["origin"],
        "path": str(pdf if pdf.exists() else item.path),
    }


def iter_documents(root: Path):
    """Every archived item as a document for the search index (rebuild)."""
    from docgen.workspace import Workspace

    for item in Archive(Workspace(Path(root))).items():
        yield document_for_index(item)


def issued_for_case(ws, case_id: str) -> dict[str, Item]:
    """{document id: archive item} of a case's issued documents."""
    return {i.metadata["document"]: i for i in Archive(ws).items()
            if i.metadata.get("origin") == "issued" and i.metadata.get("case_id") == case_id}


def parse_year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text or ""):
        raise DocgenError(f"年度应为四位数字：{text}")
    return int(text)
