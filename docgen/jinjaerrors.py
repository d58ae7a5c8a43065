"""Jinja's error messages in Chinese, for `docgen template check` and for rendering alike."""

from __future__ import annotations

import difflib
import re

from jinja2 import TemplateError, TemplateSyntaxError

MESSAGES = [
    (r"unexpected char (.+?) at \d+", lambda m: f"有不能识别的字符 {m.group(1)}"),
    (r"unexpected '(.+?)'", lambda m: f"「{m.group(1)}」出现在不该出现的位置"),
    (r"expected token '(.+?)', got '(.+?)'", lambda m: f"在「{m.group(2)}」处读不下去（应为 {m.group(1)}）"),
    (r"unexpected end of template, expected '(.+?)'", lambda m: f"标签没有写完（缺少 {m.group(1)}）"),
    (r"Unexpected end of template\. Jinja was looking for the following tags: (.+?)\.",
     lambda m: f"模板到结尾还缺少 {m.group(1).replace(' or ', ' 或 ')}（有 {{% if %}}、{{% for %}} 等没有关闭）"),
    (r"[Nn]o filter named '(.+?)'", None),
    (r"[Nn]o test named '(.+?)'", lambda m: f"没有名为「{m.group(1)}」的测试"),
    (r"Encountered unknown tag '(end\w+|else|elif)'\. Jinja was looking for the following tags: (.+?)\.",
     lambda m: f"「{m.group(1)}」与前面打开的标签不配对（此处应为 {m.group(2).replace(' or ', ' 或 ')}）"),
    (r"Encountered unknown tag '(.+?)'", lambda m: f"不认得的标签「{m.group(1)}」"),
]


def chinese(exc: TemplateError, env) -> str:
    text = str(exc.message if isinstance(exc, TemplateSyntaxError) else exc)
    for pattern, say in MESSAGES:
        match = re.search(pattern, text)
        if match and say is None:  # a filter: suggest the ones that exist
            near = difflib.get_close_matches(match.group(1), env.filters, 3)
            return f"没有名为「{match.group(1)}」的过滤器" + (f"，是否应为「{'」「'.join(near)}」？" if near else "")
        if match:
            return say(match)
    return f"Jinja 无法读取（{text}）"
