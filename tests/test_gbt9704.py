"""The standard's text rules, as a clerk would read them on the page."""

import datetime as dt

import pytest

from docgen import gbt9704 as gb

TOL = gb.mm(0.5)  # the placements' tolerance, in twips


def test_page_geometry_is_a4_with_the_standard_margins():
    assert (gb.PAGE_WIDTH, gb.PAGE_HEIGHT) == (11906, 16838)
    assert abs(gb.MARGIN_TOP - 2098) <= 1 and abs(gb.MARGIN_LEFT - 1587) <= 1
    assert abs(gb.MARGIN_RIGHT - 1474) <= 1 and abs(gb.MARGIN_BOTTOM - 1984) <= 1
    assert gb.LINE_PITCH * 22 <= gb.TEXT_HEIGHT < gb.LINE_PITCH * 23
    # 28 condensed body characters fit the 156 mm line, 29 do not.
    pitch = gb.BODY_PT * 20 + gb.CHAR_CONDENSE
    assert 28 * pitch <= gb.TEXT_WIDTH < 29 * pitch


@pytest.mark.parametrize("n,text", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"),
                                    (35, "三十五"), (99, "九十九")])
def test_chinese_numerals(n, text):
    assert gb.chinese_numeral(n) == text


def test_heading_labels_follow_the_four_levels():
    assert [gb.heading_label(level, 2) for level in (1, 2, 3, 4)] == ["二、", "（二）", "2.", "（2）"]


@pytest.mark.parametrize(("text", "last", "printed"), [
    ("属地管理责任落实情况", False, "属地管理责任落实情况；"),
    ("隐患整改方案及整改责任分解表", True, "隐患整改方案及整改责任分解表。"),
    ("整改情况书面汇报材料（加盖单位公章）", False, "整改情况书面汇报材料（加盖单位公章）；"),
    ("开展“两客一危”专项整治", True, "开展“两客一危”专项整治。"),
    ("已写句号。", False, "已写句号。"),      # a clerk's own mark is kept
    ("立即整改；", True, "立即整改；"),
    ("会议要求：", False, "会议要求："),
    ("他说“马上整改。”", True, "他说“马上整改。”"),
])
def test_list_items_written_as_phrases_end_with_semicolons_and_a_full_stop(text, last, printed):
    assert gb.list_item(text, last) == printed


def test_dates_and_numbers_have_no_leading_zeros():
    assert gb.format_date(dt.date(2021, 1, 6)) == "2021年1月6日"
    assert gb.format_datetime(dt.datetime(2021, 11, 5, 9, 0)) == "2021年11月5日9时"
    assert gb.format_datetime(dt.datetime(2021, 11, 5, 9, 30)) == "2021年11月5日9时30分"
    assert gb.format_number("石安委办", 2021, 16) == "石安委办〔2021〕16号"
    assert gb.NUMBER_RE.match("石安委办〔2021〕16号")
    assert not gb.NUMBER_RE.match("石安委办〔2021〕016号")
    with pytest.raises(ValueError):
        gb.format_number("石安委办", 2021, 0)


def test_attachment_note_numbers_only_several_attachments():
    assert gb.attachment_lines(["隐患清单"]) == ["附件：隐患清单"]
    assert gb.attachment_lines(["甲", "乙"]) == ["附件：1. 甲", "2. 乙"]


def test_unsealed_signature_places_the_date_two_characters_right_of_the_name():
    name, date = "石泉县安全生产委员会办公室", "2021年10月29日"
    char = 156 / 28 * gb.MM  # the grid's character, in twips
    name_w, date_w = gb.text_width(name), gb.text_width(date)
    assert abs(name_w - 13 * char) < TOL  # (the date's width is measured on the PDF: test_pdf_layout)
    name_right, date_right = gb.signature_indents(name_w, date_w)
    assert abs(name_right - 2 * char) < TOL
    # the date's first character is two characters right of the name's first character
    assert abs((name_right + name_w) - (date_right + date_w) - 2 * char) < TOL
    # a date longer than the name keeps two characters from the right edge
    name_right, date_right = gb.signature_indents(3 * char, date_w)
    assert abs(date_right - 2 * char) < TOL and abs(name_right + 3 * char - (date_right + date_w) - 2 * char) < TOL


def test_sealed_signature_centres_the_name_on_the_date_four_characters_in():
    char = 156 / 28 * gb.MM
    name_w, date_w = gb.text_width("县安委办"), gb.text_width("2021年10月29日")
    name_right, date_right = gb.signature_indents(name_w, date_w, sealed=True)
    assert abs(date_right - 4 * char) < TOL
    assert abs((name_right + name_w / 2) - (date_right + date_w / 2)) < TOL


def test_mark_size_fits_the_text_block_and_the_22x15mm_limit():
    assert gb.mark_size_pt("县安委办文件") == 42
    long = "石泉县安全生产委员会办公室文件"
    assert gb.mark_size_pt(long) * len(long) * 20 <= gb.TEXT_WIDTH
