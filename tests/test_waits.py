"""No silent waits (issue 13 §7): one warm LibreOffice per process, progress on stderr, and
the 草稿 mark that tells a draft's PDF from an issued one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from docgen import gbt9704 as gb

MM_PT = 72 / 25.4


def red_pixels(pdf: Path, page: int, box_mm: tuple[float, float, float, float], dpi: int = 50) -> int:
    """How many clearly red pixels a page has inside a box (left, top, right, bottom; mm from
    the page's top left corner), on the page as pdftoppm paints it."""
    data = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)],
                          check=True, capture_output=True).stdout
    header, _, rest = data.partition(b"\n")
    dims, _, rest = rest.partition(b"\n")
    maxval, _, pixels = rest.partition(b"\n")
    width, height = map(int, dims.split())
    scale = dpi / 25.4
    left, top, right, bottom = (round(v * scale) for v in box_mm)
    count = 0
    for y in range(max(top, 0), min(bottom, height)):
        row = pixels[y * width * 3:(y + 1) * width * 3]
        for x in range(max(left, 0), min(right, width)):
            r, g, b = row[x * 3:x * 3 + 3]
            count += r > 180 and g < 110 and b < 110
    return count


def marks(pdf: Path) -> list[list[tuple[float, float]]]:
    """Where 草稿 is printed on each page: (x from the left, y from the top) in mm."""
    found = []
    for page in PdfReader(pdf).pages:
        height = float(page.mediabox.height)
        spots = []

        def visit(text, cm, tm, *_):
            if "草稿" in text:
                spots.append((tm[4] / MM_PT, (height - tm[5]) / MM_PT))
        page.extract_text(visitor_text=visit)
        found.append(spots)
    return found


MARGIN_BOX = (150, 5, 190, 32)  # where the mark goes: the top margin's right end


def test_draft_pdf_is_marked_in_the_margin_of_every_page(run, workspace):
    result = run("render", "2021-yt-001", "summons", "--pdf")
    assert result.exit_code == 0, result.output
    pdf = workspace / "out" / "2021-yt-001" / "2021-yt-001-summons.pdf"
    spots = marks(pdf)
    assert len(spots) >= 2 and all(len(s) == 1 for s in spots), spots
    for (x, y), in spots:
        assert y < gb.MARGIN_TOP / gb.MM - 5, "in the top margin, above the text block"
        assert x > 105, "on the right half"
    for page in range(1, len(spots) + 1):
        assert red_pixels(pdf, page, MARGIN_BOX) > 40
    # the .docx the clerk edits stays without it
    from conftest import part
    assert "草稿" not in part(workspace / "out" / "2021-yt-001" / "2021-yt-001-summons.docx", "word/document.xml")


def test_issued_pdf_has_no_draft_mark(run, git_workspace):
    import json

    result = run("issue", "2021-yt-001", "summons", "--allow-dirty", "--json")
    assert result.exit_code == 0, result.output
    pdf = Path(json.loads(result.stdout)["pdf"])
    spots = marks(pdf)
    assert not any(spots)
    assert all("草稿" not in page.extract_text() for page in PdfReader(pdf).pages)
    # the 归档章 is red in the first page's top margin; the other pages' margins stay white
    for page in range(2, len(spots) + 1):
        assert red_pixels(pdf, page, MARGIN_BOX) == 0


# ---------------------------------------------------------------- one warm LibreOffice

import json
import os
import pty
import shutil
import signal
import sys
import time

from conftest import REPO

SOFFICE = shutil.which("soffice")
SAMPLE_DOCX = REPO / "templates" / "notice.docx"  # any .docx LibreOffice can read


def office_processes(marker: str) -> list[int]:
    """Live processes whose command line names `marker` (a profile folder, a pipe)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state not in ("Z", "X"):
            found.append(int(proc.name))
    return found


def wait_gone(marker: str, seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while office_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    return office_processes(marker)


@pytest.fixture
def fresh_office(monkeypatch):
    """No warm LibreOffice left over from other tests in this process, none after."""
    from docgen import office

    office.close_all()
    monkeypatch.delenv(office.MODE, raising=False)
    yield office
    office.close_all()


def test_one_libreoffice_serves_every_conversion_of_a_process(fresh_office, tmp_path):
    from docgen import pdf

    first = pdf.convert([SAMPLE_DOCX], tmp_path / "a")
    office = fresh_office.shared(pdf.environment(None), SOFFICE)
    assert office is not None and office.own, "python3-uno and LibreOffice are installed by make sysdeps"
    started = time.monotonic()
    second = pdf.convert([SAMPLE_DOCX, REPO / "templates" / "summons.docx"], tmp_path / "b")
    warm = time.monotonic() - started
    assert fresh_office.shared(pdf.environment(None), SOFFICE) is office
    assert len(office_processes(str(office.profile))) >= 1
    assert [p for p in office_processes("soffice") if "--convert-to" in Path(f"/proc/{p}/cmdline").read_text()
            and str(tmp_path) in Path(f"/proc/{p}/cmdline").read_text()] == []
    # the same PDF/A as one LibreOffice run makes
    os.environ[fresh_office.MODE] = "oneshot"
    try:
        oneshot = pdf.convert([SAMPLE_DOCX], tmp_path / "c")
    finally:
        del os.environ[fresh_office.MODE]
    texts = [[p.extract_text() for p in PdfReader(f).pages] for f in (first[0], second[0], oneshot[0])]
    assert texts[0] == texts[1] == texts[2]
    assert b"pdfaid:part" in second[0].read_bytes()
    assert warm < 30  # two documents, without a start-up (bench/pdf.py measures it properly)
    fresh_office.close_all()
    assert wait_gone(str(office.profile)) == []
    assert not office.profile.exists()


CHILD = """
import os, sys, time
from pathlib import Path
from docgen import office, pdf
pdf.convert([Path(sys.argv[1])], Path(sys.argv[2]))
own = next(iter(office._offices.values()))
print(own.profile, own.pipe, flush=True)
time.sleep(120)
"""


def start_child(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(SAMPLE_DOCX), str(tmp_path / "child")],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    line = proc.stdout.readline().split()
    assert line, "the child converted nothing"
    return proc, line[0], line[1]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_process_leaves_no_libreoffice_behind(how, fresh_office, tmp_path):
    proc, profile, pipe = start_child(tmp_path)
    assert len(office_processes(profile)) >= 1
    proc.send_signal(how)
    proc.wait(30)
    assert wait_gone(profile) == [], "LibreOffice outlived the docgen process that started it"
    assert wait_gone(pipe) == []


def test_another_process_reuses_the_running_libreoffice(fresh_office, tmp_path):
    """As `docgen render --pdf` does beside a running `docgen serve`: no start-up of its own."""
    from docgen import pdf

    proc, profile, pipe = start_child(tmp_path)
    try:
        out = pdf.convert([REPO / "templates" / "summons.docx"], tmp_path / "reused")
        assert out[0].is_file() and b"pdfaid:part" in out[0].read_bytes()
        office = fresh_office.shared(pdf.environment(None), SOFFICE)
        assert office.pipe == pipe and not office.own
        assert office_processes(f"office-{os.getpid()}-") == []  # no LibreOffice of this process's own
    finally:
        proc.kill()
        proc.wait()
    assert wait_gone(profile) == []


def test_without_uno_conversions_run_one_shot(fresh_office, tmp_path, monkeypatch):
    from docgen import pdf

    monkeypatch.setenv("DOCGEN_UNO_PYTHON", "/bin/false")
    out = pdf.convert([SAMPLE_DOCX], tmp_path)
    assert b"pdfaid:part" in out[0].read_bytes()
    assert fresh_office.shared(pdf.environment(None), SOFFICE) is None


def test_a_warm_conversion_past_its_timeout_is_killed_and_writes_nothing(fresh_office, tmp_path):
    from docgen import pdf
    from docgen.errors import DocgenError

    pdf.convert([SAMPLE_DOCX], tmp_path / "warm")
    office = fresh_office.shared(pdf.environment(None), SOFFICE)
    with pytest.raises(DocgenError, match="超时"):
        pdf.convert([REPO / "templates" / "bulletin.docx"], tmp_path / "late", timeout=0.01)
    assert not (tmp_path / "late").exists() or not list((tmp_path / "late").iterdir())
    assert wait_gone(str(office.profile)) == []
    # the next conversion starts another
    assert pdf.convert([SAMPLE_DOCX], tmp_path / "again")[0].is_file()


# ---------------------------------------------------------------- progress on stderr

def run_on_terminal(*args: str, root: Path) -> tuple[int, str, str]:
    """The real `docgen` with stderr on a pseudo-terminal; (exit code, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("docgen")), "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read()
    proc.wait()
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_render_pdf_shows_progress_on_a_terminal(workspace):
    code, out, err = run_on_terminal("render", "2021-yt-001", "--all", "--pdf", root=workspace)
    assert code == 0, err
    assert "生成 Word 文档" in err and "2/2" in err
    assert "转换 PDF" in err
    assert "LibreOffice" in err  # its start is said, not waited through in silence
    assert "转换 PDF" not in out and "2021-yt-001-summons.pdf" in out


def test_progress_is_quiet_under_json_and_off_a_terminal(workspace, run):
    code, out, err = run_on_terminal("render", "2021-yt-001", "--all", "--pdf", "--json", root=workspace)
    assert code == 0
    assert "转换" not in err and "生成" not in err
    assert len(json.loads(out)) == 2
    result = run("render", "2021-yt-001", "--all", "--pdf")
    assert "转换" not in result.stderr and "生成 Word" not in result.stderr


def test_issue_and_bundle_say_what_they_are_doing(git_workspace):
    workspace = git_workspace
    code, out, err = run_on_terminal("issue", "2021-yt-001", "summons", "--allow-dirty", root=workspace)
    assert code == 0, err
    for step in ("正在生成", "转换 PDF", "归档章", "检索索引"):
        assert step in err, err
    code, out, err = run_on_terminal("bundle", "2021-yt-001", root=workspace)
    assert code == 0, err
    assert "生成案卷中的文书" in err and "封面" in err
    code, out, err = run_on_terminal("index", "rebuild", root=workspace)
    assert code == 0, err
    assert "建立索引" in err or "重建" in err


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_conversions_go_through_a_running_unoserver(fresh_office, tmp_path, monkeypatch):
    """A unoserver an office already runs (started with docgen's fonts) is used, not a
    LibreOffice of docgen's own."""
    import importlib.metadata
    import xmlrpc.client

    from docgen import pdf

    # unoserver's server runs under the Python LibreOffice's bridge is built for; give it only
    # the unoserver package (a test dependency of docgen) on its path
    dist = importlib.metadata.distribution("unoserver")
    site = Path(dist.locate_file(""))
    path = tmp_path / "pkgs"
    path.mkdir()
    for name in ("unoserver", f"unoserver-{dist.version}.dist-info"):
        (path / name).symlink_to(site / name)
    port, uno_port = free_port(), free_port()
    env = {**pdf.environment(None), "PYTHONPATH": str(path)}
    server = subprocess.Popen(["/usr/bin/python3", "-m", "unoserver.server", "--interface", "127.0.0.1",
                               "--port", str(port), "--uno-port", str(uno_port),
                               "--user-installation", str(tmp_path / "profile")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 240  # unoserver waits for LibreOffice, on a loaded machine too
        while True:
            try:
                xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}").info()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "unoserver did not start"
                time.sleep(0.5)
        monkeypatch.setenv("DOCGEN_UNOSERVER", f"127.0.0.1:{port}")
        out = pdf.convert([REPO / "templates" / "summons.docx"], tmp_path / "out")
        assert b"pdfaid:part" in out[0].read_bytes() and len(PdfReader(out[0]).pages) >= 1
        used = fresh_office.shared(pdf.environment(None), SOFFICE)
        assert isinstance(used, fresh_office.Unoserver)
        assert office_processes(f"office-{os.getpid()}-") == []  # no LibreOffice of this process's own
    finally:
        server.terminate()
        server.wait(30)
    assert wait_gone(f"port={uno_port}") == []
