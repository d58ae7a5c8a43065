"""Commands over casefiles: init, new, check, render."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from docgen.cli import emit_json, json_option, report_check
from docgen.errors import DocgenError


def _workspace(ctx):
    from docgen.workspace import Workspace

    return Workspace.find(ctx.obj.get("root"))


# option -> (office.yaml field, prompt); asked for when not given and a person is at the terminal
INIT_ASKS = {
    "name": ("name", "发文机关全称（如 汉阴县安全生产委员会办公室）"),
    "prefix": ("number_prefix", "发文字号机关代字（如 汉安委办）"),
    "fonds": ("fonds", "全宗号（档案馆给定，如 J022）"),
    "regulation": ("regulation", "本办制度全称，不加书名号（如 汉阴县安全生产综合监管十项制度）"),
    "contact": ("contact", "联系人（通知书等印出的默认联系人）"),
    "phone": ("phone", "联系电话"),
}


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="发文机关全称，如 汉阴县安全生产委员会办公室。")
@click.option("--prefix", help="发文字号机关代字，如 汉安委办（印作 汉安委办〔2024〕3号）。")
@click.option("--fonds", help="全宗号，如 J022。")
@click.option("--regulation", help="本办制度全称（公文中引作《…》），如 汉阴县安全生产综合监管十项制度。")
@click.option("--mark-name", help="发文机关标志所用名称；默认同 --name。")
@click.option("--printer", help="印发机关；默认同 --name。")
@click.option("--org-code", default="AWB", show_default=True, help="机构（问题）代码，档号的一段。")
@click.option("--contact", help="联系人（通知书等印出的默认联系人）。")
@click.option("--phone", help="联系电话。")
@click.option("--no-git", is_flag=True, help="不建立 git 仓库（签发前仍须建立：文号登记在 git 中）。")
def init(path: Path, no_git: bool, **options):
    """在 PATH（默认当前目录）建立工作区：office.yaml、rules.yaml、templates/、casefiles/、archive/，
    并建立 git 仓库（git init）和 .gitignore（档案、out/ 不入 git；发文登记簿 register/ 入 git）。

    office.yaml 按选项填写本办名称、发文字号代字、全宗号、制度名称和联系人；在终端中运行且未给出时逐项询问。

    rules.yaml 是期限规则样例（石泉县十项制度和省巡查办法），请对照本县制度核对修改。已存在的文件不会被覆盖。

    \b
    例：docgen init 汉阴安委办 --name 汉阴县安全生产委员会办公室 \\
          --prefix 汉安委办 --fonds J022 \\
          --regulation 汉阴县安全生产综合监管十项制度 \\
          --contact 张敏 --phone 0915-5212345
    """
    from docgen.fsio import atomic_write
    from docgen.workspace import OFFICE_FILE, RULES_FILE, TEMPLATES, bundled, office_yaml

    sample = bundled()
    office = path / OFFICE_FILE
    values = None
    if not office.exists():
        values = _office_values(options)
    path.mkdir(parents=True, exist_ok=True)
    made = []
    if values is not None:
        atomic_write(office, office_yaml(values))
        made.append(office)
    if not (path / RULES_FILE).exists():
        atomic_write(path / RULES_FILE, (sample / RULES_FILE).read_bytes())
        made.append(path / RULES_FILE)
    for source in sorted((sample / TEMPLATES).iterdir(), key=lambda p: p.name):
        target = path / TEMPLATES / source.name
        if source.name.endswith((".docx", ".yaml")) and not target.exists():
            atomic_write(target, source.read_bytes())
            made.append(target)
    for folder in ("casefiles", "archive"):
        (path / folder).mkdir(exist_ok=True)
    for item in made:
        click.echo(f"已创建 {item}")
    if values is None:
        click.echo(f"{office} 已存在，未改动。")
    if not no_git:
        from docgen.provenance import init_repository

        for step in init_repository(path):
            click.echo(f"已完成 {step}")
    click.echo(f"工作区就绪：{path.resolve()}。\n下一步：核对 office.yaml 和 rules.yaml（期限规则样例，按本县制度修改），"
               "运行 docgen check；docgen types 列出文书类型，docgen new 约谈通知书 案卷号 新建文书。")


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty()


def _office_values(options: dict) -> dict:
    """office.yaml's values from the options, asking in Chinese for the required ones missing."""
    missing = [key for key in INIT_ASKS if not (options.get(key) or "").strip()]
    if missing and not _interactive():
        raise click.UsageError("未在终端中运行，请用选项给出：" + "、".join(
            f"--{key}（{INIT_ASKS[key][1].split('（')[0]}）" for key in missing))
    for key in missing:
        while not (options.get(key) or "").strip():
            options[key] = click.prompt(INIT_ASKS[key][1], default="", show_default=False)
    values = {field: options[key].strip() for key, (field, _) in INIT_ASKS.items()}
    values["regulation"] = values["regulation"].strip("《》")
    values["mark_name"] = (options.get("mark_name") or values["name"]).strip()
    values["printer"] = (options.get("printer") or values["name"]).strip()
    values["org_code"] = options["org_code"].strip()
    values["cc"] = ["县委办", "县政府办"]
    return values


@click.command()
@click.argument("type_id", metavar="TYPE")
@click.argument("case_id")
@click.option("--year", type=int, default=None, show_default="案卷号开头的年份，否则今年",
              help="新案卷所属年度（casefiles/<年度>/<案卷号>/）。")
@click.pass_context
def new(ctx, type_id, case_id, year):
    """在案卷 CASE_ID 中新建一份 TYPE 类文书（案卷不存在则一并新建 case.yaml）。

    TYPE 是文书类型的代号或中文名，如 summons 或 约谈通知书；docgen types 列出本工作区的全部类型。

    生成的 YAML 列出该类文书的全部字段和中文注释：必填项留空（例子写在注释中），填好之前
    docgen check 不会通过，也不能签发；可选项以 # 注释，删去 # 即可启用。已有文件不会被覆盖。

    \b
    案卷号约定：年度-事项缩写-序号，一个事项一个案卷，同一案卷的文书放在一起：
      2021-yt-001  约谈（yt）      2021-dc-002  督查（dc）
      2021-xc-003  巡查评估（xc）  2021-tb-004  通报（tb）
      2021-gp-011  挂牌督办（gp）  2021-lx-012  联席会议（lx）
      2021-zf-014  联合执法（zf）  2021-sx-015  省巡查反馈整改（sx）
    序号按年度顺排，不重复使用；只能用字母、数字、汉字、-、_、·。
    案卷放在 casefiles/<年度>/<案卷号>/，年度取自案卷号开头的四位数字
    （或 --year）。

    \b
    例：docgen new 约谈通知书 2024-yt-001
        docgen new memorandum 2024-yt-001      （同一案卷再加一份约谈纪要）
    """
    import re

    from docgen.casefile import create

    ws = _workspace(ctx)
    if year is None:
        leading = re.match(r"(\d{4})\D", case_id)
        year = int(leading.group(1)) if leading else dt.date.today().year
    for path in create(ws, type_id, case_id, year):
        click.echo(f"已创建 {ws.relative(path)}")
    click.echo("必填项已留空，填写后运行 docgen check 校验。")


@click.command()
@json_option
@click.pass_context
def types(ctx, as_json):
    """列出本工作区的文书类型：代号、中文名、版式、保管期限、依据条款、字段和由它起算的期限。

    凡需指定文书类型处（docgen new、文书 YAML 的 type、rules.yaml），代号和中文名都可用。
    新增类型：在 templates/ 放一个 .docx 模板和同名 .yaml 声明，需要跟踪期限的再在 rules.yaml 加一条。
    """
    from docgen.errors import DocgenError
    from docgen.rules import load, type_catalog

    ws = _workspace(ctx)
    try:
        rules, note = load(ws), None
    except DocgenError as exc:
        rules, note = None, f"rules.yaml 有误，未列出期限（{exc.problems[0]}；运行 docgen check 查看全部）"
    catalog = type_catalog(ws, rules)
    if as_json:
        emit_json(catalog)
        return
    for t in catalog:
        click.secho(f"{t['id']}  {t['name']}", bold=True, nl=False)
        click.echo(f"  {t['form_name']}，保管期限{t['retention_name']}" + (f"，依据：{t['basis']}" if t["basis"] else ""))
        for required, label in ((True, "必填"), (False, "可选")):
            names = [f"{f['name']}（{f['label']}）" for f in t["fields"] if f["required"] == required]
            click.echo(f"    {label}：{'、'.join(names) or '无'}")
        for d in t["deadlines"]:
            click.echo(f"    期限：{d['item']}，{d['field_label']}（{d['field']}）{d['period']}：{d['what']}（{d['basis']}）")
    if note:
        click.secho(f"注意：{note}", fg="yellow", err=True)


@click.command()
@click.argument("case_ids", nargs=-1, metavar="[CASE_ID]...")
@json_option
@click.pass_context
def check(ctx, case_ids, as_json):
    """校验 office.yaml、rules.yaml、文书类型声明及其模板（同 docgen template check）和案卷（默认全部案卷）。

    每个问题都指明文件、行号和字段；有问题时退出码为 1。以「注意」列出、不影响退出码的：
    校对提醒（如中文里的半角标点、早于立卷日期的办理记录），以及签发后又被修改的文书
    （指明文号和改动的字段）。
    """
    from docgen.status import check as run_check

    ws = _workspace(ctx)
    report, drifts = run_check(ws, list(case_ids) or None)
    report_check(ctx, report.errors, as_json, "校验通过。", drifts, report.warnings)


@click.command()
@click.argument("case_id")
@click.argument("doc_ids", nargs=-1, metavar="[DOC]...")
@click.option("--all", "all_docs", is_flag=True, help="生成案卷中的全部文书。")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出目录，默认 out/<案卷号>/。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转成 PDF（PDF/A），放在 .docx 旁。")
@click.option("--force", is_flag=True, help="--out 目录中已有同名文件时覆盖。")
@json_option
@click.pass_context
def render(ctx, case_id, doc_ids, all_docs, out, pdf, force, as_json):
    """生成案卷 CASE_ID 中文书的草稿（.docx，可选 PDF）。

    DOC 是文书文件名（不含 .yaml），如 summons；用 --all 生成全部。草稿尚未编号，
    发文字号处留「〔    〕  号」占位，正式编号在 docgen issue 时分配。

    \b
    例：docgen render 2021-yt-001 --all --pdf
        docgen render 2021-yt-001 summons --out ~/桌面/草稿
    """
    from docgen.casefile import load_case
    from docgen.fsio import check_output
    from docgen.render import Renderer, draft_path, render_case, typeset

    if not doc_ids and not all_docs:
        raise click.UsageError("请指定文书名（如 summons），或用 --all 生成全部文书")
    ws = _workspace(ctx)
    out_dir = check_output(out or ws.root / "out" / case_id, ws.archive, force=True, what="输出目录")
    if out and not force:  # drafts in out/ are re-made at will; elsewhere nothing is overwritten
        for doc_id in doc_ids or [p.stem for p in load_case(ws, case_id).document_paths()]:
            docx = draft_path(out_dir, case_id, doc_id)
            for path in (docx, docx.with_suffix(".pdf")) if pdf else (docx,):
                check_output(path, ws.archive)
    renderer = Renderer(ws)
    results = render_case(ws, case_id, list(doc_ids) or None, out_dir, renderer)
    pdfs = dict(zip((r.docx for r in results), typeset(renderer, results))) if pdf else {}
    rows = [{"case": case_id, "doc": r.document.id, "type": r.document.type.id,
             "docx": str(r.docx), "pdf": str(pdfs[r.docx]) if r.docx in pdfs else None} for r in results]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['doc']}（{ws.doctype(row['type']).name}）：{row['docx']}"
                   + (f"\n    PDF：{row['pdf']}" if row["pdf"] else ""))
