"""How fast docx → PDF goes: all documents in one LibreOffice run vs. one start-up each.

    .venv/bin/python bench/pdf.py [--n 20]
"""

from __future__ import annotations

import argparse
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

from docgen import pdf

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
    print(f"{label:<36} {n} docs in {took:6.2f} s  = {n / took:5.2f} docs/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20, help="number of documents (default 20)")
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        tmp = Path(tmp)
        docs = []
        for i in range(n):
            docs.append(tmp / f"doc{i:03d}.docx")
            two_page_docx(docs[-1])
        timed("one LibreOffice run for all", n, lambda: pdf.convert(docs, tmp / "batch"))
        timed("one LibreOffice start-up per document", n,
              lambda: [pdf.convert([d], tmp / "single") for d in docs])
        half = (n + 1) // 2
        with ThreadPoolExecutor(2) as pool:  # the machines here have 2 cores
            timed("two runs in parallel (half each)", n, lambda: list(pool.map(
                lambda part: pdf.convert(part[1], tmp / f"par{part[0]}"),
                enumerate((docs[:half], docs[half:])))))


if __name__ == "__main__":
    main()
