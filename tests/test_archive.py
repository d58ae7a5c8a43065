"""The archive and its register (发文登记簿): numbers, fixity both ways, crash safety,
provenance, drift, imports — read back from disk and git, through the real CLI.

One archive is issued once per module (`filed`: three documents and an import, LibreOffice
three times) and shared by the tests that only read it; a test that damages or extends an
archive works on a copy of it (`copy`), which costs a file copy, not a LibreOffice run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, committed, part, sample_workspace
from docgen.importer import docx_text

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                reason="LibreOffice not installed")
SEEDS = sorted((REPO / "imports").glob("*.txt"))
SEED_003 = next(s for s in SEEDS if s.name.startswith("003"))
OFFICE = "石泉县安全生产委员会办公室"
YEAR_FILE = Path("register/2021.csv")
# What the module issues, in order: (case, doc, 文号, 档号)
ISSUED = [("2021-yt-001", "summons", "石安委办〔2021〕1号", "J021-WS·2021-D10-AWB-0001"),
          ("2021-yt-001", "memorandum", "石安委办〔2021〕2号", "J021-WS·2021-D30-AWB-0001"),
          ("2021-sx-015", "notice", "石安委办〔2021〕3号", "J021-WS·2021-D30-AWB-0002")]
IMPORTED_ID = "J021-WS·2021-D30-AWB-0003"
INIT = ["--name", OFFICE, "--prefix", "石安委办", "--fonds", "J021", "--regulation", "石泉县安全生产综合监管十项制度",
        "--contact", "王明", "--phone", "0915-6321234"]


# ---------------------------------------------------------------------- helpers

def cli(root: Path, *args):
    """The real `docgen` command, in process."""
    from docgen.cli import cli as command

    return CliRunner().invoke(command, ["--root", str(root), *map(str, args)], catch_exceptions=False)


def docgen(root: Path, *args, **kwargs) -> subprocess.Popen:
    """`docgen` as a process of its own (its own session, as a clerk's terminal would start it)."""
    return subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(root), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs)


def git(root: Path, *args) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=张丽", "-c", "user.email=zl@example.cn",
                           "-c", "core.quotepath=false", *args],
                          check=True, capture_output=True, text=True).stdout


def register(root: Path) -> list[dict]:
    """The register as a spreadsheet program reads it (csv, BOM dropped)."""
    with open(root / YEAR_FILE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def issued_numbers(root: Path) -> list[str]:
    return [r["文号"] for r in register(root) if r["状态"] == "签发"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def writable(path: Path) -> Path:
    """What someone tampering would do first: the item is read-only."""
    for p in (path.parent, path):
        if p.exists():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return path


def verify(root: Path) -> tuple[int, dict]:
    result = cli(root, "archive", "verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def new_repo(root: Path) -> Path:
    return committed(sample_workspace(root), "案卷初稿")


@pytest.fixture(scope="module", autouse=True)
def no_git_identity(tmp_path_factory):
    """A machine where git knows nobody: the register's commits must name the office."""
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_CONFIG_GLOBAL", str(empty))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield


DIRTY = REPO / "casefiles/2021/2021-sx-015/notice.yaml"


@pytest.fixture(scope="module")
def filed(tmp_path_factory) -> Path:
    """Three documents issued and one file imported, in a git workspace; a clerk's unrelated
    change is staged while the second is issued; the third is issued with an uncommitted edit
    (--allow-dirty)."""
    root = new_repo(tmp_path_factory.mktemp("filed") / "ws")
    for n, (case, doc, _, _) in enumerate(ISSUED):
        options = []
        if n == 1:
            (root / "草稿说明.txt").write_text("未完成的工作", encoding="utf-8")
            git(root, "add", "草稿说明.txt")
        if n == 2:
            dirty = root / DIRTY.relative_to(REPO)
            dirty.write_text(DIRTY.read_text(encoding="utf-8").replace("认真做好", "切实做好"), encoding="utf-8")
            options = ["--allow-dirty"]
        result = cli(root, "issue", case, doc, "--json", *options)
        assert result.exit_code == 0, result.output
    result = cli(root, "archive", "import", SEED_003, "--json")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def copy(filed, tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(filed, root, symlinks=True)
    return root


def item(root: Path, n: int) -> Path:
    return root / "archive" / ISSUED[n][3]


# ---------------------------------------------------------------------- issuing

def test_issued_item_is_complete_and_read_only(filed):
    folder = item(filed, 0)
    assert sorted(p.name for p in folder.iterdir()) == ["document.docx", "document.pdf", "manifest-sha256.txt",
                                                         "metadata.json", "summons.yaml", "text.txt"]
    # the manifest holds the digest of every other file, BagIt style
    manifest = dict(reversed(line.split("  ")) for line in (folder / "manifest-sha256.txt").read_text().splitlines())
    assert manifest == {p.name: digest(p) for p in folder.iterdir() if p.name != "manifest-sha256.txt"}
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    for key in ("title", "number", "issuer", "date", "type", "retention", "security", "pages", "units",
                "persons", "case_id", "casefile", "git", "files", "filed_at"):
        assert key in meta
    assert meta["units"][0] == "城关镇人民政府" and meta["pages"] >= 2
    # the casefile document exactly as issued is kept beside it
    assert (folder / "summons.yaml").read_bytes() == (REPO / "casefiles/2021/2021-yt-001/summons.yaml").read_bytes()
    # read-only for everybody, readable by everybody
    assert stat.S_IMODE(folder.stat().st_mode) == 0o555
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o444}
    # the issued .docx carries the number; the PDF carries it and the 归档章 on page 1
    assert "石安委办〔2021〕1号" in docx_text((folder / "document.docx").read_bytes())
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(folder / "document.pdf"), "-"],
                           capture_output=True, text=True).stdout
    assert "石安委办〔2021〕1号" in page1.replace(" ", "")
    assert next(line for line in page1.splitlines() if "J021" in line).split() == ["J021", "2021", "0001"]
    assert next(line for line in page1.splitlines() if "AWB" in line).split() == ["AWB", "D10", str(meta["pages"])]
    from pypdf import PdfReader

    reader = PdfReader(folder / "document.pdf")
    assert "pdfaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert reader.metadata["/Keywords"].startswith("石安委办〔2021〕1号")


def test_register_records_every_number_once_and_git_has_one_commit_each(filed):
    rows = register(filed)
    assert [(r["状态"], r["案卷"], r["文书"], r["文号"], r["档号"]) for r in rows] == \
        [("签发", case, doc, number, aid) for case, doc, number, aid in ISSUED] + [("导入", "", "", "", IMPORTED_ID)]
    for row in rows:
        folder = filed / "archive" / row["档号"]
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        assert row["清单SHA-256"] == digest(folder / "manifest-sha256.txt")
        assert (row["题名"], row["成文日期"]) == (meta["title"], meta["date"])
    assert (filed / YEAR_FILE).read_bytes().startswith("\ufeff状态,文号,档号".encode())
    # one commit the tool made per number, naming it, by the office (git knows nobody here),
    # holding the register and nothing else
    log = git(filed, "log", "--format=%H%x1f%an%x1f%s").splitlines()[:4]
    for line, (_, _, number, aid) in zip(reversed(log[1:]), ISSUED):
        commit, author, subject = line.split("\x1f")
        assert author == OFFICE and number in subject and aid in subject
        assert git(filed, "show", "--name-only", "--format=", commit).split() == [YEAR_FILE.as_posix()]
    # the clerk's staged file is still staged, in no commit of the tool
    assert git(filed, "diff", "--cached", "--name-only").split() == ["草稿说明.txt"]
    assert not git(filed, "status", "--porcelain", "register")


def test_a_document_is_issued_once(filed):
    before = (filed / YEAR_FILE).read_bytes()
    again = cli(filed, "issue", "2021-yt-001", "summons")
    assert again.exit_code == 1 and "已签发，文号 石安委办〔2021〕1号" in again.stderr
    assert (filed / YEAR_FILE).read_bytes() == before


def test_verify_of_an_intact_archive(filed):
    code, report = verify(filed)
    assert code == 0 and report["problems"] == [] and report["items"] == 4
    assert "全部完好" in cli(filed, "archive", "verify").output


def test_verify_for_an_account_that_may_only_read(filed, monkeypatch):
    from docgen import fsio

    def refuse(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fsio, "lock", refuse)
    code, report = verify(filed)
    assert code == 0 and report["problems"] == [] and any("只读校验" in n for n in report["notices"])


def test_show_and_list(filed):
    shown = cli(filed, "archive", "show", ISSUED[0][3])
    assert "文号：石安委办〔2021〕1号" in shown.output and "SHA-256" in shown.output
    listed = cli(filed, "archive", "list", "--year", "2021", "--type", "summons", "--json")
    assert [m["archive_id"] for m in json.loads(listed.stdout)] == [ISSUED[0][3]]
    assert json.loads(cli(filed, "archive", "list", "--type", "bulletin", "--json").stdout) == []
    assert cli(filed, "archive", "show", "J021-WS·2021-Y-AWB-9999").exit_code == 1


def test_recorded_commit_reproduces_the_same_text(filed, tmp_path):
    meta = json.loads((item(filed, 0) / "metadata.json").read_text(encoding="utf-8"))
    assert meta["git"]["commit"] and meta["git"]["allow_dirty"] is False
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(filed), str(clone)], check=True)
    git(clone, "checkout", "-q", meta["git"]["commit"])
    from docgen.casefile import load_case
    from docgen.render import Renderer
    from docgen.workspace import Workspace

    ws = Workspace(clone)
    again = Renderer(ws).render_bytes(load_case(ws, "2021-yt-001").document("summons"), meta["number"])
    archived = (item(filed, 0) / "text.txt").read_text(encoding="utf-8")
    assert docx_text(again) == archived and "三楼会议室" in archived


def test_catalog_lists_the_year(filed, tmp_path):
    out = tmp_path / "目录.docx"
    result = cli(filed, "archive", "catalog", "--year", "2021", "--out", out)
    assert result.exit_code == 0, result.output
    xml = part(out, "word/document.xml")
    for text in ("归档文件目录", "件号", "责任者", "石安委办〔2021〕1号", "20211029", "20211026",
                 "关于约谈城关镇人民政府的通知", "忠县安全生产委员会、忠县减灾委员会"):
        assert text in xml
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_issued_and_imported_documents_are_found_by_search(copy):
    """Issuing and importing update the index; a deleted index is rebuilt from the archive."""
    def search(*query):
        result = cli(copy, "search", *query, "--json")
        assert result.exit_code == 0, result.output
        return result, [h["archive_id"] for h in json.loads(result.stdout)["hits"]]

    _, found = search("约谈", "城关镇", "--type", "summons")
    assert found == [ISSUED[0][3]]
    result, found = search("十条措施", "忠县")
    assert found == [IMPORTED_ID] and "【十条措施】" in result.stdout
    _, both = search("安全", "--sort", "newest")
    assert set(both) == {aid for *_, aid in ISSUED} | {IMPORTED_ID}
    shutil.rmtree(copy / "archive" / ".index")
    result, again = search("安全", "--sort", "newest")
    assert again == both and "重建" in result.stderr


# ---------------------------------------------------------------------- verify: every kind of damage

def _delete_item(root):
    folder = item(root, 1)
    folder.chmod(0o755)
    shutil.rmtree(folder)


def _delete_file(root):
    writable(item(root, 1) / "document.pdf").unlink()


def _truncate_file(root):
    path = writable(item(root, 1) / "document.pdf")
    path.write_bytes(path.read_bytes()[:1000])


def _flip_a_bit(root):
    path = writable(item(root, 1) / "document.docx")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_metadata(root):
    path = writable(item(root, 1) / "metadata.json")
    path.write_text(path.read_text(encoding="utf-8").replace("约谈纪要", "约谈记录"), encoding="utf-8")


def _delete_file_and_its_manifest_line(root):  # probe M10
    folder = item(root, 1)
    writable(folder / "text.txt").unlink()
    manifest = writable(folder / "manifest-sha256.txt")
    manifest.write_text("".join(line + "\n" for line in manifest.read_text().splitlines()
                                if not line.endswith("  text.txt")))


def _edit_file_and_rehash_its_manifest_line(root):
    folder = item(root, 1)
    text = writable(folder / "text.txt")
    text.write_text(text.read_text(encoding="utf-8") + "补充一句", encoding="utf-8")
    manifest = writable(folder / "manifest-sha256.txt")
    manifest.write_text("".join((f"{digest(text)}  text.txt" if line.endswith("  text.txt") else line) + "\n"
                                for line in manifest.read_text().splitlines()))


def _add_a_file(root):
    folder = item(root, 1)
    folder.chmod(0o755)
    (folder / "note.txt").write_text("后加的", encoding="utf-8")


def _copy_an_item_in(root):
    shutil.copytree(item(root, 1), root / "archive" / "J021-WS·2021-D30-AWB-0009")


def _register_lines(root, keep):
    path = root / YEAR_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(keep(lines)), encoding="utf-8")


def _delete_register_line(root):
    _register_lines(root, lambda lines: lines[:2] + lines[3:])


def _delete_register_line_and_commit(root):
    _delete_register_line(root)
    git(root, "commit", "-qam", "整理登记簿")


def _delete_last_register_line_and_its_item_and_commit(root):
    aid = register(root)[-1]["档号"]
    _register_lines(root, lambda lines: lines[:-1])
    (root / "archive" / aid).chmod(0o755)
    shutil.rmtree(root / "archive" / aid)
    git(root, "commit", "-qam", "整理登记簿")


def _edit_register_line(root):
    _register_lines(root, lambda lines: [line.replace("安全生产约谈纪要", "安全约谈纪要") for line in lines])


def _truncate_register(root):
    path = root / YEAR_FILE
    path.write_bytes(path.read_bytes()[:-30])


def _delete_register(root):
    (root / YEAR_FILE).unlink()


def _metadata_not_utf8(root):  # probe M1: re-saved by an editor in GBK
    path = writable(item(root, 1) / "metadata.json")
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))


def _manifest_not_utf8(root):  # probe M1
    writable(item(root, 1) / "manifest-sha256.txt").write_bytes("损坏".encode("gb18030") * 10)


DAMAGE = {  # action -> (档号 named, text the message holds)
    "delete item": (_delete_item, ISSUED[1][3], "档案缺失"),
    "delete file": (_delete_file, ISSUED[1][3], "文件缺失"),
    "truncate file": (_truncate_file, ISSUED[1][3], "SHA-256 不符"),
    "flip a bit": (_flip_a_bit, ISSUED[1][3], "SHA-256 不符"),
    "edit metadata": (_edit_metadata, ISSUED[1][3], "SHA-256 不符"),
    "delete file and manifest line": (_delete_file_and_its_manifest_line, ISSUED[1][3], "与登记簿"),
    "edit file and rehash manifest": (_edit_file_and_rehash_its_manifest_line, ISSUED[1][3], "与登记簿"),
    "add a file": (_add_a_file, ISSUED[1][3], "清单之外的文件"),
    "copy an item in": (_copy_an_item_in, "J021-WS·2021-D30-AWB-0009", "登记簿中没有此档号"),
    "delete register line": (_delete_register_line, "", "已提交的内容被改动或删除"),
    "delete register line, commit": (_delete_register_line_and_commit, "", "登记簿只能追加"),
    "delete last line and item, commit": (_delete_last_register_line_and_its_item_and_commit, "", "登记簿只能追加"),
    "edit register line": (_edit_register_line, ISSUED[1][3], "元数据与登记簿"),
    "truncate register": (_truncate_register, "", "最后一行不完整"),
    "delete register": (_delete_register, "", "登记簿文件已被删除"),
    "metadata not UTF-8": (_metadata_not_utf8, ISSUED[1][3], "不是 UTF-8"),
    "manifest not UTF-8": (_manifest_not_utf8, ISSUED[1][3], "不是 UTF-8"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_verify_reports_every_kind_of_damage(copy, damage):
    action, named, text = DAMAGE[damage]
    action(copy)
    code, report = verify(copy)
    assert code == 1, report
    assert any((not named or p["item"] == named) and text in p["message"] for p in report["problems"]), report
    shown = cli(copy, "archive", "verify")
    assert shown.exit_code == 1 and text in shown.output and "全部完好" not in shown.output


def test_a_deleted_item_is_named_with_its_number(copy):
    _delete_item(copy)
    text = cli(copy, "archive", "verify").output
    assert f"{ISSUED[1][3]}：档案缺失" in text and ISSUED[1][2] in text and "《城关镇人民政府安全生产约谈纪要》" in text


def test_an_unreadable_item_is_named_and_the_rest_goes_on(copy):
    """Probe M1: list, index rebuild and bundle name the bad item and carry on."""
    path = writable(item(copy, 2) / "metadata.json")
    path.write_text("{不是 JSON", encoding="utf-8")
    listed = cli(copy, "archive", "list")
    assert listed.exit_code == 0 and ISSUED[2][3] in listed.stderr and "不是合法的 JSON" in listed.stderr
    assert ISSUED[1][3] in listed.stdout and "共 3 件" in listed.stdout
    rebuilt = cli(copy, "index", "rebuild")
    assert rebuilt.exit_code == 0 and ISSUED[2][3] in rebuilt.stderr
    bundle = cli(copy, "bundle", "2021-sx-015", "--json")
    assert bundle.exit_code == 0, bundle.output
    assert ISSUED[2][3] in bundle.stderr and "重新生成" in bundle.stderr
    numbers = {i["doc"]: i["number"] for i in json.loads(bundle.stdout)["items"] if i["kind"] == "document"}
    assert numbers == {"notice": ISSUED[2][2]}


# ---------------------------------------------------------------------- no number twice

def test_no_number_is_ever_given_twice(copy):
    """C1: a deleted item's number, a voided one and one imported are all skipped."""
    _delete_item(copy)  # 2号, J021-WS·2021-D30-AWB-0001
    voided = cli(copy, "archive", "void", ISSUED[2][2], "--reason", "发出前发现日期错误，已撤回")
    assert voided.exit_code == 0, voided.output
    assert cli(copy, "archive", "void", ISSUED[2][2], "--reason", "再来").exit_code == 1
    assert "没有文号" in cli(copy, "archive", "void", "石安委办〔2021〕99号", "--reason", "x").stderr
    # a paper document of ours, numbered by hand, comes in with its number
    imported = cli(copy, "archive", "import", SEEDS[0], "--number", "石安委办〔2021〕4号", "--date", "2021-12-01")
    assert imported.exit_code == 0, imported.output
    again = cli(copy, "archive", "import", SEEDS[1], "--number", "石安委办〔2021〕4号", "--date", "2021-12-01",
                "--title", "另一份")
    assert again.exit_code == 1 and "已登记" in again.stderr
    # an unreadable item does not stop issuing
    writable(item(copy, 0) / "metadata.json").write_bytes(b"\xff\xfe")
    from docgen.issuing import preview
    from docgen.workspace import Workspace

    promised = preview(Workspace(copy), "2021-tb-013", "bulletin")  # what a confirmation shows
    result = cli(copy, "issue", "2021-tb-013", "bulletin", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["number"] == "石安委办〔2021〕5号"
    assert out["archive_id"] == "J021-WS·2021-D30-AWB-0005"  # 0001 lost, 0002 voided, 0003/0004 imported
    assert promised == (out["number"], out["archive_id"])
    rows = register(copy)
    assert len({r["文号"] for r in rows if r["状态"] != "作废" and r["文号"]}) == \
        len([r for r in rows if r["状态"] != "作废" and r["文号"]])
    assert [r["说明"] for r in rows if r["状态"] == "作废"] == ["发出前发现日期错误，已撤回"]
    # the voided number shows in list and catalogue
    assert "已作废：发出前发现日期错误，已撤回" in cli(copy, "archive", "list").output
    catalog = copy / "目录.docx"
    cli(copy, "archive", "catalog", "--year", "2021", "--out", catalog)
    assert "作废：发出前发现日期错误，已撤回" in part(catalog, "word/document.xml")
    assert git(copy, "log", "-1", "--format=%s").startswith("发文登记：石安委办〔2021〕5号")


def test_the_commit_names_the_clerk_when_known(copy):
    """The web application passes who is logged in; the command line leaves it to git."""
    from docgen.issuing import void
    from docgen.workspace import Workspace

    void(Workspace(copy), ISSUED[2][2], "发出前撤回", clerk="李文书")
    assert git(copy, "log", "-1", "--format=%an|%s") == f"李文书|作废文号：{ISSUED[2][2]}（档号 {ISSUED[2][3]}）发出前撤回\n"


def test_two_issuers_at_once_get_distinct_consecutive_numbers(copy):
    procs = [docgen(copy, "issue", case, doc) for case, doc in
             [("2021-tb-013", "bulletin"), ("2021-tb-013", "bulletin"), ("2021-zf-014", "notice")]]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 0, 1]
    assert any("已签发" in err for code, err in results if code == 1)
    assert sorted(issued_numbers(copy)) == sorted([n for _, _, n, _ in ISSUED] + ["石安委办〔2021〕4号", "石安委办〔2021〕5号"])
    assert verify(copy)[0] == 0


@pytest.mark.parametrize("delay", [0.3, 1.5, 4.0, 8.0])
def test_kill_9_mid_issue_leaves_no_gap_duplicate_or_half_item(copy, delay):
    proc = docgen(copy, "issue", "2021-tb-013", "bulletin")
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # what is there is complete (verify takes the lock and finishes a filing the kill interrupted)
    code, report = verify(copy)
    assert code == 0, report
    numbers = issued_numbers(copy)
    assert numbers == [f"石安委办〔2021〕{n}号" for n in range(1, len(numbers) + 1)]
    assert len(numbers) - len(ISSUED) in (0, 1)
    assert not list((copy / "archive").glob(".tmp-*")) and not (copy / "archive" / ".filing.json").exists()
    assert not git(copy, "status", "--porcelain", "register")
    # the next number is the next one: none skipped, none given again
    from docgen.archive import Archive
    from docgen.register import Register
    from docgen.workspace import Workspace

    rows = Archive(Workspace(copy)).register.rows()
    assert Register.next_number(rows, "石安委办", 2021) == f"石安委办〔2021〕{len(numbers) + 1}号"
    from docgen import runtime

    runtime.clear_stale()  # LibreOffice ran in a session of its own: the next conversion clears it
    assert not list(runtime.runtime_dir().glob(f"*-{proc.pid}-*"))


# ---------------------------------------------------------------------- crash windows, simulated

class Killed(BaseException):
    """Stands for a kill at one exact moment (click would turn KeyboardInterrupt into an exit)."""


def test_interrupted_between_filing_and_register_is_completed_by_the_next_run(copy, monkeypatch):
    from docgen.register import Register

    original = Register.append

    def crash(self, row):
        raise Killed  # after the item was published, before its line was written

    monkeypatch.setattr(Register, "append", crash)
    with pytest.raises(Killed):
        cli(copy, "archive", "import", SEEDS[0], "--date", "2021-12-01")
    folder = copy / "archive" / "J021-WS·2021-D30-AWB-0004"
    assert folder.is_dir() and (copy / "archive" / ".filing.json").exists()
    assert "J021-WS·2021-D30-AWB-0004" not in (copy / YEAR_FILE).read_text(encoding="utf-8")
    monkeypatch.setattr(Register, "append", original)
    code, report = verify(copy)  # the next run takes the lock and finishes the filing
    assert code == 0, report
    assert any("补记" in n for n in report["notices"])
    row = register(copy)[-1]
    assert (row["档号"], row["清单SHA-256"]) == ("J021-WS·2021-D30-AWB-0004", digest(folder / "manifest-sha256.txt"))
    assert not git(copy, "status", "--porcelain", "register")
    next_one = json.loads(cli(copy, "archive", "import", SEEDS[1], "--date", "2021-12-01", "--title", "第二份",
                              "--json").stdout)
    assert next_one[0]["archive_id"] == "J021-WS·2021-D30-AWB-0005"


def test_interrupted_before_filing_gives_the_number_back(copy, monkeypatch):
    import docgen.archive

    def crash(src, dst):
        raise Killed  # before the rename: nothing was filed

    monkeypatch.setattr(docgen.archive.os, "rename", crash)
    with pytest.raises(Killed):
        cli(copy, "archive", "import", SEEDS[0], "--date", "2021-12-01")
    monkeypatch.undo()
    assert not list((copy / "archive").glob(".tmp-*")) and not (copy / "archive" / ".filing.json").exists()
    assert verify(copy)[0] == 0
    done = json.loads(cli(copy, "archive", "import", SEEDS[0], "--date", "2021-12-01", "--json").stdout)
    assert done[0]["archive_id"] == "J021-WS·2021-D30-AWB-0004"


def test_a_failed_commit_is_reported_and_made_by_the_next_run(copy, monkeypatch):
    from docgen import provenance
    from docgen.errors import DocgenError

    original = provenance.commit_file

    def refuse(*args):
        raise DocgenError("index.lock 被占用")

    monkeypatch.setattr(provenance, "commit_file", refuse)
    result = cli(copy, "archive", "import", SEEDS[0], "--date", "2021-12-01")
    assert result.exit_code == 0 and "提交 git 失败" in result.stderr
    assert git(copy, "status", "--porcelain", "register").strip() == f"M {YEAR_FILE.as_posix()}"
    code, report = verify(copy)  # the line is there, only git lacks it: reported, not a fault
    assert code == 0 and any("提交 git 失败" in n for n in report["notices"]), report
    monkeypatch.setattr(provenance, "commit_file", original)
    code, report = verify(copy)
    assert code == 0 and any("提交 git" in n for n in report["notices"]), report
    assert not git(copy, "status", "--porcelain", "register")
    assert "补记" in git(copy, "log", "-1", "--format=%s")
    assert "J021-WS·2021-D30-AWB-0004" in git(copy, "show", "HEAD")


# ---------------------------------------------------------------------- signals

def test_signals_wait_for_the_steps_that_belong_together():
    from docgen.fsio import uninterrupted

    def terminated(signum, _frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    done = []
    try:
        with pytest.raises(SystemExit) as exited:
            with uninterrupted():
                os.kill(os.getpid(), signal.SIGTERM)
                done += ["published", "registered", "committed"]
            done.append("after")
        assert done == ["published", "registered", "committed"] and exited.value.code == 143
        assert signal.getsignal(signal.SIGTERM) is terminated
    finally:
        signal.signal(signal.SIGTERM, previous)


def _soffice_using(tmp: Path) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(tmp).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def _private_folders(tmp: Path) -> list[Path]:
    """docgen's per-process folders (conversion work, LibreOffice profiles) under TMPDIR;
    the shared, content-named files beside them (font configurations, the 草稿 overlay) stay."""
    return [p for p in tmp.glob("docgen-*/*") if p.is_dir()]


def _wait_for_soffice(proc, tmp: Path) -> None:
    deadline = time.monotonic() + 120
    while not _soffice_using(tmp):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "timeout"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_sigterm_mid_issue_cleans_up_everything(copy, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = docgen(copy, "issue", "2021-tb-013", "bulletin", env={**os.environ, "TMPDIR": str(tmp)})
    _wait_for_soffice(proc, tmp)
    office_pids = _soffice_using(tmp)
    proc.send_signal(signal.SIGTERM)  # to docgen only, as `kill PID` does
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    time.sleep(0.5)
    assert not [pid for pid in office_pids if _alive(pid)]  # no orphan LibreOffice
    assert not _private_folders(tmp)  # no work folder or profile left
    assert not list((copy / "archive").glob(".tmp-*")) and not (copy / "archive" / ".filing.json").exists()
    assert issued_numbers(copy) == [n for _, _, n, _ in ISSUED]
    assert verify(copy)[0] == 0


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_after_kill_9_the_next_conversion_clears_the_orphan(copy, tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = docgen(copy, "issue", "2021-tb-013", "bulletin", env={**os.environ, "TMPDIR": str(tmp)})
    _wait_for_soffice(proc, tmp)
    office_pids = _soffice_using(tmp)
    proc.kill()  # docgen only: LibreOffice runs in a session of its own and outlives it
    proc.wait()
    assert _private_folders(tmp)
    import tempfile

    from docgen import runtime

    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    runtime.clear_stale()  # what every conversion does first
    time.sleep(0.5)
    assert not [pid for pid in office_pids if _alive(pid)]
    assert not _private_folders(tmp)


# ---------------------------------------------------------------------- provenance

def test_issue_outside_git_is_refused_with_the_steps(workspace):
    for args in (["issue", "2021-yt-001", "summons"], ["archive", "import", SEED_003],
                 ["archive", "void", "石安委办〔2021〕1号", "--reason", "x"]):
        result = cli(workspace, *args)
        assert result.exit_code == 1, args
        for step in ("不是 git 仓库", "git init", "git add", "git commit"):
            assert step in result.stderr
    assert not [p for p in (workspace / "archive").iterdir()] and not (workspace / "register").exists()


def test_init_makes_a_git_repository_that_keeps_the_register(tmp_path):
    from docgen.cli import cli as command

    made = CliRunner().invoke(command, ["init", str(tmp_path / "office"), *INIT])
    assert made.exit_code == 0, made.output
    root = tmp_path / "office"
    assert (root / ".git").is_dir()
    ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "archive/J021/document.pdf", "out/a.docx",
                              "archive/.index/x", "register/2021.csv"], capture_output=True, text=True).stdout.split()
    assert ignored == ["archive/J021/document.pdf", "out/a.docx", "archive/.index/x"]
    plain = CliRunner().invoke(command, ["init", "--no-git", str(tmp_path / "plain"), *INIT])
    assert plain.exit_code == 0 and not (tmp_path / "plain" / ".git").exists()


def test_a_workspace_inside_a_larger_repository(tmp_path):
    """The register is committed to whichever repository holds the workspace."""
    from docgen.cli import cli as command

    outer = tmp_path / "单位资料"
    outer.mkdir()
    git(outer, "init", "-q")
    assert CliRunner().invoke(command, ["init", str(outer / "安委办"), *INIT]).exit_code == 0
    root = outer / "安委办"
    assert not (root / ".git").exists() and (root / ".gitignore").is_file()
    result = cli(root, "archive", "import", SEED_003)
    assert result.exit_code == 0, result.output
    assert [line for line in git(outer, "log", "--format=%s", "--name-only").splitlines() if line] == \
        [f"导入登记：（无文号）（档号 J021-WS·2021-D30-AWB-0001）{register(root)[0]['题名']}", "安委办/register/2021.csv"]
    code, report = verify(root)
    assert code == 0 and report["problems"] == [] and report["notices"] == []
    # a folder the larger repository ignores (as the project ignores out/demo) gets its own
    (outer / ".gitignore").write_text("/试用/\n", encoding="utf-8")
    assert CliRunner().invoke(command, ["init", str(outer / "试用" / "演示"), *INIT]).exit_code == 0
    assert (outer / "试用" / "演示" / ".git").is_dir()
    _register_lines(root, lambda lines: [line.replace("十条措施", "十项措施") for line in lines])
    code, report = verify(root)
    assert code == 1 and any("已提交的内容被改动" in p["message"] for p in report["problems"])


def test_importing_a_missing_file_is_a_clear_error(filed, tmp_path):
    """Probe M9: no traceback, nothing filed."""
    for path in ("no-such-file.pdf", tmp_path):
        result = cli(filed, "archive", "import", path)
        assert result.exit_code == 1 and "不存在或不是文件" in result.stderr and str(path) in result.stderr
    assert len(register(filed)) == 4


def test_dirty_casefile_is_refused_unless_allowed_and_recorded(filed, copy):
    path = copy / "casefiles/2021/2021-tb-013/bulletin.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("第四季度", "四季度"), encoding="utf-8")
    refused = cli(copy, "issue", "2021-tb-013", "bulletin")
    assert refused.exit_code == 1 and "未提交的修改" in refused.stderr
    assert "git add" in refused.stderr and "git commit" in refused.stderr and "--allow-dirty" in refused.stderr
    assert len(register(copy)) == 4
    # the fixture issued its third document with an uncommitted edit, allowed
    folder = item(filed, 2)
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["git"]["allow_dirty"] is True and meta["git"]["dirty"] == [DIRTY.relative_to(REPO).as_posix()]
    kept = (folder / "notice.yaml").read_text(encoding="utf-8")  # what was issued, the edit included
    assert "切实做好" in kept and kept == (filed / DIRTY.relative_to(REPO)).read_text(encoding="utf-8")
    assert "切实做好" in (folder / "text.txt").read_text(encoding="utf-8")
    assert json.loads((item(filed, 0) / "metadata.json").read_text(encoding="utf-8"))["git"]["allow_dirty"] is False


@pytest.mark.parametrize("prefix", ["石安委　办", "石安委 办"])
def test_a_space_in_the_number_prefix_is_refused(copy, prefix):
    """C2: it would make every number 〔2021〕1号 again."""
    office = copy / "office.yaml"
    text = office.read_text(encoding="utf-8")
    office.write_text(text.replace("number_prefix: 石安委办", f"number_prefix: {prefix}"), encoding="utf-8")
    line = next(n for n, text in enumerate(office.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("number_prefix"))
    for args in (["check"], ["issue", "2021-tb-013", "bulletin"]):
        result = cli(copy, *args)
        assert result.exit_code == 1
        assert f"office.yaml 第{line}行" in result.stderr and "number_prefix" in result.stderr and "空格" in result.stderr
    assert len(register(copy)) == 4


# ---------------------------------------------------------------------- drift after issue

def test_a_document_edited_after_issue_is_flagged_and_deadlines_keep_the_issued_version(copy):
    memo = copy / "casefiles/2021/2021-yt-001/memorandum.yaml"
    before = json.loads(cli(copy, "status", "2021-yt-001", "--on", "2021-11-10", "--json").stdout)
    due_before = next(d["due"] for d in before["deadlines"] if d["item"] == "memorandum")
    assert due_before == "2021-11-20"  # 2021-11-05 + 15 days (七、第五条（四）)
    memo.write_text(memo.read_text(encoding="utf-8").replace("time: 2021-11-05 09:30", "time: 2021-11-15 09:30")
                    .replace("三楼会议室", "四楼会议室"), encoding="utf-8")
    git(copy, "commit", "-qam", "改约谈时间")
    checked = cli(copy, "check")
    assert checked.exit_code == 0
    assert ISSUED[1][2] in checked.stderr and "time（" in checked.stderr and "place（" in checked.stderr
    drift = json.loads(cli(copy, "check", "--json").stdout)["drift"]
    assert [(d["doc"], d["number"], sorted(f.split("（")[0] for f in d["fields"])) for d in drift] == \
        [("memorandum", ISSUED[1][2], ["place", "time"])]
    status = cli(copy, "status", "2021-yt-001", "--on", "2021-11-10")
    assert "签发" in status.output and ISSUED[1][2] in status.output and "time（" in status.output
    after = json.loads(cli(copy, "status", "2021-yt-001", "--on", "2021-11-10", "--json").stdout)
    assert next(d["due"] for d in after["deadlines"] if d["item"] == "memorandum") == due_before
    due = json.loads(cli(copy, "due", "--on", "2021-11-10", "--json").stdout)
    assert [d["due"] for d in due if d["case"] == "2021-yt-001"] == [due_before]
    overview = {r["case"]: r for r in json.loads(cli(copy, "status", "--json").stdout)}
    assert overview["2021-yt-001"]["drifted"] == 1 and overview["2021-sx-015"]["drifted"] == 0


# ---------------------------------------------------------------------- --out never writes into the archive

def test_no_output_option_writes_into_the_archive(filed, tmp_path):
    """C3: bundle, catalog and render refuse paths inside archive/ (symlinks resolved)."""
    folder = item(filed, 0)
    before = {p.name: digest(p) for p in folder.iterdir()}
    link = tmp_path / "link"
    link.symlink_to(folder)
    attempts = [["bundle", "2021-yt-001", "--out", folder / "document.pdf", "--force"],
                ["bundle", "2021-yt-001", "--out", link / "新.pdf"],
                ["archive", "catalog", "--year", "2021", "--out", folder / "metadata.json", "--force"],
                ["archive", "catalog", "--year", "2021", "--out", link / "metadata.json"],
                ["render", "2021-yt-001", "summons", "--out", folder, "--force"],
                ["render", "2021-yt-001", "summons", "--out", link]]
    for args in attempts:
        result = cli(filed, *args)
        assert result.exit_code == 1 and "档案目录" in result.stderr, args
    assert {p.name: digest(p) for p in folder.iterdir()} == before


def test_output_options_do_not_overwrite_without_force(filed, tmp_path):
    existing = tmp_path / "已有.pdf"
    existing.write_bytes(b"clerk's own file")
    for args in (["bundle", "2021-yt-001", "--out", existing],
                 ["archive", "catalog", "--year", "2021", "--out", existing]):
        result = cli(filed, *args)
        assert result.exit_code == 1 and "已存在" in result.stderr and "--force" in result.stderr
    assert existing.read_bytes() == b"clerk's own file"
    (tmp_path / "drafts").mkdir()
    draft = tmp_path / "drafts" / "2021-yt-001-summons.docx"
    draft.write_bytes(b"mine")
    result = cli(filed, "render", "2021-yt-001", "summons", "--out", tmp_path / "drafts")
    assert result.exit_code == 1 and "已存在" in result.stderr and draft.read_bytes() == b"mine"
    assert cli(filed, "render", "2021-yt-001", "summons", "--out", tmp_path / "drafts", "--force").exit_code == 0
    assert draft.read_bytes().startswith(b"PK") and stat.S_IMODE(draft.stat().st_mode) == 0o644
    assert cli(filed, "archive", "catalog", "--year", "2021", "--out", existing, "--force").exit_code == 0
    assert existing.read_bytes().startswith(b"PK")


# ---------------------------------------------------------------------- the register after a disaster

def test_register_rebuilt_from_git_and_archive_reports_what_is_lost(copy):
    _delete_item(copy)  # 2号's item is gone as well as the register file
    (copy / YEAR_FILE).unlink()
    result = cli(copy, "archive", "register", "rebuild", "--json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["kept"] == 4 and done["from_items"] == 0
    assert any(ISSUED[1][2] in line and "档案中没有此件" in line for line in done["unrecovered"])
    assert [r["档号"] for r in register(copy)] == [aid for *_, aid in ISSUED] + [IMPORTED_ID]
    code, report = verify(copy)
    assert code == 1 and [p["problem"] for p in report["problems"]] == ["missing-item"]


def test_register_rebuilt_from_the_archive_alone_keeps_lost_numbers_unused(copy):
    """The repository was lost too: the archive is all there is."""
    _delete_item(copy)
    shutil.rmtree(copy / ".git")
    (copy / YEAR_FILE).unlink()
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", "恢复的案卷")
    done = json.loads(cli(copy, "archive", "register", "rebuild", "--json").stdout)
    assert done["kept"] == 0 and done["from_items"] == 3
    assert any(ISSUED[1][2] in line and "不再使用" in line for line in done["unrecovered"])
    assert any(ISSUED[1][3] in line for line in done["unrecovered"])
    taken = {(r["文号"], r["档号"]) for r in register(copy)}
    assert (ISSUED[1][2], "") in taken and ("", ISSUED[1][3]) in taken
    assert verify(copy)[0] == 0
    from docgen.archive import Archive
    from docgen.register import Register
    from docgen.workspace import Workspace

    rows = Archive(Workspace(copy)).register.rows()
    assert Register.next_number(rows, "石安委办", 2021) == "石安委办〔2021〕4号"
