"""Files on disk: atomic writes, the one cross-process lock, read-only trees, output guards.

A crash or Ctrl-C leaves the old file or the new, never a partial one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from docgen.errors import DocgenError

# mkstemp creates 0600 files; what we write for people to read gets the usual umask mode (0644).
_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
READ_ONLY_FILE, READ_ONLY_DIR = 0o444, 0o555


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a file so that readers see the old content or the new, never a partial one."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), FILE_MODE)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def lock(path: Path, timeout: float, busy: str):
    """Exclusive across processes and threads (flock through the filelock library); a lock
    held by a process that died is free again. `busy` is the Chinese message on timeout."""
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    held = FileLock(path, timeout=timeout)
    try:
        held.acquire()
    except Timeout:
        raise DocgenError(busy) from None
    try:
        yield
    finally:
        held.release()


@contextlib.contextmanager
def uninterrupted():
    """Hold back SIGTERM, SIGHUP and Ctrl-C until the block is done, then let them act as they
    would have: for the few steps that must happen together (publish an item, write its
    register line, commit it). Only the main thread can do this; elsewhere the block runs as is."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    caught: list[int] = []
    previous = {n: signal.signal(getattr(signal, n), lambda signum, _frame: caught.append(signum)) for n in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
        for signum in caught[:1]:
            signal.raise_signal(signum)


def make_read_only(folder: Path) -> None:
    """Files 0444 and folders 0555 under `folder`, itself included: readable by every account,
    writable by none (an archived item)."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(READ_ONLY_FILE)
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        path.chmod(READ_ONLY_DIR)
    folder.chmod(READ_ONLY_DIR)


def remove_tree(path: Path) -> None:
    """Remove a folder even when it was made read-only (a half-filed item)."""
    if not path.is_dir() or path.is_symlink():
        return
    for folder in (path, *path.rglob("*")):
        if folder.is_dir() and not folder.is_symlink():
            with contextlib.suppress(OSError):
                folder.chmod(stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` (symlinks resolved) is `folder` or lies under it."""
    target, base = Path(path).resolve(), Path(folder).resolve()
    return target == base or base in target.parents


def check_output(path: Path, archive: Path, *, force: bool = False, what: str = "输出文件") -> Path:
    """Refuse an output path inside the archive (symlinks resolved) and, unless `force`, one
    that would overwrite an existing file."""
    path = Path(path).expanduser()
    if inside(path, archive):
        raise DocgenError(f"{what} {path} 在档案目录 {archive} 中：档案只能由签发和导入写入，"
                          "请另选输出位置")
    if not force and (path.is_file() or path.is_symlink()):
        raise DocgenError(f"{what} {path} 已存在，不会覆盖；确需覆盖请加 --force")
    return path
