"""GB/T 9704-2012 党政机关公文格式: every rule of the standard that docgen applies, in one place.

Templates are built from these values (docgen.blueprint) and tests check rendered documents
against them, so a rule changes here or nowhere. Section numbers are the standard's.
Lengths are in twips (1/20 pt; 1 mm = 56.69 twips) unless the name says otherwise.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

MM = 1440 / 25.4  # twips per millimetre


def mm(value: float) -> int:
    return round(value * MM)


# §5.2 Page: A4, 版心 156 × 225 mm.
PAGE_WIDTH = mm(210)
PAGE_HEIGHT = mm(297)
MARGIN_TOP = mm(37)
MARGIN_BOTTOM = mm(35)
MARGIN_LEFT = mm(28)
MARGIN_RIGHT = mm(26)
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH = TEXT_HEIGHT // LINES_PER_PAGE  # ≈ 28.9 pt: 22 lines fill the text block
# §7.5: the 一字线 of the page number is 7 mm below the text block. The footer is one exact
# 4号 line (PAGE_NUMBER_LINE) whose bottom sits FOOTER_DISTANCE above the page edge, and the
# dashes are drawn at about the middle of that line.
PAGE_NUMBER_LINE = 14 * 20
FOOTER_DISTANCE = MARGIN_BOTTOM - mm(7) - PAGE_NUMBER_LINE // 2

# Type sizes (号) in points.
SIZES = {"初号": 42, "一号": 26, "小一": 24, "二号": 22, "小二": 18, "三号": 16,
         "小三": 15, "四号": 14, "小四": 12, "五号": 10.5}
BODY_PT = SIZES["三号"]
# 28 characters of body type must fit 156 mm: the character pitch is a little under 16 pt,
# so body type is condensed by a fraction of a point (in twentieths, as w:spacing takes it).
# A line grid plus this spacing lays out the same in Word and LibreOffice; LibreOffice does
# not honour Word's characters grid (w:docGrid linesAndChars).
CHAR_PITCH_PT = TEXT_WIDTH / 20 / CHARS_PER_LINE
CHAR_CONDENSE = -math.ceil((BODY_PT - CHAR_PITCH_PT) * 20)

# Font names as Chinese offices have them (East Asian font of each run).
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
FONT_LATIN = "Times New Roman"

RED = "FF0000"
RULE_THICK = 0.35  # mm, 版记 first and last rules
RULE_THIN = 0.25   # mm, 版记 rules between
RULE_LINE = 20       # twips: each 版记 rule is a one-point paragraph of its own ...
RULE_PARAGRAPH = 40  # ... and takes up to a point more for its border
BANJI_PT = 14        # 4号
BANJI_LINE = round(LINE_PITCH * 0.9)  # exact line of the 抄送 and 印发 lines

# Heading levels §7.3.3: numbering and face of each level.
HEADING_FONTS = {1: FONT_HEI, 2: FONT_KAI, 3: FONT_BODY, 4: FONT_BODY}

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五, 1010 → 一千零一十 (ordinals in headings)."""
    if not 0 < n < 10000:
        raise ValueError(f"heading ordinal out of range: {n}")
    if n < 20:  # 十二, not 一十二
        return ("十" if n >= 10 else "") + (_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for unit, value in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = n // value % 10
        if digit:
            out += ("零" if zero and out else "") + _DIGITS[digit] + unit
        zero = not digit
    return out


def heading_label(level: int, n: int) -> str:
    """The number of the n-th heading at a level: 一、 （一） 1. （1）."""
    if level == 1:
        return f"{chinese_numeral(n)}、"
    return f"（{chinese_numeral(n)}）" if level == 2 else (f"{n}." if level == 3 else f"（{n}）")


# A sentence already closed: 。；！？：… possibly followed by closing quotes or brackets.
_CLOSED = re.compile(r"[。；！？：…][”’」』）)]*$")


def list_item(text: str, last: bool) -> str:
    """An item of a numbered list as it is printed: items written as phrases end with ；, the
    last with 。 (a proofreader marks a list whose items stop without a mark)."""
    text = text.rstrip()
    return text if _CLOSED.search(text) else text + ("。" if last else "；")


def format_date(value: _dt.date) -> str:
    """成文日期 §7.3.5: Arabic numerals, year in full, no leading zeros: 2021年10月26日."""
    return f"{value.year}年{value.month}月{value.day}日"


def format_datetime(value: _dt.datetime) -> str:
    """A meeting time as notices write it: 2021年11月5日9时30分 (minutes only when set)."""
    text = f"{format_date(value)}{value.hour}时"
    return text + (f"{value.minute}分" if value.minute else "")


def format_number(prefix: str, year: int, seq: int) -> str:
    """发文字号 §7.2.4: 机关代字 + 〔年份〕 + 序号 + 号, no 第, no leading zeros."""
    if seq < 1:
        raise ValueError("发文字号序号从 1 开始")
    return f"{prefix}〔{year}〕{seq}号"


def draft_number(prefix: str) -> str:
    """A draft has no number yet; the placeholder stays visible on the page."""
    return f"{prefix}〔    〕  号"


NUMBER_RE = re.compile(r"^(?P<prefix>\S+?)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


def text_width_em(text: str) -> float:
    """Width in body characters: CJK and full-width count 1, ASCII (Times digits) about half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def banji_height(cc_text: str, printed: bool = True) -> int:
    """Height in twips of the 版记 (§7.4): its rules, the 抄送 lines and the 印发 line; a
    letter's (printed=False) has neither rules nor 印发 line (§10.1).

    The 抄送 is one character in from each side and its wrapped lines align after 抄送：
    (four characters in); one character a line is left for line-breaking rules, so the
    estimate errs high, which only leaves blank space above the first rule."""
    per_em = TEXT_WIDTH / 20 / BANJI_PT
    lines = int(printed)
    if cc_text:
        rest = text_width_em(f"抄送：{cc_text}。") - (per_em - 3)
        lines += 1 + max(0, math.ceil(rest / (per_em - 6)))
    rules = lines + 1 if lines and printed else 0
    # a millimetre to spare: too high a box only leaves blank space above the 版记
    return lines * BANJI_LINE + rules * RULE_PARAGRAPH + mm(1)


def mark_size_pt(mark: str) -> float:
    """发文机关标志 §7.2.5: as large as looks balanced on one line, at most 22 × 15 mm a
    character (so no larger than about 42 pt), and never wider than the text block."""
    fit = TEXT_WIDTH / 20 / max(text_width_em(mark), 1) * 0.95
    return min(SIZES["初号"], round(fit * 2) / 2)


# The largest mark's line, for the template's style (a placed mark sets its own).
MARK_LINE = mm(15)
# Where the mark's ink lies in an exact line 1.15 em high off the line grid, in ems from the
# line's top (the 小标宋 stand-in, measured in LibreOffice's PDFs at 28 to 42 pt, in the body
# and in a text box: 0.07-0.10 em, 0.2 mm either way): it starts 0.075 em down and ends 1.01 em
# down. A line about as high as the ink leaves room above the mark for 份号, 密级 and 紧急程度
# together (three lines, 30.7 mm of the 35).
MARK_LINE_EM, MARK_INK_TOP_EM, MARK_INK_BOTTOM_EM = 1.15, 0.075, 1.01
# Where 3号 body type lies in a line of the grid: its em box starts 3.01 mm under the line's
# top (FandolFang, the 仿宋 stand-in, measured likewise).
BODY_EM_TOP = mm(3.01)


def mark_spacing(size_pt: float, lines_above: int = 0) -> tuple[int, int]:
    """(space before, exact line height) of the mark's paragraph, so that its ink starts
    35 mm under the text block's top (§7.2.5) below `lines_above` lines of 份号, 密级 and
    紧急程度."""
    em = size_pt * 20
    before = mm(35) - MARK_INK_TOP_EM * em - lines_above * LINE_PITCH
    return max(0, round(before)), round(MARK_LINE_EM * em)


SIGNER_LABEL = "签发人："


def signer_lines(signers: list[str]) -> tuple[list[str], int, int]:
    """上行文's 签发人 (§7.2.7): the names in the issuers' order, two a line, a full-width
    space between; the block ends one character in from the right, wrapped lines aligned
    with the first name. Returns (the lines of names, where the label starts, where the
    names start: twips from the text block's left edge)."""
    lines = ["\u3000".join(signers[i:i + 2]) for i in range(0, len(signers), 2)]
    names_at = TEXT_WIDTH - BODY_PT * 20 - text_width(lines[0])
    return lines, names_at - text_width(SIGNER_LABEL), names_at


def number_spacing(size_pt: float) -> int:
    """Space before the 发文字号 (§7.2.4): two blank lines under the mark's ink, whose line
    ends a little below it (its descent)."""
    return round(2 * LINE_PITCH - (MARK_LINE_EM - MARK_INK_BOTTOM_EM) * size_pt * 20)


# §7.2.6: the red rule 4 mm under the 发文字号, drawn as the number paragraph's bottom border,
# which LibreOffice and Word draw `space` points under the paragraph's last line.
RULE_UNDER_NUMBER = mm(4)
RED_RULE_PT = 1  # the rule's weight; the standard does not give one


def number_rule_space_pt() -> int:
    """Points between the 发文字号's line and its red rule, so the rule lies 4 mm under the
    number's characters (their em box)."""
    below_type = LINE_PITCH - BODY_EM_TOP - BODY_PT * 20
    return max(0, round((RULE_UNDER_NUMBER - below_type) / 20))


# The red rule as a paragraph's bottom border: (weight in eighths of a point, colour, space).
NUMBER_RULE = (RED_RULE_PT * 8, RED, number_rule_space_pt())


# §10.1 信函格式. Lengths in mm from the page's edges; the rules' weights are docgen's (the
# standard gives none): a double rule is a thick line, a gap and a thin line.
LETTER_MARK_TOP = 30
LETTER_RULE_LENGTH = 170
LETTER_RULE_UNDER_MARK = 4
LETTER_RULE_ABOVE_FOOT = 20
LETTER_RULE_THICK, LETTER_RULE_GAP, LETTER_RULE_THIN = 0.8, 0.5, 0.3
LETTER_NUMBER_UNDER_RULE = 7 / 8 * BODY_PT * 20  # twips: 7/8 of a 3号 character's height


def letter_frame(mark_pt: float) -> dict:
    """Where the parts of a letter's first page go (§10.1), for a mark of `mark_pt` points:
    the mark's line (top, height in twips from the page's top), the four red lines of the two
    double rules (top, height in twips: thick over thin under the mark, thin over thick 20 mm
    above the foot) and the space before the 发文字号, 7/8 of a 3号 character under the first
    double rule, as the first line of the text block."""
    em = mark_pt * 20
    mark_top = mm(LETTER_MARK_TOP) - MARK_INK_TOP_EM * em
    upper = mark_top + MARK_INK_BOTTOM_EM * em + mm(LETTER_RULE_UNDER_MARK)
    thick, gap, thin = mm(LETTER_RULE_THICK), mm(LETTER_RULE_GAP), mm(LETTER_RULE_THIN)
    lower = PAGE_HEIGHT - mm(LETTER_RULE_ABOVE_FOOT) - (thick + gap + thin)
    rules = [(upper, thick), (upper + thick + gap, thin), (lower, thin), (lower + thin + gap, thick)]
    number_top = upper + thick + gap + thin + LETTER_NUMBER_UNDER_RULE
    return {"mark_top": round(mark_top), "mark_line": round(MARK_LINE_EM * em),
            "rules": [(round(top), round(height)) for top, height in rules],
            "number_before": max(0, round(number_top - MARGIN_TOP - BODY_EM_TOP))}


# §7.3.1 标题: 2号小标宋, centred; several lines keep words whole and form a trapezoid or a
# diamond, never a rectangle or an hourglass.
TITLE_PT = SIZES["二号"]
TITLE_MAX = TEXT_WIDTH - TITLE_PT * 20  # a title line leaves at least a character of air
# Words a title line should not begin with, or end with (it reads on into the next line).
_OPENS_BADLY = {"的", "和", "与", "及", "等", "之", "了", "”", "）", "》", "、", "，"}
_ENDS_BADLY = {"关于", "对", "和", "与", "及", "在", "“", "（", "《"}


def title_lines(title: str) -> list[str]:
    """A title broken into lines as §7.3.1 wants: at word boundaries, each line fitting the
    text block, the lines a trapezoid (longer over shorter, or the reverse) or a diamond,
    balanced but never all alike. A title given with line breaks (\\n) keeps them."""
    from itertools import combinations

    if "\n" in title or text_width(title, TITLE_PT) <= TITLE_MAX:
        return title.split("\n")
    from docgen.words import words

    parts = words(title)
    fewest = math.ceil(text_width(title, TITLE_PT) / TITLE_MAX)
    best, best_score = None, math.inf
    for n in (fewest, fewest + 1):
        for cuts in combinations(range(1, len(parts)), n - 1):
            bounds = (0, *cuts, len(parts))
            lines = ["".join(parts[a:b]) for a, b in zip(bounds, bounds[1:])]
            widths = [text_width(line, TITLE_PT) for line in lines]
            if max(widths) > TITLE_MAX:
                continue
            score = _title_shape(widths) + 3 * (n - fewest)
            for a in cuts:
                before, after, head = parts[a - 1], parts[a], "".join(parts[:a])
                score += 3 * (after in _OPENS_BADLY or before in _ENDS_BADLY)
                score += 3 * any(head.count(o) > head.count(c) for o, c in ("“”", "（）", "《》"))  # inside quotes
                score += 0.5 * (len(before) == 1 or len(after) == 1)  # 池河|镇, 2021|年
            if score < best_score:
                best, best_score = lines, score
    return best or [title]


def _title_shape(widths: list[int]) -> float:
    """How far lines of these widths are from a good title shape (0 is best)."""
    char = TITLE_PT * 20
    longest = max(widths)
    if longest - min(widths) < char:
        return 10  # a rectangle
    if any(b < a and b < c for a, b, c in zip(widths, widths[1:], widths[2:])):
        return 10  # an hourglass
    if len(widths) == 2:  # best longer over shorter, the lower line 55-85 % of the upper
        ratio = min(widths) / longest
        return 4 * max(0, 0.55 - ratio, ratio - 0.85) + (0.5 if widths[1] > widths[0] else 0)
    return sum(((w - sum(widths) / len(widths)) / longest) ** 2 for w in widths)


# Tables (§8 of the design notes): 小四 text at its own exact line, cell margins of 1.5 mm.
TABLE_PT = SIZES["小四"]
TABLE_LINE = round(TABLE_PT * 20 * 1.25)
TABLE_CELL_MARGIN = mm(1.5)
# What a cell keeps on one line: a month and day (10月15日), a number with its unit, a Latin word.
_UNBREAKABLE = re.compile(r"\d{1,2}月\d{1,2}日|[0-9A-Za-z.%\-]+[年月日号时个条家起人]?")
SHORT_LABEL = 4  # a header label of up to four characters stays on one line
SHORT_CELL = 4   # so does a cell of up to four (整改中, 云雾山镇)


def column_widths(header: list[str], rows: list[list[str]], width: int = TEXT_WIDTH) -> list[int]:
    """Column widths (twips) of a table as wide as `width`, from its content: a header label
    of up to four characters on one line (序号 never breaks), a longer one in two at most,
    short cells, dates, numbers and Latin words whole, and each
    further character of width goes to the column where it saves most lines of the whole
    table, or else most lines of its cells (the rest to the columns with the most text)."""
    from docgen.words import words

    pad = 2 * TABLE_CELL_MARGIN + TABLE_PT * 20 // 4  # the cell's margins and some air
    step = TABLE_PT * 20  # a character

    def w(text: str) -> int:
        return text_width(text, TABLE_PT)

    def least(label: str) -> int:  # a short label whole; a long one in at most two lines, words whole
        if len(label) <= SHORT_LABEL:
            return w(label)
        return max([w(word) for word in words(label)] + [math.ceil(len(label) / 2) * step])

    columns = list(zip(header, *rows))
    def whole(cell: str) -> list[str]:
        return [cell] if len(cell) <= SHORT_CELL else _UNBREAKABLE.findall(cell)

    widths = [max([least(col[0]), step] + [w(m) for cell in col[1:] for m in whole(cell)]) + pad for col in columns]

    def height(ws: list[int]) -> int:
        """Lines of the table, then (as a tie-break) lines of all its cells."""
        lines = [[math.ceil(w(cell) / (wc - pad)) if cell else 1 for cell, wc in zip(row, ws)]
                 for row in [header, *rows]]
        return sum(100 * max(row) + sum(row) for row in lines)

    while sum(widths) + step <= width:
        now = height(widths)
        gains = [now - height(widths[:j] + [widths[j] + step] + widths[j + 1:]) for j in range(len(widths))]
        if max(gains) <= 0:
            break
        widths[gains.index(max(gains))] += step
    text = [sum(w(cell) for cell in col) for col in columns]
    spare = width - sum(widths)
    return _fill([wc + spare * t // max(sum(text), 1) for wc, t in zip(widths, text)], width)


_CELL_DATE = re.compile(r"(\d{4}年)\d{1,2}月\d{1,2}日")


def cell_break(text: str, width: int) -> int | None:
    """Where a cell of `width` twips breaks its text by hand, or None: a date too wide for one
    line goes on two, the year over the month and day (LibreOffice would break after 10 in
    2021年10|月15日)."""
    date = _CELL_DATE.fullmatch(text)
    inner = width - 2 * TABLE_CELL_MARGIN
    if date and text_width(text, TABLE_PT) > inner:
        return len(date.group(1))
    return None


def _fill(widths: list[int], width: int) -> list[int]:
    """Widths whose sum is exactly `width` (the rounding goes to the widest column)."""
    widths[widths.index(max(widths))] += width - sum(widths)
    return widths


def copy_number(value: str) -> str:
    """份号 §7.2.1: six Arabic digits."""
    return f"{int(value):06d}"


def security_line(security: str, term: str | None = None) -> str:
    """密级和保密期限 §7.2.2: 秘密★1年; the level alone when no term is set."""
    return f"{security}★{term}" if term else security


# One character of body type as set: its advance less the condensing (the grid's character).
CHAR = BODY_PT * 20 + CHAR_CONDENSE


# Space LibreOffice puts between Chinese and Latin letters or digits (its Asian-Latin
# autospace, which it applies whatever w:autoSpaceDE says), in ems: measured 3.45 pt at 3号.
AUTOSPACE_EM = 0.216


def text_width(text: str, size_pt: float = BODY_PT) -> int:
    """Advance width in twips of a line of text as set: CJK and full-width characters one em,
    ASCII (Times New Roman digits, half an em) half, each less the body's condensing, and the
    autospace wherever Chinese meets a Latin letter or digit."""
    em = size_pt * 20
    width = sum(em * (0.5 if ord(ch) < 0x2E80 else 1) + CHAR_CONDENSE for ch in text)
    cjk = [ch.isascii() and ch.isalnum() or (None if ch.isascii() else False) for ch in text]
    width += AUTOSPACE_EM * em * sum(a is not None and b is not None and a != b for a, b in zip(cjk, cjk[1:]))
    return round(width)


# §7.3.5.1: a sealed document leaves room above the 署名 for the seal, which presses on the
# name and the date from within a line under the text: the name stands three lines under it.
SEAL_LINES = 3


def signature_indents(name_width: int, date_width: int, sealed: bool = False) -> tuple[int, int]:
    """Right indents in twips of the 发文机关署名 and the 成文日期 (§7.3.5), from their widths.

    Sealed: the date four characters in from the right, the name centred on it. Unsealed: the
    name two characters in from the right and the date starting two characters right of the
    name's first character; a date longer than that keeps two characters from the right edge
    and pushes the name left instead."""
    if sealed:
        return round(4 * CHAR + (date_width - name_width) / 2), 4 * CHAR
    date_right = name_width - date_width
    if date_right >= 2 * CHAR:
        return 2 * CHAR, date_right
    return 4 * CHAR + date_width - name_width, 2 * CHAR


def attachment_lines(names: list[str]) -> list[str]:
    """附件说明 §7.3.4: 附件：name for one; 附件：1. name, then 2. name … for several;
    no punctuation after a name."""
    if len(names) == 1:
        return [f"附件：{names[0]}"]
    return [("附件：" if i == 1 else "") + f"{i}. {name}" for i, name in enumerate(names, 1)]
