"""Ids that become folder and file names: case ids, document ids, archive ids (档号), years.

Every id typed by a user or read from a file is checked here, by one pattern, before any
path is made from it: letters, digits, CJK, and - _ · inside; never a path separator, a
dot-dot, a newline or a name longer than a file system allows.
"""

from __future__ import annotations

import re

from docgen.errors import DocgenError

MAX_LENGTH = 64  # characters; 64 CJK characters are 192 bytes, inside every file system's 255
_ID = re.compile(r"[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff_\-·]*")
FIRST_YEAR, LAST_YEAR = 1949, 2999  # casefiles/<year>/ is four digits


def check_id(value, what: str) -> str:
    """`value` when it is a valid id; else a Chinese DocgenError naming `what` (案卷号 …)."""
    if not isinstance(value, str) or not _ID.fullmatch(value) or ".." in value:
        shown = value if isinstance(value, str) and value.isprintable() else repr(value)[1:-1]
        raise DocgenError(f"{what}「{shown}」不合法：只能用字母、数字、汉字和 -、_、·，"
                          "以字母、数字或汉字开头，不能含空格、换行、路径分隔符或「..」")
    if len(value) > MAX_LENGTH:
        raise DocgenError(f"{what}过长（{len(value)}个字符），最多{MAX_LENGTH}个字符")
    return value


def check_year(year: int, what: str = "年度") -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DocgenError(f"{what}「{year}」不合法：应为四位数的公历年份，如 2021")
    return year
