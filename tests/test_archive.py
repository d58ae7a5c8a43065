"""The archive: numbers, fixity, crash safety, provenance and imports, read back from disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, part
from docgen import gbt9704 as gb
from docgen.archive import MANIFEST, Archive, docx_text, sha256
from docgen.workspace import Workspace

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                reason="LibreOffice not installed")
SEEDS = sorted((REPO / "imports").glob("*.txt"))


def docgen(root: Path, *args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs)


def git(root: Path, *args):
    subprocess.run(["git", "-C", str(root), "-c", "user.name=办公室", "-c", "user.email=aw@example.org", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(workspace):
    git(workspace, "init", "-q")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "案卷初稿")
    return workspace


def numbers(root: Path) -> list[str]:
    return sorted((i.metadata["number"] for i in Archive(Workspace(root)).items() if i.metadata["origin"] == "issued"),
                  key=lambda n: int(gb.NUMBER_RE.match(n)["seq"]))


def test_issue_files_a_complete_item(run, workspace):
    result = run("issue", "2021-yt-001", "summons", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["number"] == "石安委办〔2021〕1号"
    assert out["archive_id"] == "J021-WS·2021-D10-AWB-0001"  # 约谈通知书 default retention: 10 years
    folder = workspace / "archive" / out["archive_id"]
    assert sorted(p.name for p in folder.iterdir()) == ["document.docx", "document.pdf", MANIFEST,
                                                        "metadata.json", "text.txt"]
    # the manifest holds the digest of every other file, BagIt style
    manifest = dict(reversed(line.split("  ")) for line in (folder / MANIFEST).read_text().splitlines())
    assert manifest == {name: sha256(folder / name) for name in
                        ("document.docx", "document.pdf", "metadata.json", "text.txt")}
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    for key in ("title", "number", "issuer", "date", "type", "retention", "security", "pages", "units",
                "persons", "case_id", "casefile", "git", "files", "filed_at"):
        assert key in meta
    assert meta["units"][0] == "城关镇人民政府" and meta["pages"] >= 2
    # the issued .docx carries the number; the PDF carries it and the 归档章 on page 1
    assert "石安委办〔2021〕1号" in docx_text((folder / "document.docx").read_bytes())
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(folder / "document.pdf"), "-"],
                           capture_output=True, text=True).stdout
    assert "石安委办〔2021〕1号" in page1.replace(" ", "")
    stamp_line = next(line for line in page1.splitlines() if "J021" in line).split()
    assert stamp_line == ["J021", "2021", "0001"]
    assert next(line for line in page1.splitlines() if "AWB" in line).split() == ["AWB", "D10", str(meta["pages"])]
    from pypdf import PdfReader

    reader = PdfReader(folder / "document.pdf")
    assert "pdfaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert reader.metadata["/Keywords"].startswith("石安委办〔2021〕1号")


def test_numbers_follow_on_and_a_document_is_issued_once(run, workspace):
    assert run("issue", "2021-yt-001", "summons").exit_code == 0
    again = run("issue", "2021-yt-001", "summons")
    assert again.exit_code == 1 and "已签发，文号 石安委办〔2021〕1号" in again.stderr
    assert run("issue", "2021-yt-001", "memorandum").exit_code == 0
    assert numbers(workspace) == ["石安委办〔2021〕1号", "石安委办〔2021〕2号"]
    # 件号 counts within year, retention and organisation
    ids = sorted(i.id for i in Archive(Workspace(workspace)).items())
    assert ids == ["J021-WS·2021-D10-AWB-0001", "J021-WS·2021-D30-AWB-0001"]


def test_two_issuers_at_once_get_distinct_consecutive_numbers(workspace):
    procs = [docgen(workspace, "issue", "2021-yt-001", doc) for doc in ("summons", "memorandum")]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert numbers(workspace) == ["石安委办〔2021〕1号", "石安委办〔2021〕2号"]
    assert Archive(Workspace(workspace)).verify() == []


@pytest.mark.parametrize("delay", [0.3, 1.0, 1.8, 2.6])
def test_kill_9_mid_issue_leaves_no_gap_duplicate_or_half_item(workspace, delay):
    proc = docgen(workspace, "issue", "2021-yt-001", "summons")
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: LibreOffice dies with it
    proc.wait()
    arch = Archive(Workspace(workspace))
    filed = arch.items()
    assert len(filed) in (0, 1)
    assert arch.verify() == []  # what is there is complete
    # the next issue takes the next number: 1 if the killed one never filed, else it refuses
    follow = docgen(workspace, "issue", "2021-yt-001", "memorandum")
    _, err = follow.communicate(timeout=300)
    assert follow.returncode == 0, err
    assert numbers(workspace) == [f"石安委办〔2021〕{n}号" for n in range(1, len(filed) + 2)]
    assert not list((workspace / "archive").glob(".tmp-*"))  # leftovers cleared under the lock
    assert arch.verify() == []


def test_verify_names_changed_missing_and_unexpected_files(run, workspace):
    out = json.loads(run("issue", "2021-yt-001", "summons", "--json").stdout)
    folder = workspace / "archive" / out["archive_id"]
    assert run("archive", "verify").exit_code == 0
    pdf = folder / "document.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    pdf.write_bytes(bytes(data))
    (folder / "text.txt").unlink()
    (folder / "note.txt").write_text("后加的", encoding="utf-8")
    result = run("archive", "verify", "--json")
    assert result.exit_code == 1
    report = {(p["file"], p["problem"]) for p in json.loads(result.stdout)["problems"]}
    assert report == {("document.pdf", "changed"), ("text.txt", "missing"), ("note.txt", "unexpected")}
    assert "内容已被改动" in run("archive", "verify").output


def test_dirty_casefile_is_refused_unless_allowed_and_recorded(run, repo):
    path = repo / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("三楼会议室", "四楼会议室"), encoding="utf-8")
    refused = run("issue", "2021-yt-001", "summons")
    assert refused.exit_code == 1 and "未提交的修改" in refused.stderr and "--allow-dirty" in refused.stderr
    assert not Archive(Workspace(repo)).items()
    allowed = run("issue", "2021-yt-001", "summons", "--allow-dirty", "--json")
    meta = Archive(Workspace(repo)).item(json.loads(allowed.stdout)["archive_id"]).metadata
    assert meta["git"]["allow_dirty"] is True and meta["git"]["dirty"]


def test_recorded_commit_reproduces_the_same_text(run, repo, tmp_path):
    out = json.loads(run("issue", "2021-yt-001", "summons", "--json").stdout)
    meta = Archive(Workspace(repo)).item(out["archive_id"]).metadata
    assert meta["git"]["commit"] and meta["git"]["allow_dirty"] is False
    # later edits to the casefile do not change what the recorded commit renders
    path = repo / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("三楼会议室", "四楼会议室"), encoding="utf-8")
    git(repo, "commit", "-qam", "改地点")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    git(clone, "checkout", "-q", meta["git"]["commit"])
    from docgen.casefile import load_case
    from docgen.render import Renderer

    ws = Workspace(clone)
    again = Renderer(ws).render_bytes(load_case(ws, "2021-yt-001").document("summons"), meta["number"])
    archived = (repo / "archive" / out["archive_id"] / "text.txt").read_text(encoding="utf-8")
    assert docx_text(again) == archived and "三楼会议室" in archived


def test_show_and_list(run, workspace):
    out = json.loads(run("issue", "2021-yt-001", "summons", "--json").stdout)
    shown = run("archive", "show", out["archive_id"])
    assert "文号：石安委办〔2021〕1号" in shown.output and "SHA-256" in shown.output
    listed = run("archive", "list", "--year", "2021", "--type", "summons", "--json")
    assert [m["archive_id"] for m in json.loads(listed.stdout)] == [out["archive_id"]]
    assert json.loads(run("archive", "list", "--type", "bulletin", "--json").stdout) == []
    assert run("archive", "show", "J021-WS·2021-Y-AWB-9999").exit_code == 1


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name[:3] for s in SEEDS])
def test_each_seed_imports_with_what_can_be_read(run, workspace, seed):
    expected = {
        "000": dict(title="石泉县安全生产综合监管十项制度", number="", date=None),
        "002": dict(title=None, number="", date=None),
        "003": dict(title="关于贯彻“十条措施”落实常态化安全监管工作的通知", number="", date="2021-10-26"),
        "004": dict(title=None, number="晋发〔2014〕19号", date=None),
    }[seed.name[:3]]
    args = ["archive", "import", seed, "--json"]
    if expected["date"] is None:
        args += ["--date", "2021-06-01"]
    if expected["title"] is None:
        args += ["--title", "导入的文件"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)[0]
    assert item["title"] == (expected["title"] or "导入的文件")
    assert item["number"] == expected["number"]
    assert item["date"] == (expected["date"] or "2021-06-01")
    folder = workspace / "archive" / item["archive_id"]
    assert (folder / "original.txt").read_bytes() == seed.read_bytes()
    assert (folder / "text.txt").read_text(encoding="utf-8").strip()
    again = run(*args)
    assert again.exit_code == 1 and "已导入" in again.stderr
    assert run("archive", "verify").exit_code == 0


def test_import_needs_a_date_it_cannot_read(run):
    result = run("archive", "import", REPO / "imports" / SEEDS[0].name)
    assert result.exit_code == 1 and "--date" in result.stderr


def test_catalog_lists_the_year(run, workspace):
    run("issue", "2021-yt-001", "summons")
    run("archive", "import", REPO / "imports" / [s.name for s in SEEDS if s.name.startswith("003")][0])
    result = run("archive", "catalog", "--year", "2021")
    assert result.exit_code == 0
    catalog = workspace / "out" / "归档文件目录-2021.docx"
    xml = part(catalog, "word/document.xml")
    for text in ("归档文件目录", "件号", "责任者", "石安委办〔2021〕1号", "20211029", "20211026",
                 "关于约谈城关镇人民政府的通知", "忠县安全生产委员会、忠县减灾委员会"):
        assert text in xml


def test_issued_and_imported_documents_are_found_by_search(run, workspace):
    """Issuing and importing update the index; a deleted index is rebuilt from the archive."""
    issued = json.loads(run("issue", "2021-yt-001", "summons", "--json").stdout)
    seed = [s for s in SEEDS if s.name.startswith("003")][0]
    [imported] = json.loads(run("archive", "import", seed, "--json").stdout)

    def search(*query):
        result = run("search", *query, "--json")
        assert result.exit_code == 0, result.output
        return result, [h["archive_id"] for h in json.loads(result.stdout)["hits"]]

    _, found = search("约谈", "城关镇", "--type", "summons")
    assert found == [issued["archive_id"]]
    result, found = search("十条措施", "忠县")
    assert found == [imported["archive_id"]] and "【十条措施】" in result.stdout
    _, both = search("安全", "--sort", "newest")
    assert set(both) == {issued["archive_id"], imported["archive_id"]}
    shutil.rmtree(workspace / "archive" / ".index")
    result, again = search("安全", "--sort", "newest")
    assert again == both and "重建" in result.stderr
