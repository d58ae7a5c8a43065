"""Casefiles: one folder per matter, casefiles/<year>/<case-id>/, holding case.yaml and one
YAML file per document drafted in the case. The tool reads them and never rewrites them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docgen import yamlio
from docgen.doctypes import KIND_NAMES, RETENTIONS, DocType, Field, Validator
from docgen.errors import DocgenError, Problem
from docgen.workspace import Workspace

CASE_FILE = "case.yaml"
# Ids become folder and file names: letters, digits, CJK, - _ · only; never a path.
ID_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff_\-·]*$")

CASE_FIELDS = {f.name: f for f in [
    Field("title", "案卷题名", required=True, help="一句话说明本案卷办理的事项",
          example="城关镇未按期整改挂牌重大事故隐患约谈"),
    Field("kind", "事项类别", required=True, help="约谈、督查、巡查、通报、挂牌督办、联合执法、会议 等",
          example="约谈"),
    Field("opened", "立卷日期", kind="date", required=True, example="2021-11-01"),
    Field("units", "涉及单位", kind="list", example=["城关镇人民政府"]),
    Field("persons", "涉及人员", kind="list", example=["李强（城关镇镇长）"]),
    Field("summary", "案情摘要", kind="paragraphs", example="城关镇辖区内挂牌督办的重大事故隐患逾期未整改。"),
    Field("retention", "保管期限（覆盖文书类型的默认值）", choices=tuple(RETENTIONS)),
    Field("status", "办理状态", help="办理中 或 已办结", example="办理中"),
    Field("events", "办理记录（报告收到、验收、销号等，用于期限跟踪）", kind="table", columns={
        c.name: c for c in [
            Field("date", "日期", kind="date", required=True),
            Field("event", "事件", required=True, help="如：收到书面报告、验收合格、销号"),
            Field("item", "关闭的期限事项", help="该事件办结的期限事项（文书名或事项名）"),
            Field("note", "备注"),
        ]}),
]}


def check_id(value: str, what: str) -> str:
    """Case and document ids name folders: refuse anything that could escape them."""
    if not ID_RE.match(value or "") or ".." in value:
        raise DocgenError(f"{what}「{value}」不合法：只能用字母、数字、汉字、-、_、·，且不能含路径分隔符或「..」")
    return value


@dataclass
class Document:
    case: Case
    id: str
    path: Path
    type: DocType
    values: dict

    @property
    def title(self) -> str:
        """The title on one line: a break typed in the casefile only shapes the printed title."""
        return self.values["title"].replace("\n", "")

    @property
    def retention(self) -> str:
        return self.values.get("retention") or self.case.values.get("retention") or self.type.retention


@dataclass
class Case:
    workspace: Workspace
    id: str
    path: Path
    values: dict

    @property
    def year(self) -> int:
        return int(self.path.parent.name)

    def document_paths(self) -> list[Path]:
        return sorted(p for p in self.path.glob("*.yaml") if p.name != CASE_FILE)

    def load_document(self, path: Path) -> Document:
        ws = self.workspace
        shown = ws.relative(path)
        data = yamlio.load(path, shown_as=shown)
        type_id = data.get("type")
        if not type_id:
            raise DocgenError(Problem("缺少文书类型 type（如 summons 约谈通知书）", shown, 1, "type"))
        doctype = ws.find_type(str(type_id))
        if doctype is None:
            raise DocgenError(Problem(f"未知文书类型「{type_id}」，可用：{ws.type_names()}", shown,
                                      data.line_of("type"), "type"))
        check = Validator(shown)
        values = check.mapping(doctype.fields, data, ignore=("type",))
        check.raise_if_failed()
        return Document(self, path.stem, path, doctype, values)

    def documents(self) -> list[Document]:
        return [self.load_document(p) for p in self.document_paths()]

    def document(self, doc_id: str) -> Document:
        check_id(doc_id, "文书名")
        path = self.path / f"{doc_id}.yaml"
        if not path.is_file():
            have = "、".join(p.stem for p in self.document_paths()) or "（无）"
            raise DocgenError(f"案卷 {self.id} 中没有文书「{doc_id}」，现有：{have}")
        return self.load_document(path)


def case_dir(ws: Workspace, case_id: str) -> Path | None:
    check_id(case_id, "案卷号")
    found = [p for p in ws.casefiles.glob(f"[0-9][0-9][0-9][0-9]/{case_id}") if p.is_dir()]
    if len(found) > 1:
        raise DocgenError(f"案卷号 {case_id} 在多个年度下重复：{'、'.join(ws.relative(p) for p in found)}")
    return found[0] if found else None


def load_case(ws: Workspace, case_id: str) -> Case:
    path = case_dir(ws, case_id)
    if path is None:
        raise DocgenError(f"找不到案卷 {case_id}（应在 casefiles/<年度>/{case_id}/ 下）")
    shown = ws.relative(path / CASE_FILE)
    data = yamlio.load(path / CASE_FILE, shown_as=shown)
    check = Validator(shown)
    values = check.mapping(CASE_FIELDS, data)
    check.raise_if_failed()
    return Case(ws, case_id, path, values)


def all_case_ids(ws: Workspace) -> list[str]:
    return sorted(p.parent.name for p in ws.casefiles.glob(f"[0-9][0-9][0-9][0-9]/*/{CASE_FILE}"))


def check(ws: Workspace, case_ids: list[str] | None = None,
          more: Callable[[Case, list[Document]], None] | None = None) -> list[Problem]:
    """Every problem in office.yaml, the declarations and the given casefiles (default all).
    `more(case, documents)` checks what this layer cannot (deadline events), raising
    DocgenError; it runs for each case whose documents are valid."""
    problems: list[Problem] = []

    def collect(action):
        try:
            return action()
        except DocgenError as exc:
            problems.extend(exc.problems)
            return None

    if collect(lambda: (ws.office, ws.types)) is None:
        return problems
    for case_id in case_ids or all_case_ids(ws):
        case = collect(lambda: load_case(ws, case_id))
        # the documents are checked even when case.yaml is wrong: a new case has both to fill in
        folder = case.path if case else collect(lambda: case_dir(ws, case_id))
        if folder is None:
            continue
        holder = case or Case(ws, case_id, folder, {})
        docs = [collect(lambda: holder.load_document(path)) for path in holder.document_paths()]
        if case is not None and None not in docs and more:
            collect(lambda: more(case, docs))
    return problems


# ---------------------------------------------------------------- new casefiles

def _yaml_value(value) -> str:
    import yaml

    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=False, sort_keys=False).strip()
    text = text.removesuffix("\n...").strip()
    if isinstance(value, (list, dict)):
        return "\n" + "\n".join("  " + line for line in text.splitlines())
    return " " + text


def skeleton(fields: dict[str, Field], header: str, filled: dict | None = None) -> str:
    """A YAML file listing every field with a Chinese comment. Required ones are left empty with
    their example in the comment, so that `docgen check` fails until the clerk fills them in and
    no sample value can be issued by mistake; optional ones are commented out; `filled` values
    (the type) are written as they are."""
    filled = filled or {}
    lines = [header, "# 必填项在前，冒号后空着的都要填写（例子在其上方的注释中）；可选项以 # 开头，删去 # 即可启用。",
             "# 填好后运行 docgen check 校验。", ""]
    ordered = sorted(fields.items(), key=lambda item: not item[1].required)
    for name, spec in ordered:
        need = "必填" if spec.required else "可选"
        kind = KIND_NAMES[spec.kind]
        lines.append(f"# {spec.label}（{need}，{kind}）" + (f"：{spec.help}" if spec.help else ""))
        if spec.choices:
            lines.append(f"# 可选值：{'、'.join(spec.choices)}")
        example = spec.example
        if example is None and spec.kind == "table":
            example = [{c: col.example or f"（{col.label}）" for c, col in spec.columns.items()}]
        if name in filled:
            entry = f"{name}:{_yaml_value(filled[name])}"
        elif spec.required:
            if example is not None:
                shown = _yaml_value(example)
                lines.extend([f"# 例：{shown.strip()}"] if not shown.startswith("\n")
                             else ["# 例："] + ["# " + line for line in shown.strip("\n").splitlines()])
            entry = f"{name}:"
        else:
            entry = "\n".join("# " + line for line in f"{name}:{_yaml_value(example) if example is not None else ''}".splitlines())
        lines.extend([entry, ""])
    return "\n".join(lines)


def create(ws: Workspace, type_id: str, case_id: str, year: int) -> list[Path]:
    """Start a document of a type in a case, creating the case folder if new. Never overwrites."""
    from docgen.fsio import atomic_write

    doctype = ws.doctype(type_id)
    check_id(case_id, "案卷号")
    existing = case_dir(ws, case_id)
    folder = existing or ws.casefiles / str(year) / case_id
    made = []
    if existing is None:
        atomic_write(folder / CASE_FILE, skeleton(CASE_FIELDS, f"# 案卷 {case_id}：本事项的基本情况与办理记录"))
        made.append(folder / CASE_FILE)
    path, n = folder / f"{doctype.id}.yaml", 1
    while path.exists():
        n += 1
        path = folder / f"{doctype.id}-{n}.yaml"
    header = f"# {doctype.name}（{doctype.id}）" + (f"　依据：{doctype.basis}" if doctype.basis else "")
    atomic_write(path, skeleton({"type": Field("type", "文书类型", required=True), **doctype.fields}, header,
                                {"type": doctype.id}))
    made.append(path)
    return made
