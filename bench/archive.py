"""What the register costs: filing N imported documents through the whole transaction (lock,
recovery check, numbering from the register with its git-history check, read-only item,
register line, git commit) against the same files merely copied, hashed and renamed into a
folder; and `verify` (fixity + register ⇄ archive + git history) against hashing the same files.

    .venv/bin/python bench/archive.py [--n 50]

No LibreOffice and no search index: issuing adds its two conversions (bench/pdf.py) and the
index update (bench/search.py) on top.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from docgen import issuing  # noqa: E402
from docgen.archive import Archive  # noqa: E402
from docgen.workspace import Workspace  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TEXT = "关于开展安全生产大检查的通知\n各乡镇人民政府：请认真落实整改要求。\n石泉县安全生产委员会办公室\n2021年10月26日\n"


def workspace(root: Path) -> Workspace:
    root.mkdir()
    shutil.copy(REPO / "office.yaml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "casefiles").mkdir()
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=bench", "-c", "user.email=b@b", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    return Workspace(root)


def plain_filing(sources: list[Path], folder: Path) -> None:
    """The floor: copy, hash, manifest, rename — what any archive must do."""
    for n, source in enumerate(sources):
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=".tmp-"))
        shutil.copyfile(source, tmp / "original.txt")
        (tmp / "text.txt").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        manifest = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(tmp.iterdir()))
        (tmp / "manifest-sha256.txt").write_text(manifest)
        os.rename(tmp, folder / f"item-{n:04d}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = []
        for i in range(n):
            sources.append(tmp / f"来文{i:04d}.txt")
            sources[-1].write_text(TEXT + f"（第{i}份）\n", encoding="utf-8")
        (tmp / "plain").mkdir()
        started = time.perf_counter()
        plain_filing(sources, tmp / "plain")
        plain = time.perf_counter() - started

        ws = workspace(tmp / "ws")
        issuing._index = lambda ws, item: None  # the search index has its own benchmark
        times = []
        for i, source in enumerate(sources):
            started = time.perf_counter()
            issuing.import_file(ws, source, title=f"来文{i}", date=__import__("datetime").date(2021, 10, 26))
            times.append(time.perf_counter() - started)
        full = sum(times)

        started = time.perf_counter()
        for folder in (tmp / "plain").iterdir():
            for path in folder.iterdir():
                hashlib.sha256(path.read_bytes()).hexdigest()
        hashed = time.perf_counter() - started
        started = time.perf_counter()
        problems, _ = Archive(ws).verify()
        verified = time.perf_counter() - started
        assert not problems, problems

    print(f"filing {n} documents (no LibreOffice):")
    print(f"  copy + hash + rename only (baseline)   {plain / n * 1000:7.1f} ms each")
    print(f"  import_file: register + git commit     {full / n * 1000:7.1f} ms each "
          f"(first {times[0] * 1000:.0f} ms, last {times[-1] * 1000:.0f} ms: history check grows with the register)")
    print(f"verify {n} items:")
    print(f"  hashing the same files (baseline)      {hashed * 1000:7.1f} ms")
    print(f"  docgen archive verify                  {verified * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
