"""Errors a clerk can act on.

Every user-facing failure is a DocgenError carrying a Simplified Chinese message and, where
known, the file, line and field it concerns. The CLI prints them and exits 1; nothing else
in the package prints.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

# What an operating-system error means for a clerk (others: errno's name).
OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "磁盘配额已满", errno.EACCES: "没有权限",
    errno.EPERM: "不允许的操作（没有权限）", errno.EROFS: "所在磁盘是只读的", errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中的某一级不是目录", errno.EISDIR: "应为文件，却是目录", errno.EEXIST: "已存在",
    errno.ENAMETOOLONG: "文件名过长", errno.ELOOP: "符号链接循环", errno.EIO: "读写出错（磁盘或网络故障）",
    errno.EMFILE: "打开的文件过多",
}


@dataclass
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f" 第{self.line}行" if self.line else ""))
        if self.field:
            where.append(f"字段「{self.field}」")
        return ("，".join(where) + "：" if where else "") + self.message

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class DocgenError(Exception):
    """A failure caused by the input or the environment, explained in Chinese."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def located(message: str, file: Path | str | None = None, line: int | None = None,
            field: str | None = None) -> DocgenError:
    """Shorthand for an error about one place in one file."""
    return DocgenError(Problem(message, str(file) if file else None, line, field))


def os_message(exc: OSError, shown: str | None = None) -> str:
    """An OSError in Chinese: the file (as `shown`, else as the error names it) and what happened."""
    what = OS_ERRORS.get(exc.errno, f"系统错误 {errno.errorcode.get(exc.errno, exc.errno)}")
    where = shown if shown is not None else "，".join(str(f) for f in (exc.filename, exc.filename2) if f)
    return f"{where}：{what}" if where else what
