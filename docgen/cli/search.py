"""`docgen search` and `docgen index rebuild`.

Typed during inspections, so start-up matters: nothing heavy is imported at module level
(whoosh is imported when a command runs; jieba only when documents are indexed).
"""

from __future__ import annotations

import sys
import time

import click

from docgen import progress
from docgen.cli import emit_json


UNITS_SHOWN = 3


def _index_dir(ctx):
    from docgen.workspace import find_root
    return find_root((ctx.obj or {}).get("root")) / "archive" / ".index"


def _source(ctx):
    """A callable listing every archive document, for rebuilding the index.

    The archive module is imported only when called (a rebuild): importing it costs more
    than a whole search.
    """
    from docgen.workspace import find_root
    root = find_root((ctx.obj or {}).get("root"))

    def documents():
        from docgen.archive import iter_documents
        return iter_documents(root)
    return documents


def _notify(message: str) -> None:
    click.secho(message, fg="yellow", err=True)


# Unknown options pass through as query words, so that a leading minus (隐患 -消防) excludes.
@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option("--type", "type_", metavar="文种", help="只查该文种（类型 ID 如 summons，或名称如 约谈通知书）。")
@click.option("--year", metavar="年度", help="只查该年度，如 2021 或 2019-2021。")
@click.option("--unit", metavar="单位", help="只查涉及该单位的文件（可写单位名称的一部分，如 城关镇）。")
@click.option("--from", "date_from", metavar="日期", help="成文日期不早于，如 2021-01-01、2021-03 或 2021。")
@click.option("--to", "date_to", metavar="日期", help="成文日期不晚于。")
@click.option("--limit", type=int, default=20, show_default=True, help="最多显示多少条。")
@click.option("--sort", type=click.Choice(["relevance", "newest"]), default=None,
              help="排序：relevance 相关度（有检索词时默认），newest 最新在前。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_context
def search(ctx, query, type_, year, unit, date_from, date_to, limit, sort, as_json):
    """全文检索已归档公文。

    \b
    检索式：
      约谈 城关镇              同时包含（汉字按原文连续匹配，如 grep）
      "安全生产 责任制"         引号内为一个短语
      约谈 OR 通报              任一
      隐患 -消防 / NOT 消防     排除
      type:summons year:2021 unit:城关镇 case:2021-yt-001  按字段筛选
    """
    from search.query import search as run
    tty = not as_json and sys.stdout.isatty()
    marks = ("\x1b[1;31m", "\x1b[0m") if tty else ("【", "】")
    res = run(_index_dir(ctx), " ".join(query), type=type_, year=year, unit=unit,
              date_from=date_from, date_to=date_to, limit=limit, sort=sort, marks=marks,
              source=_source(ctx), notify=_notify)
    if as_json:
        emit_json(res.as_dict())
        return
    if not res.total:
        click.echo("没有找到符合条件的文件。")
        return
    shown = len(res.hits)
    click.echo(f"共 {res.total} 份文件" + (f"，显示前 {shown} 份：" if shown < res.total else "："))
    for i, h in enumerate(res.hits, 1):
        units = "、".join(h.units[:UNITS_SHOWN]) + (f" 等 {len(h.units)} 个单位" if len(h.units) > UNITS_SHOWN else "")
        head = "  ".join(x for x in (h.number, h.type_name or h.type, h.date, units) if x)
        click.echo(click.style(f"{i:>3}. {h.title}", bold=tty))
        click.echo(f"     {head}")
        click.echo(f"     {h.snippet}")
        click.echo(click.style(f"     {h.archive_id}  {h.path}", dim=tty))


@click.group()
def index():
    """检索索引维护（索引由档案派生，可随时重建）。"""


@index.command()
@click.option("--procs", type=click.IntRange(1, 8), default=1, show_default=True,
              help="并行进程数（每个进程约占 250 MB 内存）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_context
def rebuild(ctx, procs, as_json):
    """从档案重建检索索引（重建期间仍可检索旧索引）。"""
    source = _source(ctx)
    from search.index import rebuild as run
    index_dir = _index_dir(ctx)
    if not as_json:
        click.echo(f"正在重建检索索引（{index_dir}）……", err=True)
    t0 = time.monotonic()
    archive = index_dir.parent
    total = sum(1 for p in archive.iterdir() if p.is_dir() and not p.name.startswith(".")) if archive.is_dir() else 0
    n = run(index_dir, progress.items(source(), total, "建立索引"), notify=_notify, procs=procs)
    secs = round(time.monotonic() - t0, 2)
    if as_json:
        emit_json({"documents": n, "seconds": secs, "index": str(index_dir)})
    else:
        click.echo(f"检索索引已重建：{n} 份文件，用时 {secs} 秒（{index_dir}）。")
