"""Render benchmark: documents per second and peak memory, ours against plain docxtpl.

    .venv/bin/python bench/render.py [--n 300]

Renders N casefile documents (the sample 约谈通知书 with varied units, two to three pages each)
in one process, once through docgen's compiled templates (strict, escaped, every part checked
well-formed) and once the usual docxtpl way (DocxTemplate per document), and prints both.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from docgen.casefile import load_case  # noqa: E402
from docgen.render import Renderer  # noqa: E402
from docgen.workspace import Workspace  # noqa: E402

TOWNS = ["城关镇", "池河镇", "后柳镇", "喜河镇", "熨斗镇", "云雾山镇", "两河镇", "饶峰镇", "迎丰镇", "曾溪镇", "中池镇"]


def make_workspace(root: Path, n: int) -> list[str]:
    shutil.copy(REPO / "office.yaml", root)
    shutil.copy(REPO / "rules.yaml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    source = (REPO / "casefiles/2021/2021-yt-001")
    ids = []
    for i in range(n):
        case_id = f"2021-bench-{i:05d}"
        folder = root / "casefiles/2021" / case_id
        folder.mkdir(parents=True)
        shutil.copy(source / "case.yaml", folder)
        town = TOWNS[i % len(TOWNS)]
        text = (source / "summons.yaml").read_text(encoding="utf-8").replace("城关镇", town)
        (folder / "summons.yaml").write_text(text, encoding="utf-8")
        ids.append(case_id)
    return ids


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="documents to render")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ids = make_workspace(root, args.n)
        ws = Workspace(root)
        docs = [load_case(ws, case_id).document("summons") for case_id in ids]
        out = root / "out"
        out.mkdir()

        renderer = Renderer(ws)
        start = time.perf_counter()
        for doc in docs:
            (out / f"{doc.case.id}.docx").write_bytes(renderer.render_bytes(doc))
        ours = time.perf_counter() - start
        ours_peak = peak_mb()

        from docxtpl import DocxTemplate
        from jinja2 import Environment, StrictUndefined

        # The same filters and globals the templates use (the 版记 box helper among them).
        env = Environment(undefined=StrictUndefined, autoescape=True)
        env.filters.update(renderer.env.filters)
        env.globals.update(renderer.env.globals)
        start = time.perf_counter()
        for doc in docs:
            tpl = DocxTemplate(str(doc.type.template))
            tpl.render(renderer.context(doc), env, autoescape=True)
            tpl.save(str(out / f"{doc.case.id}-plain.docx"))
        plain = time.perf_counter() - start

    n = args.n
    print(f"documents: {n} 约谈通知书 (sample casefile, varied units), one process")
    print(f"docgen compiled templates : {n / ours:7.1f} docs/s  ({ours * 1000 / n:.1f} ms/doc)")
    print(f"docxtpl, template per doc : {n / plain:7.1f} docs/s  ({plain * 1000 / n:.1f} ms/doc)")
    print(f"peak memory (whole run)   : {peak_mb():7.1f} MB  (after docgen pass: {ours_peak:.1f} MB)")


if __name__ == "__main__":
    main()
