"""Deadlines from casefiles, closed by events; due, blacklist and status through the real CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

DEMO_DAY = "2021-12-01"


def due_json(run, *args) -> list[dict]:
    result = run("due", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_key(items) -> dict:
    return {(i["case"], i["item"]): i for i in items}


def new_case(workspace: Path, case_id: str, case_yaml: str, **docs: str) -> Path:
    folder = workspace / "casefiles" / "2021" / case_id
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(case_yaml, encoding="utf-8")
    for name, text in docs.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


CASE = """title: 测试案卷
kind: 巡查
opened: 2021-09-01
"""


# ---------------------------------------------------------------- due on the samples

def test_due_lists_open_items_of_the_samples_by_urgency(run):
    items = due_json(run, "--on", DEMO_DAY)
    found = by_key(items)
    assert [i["due"] for i in items] == sorted(i["due"] for i in items)
    hazard = found[("2021-gp-011", "hazard_notice")]
    assert hazard["due"] == "2021-10-15" and hazard["days_left"] == -47 and hazard["overdue"]
    plan = found[("2021-zf-014", "联合执法:行动方案")]      # 15 days before the 12-20 action
    assert plan["due"] == "2021-12-05" and plan["days_left"] == 4 and not plan["overdue"]
    assert found[("2021-sx-015", "省巡查反馈:整改结果")]["due"] == "2021-12-29"
    assert found[("2021-lx-012", "joint_meeting:2")]["overdue"]
    assert set(items[0]) >= {"case", "item", "due", "days_left", "overdue"}
    # closed by events in the casefiles
    for closed in [("2021-gp-016", "hazard_notice"), ("2021-lx-012", "joint_meeting:4"),
                   ("2021-sx-015", "省巡查反馈:整改方案"), ("2021-yt-001", "memorandum"),
                   ("2021-xc-003", "patrol_report"), ("2021-dc-002", "feedback")]:
        assert closed not in found


def test_due_text_marks_overdue_and_exits_zero(run):
    result = run("due", "--on", DEMO_DAY)
    assert result.exit_code == 0
    assert "「已逾期47天」" in result.output and "2021-gp-011" in result.output
    assert "「还剩4天」" in result.output
    assert "其中已逾期" in result.output


def test_within_keeps_overdue_and_the_near_ones(run):
    items = due_json(run, "--on", DEMO_DAY, "--within", "5")
    assert items and all(i["days_left"] <= 5 for i in items)
    assert ("2021-zf-014", "联合执法:行动方案") in by_key(items)
    assert ("2021-lx-012", "joint_meeting:1") not in by_key(items)


def test_events_after_the_day_asked_about_do_not_count(run):
    # 挂牌督办 closes only on 销号: 验收 on 11-24 is progress, 销号 on 11-25 closes it.
    on_24 = by_key(due_json(run, "--on", "2021-11-24"))
    assert on_24[("2021-gp-016", "hazard_notice")]["days_left"] == 1
    assert on_24[("2021-gp-016", "hazard_notice")]["progress"] == ["2021-11-24 池河镇人民政府会同县消防救援大队验收合格"]
    assert ("2021-gp-016", "hazard_notice") not in by_key(due_json(run, "--on", "2021-11-25"))


def test_patrol_report_due_in_working_days_over_national_day(run):
    item = by_key(due_json(run, "--on", "2021-09-20"))[("2021-xc-003", "patrol_report")]
    assert item["due"] == "2021-10-08" and item["days_left"] == 18


def test_bad_date_is_a_usage_error(run):
    result = run("due", "--on", "2021-13-01")
    assert result.exit_code == 2 and "2021-12-01" in result.output


# ---------------------------------------------------------------- rules on small cases

SUMMONS = (Path(__file__).resolve().parent.parent / "casefiles/2021/2021-yt-001/summons.yaml")


def test_summons_sets_the_report_deadline_until_a_memorandum_exists(workspace, run):
    folder = new_case(workspace, "2021-t-1", CASE.replace("巡查", "约谈"))
    shutil.copy(SUMMONS, folder / "summons.yaml")
    item = by_key(due_json(run, "--on", "2021-11-01"))[("2021-t-1", "summons")]
    assert item["due"] == "2021-11-20" and item["days_left"] == 19


def test_an_event_may_name_the_summons_once_the_memorandum_is_written(workspace, run):
    case = workspace / "casefiles/2021/2021-yt-001/case.yaml"
    text = case.read_text(encoding="utf-8")
    if "events:" not in text:
        text += "events:\n"
    case.write_text(text.replace("item: memorandum", "item: summons"), encoding="utf-8")
    assert ("2021-yt-001", "memorandum") not in by_key(due_json(run, "--on", DEMO_DAY))


def test_patrol_deadline_from_the_end_of_patrol_before_the_report_is_written(workspace, run):
    new_case(workspace, "2021-t-2", CASE + "events:\n  - {date: 2021-09-30, event: 巡查结束}\n")
    item = by_key(due_json(run, "--on", "2021-10-20"))[("2021-t-2", "巡查报告")]
    assert item["due"] == "2021-10-27" and not item["calendar_warning"]


def test_closing_event_with_full_width_colon(workspace, run):
    new_case(workspace, "2021-t-3", CASE + "events:\n  - {date: 2021-10-29, event: 省巡查反馈}\n"
             "  - {date: 2021-11-20, event: 报送整改方案, item: 省巡查反馈：整改方案}\n")
    found = by_key(due_json(run, "--on", "2021-11-21"))
    assert ("2021-t-3", "省巡查反馈:整改方案") not in found
    assert found[("2021-t-3", "省巡查反馈:整改结果")]["due"] == "2021-12-29"


def test_unknown_year_is_computed_and_flagged(workspace, run):
    new_case(workspace, "2099-t-4", CASE + "events:\n  - {date: 2099-09-30, event: 巡查结束}\n")
    item = by_key(due_json(run, "--on", "2099-10-01"))[("2099-t-4", "巡查报告")]
    assert item["due"] == "2099-10-21" and "2099年" in item["calendar_warning"]
    text = run("due", "--on", "2099-10-01").output
    assert "2099-10-21*" in text and "注意：2099年的法定节假日和调休安排尚未收录" in text


def test_event_naming_an_unknown_item_is_located(workspace, run):
    new_case(workspace, "2021-t-5", CASE + "events:\n"
             "  - date: 2021-09-30\n    event: 巡查结束\n"
             "  - date: 2021-10-09\n    event: 收到报告\n    item: 巡查总结\n")
    result = run("due", "--json", "--on", DEMO_DAY)
    assert result.exit_code == 1
    error = json.loads(result.stdout)["errors"][0]
    assert error["file"] == "casefiles/2021/2021-t-5/case.yaml"
    assert error["line"] == 9 and error["field"] == "events[2].item"
    assert "巡查总结" in error["message"] and "巡查报告" in error["message"]
    text = run("due", "--on", DEMO_DAY)
    assert text.exit_code == 1 and "第9行" in text.output and "events[2].item" in text.output
    # `docgen check` finds it too, before anyone runs the deadline report
    checked = run("check", "2021-t-5", "--json")
    assert checked.exit_code == 1
    assert json.loads(checked.stdout)["errors"][0]["field"] == "events[2].item"


def test_rectification_event_must_name_a_bulletined_unit(workspace, run):
    new_case(workspace, "2021-t-6", CASE + "events:\n  - {date: 2021-10-09, event: 复查, item: 整改:无名公司}\n")
    result = run("due", "--json", "--on", DEMO_DAY)
    assert result.exit_code == 1
    assert "不是本案卷通报点名的单位" in json.loads(result.stdout)["errors"][0]["message"]


def test_a_trigger_repeated_in_one_case_is_an_error(workspace, run):
    new_case(workspace, "2021-t-7", CASE + "events:\n  - {date: 2021-12-20, event: 联合执法行动}\n"
             "  - {date: 2021-12-27, event: 联合执法行动}\n")
    result = run("due", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"][0]["field"] == "events[2].event"


# ---------------------------------------------------------------- blacklist

def test_blacklist_lists_units_bulletined_twice_and_not_rectified(run):
    result = run("blacklist", "--year", "2021", "--on", DEMO_DAY, "--json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [e["unit"] for e in listed] == ["石泉县天和酒店"]
    assert [b["case"] for b in listed[0]["bulletins"]] == ["2021-tb-004", "2021-tb-013"]


def test_blacklist_before_the_rectification_event(run):
    listed = json.loads(run("blacklist", "--year", "2021", "--on", "2021-11-29", "--json").stdout)
    # 江南液化气 is rectified by an event on 11-30; 顺达客运 by its row status 已整改.
    assert {e["unit"] for e in listed} == {"石泉县天和酒店", "石泉县江南液化气供应站"}


def test_blacklist_text_and_other_years(run):
    text = run("blacklist", "--year", "2021", "--on", DEMO_DAY).output
    assert "石泉县天和酒店" in text and "黑名单" in text and "已整改" in text
    assert json.loads(run("blacklist", "--year", "2020", "--json").stdout) == []


def test_praise_does_not_count(workspace, run):
    bulletin = workspace / "casefiles/2021/2021-tb-013/bulletin.yaml"
    bulletin.write_text(bulletin.read_text(encoding="utf-8").replace("kind: 暗访", "kind: 表扬"), encoding="utf-8")
    assert json.loads(run("blacklist", "--year", "2021", "--json").stdout) == []


# ---------------------------------------------------------------- status

def test_status_of_one_case(run):
    result = run("status", "2021-gp-016", "--on", DEMO_DAY, "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["documents"][0]["state"] == "draft" and info["documents"][0]["number"] is None
    deadline = info["deadlines"][0]
    assert not deadline["open"] and "销号" in deadline["closed_by"]
    text = run("status", "2021-gp-011", "--on", DEMO_DAY).output
    assert "已逾期47天" in text and "复查" in text and "草稿" in text


def test_status_shows_issued_numbers(run, workspace):
    # What was issued is what the register (发文登记簿) says.
    from docgen.register import ISSUED, Register, Row

    Register(workspace).append(Row(ISSUED, "石安委办〔2021〕16号", "J021-WS·2021-D10-AWB-0001", "关于约谈城关镇人民政府的通知",
                                   "2021-10-29", "2021-yt-001", "summons"))
    info = json.loads(run("status", "2021-yt-001", "--json").stdout)
    states = {d["doc"]: (d["state"], d["number"]) for d in info["documents"]}
    assert states == {"summons": ("issued", "石安委办〔2021〕16号"), "memorandum": ("draft", None)}
    assert "已发文 石安委办〔2021〕16号" in run("status", "2021-yt-001").output


def test_status_overview_one_line_per_case(run):
    rows = json.loads(run("status", "--on", DEMO_DAY, "--json").stdout)
    row = {r["case"]: r for r in rows}
    assert row["2021-gp-011"]["open"] == 1 and row["2021-gp-011"]["overdue"] == 1
    assert row["2021-lx-012"]["open"] == 3 and row["2021-lx-012"]["overdue"] == 1
    text = run("status", "--on", DEMO_DAY).output
    assert len([line for line in text.splitlines() if line.startswith("2021-")]) == len(rows)


def test_status_history_without_git(run):
    text = run("status", "2021-gp-011").output
    assert "不是 git 仓库" in text


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_status_history_from_git(workspace, run):
    def git(*args):
        subprocess.run(["git", "-C", str(workspace), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=张丽", "-c", "user.email=zl@example.cn", "add", ".")
    git("-c", "user.name=张丽", "-c", "user.email=zl@example.cn", "commit", "-q", "-m", "立卷：汉江砂石挂牌督办")
    info = json.loads(run("status", "2021-gp-011", "--json").stdout)
    assert info["history"][0]["author"] == "张丽"
    assert info["history"][0]["message"] == "立卷：汉江砂石挂牌督办"
    assert info["history_note"] is None
    (workspace / "casefiles/2021/2021-gp-011/case.yaml").write_text(
        (workspace / "casefiles/2021/2021-gp-011/case.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "未提交的修改" in run("status", "2021-gp-011").output
