"""The audit log: every write made through the web, who, when, what. Append-only.

One JSON object a line in <workspace>/.docgen/audit.jsonl (kept out of git: it records who
did what, not casefile content). Lines are only ever appended, under a lock, and each carries
the SHA-256 of the line before it, so a line edited or deleted later breaks the chain and
/audit says where.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from pathlib import Path

STATE_DIR = ".docgen"
AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64


def path_for(root: Path) -> Path:
    return Path(root) / STATE_DIR / AUDIT_FILE


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def record(root: Path, user: str, action: str, target: str, detail: str = "", ok: bool = True) -> dict:
    """Append one entry; returns it. `action` is the Chinese name of what was done."""
    path = path_for(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            last = None
            for last in handle:
                pass
            entry = {"time": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "user": user,
                     "action": action, "target": target, "detail": detail, "ok": ok,
                     "prev": _digest(last.rstrip("\n")) if last else GENESIS}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return entry


def read(root: Path) -> tuple[list[dict], list[int]]:
    """(entries oldest first, 1-based numbers of lines whose chain is broken)."""
    path = path_for(root)
    if not path.is_file():
        return [], []
    entries, broken, previous = [], [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"time": "", "user": "", "action": "（无法解析的行）", "target": "", "detail": line, "ok": False}
        expected = _digest(previous) if previous is not None else GENESIS
        if entry.get("prev") != expected:
            broken.append(number)
        entry["line"] = number
        entries.append(entry)
        previous = line
    return entries, broken
