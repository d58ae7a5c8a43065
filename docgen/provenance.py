"""Git: which commit a casefile was issued from, whether it had unsaved edits, its history,
and the one commit the tool itself makes (the register, on issuing)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from docgen.errors import DocgenError

# What `docgen init` keeps out of git: the archive is its own append-only store (the register
# in git lists it), drafts are re-made from casefiles, the index from the archive.
GITIGNORE = """\
# docgen：档案（含检索索引）和草稿输出不入 git；发文登记簿 register/ 必须入 git
/archive/
/out/
"""

NOT_A_REPOSITORY = """工作区 {root} 不是 git 仓库。文号登记在 git 中，签发前请先建立仓库并提交案卷：
  cd {root}
  git init
  git add -A
  git commit -m "建立案卷"
之后每次签发，docgen 把登记的文号提交到 git，历史中可查每一个发出的文号。"""


@dataclass
class GitState:
    commit: str | None      # HEAD when issued (holds the casefile as rendered, unless dirty)
    case_commit: str | None  # last commit that touched the case folder
    dirty: list[str]        # uncommitted or untracked files under the case folder


def run(root: Path, *args: str, check: bool = False, text: bool = True) -> subprocess.CompletedProcess | None:
    """git in `root`; None when git is not installed or hangs."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL, **({"encoding": "utf-8", "errors": "replace"} if text else {}))
    except (FileNotFoundError, subprocess.TimeoutExpired):
        if check:
            raise DocgenError("无法运行 git（未安装或无响应），请安装 git 后重试") from None
        return None
    if check and done.returncode != 0:
        raise DocgenError(f"git {' '.join(args[:2])} 失败：{(done.stderr or '').strip()}")
    return done


def _out(root: Path, *args: str) -> str | None:
    done = run(root, *args)
    return done.stdout if done is not None and done.returncode == 0 else None


def is_repository(root: Path) -> bool:
    return (_out(root, "rev-parse", "--show-toplevel") or "").strip() != ""


def require_repository(root: Path) -> None:
    if not is_repository(root):
        raise DocgenError(NOT_A_REPOSITORY.format(root=root))


def init_repository(root: Path) -> list[str]:
    """`git init` and a .gitignore (unless one exists); what was done, for the clerk. A folder
    inside a repository that tracks it uses that repository; one that repository ignores (e.g.
    the project's own out/demo) gets a repository of its own, or its register could never be
    committed."""
    done = []
    held = is_repository(root) and (run(root, "check-ignore", "-q", ".") or subprocess.CompletedProcess([], 1)).returncode != 0
    if not held:
        run(root, "init", "-q", check=True)
        done.append("git init")
    ignore = root / ".gitignore"
    if not ignore.exists():
        from docgen.fsio import atomic_write

        atomic_write(ignore, GITIGNORE)
        done.append(".gitignore")
    return done


def state(root: Path, folder: Path) -> GitState | None:
    """Git state of one case folder, or None when the workspace is not a git repository."""
    if not is_repository(root):
        return None
    rel = str(folder.relative_to(root))
    head = (_out(root, "rev-parse", "--verify", "-q", "HEAD") or "").strip() or None
    case_commit = (_out(root, "log", "-1", "--format=%H", "--", rel) or "").strip() or None
    status = _out(root, "status", "--porcelain", "--untracked-files=all", "--", rel) or ""
    dirty = [line[3:] for line in status.splitlines() if line.strip()]
    return GitState(head, case_commit, dirty)


def show(root: Path, commit: str, path: Path) -> bytes | None:
    """A file's content at a commit, or None when it was not there."""
    # "./": relative to the workspace, which may be a folder inside a larger repository
    done = run(root, "show", f"{commit}:./{path.relative_to(root).as_posix()}", text=False)
    return done.stdout if done is not None and done.returncode == 0 else None


def history(root: Path, folder: Path, limit: int = 50) -> tuple[list[dict], str | None]:
    """Commits touching a folder (newest first) and, when there is none to show, why."""
    if not is_repository(root):
        return [], "工作区不是 git 仓库，没有修改历史（建议 git init 后提交案卷）"
    rel = str(folder.relative_to(root))
    log = run(root, "log", f"-{limit}", "--follow", "--date=iso-strict", "--format=%H%x1f%an%x1f%ad%x1f%s", "--", rel)
    if log is None:
        return [], "未安装 git，无法读取修改历史"
    if log.returncode != 0 and "does not have any commits" not in log.stderr:
        return [], f"读取 git 历史失败：{log.stderr.strip()}"
    rows = [dict(zip(("commit", "author", "date", "message"), line.split("\x1f", 3)))
            for line in log.stdout.splitlines() if line] if log.returncode == 0 else []
    dirty = (_out(root, "status", "--porcelain", "--", rel) or "").strip()
    note = None
    if not rows:
        note = "案卷尚未提交到 git"
    elif dirty:
        note = "案卷有未提交的修改（git status 可查看）"
    return rows, note


def file_history(root: Path, path: Path) -> list[tuple[str, str, list[str]]] | None:
    """Every commit that changed one file, oldest first: (commit, subject, diff lines without
    context), or None outside git."""
    rel = path.relative_to(root).as_posix()
    done = run(root, "log", "--reverse", "-p", "-U0", "--no-renames", "--format=%x1e%H%x1f%s", "--", rel)
    if done is None or done.returncode != 0:
        return None
    out = []
    for block in done.stdout.split("\x1e")[1:]:
        head, _, diff = block.partition("\n")
        commit, _, subject = head.partition("\x1f")
        out.append((commit, subject, diff.splitlines()))
    return out


def identity(root: Path, fallback: str, clerk: str | None = None) -> list[str]:
    """`-c` options for the author of the tool's commit: `clerk` when the caller knows who is
    at work (the web application's login), else the configured identity, else — where git
    knows nobody, as on a fresh machine — the office (`fallback`)."""
    known = _out(root, "config", "--get-regexp", r"^user\.(name|email)$") or ""
    keys = {line.split(" ", 1)[0] for line in known.splitlines() if " " in line.strip()}
    options = []
    if clerk or "user.name" not in keys:
        options += ["-c", f"user.name={clerk or fallback}"]
    if "user.email" not in keys:
        options += ["-c", "user.email=docgen@localhost"]
    return options


def commit_file(root: Path, path: Path, message: str, fallback: str, clerk: str | None = None) -> None:
    """Commit one file and nothing else: the clerk's other staged changes stay staged and out of
    this commit (`git commit --only`). Hooks are skipped: they check casefiles, and a failing one
    must not leave a number given out but unrecorded."""
    rel = path.relative_to(root).as_posix()
    run(root, "add", "--force", "--", rel, check=True)
    staged = run(root, "diff", "--cached", "--quiet", "--", rel)
    if staged is not None and staged.returncode == 0:
        return  # git already holds this content
    run(root, *identity(root, fallback, clerk), "commit", "-q", "--no-verify", "--only", "-m", message, "--", rel, check=True)
