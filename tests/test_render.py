"""Rendered documents read back from the .docx: the GB/T 9704 layout a reader would check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from conftest import REPO, W, paragraphs, part
from docgen import gbt9704 as gb
from docgen.casefile import all_case_ids, load_case
from docgen.render import Renderer, render_case
from docgen.workspace import Workspace

SAMPLES = [(case_id, path.stem) for case_id in all_case_ids(Workspace(REPO))
           for path in sorted(load_case(Workspace(REPO), case_id).document_paths())]


def render(workspace: Path, case_id: str, doc_id: str, number: str | None = None) -> Path:
    ws = Workspace(workspace)
    doc = load_case(ws, case_id).document(doc_id)
    out = workspace / "out" / f"{case_id}-{doc_id}.docx"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(Renderer(ws).render_bytes(doc, number))
    return out


def xml(docx: Path, name="word/document.xml"):
    return etree.fromstring(part(docx, name).encode())


def style(docx: Path, style_id: str):
    return xml(docx, "word/styles.xml").find(f"{W}style[@{W}styleId='{style_id}']")


def rpr_value(node, tag, attr="val"):
    found = node.find(f".//{W}rPr/{W}{tag}")
    return None if found is None else found.get(f"{W}{attr}")


def paragraphs_with_style(docx: Path, style_id: str) -> list[str]:
    body = xml(docx)
    return ["".join(t.text or "" for t in p.iter(f"{W}t"))
            for p in body.iter(f"{W}p") if p.find(f"{W}pPr/{W}pStyle[@{W}val='{style_id}']") is not None]


@pytest.fixture(params=SAMPLES, ids=["/".join(s) for s in SAMPLES])
def sample(request, workspace):
    case_id, doc_id = request.param
    return render(workspace, case_id, doc_id), load_case(Workspace(workspace), case_id).document(doc_id)


def test_every_sample_has_the_page_of_the_standard(sample):
    docx, _ = sample
    sect = xml(docx).find(f".//{W}body/{W}sectPr")
    size = sect.find(f"{W}pgSz")
    assert (int(size.get(f"{W}w")), int(size.get(f"{W}h"))) == (11906, 16838)
    mar = sect.find(f"{W}pgMar")
    for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert abs(int(mar.get(f"{W}{side}")) / gb.MM - mm) < 0.5, side
    grid = sect.find(f"{W}docGrid")
    assert int(grid.get(f"{W}linePitch")) * 22 <= gb.TEXT_HEIGHT


def test_every_sample_uses_the_standard_type(sample):
    docx, doc = sample
    fonts = {sid: rpr_value(style(docx, sid), "rFonts", "eastAsia") for sid in
             ("Body", "DocTitle", "Heading1GB", "Heading2GB", "DocNumber")}
    assert fonts == {"Body": "仿宋_GB2312", "DocTitle": "方正小标宋简体", "Heading1GB": "黑体",
                     "Heading2GB": "楷体_GB2312", "DocNumber": "仿宋_GB2312"}
    assert rpr_value(style(docx, "Body"), "sz") == "32"       # 3号
    assert rpr_value(style(docx, "DocTitle"), "sz") == "44"   # 2号
    assert paragraphs_with_style(docx, "DocTitle") == [doc.title.replace("\n", "")]


def test_office_mark_is_red_title_type_and_fits(sample):
    docx, doc = sample
    mark_style = "LetterMark" if doc.type.form == "letter" else "Mark"
    assert rpr_value(style(docx, mark_style), "color") == gb.RED
    assert rpr_value(style(docx, mark_style), "rFonts", "eastAsia") == gb.FONT_TITLE
    # 信函格式 draws the mark in a text box placed on the first page; the other forms open the
    # body with it.
    mark_p = next(p for p in xml(docx).iter(f"{W}p")
                  if p.find(f"{W}pPr/{W}pStyle[@{W}val='{mark_style}']") is not None)
    text = "".join(t.text or "" for t in mark_p.iter(f"{W}t"))
    expected = doc.values.get("mark") or "石泉县安全生产委员会办公室" + doc.type.mark
    assert text == expected
    size = int(rpr_value(mark_p, "sz")) / 2
    assert size == gb.mark_size_pt(text) and size * gb.text_width_em(text) * 20 <= gb.TEXT_WIDTH


def test_draft_number_is_a_visible_placeholder_and_issued_number_is_exact(workspace):
    draft = render(workspace, "2021-yt-001", "summons")
    assert paragraphs_with_style(draft, "DocNumber") == ["石安委办〔    〕  号"]
    issued = render(workspace, "2021-yt-001", "summons", number=gb.format_number("石安委办", 2021, 16))
    assert paragraphs_with_style(issued, "DocNumber") == ["石安委办〔2021〕16号"]
    # the red rule under the number (§7.2.6)
    rule = xml(issued).find(f".//{W}pStyle[@{W}val='DocNumber']/../{W}pBdr/{W}bottom")
    assert rule is not None and rule.get(f"{W}color") == gb.RED


def test_copy_number_security_and_urgency_only_when_set(workspace):
    """§7.2.1-7.2.3: 份号 as six digits, 密级★保密期限, 紧急程度, in that order, above the mark."""
    plain = render(workspace, "2021-yt-001", "summons")
    assert paragraphs(plain)[0] == "石泉县安全生产委员会办公室文件"
    path = workspace / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "copy_number: 12\nsecurity: 秘密\nsecret_term: 1年\nurgency: 特急\n", encoding="utf-8")
    marked = render(workspace, "2021-yt-001", "summons")
    assert paragraphs(marked)[:4] == ["000012", "秘密★1年", "特急", "石泉县安全生产委员会办公室文件"]
    assert paragraphs_with_style(marked, "CopyNumber") == ["000012"]
    assert paragraphs_with_style(marked, "Marking") == ["秘密★1年", "特急"]
    assert rpr_value(style(marked, "Marking"), "rFonts", "eastAsia") == "黑体"


def test_copy_number_must_be_digits(workspace, run):
    path = workspace / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "copy_number: 第12份\n", encoding="utf-8")
    result = run("check", "2021-yt-001", "--json")
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert error["field"] == "copy_number" and "第12份" in error["message"]


def test_signature_and_date_unsealed_layout(sample):
    docx, doc = sample
    signers = doc.values.get("signers") or ["石泉县安全生产委员会办公室"]
    names = paragraphs_with_style(docx, "Signature")
    dates = paragraphs_with_style(docx, "SignDate")
    assert names == signers  # joint issuers one under another (§7.3.5.2)
    assert dates == [gb.format_date(doc.values["date"])]
    assert re.fullmatch(r"\d{4}年[1-9]\d?月[1-9]\d?日", dates[0])


def test_odd_and_even_footers_carry_page_numbers(sample):
    docx, _ = sample
    assert xml(docx, "word/settings.xml").find(f"{W}evenAndOddHeaders") is not None
    sect = xml(docx).find(f".//{W}body/{W}sectPr")
    rels = part(docx, "word/_rels/document.xml.rels")
    footers = {}
    for ref in sect.findall(f"{W}footerReference"):
        rid = ref.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
            re.search(rf'Target="([^"]+)"[^>]*Id="{rid}"', rels)
        footers[ref.get(f"{W}type")] = xml(docx, "word/" + target.group(1))
    for kind, align in (("default", "right"), ("even", "left")):
        footer = footers[kind]
        text = "".join(t.text or "" for t in footer.iter(f"{W}t"))
        assert text.startswith("— ") and text.endswith(" —")
        assert "PAGE" in "".join(i.text for i in footer.iter(f"{W}instrText"))
        assert footer.find(f".//{W}jc").get(f"{W}val") == align
        assert rpr_value(footer, "rFonts", "eastAsia") == gb.FONT_SONG
        assert rpr_value(footer, "sz") == "28"  # 4号


def banji(docx: Path) -> list:
    """The 版记 top to bottom: its lines of text, and each rule as its width in eighths of a
    point (a rule must be drawn across the whole width, so its paragraph has no indents)."""
    out = []
    for p in xml(docx).find(f".//{W}txbxContent").iter(f"{W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        top = p.find(f"{W}pPr/{W}pBdr/{W}top")
        if top is not None:
            assert not text and p.find(f"{W}pPr/{W}pBdr/{W}bottom") is None
            ind = p.find(f"{W}pPr/{W}ind")
            assert all(ind.get(f"{W}{side}") == "0" for side in ("left", "right", "hanging", "firstLine"))
            out.append(int(top.get(f"{W}sz")))
        else:
            out.append(text)
    return out


THICK, THIN = (round(w / 25.4 * 72 * 8) for w in (gb.RULE_THICK, gb.RULE_THIN))


def test_banji_has_cc_and_printer_between_rules_at_the_foot(workspace):
    docx = render(workspace, "2021-yt-001", "summons")
    # first and last rules thick (0.35 mm), the one between thin (0.25 mm)
    assert banji(docx) == [THICK, "抄送：县委办，县政府办，县纪委监委。", THIN,
                           "石泉县安全生产委员会办公室2021年10月29日印发", THICK]
    assert THICK > THIN > 0
    assert rpr_value(style(docx, "Banji"), "sz") == "28"  # 4号
    # the box ends on the text block's lower edge
    wp = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
    anchor, extent = xml(docx).find(f".//{wp}positionV"), xml(docx).find(f".//{wp}extent")
    assert anchor.get("relativeFrom") == "margin"
    assert int(anchor[0].text) + int(extent.get("cy")) == gb.TEXT_HEIGHT * 635
    assert not any("{{" in t or "{%" in t for t in paragraphs(docx))


def test_banji_without_cc_keeps_both_thick_rules(workspace):
    path = workspace / "casefiles/2021/2021-yt-001/summons.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "cc: []\n", encoding="utf-8")
    assert banji(render(workspace, "2021-yt-001", "summons")) == [
        THICK, "石泉县安全生产委员会办公室2021年10月29日印发", THICK]


def test_body_headings_are_numbered_by_level(workspace):
    ws = Workspace(workspace)
    path = workspace / "casefiles/2021/2021-yt-001/notice-x.yaml"
    path.write_text("""type: notice
title: 关于测试的通知
date: 2021-03-01
recipients: 各镇人民政府
body:
  - 开头段。
  - heading: 第一部分
    body:
      - heading: 小节甲
        body:
          - heading: 要点
            body: [{heading: 细目, body: [细目正文。]}]
      - heading: 小节乙
  - heading: 第二部分
    body: [第二部分正文。]
""", encoding="utf-8")
    docx = render(workspace, "2021-yt-001", "notice-x")
    assert paragraphs_with_style(docx, "Heading1GB") == ["一、第一部分", "二、第二部分"]
    assert paragraphs_with_style(docx, "Heading2GB") == ["（一）小节甲", "（二）小节乙"]
    # §7.3.3: levels 3 and 4 are headings too, in 仿宋 like the text, kept with what follows
    assert paragraphs_with_style(docx, "Heading3GB") == ["1.要点"]
    assert paragraphs_with_style(docx, "Heading4GB") == ["（1）细目"]
    assert paragraphs_with_style(docx, "Body")[:2] == ["开头段。", "细目正文。"]
    for level in (3, 4):
        assert rpr_value(style(docx, f"Heading{level}GB"), "rFonts", "eastAsia") == gb.FONT_BODY
        assert style(docx, f"Heading{level}GB").find(f"{W}pPr/{W}keepNext") is not None
    assert load_case(ws, "2021-yt-001").document("notice-x").values["body"][0] == "开头段。"


def test_render_case_writes_all_documents(workspace):
    ws = Workspace(workspace)
    results = render_case(ws, "2021-yt-001", None, workspace / "drafts")
    assert [r.docx.name for r in results] == [f"2021-yt-001-{p.stem}.docx"
                                              for p in load_case(ws, "2021-yt-001").document_paths()]
    assert all(r.docx.stat().st_size > 0 for r in results)
