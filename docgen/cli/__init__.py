"""The `docgen` command: a thin shell over the library.

Subcommands live in one module per concern and are imported only when invoked, so
`docgen search` does not pay for docx or PDF machinery at start-up.

Everything the command prints is Chinese, click's own texts included (usage, help, errors:
a gettext catalogue in docgen/locale), and every failure ends the same way: a Chinese message
on stderr and exit 1 (bad input) or 2 (usage); under --json also exactly one JSON document
{"ok": false, "error": …, "errors": [{"file", "line", "field", "message"}]} on stdout.
"""

from __future__ import annotations

import contextlib
import errno
import gettext
import importlib
import json
import os
import re
import sys
from pathlib import Path

import click

from docgen.errors import DocgenError, Problem, os_message

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


# click's texts in Chinese (docgen/locale/zh_CN/LC_MESSAGES/docgen.mo), whatever the locale:
# docgen speaks only Chinese.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "docgen"
# Placeholders click would print in English: the usage line's, and option value types'.
OPTIONS_METAVAR, SUBCOMMAND_METAVAR = "[选项]", "命令 [参数]..."
TYPE_METAVARS = [(click.INT, "整数"), (click.FLOAT, "数值"), (click.STRING, "文字"), (click.BOOL, "是/否")]
PATH_KINDS = {(True, False): "文件", (False, True): "目录"}


@contextlib.contextmanager
def chinese():
    """click's gettext texts in Chinese for the duration of one command."""
    saved = os.environ.get("LANGUAGE"), gettext.textdomain()
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = "zh_CN"
    try:
        yield
    finally:
        gettext.textdomain(saved[1])
        if saved[0] is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved[0]


class ChineseFormatter(click.HelpFormatter):
    """Help with full-width colons after 用法 and the section headings, as Chinese text has."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class ChineseContext(click.Context):
    formatter_class = ChineseFormatter


def localize(command: click.Command) -> click.Command:
    """Chinese placeholders and headings in a command's help (idempotent)."""
    command.context_class = ChineseContext
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = OPTIONS_METAVAR
    if isinstance(command, click.Group):
        command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            localize(sub)
    for param in command.params:
        kind = param.type
        if isinstance(kind, click.Path):
            kind.name = metavar = PATH_KINDS.get((kind.file_okay, kind.dir_okay), "路径")
        elif isinstance(kind, click.IntRange):
            metavar = "整数"
        else:
            metavar = next((name for shared, name in TYPE_METAVARS if kind is shared), None)
        if isinstance(param, click.Option) and param.metavar is None and metavar:
            param.metavar = metavar
    return command


def _tidy(message: str) -> str:
    """click quotes names 'so' and ends with a full stop: Chinese quotes them 「so」。"""
    quoted = re.sub(r"'([^'\s]+)'", r"「\1」", message.strip())
    quoted = quoted.replace("」, 「", "」、「").replace(" 「", "「").replace("」 ", "」").replace("。 ", "。")
    return re.sub(r"\.$", "。", quoted)


def _wants_json(args: list[str]) -> bool:
    return "--json" in (args[:args.index("--")] if "--" in args else args)


class DocgenGroup(LazyGroup):
    """Owns how every run ends: Chinese messages, the exit code, one JSON document under
    --json; never a traceback for bad input, a usage slip or a full disk."""

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        return localize(command) if command else None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        with chinese():
            localize(self)
            code = self._run(args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args, prog_name, complete_var, extra) -> int:
        as_json = _wants_json(args)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            return result if isinstance(result, int) else 0  # an int is ctx.exit(n)'s code
        except DocgenError as exc:
            problems, code = exc.problems, exc.exit_code
        except click.exceptions.NoArgsIsHelpError as exc:  # `docgen` alone: the help, not an error
            exc.show()
            return exc.exit_code
        except click.ClickException as exc:
            problems, code = [Problem(_tidy(exc.format_message()))], exc.exit_code
            if not as_json and isinstance(exc, click.UsageError) and exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
                click.echo(gettext.gettext("Try '{command} {option}' for help.").format(
                    command=exc.ctx.command_path, option="--help"), err=True)
        except click.Abort:
            problems, code = [Problem(gettext.gettext("Aborted!"))], 1
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader (| head) went away: stop quietly
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 1
            problems, code = [Problem(os_message(exc))], 1
        if as_json:
            click.echo(json.dumps({"ok": False, "error": "\n".join(str(p) for p in problems),
                                   "errors": [p.as_dict() for p in problems]}, ensure_ascii=False))
        for problem in problems:
            click.secho(f"错误：{problem}", fg="red", err=True)
        return code


@click.group(name="docgen", cls=DocgenGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=str), envvar="DOCGEN_ROOT",
              help="工作区目录（含 office.yaml）；默认取环境变量 DOCGEN_ROOT，否则向上查找。")
@click.version_option(package_name="docgen", message="%(prog)s 版本 %(version)s", help="显示版本号并退出。")
@click.pass_context
def cli(ctx, root):
    """docgen：县安委办公文生成与归档。

    案卷（casefiles/ 下的 YAML）→ 校验 → 按 GB/T 9704-2012 生成 Word 公文 → PDF →
    发文编号归档 → 全文检索；并跟踪制度规定的办理期限。

    \b
    常用：
      docgen check                 校验全部案卷
      docgen render 案卷号 --all   生成该案卷全部公文草稿
      docgen types                 列出文书类型（代号、中文名、字段、依据）
      docgen cases                 列出案卷及未办结期限
      docgen new 约谈通知书 案卷号 新建文书（必填项留空待填）
      docgen issue 案卷号 文书     编发文字号、生成正式件并归档
      docgen search 约谈 城关镇    全文检索档案
      docgen due                   列出未办结的期限
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（UTF-8，标准输出只有 JSON）。")


def emit_json(data) -> None:
    """Machine-readable output: one UTF-8 JSON document on stdout, nothing else."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def main():
    # Chinese on any terminal: stdout may be a pipe with an ASCII locale in CI.
    # A character that cannot be encoded (a file name's stray byte) is shown escaped, not fatal.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    cli(prog_name="docgen")
