"""A workspace for the web tests: the samples in git, one document issued, one file imported,
and an accounts file with a clerk and an inspector. Built through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from conftest import committed, sample_workspace

REPO = Path(__file__).resolve().parent.parent
CLERK, INSPECTOR, PASSWORD = "wangming", "zhaojun", "mima-2021-ok"
SAMPLE_DAY = "2021-12-01"
IMPORTED = "003_b32fe016907a89d3.txt"
GIT_ENV = {"GIT_AUTHOR_NAME": "样例", "GIT_AUTHOR_EMAIL": "sample@docgen", "GIT_COMMITTER_NAME": "样例",
           "GIT_COMMITTER_EMAIL": "sample@docgen"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def cli(root: Path, *args: str, users: Path | None = None, input: str | None = None):
    from docgen.cli import cli as command

    env = {"DOCGEN_USERS": str(users)} if users else {}
    return CliRunner().invoke(command, ["--root", str(root), *args], input=input, env=env,
                              catch_exceptions=False)


def build(base: Path, *, issue: bool = True) -> dict:
    """The workspace under base/ws and the accounts file base/config/users.json."""
    root = sample_workspace(base / "ws")
    (root / "imports").mkdir()
    shutil.copy(REPO / "imports" / IMPORTED, root / "imports")
    (root / ".gitignore").write_text("/archive/*\n/out/\n/.docgen/\n", encoding="utf-8")
    committed(root, "样例案卷")
    if issue:
        done = cli(root, "issue", "2021-yt-001", "summons", "--json")
        assert done.exit_code == 0, done.output
    done = cli(root, "archive", "import", str(root / "imports" / IMPORTED), "--json")
    assert done.exit_code == 0, done.output
    users = base / "config" / "users.json"
    for name, role in ((CLERK, "clerk"), (INSPECTOR, "inspector")):
        made = cli(root, "user", "add", name, "--role", role, "--password", PASSWORD, users=users)
        assert made.exit_code == 0, made.output
    items = json.loads(cli(root, "archive", "list", "--json").stdout)
    return {"root": root, "users": users, "items": {i["origin"]: i for i in items}}


def cli_json(root: Path, *args: str):
    done = cli(root, *args, "--json")
    return json.loads(done.stdout)


# ---------------------------------------------------------------- a live server and a browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREEN = (1366, 768)


class Server:
    """The app under uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app):
        import socket
        import threading

        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def browser(profile: Path, size=SCREEN):
    """Headless Debian Chromium through chromedriver; offline, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage", "--lang=zh-CN",
                f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(180)
    return driver


def screenshot(driver, path: Path, full: bool = True) -> Path:
    """The page as PNG; full=True grows the window to the page's height first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width = driver.get_window_size()["width"]
    if full:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height + 120, SCREEN[1]), 6000))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, SCREEN[1])
    return path
