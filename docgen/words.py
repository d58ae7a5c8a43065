"""Chinese words, for line breaks that keep words whole (GB/T 9704 §7.3.1 词意完整).

jieba with the vocabulary of work-safety documents it would otherwise split; loaded on first
use (its dictionary takes a second to load), with its cache in a folder of the user's own.
"""

from __future__ import annotations

import os
from pathlib import Path

# Terms of the trade that must never be split at a line's end.
OFFICE_WORDS = (
    "安全生产", "安全监管", "安委会", "安委办", "常态化", "挂牌督办", "重大事故隐患", "重大火灾隐患",
    "事故隐患", "巡查评估", "突击暗访", "联合执法", "反馈意见", "反馈问题", "联席会议", "督查意见",
    "住房和城乡建设局", "应急管理局", "市场监管局", "排洪设施", "岁末年初", "十条措施", "三合一",
    "集贸市场", "第一季度", "第二季度", "第三季度", "第四季度", "一岗双责", "党政同责", "有限空间",
    "危险化学品", "人民政府", "街道办事处", "非煤矿山", "烟花爆竹", "冶金工贸", "重点行业", "行业领域",
    "专项整治", "大检查", "回头看", "隐患清单", "人员密集场所",
)

_tokenizer = None


def cache_dir() -> Path:
    """A writable folder of the user's own for jieba's dictionary cache (the default, /tmp,
    may be shared with other users)."""
    base = os.environ.get("DOCGEN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    path = Path(base) / "docgen" if base else Path.home() / ".cache" / "docgen"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    import tempfile
    return Path(tempfile.gettempdir())


def tokenizer(vocabulary):
    """A jieba tokenizer that knows `vocabulary` besides its own dictionary (the title breaks
    here and the search index each have theirs)."""
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.tmp_dir = str(cache_dir())
    for word in vocabulary:
        tok.add_word(word)
    return tok


def words(text: str) -> list[str]:
    """The words of a text, in order; joined they give the text back."""
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = tokenizer(OFFICE_WORDS)
    return list(_tokenizer.cut(text, HMM=True))
