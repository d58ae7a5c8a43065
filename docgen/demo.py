"""`make demo`: the main job on the sample casefiles, in a workspace of its own.

The samples of this repository (office.yaml, templates/, casefiles/, imports/) are copied into
out/demo, made with `docgen init` as a git repository of its own. Issuing commits each 文号 to
the register; those commits belong to the demo office's history, so they must not land in the
developers' repository (which `make demo` would otherwise do from its root), and out/ is
ignored by it. A second run brings in sample files that changed (committed as a clerk would),
reports documents issued by an earlier run instead of issuing them again, and `docgen check`
flags an issued one whose sample was since edited. `make clean` removes it all.

In the demo workspace it renders every sample document as a draft (.docx and PDF), issues each
into the archive, imports the documents in imports/, verifies the archive against the register,
makes one case bundle, runs a few searches and the deadline report as of the samples' "today",
and prints where everything is. The last steps run the real commands, so what is shown is
exactly what a clerk typing them in out/demo would see.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
from pathlib import Path

from docgen import provenance, yamlio
from docgen.archive import Archive
from docgen.casefile import all_case_ids, load_case
from docgen.doctypes import Field, Validator
from docgen.errors import DocgenError
from docgen.issuing import import_file, issue
from docgen.render import Renderer, render_case, typeset
from docgen.workspace import OFFICE_FILE, RULES_FILE, Workspace

SAMPLES = (OFFICE_FILE, RULES_FILE, "templates", "casefiles", "imports")


def workspace(source: Workspace) -> Workspace:
    """out/demo with the samples as they are now, committed."""
    root = source.root / "out" / "demo"
    if not (root / ".git").exists():
        root.mkdir(parents=True, exist_ok=True)
        if not (root / OFFICE_FILE).exists():  # init keeps the office.yaml it finds
            shutil.copyfile(source.root / OFFICE_FILE, root / OFFICE_FILE)
        command("init", str(root))
    top = provenance.run(root, "rev-parse", "--show-toplevel", check=True).stdout.strip()
    if Path(top).resolve() != root.resolve():  # never commit the demo's register into the project
        raise DocgenError(f"演示工作区 {root} 应是独立的 git 仓库，却属于 {top}；请删除 {root} 后重新运行 make demo")
    for name in SAMPLES:
        src = source.root / name
        for path in [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file()):
            target = root / path.relative_to(source.root)
            if not target.exists() or not filecmp.cmp(path, target, shallow=False):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    provenance.run(root, "add", "-A", "--", *SAMPLES, check=True)
    if provenance.run(root, "diff", "--cached", "--quiet").returncode:
        office = Workspace(root).office["name"]
        provenance.run(root, *provenance.identity(root, office), "commit", "-q", "-m", "样例案卷（make demo 从项目同步）",
                       check=True)
        print("已把项目中的样例案卷同步到演示工作区并提交 git。")
    return Workspace(root)


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
    print("\n【签发归档】（按成文日期先后编号；每个文号登记在 register/ 并提交 git）")
    docs = sorted((doc for case_id in all_case_ids(ws) for doc in load_case(ws, case_id).documents()),
                  key=lambda doc: doc.values["date"])
    issued = archive.issued()
    for doc in docs:
        label = f"{doc.case.id} {doc.id}（{doc.type.name}）"
        done = issued.get((doc.case.id, doc.id))
        if done:
            print(f"  {label}：此前已签发 {done.number}（{done.archive_id}）")
            continue
        try:
            item = issue(ws, doc.case.id, doc.id)
        except DocgenError as exc:
            print(f"  {label}：未签发 —— {exc}")
            continue
        print(f"  {label}：{item.metadata['number']} → {ws.relative(item.path)}")


# imports/imports.yaml: one row per file; the rest only where the file does not say.
IMPORT_LIST = Field("files", "导入清单", kind="table", required=True, columns={f.name: f for f in [
    Field("file", "文件名", required=True), Field("title", "题名"), Field("number", "文号"),
    Field("date", "成文日期", kind="date"), Field("type", "文书类型"), Field("issuer", "责任者"),
    Field("retention", "保管期限", choices=("Y", "D30", "D10")),
]})


def import_all(ws: Workspace, archive: Archive) -> None:
    print("\n【导入外来文件】")
    shown = "imports/imports.yaml"
    check = Validator(shown)
    entries = check.mapping({"files": IMPORT_LIST}, yamlio.load(ws.root / shown, shown_as=shown))["files"]
    check.raise_if_failed()
    imported = {i.metadata.get("source_name"): i for i in archive.items()}
    for entry in entries:
        name = entry["file"]
        if name in imported:
            print(f"  {name}：此前已导入（{imported[name].id}）")
            continue
        item = import_file(ws, ws.root / "imports" / name, title=entry.get("title"), number=entry.get("number"),
                           date=entry.get("date"), type_id=entry.get("type"),
                                   retention=entry.get("retention"), issuer=entry.get("issuer"))
        print(f"  {name} → {item.id}　{item.metadata['title']}")


# The samples are set in late 2021: this is their "today" for the deadline report.
SAMPLE_DAY = "2021-12-01"
SEARCHES = (["约谈", "城关镇"], ["石安委办〔2021〕"], ['"隐患排查"', "--type", "bulletin"], ["消防", "-通报", "--year", "2021"])


def command(*args: str) -> int:
    """Run a docgen command as typed, showing the command line first; its exit code."""
    from docgen.cli import cli

    print(f"\n$ docgen {' '.join(args)}")
    sys.stdout.flush()
    return cli.main(list(args), prog_name="docgen", standalone_mode=False) or 0


def main() -> int:
    ws = workspace(Workspace.find())
    os.chdir(ws.root)  # the commands below are what a clerk types in the demo workspace
    print(f"演示工作区：{ws.root}（独立的 git 仓库）")
    drafts(ws)
    archive = Archive(ws)
    issue_all(ws, archive)
    import_all(ws, archive)
    print("\n【校验】（档案与发文登记簿 register/ 双向核对；案卷在签发后被修改的会指出）")
    problems = command("archive", "verify")
    command("check")

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
