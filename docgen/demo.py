"""`make demo`: the main job on the sample casefiles, and where the results are.

Renders every sample document as a draft (.docx and PDF), issues each one into the archive
(documents issued by an earlier run are reported, not issued again), imports the documents in
imports/, makes one case bundle, runs a few searches and the deadline report as of the
samples' "today", and prints where everything is. The last steps run the real commands, so
what is shown is exactly what a clerk typing them would see.
"""

from __future__ import annotations

import sys

from docgen import yamlio
from docgen.archive import Archive
from docgen.casefile import all_case_ids, load_case
from docgen.errors import DocgenError
from docgen.render import Renderer, render_case, typeset
from docgen.workspace import Workspace


def drafts(ws: Workspace) -> None:
    out = ws.root / "out"
    renderer = Renderer(ws)
    rendered = [r for case_id in all_case_ids(ws) for r in render_case(ws, case_id, None, out / case_id, renderer)]
    typeset(renderer, rendered)
    docs = [r.docx for r in rendered]
    print(f"\n【草稿】{len(docs)} 份 Word 草稿及其 PDF：")
    for path in docs:
        print(f"  {ws.relative(path)}（PDF：{ws.relative(path.with_suffix('.pdf'))}）")


def issue_all(ws: Workspace, archive: Archive) -> None:
    print("\n【签发归档】（按成文日期先后编号）")
    docs = sorted((doc for case_id in all_case_ids(ws) for doc in load_case(ws, case_id).documents()),
                  key=lambda doc: doc.values["date"])
    for doc in docs:
        label = f"{doc.case.id} {doc.id}（{doc.type.name}）"
        done = archive.issued(doc.case.id, doc.id)
        if done:
            print(f"  {label}：此前已签发 {done.metadata['number']}（{done.id}）")
            continue
        try:
            item = archive.issue(doc.case.id, doc.id)
        except DocgenError as exc:
            print(f"  {label}：未签发 —— {exc}")
            continue
        print(f"  {label}：{item.metadata['number']} → {ws.relative(item.path)}")


def import_all(ws: Workspace, archive: Archive) -> None:
    import datetime as dt

    print("\n【导入外来文件】")
    listing = ws.root / "imports" / "imports.yaml"
    entries = yamlio.plain(yamlio.load(listing, shown_as="imports/imports.yaml")["files"])
    imported = {i.metadata.get("source_name"): i for i in archive.items()}
    for entry in entries:
        name = entry["file"]
        if name in imported:
            print(f"  {name}：此前已导入（{imported[name].id}）")
            continue
        date = entry.get("date")
        item = archive.import_file(ws.root / "imports" / name, title=entry.get("title"), number=entry.get("number"),
                                   date=date if isinstance(date, dt.date) else None, type_id=entry.get("type"),
                                   retention=entry.get("retention"), issuer=entry.get("issuer"))
        print(f"  {name} → {item.id}　{item.metadata['title']}")


# The samples are set in late 2021: this is their "today" for the deadline report.
SAMPLE_DAY = "2021-12-01"
SEARCHES = (["约谈", "城关镇"], ["石安委办〔2021〕"], ['"隐患排查"', "--type", "bulletin"], ["消防", "-通报", "--year", "2021"])


def command(*args: str) -> None:
    """Run a docgen command as typed, showing the command line first."""
    from docgen.cli import cli

    print(f"\n$ docgen {' '.join(args)}")
    sys.stdout.flush()
    cli.main(list(args), prog_name="docgen", standalone_mode=False)


def main() -> int:
    ws = Workspace.find()
    print(f"工作区：{ws.root}")
    drafts(ws)
    archive = Archive(ws)
    issue_all(ws, archive)
    import_all(ws, archive)
    problems = archive.verify()
    print(f"\n档案：{ws.relative(archive.root)}/，共 {len(archive.items())} 件，校验"
          + ("全部完好。" if not problems else f"发现 {len(problems)} 个问题！"))

    print("\n【案卷 PDF】")
    command("bundle", "2021-yt-001")
    print("\n【全文检索】（索引随签发和导入更新；docgen index rebuild 可从档案重建）")
    for query in SEARCHES:
        command("search", *query, "--limit", "3")
    print(f"\n【期限】（样例案卷以 {SAMPLE_DAY} 为今天）")
    command("due", "--on", SAMPLE_DAY)
    command("blacklist", "--year", "2021", "--on", SAMPLE_DAY)
    print("\n【网页】查阅、检索、期限在浏览器中；文书账户用 docgen user add 名字 --role clerk 建立后可登录起草和签发。")
    print(f"启动网页（浏览器打开 http://127.0.0.1:8000/）：\n\n    {web_command(ws)}")
    return 1 if problems else 0


def web_command(ws: Workspace) -> str:
    """The one command that serves this workspace, as typed from the project folder."""
    import shlex
    from pathlib import Path

    docgen = Path(sys.executable).parent / "docgen"
    try:
        docgen = docgen.relative_to(Path.cwd())
    except ValueError:
        pass
    root = "" if ws.root == Path.cwd().resolve() else f" --root {shlex.quote(str(ws.root))}"
    return f"{docgen}{root} serve --today {SAMPLE_DAY}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DocgenError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        sys.exit(1)
