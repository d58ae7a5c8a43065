"""Commands over the archive: issue, and archive verify | list | show | import | catalog | void |
register rebuild."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from docgen.cli import emit_json, json_option
from docgen.errors import DocgenError


def _workspace(ctx):
    from docgen.workspace import Workspace

    return Workspace.find(ctx.find_root().obj.get("root"))


def _archive(ctx):
    from docgen.archive import Archive

    return Archive(_workspace(ctx))


def _notices(notices) -> None:
    for notice in notices:
        click.secho(f"提示：{notice}", fg="yellow", err=True)


@click.command()
@click.argument("case_id")
@click.argument("doc_id", metavar="DOC")
@click.option("--allow-dirty", is_flag=True,
              help="案卷有未提交的修改时仍然签发（此情况会记入档案元数据）。")
@json_option
@click.pass_context
def issue(ctx, case_id, doc_id, allow_dirty, as_json):
    """签发：为案卷 CASE_ID 中的文书 DOC 分配发文字号，生成正式 .docx 与加盖归档章的 PDF，
    归入 archive/，登记到发文登记簿 register/<年度>.csv 并提交 git，编入检索索引。

    文号按发文登记簿顺序分配，不重号、不跳号；登记过的文号（含已作废、档案已丢失的）不再使用；
    同一文书不能重复签发。工作区必须是 git 仓库，案卷有未提交修改时拒绝签发。

    \b
    例：docgen issue 2021-yt-001 summons
    """
    from docgen.issuing import issue as run

    item = run(_workspace(ctx), case_id, doc_id, allow_dirty=allow_dirty)
    meta = item.metadata
    _notices(item.notices)
    if as_json:
        emit_json({"number": meta["number"], "archive_id": item.id, "docx": str(item.path / "document.docx"),
                   "pdf": str(item.path / "document.pdf"), "sha256": meta["files"]})
        return
    click.echo(f"已签发：{meta['number']}　{meta['title']}")
    click.echo(f"档号：{item.id}（{meta['retention_name']}，{meta['pages']}页）")
    click.echo(f"位置：{item.path}")


@click.group()
def archive():
    """档案：校验、列表、查看、导入外来文件、打印归档文件目录、作废文号、重建登记簿。"""


@archive.command()
@json_option
@click.pass_context
def verify(ctx, as_json):
    """校验档案与发文登记簿：重新计算每个文件的 SHA-256，报告缺失、被改动和清单之外的文件；
    核对登记簿与档案（登记的每一件都在且未被改动，档案中每一件都已登记）和登记簿的 git 历史。
    有问题时退出码为 1。"""
    arch = _archive(ctx)
    problems, notices = arch.verify()
    count = len(arch.folders())
    lines = ["：".join(part for part in (p["item"], p["file"], p["message"]) if part) for p in problems]
    if as_json:  # a failed verify carries "error" as every failure under --json does
        emit_json({"ok": not problems, **({"error": "\n".join(lines)} if problems else {}), "items": count,
                   "problems": problems, "notices": notices})
    else:
        _notices(notices)
        for line in lines:
            click.secho(line, fg="red")
        click.echo(f"已校验 {count} 件，" + (f"发现 {len(problems)} 个问题。" if problems else "全部完好。"))
    ctx.exit(1 if problems else 0)


def _broken(arch) -> None:
    for problem in arch.broken:
        click.secho(f"注意：{problem}（已跳过，可运行 docgen archive verify 检查）", fg="yellow", err=True)


@archive.command(name="list")
@click.option("--year", type=int, help="只列出该年度。")
@click.option("--type", "type_id", help="只列出该文书类型（如 summons）。")
@json_option
@click.pass_context
def list_items(ctx, year, type_id, as_json):
    """列出归档文件（档号、文号、题名、日期；已作废的注明）。"""
    arch = _archive(ctx)
    voided = arch.voided()
    items = [i for i in arch.items()
             if (year is None or i.metadata["year"] == year) and (type_id is None or i.metadata["type"] == type_id)]
    _broken(arch)
    if as_json:
        emit_json([{**i.metadata, "voided": voided[i.id].note if i.id in voided else None} for i in items])
        return
    for i in items:
        m = i.metadata
        void = f"　【已作废：{voided[i.id].note}】" if i.id in voided else ""
        click.echo(f"{i.id}　{m.get('number') or '（无文号）'}　{m['title']}　{m['date']}　{m['type_name']}{void}")
    click.echo(f"共 {len(items)} 件")


@archive.command()
@click.argument("item_id", metavar="ID")
@json_option
@click.pass_context
def show(ctx, item_id, as_json):
    """显示一件档案的元数据（ID 为档号）。"""
    meta = _archive(ctx).show(item_id)
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
    if meta["voided"]:
        void = meta["void"]
        click.secho(f"已作废（{void['date']}，{void['register']}）：{void['reason']}", fg="red")
    click.echo(f"涉及单位：{'、'.join(meta.get('units') or []) or '—'}")
    git = meta.get("git")
    if git:
        click.echo(f"提交：{git['commit']}" + ("（签发时案卷有未提交修改）" if git["allow_dirty"] else ""))
    for name, digest in (meta.get("files") or {}).items():
        click.echo(f"SHA-256 {digest}  {name}")


@archive.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
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
    """导入非本系统生成的文件（.docx、.pdf、.txt），原件与全文一并归档、登记并编入索引。

    题名、文号、日期、文种尽量从文件中读取；读不出的用选项给出。同一文件不会重复导入，
    已登记的文号不能再次登记。
    """
    from docgen.issuing import import_file

    date = None
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise DocgenError(f"--date 应写作 2021-10-26：{date_text}") from None
    ws = _workspace(ctx)
    done = []
    for path in files:
        item = import_file(ws, path, title=title, number=number, date=date, type_id=type_id,
                           retention=retention, issuer=issuer, units=list(units))
        done.append(item)
        _notices(item.notices)
        if not as_json:
            click.echo(f"已导入：{path.name} → {item.id}　{item.metadata['title']}")
    if as_json:
        emit_json([{"archive_id": i.id, "title": i.metadata["title"], "number": i.metadata["number"],
                    "date": i.metadata["date"]} for i in done])


@archive.command()
@click.option("--year", type=int, required=True, help="年度。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="输出文件，默认 out/归档文件目录-年度.docx。")
@click.option("--force", is_flag=True, help="--out 指定的文件已存在时覆盖。")
@click.pass_context
def catalog(ctx, year, out, force):
    """生成某年度的归档文件目录（Word 表格：件号、档号、文号、责任者、题名、日期、页数、密级、备注）。

    已作废的文号在备注栏注明「作废」及原因。
    """
    from docgen.catalog import catalog_docx
    from docgen.fsio import atomic_write, check_output

    arch = _archive(ctx)
    ws = arch.workspace
    target = check_output(out, arch.root, force=force) if out else \
        check_output(ws.root / "out" / f"归档文件目录-{year}.docx", arch.root, force=True)
    items = [i for i in arch.items() if i.metadata["year"] == year]
    _broken(arch)
    if not items:
        raise DocgenError(f"{year} 年度没有归档文件")
    notes = {aid: f"作废：{row.note}" for aid, row in arch.voided().items()}
    atomic_write(target, catalog_docx(ws.office, year, items, notes))
    click.echo(f"已生成 {year} 年度归档文件目录（{len(items)} 件）：{target}")


@archive.command(name="void")
@click.argument("number", metavar="文号")
@click.option("--reason", required=True, help="作废原因，如「发出前发现错误，已撤回」。")
@json_option
@click.pass_context
def void_number(ctx, number, reason, as_json):
    """作废一个已登记的文号（如发出前撤回的公文）：在发文登记簿中追加一行「作废」并提交 git。

    归档的文件原样保留，目录和列表中注明已作废；该文号永不再用。撤回后需重发的，重新签发即得新文号。

    \b
    例：docgen archive void 石安委办〔2021〕3号 --reason 发出前发现日期有误
    """
    from docgen.issuing import void

    row, notices = void(_workspace(ctx), number, reason)
    _notices(notices)
    if as_json:
        emit_json({"number": row.number, "archive_id": row.archive_id, "reason": row.note, "register": row.where})
        return
    click.echo(f"已作废：{row.number}（档号 {row.archive_id}）《{row.title}》，原因：{row.note}")
    click.echo(f"已记入 {row.where}")


@archive.group()
def register():
    """发文登记簿（register/<年度>.csv）。"""


@register.command()
@json_option
@click.pass_context
def rebuild(ctx, as_json):
    """灾后重建发文登记簿：保留仍可读取的登记行（含 git 中已提交的），据档案补齐缺少的行；
    序列中间无档案也无登记的文号和档号记为作废、不再使用。报告无法恢复的内容，并作为一次
    「重建」提交 git。仅在登记簿损坏或丢失时使用。"""
    from docgen.issuing import rebuild_register

    done = rebuild_register(_workspace(ctx))
    _notices(done.notices)
    if as_json:
        emit_json({"rows": len(done.rows), "kept": done.kept, "from_items": done.from_items,
                   "unrecovered": done.unrecovered})
        return
    click.echo(f"已重建发文登记簿：共 {len(done.rows)} 行，其中保留原登记 {done.kept} 行，据档案补记 {done.from_items} 行。")
    for line in done.unrecovered:
        click.secho(f"未能恢复：{line}", fg="yellow")
    if not done.unrecovered:
        click.echo("没有无法恢复的内容。")
