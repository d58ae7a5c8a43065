"""Reading documents for the archive: the full text of a .docx (docgen's own, for the index,
or one it did not make), and for `docgen archive import` the text of a .pdf or .txt and the
title, 文号, date and issuer where the text shows them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from docgen.errors import DocgenError

# Title endings (文种) and the document type each maps to, longest first.
KINDS = [("约谈通知书", "summons"), ("约谈纪要", "memorandum"), ("反馈意见", "feedback"),
         ("巡查评估报告", "patrol_report"), ("巡查报告", "patrol_report"), ("通报", "bulletin"),
         ("通知", "notice"), ("纪要", None), ("意见", None), ("制度", None), ("办法", None),
         ("决定", None), ("报告", None), ("方案", None), ("规定", None), ("细则", None), ("函", None)]
NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}〔\d{4}〕\d+号")
DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


@dataclass
class Found:
    text: str
    title: str | None = None
    number: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    type_id: str | None = None
    type_name: str | None = None
    pages: int | None = None


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(data: bytes) -> str:
    """Paragraph text of a .docx, body and text boxes, one paragraph a line."""
    import io
    import zipfile

    from lxml import etree

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    lines = []
    for p in root.iter(f"{W}p"):
        text = "".join(node.text or "" if node.tag == f"{W}t" else "\n"
                       for node in p.iter(f"{W}t", f"{W}br") if _own(node, p))
        if text.strip():
            lines.append(text)
    return "\n".join(lines)


def _own(node, paragraph) -> bool:
    """True when node belongs to paragraph itself, not to a text box nested inside it."""
    parent = node.getparent()
    while parent is not None and parent is not paragraph:
        if parent.tag == f"{W}p":
            return False
        parent = parent.getparent()
    return True


def read_document(path: Path) -> Found:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DocgenError(f"要导入的文件不存在或不是文件：{path}")
    if suffix == ".txt":
        found = Found(_read_text(path))
    elif suffix == ".docx":
        found = _read_docx(path)
    elif suffix == ".pdf":
        found = _read_pdf(path)
    else:
        raise DocgenError(f"{path.name}：只能导入 .docx、.pdf 或 .txt 文件")
    _fill_from_text(found)
    return found


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocgenError(f"{path.name}：无法识别文字编码（应为 UTF-8 或 GB18030）")


def _read_docx(path: Path) -> Found:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a readable .docx"
        raise DocgenError(f"{path.name} 不是可读取的 Word 文件：{exc}") from None
    found = Found(docx_text(path.read_bytes()))
    found.title = (document.core_properties.title or "").strip() or None
    return found


def _read_pdf(path: Path) -> Found:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, OSError, ValueError) as exc:
        raise DocgenError(f"{path.name} 不是可读取的 PDF 文件：{exc}") from None
    found = Found(text, pages=len(reader.pages))
    title = (reader.metadata or {}).get("/Title")
    found.title = str(title).strip() if title else None
    return found


def _fill_from_text(found: Found) -> None:
    lines = [re.sub(r"\s+", " ", line).strip() for line in found.text.splitlines()]
    lines = [line for line in lines if line]
    # The document's own 文号 stands on a line of its own in the header (a 文号 quoted in the
    # text is another document's).
    for line in lines[:6]:
        match = NUMBER.match(line.strip("()（） "))
        if match and (match.end() == len(line.strip("()（） ")) or "签发人" in line):
            found.number = match.group(0)
            break
    found.title = found.title or _title(lines)
    # The 成文日期 closes the document: the last date among its last lines.
    for i in range(len(lines) - 1, max(len(lines) - 8, -1), -1):
        dates = DATE.findall(lines[i])
        if dates:
            try:
                found.date = dt.date(*map(int, dates[-1]))
            except ValueError:
                continue
            above = lines[i - 1] if i > 0 else ""
            if above and not DATE.search(above) and len(above) <= 60:
                found.issuer = "、".join(above.split(" "))
            break
    for word, type_id in KINDS:
        if found.title and found.title.endswith(word):
            found.type_id, found.type_name = type_id, word
            break


def _title(lines: list[str]) -> str | None:
    """A title starting 关于 may run over several lines until its 文种; else the first line
    that ends with a 文种 word."""
    for i, line in enumerate(lines[:8]):
        if line.startswith("关于"):
            title = line
            for more in lines[i + 1:i + 4]:
                if any(title.endswith(word) for word, _ in KINDS):
                    break
                title += more
            return title
    for line in lines[:5]:
        if len(line) <= 60 and any(line.endswith(word) for word, _ in KINDS):
            return line
    return None
