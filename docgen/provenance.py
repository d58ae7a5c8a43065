"""Git provenance: which commit a casefile was issued from, and whether it had unsaved edits."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class GitState:
    commit: str | None      # HEAD when issued (holds the casefile as rendered, unless dirty)
    case_commit: str | None  # last commit that touched the case folder
    dirty: list[str]        # uncommitted or untracked files under the case folder


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def is_repository(root: Path) -> bool:
    return (_git(root, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"


def state(root: Path, folder: Path) -> GitState | None:
    """Git state of one case folder, or None when the workspace is not a git repository."""
    if not is_repository(root):
        return None
    rel = str(folder.relative_to(root))
    head = (_git(root, "rev-parse", "HEAD") or "").strip() or None
    case_commit = (_git(root, "log", "-1", "--format=%H", "--", rel) or "").strip() or None
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", rel) or ""
    dirty = [line[3:] for line in status.splitlines() if line.strip()]
    return GitState(head, case_commit, dirty)


def show(root: Path, commit: str, path: Path) -> bytes | None:
    """A file's content at a commit (for reproducing an issued document)."""
    rel = path.relative_to(root).as_posix()
    try:
        done = subprocess.run(["git", "-C", str(root), "show", f"{commit}:{rel}"], capture_output=True, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def history(root: Path, folder: Path, limit: int = 50) -> list[dict] | None:
    """Who changed a folder and when, newest first; None outside git."""
    if not is_repository(root):
        return None
    out = _git(root, "log", f"-{limit}", "--format=%H%x1f%an%x1f%aI%x1f%s", "--", str(folder.relative_to(root)))
    rows = []
    for line in (out or "").splitlines():
        commit, author, when, subject = line.split("\x1f", 3)
        rows.append({"commit": commit, "author": author, "date": when, "message": subject})
    return rows
