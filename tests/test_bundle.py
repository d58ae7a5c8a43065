"""docgen bundle: one PDF of a case — cover, contents, documents, attachments — read back.

One bundle is made through the real CLI (module fixture, two LibreOffice runs); a second,
through the library with issued numbers and ready-made PDFs, needs only one run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from conftest import REPO, files_under, sample_workspace, strip_ws
from docgen.bundle import build_bundle
from docgen.errors import DocgenError
from docgen.workspace import Workspace

CASE = "2021-yt-001"
PDF_NAME, IMAGE_NAME, TEXT_NAME = "整改报告.pdf", "现场照片.png", "说明.txt"
MARKER = "ATTACHMENT-MARKER"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                   reason="LibreOffice (soffice) not installed")


def write_png(path: Path, width: int, height: int) -> None:
    """A gradient PNG, written by hand (no imaging library)."""
    raw = b"".join(b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160))
                                      for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def write_pdf(path: Path, pages: int) -> None:
    """A landscape PDF whose pages say MARKER-n in Helvetica (a scan would be another size)."""
    writer = PdfWriter()
    for n in range(1, pages + 1):
        page = writer.add_blank_page(842, 595)
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                 NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 24 Tf 72 300 Td ({MARKER}-{n}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.write(path)


def make_workspace(root: Path) -> Path:
    sample_workspace(root)
    attachments = root / "casefiles" / "2021" / CASE / "attachments"
    attachments.mkdir(exist_ok=True)
    write_pdf(attachments / PDF_NAME, 2)
    write_png(attachments / IMAGE_NAME, 120, 80)
    (attachments / TEXT_NAME).write_text("不是 PDF 也不是图片，不收入案卷。", "utf-8")
    return root


def cli(root: Path, *args):
    from docgen.cli import cli as group

    return CliRunner().invoke(group, ["--root", str(root), *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(workspace root, --json report, PdfReader of the bundle)."""
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) not installed")
    root = make_workspace(tmp_path_factory.mktemp("bundle") / "ws")
    result = cli(root, "bundle", CASE, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return root, report, PdfReader(report["pdf"])


def page_text(reader: PdfReader, page: int) -> str:
    return reader.pages[page - 1].extract_text()


def documents(report):
    return [i for i in report["items"] if i["kind"] == "document"]


@needs_soffice
def test_written_where_expected_and_nothing_else(made):
    root, report, _ = made
    path = Path(report["pdf"])
    assert path == root / "out" / CASE / f"{CASE}-案卷.pdf"
    assert files_under(root / "out") == [path]  # no temporary or intermediate files left
    assert report["skipped"] == [TEXT_NAME]


@needs_soffice
def test_page_count_adds_up(made):
    _, report, reader = made
    docs = documents(report)
    attachments = [i for i in report["items"] if i["kind"] == "attachment"]
    assert [a["file"] for a in attachments] == [PDF_NAME, IMAGE_NAME]
    assert [a["pages"] for a in attachments] == [2, 1]
    assert len(reader.pages) == report["pages"] == 1 + 1 + sum(d["pages"] for d in docs) + 2 + 1
    # Each document's pages carry its own numbers — 1 — … — n —, so n is its real length;
    # only a last page holding nothing but the 版记 is unnumbered (GB/T 9704 §7.5).
    for doc in docs:
        for k in range(1, doc["pages"] + 1):
            text = page_text(reader, doc["first_page"] + k - 1)
            if k == doc["pages"] and text.startswith("抄送："):
                assert not re.search(r"—\s*\d+\s*—", text)
            else:
                assert re.search(rf"—\s*{k}\s*—", text)


@needs_soffice
def test_documents_in_date_order_as_drafts(made):
    root, report, _ = made
    docs = documents(report)
    assert [d["doc"] for d in docs] == ["summons", "memorandum"]  # 10-29 before 11-08
    assert [d["date"] for d in docs] == sorted(d["date"] for d in docs)
    assert all(d["draft"] and d["number"] is None for d in docs)
    assert docs[0]["first_page"] == 3
    assert docs[1]["first_page"] == 3 + docs[0]["pages"]


@needs_soffice
def test_outline(made):
    _, report, reader = made

    def titles(outline):
        return [titles(o) if isinstance(o, list) else o.title for o in outline]
    docs = documents(report)
    assert titles(reader.outline) == ["案卷封面", "卷内文件目录", *[d["title"] for d in docs],
                                      "附件材料", [PDF_NAME, IMAGE_NAME]]
    flat = [o for o in reader.outline if not isinstance(o, list)]
    pages = [reader.get_destination_page_number(o) + 1 for o in flat]
    assert pages == [1, 2, *[d["first_page"] for d in docs], report["items"][2]["first_page"]]
    assert reader.page_mode == "/UseOutlines"


@needs_soffice
def test_cover(made):
    root, report, reader = made
    text = strip_ws(page_text(reader, 1))
    ws = Workspace(root)
    for expected in ("案卷", CASE, "城关镇挂牌督办重大事故隐患逾期未整改约谈", "城关镇人民政府",
                     "石泉县汉江砂石有限公司", "李强（城关镇人民政府镇长）", "2021年10月28日",
                     "办理中", "文书2件", "附件材料2份", f"本卷共{report['pages']}页",
                     ws.office["name"], ws.office["fonds"]):
        assert expected in text, expected
    assert "案卷第" not in text  # the cover carries no bundle page number


@needs_soffice
def test_contents_lists_each_item_with_its_first_page(made):
    _, report, reader = made
    contents = strip_ws(page_text(reader, 2))
    assert "卷内文件目录" in contents
    for n, item in enumerate(report["items"], start=1):
        if item["kind"] == "document":
            date = item["date"].replace("-", "")
            assert f"{n}草稿" in contents
            assert f"{item['title']}{date}{item['first_page']}" in contents, item
            # and that page is where the document starts: its title, its own page 1
            first = strip_ws(page_text(reader, item["first_page"]))
            assert item["title"] in first and "—1—" in first
        else:
            assert f"{n}——附件材料：{item['file']}—{item['first_page']}" in contents, item


@needs_soffice
def test_attachments_included(made):
    _, report, reader = made
    pdf_item, image_item = report["items"][2:]
    for k in (1, 2):
        page = reader.pages[pdf_item["first_page"] + k - 2]
        assert f"{MARKER}-{k}" in page.extract_text()
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (842, 595)
    page = reader.pages[image_item["first_page"] - 1]
    assert f"附件材料：{IMAGE_NAME}" in page.extract_text()
    xobjects = page["/Resources"]["/XObject"]
    assert any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    assert image_item["first_page"] == report["pages"]


def _stamp_runs(reader: PdfReader, page: int):
    """(text, x, y) in points of the bundle page-number stamp on a page."""
    found = []

    def visit(text, cm, tm, font, size):
        if "案卷第" in text:
            found.append((text, tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))
    reader.pages[page - 1].extract_text(visitor_text=visit)
    return found


@needs_soffice
def test_every_page_but_the_cover_stamped(made):
    _, report, reader = made
    for page in range(2, report["pages"] + 1):
        assert re.search(rf"案卷第\s*{page}\s*页", page_text(reader, page)), page
        runs = _stamp_runs(reader, page)
        assert runs, page
        _, x, y = runs[0]
        box = reader.pages[page - 1].cropbox
        width = float(box.right) - float(box.left)
        assert float(box.bottom) + 20 < y < float(box.bottom) + 50  # 7–18 mm above the foot
        if page % 2:  # odd pages: right corner; even: left
            assert x > float(box.left) + width / 2, (page, x)
        else:
            assert x < float(box.left) + width / 2, (page, x)


@needs_soffice
def test_stamp_below_the_documents_own_numbers(made):
    _, report, reader = made
    doc = documents(report)[0]
    numbers = []

    def visit(text, cm, tm, font, size):
        if re.fullmatch(r"\s*—?\s*1?\s*—?\s*", text) and text.strip():
            numbers.append(tm[5] * cm[3] + cm[5])
    reader.pages[doc["first_page"] - 1].extract_text(visitor_text=visit)
    [(_, _, stamp_y)] = _stamp_runs(reader, doc["first_page"])[:1]
    assert numbers and stamp_y < min(numbers) - 20  # at least 7 mm lower


@needs_soffice
def test_issued_numbers_and_ready_pdfs(made, tmp_path):
    root, report, reader = made
    # The archive passes issued numbers, and its frozen PDFs: here, cut from the first bundle.
    pdfs = {}
    for doc in documents(report):
        writer = PdfWriter()
        for k in range(doc["pages"]):
            writer.add_page(reader.pages[doc["first_page"] - 1 + k])
        pdfs[doc["doc"]] = tmp_path / f"{doc['doc']}.pdf"
        writer.write(pdfs[doc["doc"]])
    number = "石安委办〔2021〕16号"
    out = tmp_path / "交付" / "案卷.pdf"
    bundle = build_bundle(Workspace(root), CASE, out, numbers={"summons": number}, pdfs=pdfs)
    assert bundle.path == out and out.is_file()
    assert [i.number for i in bundle.items if i.kind == "document"] == [number, "草稿"]
    again = PdfReader(out)
    assert len(again.pages) == report["pages"]
    contents = strip_ws(page_text(again, 2))
    assert f"1{number}" in contents and "2草稿" in contents
    assert again.outline[2].title == f"{bundle.items[0].title}（{number}）"


def test_unknown_case_is_refused_in_chinese(workspace):
    result = cli(workspace, "bundle", "2099-none-001")
    assert result.exit_code == 1
    assert "找不到案卷 2099-none-001" in result.output
    assert not (workspace / "out").exists()
    result = cli(workspace, "bundle", "../2021-yt-001", "--json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert "案卷号" in errors[0]["message"] and "不合法" in errors[0]["message"]
    assert not (workspace / "out").exists()


def test_bad_parameters_refused_before_any_work(workspace, tmp_path):
    ws = Workspace(workspace)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(DocgenError, match="不合规范"):
        build_bundle(ws, CASE, tmp_path / "x.pdf", numbers={"summons": "16号"})
    with pytest.raises(DocgenError, match="文书不存在：nope"):
        build_bundle(ws, CASE, tmp_path / "x.pdf", numbers={"nope": "石安委办〔2021〕16号"})
    broken = workspace / "casefiles" / "2021" / CASE / "attachments"
    broken.mkdir(exist_ok=True)
    (broken / "坏.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(DocgenError, match="坏.pdf"):
        build_bundle(ws, CASE, tmp_path / "x.pdf")
    assert not list(tmp_path.iterdir())
