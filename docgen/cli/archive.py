"""Commands over the archive: issue, and archive verify | list | show | import | catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from docgen.cli import emit_json, json_option
from docgen.errors import DocgenError


def _archive(ctx):
    from docgen.archive import Archive
    from docgen.workspace import Workspace

    return Archive(Workspace.find(ctx.find_root().obj.get("root")))


@click.command()
@click.argument("case_id")
@click.argument("doc_id", metavar="DOC")
@click.option("--allow-dirty", is_flag=True,
              help="案卷有未提交的修改时仍然签发（此情况会记入档案元数据）。")
@json_option
@click.pass_context
def issue(ctx, case_id, doc_id, allow_dirty, as_json):
    """签发：为案卷 CASE_ID 中的文书 DOC 分配发文字号，生成正式 .docx 与加盖归档章的 PDF，
    归入 archive/ 并编入检索索引。

    文号按机关代字和成文年度顺序分配，不重号、不跳号；同一文书不能重复签发。
    工作区是 git 仓库时，记录案卷所在的提交；案卷有未提交修改时拒绝签发。

    \b
    例：docgen issue 2021-yt-001 summons
    """
    item = _archive(ctx).issue(case_id, doc_id, allow_dirty=allow_dirty)
    meta = item.metadata
    if as_json:
        emit_json({"number": meta["number"], "archive_id": item.id, "docx": str(item.path / "document.docx"),
                   "pdf": str(item.path / "document.pdf"), "sha256": meta["files"]})
        return
    click.echo(f"已签发：{meta['number']}　{meta['title']}")
    click.echo(f"档号：{item.id}（{meta['retention_name']}，{meta['pages']}页）")
    click.echo(f"位置：{item.path}")


@click.group()
def archive():
    """档案：校验、列表、查看、导入外来文件、打印归档文件目录。"""


@archive.command()
@json_option
@click.pass_context
def verify(ctx, as_json):
    """重新计算每个归档文件的 SHA-256，报告缺失、被改动和清单之外的文件；有问题时退出码为 1。"""
    arch = _archive(ctx)
    problems = arch.verify()
    count = len(arch.items())
    if as_json:
        emit_json({"ok": not problems, "items": count, "problems": problems})
    else:
        for p in problems:
            click.secho(f"{p['item']}：{p['file']} {p['message']}", fg="red")
        click.echo(f"已校验 {count} 件，" + (f"发现 {len(problems)} 个问题。" if problems else "全部完好。"))
    ctx.exit(1 if problems else 0)


@archive.command(name="list")
@click.option("--year", type=int, help="只列出该年度。")
@click.option("--type", "type_id", help="只列出该文书类型（如 summons）。")
@json_option
@click.pass_context
def list_items(ctx, year, type_id, as_json):
    """列出归档文件（档号、文号、题名、日期）。"""
    items = [i for i in _archive(ctx).items()
             if (year is None or i.metadata["year"] == year) and (type_id is None or i.metadata["type"] == type_id)]
    if as_json:
        emit_json([i.metadata for i in items])
        return
    for i in items:
        m = i.metadata
        click.echo(f"{i.id}　{m.get('number') or '（无文号）'}　{m['title']}　{m['date']}　{m['type_name']}")
    click.echo(f"共 {len(items)} 件")


@archive.command()
@click.argument("item_id", metavar="ID")
@json_option
@click.pass_context
def show(ctx, item_id, as_json):
    """显示一件档案的元数据（ID 为档号）。"""
    item = _archive(ctx).item(item_id)
    meta = item.metadata
    if as_json:
        emit_json(meta)
        return
    labels = [("档号", "archive_id"), ("文号", "number"), ("题名", "title"), ("责任者", "issuer"),
              ("日期", "date"), ("文种", "type_name"), ("保管期限", "retention_name"), ("密级", "security"),
              ("页数", "pages"), ("案卷", "case_id"), ("来源", "origin"), ("归档时间", "filed_at")]
    for label, key in labels:
        value = meta.get(key)
        if key == "origin":
            value = "签发" if value == "issued" else f"导入（{meta.get('source_name')}）"
        click.echo(f"{label}：{value if value not in (None, '') else '—'}")
    click.echo(f"涉及单位：{'、'.join(meta.get('units') or []) or '—'}")
    git = meta.get("git")
    if git:
        click.echo(f"提交：{git['commit']}" + ("（签发时案卷有未提交修改）" if git["allow_dirty"] else ""))
    for name, digest in meta["files"].items():
        click.echo(f"SHA-256 {digest}  {name}")


@archive.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="题名（文件中读不出时必填）。")
@click.option("--number", help="文号，如 晋发〔2014〕19号。")
@click.option("--date", "date_text", help="成文日期，如 2021-10-26（文件中读不出时必填）。")
@click.option("--type", "type_id", help="文书类型（如 notice）；默认按题名文种推断。")
@click.option("--retention", type=click.Choice(["Y", "D30", "D10"]), help="保管期限，默认按文书类型。")
@click.option("--issuer", help="责任者（发文机关）。")
@click.option("--unit", "units", multiple=True, help="涉及单位，可重复。")
@json_option
@click.pass_context
def import_files(ctx, files, title, number, date_text, type_id, retention, issuer, units, as_json):
    """导入非本系统生成的文件（.docx、.pdf、.txt），原件与全文一并归档并编入索引。

    题名、文号、日期、文种尽量从文件中读取；读不出的用选项给出。同一文件不会重复导入。
    """
    date = None
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise DocgenError(f"--date 应写作 2021-10-26：{date_text}") from None
    arch = _archive(ctx)
    done = []
    for path in files:
        item = arch.import_file(path, title=title, number=number, date=date, type_id=type_id,
                                retention=retention, issuer=issuer, units=list(units))
        done.append(item)
        if not as_json:
            click.echo(f"已导入：{path.name} → {item.id}　{item.metadata['title']}")
    if as_json:
        emit_json([{"archive_id": i.id, "title": i.metadata["title"], "number": i.metadata["number"],
                    "date": i.metadata["date"]} for i in done])


@archive.command()
@click.option("--year", type=int, required=True, help="年度。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="输出文件，默认 out/归档文件目录-年度.docx。")
@click.pass_context
def catalog(ctx, year, out):
    """生成某年度的归档文件目录（Word 表格：件号、档号、文号、责任者、题名、日期、页数、密级、备注）。"""
    from docgen.catalog import catalog_docx
    from docgen.fsio import atomic_write

    arch = _archive(ctx)
    items = [i for i in arch.items() if i.metadata["year"] == year]
    if not items:
        raise DocgenError(f"{year} 年度没有归档文件")
    out = out or arch.workspace.root / "out" / f"归档文件目录-{year}.docx"
    atomic_write(out, catalog_docx(arch.workspace.office, year, items))
    click.echo(f"已生成 {year} 年度归档文件目录（{len(items)} 件）：{out}")
