"""docx → PDF/A-2b with LibreOffice headless.

A process converts through one warm LibreOffice (docgen.office): started on its first
conversion, or found running beside it (`docgen serve`), and reused for every later one, so
a document takes a fraction of a second instead of LibreOffice's start-up (see bench/pdf.py).
Where it cannot run, all documents of one call go through a single one-shot LibreOffice run
with a throw-away profile. LibreOffice writes into a private folder (docgen.runtime: removed
at the end, or by the next conversion if this process was killed with -9); a PDF is moved
into place only after it has been checked, and by an atomic rename, so a crash, a timeout,
Ctrl-C or SIGTERM never leaves a half-written PDF where the user expects one, nor a
LibreOffice running.

Metadata: LibreOffice 7.4 carries the docx core properties into both the Info dictionary
and XMP, consistently, so nothing is rewritten here (rewriting would risk Info/XMP drift,
which PDF/A forbids): dc:title → /Title and dc:title, dc:creator → /Author and dc:creator,
dc:subject → /Subject and dc:description, cp:keywords → /Keywords and pdf:Keywords.
Two quirks, left alone: keywords are split on spaces, commas and semicolons and re-joined
with ", " ("石安委办〔2021〕16号; 2021-001" → "石安委办〔2021〕16号, 2021-001"); and /CreationDate
is written as "D:20211026093000Z'", which pypdf's `metadata.creation_date` refuses to parse
(read `xmp_metadata.xmp_create_date` instead).

Fonts: LibreOffice runs with a fontconfig configuration written for the run (docgen.fonts), so
the faces do not depend on system-wide alias files, and an office's own fonts (a workspace's
fonts/ folder) win over the free stand-ins.

Hanging punctuation (标点溢出边界): LibreOffice 7.4 lets a closing mark at a line's end hang
into the margin, but on a justified line it lays the mark out and then, depending on the line's
width to the twip (about one width in seven), does not paint it: the mark is missing from the
PDF's pixels and text while the next line starts after it. Left-aligned lines never lose it;
justified lines without hanging never do. So each copy handed to LibreOffice has hanging turned
off: a closing mark that does not fit takes the character before it to the next line, and the
justified line keeps every mark inside the text block. Word and WPS still hang (w:overflowPunct
on is their default, and what the copy says): LibreOffice reads w:overflowPunct inverted
(writerfilter: hanging = value is 0), so "on" is what turns its hanging off.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

from docgen import progress
from docgen.errors import DocgenError
from docgen.fonts import configuration
from docgen.fsio import atomic_write
from docgen.office import Office, OfficeError, OfficeTimeout, forget, shared
from docgen.runtime import private_folder, runtime_dir

# SelectPdfVersion 2 = PDF/A-2b, which also forces every font to be embedded. The JSON form
# of filter options is understood by LibreOffice 7.4 and later; older versions ignore it,
# which _check() catches.
_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
_PDFA2 = re.compile(rb'pdfaid:part(?:>\s*|="\s*)2')


def find_soffice() -> str:
    """The LibreOffice executable on PATH, or a DocgenError telling how to install it."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise DocgenError("未找到 LibreOffice（soffice），无法生成 PDF。请安装 Debian 软件包 "
                          "libreoffice-writer-nogui，或在项目目录运行 make sysdeps。")
    return exe


def convert(docx_paths: list[Path], out_dir: Path | None = None, *,
            timeout: float = 180, fonts: Path | None = None) -> list[Path]:
    """Convert each .docx to <stem>.pdf (beside it, or in out_dir); return the PDF paths in
    input order. One LibreOffice run for all files; `timeout` (seconds) bounds that run.
    `fonts` is a folder of the office's own font files (a workspace's fonts/), used before
    any stand-in. All or nothing: if any file fails, no PDF is written and DocgenError names
    the failures.
    """
    sources = [Path(p) for p in docx_paths]
    if not sources:
        return []
    for src in sources:
        if not src.is_file():
            raise DocgenError(f"要转换的文件不存在：{src}")
    targets = [(Path(out_dir) if out_dir else src.parent) / (src.stem + ".pdf")
               for src in sources]
    seen: dict[Path, Path] = {}
    for src, dst in zip(sources, targets):
        other = seen.setdefault(dst.resolve(), src)
        if other != src:
            raise DocgenError(f"{other} 与 {src} 会生成同一个 PDF 文件 {dst}，请改名或分开输出。")
    soffice = find_soffice()

    work = private_folder("pdf")  # and the folders of conversions killed before they could clear theirs
    try:
        # Copies under plain ASCII names: LibreOffice names its output after the input, and
        # this sidesteps both stem clashes between folders and non-ASCII paths under a C locale.
        indir, outdir = work / "in", work / "out"
        indir.mkdir()
        inputs = []
        for i, src in enumerate(sources):
            inputs.append(indir / f"{i:04d}.docx")
            _for_libreoffice(src, inputs[-1])
        env = environment(fonts)
        office = shared(env, soffice)
        if office is not None:
            try:
                returncode, output = 0, _convert_warm(office, sources, inputs, outdir, timeout)
            except OfficeError:  # it died under us: this call goes the one-shot way
                forget(office)
                office = None
            else:
                # A document the warm LibreOffice could not convert gets one more try on its own
                # LibreOffice before it counts as failed: the warm one may be another process's,
                # going away with it (a `docgen serve` stopped mid-conversion).
                if any(_check(outdir / f"{i:04d}.pdf") for i in range(len(inputs))):
                    office = None
        if office is None:
            progress.step(f"正在用 LibreOffice 转换 {len(inputs)} 份 PDF……")
            cmd = [soffice, _profile(work),
                   "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                   "--nolockcheck", "--convert-to", _FILTER, "--outdir", str(outdir),
                   *map(str, inputs)]
            returncode, output = _run(cmd, timeout, sources, env)

        failed, problems = [], []
        for i, src in enumerate(sources):
            problem = _check(outdir / f"{i:04d}.pdf")
            if problem:
                failed.append(src)
                problems.append(f"{src}：{problem}")
        if failed:
            detail = f"（LibreOffice 退出码 {returncode}；输出：{output[-300:]}）" if output else \
                     f"（LibreOffice 退出码 {returncode}）"
            raise DocgenError("PDF 转换失败，未写入任何 PDF：\n" + "\n".join(problems) + "\n" + detail)

        for i, dst in enumerate(targets):
            try:
                # written beside dst and renamed: /tmp is often another file system
                atomic_write(dst, (outdir / f"{i:04d}.pdf").read_bytes())
            except OSError as exc:
                raise DocgenError(f"无法写入 PDF 文件 {dst}：{exc.strerror or exc}") from exc
        return targets
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _profile(work: Path) -> str:
    return f"-env:UserInstallation={(work / 'profile').as_uri()}"


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARTS = re.compile(r"^word/(document|styles|header\d*|footer\d*|footnotes|endnotes)\.xml$")


def _for_libreoffice(src: Path, dst: Path) -> None:
    """Copy a .docx for conversion with hanging punctuation off in every paragraph (see the
    module's docstring): no paragraph or style says otherwise, and the document defaults say
    w:overflowPunct. A file that is not a readable .docx is copied as it is, for LibreOffice
    to judge (and _check to report)."""
    from lxml import etree

    try:
        with zipfile.ZipFile(src) as zin:
            parts = [(info, zin.read(info)) for info in zin.infolist()]
    except (zipfile.BadZipFile, OSError, EOFError):
        shutil.copyfile(src, dst)
        return
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in parts:
            if _PARTS.match(info.filename):
                try:
                    root = etree.fromstring(data)
                except etree.XMLSyntaxError:
                    root = None
                if root is not None:
                    for node in root.iter(f"{W}overflowPunct"):
                        node.getparent().remove(node)
                    if info.filename == "word/styles.xml":
                        _default_overflow_punct(root)
                    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info, data)


def _default_overflow_punct(styles) -> None:
    """<w:overflowPunct/> in the document defaults' paragraph properties, in schema order
    (after w:kinsoku and w:wordWrap, before everything that follows them)."""
    from lxml import etree

    defaults = styles.find(f"{W}docDefaults")
    if defaults is None:
        defaults = etree.Element(f"{W}docDefaults")
        styles.insert(0, defaults)
    ppr_default = defaults.find(f"{W}pPrDefault")
    if ppr_default is None:
        ppr_default = etree.SubElement(defaults, f"{W}pPrDefault")
    ppr = ppr_default.find(f"{W}pPr")
    if ppr is None:
        ppr = etree.SubElement(ppr_default, f"{W}pPr")
    before = {f"{W}{t}" for t in ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr",
                                  "widowControl", "numPr", "suppressLineNumbers", "pBdr", "shd",
                                  "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap")}
    position = sum(1 for child in ppr if child.tag in before)
    ppr.insert(position, etree.Element(f"{W}overflowPunct"))


def environment(fonts: Path | None) -> dict:
    """LibreOffice's environment for converting with an office's fonts/ folder: FONTCONFIG_FILE
    names a configuration (docgen.fonts) that puts them first. The file is named by its content
    and by the font files it covers, and stays: a warm LibreOffice reads it for all its life,
    and other fonts make another file, so another LibreOffice (docgen.office keys by it)."""
    files = sorted(p for p in fonts.rglob("*") if p.is_file()) if fonts is not None and fonts.is_dir() else []
    covered = hashlib.sha256(repr([(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]).encode())
    text = configuration(fonts) + f"<!-- font files {covered.hexdigest()} -->\n"
    path = runtime_dir() / f"fonts-{hashlib.sha256(text.encode()).hexdigest()[:16]}.conf"
    if not path.is_file():
        atomic_write(path, text.encode("utf-8"))
    return {**os.environ, "FONTCONFIG_FILE": str(path)}


def warm(fonts: Path | None = None) -> bool:
    """Start now the LibreOffice that conversions with these fonts will use, rather than at the
    first conversion: `docgen serve` calls it as it starts, so that neither its first request
    nor a `docgen render --pdf` beside it waits for LibreOffice. False where conversions run
    one LibreOffice each (no python3-uno)."""
    return shared(environment(fonts), find_soffice()) is not None


def _convert_warm(office: Office, sources: list[Path], inputs: list[Path], outdir: Path,
                  timeout: float) -> str:
    """Each input through the warm LibreOffice, within `timeout` for them all; returns what it
    said about those it could not convert (_check names them)."""
    outdir.mkdir(exist_ok=True)
    deadline = time.monotonic() + timeout
    said = []
    for src, path in progress.items(list(zip(sources, inputs)), len(inputs), "转换 PDF"):
        try:
            problem = office.convert(path, outdir / f"{path.stem}.pdf", deadline)
        except OfficeTimeout:
            raise DocgenError(_timed_out(timeout, sources)) from None
        if problem:
            said.append(f"{src.name}：{problem}")
    return "\n".join(said)


def _timed_out(timeout: float, sources: list[Path]) -> str:
    names = "、".join(str(s) for s in sources[:5]) + ("等" if len(sources) > 5 else "")
    return f"LibreOffice 转换 PDF 超时（超过 {timeout:g} 秒），已终止，未写入任何 PDF。涉及文件：{names}"


def _run(cmd: list[str], timeout: float, sources: list[Path], env: dict) -> tuple[int, str]:
    """Run LibreOffice in its own process group; on timeout or interruption kill the whole
    group (soffice is a shell script that starts oosplash, which starts soffice.bin)."""
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)
    except OSError as exc:
        raise DocgenError(f"无法启动 LibreOffice（{cmd[0]}）：{exc}。请运行 make sysdeps 重新安装。") from exc
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise DocgenError(_timed_out(timeout, sources)) from None
    except BaseException:
        _kill_group(proc)
        raise
    return proc.returncode, out.decode("utf-8", "replace").strip()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def _check(pdf: Path) -> str | None:
    """Why `pdf` is not an acceptable result, in Chinese, or None if it is fine."""
    if not pdf.is_file() or pdf.stat().st_size == 0:
        return "LibreOffice 未生成 PDF（文件可能已损坏或不是 Word 文档）"
    data = pdf.read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        return "生成的 PDF 不完整"
    from pypdf import PdfReader  # only needed once a PDF exists
    try:
        if len(PdfReader(pdf).pages) == 0:
            return "生成的 PDF 没有页面"
    except Exception as exc:  # pypdf raises many types for a broken file
        return f"生成的 PDF 无法读取（{exc}）"
    if not _PDFA2.search(data):  # XMP is stored uncompressed in PDF/A
        return "生成的 PDF 不是 PDF/A-2b（LibreOffice 版本过旧？需要 7.4 或更高版本）"
    return None
