"""Fonts as printed: the PDF's body is set in a 仿宋 face and level-2 headings in a 楷体 face;
an office's own font in the workspace's fonts/ is the one embedded; no system-wide alias file
can change that; `docgen fonts` reports what each template font name resolves to."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import REPO, one_document_workspace, part
from docgen import fonts
from docgen.render import Renderer, render_case, typeset
from docgen.workspace import Workspace

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                reason="LibreOffice (soffice) not installed")

CASE = "2021-bx-002"
TITLE = "关于开展安全生产大检查的通知"
BODY = ("各镇、各部门要按照县委、县政府的统一部署，认真组织开展安全生产大检查，全面排查治理事故隐患，"
        "坚决遏制较大以上生产安全事故发生。")
HEADING1 = "总体要求"
HEADING2 = "突出重点行业领域"


def make_workspace(root: Path) -> Workspace:
    body = [BODY, {"heading": HEADING1, "body": [BODY, {"heading": HEADING2, "body": [BODY]}]}]
    return Workspace(one_document_workspace(
        root, CASE, {"title": "字体测试", "kind": "通知", "opened": "2021-10-20"}, "notice",
        {"type": "notice", "title": TITLE, "date": "2021-10-26", "recipients": "各镇人民政府", "body": body}))


def render_pdf(ws: Workspace) -> tuple[Path, Path]:
    renderer = Renderer(ws)
    rendered = render_case(ws, CASE, ["notice"], ws.root / "out", renderer)
    [pdf] = typeset(renderer, rendered)
    return rendered[0].docx, pdf


def faces(pdf: Path) -> dict[str, set[str]]:
    """Printed text → the embedded fonts it is set in (subset tags removed), for each run
    of CJK text on every page."""
    found: dict[str, set[str]] = {}
    for page in PdfReader(pdf).pages:
        def visit(text, _cm, _tm, font, _size):
            if font and re.search(r"[\u4e00-\u9fff]", text):
                found.setdefault(text.strip(), set()).add(str(font["/BaseFont"]).lstrip("/").split("+")[-1])
        page.extract_text(visitor_text=visit)
    return found


def face_of(found: dict[str, set[str]], text: str) -> set[str]:
    return set().union(*(f for t, f in found.items() if text in t))


def pdffonts(pdf: Path) -> dict[str, str]:
    """pdffonts' rows: font name without subset tag → the row."""
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return {row.split()[0].split("+")[-1]: row for row in rows}


@pytest.fixture(scope="module")
def stock(tmp_path_factory) -> Path:
    _docx, pdf = render_pdf(make_workspace(tmp_path_factory.mktemp("stock") / "ws"))
    return pdf


def test_body_in_fangsong_and_level2_headings_in_kaiti(stock):
    found = faces(stock)
    assert face_of(found, BODY[:20]) == {"FandolFang-Regular"}
    assert face_of(found, "（一）" + HEADING2) == {"FandolKai-Regular"}
    assert face_of(found, "一、" + HEADING1) == {"FandolHei-Regular"}
    [title] = face_of(found, TITLE)
    assert title.startswith("NotoSerifCJK") and "Bold" in title  # 小标宋
    listed = pdffonts(stock)
    for face in ("FandolFang-Regular", "FandolKai-Regular", "FandolHei-Regular", title):
        assert re.search(r"\s+yes\s+yes\s+yes\s+\d+\s+\d+$", listed[face]), listed[face]  # embedded


# ------------------------------------------------------------------ the office's own fonts

def office_font(source: Path, family: str, postscript: str, text: str, out: Path) -> Path:
    """A font file made from an installed OTF, cut down to the characters of `text` and
    renamed: family `family` (as Windows and fontconfig read it), PostScript name `postscript`."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    options = subset.Options()
    options.name_IDs, options.name_languages, options.notdef_outline = ["*"], ["*"], True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))) + "0123456789")
    subsetter.subset(font)
    names = font["name"]
    names.names = [n for n in names.names if n.nameID not in (1, 2, 3, 4, 6, 16, 17)]
    for lang in (0x409, 0x804):
        for name_id, value in ((1, family), (2, "Regular"), (3, postscript), (4, family), (6, postscript)):
            names.setName(value, name_id, 3, 1, lang)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName = top.FamilyName = postscript
        for fd in getattr(top, "FDArray", []):  # CID-keyed fonts name each font dict too
            fd.FontName = postscript
    font.save(out)
    return out


def _installed(family: str) -> Path:
    out = subprocess.run(["fc-match", "--format", "%{file}", family], capture_output=True, text=True).stdout
    assert family.lower().replace(" ", "") in out.lower().replace(" ", ""), f"{family} not installed: {out}"
    return Path(out)


@pytest.fixture(scope="module")
def own(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A workspace whose fonts/ holds the office's 仿宋_GB2312 (FandolKai's glyphs under that
    name, so it cannot be mistaken for the stand-in)."""
    ws = make_workspace(tmp_path_factory.mktemp("own") / "ws")
    [draft] = render_case(ws, CASE, ["notice"], ws.root / "out", Renderer(ws))  # the text to cover
    text = part(draft.docx, "word/document.xml")
    ws.fonts.mkdir()
    office_font(_installed("FandolKai"), "仿宋_GB2312", "DocgenOfficeFangSong",
                re.sub(r"<[^>]+>", "", text), ws.fonts / "office-fangsong.otf")
    docx, pdf = render_pdf(ws)
    return ws.root, docx, pdf


def test_a_font_in_the_workspace_fonts_folder_is_the_one_embedded(own):
    _root, _docx, pdf = own
    found = faces(pdf)
    assert face_of(found, BODY[:20]) == {"DocgenOfficeFangSong"}
    assert "DocgenOfficeFangSong" in pdffonts(pdf)
    assert "FandolFang-Regular" not in pdffonts(pdf)
    assert face_of(found, "（一）" + HEADING2) == {"FandolKai-Regular"}  # the others keep their stand-ins


def test_docgen_fonts_reports_faces_and_substitutes(own):
    from click.testing import CliRunner

    from docgen.cli import cli

    root, _docx, _pdf = own
    result = CliRunner().invoke(cli, ["--root", str(root), "fonts", "--json"])
    assert result.exit_code == 0, result.output
    report = {f["name"]: f for f in json.loads(result.output)["fonts"]}
    # every font name the templates set, read from the templates themselves
    assert set(report) == {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体", "Times New Roman"}
    assert report["仿宋_GB2312"] | {"file": None} == {
        "name": "仿宋_GB2312", "family": "仿宋_GB2312", "style": "Regular", "file": None,
        "substitute": False, "own": True, "role": "正文"}
    assert Path(report["仿宋_GB2312"]["file"]).parent == root / "fonts"
    assert (report["楷体_GB2312"]["family"], report["楷体_GB2312"]["substitute"]) == ("FandolKai", True)
    assert (report["方正小标宋简体"]["family"], report["方正小标宋简体"]["style"]) == ("Noto Serif CJK SC", "Bold")
    assert report["黑体"]["family"] == "FandolHei"
    assert report["Times New Roman"]["family"] == "Liberation Serif"
    assert all(not f["own"] for name, f in report.items() if name != "仿宋_GB2312")

    text = CliRunner().invoke(cli, ["--root", str(root), "fonts"]).output
    assert re.search(r"仿宋_GB2312\s+→ 仿宋_GB2312 Regular\s+本单位字体（fonts/office-fangsong.otf）", text), text
    assert re.search(r"楷体_GB2312\s+→ FandolKai Regular\s+替代字体", text), text


def test_template_font_names_come_from_the_templates(tmp_path):
    """A name a clerk set in a template shows up; fonts of styles nothing uses do not."""
    from docx import Document

    path = tmp_path / "t.docx"
    doc = Document()
    run = doc.add_paragraph("正文").add_run("华文中宋")
    run.font.name = "华文中宋"
    doc.save(path)
    names = fonts.template_font_names([path])
    assert "华文中宋" in names
    assert "Courier" not in names  # python-docx's unused built-in styles (Macro Text) name it
    assert fonts.template_font_names(sorted((REPO / "templates").glob("*.docx")))[:6] == [
        n.name for n in fonts.NAMES]


# ------------------------------------------------------------------ stale system-wide aliases

# What packaging/fonts/65-docgen-gbt9704.conf said before this version, as other checkouts may
# still install it into /etc/fonts/conf.d: 仿宋 as Noto Serif Light, 楷体 as AR PL UKai.
STALE = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <alias binding="strong"><family>仿宋</family><accept><family>仿宋_GB2312</family></accept></alias>
  <match target="pattern">
    <test name="family" qual="any"><string>仿宋_GB2312</string></test>
    <edit name="weight" mode="assign" binding="strong"><const>light</const></edit>
  </match>
  <match target="pattern">
    <test name="family" qual="any"><string>仿宋_GB2312</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Serif CJK SC</string></edit>
  </match>
  <match target="pattern">
    <test name="family" qual="any"><string>楷体_GB2312</string></test>
    <edit name="family" mode="assign" binding="strong"><string>AR PL UKai CN</string></edit>
  </match>
</fontconfig>
"""


@pytest.fixture
def stale_system(tmp_path) -> Path:
    """The system configuration with the stale alias file among its rules."""
    (tmp_path / "65-docgen-gbt9704.conf").write_text(STALE, "utf-8")
    system = tmp_path / "fonts.conf"
    system.write_text('<?xml version="1.0"?>\n<fontconfig>\n'
                      f'  <include>{fonts.SYSTEM_CONFIG}</include>\n'
                      f'  <include>{tmp_path / "65-docgen-gbt9704.conf"}</include>\n</fontconfig>\n', "utf-8")
    return system


def _fc_match(config: Path, name: str) -> str:
    return subprocess.run(["fc-match", "--format", "%{family[0]}:%{style}", name],
                          capture_output=True, text=True, env={**os.environ, "FONTCONFIG_FILE": str(config)}).stdout


def test_a_stale_alias_file_changes_nothing(tmp_path, stale_system, own):
    # the stale file does what it did: under it alone, 仿宋 is Noto Serif Light
    assert _fc_match(stale_system, "仿宋").startswith("Noto Serif CJK SC:")
    config = tmp_path / "docgen.conf"
    fonts.write_configuration(config, None, system=stale_system)
    assert _fc_match(config, "仿宋") == "FandolFang:Regular"
    assert _fc_match(config, "楷体_GB2312") == "FandolKai:Regular"
    # ... and an office font under the very name the stale file maps still wins
    root = own[0]
    fonts.write_configuration(config, root / "fonts", system=stale_system)
    assert _fc_match(config, "仿宋_GB2312") == "仿宋_GB2312:Regular"
    assert [r.family for r in fonts.resolve(["仿宋", "楷体"], root / "fonts", system=stale_system)] == [
        "仿宋_GB2312", "FandolKai"]


def test_the_filing_stamp_is_set_in_the_workspace_fonts(own, tmp_path):
    from pypdf import PdfWriter

    from docgen import stamp

    root, _docx, _pdf = own
    blank = tmp_path / "blank.pdf"  # a page of its own, so only the stamp's text is on it
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(blank)
    cell = BODY[:2]  # characters the office's font holds
    stamped = tmp_path / "stamped.pdf"
    stamp.apply(blank, [[cell, "2021", "0001"], ["AWB", "D30", "1"]], stamped, fonts=root / "fonts")
    assert face_of(faces(stamped), cell) == {"DocgenOfficeFangSong"}
