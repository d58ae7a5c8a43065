"""Fuzzing the inputs a clerk types: casefile YAML, search queries and deadline options, each
through the real CLI. Whatever comes in, docgen answers in Chinese with exit 0, 1 or 2, --json
output is exactly one JSON document, and nothing raises (CliRunner re-raises any exception).

Bounded and derandomized so the suite stays fast and repeatable; raise FUZZ_EXAMPLES to dig
deeper locally."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, paragraphs

HAN = re.compile("[\u4e00-\u9fff]")
DOC = "casefiles/2021/2021-yt-001/summons.yaml"
SCALE = int(os.environ.get("FUZZ_EXAMPLES", "1"))


def fuzz(examples: int):
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# What clerks (and their keyboards and copy-paste) put into YAML.
YAML_CHARS = list(":-#&*!|>'\"%@`[]{},?\\ \t\n") + list("：，、（）《》“”——…　约谈城关镇") + list("0123456789xeE.+")
SNIPPETS = ["\n  - ", ": ", ":", "&a ", "*a", "!!int ", "!foo ", "---\n", "...\n", "\\u", "\\x4", "\"\\ud800\"",
            "? ", "<<: *a\n", "\t", "0x1F", "0755", "12:30", "~", "null", "[", "{", "|\n  ", ">-\n  ", "  ",
            "2021-02-30", "9999-12-31", "\ufeff", "\u2028", "\x85", "\x00", "\x1b"]


VALUES = ["0571234", "12:30", "0x1F", '"\\ud800"', '"\\x07"', "[a, b]", "{a: 1}", "~", "''", "'  '", "true",
          "2021-02-30", "0001-01-01", "9999-12-31", "2021-11-05 25:00", "&a x", "*a", "*nosuch", "!!binary aGk=",
          "|\n  多行\n  文字", '"\\u202e反转"', "（一）", "(九)", "- x"]


def _cli(root):
    from docgen.cli import cli

    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["--root", str(root), *args], catch_exceptions=False)
    return run


@pytest.fixture(scope="module")
def fuzz_ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz") / "ws"
    root.mkdir()
    shutil.copy(REPO / "office.yaml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "casefiles", root / "casefiles")
    (root / "archive").mkdir()
    # one archived document, so that queries find, rank and highlight something (numbers are
    # registered in git, so the workspace is a repository)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "案卷"]):
        subprocess.run(["git", "-C", str(root), "-c", "user.name=fuzz", "-c", "user.email=fuzz@example.cn", *args],
                       check=True)
    imported = _cli(root)("archive", "import", str(REPO / "imports/000_a2361d05c55e95d7.txt"), "--date", "2021-01-04")
    assert imported.exit_code == 0, imported.output
    return root


def _chinese_json(result) -> dict:
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    doc = json.loads(result.stdout)
    if isinstance(doc, dict) and doc.get("ok") is False:
        assert result.exit_code != 0 and HAN.search(doc["error"]), doc
        assert all(HAN.search(e["message"]) for e in doc.get("errors", [])), doc
    return doc


def _check_then_render(run, ws, text: str | bytes, printed: str = ""):
    """check, and render what passes; `printed`: text whose letters, digits and Han characters
    the document must show, in order (a character silently dropped is a wrong document)."""
    path = ws / DOC
    original = path.read_bytes()
    try:
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        checked = _chinese_json(run("check", "2021-yt-001", "--json"))
        if checked["ok"]:
            rendered = run("render", "2021-yt-001", "summons", "--json", "--out", str(ws / "out"))
            assert rendered.exit_code in (0, 1) and "Traceback" not in rendered.output, rendered.output
            if rendered.exit_code:
                assert HAN.search(rendered.stderr), rendered.output
            else:
                shown = iter("".join(paragraphs(json.loads(rendered.stdout)[0]["docx"])))
                wanted = [c for c in printed if c.isalnum()]
                assert all(c in shown for c in wanted), f"{printed!r} not printed in full"
    finally:
        path.write_bytes(original)


@st.composite
def mutated_casefile(draw):
    """The sample summons with random edits: characters and YAML snippets inserted, lines
    dropped or repeated."""
    lines = (REPO / DOC).read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["insert", "snippet", "value", "drop", "repeat"]))
        if action == "drop" and len(lines) > 1:
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "value" and ": " in lines[i]:  # a whole value replaced, as an edit would
            lines[i] = lines[i].split(": ", 1)[0] + ": " + draw(st.sampled_from(VALUES)) + "\n"
        else:
            piece = (draw(st.text(st.sampled_from(YAML_CHARS), min_size=1, max_size=6)) if action == "insert"
                     else draw(st.sampled_from(SNIPPETS)))
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + piece + lines[i][at:]
    return "".join(lines)


@fuzz(20)
@given(text=mutated_casefile())
def test_mutated_casefiles_get_a_chinese_answer(fuzz_ws, text):
    _check_then_render(_cli(fuzz_ws), fuzz_ws, text)


# Any character, with the troublesome ones often: controls, line and paragraph separators, a BOM,
# non-characters, lone surrogates (they reach YAML as "\ud800" escapes), YAML's indicators.
ODD = list("\x00\x07\x85\u2028\ufeff\uffff\ud800\udfff\u202e\u3000：,(#&\"")
WORDS = ["城关镇", "人民政府", "约谈", "隐患", "2021年", "（一）", "A&B", "<公司>", "{{ x }}", "🚧", "0571234", "12:30"]
clerk_text = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), st.characters()), max_size=8).map("".join)
shapes = st.recursive(st.none() | st.text(max_size=20),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)
FIELDS = ["title", "date", "unit", "interviewees", "clause", "reason", "time", "place", "content", "materials",
          "contact", "copy_number", "cc", "signers", "print_date", "nosuch"]
TEXT_FIELDS = ["title", "unit", "place", "contact", "phone", "note", "reason", "content", "interviewees"]


def _with_value(fuzz_ws, field, value, printed: str = ""):
    """The sample with one field set to `value`, written the way docgen writes YAML."""
    from docgen import yamlio

    data = yamlio.plain(yamlio.load(REPO / DOC))
    data[field] = [value] if field in ("content", "interviewees") and isinstance(value, str) else value
    text = yamlio.dump(data) + "\n"
    if re.search("[\ud800-\udfff]", json.dumps(data, ensure_ascii=False)) is None:
        assert yamlio.plain(yamlio.loads(text, "x.yaml")) == data  # what is written reads back unchanged
    _check_then_render(_cli(fuzz_ws), fuzz_ws, text, printed)


@fuzz(20)
@given(field=st.sampled_from(FIELDS), value=shapes)
def test_any_shape_in_any_field_gets_a_chinese_answer(fuzz_ws, field, value):
    _with_value(fuzz_ws, field, value)


@fuzz(20)
@given(field=st.sampled_from(TEXT_FIELDS), value=clerk_text)
def test_any_text_in_a_text_field_is_refused_or_printed(fuzz_ws, field, value):
    _with_value(fuzz_ws, field, value, printed=value)


@fuzz(30)
@given(query=st.lists(st.text(max_size=12), max_size=3),
       options=st.lists(st.tuples(st.sampled_from(["--type", "--year", "--unit", "--from", "--to", "--limit",
                                                   "--sort"]), st.text(max_size=10)), max_size=3))
def test_search_inputs_get_a_chinese_answer(fuzz_ws, query, options):
    run = _cli(fuzz_ws)
    args = [a for option in options for a in option] + ["--json", "--", *query]
    _chinese_json(run("search", *args))


@fuzz(10)
@given(on=st.one_of(st.dates().map(str), st.text(max_size=12)), within=st.one_of(st.integers(-5, 10 ** 6).map(str),
                                                                                  st.text(max_size=6)))
def test_due_inputs_get_a_chinese_answer(fuzz_ws, on, within):
    run = _cli(fuzz_ws)
    _chinese_json(run("due", "--json", f"--on={on}", f"--within={within}"))
