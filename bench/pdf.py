"""How fast docx → PDF goes: one document warm (LibreOffice already running) beside cold
(a LibreOffice started for it), in the library and as `docgen render --pdf` typed at a shell;
then N documents in one LibreOffice run, one start-up each, two runs in parallel, and warm.

    .venv/bin/python bench/pdf.py [--n 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt

from docgen import office, pdf

REPO = Path(__file__).resolve().parent.parent

PARAGRAPH = ("根据县安委会统一部署，各乡镇、各有关部门要深入开展安全生产大检查，"
             "全面排查整治重大事故隐患，落实企业主体责任和部门监管责任，2021年10月26日前报送情况。")


def two_page_docx(path: Path) -> None:
    doc = Document()
    for page, (font, n) in enumerate((("仿宋_GB2312", 6), ("楷体_GB2312", 6))):
        title = doc.add_paragraph().add_run("关于开展安全生产大检查的通知")
        title.font.size = Pt(22)
        title._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正小标宋简体")
        for _ in range(n):
            run = doc.add_paragraph().add_run(PARAGRAPH)
            run.font.size = Pt(16)
            run.font.name = "Times New Roman"  # Latin digits
            run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if page == 0:
            run.add_break(WD_BREAK.PAGE)
    doc.core_properties.title = "关于开展安全生产大检查的通知"
    doc.save(path)


def timed(label: str, n: int, fn) -> None:
    start = time.perf_counter()
    fn()
    took = time.perf_counter() - start
    print(f"{label:<44} {n} docs in {took:6.2f} s  = {n / took:5.2f} docs/s")


def oneshot():
    """Conversions in this block start a LibreOffice of their own (the cold path)."""
    class Block:
        def __enter__(self):
            office.close_all()
            os.environ[office.MODE] = "oneshot"

        def __exit__(self, *exc):
            del os.environ[office.MODE]
    return Block()


def seconds(fn, repeat: int = 1) -> float:
    """The median wall time of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render_pdf_command(out: Path) -> float:
    """`docgen render 2021-yt-001 summons --pdf` as a clerk types it, in a new process (into a
    new folder each time: render refuses to overwrite)."""
    docgen = Path(sys.executable).with_name("docgen")
    out.mkdir(exist_ok=True)
    start = time.perf_counter()
    subprocess.run([str(docgen), "--root", str(REPO), "render", "2021-yt-001", "summons", "--pdf",
                    "--out", tempfile.mkdtemp(dir=out)], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20, help="number of documents (default 20)")
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        tmp = Path(tmp)
        # A runtime folder of its own (docgen.runtime follows TMPDIR), here and in the commands
        # run: otherwise a LibreOffice another docgen process registered (a server, a test run)
        # would be found and "cold" would be warm.
        os.environ["TMPDIR"] = str(tmp)
        tempfile.tempdir = None
        docs = []
        for i in range(n):
            docs.append(tmp / f"doc{i:03d}.docx")
            two_page_docx(docs[-1])

        print("one document:")
        with oneshot():
            cold = seconds(lambda: pdf.convert(docs[:1], tmp / "cold"), 3)
        office.close_all()
        start_and_first = seconds(lambda: pdf.convert(docs[:1], tmp / "first"))
        warm = seconds(lambda: pdf.convert(docs[:1], tmp / "warm"), 5)
        print(f"  {'cold (one LibreOffice run)':<44} {cold:6.2f} s")
        print(f"  {'first in a process (start-up included)':<44} {start_and_first:6.2f} s")
        print(f"  {'warm (LibreOffice running)':<44} {warm:6.2f} s   {cold / warm:4.1f}x faster than cold")
        # the command in a new process: alone, and beside a running office (this process's,
        # registered as `docgen serve` registers its own)
        office.close_all()
        with oneshot():
            command_cold = seconds(lambda: render_pdf_command(tmp / "cmd-cold"))
        pdf.convert(docs[:1], tmp / "serve")  # this process now keeps one running
        command_warm = seconds(lambda: render_pdf_command(tmp / "cmd-warm"), 3)
        print(f"  {'docgen render --pdf, cold':<44} {command_cold:6.2f} s")
        print(f"  {'docgen render --pdf, beside a running one':<44} {command_warm:6.2f} s")

        print(f"{n} documents:")
        with oneshot():
            timed("  one LibreOffice run for all", n, lambda: pdf.convert(docs, tmp / "batch"))
            timed("  one LibreOffice start-up per document", n,
                  lambda: [pdf.convert([d], tmp / "single") for d in docs])
            half = (n + 1) // 2
            with ThreadPoolExecutor(2) as pool:  # the machines here have 2 cores
                timed("  two runs in parallel (half each)", n, lambda: list(pool.map(
                    lambda part: pdf.convert(part[1], tmp / f"par{part[0]}"),
                    enumerate((docs[:half], docs[half:])))))
        pdf.convert(docs[:1], tmp / "warmup")  # started before the clock runs
        timed("  warm LibreOffice, one by one", n, lambda: pdf.convert(docs, tmp / "warmbatch"))
        office.close_all()


if __name__ == "__main__":
    main()
