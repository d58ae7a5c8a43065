"""The fonts command: which face each font name of the templates is printed in."""

from __future__ import annotations

import unicodedata

import click

from docgen.cli import emit_json, json_option


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


@click.command()
@json_option
@click.pass_context
def fonts(ctx, as_json):
    """列出模板中用到的字体，以及生成 PDF 时每个字体实际用的字形。

    公文模板写的是机关常用的字体名（方正小标宋简体、仿宋_GB2312、黑体、楷体_GB2312 等）。
    本单位有授权的字体文件（.ttf、.otf、.ttc）放进工作区的 fonts/ 文件夹，生成 PDF 时优先使用；
    没有的，用免费字体替代（仿宋→FandolFang，楷体→FandolKai 等），本命令标明哪些是替代字体。

    \b
    例：docgen fonts
        docgen fonts --json
    """
    from docgen.errors import DocgenError
    from docgen.fonts import resolve, template_font_names
    from docgen.workspace import Workspace

    ws = Workspace.find(ctx.obj.get("root"))
    templates = sorted(ws.templates.glob("*.docx"))
    if not templates:
        raise DocgenError(f"{ws.templates} 中没有 .docx 模板")
    results = resolve(template_font_names(templates), ws.fonts)
    if as_json:
        emit_json({"templates": [t.name for t in templates], "fonts_dir": str(ws.fonts),
                   "fonts": [r.as_dict() for r in results]})
        return
    click.echo(f"模板（{ws.templates}，{len(templates)} 个）中的字体，生成 PDF 时实际使用：")
    name_w = max(_width(r.name) for r in results) + 2
    face_w = max(_width(f"{r.family} {r.style}") for r in results) + 2
    for r in results:
        if r.own:
            how = f"本单位字体（fonts/{r.file.name}）"
        elif r.substitute:
            how = "替代字体"
        else:
            how = "原字体（系统已安装）"
        role = f"  {r.role}" if r.role else ""
        click.echo(f"  {_pad(r.name, name_w)}→ {_pad(f'{r.family} {r.style}', face_w)}{how}{role}")
    if any(r.substitute and not r.own for r in results):
        click.echo(f"有授权的字体文件放入 {ws.fonts}/ 后，生成 PDF 时优先于替代字体。")
