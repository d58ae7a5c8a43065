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

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO

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
    # one archived document, so that queries find, rank and highlight something
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


def _check_then_render(run, ws, text: str | bytes):
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
    finally:
        path.write_bytes(original)


@st.composite
def mutated_casefile(draw):
    """The sample summons with random edits: characters and YAML snippets inserted, lines
    dropped or repeated."""
    lines = (REPO / DOC).read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["insert", "snippet", "drop", "repeat"]))
        if action == "drop" and len(lines) > 1:
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        else:
            piece = (draw(st.text(st.sampled_from(YAML_CHARS), min_size=1, max_size=6)) if action == "insert"
                     else draw(st.sampled_from(SNIPPETS)))
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + piece + lines[i][at:]
    return "".join(lines)


@fuzz(30)
@given(text=mutated_casefile())
def test_mutated_casefiles_get_a_chinese_answer(fuzz_ws, text):
    _check_then_render(_cli(fuzz_ws), fuzz_ws, text)


values = st.recursive(st.none() | st.text(max_size=30),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)
FIELDS = ["title", "date", "unit", "interviewees", "clause", "reason", "time", "place", "content", "materials",
          "contact", "copy_number", "cc", "signers", "print_date", "nosuch"]


@fuzz(25)
@given(field=st.sampled_from(FIELDS), value=values)
def test_any_value_in_any_field_gets_a_chinese_answer(fuzz_ws, field, value):
    """Well-formed YAML of any shape and any character, written the way docgen writes YAML."""
    from docgen import yamlio

    data = yamlio.plain(yamlio.load(REPO / DOC))
    data[field] = value
    text = yamlio.dump(data) + "\n"
    assert yamlio.plain(yamlio.loads(text, "x.yaml")) == data  # what is written reads back unchanged
    _check_then_render(_cli(fuzz_ws), fuzz_ws, text)


@fuzz(40)
@given(query=st.lists(st.text(max_size=12), max_size=3),
       options=st.lists(st.tuples(st.sampled_from(["--type", "--year", "--unit", "--from", "--to", "--limit",
                                                   "--sort"]), st.text(max_size=10)), max_size=3))
def test_search_inputs_get_a_chinese_answer(fuzz_ws, query, options):
    run = _cli(fuzz_ws)
    args = [a for option in options for a in option] + ["--json", "--", *query]
    _chinese_json(run("search", *args))


@fuzz(15)
@given(on=st.one_of(st.dates().map(str), st.text(max_size=12)), within=st.one_of(st.integers(-5, 10 ** 6).map(str),
                                                                                  st.text(max_size=6)))
def test_due_inputs_get_a_chinese_answer(fuzz_ws, on, within):
    run = _cli(fuzz_ws)
    _chinese_json(run("due", "--json", f"--on={on}", f"--within={within}"))
