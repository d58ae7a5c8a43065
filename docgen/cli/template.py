"""`docgen template check`: templates after a clerk edited them in Word, WPS or LibreOffice."""

from __future__ import annotations

import click

from docgen.cli import json_option, report_check


@click.group()
def template():
    """模板（templates/ 中的 .docx）：在 Word、WPS 或 LibreOffice 中修改后校验。"""


@template.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@json_option
@click.pass_context
def check(ctx, names, as_json):
    """校验模板中的标签（默认本工作区的全部模板）；有问题时退出码为 1。

    NAME 是文书类型的代号或中文名（如 summons 或 约谈通知书），或一个 .docx 文件（文件名须为类型代号，
    如 ~/桌面/summons.docx）。每个问题都给出所在段落的文字：写错的标签（多余或全角的字符、
    没有配对的 {% if %} / {% endif %}）、声明中没有的字段名、域代码中的标签；再按声明中的例子试生成一份。

    \b
    例：docgen template check
        docgen template check 约谈通知书
    """
    from docgen.templatecheck import check_templates
    from docgen.workspace import Workspace

    ws = Workspace.find(ctx.find_root().obj.get("root"))
    report_check(ctx, check_templates(ws, list(names) or None), as_json, "模板校验通过。")
