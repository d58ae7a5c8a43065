"""Another county adopts docgen: its office and rules as data, a new type without code,
skeletons that cannot pass half-filled, finding one's way (types, cases), the pre-commit hook."""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import REPO, paragraphs

HANYIN = dict(name="汉阴县安全生产委员会办公室", prefix="汉安委办", fonds="J022",
              regulation="汉阴县安全生产综合监管十项制度", contact="张敏", phone="0915-5212345")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                   reason="LibreOffice (soffice) not installed")


def cli(*args, input=None):
    from docgen.cli import cli as command

    return CliRunner().invoke(command, [str(a) for a in args], input=input, catch_exceptions=False)


def init_hanyin(root: Path):
    options = [x for key, value in HANYIN.items() for x in (f"--{key}", value)]
    result = cli("init", root, *options)
    assert result.exit_code == 0, result.output
    return result


def docx_text(path: Path) -> str:
    """Every text node of every XML part (body, headers, footers, properties)."""
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".xml"))
    return "".join(re.findall(r">([^<]*)<", xml))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- another county

@needs_soffice
def test_another_county_prints_nothing_of_shiquan(tmp_path):
    from docgen.casefile import all_case_ids
    from docgen.render import Renderer, render_case, typeset
    from docgen.workspace import Workspace

    root = tmp_path / "汉阴"
    init_hanyin(root)
    for src in (REPO / "casefiles").rglob("*"):
        target = root / "casefiles" / src.relative_to(REPO / "casefiles")
        if src.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_text(src.read_text(encoding="utf-8").replace("石泉", "汉阴"), encoding="utf-8")
    assert cli("--root", root, "check").exit_code == 0

    ws = Workspace(root)
    renderer = Renderer(ws)
    rendered = [r for case_id in all_case_ids(ws) for r in render_case(ws, case_id, None, root / "out" / case_id, renderer)]
    assert len(rendered) == len(list((REPO / "casefiles").rglob("*.yaml"))) - len(all_case_ids(ws))
    for r in rendered:
        text = docx_text(r.docx)
        assert "石泉" not in text, r.docx.name
        assert "汉阴县安全生产委员会办公室" in text and "汉安委办" in text
    summons = paragraphs(root / "out/2021-yt-001/2021-yt-001-summons.docx")
    assert any(p.startswith("根据《汉阴县安全生产综合监管十项制度》七、安全生产约谈制度第二条（五）") for p in summons)

    pdfs = typeset(renderer, rendered)
    for pdf in pdfs:
        reader = PdfReader(pdf)
        printed = "".join(page.extract_text() for page in reader.pages)
        assert "汉阴" in printed and "石泉" not in printed, pdf.name
        assert "石泉" not in json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()}, ensure_ascii=False)


def test_init_asks_in_chinese_at_a_terminal(tmp_path, monkeypatch):
    from docgen.cli import casefiles

    monkeypatch.setattr(casefiles, "_interactive", lambda: True)
    answers = "\n".join([HANYIN["name"], "", HANYIN["prefix"], HANYIN["fonds"], "《" + HANYIN["regulation"] + "》",
                         HANYIN["contact"], HANYIN["phone"]]) + "\n"
    result = cli("init", tmp_path / "ws", input=answers)
    assert result.exit_code == 0, result.output
    assert "发文机关全称" in result.output and "全宗号" in result.output and "本办制度全称" in result.output
    office = yaml.safe_load((tmp_path / "ws/office.yaml").read_text(encoding="utf-8"))
    assert office["name"] == office["mark_name"] == office["printer"] == HANYIN["name"]
    assert (office["number_prefix"], office["fonds"]) == (HANYIN["prefix"], HANYIN["fonds"])
    assert office["regulation"] == HANYIN["regulation"]  # book-title marks are the template's
    assert (office["contact"], office["phone"]) == (HANYIN["contact"], HANYIN["phone"])
    assert (tmp_path / "ws/rules.yaml").read_bytes() == (REPO / "rules.yaml").read_bytes()
    assert sorted(p.name for p in (tmp_path / "ws/templates").iterdir()) == sorted(
        p.name for p in (REPO / "templates").iterdir() if p.suffix in (".docx", ".yaml"))


def test_init_without_a_terminal_names_the_missing_options(tmp_path):
    result = cli("init", tmp_path / "ws", "--name", HANYIN["name"])
    assert result.exit_code == 2
    assert "--prefix" in result.output and "--fonds" in result.output and "--regulation" in result.output
    assert "--name" not in result.output.split("请用选项给出")[1]
    assert not (tmp_path / "ws").exists()


def test_init_keeps_an_existing_office(tmp_path):
    init_hanyin(tmp_path)
    before = (tmp_path / "office.yaml").read_bytes()
    result = cli("init", tmp_path, "--name", "别的名称")
    assert result.exit_code == 0 and "已存在" in result.output
    assert (tmp_path / "office.yaml").read_bytes() == before


# ---------------------------------------------------------------- rules as data

SUMMONS = (REPO / "casefiles/2021/2021-yt-001/summons.yaml").read_text(encoding="utf-8")
MEMO = (REPO / "casefiles/2021/2021-yt-001/memorandum.yaml").read_text(encoding="utf-8")
CASE = "title: 测试案卷\nkind: 约谈\nopened: 2021-10-28\n"


def add_case(workspace: Path, case_id: str, case_yaml: str = CASE, **docs: str) -> Path:
    folder = workspace / "casefiles" / case_id[:4] / case_id
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(case_yaml, encoding="utf-8")
    for name, text in docs.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def due(run, on: str) -> dict:
    result = run("due", "--json", "--on", on)
    assert result.exit_code == 0, result.output
    return {(i["case"], i["item"]): i for i in json.loads(result.stdout)}


def test_an_office_changes_a_period_in_rules_yaml_not_in_code(workspace, run):
    add_case(workspace, "2021-t-1", summons=SUMMONS)
    assert due(run, "2021-11-01")[("2021-t-1", "summons")]["due"] == "2021-11-20"  # 11-05 + 15 days
    edit(workspace / "rules.yaml", "    after: 15日\n    party: \"{unit}\"", "    after: 15个工作日\n    party: \"{unit}\"")
    item = due(run, "2021-11-01")[("2021-t-1", "summons")]
    # Fri 11-05, then three working weeks of November 2021 (no holiday in them): Fri 11-26
    assert item["due"] == "2021-11-26" and item["period"] == "15个工作日"
    # the memorandum prints the period and the date the office's rule gives
    result = run("render", "2021-yt-001", "memorandum", "--json")
    text = "".join(paragraphs(json.loads(result.stdout)[0]["docx"]))
    assert "约谈后15个工作日内（2021年11月26日前）" in text


def test_a_new_type_with_its_own_deadline_needs_no_code(workspace, run):
    """Seed 002 四（二）7: the patrolled county sends its rectification plan within 20 working
    days of the provincial group's feedback. A 巡查反馈意见 type is a template, a declaration
    and a rules entry."""
    shutil.copy(workspace / "templates/notice.docx", workspace / "templates/patrol_feedback.docx")
    (workspace / "templates/patrol_feedback.yaml").write_text(
        "name: 巡查反馈意见\nform: file\nmark: 文件\nretention: D30\nbasis: 省巡查办法 四（二）5、7\n"
        "fields:\n  recipients: {label: 主送机关, required: true}\n"
        "  body: {label: 正文, type: body, required: true}\n"
        "  fed_back: {label: 集中反馈日期, type: date, required: true}\n", encoding="utf-8")
    data = (workspace / "rules.yaml").read_text(encoding="utf-8").replace("deadlines:\n", (
        "deadlines:\n  - item: 巡查整改方案\n    what: 巡查整改方案报省安委会（{recipients}）\n"
        "    start: {type: 巡查反馈意见, field: fed_back}\n    after: 20个工作日\n"
        "    party: \"{recipients}\"\n    basis: 省巡查办法 四（二）7\n"), 1)
    (workspace / "rules.yaml").write_text(data, encoding="utf-8")

    result = run("new", "巡查反馈意见", "2021-xf-020")
    assert result.exit_code == 0, result.output
    doc = workspace / "casefiles/2021/2021-xf-020/patrol_feedback.yaml"
    assert run("check", "2021-xf-020").exit_code == 1  # required fields are still empty
    text = doc.read_text(encoding="utf-8")
    text = text.replace("\ntitle:", "\ntitle: 关于反馈省安全生产巡查情况的通知").replace("\ndate:", "\ndate: 2021-10-29")
    text = text.replace("\nrecipients:", "\nrecipients: 汉阴县人民政府").replace("\nbody:", "\nbody: [巡查发现的主要问题如下。]")
    doc.write_text(text.replace("\nfed_back:", "\nfed_back: 2021-10-29"), encoding="utf-8")
    edit(workspace / "casefiles/2021/2021-xf-020/case.yaml", "\ntitle:", "\ntitle: 省巡查反馈")
    edit(workspace / "casefiles/2021/2021-xf-020/case.yaml", "\nkind:", "\nkind: 巡查")
    edit(workspace / "casefiles/2021/2021-xf-020/case.yaml", "\nopened:", "\nopened: 2021-10-29")
    assert run("check", "2021-xf-020").exit_code == 0, run("check", "2021-xf-020").output

    item = due(run, "2021-11-01")[("2021-xf-020", "patrol_feedback")]
    assert item["due"] == "2021-11-26"  # Fri 10-29 + 20 working days: four weeks of November
    assert item["what"] == "巡查整改方案报省安委会（汉阴县人民政府）" and item["party"] == "汉阴县人民政府"
    assert item["basis"] == "省巡查办法 四（二）7"
    types = {t["id"]: t for t in json.loads(run("types", "--json").stdout)}
    assert types["patrol_feedback"]["deadlines"][0]["item"] == "巡查整改方案"
    rendered = json.loads(run("render", "2021-xf-020", "--all", "--json").stdout)
    assert "巡查发现的主要问题如下。" in paragraphs(rendered[0]["docx"])
    # an events row naming the rule's item closes it
    with (workspace / "casefiles/2021/2021-xf-020/case.yaml").open("a", encoding="utf-8") as case:
        case.write("events:\n  - {date: 2021-11-20, event: 报送整改方案, item: 巡查整改方案}\n")
    assert ("2021-xf-020", "patrol_feedback") not in due(run, "2021-11-21")


def line_of(path: Path, needle: str) -> int:
    """The last line holding needle (a repeated item is reported where it repeats)."""
    return [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line][-1]


@pytest.mark.parametrize("old,new,field,words", [
    ("    after: 20个工作日", "    after: 二十个工作日", "after", "15个工作日"),
    ("start: {type: feedback, field: deadline}", "start: {type: feedbak, field: deadline}", "start.type", "feedbak"),
    ("start: {type: feedback, field: deadline}", "start: {type: feedback, field: report_to}", "start.field",
     "不是日期字段"),
    ('party: "{unit}"\n    closed_by', 'party: "{unti}"\n    closed_by', "party", "{unti}"),
    ("    basis: 十项制度 五、第四条\n", "", "basis", "缺少此项"),
    ("  - item: 督查整改\n", "  - item: 约谈落实报告\n", "item", "重复"),
])
def test_rules_yaml_errors_name_line_and_field(workspace, run, old, new, field, words):
    rules = workspace / "rules.yaml"
    edit(rules, old, new)
    result = run("check", "--json")
    assert result.exit_code == 1
    errors = [e for e in json.loads(result.stdout)["errors"] if e["file"] == "rules.yaml"]
    assert len(errors) == 1, errors
    error = errors[0]
    assert error["field"].startswith("deadlines[") and error["field"].endswith(field)
    assert words in error["message"]
    if new.strip():
        assert error["line"] == line_of(rules, new.strip().splitlines()[0])
    assert run("due").exit_code == 1 and "rules.yaml" in run("due").stderr


def test_a_workspace_without_rules_is_told_where_they_come_from(workspace, run):
    (workspace / "rules.yaml").unlink()
    result = run("due")
    assert result.exit_code == 1 and "缺少期限规则文件 rules.yaml" in result.stderr and "docgen init" in result.stderr


def test_blacklist_rule_from_rules_yaml(workspace, run):
    listed = lambda: [e["unit"] for e in json.loads(run("blacklist", "--year", "2021", "--on", "2021-12-01", "--json").stdout)]  # noqa: E731
    assert listed() == ["石泉县天和酒店"]
    edit(workspace / "rules.yaml", "  times: 2\n", "  times: 3\n")
    assert listed() == []
    edit(workspace / "rules.yaml", "  times: 3\n", "  times: 2\n")
    edit(workspace / "rules.yaml", "  counting: [批评, 暗访, 情况]", "  counting: [批评, 情况]")
    assert listed() == []  # both sample bulletins are 暗访 reports


# ---------------------------------------------------------------- finding one's way

def test_types_lists_every_declaration_with_its_clause(run):
    declared = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (REPO / "templates").glob("*.yaml")
                if p.stem != "common"}
    listing = json.loads(run("types", "--json").stdout)
    assert {t["id"]: t["name"] for t in listing} == {k: v["name"] for k, v in declared.items()}
    summons = next(t for t in listing if t["id"] == "summons")
    assert summons["basis"] == declared["summons"]["basis"] and summons["form_name"] == "文件格式"
    required = {f["name"] for f in summons["fields"] if f["required"]}
    assert required >= {n for n, f in declared["summons"]["fields"].items() if f.get("required")}
    assert summons["deadlines"][0]["item"] == "约谈落实报告" and summons["deadlines"][0]["period"] == "后15日"
    text = run("types").output
    assert all(f"{k}  {v['name']}" in text for k, v in declared.items())


def test_cases_lists_every_case_with_its_open_deadlines(run):
    rows = json.loads(run("cases", "--on", "2021-12-01", "--json").stdout)
    folders = sorted(p.name for p in (REPO / "casefiles").glob("*/*") if p.is_dir())
    assert sorted(r["case"] for r in rows) == folders
    opened = {(r["case"], d["item"]) for r in rows for d in r["open"]}
    assert opened == {(d["case"], d["item"]) for d in json.loads(run("due", "--on", "2021-12-01", "--json").stdout)}
    gp = next(r for r in rows if r["case"] == "2021-gp-011")
    assert gp["title"].startswith("石泉县汉江砂石有限公司") and gp["open"][0]["overdue"]
    text = run("cases", "--on", "2021-12-01").output
    assert "2021-gp-011" in text and "已逾期47天" in text


def test_chinese_type_names_are_accepted(workspace, run):
    result = run("new", "约谈通知书", "2024-yt-001")
    assert result.exit_code == 0, result.output
    assert (workspace / "casefiles/2024/2024-yt-001/summons.yaml").is_file()  # year from the case id
    edit(workspace / "casefiles/2021/2021-yt-001/summons.yaml", "type: summons", "type: 约谈通知书")
    assert run("check", "2021-yt-001").exit_code == 0
    result = run("new", "约谈通知", "2024-yt-002")
    assert result.exit_code == 1 and "docgen types" in result.stderr


def test_new_help_explains_case_ids(run):
    text = run("new", "--help").output
    assert "案卷号约定" in text and "2021-yt-001" in text and "docgen types" in text


# ---------------------------------------------------------------- skeletons

def test_a_new_document_cannot_pass_check_until_filled(workspace, run):
    declared = yaml.safe_load((REPO / "templates/summons.yaml").read_text(encoding="utf-8"))["fields"]
    common = yaml.safe_load((REPO / "templates/common.yaml").read_text(encoding="utf-8"))["fields"]
    required = {n for n, f in {**common, **declared}.items() if f.get("required")}
    assert run("new", "summons", "2021-yt-030").exit_code == 0
    folder = workspace / "casefiles/2021/2021-yt-030"
    skeleton = (folder / "summons.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(skeleton) == {"type": "summons", **{n: None for n in required}}
    assert "# 例：城关镇人民政府" in skeleton  # the example is shown, as a comment only

    result = run("check", "2021-yt-030", "--json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    doc_errors = {e["field"] for e in errors if e["file"].endswith("summons.yaml")}
    assert doc_errors == required
    assert {e["field"] for e in errors if e["file"].endswith("case.yaml")} == {"title", "kind", "opened"}
    issued = run("issue", "2021-yt-030", "summons")
    assert issued.exit_code == 1 and "缺少必填项" in issued.stderr

    # filled in (the sample's values), it passes
    (folder / "summons.yaml").write_text(SUMMONS, encoding="utf-8")
    (folder / "case.yaml").write_text(CASE, encoding="utf-8")
    assert run("check", "2021-yt-030").exit_code == 0


# ---------------------------------------------------------------- pre-commit

def test_pre_commit_hook_runs_docgen_check(workspace, monkeypatch):
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "docgen-check")
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("casefiles/2021/2021-yt-001/summons.yaml") and files.search("rules.yaml")
    assert not files.search("out/2021-yt-001/summons.docx")
    command = hook["entry"].split()
    assert command[0] == "docgen"
    monkeypatch.chdir(workspace / "casefiles/2021")  # the hook runs in the repository; the root is found upward
    assert cli(*command[1:]).exit_code == 0
    edit(workspace / "casefiles/2021/2021-yt-001/summons.yaml", "place: 县应急管理局三楼会议室\n", "")
    assert cli(*command[1:]).exit_code == 1


def test_blacklist_rule_errors_are_located(workspace, run):
    rules = workspace / "rules.yaml"
    edit(rules, "  units: units\n", "  units: kind\n")
    result = run("check", "--json")
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert (error["file"], error["field"], error["line"]) == ("rules.yaml", "blacklist.units", line_of(rules, "units: kind"))
    assert "列表" in error["message"] and "kind" in error["message"]
