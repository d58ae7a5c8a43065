"""The workspace: office.yaml, templates/, casefiles/, archive/ under one root folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from docgen import yamlio
from docgen.doctypes import DocType, Field, Validator, load_types
from docgen.errors import DocgenError

OFFICE_FILE = "office.yaml"
# The shipped office.yaml and templates that `docgen init` copies (this source tree's root).
BUNDLED = Path(__file__).resolve().parent.parent

# What office.yaml holds: the issuing office's names and numbering, read into every document.
OFFICE_FIELDS = {f.name: f for f in [
    Field("name", "发文机关全称", required=True, example="石泉县安全生产委员会办公室"),
    Field("mark_name", "发文机关标志所用名称（全称或规范化简称）", required=True,
          example="石泉县安全生产委员会办公室"),
    # Spaces (ASCII or 全角) and brackets would make the number ambiguous: 石安委　办〔2021〕1号.
    Field("number_prefix", "发文字号机关代字", required=True, example="石安委办",
          help="机关代字，不能含空格（含全角空格）或〔〕[]（）", pattern=r"[^\s〔〕\[\]（）()]+"),
    # Both become part of the 档号, which names the item's folder.
    Field("fonds", "全宗号", required=True, example="J021", help="字母和数字，如 J021",
          pattern=r"[0-9A-Za-z]+"),
    Field("org_code", "机构（问题）代码", required=True, example="AWB", help="字母、数字或汉字，如 AWB",
          pattern=r"[0-9A-Za-z\u4e00-\u9fff]+"),
    Field("printer", "印发机关", required=True, example="石泉县安全生产委员会办公室"),
    Field("cc", "默认抄送机关", kind="list", example=["县委办", "县政府办"]),
    Field("contact", "联系人", example="王明"),
    Field("phone", "联系电话", example="0915-6321234"),
    Field("address", "地址", example="石泉县城关镇江南路18号"),
]}


def find_root(option: str | None = None) -> Path:
    """--root, else DOCGEN_ROOT, else the nearest folder upward holding office.yaml."""
    explicit = option or os.environ.get("DOCGEN_ROOT")
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / OFFICE_FILE).is_file():
            raise DocgenError(f"{root} 不是 docgen 工作区（缺少 {OFFICE_FILE}），可用 docgen init 创建")
        return root
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / OFFICE_FILE).is_file():
            return folder
    raise DocgenError(f"当前目录及其上级都没有 {OFFICE_FILE}：请在工作区内运行，或用 --root 指定，或先 docgen init")


@dataclass
class Workspace:
    root: Path

    @classmethod
    def find(cls, option: str | None = None) -> Workspace:
        return cls(find_root(option))

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def casefiles(self) -> Path:
        return self.root / "casefiles"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    def relative(self, path: Path) -> str:
        """Paths in messages are shown relative to the workspace, as a clerk sees them."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    @cached_property
    def office(self) -> dict:
        path = self.root / OFFICE_FILE
        data = yamlio.load(path, shown_as=OFFICE_FILE)
        check = Validator(OFFICE_FILE)
        values = check.mapping(OFFICE_FIELDS, data)
        check.raise_if_failed()
        values.setdefault("cc", [])
        return values

    @cached_property
    def types(self) -> dict[str, DocType]:
        return load_types(self.templates)

    def doctype(self, type_id: str) -> DocType:
        try:
            return self.types[type_id]
        except KeyError:
            known = "、".join(f"{t}（{d.name}）" for t, d in self.types.items())
            raise DocgenError(f"未知文书类型「{type_id}」，可用：{known}") from None
