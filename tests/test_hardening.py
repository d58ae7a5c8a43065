"""Issue 11 §5 probes (M3–M8, M11, minor input items) and issue 13 §4 (Chinese everywhere),
each reproduced through the real `docgen` CLI: a Chinese message naming file, line and field,
exit ≠ 0, no traceback, nothing written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, files_under, paragraphs

CASE = "casefiles/2021/2021-yt-001"
HAN = re.compile("[\u4e00-\u9fff]")


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def one_json(result) -> dict:
    """stdout holds exactly one JSON document (json.loads refuses anything after it)."""
    return json.loads(result.stdout)


def json_error(result) -> dict:
    """The --json error contract: one document {"ok": false, "error": "…"} and exit ≠ 0."""
    assert result.exit_code not in (0, None), result.output
    doc = one_json(result)
    assert doc["ok"] is False and isinstance(doc["error"], str) and HAN.search(doc["error"]), doc
    assert "Traceback" not in result.output
    return doc


@pytest.fixture
def summons(workspace):
    return workspace / CASE / "summons.yaml"


@pytest.fixture
def snapshot(workspace):
    return {p: p.read_bytes() for p in files_under(workspace)}


def nothing_written(workspace, before, *changed):
    """Only the files the test itself edited differ; no file appeared (no out/, no folder)."""
    now = {p: p.read_bytes() for p in files_under(workspace)}
    assert set(now) == set(before)
    assert [p for p in now if now[p] != before[p] and p not in changed] == []


# ---------------------------------------------------------------- M3: text stays as typed

def test_text_fields_keep_the_characters_typed(workspace, run, summons):
    """YAML 1.1 read 0571234 as octal 193180, 12:30 as 750, 0755 as 493, 0x1F as 31."""
    edit(summons, "title: 关于约谈城关镇人民政府的通知", "title: 0x1F")
    edit(summons, "  - 隐患整改方案及整改责任分解表", "  - 0755")
    edit(summons, "place: 县应急管理局三楼会议室", "place: 县应急管理局三楼会议室\ncontact: 12:30\nphone: 0571234")
    result = run("render", "2021-yt-001", "summons", "--json")
    assert result.exit_code == 0, result.output
    text = paragraphs(one_json(result)[0]["docx"])
    assert "联系人：12:30，联系电话：0571234。" in text
    assert "2.0755。" in text and "0x1F" in text  # the last item closed by 。
    assert not {"193180", "750", "493"} & {w for p in text for w in re.findall(r"\d+", p)}
    assert "0x1F" in text[:12]  # the title, not 31


def test_what_the_web_writes_reads_back_as_typed(summons):
    """The web forms write through ruamel's round trip (docgen.yamledit); whatever text they
    write, yamlio reads the same characters back."""
    from docgen import yamledit, yamlio

    typed = {"phone": "0571234", "contact": "12:30", "title": "0x1F", "place": "null", "note": "2021-11-01",
             "materials": ["0755", "true", "~"]}
    text = yamledit.updated("# 约谈前发出\n" + summons.read_text(encoding="utf-8"), typed)
    back = yamlio.plain(yamlio.loads(text, "summons.yaml"))
    assert {k: back[k] for k in typed} == typed
    assert text.startswith("# 约谈前发出\n")  # the clerk's comment stays


def test_only_declared_numbers_dates_and_flags_are_converted(workspace, run):
    templates = workspace / "templates"
    (templates / "tally.docx").write_bytes((templates / "notice.docx").read_bytes())
    (templates / "tally.yaml").write_text(
        "name: 隐患统计\nform: file\nretention: D10\nfields:\n"
        "  count: {label: 隐患数, type: number, required: true}\n"
        "  urgent: {label: 是否紧急, type: bool}\n"
        "  code: {label: 编码}\n", encoding="utf-8")
    doc = workspace / CASE / "tally.yaml"
    doc.write_text("type: tally\ntitle: 统计\ndate: 2021-11-01\ncount: 十五\nurgent: 也许\ncode: 0012\n",
                   encoding="utf-8")
    errors = {e["field"]: e for e in one_json(run("check", "2021-yt-001", "--json"))["errors"]
              if e["file"] == f"{CASE}/tally.yaml"}  # (the borrowed template's own fields are reported too)
    assert set(errors) == {"count", "urgent"}
    assert errors["count"]["line"] == 4 and "应为数字" in errors["count"]["message"]
    assert errors["urgent"]["line"] == 5 and errors["count"]["file"] == f"{CASE}/tally.yaml"
    doc.write_text("type: tally\ntitle: 统计\ndate: 2021年11月1日\ncount: 015\nurgent: 是\ncode: 0012\n",
                   encoding="utf-8")
    from docgen.casefile import load_case
    from docgen.workspace import Workspace

    values = load_case(Workspace(workspace), "2021-yt-001").document("tally").values
    assert (values["count"], values["urgent"], values["code"]) == (15, True, "0012")
    assert values["date"].isoformat() == "2021-11-01"


def test_a_declaration_flag_that_is_not_true_or_false_is_refused(workspace, run):
    edit(workspace / "templates" / "summons.yaml", "    required: true\n    help: 被约谈单位全称",
         "    required: yes\n    help: 被约谈单位全称")
    doc = json_error(run("check", "--json"))
    assert "required 应为 true 或 false" in doc["error"] and "summons.yaml" in doc["error"]


# ---------------------------------------------------------------- M4: alias bombs

def test_an_alias_bomb_is_refused_at_once(workspace, run, summons, snapshot):
    lol = 'a: &a ["哈","哈","哈","哈","哈","哈","哈","哈","哈"]\n'
    levels = "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    summons.write_text(summons.read_text(encoding="utf-8") + lol + levels, encoding="utf-8")
    assert len(summons.read_bytes()) < 5000  # 9^9 ≈ 387 million strings once expanded
    result = run("check", "2021-yt-001", "--json")
    assert result.exit_code == 1 and len(result.output) < 3000
    error = one_json(result)["errors"][0]
    assert "别名" in error["message"] and error["file"] == f"{CASE}/summons.yaml"
    assert error["line"] == line_of(summons, "d: &d")  # 9·10 + 9·91 nodes repeated by b and c, d exceeds 1000
    assert run("render", "2021-yt-001", "--all").exit_code == 1
    nothing_written(workspace, snapshot, summons)


def test_a_few_aliases_are_still_fine(workspace, run, summons):
    edit(summons, "content:\n", "content: &c\n")
    edit(summons, "materials:\n  - 重大事故隐患整改情况书面汇报材料（加盖单位公章）\n  - 隐患整改方案及整改责任分解表",
         "materials: *c")
    result = run("render", "2021-yt-001", "summons", "--json")
    assert result.exit_code == 0, result.output
    text = paragraphs(one_json(result)[0]["docx"])
    assert text.count("1.挂牌督办重大事故隐患整改进展情况及逾期未整改到位的原因；") == 2


# ---------------------------------------------------------------- M5: 100 items and more

def test_a_list_of_120_items_is_numbered_to_the_end(workspace, run, summons):
    items = "".join(f"  - 第{i}项约谈内容\n" for i in range(1, 121))
    text = summons.read_text(encoding="utf-8")
    summons.write_text(re.sub(r"content:\n(  - .*\n)+", "content:\n" + items, text), encoding="utf-8")
    result = run("render", "2021-yt-001", "summons", "--json")
    assert result.exit_code == 0, result.output
    text = paragraphs(one_json(result)[0]["docx"])
    assert [p for p in text if p.startswith(("99.", "100.", "120."))] == [
        "99.第99项约谈内容；", "100.第100项约谈内容；", "120.第120项约谈内容。"]


def test_a_body_of_105_headings_counts_in_chinese(workspace, run):
    path = workspace / "casefiles/2021/2021-sx-015/notice.yaml"
    text = path.read_text(encoding="utf-8")
    headings = "".join(f"  - heading: 第{i}个标题\n    body: [正文。]\n" for i in range(1, 106))
    path.write_text(re.sub(r"\nbody:\n(?:  .*\n|\n)+", "\nbody:\n" + headings, text, count=1), encoding="utf-8")
    result = run("render", "2021-sx-015", "--all", "--json")
    assert result.exit_code == 0, result.output
    text = paragraphs(one_json(result)[0]["docx"])
    for label in ("九十九、第99个标题", "一百、第100个标题", "一百零一、第101个标题", "一百零五、第105个标题"):
        assert label in text


@pytest.mark.parametrize("n,words", [(1, "一"), (10, "十"), (15, "十五"), (20, "二十"), (99, "九十九"),
                                     (100, "一百"), (101, "一百零一"), (110, "一百一十"), (119, "一百一十九"),
                                     (1000, "一千"), (1001, "一千零一"), (1010, "一千零一十"),
                                     (2305, "二千三百零五"), (9999, "九千九百九十九")])
def test_chinese_numerals(n, words):
    from docgen.gbt9704 import chinese_numeral

    assert chinese_numeral(n) == words


def test_a_list_longer_than_any_document_is_refused(workspace, run, summons):
    items = "".join(f"  - 项{i}\n" for i in range(10000))
    text = summons.read_text(encoding="utf-8")
    summons.write_text(re.sub(r"content:\n(  - .*\n)+", "content:\n" + items, text), encoding="utf-8")
    error = one_json(run("check", "2021-yt-001", "--json"))["errors"][0]
    assert error["field"] == "content" and "最多9999项" in error["message"]


# ---------------------------------------------------------------- M6: lone surrogates

def test_a_lone_surrogate_is_refused_by_check(workspace, run, summons, snapshot):
    edit(summons, "place: 县应急管理局三楼会议室", 'place: "县应急管理局\\ud800三楼会议室"')
    result = run("check", "--json")
    assert result.exit_code == 1
    error = one_json(result)["errors"][0]
    assert (error["file"], error["line"], error["field"]) == (f"{CASE}/summons.yaml", line_of(summons, "place:"), "place")
    assert "代理项" in error["message"]
    assert run("render", "2021-yt-001", "--all").exit_code == 1
    nothing_written(workspace, snapshot, summons)


# ---------------------------------------------------------------- M7: type as a list

def test_a_type_that_is_a_list_is_an_error_not_a_crash(workspace, run, summons):
    edit(summons, "type: summons", "type: [summons]")
    result = run("check", "--json")
    assert result.exit_code == 1
    error = one_json(result)["errors"][0]
    assert (error["field"], error["line"]) == ("type", 1) and "不能是列表" in error["message"]


# ---------------------------------------------------------------- M8: --json on any error

@pytest.mark.parametrize("args,code", [
    (["search", "--json", '"未闭合'], 1),            # bad query
    (["search", "--json", "--limit", "多"], 2),       # bad option value
    (["search", "--json", "--sort", "最旧"], 2),      # bad choice
    (["due", "--json", "--on", "2021-13-01"], 2),     # bad --on
    (["due", "--json", "--within", "-3"], 2),         # out of range
    (["issue", "--json", "2021-yt-001"], 2),          # missing argument
    (["list", "--json"], 2),                          # unknown command
    (["check", "--json", "--verbose"], 2),            # unknown option
    (["render", "--json", "2099-xx-001", "--all"], 1),  # unknown case (DocgenError)
    (["check", "--json", "a/b"], 1),                  # invalid id
])
def test_json_errors_are_one_document(run, args, code):
    result = run(*args)
    assert result.exit_code == code
    doc = json_error(result)
    assert doc["errors"] and all(set(e) == {"file", "line", "field", "message"} for e in doc["errors"])


def test_json_errors_from_a_real_process_under_a_c_locale(workspace):
    """`python -m docgen` (the console script's main), under a C locale: one JSON document,
    Chinese, exit 2."""
    env = {**os.environ, "LANG": "C", "LC_ALL": "C", "DOCGEN_ROOT": str(workspace)}
    env.pop("LANGUAGE", None)
    done = subprocess.run([sys.executable, "-m", "docgen", "bundle", "--json"], capture_output=True, env=env)
    assert done.returncode == 2
    doc = json.loads(done.stdout.decode("utf-8"))
    assert doc == {"ok": False, "error": "缺少参数「CASE_ID」。", "errors": [
        {"file": None, "line": None, "field": None, "message": "缺少参数「CASE_ID」。"}]}
    assert "Traceback" not in done.stderr.decode("utf-8")


def test_a_failed_archive_verify_carries_the_error(workspace, run):
    stray = workspace / "archive" / "J021-WS·2021-D10-AWB-0007"
    stray.mkdir()
    (stray / "document.pdf").write_bytes(b"%PDF-1.7")
    subprocess.run(["git", "-C", str(workspace), "init", "-q"], check=True)
    doc = json_error(run("archive", "verify", "--json"))
    assert "J021-WS·2021-D10-AWB-0007" in doc["error"] and "登记簿中没有此档号" in doc["error"]
    assert doc["problems"]  # the report itself is still there


def test_check_json_still_reports_ok(run):
    doc = one_json(run("check", "--json"))
    assert doc["ok"] is True and doc["errors"] == []


# ---------------------------------------------------------------- M11: ids before paths

@pytest.mark.parametrize("case_id", ["evil\n", "evil\r", "a" * 300, "案 卷", "_x", "a/b", "..", "x\x00"])
def test_bad_case_ids_make_no_folder(workspace, run, snapshot, case_id):
    result = run("new", "summons", case_id, "--year", "2022")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "案卷号" in result.stderr and ("不合法" in result.stderr or "过长" in result.stderr)
    nothing_written(workspace, snapshot)
    assert not (workspace / "casefiles" / "2022").exists()


@pytest.mark.parametrize("year", ["-5", "0", "99999", "202"])
def test_bad_years_are_refused(workspace, run, snapshot, year):
    result = run("new", "summons", "2022-yt-009", "--year", year)
    assert result.exit_code == 1 and "年度" in result.stderr
    nothing_written(workspace, snapshot)


def test_bad_document_and_archive_ids(workspace, run):
    assert "文书名「summons\\n」不合法" in run("render", "2021-yt-001", "summons\n").stderr
    result = run("archive", "show", "../../etc", "--json")
    assert json_error(result)["error"].startswith("档号")


def test_a_folder_with_a_newline_in_its_name_is_reported(workspace, run):
    bad = workspace / "casefiles/2021/evil\n"
    bad.mkdir()
    (bad / "case.yaml").write_text((workspace / CASE / "case.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    errors = one_json(run("check", "--json"))["errors"]
    assert len(errors) == 1 and "案卷号「evil\\n」不合法" in errors[0]["message"]


# ---------------------------------------------------------------- minor input items

def test_a_folder_named_like_a_casefile_is_reported_and_check_goes_on(workspace, run):
    (workspace / CASE / "extra.yaml").mkdir()
    (workspace / "casefiles/2021/2021-dc-002/feedback.yaml").write_bytes("title: 关于\n".encode("gbk"))
    errors = one_json(run("check", "--json"))["errors"]
    assert [(e["file"], e["message"]) for e in errors] == [
        ("casefiles/2021/2021-dc-002/feedback.yaml", "文件不是 UTF-8 编码，请用 UTF-8 保存"),
        (f"{CASE}/extra.yaml", "无法读取：应为文件，却是目录")]



def test_a_casefile_linking_outside_the_workspace_is_refused(workspace, run, summons, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes(summons.read_bytes())
    summons.unlink()
    summons.symlink_to(outside)
    result = run("check", "--json")
    assert result.exit_code == 1
    error = one_json(result)["errors"][0]
    assert error["file"] == f"{CASE}/summons.yaml" and "工作区以外" in error["message"]
    assert run("render", "2021-yt-001", "summons").exit_code == 1


def test_a_case_folder_linking_outside_is_refused(workspace, run, tmp_path):
    away = tmp_path / "away"
    (workspace / CASE).rename(away)
    (workspace / CASE).symlink_to(away, target_is_directory=True)
    assert "工作区以外" in json_error(run("render", "2021-yt-001", "--all", "--json"))["error"]


def test_an_attachment_linking_outside_is_refused(workspace, run, tmp_path):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes((REPO / "imports/000_a2361d05c55e95d7.txt").read_bytes())
    (workspace / CASE / "attachments").mkdir()
    (workspace / CASE / "attachments" / "证据.pdf").symlink_to(secret)
    doc = json_error(run("bundle", "2021-yt-001", "--json"))
    assert "attachments/证据.pdf" in doc["error"] and "工作区以外" in doc["error"]
    assert not (workspace / "out").exists()


def test_a_link_inside_the_workspace_is_fine(workspace, run, summons):
    copy = workspace / "casefiles" / "shared-summons.yaml"
    copy.write_bytes(summons.read_bytes())
    summons.unlink()
    summons.symlink_to(copy)
    assert run("check").exit_code == 0


@pytest.mark.parametrize("blank", ["'   '", "'\u3000\u3000'", "' \t '"])
def test_a_required_field_of_only_spaces_is_refused(workspace, run, summons, blank):
    edit(summons, "place: 县应急管理局三楼会议室", f"place: {blank}")
    error = one_json(run("check", "--json"))["errors"][0]
    assert (error["field"], error["line"]) == ("place", line_of(summons, "place:"))
    assert "只填了空格" in error["message"]


def test_a_list_item_left_empty_is_refused(workspace, run, summons):
    edit(summons, "  - 隐患整改方案及整改责任分解表", "  -\n  - 隐患整改方案及整改责任分解表")
    error = one_json(run("check", "--json"))["errors"][0]
    assert error["field"] == "materials" and "第2项是空的" in error["message"]


def test_an_event_dated_before_the_case_is_warned(workspace, run):
    case = workspace / CASE / "case.yaml"
    edit(case, "  - date: 2021-11-05\n", "  - date: 2020-11-05\n")
    result = run("check", "--json")
    assert result.exit_code == 0
    doc = one_json(result)
    assert doc["ok"] is True
    [warning] = [w for w in doc["warnings"] if w["file"] == f"{CASE}/case.yaml"]
    assert warning["field"] == "events[1].date" and warning["line"] == line_of(case, "2020-11-05")
    assert "早于立卷日期" in warning["message"]
    plain = run("check")
    assert plain.exit_code == 0 and "注意：" in plain.stderr and "早于立卷日期" in plain.stderr


def test_a_date_in_year_9999_does_not_stop_due_for_every_case(workspace, run):
    feedback = workspace / "casefiles/2021/2021-dc-002/feedback.yaml"
    edit(feedback, "deadline: 2021-10-31", "deadline: 9999-12-31")
    result = run("due", "--on", "2021-12-01")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "2021-dc-002/feedback.yaml" in result.stderr and "年份 9999 不合理" in result.stderr
    assert "2021-yt-001" in result.stdout or "2021-lx-012" in result.stdout  # the other cases still listed
    assert "年份 9999 不合理" in json_error(run("due", "--on", "2021-12-01", "--json"))["error"]
    memo = workspace / CASE / "memorandum.yaml"
    edit(memo, "time: 2021-11-05 09:30", "time: 9999-12-31 09:30")
    assert "Traceback" not in run("due", "--on", "2021-12-01").output


def test_half_width_punctuation_in_chinese_is_warned(workspace, run, summons):
    edit(summons, "place: 县应急管理局三楼会议室", "place: 县应急管理局(三楼)会议室,请准时")
    result = run("check", "--json")
    assert result.exit_code == 0
    [warning] = [w for w in one_json(result)["warnings"] if w["file"] == f"{CASE}/summons.yaml"]
    assert (warning["field"], warning["line"]) == ("place", line_of(summons, "place:"))
    assert "「,」「(」「)」" in warning["message"] and "「，」「（」「）」" in warning["message"]


def test_half_width_marks_between_digits_are_not_warned(workspace, run, summons):
    edit(summons, "place: 县应急管理局三楼会议室", "place: 县应急管理局三楼会议室（10:30前到达，电话1,234）")
    assert [w for w in one_json(run("check", "--json"))["warnings"] if w["file"] == f"{CASE}/summons.yaml"] == []


# ---------------------------------------------------------------- YAML syntax errors in Chinese

def test_a_full_width_colon_is_reported_on_its_own_line(workspace, run, summons):
    edit(summons, "place: 县应急管理局三楼会议室", "place：县应急管理局三楼会议室")
    error = one_json(run("check", "--json"))["errors"][0]
    assert error["line"] == line_of(summons, "place：") and "全角冒号「：」" in error["message"]


@pytest.mark.parametrize("new,at,words", [
    ("place: 备注: 会议室", "place: 备注", "加引号"),
    ("\tplace: 会议室", "\tplace", "Tab"),
    ('place: "会议室', 'place: "', "没有闭合"),
    ("place:会议室", "place:会议室", "冒号后缺少空格"),
    ("place: [会议室, 二楼", "place: [", "方括号"),
    ("place: !!int 5", "place: !!int", "标签「!!int」"),
    ("place: 会议室\nplace: 二楼", "place: 二楼", "重复出现（前一次在第"),
])
def test_yaml_syntax_errors_are_chinese(workspace, run, summons, new, at, words):
    edit(summons, "place: 县应急管理局三楼会议室", new)
    result = run("check", "--json")
    assert result.exit_code == 1
    error = one_json(result)["errors"][0]
    assert words in error["message"] and error["file"] == f"{CASE}/summons.yaml"
    assert error["line"] == line_of(summons, at)
    assert not re.search(r"[A-Za-z]{3,}", re.sub("「[^」]*」|YAML|Tab", "", error["message"]))


# ---------------------------------------------------------------- Chinese everywhere (13 §4)

# Latin words a Chinese help may hold: names of things (formats, programs, standards).
PROPER = {"YAML", "JSON", "UTF", "PDF", "PNG", "JPG", "Word", "WPS", "LibreOffice", "SHA", "GB", "docx",
          "yaml", "txt", "pdf", "git", "docgen", "ID", "OR", "NOT", "AND", "Whoosh", "MB", "grep", "CPU", "scrypt"}


def _walk(command, path=()):
    import click

    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            yield from _walk(command.get_command(None, name), (*path, name))


def _code_words(command) -> set[str]:
    """Names the user types: command and option names, argument placeholders, choices."""
    import click

    words = set()
    for param in command.params:
        for opt in (*param.opts, *param.secondary_opts):
            words.update(re.findall(r"[A-Za-z_]+", opt))
        if isinstance(param, click.Argument):
            words.update(re.findall(r"[A-Za-z_]+", param.make_metavar(click.Context(command))))
        if isinstance(param.type, click.Choice):
            words.update(str(c) for c in param.type.choices)
        if isinstance(param.default, str):  # shown as [默认：AWB]
            words.update(re.findall(r"[A-Za-z_]+", param.default))
    return words


def _english(text: str, allowed: set[str]) -> list[str]:
    # Drop what is code or the user's own input: 「quoted」, option names, paths, examples;
    # the letters of case ids (2021-yt-001: yt) are code where the text explains them.
    allowed = allowed | set(re.findall(r"\d{4}-([a-z]+)-\d+", text))
    text = re.sub(r"「[^」]*」|\{[%{].*?[%}]\}", " ", text)  # (and template tags: {% if %})
    text = re.sub(r"(?<![\w-])-{1,2}[\w-]+", " ", text)
    text = re.sub(r"[\w./-]*[/.][\w./<>-]+|\w+/", " ", text)
    text = re.sub(r"\b\w+:\w*|[\w-]*\d[\w-]*", " ", text)  # search fields; ids like 2021-yt-001
    # names of fonts and programs (FandolFang, LibreOffice), environment variables (DOCGEN_USERS)
    names = re.compile(r"[A-Z][a-z]+[A-Z]\w*|[A-Z]+(_[A-Z]+)+")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_]+", text)
            if w not in allowed and w not in PROPER and not names.fullmatch(w)]


def _columns(line: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_every_help_and_usage_error_is_chinese(workspace, run):
    from docgen.cli import cli
    from docgen.workspace import Workspace

    from docgen.casefile import CASE_FIELDS

    types = Workspace(workspace).types
    fields = set(CASE_FIELDS) | {"item", "status"} | {f for t in types.values() for f in t.fields}
    commands = list(_walk(cli))
    assert len(commands) > 12
    allowed = set(types) | fields | {name for path, _ in commands for name in path}
    for _, command in commands:
        allowed |= _code_words(command)
    checked = 0
    for path, command in commands:
        outputs = [run(*path, "--help")]
        if path:
            outputs.append(run(*path, "--no-such-option"))
            if any(p.required for p in command.params):
                outputs.append(run(*path[:-1], path[-1]) if command.params else None)
        for result in filter(None, outputs):
            assert "Traceback" not in result.output
            words = _english(result.output, allowed)
            assert words == [], f"docgen {' '.join(path)}: {words}\n{result.output}"
            checked += 1
        # Measured in terminal columns (a Chinese character takes two); CliRunner lays help out
        # 80 wide (in a real 80-column terminal: 78).
        lines = outputs[0].output.splitlines()
        assert max(map(_columns, lines)) <= 80, outputs[0].output
        assert not [line for line in lines if line.strip()[:1] in tuple("，。、；：？！）」》")], outputs[0].output
    for args in (["nosuch"], ["search", "--limit", "x"], ["search", "--sort", "y"], ["due", "--within", "-1"],
                 ["due", "--on", "明天"], ["new"], ["archive", "import"], ["--version"]):
        result = run(*args)
        assert _english(result.output, allowed) == [], result.output
    assert checked > 25


def test_usage_error_reads_as_chinese(run):
    result = run("render")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["用法：docgen render [选项] CASE_ID [DOC]...",
                                          "运行「docgen render --help」可查看帮助。", "错误：缺少参数「CASE_ID」。"]
    assert "错误：没有命令「list」。" in run("list").stderr


def test_docgen_alone_shows_the_help(workspace, run):
    from click.testing import CliRunner

    from docgen.cli import cli

    alone = CliRunner().invoke(cli, [], env={"DOCGEN_ROOT": str(workspace)}, catch_exceptions=False)
    assert alone.exit_code == 2 and alone.stderr.startswith("用法：docgen [选项] 命令 [参数]...")
    assert "错误" not in alone.stderr and "\n命令：\n" in alone.stderr
    assert run().stderr.splitlines()[-1] == "错误：缺少命令。"  # options but no command


def test_help_headings_are_chinese(run):
    out = run("search", "--help").output
    assert out.startswith("用法：docgen search [选项] [QUERY]...")
    assert "\n选项：\n" in out and "--limit 整数" in out and "[默认：20]" in out
    assert "显示本帮助并退出。" in out


def test_the_catalogue_covers_click_and_is_compiled(tmp_path):
    """Every text click can print has a Chinese translation, and docgen.mo is docgen.po."""
    import gettext
    from pathlib import Path

    import click
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    folder = REPO / "docgen/locale/zh_CN/LC_MESSAGES"
    with open(folder / "docgen.po", "rb") as handle:
        po = read_po(handle)
    mo = gettext.GNUTranslations(open(folder / "docgen.mo", "rb"))
    for message in po:
        if message.id:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            wanted = message.string[0] if isinstance(message.string, tuple) else message.string
            assert wanted and mo.gettext(key) == wanted, key
    used = {m[2] if isinstance(m[2], str) else m[2][0]
            for m in extract_from_dir(str(Path(click.__file__).parent), method_map=[("**.py", "python")],
                                      keywords={"_": None, "ngettext": (1, 2)})}
    missing = sorted(m for m in used if m not in po)
    assert missing == [], f"click texts without a translation (add them to docgen.po, then make catalog): {missing}"


def test_the_catalogue_is_package_data():
    from importlib.resources import files

    assert (files("docgen") / "locale" / "zh_CN" / "LC_MESSAGES" / "docgen.mo").is_file()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in pyproject
