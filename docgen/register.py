"""发文登记簿: every number the office gave out, once, append-only, in git.

`register/<year>.csv`, one line a number: a 文号 and 档号 issued (签发), an item imported (导入,
with the 文号 it came with, if any) or a number withdrawn (作废, a second line for a number
already given, with the reason). UTF-8 with a byte-order mark, so that WPS and Excel open it
as Chinese; the columns are COLUMNS. The SHA-256 of the item's manifest ties each line to the
archive: `docgen archive verify` checks both ways, and git history shows that no line was
ever changed or removed.

The register, not the folders present, is where numbers come from: the next 文号 is the first
that no line holds, so a deleted item's number, a voided one and one that came in by import
are never given again, and a number is never parsed back into its parts.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from docgen import gbt9704 as gb
from docgen import provenance
from docgen.errors import DocgenError, Problem
from docgen.fsio import atomic_write

FOLDER = "register"
COLUMNS = ("状态", "文号", "档号", "题名", "成文日期", "案卷", "文书", "清单SHA-256", "登记时间", "说明")
ISSUED, IMPORTED, VOID = "签发", "导入", "作废"
CATEGORY = "WS"  # 门类: 文书
BOM = "\ufeff"
# A commit whose subject starts so replaced the register on purpose (docgen archive register rebuild).
REBUILT = "重建发文登记簿"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def archive_id(fonds: str, year: int, retention: str, org: str, item_no: int) -> str:
    """档号: 全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号 (ARCHIVE.md)."""
    return f"{fonds}-{CATEGORY}·{year}-{retention}-{org}-{item_no:04d}"


@dataclass
class Row:
    status: str
    number: str
    archive_id: str
    title: str
    date: str          # 成文日期, ISO
    case: str = ""
    doc: str = ""
    manifest: str = ""  # SHA-256 of the item's manifest-sha256.txt
    recorded: str = ""  # 登记时间
    note: str = ""      # 说明: why a number was voided, or how a line was recovered
    file: Path | None = field(default=None, compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)

    def values(self) -> list[str]:
        return [self.status, self.number, self.archive_id, self.title, self.date, self.case, self.doc,
                self.manifest, self.recorded, self.note]

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def where(self) -> str:
        return f"{FOLDER}/{self.file.name} 第{self.line}行" if self.file else FOLDER


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    # One line a number, whatever a title or reason holds.
    csv.writer(out, lineterminator="\n").writerow([" ".join(str(v).split("\n")) for v in values])
    return out.getvalue()


HEADER = BOM + _csv_line(list(COLUMNS))


def _pending(path: Path, head: bytes | None) -> int:
    """Lines at the end of `path` beyond `head` (its content at HEAD, None when git lacks it)."""
    now = path.read_bytes() if path.exists() else b""
    if head is None:
        return max(now.count(b"\n") - 1, 0)  # all but the header
    return now.count(b"\n") - head.count(b"\n") if now.startswith(head) else 0


class Register:
    def __init__(self, root: Path):
        self.root = root
        self.folder = root / FOLDER

    def path(self, year: int) -> Path:
        return self.folder / f"{year}.csv"

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("[0-9][0-9][0-9][0-9].csv"))

    def shown(self, path: Path) -> str:
        return f"{FOLDER}/{path.name}"

    # ------------------------------------------------------------------ reading
    def read(self, path: Path) -> tuple[list[Row], list[Problem]]:
        """The lines of one year's file, and what is wrong with any of them."""
        return self.parse(path, path.read_bytes())

    def parse(self, path: Path, data: bytes) -> tuple[list[Row], list[Problem]]:
        shown = self.shown(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return [], [Problem(f"登记簿不是 UTF-8 编码（第{exc.start}字节起无法读取）", shown)]
        lines = text.removeprefix(BOM).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        else:
            return [], [Problem("登记簿最后一行不完整（缺少换行），可能写入时被中断", shown, len(lines))]
        if not lines or next(csv.reader([lines[0]]), None) != list(COLUMNS):
            return [], [Problem(f"登记簿第一行应为表头：{'，'.join(COLUMNS)}", shown, 1)]
        rows, problems = [], []
        for n, line in enumerate(lines[1:], start=2):
            values = next(csv.reader([line]), [])
            if len(values) != len(COLUMNS) or values[0] not in (ISSUED, IMPORTED, VOID) \
                    or not (values[2] or values[0] == VOID and values[1]):
                problems.append(Problem(f"登记簿这一行不合格式（应有 {len(COLUMNS)} 列，状态为签发、导入或作废，"
                                        f"签发和导入须有档号）：{line[:80]}", shown, n))
                continue
            rows.append(Row(*values, file=path, line=n))
        return rows, problems

    def load(self) -> tuple[list[Row], list[Problem]]:
        rows, problems = [], []
        for path in self.files():
            found, wrong = self.read(path)
            rows += found
            problems += wrong
        return rows, problems

    def rows(self) -> list[Row]:
        """Every line, or DocgenError when any line cannot be read: numbers are never given
        from a register that may be missing one."""
        rows, problems = self.load()
        if problems:
            raise DocgenError(problems + [Problem("发文登记簿有误，暂停编号；请用 git diff register/ 查看并恢复，"
                                                  "或运行 docgen archive verify")])
        return rows

    # ------------------------------------------------------------------ numbering
    @staticmethod
    def next_number(rows: list[Row], prefix: str, year: int) -> str:
        taken = {r.number for r in rows}
        n = 1
        while gb.format_number(prefix, year, n) in taken:
            n += 1
        return gb.format_number(prefix, year, n)

    @staticmethod
    def next_archive_id(rows: list[Row], fonds: str, year: int, retention: str, org: str) -> tuple[str, int]:
        taken = {r.archive_id for r in rows}
        n = 1
        while archive_id(fonds, year, retention, org, n) in taken:
            n += 1
        return archive_id(fonds, year, retention, org, n), n

    @staticmethod
    def current(rows: list[Row]) -> dict[str, Row]:
        """档号 → the line that filed it, for items not voided since."""
        voided = {r.archive_id for r in rows if r.status == VOID}
        return {r.archive_id: r for r in rows if r.status != VOID and r.archive_id not in voided}

    # ------------------------------------------------------------------ writing
    def append(self, row: Row) -> Path:
        """Add one line to its year's file (atomically: the file as it was plus the line)."""
        path = self.path(row.year)
        old = path.read_bytes() if path.exists() else HEADER.encode("utf-8")
        atomic_write(path, old + _csv_line(row.values()).encode("utf-8"))
        row.file, row.line = path, old.count(b"\n") + 1
        return path

    def write_all(self, rows: list[Row]) -> list[Path]:
        """Replace every year's file (rebuild only)."""
        by_year: dict[int, list[Row]] = {}
        for row in rows:
            by_year.setdefault(row.year, []).append(row)
        written = []
        for year, lines in sorted(by_year.items()):
            atomic_write(self.path(year), HEADER + "".join(_csv_line(r.values()) for r in lines))
            written.append(self.path(year))
        return written

    def uncommitted(self, path: Path) -> int:
        """How many lines at the end of the file git has not yet recorded."""
        return _pending(path, provenance.show(self.root, "HEAD", path))

    def commit(self, path: Path, message: str, office: str, clerk: str | None = None) -> None:
        provenance.commit_file(self.root, path, message, office, clerk)

    # ------------------------------------------------------------------ git history
    def committed_files(self) -> set[Path]:
        """The year files git holds at HEAD (one deleted from the folder included)."""
        listed = provenance.run(self.root, "ls-tree", "--name-only", "HEAD", f"{FOLDER}/")
        names = listed.stdout.split() if listed is not None and listed.returncode == 0 else []
        return {self.folder / Path(n).name for n in names if re.fullmatch(r"\d{4}\.csv", Path(n).name)}

    def history_problems(self) -> tuple[list[Problem], list[str]]:
        """(lines changed or removed since git recorded them, notices): the working files
        against HEAD, and every commit against the one before it."""
        if not provenance.is_repository(self.root):
            return [], ["工作区不是 git 仓库，无法核对登记簿的修改历史"]
        problems, notices = [], []
        for path in sorted(set(self.files()) | self.committed_files()):
            shown = self.shown(path)
            head = provenance.show(self.root, "HEAD", path)
            if head is not None and not path.exists():
                problems.append(Problem("登记簿文件已被删除（git 中有此文件，可用 git checkout -- "
                                        f"{shown} 恢复）", shown))
            elif head is not None and not path.read_bytes().startswith(head):
                problems.append(Problem("登记簿中已提交的内容被改动或删除（git diff 可查看）", shown))
            elif _pending(path, head):
                notices.append(f"{shown} 末尾有 {_pending(path, head)} 行登记尚未提交 git，下次签发时一并提交")
            problems += self._commits(path, notices)
        return problems, notices

    def _commits(self, path: Path, notices: list[str]) -> list[Problem]:
        shown, problems, count = self.shown(path), [], 0
        for commit, subject, diff in provenance.file_history(self.root, path) or []:
            rebuilt = subject.startswith(REBUILT)
            hunks = [tuple(int(g) if g is not None else 1 for g in m.groups())
                     for m in map(_HUNK.match, diff) if m]
            appended = all(old_n == 0 and old_at == count for old_at, old_n, _, _ in hunks)
            if rebuilt:
                notices.append(f"{shown} 曾于提交 {commit[:8]} 重建（{subject}）")
            elif not appended:
                problems.append(Problem(f"提交 {commit[:8]}（{subject}）改动或删除了登记簿中已有的行；"
                                        "登记簿只能追加", shown))
            count += sum(new_n for _, _, _, new_n in hunks) - sum(old_n for _, old_n, _, _ in hunks)
        return problems
