"""Bad input gets a clear Chinese error naming file, line and field; nothing is written."""

from __future__ import annotations

import json
import shutil

import docx as python_docx
import pytest

from conftest import files_under, paragraphs

CASE = "casefiles/2021/2021-yt-001"


def summons_path(workspace):
    return workspace / CASE / "summons.yaml"


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def assert_nothing_written(workspace, before):
    assert not (workspace / "out").exists() or not files_under(workspace / "out")
    assert {p: p.read_bytes() for p in files_under(workspace / "casefiles")} == before


@pytest.fixture
def snapshot(workspace):
    return {p: p.read_bytes() for p in files_under(workspace / "casefiles")}


def test_missing_required_field_names_file_line_and_field(workspace, run, snapshot):
    path = summons_path(workspace)
    edit(path, "place: 县应急管理局三楼会议室\n", "")
    snapshot[path] = path.read_bytes()
    result = run("render", "2021-yt-001", "summons")
    assert result.exit_code == 1
    assert "casefiles/2021/2021-yt-001/summons.yaml" in result.stderr
    assert "字段「place」" in result.stderr and "缺少必填项「约谈地点」" in result.stderr
    assert_nothing_written(workspace, snapshot)


@pytest.mark.parametrize("old,new,field,words", [
    ("date: 2021-10-29", "date: 2021-02-30", "date", "不是有效日期"),
    ("time: 2021-11-05 09:30", "time: 下周一上午", "time", "不是有效日期时间"),
    ("clause: （五）", "clause: （九）", "clause", "应为以下之一"),
    ("place: 县应急管理局三楼会议室", "place: [甲, 乙]", "place", "应为文字"),
    ("place: 县应急管理局三楼会议室", "plaec: 县应急管理局三楼会议室", "plaec", "未知字段"),
])
def test_wrong_values_are_located(workspace, run, snapshot, old, new, field, words):
    path = summons_path(workspace)
    edit(path, old, new)
    snapshot[path] = path.read_bytes()
    result = run("check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    hit = next(e for e in report["errors"] if e["field"] == field)
    assert hit["file"] == f"{CASE}/summons.yaml"
    assert hit["line"] == line_of(path, new.split(":")[0] + ":")
    assert words in hit["message"]
    assert_nothing_written(workspace, snapshot)


def test_malformed_yaml_gives_the_line(workspace, run):
    path = summons_path(workspace)
    edit(path, "place: 县应急管理局三楼会议室", "place: [县应急管理局")
    result = run("render", "2021-yt-001", "--all")
    assert result.exit_code == 1
    assert "YAML 格式错误" in result.stderr and "summons.yaml 第" in result.stderr
    assert "Traceback" not in result.output


def test_control_characters_are_refused(workspace, run):
    path = summons_path(workspace)
    edit(path, "place: 县应急管理局三楼会议室", 'place: "县应急管理局\\a三楼"')
    result = run("check")
    assert result.exit_code == 1 and "控制字符" in result.stderr


@pytest.mark.parametrize("case_id", ["../etc", "a/b", "..", ".hidden", "x..y"])
def test_case_ids_cannot_escape_the_casefiles(run, case_id):
    result = run("render", case_id, "--all")
    assert result.exit_code == 1 and "不合法" in result.stderr


def test_unknown_case_and_document(run):
    assert "找不到案卷" in run("render", "2099-xx-001", "--all").stderr
    result = run("render", "2021-yt-001", "nosuchdoc")
    assert result.exit_code == 1 and "没有文书「nosuchdoc」" in result.stderr


def test_values_come_out_literally_and_the_file_opens(workspace, run):
    path = summons_path(workspace)
    nasty = 'A&B <公司> "引号" \'单\' {{ office.name }} {% if %} 🚧'
    edit(path, "place: 县应急管理局三楼会议室", f"place: '{nasty.replace(chr(39), chr(39) * 2)}'")
    result = run("render", "2021-yt-001", "summons", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)[0]["docx"]
    assert any(f"约谈地点：{nasty}。" == p for p in paragraphs(out))
    python_docx.Document(out)  # opens


def test_a_value_the_template_needs_but_the_casefile_lacks_is_an_error(workspace, run):
    # A clerk edits the template to use a field the casefile does not fill in.
    decl = workspace / "templates" / "summons.yaml"
    edit(decl, "  phone:\n", "  room:\n    label: 房间号\n  phone:\n")
    tpl = workspace / "templates" / "summons.docx"
    from docgen import blueprint

    original = blueprint.summons

    def with_room(b):
        original(b)
        b.text("房间：{{ room }}")

    blueprint.TYPES["summons"] = with_room
    try:
        blueprint.build("summons", tpl)
    finally:
        blueprint.TYPES["summons"] = original
    result = run("render", "2021-yt-001", "summons")
    assert result.exit_code == 1
    assert "模板需要「room」（房间号）" in result.stderr and "summons.yaml" in result.stderr
    assert not (workspace / "out").exists() or not files_under(workspace / "out")


def test_failed_render_of_one_document_writes_none(workspace, run):
    edit(summons_path(workspace), "place: 县应急管理局三楼会议室\n", "")
    shutil.copy(summons_path(workspace), workspace / CASE / "summons-2.yaml")
    edit(workspace / CASE / "summons-2.yaml", "unit: 城关镇人民政府", "unit: 城关镇人民政府\nplace: 会议室")
    result = run("render", "2021-yt-001", "--all")
    assert result.exit_code == 1
    assert not (workspace / "out").exists() or not files_under(workspace / "out")


def test_new_writes_a_commented_skeleton_that_check_explains(workspace, run):
    result = run("new", "feedback", "2022-dc-001", "--year", "2022")
    assert result.exit_code == 0, result.output
    path = workspace / "casefiles/2022/2022-dc-001/feedback.yaml"
    text = path.read_text(encoding="utf-8")
    assert "# 整改期限（必填，日期" in text and "type: feedback" in text
    assert "# 附注（可选" in text and "\n# note:" in text
    checked = run("check", "2022-dc-001")
    assert checked.exit_code == 1 and "缺少必填项「整改期限」" in checked.stderr
    # a second `new` never overwrites the first
    again = run("new", "feedback", "2022-dc-001")
    assert "feedback-2.yaml" in again.output and path.read_text(encoding="utf-8") == text


def test_a_sixth_type_is_a_template_plus_a_declaration(workspace, run):
    templates = workspace / "templates"
    shutil.copy(templates / "notice.docx", templates / "reply.docx")
    (templates / "reply.yaml").write_text(
        "name: 复函\nform: file\nmark: 文件\nretention: D10\nfields:\n"
        "  recipients: {label: 主送机关, required: true}\n"
        "  body: {label: 正文, type: body, required: true}\n", encoding="utf-8")
    assert run("new", "reply", "2021-yt-001").exit_code == 0
    path = workspace / CASE / "reply.yaml"
    path.write_text("type: reply\ntitle: 关于有关事项的复函\ndate: 2021-12-01\nrecipients: 城关镇人民政府\n"
                    "body: [来函收悉。现函复如下。]\n", encoding="utf-8")
    result = run("render", "2021-yt-001", "reply", "--json")
    assert result.exit_code == 0, result.output
    assert "来函收悉。现函复如下。" in paragraphs(json.loads(result.stdout)[0]["docx"])


def test_check_passes_on_the_samples(run):
    result = run("check")
    assert result.exit_code == 0 and "校验通过" in result.output


def test_render_without_documents_is_a_usage_error(run):
    result = run("render", "2021-yt-001")
    assert result.exit_code == 2 and "--all" in result.output
