"""The `docgen` command: a thin shell over the library.

Subcommands live in one module per concern and are imported only when invoked, so
`docgen search` does not pay for docx or PDF machinery at start-up.
"""

from __future__ import annotations

import importlib
import json
import sys

import click

from docgen.errors import DocgenError

# command name -> "module:attribute"; each module owns one concern's commands.
COMMANDS = {
    "init": "docgen.cli.casefiles:init",
    "new": "docgen.cli.casefiles:new",
    "check": "docgen.cli.casefiles:check",
    "types": "docgen.cli.casefiles:types",
    "cases": "docgen.cli.deadlines:cases",
    "render": "docgen.cli.casefiles:render",
    "bundle": "docgen.cli.pdf:bundle",
    "due": "docgen.cli.deadlines:due",
    "blacklist": "docgen.cli.deadlines:blacklist",
    "status": "docgen.cli.deadlines:status",
    "issue": "docgen.cli.archive:issue",
    "archive": "docgen.cli.archive:archive",
    "search": "docgen.cli.search:search",
    "index": "docgen.cli.search:index",
    "fonts": "docgen.cli.fonts:fonts",
    "template": "docgen.cli.template:template",
    "serve": "docgen.cli.web:serve",
    "user": "docgen.cli.web:user",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's lazy-loading pattern)."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


class DocgenGroup(LazyGroup):
    """Turns DocgenError into a Chinese message and exit code 1, never a traceback; long work
    shows its progress on a terminal's stderr (docgen.progress)."""

    def invoke(self, ctx):
        from docgen.cli.progress import TerminalReporter
        from docgen.progress import reporting

        try:
            with reporting(TerminalReporter(ctx)):
                return super().invoke(ctx)
        except DocgenError as exc:
            if ctx.meta.get("json"):
                click.echo(json.dumps({"ok": False, "errors": [p.as_dict() for p in exc.problems]},
                                      ensure_ascii=False))
            for problem in exc.problems:
                click.secho(f"错误：{problem}", fg="red", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=DocgenGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=str), envvar="DOCGEN_ROOT",
              help="工作区目录（含 office.yaml）；默认取环境变量 DOCGEN_ROOT，否则向上查找。")
@click.version_option(package_name="docgen")
@click.pass_context
def cli(ctx, root):
    """docgen：县安委办公文生成与归档。

    案卷（casefiles/ 下的 YAML）→ 校验 → 按 GB/T 9704-2012 生成 Word 公文 → PDF →
    发文编号归档 → 全文检索；并跟踪制度规定的办理期限。

    \b
    常用：
      docgen check                 校验全部案卷
      docgen render 案卷号 --all   生成该案卷全部公文草稿
      docgen types                 列出文书类型（id、中文名、字段、依据）
      docgen cases                 列出案卷及未办结期限
      docgen new 约谈通知书 案卷号 新建文书（必填项留空待填）
      docgen issue 案卷号 文书     编发文字号、生成正式件并归档
      docgen search 约谈 城关镇    全文检索档案
      docgen due                   列出未办结的期限
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


def _mark_json(ctx, _param, value):
    # Known before the command runs, so that its errors come out as JSON too.
    ctx.meta["json"] = value
    return value


json_option = click.option("--json", "as_json", is_flag=True, is_eager=True, callback=_mark_json,
                           help="以 JSON 输出（UTF-8，标准输出只有 JSON）。")


def emit_json(data) -> None:
    """Machine-readable output: one UTF-8 JSON document on stdout, nothing else."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _terminated(signum, _frame):
    # SIGTERM (and a closed terminal's SIGHUP) would end Python without running `finally`:
    # raising instead lets every clean-up run — the half-built archive item, LibreOffice's
    # process group, its temporary folder — before the process exits 128 + signum.
    raise SystemExit(128 + signum)


def report_check(ctx, problems: list, as_json: bool, passed: str, drifts: list = ()) -> None:
    """A check's result: its problems in red on stderr (or JSON), documents changed since they
    were issued as notes (they do not fail the check), exit 1 if there are problems."""
    if as_json:
        emit_json({"ok": not problems, "errors": [p.as_dict() for p in problems],
                   "drift": [d.as_dict() for d in drifts]})
    else:
        for problem in problems:
            click.secho(f"错误：{problem}", fg="red", err=True)
        for drift in drifts:
            click.secho(f"注意：{drift}", fg="yellow", err=True)
        if not problems:
            click.echo(passed + (f"另有 {len(drifts)} 份已签发的文书在签发后被修改（见上）。" if drifts else ""))
    ctx.exit(1 if problems else 0)


def main():
    # Chinese on any terminal: stdout may be a pipe with an ASCII locale in CI.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminated)
    cli(prog_name="docgen")
