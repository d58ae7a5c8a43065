"""Every call the web application makes into the library, in one place.

Views never import docgen's or search's modules themselves: they call these functions, which
hand back plain dicts and lists in the CLI's --json shapes. When the library changes, this
module is the one place the web adapts. No business rule lives here: numbering, validation,
deadlines, fixity and search are the library's; this module only gathers and shapes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from docgen.errors import DocgenError, Problem

# Ids in URLs are checked against these before anything touches the disk. Case and document
# ids follow the casefile rule; an archive id is the 档号 (全宗号-WS·年度-期限-机构-件号).
ID_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff_\-·]{0,99}$")
YEAR_RE = re.compile(r"^\d{4}$")
OUT_DIR = "out/web"  # previews, page images and bundles: generated, never in the archive


def valid_id(value: str) -> bool:
    return bool(ID_RE.match(value or "")) and ".." not in value


_workspaces: dict[Path, tuple[tuple, object]] = {}


def _signature(root: Path) -> tuple:
    """What the workspace object caches depends on: office.yaml, the rules and the type
    declarations (the top-level files and templates/), by name, size and mtime."""
    def stats(folder: Path):
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))
    templates = root / "templates"
    return stats(root), stats(templates) if templates.is_dir() else ()


def workspace(root: Path):
    """The workspace, its office and type declarations parsed once and read again only when
    one of their files changes (parsing every declaration costs about 0.1 s a request)."""
    from docgen.workspace import Workspace

    root = Path(root)
    signature = _signature(root)
    cached = _workspaces.get(root)
    if cached and cached[0] == signature:
        return cached[1]
    ws = Workspace(root)
    _workspaces[root] = (signature, ws)
    return ws


def out_dir(ws, *parts: str) -> Path:
    path = ws.root.joinpath(OUT_DIR, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- archive items

_items_lock = threading.Lock()
_items_cache: dict[Path, tuple[tuple, list]] = {}


def _archive(ws):
    from docgen.archive import Archive

    return Archive(ws)


def items(ws) -> list:
    """Every archived item (path, metadata). Cached until an item is added (the archive
    folder's mtime changes when an item folder is renamed into it)."""
    root = ws.archive
    try:
        stat = root.stat()
    except FileNotFoundError:
        return []
    key = (stat.st_mtime_ns, stat.st_ino)
    with _items_lock:
        cached = _items_cache.get(root)
        if cached and cached[0] == key:
            return cached[1]
    found = _archive(ws).items()
    with _items_lock:
        _items_cache[root] = (key, found)
    return found


_voided_cache: dict[Path, tuple[tuple, dict]] = {}


def voided(ws) -> dict[str, dict]:
    """档号 → the register's 作废 line of each item whose number was voided (as archive show's
    "void"), for the marks on lists. Read again only when a register file changes: parsing a
    large register on every search would cost more than the search."""
    from docgen.archive import void_entry

    archive = _archive(ws)
    key = tuple((p.name, st.st_size, st.st_mtime_ns) for p in archive.register.files() for st in (p.stat(),))
    with _items_lock:
        cached = _voided_cache.get(ws.root)
        if cached and cached[0] == key:
            return cached[1]
    found = {aid: void_entry(row) for aid, row in archive.voided().items()}
    with _items_lock:
        _voided_cache[ws.root] = (key, found)
    return found


def item(ws, archive_id: str) -> dict:
    """The archive metadata of one item (archive show --json), plus which files it holds."""
    archive = _archive(ws)
    meta = archive.show(archive_id)
    meta["downloads"] = sorted(p.name for p in (archive.root / archive_id).iterdir()
                               if p.is_file() and p.suffix.lower() in (".pdf", ".docx", ".txt"))
    return meta


def item_file(ws, archive_id: str, name: str) -> Path:
    found = _archive(ws).item(archive_id)
    path = found.path / name
    if name not in found.metadata.get("files", {}) or not path.is_file():
        raise DocgenError(f"档案 {archive_id} 中没有文件 {name}")
    return path


def verify_item(ws, archive_id: str) -> list[dict]:
    """Fixity of one item: its files against its manifest, and it against the register."""
    return _archive(ws).verify_item(archive_id)


# ---------------------------------------------------------------- search

def index_dir(ws) -> Path:
    return ws.archive / ".index"


# Highlight marks that cannot occur in a document's text; the template escapes the snippet
# and turns them into <mark>.
MARKS = ("\x02", "\x03")


def search(ws, query: str = "", *, type=None, year=None, unit=None, date_from=None, date_to=None,
           sort=None, limit: int = 20, marks=("【", "】"), facets: tuple[str, ...] = ()) -> dict:
    """`docgen search --json`: {"total", "hits": [...]} (hits also carry type_name), plus
    "facets" {field: {value: hits}} when asked; DocgenError for a bad query."""
    from search.backend import search as run
    from search.source import archive_source

    res = run(index_dir(ws), query, type=type or None, year=year or None, unit=unit or None,
              date_from=date_from or None, date_to=date_to or None, limit=limit, sort=sort or None,
              marks=marks, types=types(ws), source=archive_source(ws.root), notify=lambda message: None,
              facets=facets)
    out = res.as_dict()
    for hit, full in zip(out["hits"], res.hits):
        hit["type_name"] = full.type_name
    if facets:
        out["facets"] = res.facets
    return out


def types(ws) -> dict[str, str]:
    """{type id: Chinese name} of the declared document types."""
    return {t: d.name for t, d in ws.types.items()}


# ---------------------------------------------------------------- deadlines, cases

def _as_issued(ws):
    """Deadlines run from what was issued (docgen.status), as the CLI's do."""
    from docgen.status import Issued

    return Issued(ws).documents


def due(ws, on: dt.date, within: int | None = None) -> list[dict]:
    """`docgen due --json`."""
    from docgen import deadlines

    return [d.as_dict(on) for d in deadlines.due(ws, on, within, documents=_as_issued(ws))]


def blacklist(ws, year: int, on: dt.date) -> dict:
    """`docgen blacklist --json` (listed), the units that were rectified (cleared), and the
    rule applied (rules.yaml: basis, consequence, how often, which kinds count)."""
    from docgen import deadlines
    from docgen.rules import load

    rule = load(ws).blacklist
    listed, cleared = deadlines.blacklist(ws, year, on, documents=_as_issued(ws))
    return {"listed": [e.as_dict() for e in listed], "cleared": [e.as_dict() for e in cleared],
            "rule": None if rule is None else {"basis": rule.basis, "consequence": rule.consequence,
                                               "times": rule.times, "counting": list(rule.counting)}}


def cases(ws, on: dt.date) -> list[dict]:
    """`docgen cases --json`: every case, those with a problem listed with it."""
    from docgen import deadlines

    return deadlines.cases(ws, on, documents=_as_issued(ws))


def case(ws, case_id: str, on: dt.date) -> dict:
    """`docgen status CASE --json`, plus the case's recorded values and events."""
    from docgen.casefile import load_case
    from docgen.status import case_status

    info = case_status(ws, case_id, on)
    loaded = load_case(ws, case_id)
    info["values"] = loaded.values
    info["year"] = loaded.year
    info["events"] = [{**e, "date": e["date"].isoformat()} for e in loaded.values.get("events", [])]
    info["archive_ids"] = {doc: row.archive_id for doc, row in _issued(ws, case_id).items()}
    # Numbers of the case's documents voided since (the document is a draft again, or issued
    # anew under another number): document id → its 作废 lines, each with the item's 档号.
    from docgen.archive import void_entry

    info["voided"] = {}
    for aid, row in _archive(ws).voided().items():
        if row.case == case_id and row.doc:
            info["voided"].setdefault(row.doc, []).append({**void_entry(row), "archive_id": aid})
    return info


def _issued(ws, case_id: str) -> dict:
    """{document id: its register line} of the case's issued documents."""
    return {doc: row for (case, doc), row in _archive(ws).issued().items() if case == case_id}


def case_exists(ws, case_id: str) -> bool:
    from docgen.casefile import case_dir

    return case_dir(ws, case_id) is not None


def bundle(ws, case_id: str) -> Path:
    """The case bundle PDF (docgen bundle), made afresh under out/web/bundles/."""
    from docgen.bundle import build_bundle, from_archive

    numbers, pdfs, _ = from_archive(ws, case_id)
    target = out_dir(ws, "bundles") / f"{case_id}-案卷.pdf"
    target.unlink(missing_ok=True)
    result = build_bundle(ws, case_id, target, numbers=numbers, pdfs=pdfs)
    return result.path


def overview(ws, on: dt.date) -> dict:
    """What the front page shows: archive counts by type and year, recent items, deadlines,
    blacklist of the year, and the cases."""
    found = items(ws)
    by_year: dict[int, dict[str, int]] = {}
    names = {}
    for i in found:
        meta = i.metadata
        by_year.setdefault(meta["year"], {}).setdefault(meta["type"], 0)
        by_year[meta["year"]][meta["type"]] += 1
        names[meta["type"]] = meta.get("type_name") or meta["type"]
    recent = sorted(found, key=lambda i: i.metadata.get("filed_at") or "", reverse=True)[:8]
    # Deadlines and the blacklist refuse to answer while a casefile is wrong (a list missing
    # one case would hide its deadlines): the page says so instead of showing a partial list.
    try:
        open_items, listed, problems = due(ws, on), blacklist(ws, on.year, on), []
    except DocgenError as exc:
        open_items, listed, problems = [], {"listed": [], "cleared": [], "rule": None}, [str(p) for p in exc.problems]
    return {
        "total": len(found),
        "years": sorted(by_year, reverse=True),
        "type_names": dict(sorted(names.items(), key=lambda kv: kv[1])),
        "counts": by_year,
        "recent": [i.metadata for i in recent],
        "voided": voided(ws),
        "due": open_items,
        "overdue": sum(d["overdue"] for d in open_items),
        "blacklist": listed,
        "problems": problems,
        "cases": cases(ws, on),
    }


def catalog_years(ws) -> list[int]:
    return sorted({i.metadata["year"] for i in items(ws)}, reverse=True)


def catalog(ws, year: int) -> list[dict]:
    """The year's items in catalogue order (归档文件目录: retention, then 件号)."""
    from docgen.doctypes import RETENTIONS

    order = list(RETENTIONS)  # 永久, 30年, 10年
    rows = [i.metadata for i in items(ws) if i.metadata["year"] == year]
    return sorted(rows, key=lambda m: (order.index(m["retention"]), m["item_no"]))


def catalog_docx(ws, year: int) -> bytes:
    from docgen.catalog import catalog_docx as make

    chosen = [i for i in items(ws) if i.metadata["year"] == year]
    if not chosen:
        raise DocgenError(f"{year} 年度没有归档文件")
    return make(ws.office, year, chosen, {aid: f"作废：{v['reason']}" for aid, v in voided(ws).items()})


# ---------------------------------------------------------------- PDFs as page images

def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def page_png(ws, pdf: Path, page: int, resolution: int = 80) -> Path:
    """One page of a PDF as PNG (pdftoppm), cached under out/web/pages/ by the PDF's digest."""
    stat = pdf.stat()
    key = hashlib.sha256(f"{pdf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    target = out_dir(ws, "pages", key) / f"page-{page}-{resolution}.png"
    if target.is_file():
        return target
    if not 1 <= page <= page_count(pdf):
        raise DocgenError(f"没有第 {page} 页")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        done = subprocess.run(["pdftoppm", "-r", str(resolution), "-png", "-f", str(page), "-l", str(page),
                               "-singlefile", str(pdf), str(Path(tmp) / "page")], capture_output=True, timeout=60)
        if done.returncode != 0:
            raise DocgenError(f"无法生成页面图像：{done.stderr.decode(errors='replace')[-200:]}")
        os.replace(Path(tmp) / "page.png", target)
    return target


# ---------------------------------------------------------------- casefiles: reading for forms

def doctype(ws, type_id: str):
    return ws.doctype(type_id)


def case_fields() -> dict:
    """The fields of case.yaml a form edits (events are recorded one at a time)."""
    from docgen.casefile import CASE_FIELDS

    return {n: f for n, f in CASE_FIELDS.items() if n != "events"}


def event_fields() -> dict:
    from docgen.casefile import CASE_FIELDS

    return CASE_FIELDS["events"].columns


def _case_path(ws, case_id: str) -> Path:
    from docgen.casefile import case_dir

    path = case_dir(ws, case_id)
    if path is None:
        raise DocgenError(f"找不到案卷 {case_id}（应在 casefiles/<年度>/{case_id}/ 下）")
    return path


def raw_values(path: Path) -> dict:
    """A casefile's values as typed (before validation), for filling a form."""
    from docgen import yamlio

    return yamlio.plain(yamlio.load(path))


def document_info(ws, case_id: str, doc_id: str) -> tuple:
    """(type id, values as typed, issued archive id or None) of a document in a case."""
    path = _case_path(ws, case_id) / f"{doc_id}.yaml"
    if not path.is_file():
        raise DocgenError(f"案卷 {case_id} 中没有文书「{doc_id}」")
    values = raw_values(path)
    done = _issued(ws, case_id).get(doc_id)
    return str(values.get("type") or ""), values, (done.archive_id if done else None)


def case_values(ws, case_id: str) -> dict:
    from docgen.casefile import CASE_FILE

    return raw_values(_case_path(ws, case_id) / CASE_FILE)


def free_doc_id(ws, case_id: str | None, type_id: str) -> str:
    """The name a new document of a type gets in a case, as `docgen new` names it."""
    folder = _case_path(ws, case_id) if case_id and case_exists(ws, case_id) else None
    doc_id, n = type_id, 1
    while folder is not None and (folder / f"{doc_id}.yaml").exists():
        n += 1
        doc_id = f"{type_id}-{n}"
    return doc_id


# ---------------------------------------------------------------- casefiles: writing

def _yaml_for(fields: dict, values: dict) -> list[tuple[str, str, object]]:
    """(key, comment, value) for a new file: declaration order, a comment naming each field."""
    from docgen.doctypes import KIND_NAMES

    out = []
    for name, spec in fields.items():
        value = values.get(name)
        if value is None:
            continue
        need = "必填" if spec.required else "可选"
        out.append((name, f"{spec.label}（{need}，{KIND_NAMES[spec.kind]}）" + (f"：{spec.help}" if spec.help else ""),
                    value))
    return out


def document_text(ws, case_id: str, doc_id: str, type_id: str, values: dict, *, new: bool) -> str:
    """The YAML a document is saved as: a new file with a comment above every field, or the
    existing file with only the changed values replaced (comments and order kept)."""
    from docgen import yamledit

    doctype = ws.doctype(type_id)
    if new:
        header = f"{doctype.name}（{type_id}）" + (f"　依据：{doctype.basis}" if doctype.basis else "")
        return yamledit.new_text(header, [("type", "", type_id)] + _yaml_for(doctype.fields, values))
    path = _case_path(ws, case_id) / f"{doc_id}.yaml"
    return yamledit.updated(path.read_text(encoding="utf-8"),
                            {k: v for k, v in values.items() if v is not None},
                            remove=[k for k, v in values.items() if v is None])


def case_text(ws, case_id: str, values: dict, *, new: bool) -> str:
    from docgen import yamledit
    from docgen.casefile import CASE_FILE

    if new:
        return yamledit.new_text(f"案卷 {case_id}：本事项的基本情况与办理记录", _yaml_for(case_fields(), values))
    path = _case_path(ws, case_id) / CASE_FILE
    return yamledit.updated(path.read_text(encoding="utf-8"), {k: v for k, v in values.items() if v is not None},
                            remove=[k for k, v in values.items() if v is None])


def event_text(ws, case_id: str, row: dict) -> str:
    from docgen import yamledit
    from docgen.casefile import CASE_FILE

    path = _case_path(ws, case_id) / CASE_FILE
    return yamledit.appended(path.read_text(encoding="utf-8"), "events",
                             {k: v for k, v in row.items() if v is not None})


def relative_path(ws, case_id: str, name: str, year: int | None = None) -> str:
    """casefiles/<year>/<case>/<name>, where a file of the case is (or will be)."""
    folder = _case_path(ws, case_id) if case_exists(ws, case_id) else ws.casefiles / str(year) / case_id
    return ws.relative(folder / name)


# Not linked into the scratch workspace of check_candidate: the cases (only the one checked
# is copied), and what checking never reads.
SCRATCH_SKIP = {"casefiles", "archive", "out", ".git", ".docgen"}


def check_candidate(ws, case_id: str, files: dict[str, str], year: int | None = None) -> list[Problem]:
    """`docgen check CASE` as if the case's files were changed as given ({file name: text}),
    without touching the workspace: the case is copied into a scratch workspace that shares
    office.yaml and templates/, so the messages are word for word those of `docgen check`."""
    from docgen.validate import check
    from docgen.workspace import Workspace

    existing = _case_path(ws, case_id) if case_exists(ws, case_id) else None
    rel = (existing.relative_to(ws.root) if existing else Path("casefiles") / str(year) / case_id)
    with tempfile.TemporaryDirectory(prefix="docgen-check-") as tmp:
        root = Path(tmp)
        for entry in ws.root.iterdir():  # office.yaml, templates/, rules …: shared, read only
            if entry.name not in SCRATCH_SKIP:
                (root / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
        folder = root / rel
        folder.mkdir(parents=True)
        if existing:
            for path in existing.iterdir():
                if path.suffix == ".yaml" and path.is_file():
                    shutil.copyfile(path, folder / path.name)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return check(Workspace(root), [case_id])  # not cached: the folder is gone after


def save(ws, case_id: str, files: dict[str, str], user: str, message: str, year: int | None = None) -> list[Path]:
    """Write the case's files (atomically) and commit them in git as the user."""
    from docgen.fsio import atomic_write

    folder = _case_path(ws, case_id) if case_exists(ws, case_id) else ws.casefiles / str(year) / case_id
    written = []
    for name, text in files.items():
        atomic_write(folder / name, text)
        written.append(folder / name)
    commit(ws, written, message, user)
    return written


def _git(ws, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ws.root), *args], capture_output=True, text=True, timeout=60,
                          env=env)


def is_git(ws) -> bool:
    try:
        return _git(ws, "rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    except FileNotFoundError:
        return False


def commit(ws, paths: list[Path], message: str, user: str) -> str | None:
    """Commit exactly these files, authored by the web user; None outside a git repository."""
    if not is_git(ws):
        return None
    rel = [ws.relative(p) for p in paths]
    env = {**os.environ, "GIT_AUTHOR_NAME": user, "GIT_AUTHOR_EMAIL": f"{user}@docgen",
           "GIT_COMMITTER_NAME": user, "GIT_COMMITTER_EMAIL": f"{user}@docgen"}
    added = _git(ws, "add", "--", *rel, env=env)
    done = _git(ws, "commit", "--quiet", "-m", message, "--", *rel, env=env) if added.returncode == 0 else added
    if done.returncode != 0:
        raise DocgenError(f"文件已保存，但 git 提交失败：{(done.stderr or done.stdout).strip()[-300:]}")
    return _git(ws, "rev-parse", "HEAD").stdout.strip()


# ---------------------------------------------------------------- preview and issue

def preview(ws, case_id: str, doc_id: str) -> Path:
    """The draft PDF of a document (docgen render --pdf), kept until the casefile, the office
    or the template changes."""
    from docgen.casefile import load_case
    from docgen.render import Renderer, render_case, typeset

    case = load_case(ws, case_id)
    doc = case.document(doc_id)
    digest = hashlib.sha256()
    for path in (doc.path, case.path / "case.yaml", ws.root / "office.yaml", doc.type.template,
                 doc.type.declaration):
        digest.update(path.read_bytes())
    folder = out_dir(ws, "preview", case_id)
    pdf = folder / f"{case_id}-{doc_id}.pdf"
    stamp = folder / f"{case_id}-{doc_id}.sha256"
    if pdf.is_file() and stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return pdf
    renderer = Renderer(ws)
    (pdf,) = typeset(renderer, render_case(ws, case_id, [doc_id], folder, renderer))
    stamp.write_text(digest.hexdigest())
    return pdf


def next_number(ws, case_id: str, doc_id: str) -> dict:
    """What issuing would give the document now: its 文号 and year, or why it cannot be issued."""
    from docgen.casefile import load_case
    from docgen.issuing import preview as promised

    doc = load_case(ws, case_id).document(doc_id)
    done = _issued(ws, case_id).get(doc_id)
    if done:
        return {"issued": True, "number": done.number, "archive_id": done.archive_id}
    number, _ = promised(ws, case_id, doc_id)
    return {"issued": False, "number": number, "title": doc.title,
            "type_name": doc.type.name, "date": doc.values["date"].isoformat()}


def issue(ws, case_id: str, doc_id: str, user: str | None = None) -> dict:
    """`docgen issue CASE DOC --json`: the same library call; the register's commit names the
    user."""
    from docgen.issuing import issue as run

    found = run(ws, case_id, doc_id, clerk=user)
    meta = found.metadata
    return {"number": meta["number"], "archive_id": found.id, "docx": str(found.path / "document.docx"),
            "pdf": str(found.path / "document.pdf"), "sha256": meta["files"]}


def warm_up(ws) -> None:
    """Start the workspace's LibreOffice now (docgen.office keeps it for the server's life), so
    that neither the first preview nor a docgen command run beside the server waits for it."""
    from docgen.pdf import warm

    try:
        warm(ws.fonts)
    except DocgenError:
        pass  # a missing LibreOffice is reported when a preview is asked for
