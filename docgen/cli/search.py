"""`docgen search` and `docgen index rebuild`.

Typed during inspections, so start-up matters: nothing heavy is imported at module level
(whoosh when a command runs; jieba only when documents are indexed).
"""

from __future__ import annotations

import sys
import time

import click

from docgen import progress
from docgen.cli import emit_json, json_option

UNITS_SHOWN = 3


def _root(ctx):
    from docgen.workspace import find_root
    return find_root((ctx.obj or {}).get("root"))


def _index_dir(root):
    return root / "archive" / ".index"


def _notify(message: str) -> None:
    click.secho(message, fg="yellow", err=True)


SEARCH_HELP = """全文检索已归档公文。

\b
检索式（多个词用空格隔开，须同时出现）：
  约谈 城关镇                两个词都要有；每个词按原文连续匹配，
                             与 grep 查找原文的结果相同
  "安全生产 责任制"           引号（也可用 “ ”）内为一个短语，连同其中的空格
  约谈 OR 通报                任一
  隐患 -消防   隐患 NOT 消防  排除
  镇                          单个汉字也可检索

\b
文号怎样写都能找到（年份括号、全角半角、空格不限）：
  石安委办〔2021〕16号   石安委办[2021]16号   石安委办(2021)16号
  石安委办（２０２１）１６号   石安委办 〔2021〕 16 号
全角字母数字与半角相同，字母不分大小写：ＰＤＦ = PDF = pdf。

\b
文种名称既查正文，也查该文种的全部文件
（名称取自本工作区 templates/ 的文种声明）：
  约谈通知书   约谈纪要   通报   督查反馈意见   巡查评估报告

\b
字段筛选（也可用下面的选项）：
  type:summons 或 文种:约谈通知书    year:2021 或 年度:2019-2021
  unit:城关镇（单位名称的一部分）    case:2021-yt-001（案卷号）
  number:〔2021〕（文号的一部分，如 文号:16号）
  例：docgen search 约谈 unit:城关镇 year:2021 --sort date

\b
排序：有检索词时按相关度
（文号完全相同 > 标题含检索词 > 标题中成词 > 仅正文含有），
同档内新文件在前；--sort date 全部按成文日期，新文件在前。
"""


# Unknown options pass through as query words, so that a leading minus (隐患 -消防) excludes.
@click.command(help=SEARCH_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option("--type", "type_", metavar="文种", help="只查该文种（类型 ID 如 summons，或名称如 约谈通知书）。")
@click.option("--year", metavar="年度", help="只查该年度，如 2021 或 2019-2021。")
@click.option("--unit", metavar="单位", help="只查涉及该单位的文件（可写单位名称的一部分，如 城关镇）。")
@click.option("--number", metavar="文号", help="只查文号含此文字的文件，如 〔2021〕 或 16号。")
@click.option("--case", metavar="案卷号", help="只查该案卷的文件。")
@click.option("--from", "date_from", metavar="日期", help="成文日期不早于，如 2021-01-01、2021-03 或 2021。")
@click.option("--to", "date_to", metavar="日期", help="成文日期不晚于。")
@click.option("--limit", type=int, default=20, show_default=True, help="最多显示多少条。")
@click.option("--sort", type=click.Choice(["relevance", "date", "newest"]), default=None,
              help="排序：relevance 相关度（有检索词时默认），date 成文日期、新文件在前（newest 同）。")
@json_option
@click.pass_context
def search(ctx, query, type_, year, unit, number, case, date_from, date_to, limit, sort, as_json):
    from search.backend import search as run
    from search.source import TYPES_CACHE, archive_source, declared_types
    root = _root(ctx)
    index_dir = _index_dir(root)
    tty = not as_json and sys.stdout.isatty()
    marks = ("\x1b[1;31m", "\x1b[0m") if tty else ("【", "】")
    res = run(index_dir, " ".join(query), type=type_, year=year, unit=unit, number=number,
              case=case, date_from=date_from, date_to=date_to, limit=limit, sort=sort, marks=marks,
              types=declared_types(root, index_dir / TYPES_CACHE), source=archive_source(root),
              notify=_notify)
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
@json_option
@click.pass_context
def rebuild(ctx, procs, as_json):
    """从档案重建检索索引（重建期间仍可检索旧索引）。"""
    from search.index import rebuild as run
    from search.source import archive_source
    root = _root(ctx)
    index_dir = _index_dir(root)
    if not as_json:
        click.echo(f"正在重建检索索引（{index_dir}）……", err=True)
    t0 = time.monotonic()
    source = archive_source(root)
    n = run(index_dir, progress.items(source.documents(), len(source.ids()), "建立索引"),
            notify=_notify, procs=procs)
    secs = round(time.monotonic() - t0, 2)
    if as_json:
        emit_json({"documents": n, "seconds": secs, "index": str(index_dir)})
    else:
        click.echo(f"检索索引已重建：{n} 份文件，用时 {secs} 秒（{index_dir}）。")
