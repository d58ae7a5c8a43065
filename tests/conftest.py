"""Shared fixtures: every test works on a copy of the demo workspace, never on the repo."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="session", autouse=True)
def own_runtime(tmp_path_factory):
    """A runtime folder (docgen.runtime follows TMPDIR) for this test run and the commands it
    starts: a warm LibreOffice another docgen process on the machine registered (a server,
    another checkout's tests) is not borrowed, so tests see the offices they start."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(tmp_path_factory.mktemp("runtime")))
        mp.setattr(tempfile, "tempdir", None)
        yield


def sample_workspace(root: Path) -> Path:
    """A copy of the repository's sample workspace (office, rules, templates, casefiles, an
    empty archive) made at `root`."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "office.yaml", root)
    shutil.copy(REPO / "rules.yaml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "casefiles", root / "casefiles")
    (root / "archive").mkdir()
    return root


@pytest.fixture
def workspace(tmp_path) -> Path:
    return sample_workspace(tmp_path / "ws")


def committed(root: Path, message: str = "建立案卷") -> Path:
    """`root` as a git repository with everything committed, as issuing requires."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", message]):
        subprocess.run(["git", "-C", str(root), "-c", "user.name=张丽", "-c", "user.email=zl@example.cn", *args],
                       check=True, capture_output=True)
    return root


@pytest.fixture
def git_workspace(workspace) -> Path:
    """The workspace copy under git, for the commands that issue."""
    return committed(workspace)


def one_document_workspace(root: Path, case_id: str, case: dict, doc_id: str, document: dict) -> Path:
    """A workspace of the shipped office.yaml, rules.yaml and templates whose only casefile
    (case.yaml from `case`) holds one document (`document`, as its YAML would say)."""
    import yaml

    root.mkdir(parents=True)
    for name in ("office.yaml", "rules.yaml"):
        shutil.copy(REPO / name, root)
    shutil.copytree(REPO / "templates", root / "templates")
    folder = root / "casefiles" / case_id[:4] / case_id
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(yaml.safe_dump(case, allow_unicode=True), "utf-8")
    (folder / f"{doc_id}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return root


@pytest.fixture
def run(workspace):
    """Run the real `docgen` CLI against the workspace copy; returns click's Result."""
    from docgen.cli import cli

    def invoke(*args):
        return CliRunner().invoke(cli, ["--root", str(workspace), *map(str, args)], catch_exceptions=False)

    return invoke


def part(docx: Path, name: str) -> str:
    with zipfile.ZipFile(docx) as zf:
        return zf.read(name).decode("utf-8")


def paragraphs(docx: Path) -> list[str]:
    """Visible text of each body paragraph, as a reader sees it (line breaks as \\n)."""
    import docx as python_docx

    return [p.text for p in python_docx.Document(str(docx)).paragraphs]


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def strip_ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def sample_pdfs(tmp_path_factory) -> dict:
    """Every sample document of both sample workspaces (石泉 at the root, 忠县 under
    samples/zhongxian) rendered and typeset as `docgen render --pdf` does:
    {(number prefix, case id, doc id): PDF path}. The workspaces themselves are not written."""
    import os

    from docgen.casefile import all_case_ids
    from docgen.render import Renderer, render_case, typeset
    from docgen.workspace import Workspace

    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) not installed")
    found = {}
    for root in (REPO, REPO / "samples" / "zhongxian"):
        ws = Workspace(root)
        out = tmp_path_factory.mktemp("samples")
        renderer = Renderer(ws)
        rendered = [r for case_id in all_case_ids(ws) for r in render_case(ws, case_id, None, out, renderer)]
        for r, pdf in zip(rendered, typeset(renderer, rendered)):
            found[(ws.office["number_prefix"], r.document.case.id, r.document.id)] = pdf
    return found
