"""`pip install .` is a real install: a wheel built from the committed files, installed into a
fresh virtual environment, runs `docgen init` and `render` with nothing from the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, paragraphs


def sources(target: Path) -> None:
    """The files a fresh clone has (git's list), or the tree less what a build leaves."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True) if shutil.which("git") else None
    if listed is None or listed.returncode != 0:
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", ".venv", "out", "build", "*.egg-info",
                                                                    "__pycache__", "archive", ".index"))
        return
    for name in filter(None, listed.stdout.decode("utf-8").split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding only the wheel and its dependencies."""
    base = tmp_path_factory.mktemp("package")
    src, dist, env = base / "src", base / "dist", base / "venv"
    sources(src)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)], check=True)
    venv.create(env, with_pip=True)
    [wheel] = dist.glob("docgen-*.whl")
    subprocess.run([str(env / "bin/python"), "-m", "pip", "install", "-q", str(wheel)], check=True)
    return env / "bin"


def test_installed_wheel_inits_and_renders(installed, tmp_path):
    bin_dir = installed
    wheel_files = zipfile.ZipFile(next(installed.parent.parent.glob("dist/docgen-*.whl"))).namelist()
    packages = {str(p.parent.relative_to(REPO)).replace(os.sep, "/") for p in REPO.glob("*/**/__init__.py")
                if p.parts[len(REPO.parts)] in ("docgen", "search")}
    assert all(f"{p}/__init__.py" in wheel_files for p in packages)
    shipped = ["rules.yaml", *(f"templates/{p.name}" for p in (REPO / "templates").iterdir()
                               if p.suffix in (".docx", ".yaml"))]
    assert all(f"docgen/sample/{name}" in wheel_files for name in shipped)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DOCGEN_ROOT")}

    def docgen(*args, cwd=tmp_path):
        result = subprocess.run([str(bin_dir / "docgen"), *map(str, args)], cwd=cwd, env=env,
                                capture_output=True, text=True, encoding="utf-8")
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    where = subprocess.run([str(bin_dir / "python"), "-c", "import docgen; print(docgen.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert str(bin_dir.parent) in where and str(REPO) not in where  # the installed copy, not the source
    docgen("init", "ws", "--name", "汉阴县安全生产委员会办公室", "--prefix", "汉安委办", "--fonds", "J022",
           "--regulation", "汉阴县安全生产综合监管十项制度", "--contact", "张敏", "--phone", "0915-5212345")
    ws = tmp_path / "ws"
    case = ws / "casefiles/2021/2021-yt-001"
    case.mkdir(parents=True)
    for name in ("case.yaml", "summons.yaml", "memorandum.yaml"):
        text = (REPO / "casefiles/2021/2021-yt-001" / name).read_text(encoding="utf-8")
        (case / name).write_text(text.replace("石泉", "汉阴"), encoding="utf-8")
    assert "校验通过" in docgen("check", cwd=ws)
    rows = json.loads(docgen("render", "2021-yt-001", "--all", "--json", cwd=ws))
    assert [r["doc"] for r in rows] == ["memorandum", "summons"]
    summons = paragraphs(Path(rows[1]["docx"]))
    assert summons[0] == "汉阴县安全生产委员会办公室文件"
    assert any("《汉阴县安全生产综合监管十项制度》" in p for p in summons)
    assert "约谈后15日内（2021年11月20日前）" in "".join(paragraphs(Path(rows[0]["docx"])))
    assert "2021-yt-001" in docgen("cases", "--on", "2021-11-10", cwd=ws)
    # click's own texts come from the catalogue shipped in the wheel, whatever the locale
    usage = subprocess.run([str(bin_dir / "docgen"), "render"], cwd=ws, env={**env, "LANG": "C", "LC_ALL": "C"},
                           capture_output=True, text=True, encoding="utf-8")
    assert usage.returncode == 2 and usage.stderr.splitlines() == [
        "用法：docgen render [选项] CASE_ID [DOC]...", "运行「docgen render --help」可查看帮助。", "错误：缺少参数「CASE_ID」。"]


def test_installed_wheel_carries_the_web_pages(installed, tmp_path):
    """`docgen serve` from the wheel: its page templates and stylesheet are installed and load."""
    wheel_files = zipfile.ZipFile(next(installed.parent.parent.glob("dist/docgen-*.whl"))).namelist()
    web = REPO / "docgen" / "web"
    for path in [*web.glob("templates/*.html"), *web.glob("static/*")]:
        assert path.relative_to(REPO).as_posix() in wheel_files
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DOCGEN_ROOT")}
    env["DOCGEN_USERS"] = str(tmp_path / "users.json")
    shutil.copy(REPO / "office.yaml", tmp_path)
    script = ("from pathlib import Path; from docgen.web.app import Config, create_app; "
              "app = create_app(Config(root=Path('.'))); "
              "print([app.state.templates.get_template(n).name for n in ('overview.html', 'document_form.html')])")
    done = subprocess.run([str(installed / "python"), "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert "overview.html" in done.stdout
