"""Commands over deadlines and case progress: due, cases, blacklist, status."""

from __future__ import annotations

import datetime as dt

import click

from docgen.cli import emit_json, json_option
from docgen.errors import DocgenError


def _workspace(ctx):
    from docgen.workspace import Workspace

    return Workspace.find(ctx.obj.get("root"))


class DateType(click.ParamType):
    name = "日期"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"日期应写作 2021-12-01，而不是「{value}」", param, ctx)


on_option = click.option("--on", type=DateType(), default=None, show_default="今天",
                         help="以哪一天为准计算（如 2021-12-01）；该日以后的办理记录不计入。")


def _left(days: int) -> str:
    if days < 0:
        return f"已逾期{-days}天"
    return "今日到期" if days == 0 else f"还剩{days}天"


def _short(text: str, width: int = 36) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _warnings(deadlines) -> None:
    for warning in dict.fromkeys(d.warning for d in deadlines if d.warning):
        click.secho(f"注意：{warning}（标 * 的日期）。", fg="yellow")


@click.command()
@on_option
@click.option("--within", type=click.IntRange(min=0), default=None, metavar="天数",
              help="只列出这么多天内到期的事项（已逾期的总会列出）。")
@json_option
@click.pass_context
def due(ctx, on, within, as_json):
    """列出未办结的期限事项：案卷、事项、期限、剩余天数，最紧急的在前。

    期限按工作区 rules.yaml 的规则，从案卷中文书的日期（如约谈纪要的约谈时间）或 case.yaml
    办理记录的事件（如「巡查结束」）起算；在 events 中记一行「item: 事项」即办结该事项。
    有逾期事项时退出码仍为 0；某个案卷有错误时照样列出其他案卷的期限，并指明错误，退出码为 1。

    \b
    例：docgen due --on 2021-12-01
        docgen due --within 7 --json
    """
    from docgen import deadlines
    from docgen.gbt9704 import format_date

    from docgen.status import Issued

    on = on or dt.date.today()
    ws = _workspace(ctx)
    problems = []  # a broken casefile hides none of the other cases' deadlines
    items = deadlines.due(ws, on, within, documents=Issued(ws).documents, problems=problems)
    if problems and as_json:
        raise DocgenError(problems)
    if as_json:
        emit_json([d.as_dict(on) for d in items])
        return
    overdue = sum(d.days_left(on) < 0 for d in items)
    scope = f"{within}天内到期及已逾期的" if within is not None else "未办结的"
    click.echo(f"截至{format_date(on)}，{scope}期限事项 {len(items)} 项" + (f"，其中已逾期 {overdue} 项" if overdue else "")
               + ("。" if items else "。没有需要办理的期限。"))
    for d in items:
        left = d.days_left(on)
        mark = "*" if d.warning else ""
        click.secho(f"{d.due.isoformat()}{mark}  「{_left(left)}」  {d.case}  {_short(d.what)}"
                    + (f"（{d.party}）" if d.party else ""),
                    fg="red" if left < 0 else ("yellow" if left <= 3 else None), bold=left < 0)
        click.echo(f"{'':12}事项：{d.key}　依据：{d.basis}")
    if items:
        click.echo("办结后在该案卷 case.yaml 的 events 中记录，如：- {date: 2021-11-18, event: 收到书面报告, item: 事项}")
    _warnings(items)
    for problem in problems:
        click.secho(f"错误：{problem}（该案卷的期限未能列出）", fg="red", err=True)
    ctx.exit(1 if problems else 0)


@click.command()
@on_option
@json_option
@click.pass_context
def cases(ctx, on, as_json):
    """列出全部案卷：案卷号、题名、办理状态、文书和未办结的期限（新年度在前）。

    案卷有错误时仍列出，并注明问题（docgen check 查看详情）。
    """
    from docgen.deadlines import cases as list_cases
    from docgen.status import Issued

    ws = _workspace(ctx)
    rows = list_cases(ws, on or dt.date.today(), documents=Issued(ws).documents)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("还没有案卷。用 docgen new 类型 案卷号 新建，如 docgen new 约谈通知书 2024-yt-001。")
    for r in rows:
        overdue = [d for d in r["open"] if d["overdue"]]
        click.secho(f"{r['case']}  {r['title'] or '（未填题名）'}  {r['status'] or '—'}", bold=bool(overdue),
                    fg="red" if overdue or r["problems"] else None)
        click.echo(f"    文书：{'、'.join(r['documents']) or '无'}")
        for d in r["open"]:
            click.echo(f"    未办结：{d['due']}（{_left(d['days_left'])}）{d['what']}［{d['item']}］")
        if r["problems"]:
            click.echo(f"    有{len(r['problems'])}处错误：{r['problems'][0]}" + ("……（docgen check 查看全部）" if len(r["problems"]) > 1 else ""))


@click.command()
@click.option("--year", type=int, required=True, help="统计通报的年度（按通报成文日期）。")
@on_option
@json_option
@click.pass_context
def blacklist(ctx, year, on, as_json):
    """列出应列入“黑名单”的单位（规则见 rules.yaml 的 blacklist，样例为十项制度 八、第六条）。

    样例规则：一年中被两次以上通报（批评、暗访、情况通报，表扬不计；按通报 units 字段）且仍未整改的单位。
    整改办结的记录方式：在案卷 events 中记「item: 整改:单位名称」（日期不早于最近一次通报），
    或最近一次通报的隐患清单中该单位各行的整改情况均为 rules.yaml 所列（已整改、已销号等）。
    """
    from docgen import deadlines
    from docgen.rules import load as load_rules
    from docgen.status import Issued

    ws = _workspace(ctx)
    on = on or dt.date.today()
    listed, cleared = deadlines.blacklist(ws, year, on, documents=Issued(ws).documents)
    rule = load_rules(ws).blacklist
    if as_json:
        emit_json([entry.as_dict() for entry in listed])
        return
    click.echo(f"{year}年{rule.times}次以上被点名且仍未整改的单位 {len(listed)} 家（截至{on.isoformat()}，"
               f"依据{rule.basis}）" + ("：" if listed else "。"))
    for entry in listed:
        click.secho(f"{entry.unit}　被通报{len(entry.bulletins)}次，应{rule.consequence}", fg="red", bold=True)
        for b in entry.bulletins:
            click.echo(f"    {b['date']}  {b['case']} {b['doc']}  {b['title']}（{b['kind']}）")
    for entry in cleared:
        click.echo(f"另：{entry.unit} 被通报{len(entry.bulletins)}次，已整改（{entry.rectified}），不列入。")


@click.command()
@click.argument("case_id", required=False)
@on_option
@json_option
@click.pass_context
def status(ctx, case_id, on, as_json):
    """案卷办理情况：文书（草稿或已发文及文号；签发后又被修改的注明）、期限事项、git 修改历史。

    不指定 CASE_ID 时每个案卷一行：文书数、已发文数、未办结和已逾期的期限数。
    期限按签发时的文书内容计算。
    """
    from docgen import status as progress

    ws = _workspace(ctx)
    on = on or dt.date.today()
    if not case_id:
        rows = progress.overview(ws, on)
        if as_json:
            emit_json(rows)
            return
        for r in rows:
            late = f"，已逾期{r['overdue']}" if r["overdue"] else ""
            drift = f"，签发后被修改{r['drifted']}" if r["drifted"] else ""
            click.secho(f"{r['case']}  {r['kind']}  {r['status'] or '—'}  文书{r['documents']}份（已发文{r['issued']}{drift}）"
                        f"  未办结期限{r['open']}项{late}  {r['title']}", fg="red" if r["overdue"] else None)
        return
    info = progress.case_status(ws, case_id, on)
    if as_json:
        emit_json(info)
        return
    click.echo(f"案卷 {info['case']}：{info['title']}（{info['kind']}，{info['status'] or '未填办理状态'}）")
    click.echo(f"文书（{len(info['documents'])}份）：")
    for d in info["documents"]:
        state = f"已发文 {d['number']}" if d["state"] == "issued" else "草稿"
        click.echo(f"  {d['doc']}  {d['type_name']}  {state}  {d['title']}")
        if d["drift"]:
            click.secho(f"      注意：{d['drift']['message']}", fg="yellow")
    click.echo(f"期限事项（截至{on.isoformat()}）：" + ("" if info["deadlines"] else "无"))
    for d in info["deadlines"]:
        if d["open"]:
            state = _left(d["days_left"])
        else:
            state = "已办结" + (f"，逾期{d['closed_late']}天办结" if d["closed_late"] else "")
        click.secho(f"  {d['due']}{'*' if d['calendar_warning'] else ''}  「{state}」  {d['item']}：{_short(d['what'])}",
                    fg="red" if d["overdue"] else None)
        for p in d["progress"] + ([d["closed_by"]] if d["closed_by"] else []):
            click.echo(f"      办理记录：{p}")
    for warning in dict.fromkeys(d["calendar_warning"] for d in info["deadlines"] if d["calendar_warning"]):
        click.secho(f"注意：{warning}（标 * 的日期）。", fg="yellow")
    click.echo("修改历史（git）：" + (f"{info['history_note']}" if info["history_note"] else ""))
    for h in info["history"]:
        click.echo(f"  {h['date'][:16].replace('T', ' ')}  {h['author']}  {h['commit'][:8]}  {h['message']}")
