"""The per-user runtime folder: what a docgen process keeps outside the workspace while it runs.

Every LibreOffice docgen starts works in a private folder named after the docgen process that
owns it, `<kind>-<pid>-<random>`: a one-shot conversion's inputs, outputs and profile
(docgen.pdf), a warm LibreOffice's profile (docgen.office). The owner removes its folders
when it ends, also on Ctrl-C and SIGTERM; a process killed with -9 cannot, and a LibreOffice
runs in a session of its own, so it can outlive its owner. So each new private folder first
clears those whose owner has died: every process still naming one on its command line (a
LibreOffice, a UNO worker) is stopped with its process group, then the folder is removed.
One mechanism for the one-shot and the warm LibreOffice alike.

Files named by their content (font configurations, the 草稿 overlay) are shared by every
process and stay.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

_PRIVATE = re.compile(r"[a-z]+-(\d+)-[^-]+")


def runtime_dir() -> Path:
    """/tmp/docgen-<uid> (under TMPDIR when set), readable by this user only."""
    folder = Path(tempfile.gettempdir()) / f"docgen-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def private_folder(kind: str) -> Path:
    """A new folder of this process's own (`kind`: pdf, office), after clearing the folders of
    processes that died without removing theirs."""
    clear_stale()
    return Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=runtime_dir()))


def clear_stale() -> None:
    """Stop what still runs in the private folders of dead processes, and remove the folders."""
    stale = []
    for path in runtime_dir().iterdir():
        match = _PRIVATE.fullmatch(path.name)
        if match and path.is_dir() and not path.is_symlink() and not alive(int(match[1])):
            stale.append(path)
    if not stale:
        return
    for group in _groups_naming(stale):
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)


def alive(pid: int) -> bool:
    """Whether process `pid` runs (another account's counts as running: not ours to clear)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _groups_naming(folders: list[Path]) -> set[int]:
    """Process groups with a process whose command line names one of the folders, as a path
    or as a file URL (LibreOffice's profile); read from /proc, so none elsewhere."""
    needles = [form.encode() for path in folders for form in (str(path), path.as_uri())]
    found = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes()
            if any(needle in command for needle in needles):
                found.add(os.getpgid(int(cmdline.parent.name)))
        except (OSError, ValueError):
            continue
    found.discard(os.getpgrp())
    return found
