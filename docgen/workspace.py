"""The workspace: office.yaml, rules.yaml, templates/, casefiles/, archive/ under one root folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from docgen import yamlio
from docgen.doctypes import DocType, Field, Validator, load_types
from docgen.errors import DocgenError

OFFICE_FILE = "office.yaml"
RULES_FILE = "rules.yaml"
TEMPLATES = "templates"
SAMPLE = "sample"  # in the installed package: the templates and rules.yaml `docgen init` copies

# What office.yaml holds: the issuing office's names and numbering, read into every document.
OFFICE_FIELDS = {f.name: f for f in [
    Field("name", "发文机关全称", required=True, example="××县安全生产委员会办公室"),
    Field("mark_name", "发文机关标志所用名称（全称或规范化简称）", required=True,
          example="××县安全生产委员会办公室"),
    # Spaces (ASCII or 全角) and brackets would make the number ambiguous: 石安委　办〔2021〕1号.
    Field("number_prefix", "发文字号机关代字", required=True, example="×安委办",
          help="机关代字，不能含空格（含全角空格）或〔〕[]（）", pattern=r"[^\s〔〕\[\]（）()]+"),
    # Both become part of the 档号, which names the item's folder.
    Field("fonds", "全宗号", required=True, example="J021", help="字母和数字，如 J021",
          pattern=r"[0-9A-Za-z]+"),
    Field("org_code", "机构（问题）代码", required=True, example="AWB", help="字母、数字或汉字，如 AWB",
          pattern=r"[0-9A-Za-z\u4e00-\u9fff]+"),
    Field("printer", "印发机关", required=True, example="××县安全生产委员会办公室"),
    Field("regulation", "本办制度全称（公文中引作《…》）", required=True, example="××县安全生产综合监管十项制度",
          help="不加书名号"),
    Field("cc", "默认抄送机关", kind="list", example=["县委办", "县政府办"]),
    Field("contact", "联系人", required=True, example="王明", help="通知书等印出的默认联系人"),
    Field("phone", "联系电话", required=True, example="0915-6321234"),
    Field("address", "地址", example="××县城关镇××路18号"),
]}


def bundled():
    """The shipped templates/ and sample rules.yaml (a Traversable): package data of an
    installed docgen (setup.py puts the repository's copies there), or the repository root
    itself, the demo workspace, when docgen runs from a checkout (an editable install)."""
    shipped = resources.files("docgen") / SAMPLE
    if shipped.is_dir():
        return shipped
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / RULES_FILE).is_file() and (checkout / TEMPLATES).is_dir():
        return checkout
    raise DocgenError("docgen 安装不完整：找不到内置模板和期限规则样例（docgen/sample），请重新安装")


def office_yaml(values: dict) -> str:
    """A commented office.yaml for `docgen init`: every field with its Chinese label; those
    without a value are left commented out with an example."""
    lines = ["# 发文机关信息：每份公文的版头、署名、版记和档号都从这里取值。修改后运行 docgen check。"]
    for name, spec in OFFICE_FIELDS.items():
        value = values.get(name)
        comment = f"# {spec.label}" + ("（必填）" if spec.required else "") + (f"：{spec.help}" if spec.help else "")
        lines.append(comment)
        if isinstance(value, list):
            lines.append(f"{name}:" + "".join(f"\n  - {yamlio.dump_scalar(v)}" for v in value) if value else f"{name}: []")
        elif value:
            lines.append(f"{name}: {yamlio.dump_scalar(value)}")
        else:
            example = "、".join(spec.example) if isinstance(spec.example, list) else spec.example
            lines.append(f"# {name}: {example}" if not spec.required else f"{name}:  # 例：{example}")
    return "\n".join(lines) + "\n"


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
    def fonts(self) -> Path:
        """The office's own font files (方正, 中易 …), used before any stand-in in PDFs."""
        return self.root / "fonts"

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

    def find_type(self, name: str) -> DocType | None:
        """A document type by its id (summons) or its Chinese name (约谈通知书)."""
        name = name.strip()
        return self.types.get(name) or next((t for t in self.types.values() if t.name == name), None)

    def type_names(self) -> str:
        return "、".join(f"{t}（{d.name}）" for t, d in self.types.items())

    def doctype(self, name: str) -> DocType:
        found = self.find_type(name)
        if found is None:
            raise DocgenError(f"未知文书类型「{name}」，可用：{self.type_names()}（docgen types 列出全部）")
        return found
