"""Casefiles: one folder per matter, casefiles/<year>/<case-id>/, holding case.yaml and one
YAML file per document drafted in the case. The tool reads them and never rewrites them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from docgen import yamlio
from docgen.doctypes import KIND_NAMES, RETENTIONS, DocType, Field, Validator
from docgen.errors import DocgenError, Problem
from docgen.ids import check_id, check_year
from docgen.workspace import Workspace

CASE_FILE = "case.yaml"

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
            Field("item", "关闭的期限事项", help="该事件办结的期限事项（文书名或事项名）", proofread=False),
            Field("note", "备注"),
        ]}),
]}


def inside(ws: Workspace, path: Path, shown: str) -> Path:
    """`path` when it stays in the workspace; a casefile (or a folder of one) that is a link
    to elsewhere would read, render and archive files the office does not keep."""
    try:
        path.resolve().relative_to(ws.root.resolve())
    except ValueError:
        raise DocgenError(Problem("是指向工作区以外的链接，不予读取；请把文件复制到案卷中", shown)) from None
    return path


@dataclass
class Document:
    case: Case
    id: str
    path: Path
    type: DocType
    values: dict
    warnings: list[Problem] = field(default_factory=list)  # what a proofreader would mark

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
    warnings: list[Problem] = field(default_factory=list)

    @property
    def year(self) -> int:
        return int(self.path.parent.name)

    def document_paths(self) -> list[Path]:
        return sorted(p for p in self.path.glob("*.yaml") if p.name != CASE_FILE)

    def load_document(self, path: Path) -> Document:
        ws = self.workspace
        shown = ws.relative(path)
        data = yamlio.load(inside(ws, path, shown), shown_as=shown)
        type_id = data.get("type")
        if type_id is None or isinstance(type_id, str) and not type_id.strip():
            raise DocgenError(Problem("缺少文书类型 type（如 summons 约谈通知书）", shown, 1, "type"))
        if not isinstance(type_id, str):
            raise DocgenError(Problem("文书类型 type 应为一个类型名（如 summons），不能是列表或映射",
                                      shown, data.line_of("type"), "type"))
        check_id(path.stem, "文书名")
        doctype = ws.find_type(type_id)
        if doctype is None:
            raise DocgenError(Problem(f"未知文书类型「{type_id}」，可用：{ws.type_names()}", shown,
                                      data.line_of("type"), "type"))
        check = Validator(shown)
        values = check.mapping(doctype.fields, data, ignore=("type",))
        check.raise_if_failed()
        return Document(self, path.stem, path, doctype, values, check.warnings)

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
    return inside(ws, found[0], ws.relative(found[0])) if found else None


def load_case(ws: Workspace, case_id: str) -> Case:
    path = case_dir(ws, case_id)
    if path is None:
        raise DocgenError(f"找不到案卷 {case_id}（应在 casefiles/<年度>/{case_id}/ 下）")
    shown = ws.relative(path / CASE_FILE)
    data = yamlio.load(inside(ws, path / CASE_FILE, shown), shown_as=shown)
    check = Validator(shown)
    values = check.mapping(CASE_FIELDS, data)
    check.raise_if_failed()
    opened = values["opened"]
    for i, row in enumerate(values.get("events", []), 1):
        if row["date"] < opened:
            check.warnings.append(Problem(f"办理记录日期 {row['date'].isoformat()} 早于立卷日期 {opened.isoformat()}，请核对",
                                          shown, data["events"][i - 1].line_of("date"), f"events[{i}].date"))
    return Case(ws, case_id, path, values, check.warnings)


def all_case_ids(ws: Workspace) -> list[str]:
    return sorted(p.parent.name for p in ws.casefiles.glob(f"[0-9][0-9][0-9][0-9]/*/{CASE_FILE}"))


@dataclass
class Review:
    """What `docgen check` reports: errors stop issuing; warnings are for the proofreader."""

    errors: list[Problem]
    warnings: list[Problem]


Check = Callable[[Case, list[Document]], None]


def check(ws: Workspace, case_ids: list[str] | None = None, more: Check | None = None) -> list[Problem]:
    """Every problem in office.yaml, the declarations and the given casefiles (default all)."""
    return review(ws, case_ids, more).errors


def review(ws: Workspace, case_ids: list[str] | None = None, more: Check | None = None) -> Review:
    """Errors and warnings of office.yaml, the declarations and the given casefiles (default all).
    `more(case, documents)` checks what this layer cannot (deadline events), raising
    DocgenError; it runs for each case whose documents are valid."""
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def collect(action):
        try:
            return action()
        except DocgenError as exc:
            problems.extend(exc.problems)
            return None

    if collect(lambda: (ws.office, ws.types)) is None:
        return Review(problems, warnings)
    for case_id in case_ids or all_case_ids(ws):
        if collect(lambda: check_id(case_id, "案卷号")) is None:
            continue
        case = collect(lambda: load_case(ws, case_id))
        # the documents are checked even when case.yaml is wrong: a new case has both to fill in
        folder = case.path if case else collect(lambda: case_dir(ws, case_id))
        if folder is None:
            continue
        holder = case or Case(ws, case_id, folder, {})
        docs = [collect(lambda: holder.load_document(path)) for path in holder.document_paths()]
        warnings.extend(holder.warnings)
        warnings.extend(w for doc in docs if doc for w in doc.warnings)
        if case is not None and None not in docs and more:
            collect(lambda: more(case, docs))
    return Review(problems, warnings)


# ---------------------------------------------------------------- new casefiles

def _yaml_value(value) -> str:
    if isinstance(value, (list, dict)) and value:
        return "\n" + yamlio.dump(value, indent=2)
    return " " + yamlio.dump(value)


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
    check_year(year)
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
