"""Commands over PDFs: bundle (one PDF of a whole case for inspectors)."""

from __future__ import annotations

from pathlib import Path

import click

from docgen.cli import emit_json, json_option


@click.command()
@click.argument("case_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出的 PDF 文件，默认 out/<案卷号>/<案卷号>-案卷.pdf。")
@click.option("--force", is_flag=True, help="--out 指定的文件已存在时覆盖。")
@json_option
@click.pass_context
def bundle(ctx, case_id, out, force, as_json):
    """把案卷 CASE_ID 组成一个 PDF，供督查、巡查、考核时查阅。

    依次为：案卷封面、卷内文件目录（序号、文号、责任者、题名、日期、页次）、案卷中的全部文书
    （按成文日期排列；已签发的用归档的 PDF，带文号和归档章）、attachments/ 中的 PDF 和图片（PNG、JPG）附件。PDF 带书签，每页
    （封面除外）右下或左下角印「案卷第 N 页」。尚未签发的文书按草稿生成，文号记为「草稿」。

    \b
    例：docgen bundle 2021-yt-001
        docgen bundle 2021-yt-001 --out ~/桌面/约谈案卷.pdf
    """
    from docgen.bundle import build_bundle, default_path, from_archive
    from docgen.fsio import check_output
    from docgen.workspace import Workspace

    ws = Workspace.find(ctx.obj.get("root"))
    out = check_output(out, ws.archive, force=force) if out else \
        check_output(default_path(ws, case_id), ws.archive, force=True)
    numbers, pdfs, notices = from_archive(ws, case_id)
    for notice in notices:
        click.secho(f"注意：{notice}", fg="yellow", err=True)
    result = build_bundle(ws, case_id, out, numbers=numbers, pdfs=pdfs)
    if as_json:
        emit_json(result.as_dict())
        return
    click.echo(f"已生成案卷 PDF：{result.path}（共 {result.pages} 页）")
    for n, item in enumerate(result.items, start=1):
        what = item.number if item.kind == "document" else "附件材料"
        click.echo(f"  {n}. {item.title}（{what}）第 {item.first_page} 页起，{item.pages} 页")
    for path in result.skipped:
        click.echo(f"  未收入：{path.name}（附件只收入 PDF 和 PNG、JPG 图片）")
