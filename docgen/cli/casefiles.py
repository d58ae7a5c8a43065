"""Commands over casefiles: init, new, check, render."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import click

from docgen.cli import emit_json, json_option
from docgen.errors import DocgenError


def _workspace(ctx):
    from docgen.workspace import Workspace

    return Workspace.find(ctx.obj.get("root"))


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(path: Path):
    """在 PATH（默认当前目录）建立工作区：office.yaml、templates/、casefiles/、archive/。

    已存在的文件不会被覆盖。建立后请先编辑 office.yaml 填写本机关名称和发文字号代字。
    """
    from docgen.fsio import atomic_write
    from docgen.workspace import BUNDLED, OFFICE_FILE

    path.mkdir(parents=True, exist_ok=True)
    made = []
    office = path / OFFICE_FILE
    if not office.exists():
        atomic_write(office, (BUNDLED / OFFICE_FILE).read_text(encoding="utf-8"))
        made.append(office)
    (path / "templates").mkdir(exist_ok=True)
    for source in sorted((BUNDLED / "templates").iterdir()):
        target = path / "templates" / source.name
        if source.suffix in (".docx", ".yaml") and not target.exists():
            shutil.copyfile(source, target)
            made.append(target)
    for folder in ("casefiles", "archive"):
        (path / folder).mkdir(exist_ok=True)
    for item in made:
        click.echo(f"已创建 {item}")
    click.echo(f"工作区就绪：{path.resolve()}。下一步：编辑 office.yaml，然后 docgen new summons 案卷号")


@click.command()
@click.argument("type_id", metavar="TYPE")
@click.argument("case_id")
@click.option("--year", type=int, default=lambda: dt.date.today().year, show_default="今年",
              help="新案卷所属年度（casefiles/<年度>/<案卷号>/）。")
@click.pass_context
def new(ctx, type_id, case_id, year):
    """在案卷 CASE_ID 中新建一份 TYPE 类文书草稿（案卷不存在则一并新建）。

    生成的 YAML 列出该类文书的全部字段，每个字段都有中文注释；必填项已给出示例，
    可选项以 # 注释，删去 # 即可启用。已有文件不会被覆盖。

    \b
    TYPE 例如：summons 约谈通知书、memorandum 约谈纪要、feedback 督查反馈意见、
               patrol_report 巡查评估报告、bulletin 通报、notice 通知
    """
    from docgen.casefile import create

    ws = _workspace(ctx)
    for path in create(ws, type_id, case_id, year):
        click.echo(f"已创建 {ws.relative(path)}")


@click.command()
@click.argument("case_ids", nargs=-1, metavar="[CASE_ID]...")
@json_option
@click.pass_context
def check(ctx, case_ids, as_json):
    """校验 office.yaml、文书类型声明和案卷（默认全部案卷）。

    每个问题都指明文件、行号和字段；有问题时退出码为 1。校对提醒（如中文里的半角标点、
    早于立卷日期的办理记录）以「注意」列出，不影响退出码。
    """
    from docgen.casefile import review

    ws = _workspace(ctx)
    report = review(ws, list(case_ids) or None)
    if as_json:
        emit_json({"ok": not report.errors, **({"error": "\n".join(map(str, report.errors))} if report.errors else {}),
                   "errors": [p.as_dict() for p in report.errors], "warnings": [w.as_dict() for w in report.warnings]})
    else:
        for problem in report.errors:
            click.secho(f"错误：{problem}", fg="red", err=True)
        for warning in report.warnings:
            click.secho(f"注意：{warning}", fg="yellow", err=True)
        if not report.errors:
            click.echo("校验通过。" + (f"另有 {len(report.warnings)} 处提醒，请核对。" if report.warnings else ""))
    ctx.exit(1 if report.errors else 0)


@click.command()
@click.argument("case_id")
@click.argument("doc_ids", nargs=-1, metavar="[DOC]...")
@click.option("--all", "all_docs", is_flag=True, help="生成案卷中的全部文书。")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出目录，默认 out/<案卷号>/。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转成 PDF（PDF/A），放在 .docx 旁。")
@json_option
@click.pass_context
def render(ctx, case_id, doc_ids, all_docs, out, pdf, as_json):
    """生成案卷 CASE_ID 中文书的草稿（.docx，可选 PDF）。

    DOC 是文书文件名（不含 .yaml），如 summons；用 --all 生成全部。草稿尚未编号，
    发文字号处留「〔    〕  号」占位，正式编号在 docgen issue 时分配。

    \b
    例：docgen render 2021-yt-001 --all --pdf
        docgen render 2021-yt-001 summons --out ~/桌面/草稿
    """
    from docgen.render import Renderer, render_case, typeset

    if not doc_ids and not all_docs:
        raise click.UsageError("请指定文书名（如 summons），或用 --all 生成全部文书")
    ws = _workspace(ctx)
    out_dir = out or ws.root / "out" / case_id
    renderer = Renderer(ws)
    results = render_case(ws, case_id, list(doc_ids) or None, out_dir, renderer)
    pdfs = dict(zip((r.docx for r in results), typeset(renderer, results))) if pdf else {}
    rows = [{"case": case_id, "doc": r.document.id, "type": r.document.type.id,
             "docx": str(r.docx), "pdf": str(pdfs[r.docx]) if r.docx in pdfs else None} for r in results]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['doc']}（{ws.doctype(row['type']).name}）：{row['docx']}"
                   + (f"\n    PDF：{row['pdf']}" if row["pdf"] else ""))
