"""`make demo`: run the main job on the sample casefiles and say where the results are."""

from __future__ import annotations

import sys

from docgen.casefile import all_case_ids
from docgen.errors import DocgenError
from docgen.render import Renderer, render_case
from docgen.workspace import Workspace


def main() -> int:
    ws = Workspace.find()
    out = ws.root / "out"
    renderer = Renderer(ws)
    docs = []
    print(f"工作区：{ws.root}")
    for case_id in all_case_ids(ws):
        for result in render_case(ws, case_id, None, out / case_id, renderer):
            docs.append(result.docx)
            print(f"  {case_id} {result.document.id}（{result.document.type.name}）→ {ws.relative(result.docx)}")
    from docgen.pdf import convert

    pdfs = convert(docs)
    print(f"已生成 {len(docs)} 份 Word 草稿及 {len(pdfs)} 份 PDF，位于 {out}/<案卷号>/")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DocgenError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        sys.exit(1)
