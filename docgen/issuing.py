"""Issuing: a casefile document becomes a numbered, archived, registered and indexed item
(render → PDF → 归档章 → file → register → commit → index); and the other ways a number is
given or withdrawn: importing a document docgen did not make, voiding a number, and
rebuilding the register after a disaster.

Every step that gives out or withdraws a number runs under the archive's lock, which spans
allocation, filing, the register line and its commit (docgen.archive explains the crash
safety). Numbers come from the register only.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from docgen import gbt9704 as gb
from docgen import progress, provenance
from docgen.archive import MANIFEST, TEXT, Archive, Item, document_for_index, now, sha256
from docgen.doctypes import RETENTIONS
from docgen.errors import DocgenError, Problem
from docgen.register import IMPORTED, ISSUED, REBUILT, VOID, Register, Row, archive_id


def _refuse_if_issued(archive: Archive, case_id: str, doc_id: str) -> None:
    done = archive.issued().get((case_id, doc_id))
    if done:
        raise DocgenError(f"{case_id} 的 {doc_id} 已签发，文号 {done.number}，档号 {done.archive_id}；"
                          "更正请另行发文（发出前撤回的，可先 docgen archive void 作废该文号再重新签发）")


def _numbering_rows(archive: Archive) -> list[Row]:
    """Under the lock: the register's lines, refusing to number from one that was tampered with."""
    rows = archive.register.rows()
    problems, _ = archive.register.history_problems()
    if problems:
        raise DocgenError(problems + [Problem("发文登记簿中已提交的登记被改动或删除，暂停编号，以免重号；"
                                              "请用 git log -p register/ 查看并恢复，或运行 docgen archive verify")])
    return rows


def preview(ws, case_id: str, doc_id: str) -> tuple[str, str]:
    """(文号, 档号) the document would get if issued now — for a confirmation; not reserved:
    `issue` allocates under the lock and says what it gave."""
    from docgen.casefile import load_case

    office = ws.office
    doc = load_case(ws, case_id).document(doc_id)
    archive = Archive(ws)
    _refuse_if_issued(archive, case_id, doc_id)
    rows = archive.register.rows()
    year = doc.values["date"].year
    return (Register.next_number(rows, office["number_prefix"], year),
            Register.next_archive_id(rows, office["fonds"], year, doc.retention, office["org_code"])[0])


def issue(ws, case_id: str, doc_id: str, *, allow_dirty: bool = False, clerk: str | None = None) -> Item:
    """Number a draft, render its final .docx and PDF, file and register them; the register
    commit is by `clerk` when given (else git's identity, else the office). Refuses a document
    already issued (naming its number), a workspace outside git and, unless allowed, a casefile
    with uncommitted changes."""
    from docgen.casefile import load_case
    from docgen.importer import docx_text
    from docgen.render import Rendered, Renderer

    office = ws.office  # a bad office.yaml (e.g. a space in the 机关代字) stops here
    case = load_case(ws, case_id)
    doc = case.document(doc_id)  # as does a bad casefile
    source = doc.path.read_bytes()  # kept in the item: what drift is measured against
    provenance.require_repository(ws.root)
    git = provenance.state(ws.root, case.path)
    if git.dirty and not allow_dirty:
        raise DocgenError(f"案卷 {case_id} 有未提交的修改（{'、'.join(git.dirty)}）。请先提交："
                          f"git add {ws.relative(case.path)} 然后 git commit；"
                          "确需签发请加 --allow-dirty（将记入档案）")
    archive = Archive(ws)
    _refuse_if_issued(archive, case_id, doc_id)
    renderer = Renderer(ws)
    renderer.render_bytes(doc)  # a bad casefile fails here, before any number is taken
    year, retention = doc.values["date"].year, doc.retention
    with archive.lock() as notices:
        rows = _numbering_rows(archive)
        _refuse_if_issued(archive, case_id, doc_id)
        number = Register.next_number(rows, office["number_prefix"], year)
        item_id, item_no = Register.next_archive_id(rows, office["fonds"], year, retention, office["org_code"])
        row = Row(ISSUED, number, item_id, doc.title, doc.values["date"].isoformat(), case_id, doc_id)

        def build(tmp: Path) -> dict:
            progress.step(f"正在生成 {number}（{doc.type.name}）……")
            docx = tmp / "document.docx"
            docx.write_bytes(renderer.render_bytes(doc, number))
            pages = _pdf_with_stamp(Rendered(doc, docx, number), renderer, tmp / "document.pdf",
                                    office, year, item_no, retention)
            (tmp / TEXT).write_text(docx_text(docx.read_bytes()), encoding="utf-8")
            (tmp / f"{doc_id}.yaml").write_bytes(source)
            return {
                **_base_metadata(item_id, office, year, retention, item_no),
                "number": number, "title": doc.title,
                "issuer": "、".join(doc.values.get("signers") or [office["name"]]),
                "date": doc.values["date"].isoformat(), "type": doc.type.id, "type_name": doc.type.name,
                "security": doc.values.get("security", ""), "pages": pages,
                "units": _units(case, doc), "persons": _persons(case, doc),
                "case_id": case_id, "casefile": ws.relative(case.path), "document": doc_id,
                "source": f"{doc_id}.yaml", "origin": "issued",
                "git": {"commit": git.commit, "case_commit": git.case_commit,
                        "dirty": git.dirty, "allow_dirty": bool(git.dirty)},
            }

        item = archive.file(build, row, f"发文登记：{number}（档号 {item_id}）{doc.title}", clerk)
    item.notices[:0] = notices
    progress.step("正在更新检索索引……")
    _index(ws, item)
    return item


def import_file(ws, source: Path, *, title: str | None = None, number: str | None = None,
                date: dt.date | None = None, type_id: str | None = None, retention: str | None = None,
                issuer: str | None = None, units: list[str] | None = None, clerk: str | None = None) -> Item:
    """File a document docgen did not make (.docx, .pdf, .txt); what the file does not say
    must come from the options. The same file twice, or a 文号 already registered, is refused."""
    from docgen.importer import read_document

    source = Path(source)
    found = read_document(source)  # a missing or unreadable file is named here
    office = ws.office
    provenance.require_repository(ws.root)
    archive = Archive(ws)
    digest = sha256(source)
    for item in archive.items():
        if item.metadata.get("source_sha256") == digest:
            raise DocgenError(f"{source.name} 已导入，档号 {item.id}")
    title = title or found.title
    date = date or found.date
    missing = [label for label, value in (("题名（--title）", title), ("日期（--date）", date)) if not value]
    if missing:
        raise DocgenError(f"无法从 {source.name} 中读出{'、'.join(missing)}，请用选项给出")
    number = (number or found.number or "").strip()
    kind = type_id or found.type_id
    types = ws.types
    type_name = types[kind].name if kind in types else (found.type_name or "其他")
    retention = retention or (types[kind].retention if kind in types else "D30")
    if retention not in RETENTIONS:
        raise DocgenError("保管期限应为 Y、D30 或 D10")
    with archive.lock() as notices:
        rows = _numbering_rows(archive)
        if number and number in {r.number for r in rows}:
            held = next(r for r in rows if r.number == number)
            raise DocgenError(f"文号 {number} 已登记（{held.where}，档号 {held.archive_id or '—'}），一个文号只能登记一次")
        item_id, item_no = Register.next_archive_id(rows, office["fonds"], date.year, retention, office["org_code"])
        row = Row(IMPORTED, number, item_id, title, date.isoformat())

        def build(tmp: Path) -> dict:
            shutil.copyfile(source, tmp / f"original{source.suffix.lower()}")
            (tmp / TEXT).write_text(found.text, encoding="utf-8")
            return {
                **_base_metadata(item_id, office, date.year, retention, item_no),
                "number": number, "title": title,
                "issuer": issuer or found.issuer or "", "date": date.isoformat(),
                "type": kind or "other", "type_name": type_name, "security": "",
                "pages": found.pages, "units": units or [], "persons": [],
                "case_id": "", "casefile": "", "document": "", "origin": "imported",
                "source_name": source.name, "source_sha256": digest, "git": None,
            }

        item = archive.file(build, row, f"导入登记：{number or '（无文号）'}（档号 {item_id}）{title}", clerk)
    item.notices[:0] = notices
    _index(ws, item)
    return item


def void(ws, number: str, reason: str, clerk: str | None = None) -> tuple[Row, list[str]]:
    """Record a registered 文号 as 作废 (e.g. a document withdrawn before it went out). The
    item stays in the archive, marked; the number is never given again."""
    provenance.require_repository(ws.root)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DocgenError("请用 --reason 写明作废原因")
    archive = Archive(ws)
    with archive.lock() as notices:
        rows = archive.register.rows()
        filed = [r for r in rows if r.number == number and r.status != VOID]
        if not filed:
            raise DocgenError(f"登记簿中没有文号 {number}；只能作废已登记（签发或导入）的文号")
        done = next((r for r in rows if r.number == number and r.status == VOID), None)
        if done:
            raise DocgenError(f"文号 {number} 已于 {done.recorded[:10]} 作废（{done.where}：{done.note}）")
        held = filed[-1]
        row = Row(VOID, number, held.archive_id, held.title, held.date, held.case, held.doc, "", now(), reason)
        notices += archive.record(row, f"作废文号：{number}（档号 {held.archive_id}）{reason}", clerk)
    return row, notices


@dataclass
class Rebuilt:
    rows: list[Row]
    kept: int                                  # lines taken over from the register or git
    from_items: int                            # lines made from the archive's items
    unrecovered: list[str] = field(default_factory=list)  # what could not be recovered, in Chinese
    notices: list[str] = field(default_factory=list)      # e.g. a commit that failed


def rebuild_register(ws) -> Rebuilt:
    """Make the register again from what survives: its readable lines (in the working files
    and in git), then the archive's items. Numbers found nowhere but implied by the sequence
    (a missing 3 between 2 and 4) are recorded as 作废 so they are never given again; what
    could not be recovered is reported. Committed as a rebuild."""
    office = ws.office
    provenance.require_repository(ws.root)
    archive = Archive(ws)
    register = archive.register
    with archive.lock():
        unrecovered: list[str] = []
        lines, wrong = register.load()
        unrecovered += [f"{p}（此行无法读取，未恢复）" for p in wrong]
        seen = {(r.status, r.number, r.archive_id) for r in lines}
        for path in sorted(set(register.files()) | register.committed_files()):
            committed = provenance.show(ws.root, "HEAD", path)
            if committed:
                old, _ = register.parse(path, committed)
                lines += [r for r in old if (r.status, r.number, r.archive_id) not in seen]
                seen |= {(r.status, r.number, r.archive_id) for r in old}
        kept = len(lines)
        known = {r.archive_id for r in lines if r.status != VOID}
        items = archive.items()
        unrecovered += [f"{p}（该件未能登记）" for p in archive.broken]
        made = [Row(ISSUED if i.metadata["origin"] == "issued" else IMPORTED, i.metadata.get("number") or "", i.id,
                    i.metadata["title"], i.metadata["date"], i.metadata.get("case_id") or "",
                    i.metadata.get("document") or "", sha256(i.path / MANIFEST) if (i.path / MANIFEST).is_file() else "",
                    i.metadata.get("filed_at") or now(), "重建时据档案恢复")
                for i in sorted(items, key=lambda i: (i.metadata.get("filed_at") or "", i.id)) if i.id not in known]
        rows = lines + made
        present = {f.name for f in archive.folders()}
        for row in rows:
            if row.status != VOID and row.archive_id not in present:
                unrecovered.append(f"{row.number or row.archive_id}《{row.title}》已登记但档案中没有此件，登记保留")
        rows += _gaps(rows, office, unrecovered)
        rows.sort(key=lambda r: (r.year, r.recorded))
        notices = [archive.commit_register(path, f"{REBUILT}（{path.name}）")
                   for path in register.write_all(rows)]
    return Rebuilt(rows, kept, len(made), unrecovered, [n for n in notices if n])


def _gaps(rows: list[Row], office: dict, unrecovered: list[str]) -> list[Row]:
    """作废 lines for numbers and 档号 that the sequence implies but nothing holds (a 2 missing
    between 1 and 3), so that they are never given again."""
    def missing(candidates: list[str], present: set[str]) -> list[str]:
        last = max((i for i, c in enumerate(candidates) if c in present), default=-1)
        return [c for c in candidates[:last + 1] if c not in present]

    out, stamp, bound = [], now(), range(1, len(rows) + 2)
    numbers, ids = {r.number for r in rows}, {r.archive_id for r in rows}
    note = "重建登记簿时发现的缺号：无档案、无登记，不再使用"
    for year in sorted({r.year for r in rows}):
        for number in missing([gb.format_number(office["number_prefix"], year, n) for n in bound], numbers):
            out.append(Row(VOID, number, "", "（缺号）", f"{year}-01-01", recorded=stamp, note=note))
            unrecovered.append(f"文号 {number} 无档案也无登记，已记为作废，不再使用")
        for retention in RETENTIONS:
            for aid in missing([archive_id(office["fonds"], year, retention, office["org_code"], n) for n in bound], ids):
                out.append(Row(VOID, "", aid, "（缺号）", f"{year}-01-01", recorded=stamp, note=note))
                unrecovered.append(f"档号 {aid} 无档案也无登记，已记为作废，不再使用")
    return out


def _base_metadata(item_id: str, office: dict, year: int, retention: str, item_no: int) -> dict:
    return {"archive_id": item_id, "fonds": office["fonds"], "category": "WS", "year": year,
            "retention": retention, "retention_name": RETENTIONS[retention], "org_code": office["org_code"],
            "item_no": item_no}


def _pdf_with_stamp(rendered, renderer, out: Path, office: dict, year: int, item_no: int, retention: str) -> int:
    from pypdf import PdfReader

    from docgen import stamp
    from docgen.render import typeset

    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".pdf-") as tmp:
        (plain,) = typeset(renderer, [rendered], Path(tmp))
        progress.step("正在加盖归档章……")
        pages = len(PdfReader(plain).pages)
        stamp.apply(plain, [[office["fonds"], str(year), f"{item_no:04d}"],
                            [office["org_code"], retention, str(pages)]], out, renderer.workspace.fonts)
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


def _index(ws, item: Item) -> None:
    """Keep the search index in step; it is derived, so a failure only asks for a rebuild.
    The one place issuing calls the index (search.index.add_documents)."""
    try:
        from search import index
        from search.source import archive_source
    except ImportError:
        return

    def notify(message: str) -> None:
        print(f"提示：{message}", file=sys.stderr)

    try:
        index.add_documents(ws.archive / ".index", [document_for_index(item)],
                            source=archive_source(ws.root, notify), notify=notify)
    except Exception as exc:  # noqa: BLE001 - the archive is filed; the index can be rebuilt
        notify(f"档案已归档，但更新检索索引失败（{exc}），可运行 docgen index rebuild 重建")
