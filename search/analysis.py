"""Text analysis shared by indexing and querying: folding, 文号 spelling, bigrams, title words.

What "contains" means. A document contains a literal when the literal occurs inside one
line of one of its indexed fields, both sides *folded* first (``fold``):

* full-width ASCII letters, digits and punctuation → half-width (ＰＤＦ → pdf, ，→ ,),
  ideographic space → space, Latin letters → lower case;
* a 文号's year bracket in any spelling — [2021] (2021) （2021） 〔2021〕 ［2021］ 【2021】 —
  → 〔2021〕, and the spaces people put around its parts are dropped
  (石安委办 (2021) 16 号 → 石安委办〔2021〕16号);
* runs of spaces → one space.

This is exactly what a ``grep -F`` over the folded lines finds; the index reproduces it with
positional character bigrams (see ``grams``), so the query side never has to guess.
"""

from __future__ import annotations

import re
from typing import Iterator

# --- folding -----------------------------------------------------------------------------

_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}      # ！ … ～ → ! … ~
_WIDTH[0x3000] = 0x20                                         # ideographic space
_WIDTH.update({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})
_WIDTH.update({c: c - 0xFEE0 + 32 for c in range(0xFF21, 0xFF3B)})   # Ａ-Ｚ → a-z
for _c in "\u00a0\u2002\u2003\u2009\u200a\u202f\t":         # other spaces inside a line
    _WIDTH[ord(_c)] = 0x20

# After width folding: the year bracket of a 文号 in any of its spellings.
_OPEN, _CLOSE = r"\[(〔【〖﹝", r"\])〕】〗﹞"
_NUMBER = re.compile(
    rf"(?:(?<=[\u3400-\u9fff]) )?[{_OPEN}] ?(\d{{4}}) ?[{_CLOSE}](?: ?(\d+) ?号)?")
_SPACES = re.compile(r" {2,}")
# Chinese characters of the basic plane: anchors for finding matches in a snippet quickly.
CJK_RUN = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _number(m: re.Match) -> str:
    return f"〔{m.group(1)}〕" + (f"{m.group(2)}号" if m.group(2) else "")


def fold_line(line: str) -> str:
    """One line folded (see the module docstring); no newlines in, none out."""
    return _NUMBER.sub(_number, _SPACES.sub(" ", line.translate(_WIDTH)))


def fold_mapped(line: str) -> tuple[str, list[int]]:
    """``fold_line`` and, for each character of the result, its offset in ``line``: for
    marking in the original text what was found in the folded one."""
    text = line.translate(_WIDTH)
    if "  " not in text and not _NUMBER.search(text):
        return text, range(len(text) + 1)
    kept = [i for i, c in enumerate(text) if c != " " or i == 0 or text[i - 1] != " "]
    text, offsets, out, offs, last = "".join(text[i] for i in kept), kept, [], [], 0
    for m in _NUMBER.finditer(text):
        out.append(text[last:m.start()])
        offs += offsets[last:m.start()]
        y0, y1 = m.span(1)
        opened = next(i for i in range(m.start(), y0) if text[i] in _OPEN)
        closed = next(i for i in range(y1, m.end()) if text[i] in _CLOSE)
        out.append(_number(m))
        offs += [offsets[opened]] + offsets[y0:y1] + [offsets[closed]]
        if m.group(2):
            offs += offsets[m.start(2):m.end(2)] + [offsets[m.end() - 1]]
        last = m.end()
    out.append(text[last:])
    offs += offsets[last:]
    return "".join(out), offs


def lines(text: str) -> list[str]:
    """The folded, non-blank lines of a text: a match never spans two of them."""
    return [f for f in (fold_line(line).strip() for line in text.splitlines()) if f]


def fold(text: str) -> str:
    """A whole literal folded, as a query is (lines joined by spaces)."""
    return " ".join(lines(text))


# --- positional bigrams --------------------------------------------------------------------

# Positions skipped between lines and between fields, so that no phrase of bigrams can
# join the end of one line to the start of the next.
LINE_GAP = 2


def grams(parts: list[str]) -> dict[str, list[int]]:
    """{term: positions} for the text field: every pair of adjacent characters of every
    folded line, at the position of its first character, plus each line's last
    character alone (so that a single character is found as a prefix of some term).

    A literal of n ≥ 2 characters then occurs in a line exactly when its n-1 bigrams
    occur at consecutive positions: a phrase query decides it without reading the text.
    """
    out: dict[str, list[int]] = {}
    get = out.setdefault
    pos = 0
    for part in parts:
        for line in lines(part):
            n = len(line)
            for i in range(n - 1):
                get(line[i:i + 2], []).append(pos + i)
            get(line[-1], []).append(pos + n - 1)
            pos += n + LINE_GAP
    return out


def literal_grams(literal: str) -> list[str]:
    """The bigrams a folded literal of two or more characters is searched as, in order."""
    return [literal[i:i + 2] for i in range(len(literal) - 1)]


# --- title words (ranking) -------------------------------------------------------------------

# Office vocabulary jieba splits or does not know; added so whole-word ranking sees them.
# Changing this list changes indexed terms: bump index.SCHEMA_VERSION.
DOMAIN_WORDS = (
    "约谈", "约谈通知书", "约谈纪要", "安委办", "安委会", "应急管理局", "挂牌督办", "督查",
    "巡查组", "巡查", "限期整改", "整改", "隐患", "重大事故隐患", "通报", "暗访",
    "一岗双责", "党政同责", "联席会议", "联合执法", "有限空间", "危险化学品", "销号",
)
_jieba = None


def _tokenizer():
    global _jieba
    if _jieba is None:
        from docgen.words import tokenizer
        _jieba = tokenizer(DOMAIN_WORDS)
    return _jieba


def title_words(title: str) -> Iterator[str]:
    """jieba words of a folded title, punctuation dropped. Titles only: jieba costs about
    as much as everything else together on a whole document, and a word in the title is
    what ranking rewards."""
    for line in lines(title):
        for word in _tokenizer().cut(line, HMM=False):
            if word.isalnum():
                yield word


def is_word_char(ch: str) -> bool:
    """A letter, digit or Chinese character (not punctuation or space)."""
    return ch.isalnum()
