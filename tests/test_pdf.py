"""docgen.pdf: PDF/A output, metadata, fonts, and failure handling (fake soffice on PATH)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from pypdf import PdfReader

from docgen import pdf, runtime
from docgen.errors import DocgenError

# In CI LibreOffice must be there: a missing one fails the tests instead of skipping them.
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                   reason="LibreOffice (soffice) not installed")

# role → (East Asian font name as templates write it, marker text in that font)
ROLES = {
    "title": ("方正小标宋简体", "关于开展安全生产大检查的通知"),
    "body": ("仿宋_GB2312", "各乡镇人民政府：请认真落实整改要求"),
    "heading1": ("黑体", "一、检查范围和重点"),
    "heading2": ("楷体_GB2312", "（一）危险化学品企业"),
    "page": ("宋体", "宋体页码示例"),
}
META = {"title": "关于开展安全生产大检查的通知", "author": "石门县安全生产委员会办公室",
        "subject": "通知", "keywords": "石安委办〔2021〕16号 2021-001"}


def make_docx(path: Path, pages: int = 1) -> Path:
    doc = Document()
    for _ in range(pages):
        for font, text in ROLES.values():
            run = doc.add_paragraph().add_run(text + " 2021年10月26日")
            run.font.size = Pt(16)
            fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
            fonts.set(qn("w:eastAsia"), font)
            fonts.set(qn("w:ascii"), "Times New Roman")
            fonts.set(qn("w:hAnsi"), "Times New Roman")
    props = doc.core_properties
    props.title, props.author = META["title"], META["author"]
    props.subject, props.keywords = META["subject"], META["keywords"]
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) not installed")
    src = make_docx(tmp_path_factory.mktemp("pdf") / "通知.docx")
    [out] = pdf.convert([src])
    return out


def own_work_dirs() -> list[Path]:
    """LibreOffice work folders this process made (pdf-<pid>-…) that are still there."""
    return list(runtime.runtime_dir().glob(f"pdf-{os.getpid()}-*"))


@needs_soffice
def test_pdf_beside_docx_and_readable(converted):
    assert converted.name == "通知.pdf" and converted.is_file()
    assert len(PdfReader(converted).pages) >= 1
    # nothing else left beside it (no temporary file of the atomic write), readable by all
    assert sorted(p.name for p in converted.parent.iterdir()) == ["通知.docx", "通知.pdf"]
    assert converted.stat().st_mode & 0o777 == 0o644
    assert own_work_dirs() == []


@needs_soffice
def test_pdfa2_claimed_in_xmp(converted):
    reader = PdfReader(converted)
    root = ET.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    ns = "{http://www.aiim.org/pdfa/ns/id/}"
    parts = [e.text for e in root.iter(ns + "part")]
    parts += [e.get(ns + "part") for e in root.iter() if e.get(ns + "part")]
    assert "2" in parts


@needs_soffice
def test_metadata_in_info_and_xmp(converted):
    reader = PdfReader(converted)
    info, xmp = reader.metadata, reader.xmp_metadata
    assert info.title == META["title"] and info.author == META["author"]
    assert info.subject == META["subject"]
    assert "石安委办〔2021〕16号" in info["/Keywords"] and "2021-001" in info["/Keywords"]
    # PDF/A requires XMP to agree with Info.
    assert xmp.dc_title["x-default"] == META["title"]
    assert xmp.dc_creator == [META["author"]]
    assert xmp.dc_description["x-default"] == META["subject"]
    assert xmp.pdf_keywords == info["/Keywords"]


def _fonts(reader: PdfReader):
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            yield font.get_object()


@needs_soffice
def test_all_fonts_embedded(converted):
    fonts = list(_fonts(PdfReader(converted)))
    assert fonts
    for font in fonts:
        desc_of = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        desc = desc_of["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(desc), font["/BaseFont"]
    if shutil.which("pdffonts"):
        rows = subprocess.run(["pdffonts", str(converted)], capture_output=True, text=True,
                              check=True).stdout.splitlines()[2:]
        assert rows and all(re.search(r"\s+yes\s+yes\s+yes\s+\d+\s+\d+$", r) for r in rows), rows


def _text_by_font(path: Path) -> dict[str, str]:
    """Base font name (subset tag dropped) → the text drawn in it."""
    out: dict[str, str] = {}

    def visit(text, cm, tm, font, size):
        if font and text.strip():
            name = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
            out[name] = out.get(name, "") + text
    for page in PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return out


@needs_soffice
def test_chinese_text_and_distinct_faces(converted):
    text = "".join(p.extract_text() for p in PdfReader(converted).pages)
    for _, marker in ROLES.values():
        assert marker in text.replace(" ", "")
    by_font = _text_by_font(converted)
    # No CJK drawn in a Latin fallback face (DejaVu, Liberation): that would mean a missing alias.
    for family, drawn in by_font.items():
        if re.search(r"DejaVu|Liberation", family):
            assert not re.search(r"[\u4e00-\u9fff]", drawn), (family, drawn)
    role_font = {}
    for role, (_, marker) in ROLES.items():
        owners = [f for f, drawn in by_font.items() if marker[-4:] in drawn.replace(" ", "")]
        assert len(owners) == 1, (role, by_font)
        role_font[role] = owners[0]
    main = [role_font[r] for r in ("title", "body", "heading1", "heading2")]
    # Four different faces (title and body may share a family at different weights) ...
    assert len(set(main)) == 4, role_font
    # ... from at least three families (name before the first '-' or ',').
    assert len({re.split(r"[-,]", f)[0] for f in main}) >= 3, role_font
    assert any("Liberation" in f for f in by_font), by_font  # Times New Roman digits


@needs_soffice
def test_two_conversions_in_parallel(tmp_path):
    docs = [make_docx(tmp_path / f"d{i}.docx") for i in range(2)]
    results, errors = {}, []

    def work(i):
        try:
            results[i] = pdf.convert([docs[i]], tmp_path / f"out{i}")
        except Exception as exc:  # surfaced below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(2):
        assert results[i] == [tmp_path / f"out{i}" / f"d{i}.pdf"]
        assert len(PdfReader(results[i][0]).pages) >= 1


@needs_soffice
def test_many_files_one_run_keeps_order(tmp_path):
    (tmp_path / "a").mkdir()
    docs = [make_docx(tmp_path / "z.docx"), make_docx(tmp_path / "a" / "b.docx")]
    assert pdf.convert(docs) == [tmp_path / "z.pdf", tmp_path / "a" / "b.pdf"]


# --- failure handling, with a fake soffice on PATH (no LibreOffice needed) ---

def fake_soffice(tmp_path: Path, monkeypatch, body: str) -> Path:
    """Put a Python script named soffice first on PATH; `body` sees `args` and `outdir`."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    script = bindir / "soffice"
    script.write_text(f"#!{sys.executable}\nimport os, sys, time, subprocess\n"
                      "args = sys.argv[1:]\noutdir = args[args.index('--outdir') + 1]\n"
                      + body)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return bindir


def test_timeout_kills_group_and_writes_nothing(tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    fake_soffice(tmp_path, monkeypatch,
                 "child = subprocess.Popen(['sleep', '60'])\n"
                 f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
                 "os.makedirs(outdir, exist_ok=True)\n"
                 "open(os.path.join(outdir, '0000.pdf'), 'wb').write(b'%PDF-1.6 partial')\n"
                 "time.sleep(60)\n")
    src = make_docx(tmp_path / "慢.docx")
    started = time.monotonic()
    with pytest.raises(DocgenError, match="超时"):
        pdf.convert([src], timeout=1.5)
    assert time.monotonic() - started < 15
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fakebin", "pids", "慢.docx"]
    assert own_work_dirs() == []
    time.sleep(0.2)
    assert not [pid for pid in map(int, pids.read_text().split()) if alive(pid)]


def alive(pid: int) -> bool:
    """Running and not a zombie (an orphan's zombie lingers where init does not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: fall back to a signal probe
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_stale_work_folders_and_orphaned_converters_are_cleared(tmp_path, monkeypatch):
    """A conversion whose process was killed (-9) leaves its work folder and a LibreOffice
    running in a session of its own; the next conversion clears both, and nobody else's."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = runtime.runtime_dir()
    stale = folder / f"pdf-{dead.pid}-abc"
    (stale / "out").mkdir(parents=True)
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", pdf._profile(stale)],
                              start_new_session=True)
    # until it has exec'd, the child's command line is still this process's
    deadline = time.monotonic() + 30
    while stale.name.encode() not in Path(f"/proc/{orphan.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    running = folder / f"office-{os.getpid()}-xyz"
    running.mkdir()
    other = folder / "fonts-unrelated.conf"
    other.write_text("")
    runtime.clear_stale()
    assert orphan.wait(timeout=10) == -9
    assert sorted(p.name for p in folder.iterdir()) == sorted([running.name, other.name])


def test_missing_soffice(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DocgenError, match="(?i)libreoffice") as err:
        pdf.convert([make_docx(tmp_path / "a.docx")])
    assert "libreoffice-writer-nogui" in str(err.value)


def test_crash_names_the_file(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, "sys.exit(134)\n")
    src = make_docx(tmp_path / "坏文件.docx")
    with pytest.raises(DocgenError, match="坏文件.docx") as err:
        pdf.convert([src])
    assert "134" in str(err.value)
    assert not list(tmp_path.glob("*.pdf"))


def minimal_pdfa(path: Path) -> None:
    """A tiny well-formed PDF whose XMP claims PDF/A-2, written by hand (no LibreOffice)."""
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
           b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
           b'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>2</pdfaid:part>'
           b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    objs = [b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
            b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream" % (len(xmp), xmp)]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(out)


def test_fake_converter_output_is_placed(tmp_path, monkeypatch):
    good = tmp_path / "good.pdf"
    minimal_pdfa(good)
    fake_soffice(tmp_path, monkeypatch, "import shutil\nos.makedirs(outdir, exist_ok=True)\n"
                 f"shutil.copy({str(good)!r}, os.path.join(outdir, '0000.pdf'))\n")
    [out] = pdf.convert([make_docx(tmp_path / "一.docx")], tmp_path / "out")
    assert out == tmp_path / "out" / "一.pdf" and out.read_bytes() == good.read_bytes()


def test_broken_pdf_fails_the_whole_batch(tmp_path, monkeypatch):
    # The first file converts fine, the second to garbage: neither PDF may appear.
    good = tmp_path / "good.pdf"
    minimal_pdfa(good)
    fake_soffice(tmp_path, monkeypatch,
                 "import shutil\nos.makedirs(outdir, exist_ok=True)\n"
                 f"shutil.copy({str(good)!r}, os.path.join(outdir, '0000.pdf'))\n"
                 "open(os.path.join(outdir, '0001.pdf'), 'wb').write(b'%PDF-1.6 junk')\n")
    out = tmp_path / "out"
    docs = [make_docx(tmp_path / "一.docx"), make_docx(tmp_path / "二.docx")]
    with pytest.raises(DocgenError) as err:
        pdf.convert(docs, out)
    assert "二.docx" in str(err.value) and "一.docx" not in str(err.value)
    assert not out.exists() or not list(out.iterdir())


def test_missing_input_and_clashing_names(tmp_path):
    with pytest.raises(DocgenError, match="不存在"):
        pdf.convert([tmp_path / "nope.docx"])
    (tmp_path / "x").mkdir()
    docs = [make_docx(tmp_path / "a.docx"), make_docx(tmp_path / "x" / "a.docx")]
    with pytest.raises(DocgenError, match="同一个 PDF"):
        pdf.convert(docs, tmp_path / "out")
    assert pdf.convert([]) == []


@needs_soffice
def test_a_document_the_warm_office_fails_is_tried_once_more_on_its_own(tmp_path, monkeypatch):
    """A borrowed warm LibreOffice going away mid-conversion answers with an error, not a PDF:
    the document is converted by a LibreOffice of its own instead of failing the command."""
    class Leaving:
        def convert(self, src, dst, deadline):
            return "DisposedException: the office is closing"

    monkeypatch.setattr(pdf, "shared", lambda env, soffice: Leaving())
    [out] = pdf.convert([make_docx(tmp_path / "通知.docx")])
    assert PdfReader(out).metadata.title == META["title"]
