"""Casefile loading benchmark: docgen.yamlio (ruamel.yaml events, every scalar kept as typed)
against PyYAML's pure-Python safe_load on the same files, and `docgen check` of the samples.

    .venv/bin/python bench/yamlload.py [--rounds 20]

yamlio trades some speed for text that stays as typed, bounded aliases and Chinese errors; this
prints what that costs, per file and for a whole check.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from docgen import yamlio  # noqa: E402


def per_file_ms(load, texts: list[str], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            load(text)
    return (time.perf_counter() - start) * 1000 / (rounds * len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    files = sorted((REPO / "casefiles").rglob("*.yaml")) + sorted((REPO / "templates").glob("*.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in files]
    size = sum(len(t.encode("utf-8")) for t in texts) / len(texts)
    print(f"{len(files)} YAML files of the samples, {size / 1024:.1f} KB each on average, {rounds} rounds")
    ours = per_file_ms(lambda t: yamlio.loads(t, "x.yaml"), texts, rounds)
    print(f"  docgen.yamlio.loads        {ours:6.2f} ms per file")
    try:
        import yaml
    except ImportError:
        print("  PyYAML not installed: no baseline (pip install PyYAML)")
    else:
        base = per_file_ms(lambda t: yaml.load(t, Loader=yaml.SafeLoader), texts, rounds)  # noqa: S506
        print(f"  PyYAML safe_load (Python)  {base:6.2f} ms per file   (yamlio: {ours / base:.2f}×)")
    from docgen.casefile import check
    from docgen.workspace import Workspace

    start = time.perf_counter()
    problems = check(Workspace(REPO))
    print(f"  docgen check of the samples: {(time.perf_counter() - start) * 1000:.0f} ms ({len(problems)} errors)")


if __name__ == "__main__":
    main()
