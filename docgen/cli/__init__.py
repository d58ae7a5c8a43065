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
import inspect
import json
import os
import re
import sys
import unicodedata
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


# click measures text in characters and breaks lines only at spaces; a Chinese character takes
# two columns and a line may break after any of them (but not before ，。 nor after （「).
_TWIN = "\ufdd0"  # a noncharacter: follows a wide character while click measures, dropped on output
_NO_BREAK_BEFORE = set("，。、；：？！）」』》〉”’…)]}")
_NO_BREAK_AFTER = set("（「『《〈“‘([{")


def _is_wide(c: str) -> bool:
    return bool(c) and unicodedata.east_asian_width(c) in "WF"


def _columns(text: str) -> int:
    return sum(2 if _is_wide(c) else 1 for c in text)


def _measured(text: str) -> str:
    """`text` as long in characters as it is wide on a terminal (for click's alignment)."""
    return "".join(c + _TWIN if _is_wide(c) else c for c in text)


def _lines(text: str, width: int) -> list[str]:
    """One paragraph as lines of at most `width` columns (longer only for a word that long)."""
    tokens = re.findall(r"\s+|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|.", text)
    lines, line, cut = [], "", 0  # cut: the last place the line may break
    for token in tokens:
        if token.isspace() and not line.strip():
            continue
        # a break before a Chinese character, at a space or after Chinese punctuation (、office.yaml);
        # not inside a name like 楷体_GB2312, not before ，, and an opening （ goes down with what follows
        if line.strip() and not token.isspace() and token[0] not in _NO_BREAK_BEFORE and (
                _is_wide(token[0]) or line[-1].isspace() or unicodedata.category(line[-1])[0] == "P"):
            cut = len(line) - (line[-1] in _NO_BREAK_AFTER)
        line += token
        if _columns(line) > width and cut:
            lines.append(line[:cut].rstrip())
            line, cut = line[cut:].lstrip(), 0
    return lines + [line.rstrip()] if line.strip() else lines


def _prewrapped(text: str, width: int) -> str:
    """click's paragraphs of `text`, each broken into lines the Chinese way and marked \\b so
    that click keeps them; a \\b paragraph (examples) is left as written."""
    out = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        rows = paragraph.splitlines()
        if not rows or rows[0].strip() == "\b":
            out.append(paragraph)
            continue
        indent = len(rows[0]) - len(rows[0].lstrip())
        joined = ""
        for row in (r.strip() for r in rows):
            joined += ("" if not joined or _is_wide(joined[-1]) and _is_wide(row[:1]) else " ") + row
        out.append("\n".join(["\b", *(" " * indent + line for line in _lines(joined, width - indent))]))
    return "\n\n".join(out)


class ChineseFormatter(click.HelpFormatter):
    """Help as Chinese text is set: full-width colons after 用法 and the section headings,
    lines measured in terminal columns and broken between characters."""

    def write(self, string: str) -> None:
        super().write(string.replace(_TWIN, ""))

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(_measured(prog), _measured(args), _measured("用法：" if prefix is None else prefix))

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        super().write_text(_prewrapped(text, self.width - self.current_indent))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_measured(term), text) for term, text in rows]
        first = min(max((len(term) for term, _ in rows), default=0), col_max) + col_spacing
        width = max(self.width - first - 2, 10)  # what click's write_dl leaves for the text
        super().write_dl([(term, _prewrapped(text, width)) for term, text in rows], col_max, col_spacing)


class ChineseContext(click.Context):
    formatter_class = ChineseFormatter


def localize(command: click.Command) -> click.Command:
    """Chinese placeholders and headings in a command's help (idempotent)."""
    command.context_class = ChineseContext
    if command.short_help is None and command.help:
        # click shortens at spaces, which Chinese has none of: list the first sentence whole
        first = inspect.cleandoc(command.help).partition("\n\n")[0].replace("\b\n", "")
        command.short_help = re.split(r"(?<=。)", re.sub(r"\n\s*", "", first), maxsplit=1)[0]
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
    --json; never a traceback for bad input, a usage slip or a full disk. Long work shows its
    progress on a terminal's stderr (docgen.progress)."""

    as_json = False  # this run's --json, known from its arguments before click parses them

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        return localize(command) if command else None

    def invoke(self, ctx):
        from docgen.cli.progress import TerminalReporter
        from docgen.progress import reporting

        ctx.meta["json"] = self.as_json  # progress stays off stdout's JSON (docgen.cli.progress)
        with reporting(TerminalReporter(ctx)):
            return super().invoke(ctx)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        with chinese():
            localize(self)
            code = self._run(args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args, prog_name, complete_var, extra) -> int:
        self.as_json = as_json = _wants_json(args)
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


def _terminated(signum, _frame):
    # SIGTERM (and a closed terminal's SIGHUP) would end Python without running `finally`:
    # raising instead lets every clean-up run — the half-built archive item, LibreOffice's
    # process group, its temporary folder — before the process exits 128 + signum.
    raise SystemExit(128 + signum)


def report_check(ctx, problems: list, as_json: bool, passed: str, drifts: list = (), warnings: list = ()) -> None:
    """A check's result: its problems in red on stderr (or JSON), then as notes that do not fail
    the check a proofreader's warnings and documents changed since they were issued; exit 1
    if there are problems."""
    if as_json:
        emit_json({"ok": not problems, **({"error": "\n".join(map(str, problems))} if problems else {}),
                   "errors": [p.as_dict() for p in problems], "warnings": [w.as_dict() for w in warnings],
                   "drift": [d.as_dict() for d in drifts]})
    else:
        for problem in problems:
            click.secho(f"错误：{problem}", fg="red", err=True)
        for note in (*warnings, *drifts):
            click.secho(f"注意：{note}", fg="yellow", err=True)
        if not problems:
            click.echo(passed + (f"另有 {len(warnings)} 处校对提醒。" if warnings else "")
                       + (f"另有 {len(drifts)} 份已签发的文书在签发后被修改（见上）。" if drifts else ""))
    ctx.exit(1 if problems else 0)


def main():
    # Chinese on any terminal: stdout may be a pipe with an ASCII locale in CI.
    # A character that cannot be encoded (a file name's stray byte) is shown escaped, not fatal.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminated)
    cli(prog_name="docgen")
