"""The clerk's pages: cases and documents from forms, preview, issue, recording an event.

Every write: a logged-in clerk, a CSRF token, the same validation as `docgen check` (nothing
is written while it finds a problem in the file being saved), the file written atomically
through a ruamel.yaml round trip, committed in git as the clerk, and a line in the audit log.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse

from docgen.web import audit, data, forms
from docgen.web.views.base import (call, clerk, config, go, login_redirect, need_id, not_found, page, posted,
                                   today, user, ws)

CASE_FILE = "case.yaml"


def _guard(request):
    """A clerk's page asked for with GET: log in first, and only clerks get further."""
    if user(request) is None:
        return login_redirect(request)
    clerk(request)
    return None


def _record(request, who, action: str, target: str, detail: str = "", ok: bool = True):
    return run_in_threadpool(audit.record, config(request).root, who.name, action, target, detail, ok)


def _split(problems, shown: str):
    """(problems in the file being saved, problems elsewhere in the case)."""
    mine = [p for p in problems if p.file == shown]
    return mine, [p for p in problems if p.file != shown]


def _case_form(request, fields, values, problems=(), *, case_id="", year=None, new=True, status=200,
               others=(), id_error=""):
    form = forms.build(fields, values)
    general = forms.place(form, problems)
    return page(request, "case_form.html", {
        "form": form, "general": list(general) + list(others), "case_id": case_id, "year": year or today(request).year,
        "new": new, "id_error": id_error}, status)


async def new_case(request):
    fields = data.case_fields()
    if request.method == "GET":
        return _guard(request) or _case_form(request, fields, {})
    who = clerk(request)
    form = await posted(request)
    values = forms.parse(fields, form)
    case_id, year_text = str(form.get("case_id", "")).strip(), str(form.get("year", "")).strip()
    workspace = ws(request)
    year = int(year_text) if year_text.isdigit() and 1900 <= int(year_text) <= 2999 else None
    id_error = ""
    if not data.valid_id(case_id):
        id_error = "案卷号只能用字母、数字、汉字、-、_、·（如 2021-yt-001），不能含「/」或「..」"
    elif await call(data.case_exists, workspace, case_id):
        id_error = f"案卷号 {case_id} 已存在"
    elif year is None:
        id_error = "年度应为四位数字"
    if id_error:
        return _case_form(request, fields, values, case_id=case_id, year=year_text, status=400, id_error=id_error)
    text = await call(data.case_text, workspace, case_id, values, new=True)
    shown = f"casefiles/{year}/{case_id}/{CASE_FILE}"
    mine, _ = _split(await call(data.check_candidate, workspace, case_id, {CASE_FILE: text}, year), shown)
    if mine:
        return _case_form(request, fields, values, mine, case_id=case_id, year=year, status=400)
    await call(data.save, workspace, case_id, {CASE_FILE: text}, who.name, f"新建案卷 {case_id}（网页，{who.name}）",
               year)
    await _record(request, who, "新建案卷", case_id, shown)
    return go(request, "case", case_id=case_id)


async def edit_case(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    fields = data.case_fields()
    workspace = ws(request)
    if request.method == "GET":
        guard = _guard(request)
        if guard:
            return guard
        values = await call(data.case_values, workspace, case_id, missing="案卷")
        return _case_form(request, fields, values, case_id=case_id, new=False)
    who = clerk(request)
    form = await posted(request)
    values = forms.parse(fields, form)
    text = await call(data.case_text, workspace, case_id, values, new=False, missing="案卷")
    shown = await call(data.relative_path, workspace, case_id, CASE_FILE)
    mine, _ = _split(await call(data.check_candidate, workspace, case_id, {CASE_FILE: text}), shown)
    if mine:
        return _case_form(request, fields, values, mine, case_id=case_id, new=False, status=400)
    await call(data.save, workspace, case_id, {CASE_FILE: text}, who.name, f"修改案卷 {case_id}（网页，{who.name}）")
    await _record(request, who, "修改案卷", case_id, shown)
    return go(request, "case", case_id=case_id)


async def choose_type(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    guard = _guard(request)
    if guard:
        return guard
    workspace = ws(request)
    if not await call(data.case_exists, workspace, case_id):
        raise not_found(f"找不到案卷 {case_id}")
    types = [{"id": t, "name": d.name, "basis": d.basis} for t, d in workspace.types.items()]
    return page(request, "choose_type.html", {"case_id": case_id, "types": types})


def _doc_form(request, doctype, values, problems=(), *, case_id, doc_id, new, status=200, others=(), more=None):
    form = forms.build(doctype.fields, values)
    general = forms.place(form, problems)
    if more:
        forms.more_rows(form, more)
    return page(request, "document_form.html", {
        "form": form, "general": list(general) + list(others), "case_id": case_id, "doc_id": doc_id,
        "doctype": doctype, "new": new}, status)


async def _save_document(request, case_id: str, doc_id: str, type_id: str, new: bool):
    who = clerk(request)
    form = await posted(request)
    workspace = ws(request)
    doctype = await call(data.doctype, workspace, type_id, missing="文书类型")
    values = forms.parse(doctype.fields, form)
    if form.get("more"):  # 「加行」: more blank rows in a table, nothing saved
        return _doc_form(request, doctype, values, case_id=case_id, doc_id=doc_id, new=new,
                         more=str(form.get("more")))
    name = f"{doc_id}.yaml"
    text = await call(data.document_text, workspace, case_id, doc_id, type_id, values, new=new)
    shown = await call(data.relative_path, workspace, case_id, name)
    mine, others = _split(await call(data.check_candidate, workspace, case_id, {name: text}), shown)
    if mine:
        return _doc_form(request, doctype, values, mine, case_id=case_id, doc_id=doc_id, new=new, status=400,
                         others=others)
    action = "新建文书" if new else "修改文书"
    await call(data.save, workspace, case_id, {name: text}, who.name,
               f"{action} {case_id}/{doc_id}（{doctype.name}，网页，{who.name}）")
    await _record(request, who, action, f"{case_id}/{doc_id}", f"{doctype.name} {shown}")
    return go(request, "preview", case_id=case_id, doc_id=doc_id)


async def new_document(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    type_id = need_id(request.path_params["type_id"], "文书类型")
    workspace = ws(request)
    if not await call(data.case_exists, workspace, case_id):
        raise not_found(f"找不到案卷 {case_id}")
    doctype = await call(data.doctype, workspace, type_id, missing="文书类型")
    if request.method == "GET":
        guard = _guard(request)
        if guard:
            return guard
        doc_id = await call(data.free_doc_id, workspace, case_id, type_id)
        return _doc_form(request, doctype, {}, case_id=case_id, doc_id=doc_id, new=True)
    form = await request.form()
    doc_id = str(form.get("doc_id", "")).strip()
    if not data.valid_id(doc_id) or (await call(data.free_doc_id, workspace, case_id, doc_id)) != doc_id:
        clerk(request)
        raise HTTPException(400, f"文书名「{doc_id[:40]}」不合法或已被使用")
    return await _save_document(request, case_id, doc_id, type_id, new=True)


async def edit_document(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    doc_id = need_id(request.path_params["doc_id"], "文书")
    workspace = ws(request)
    type_id, values, issued = await call(data.document_info, workspace, case_id, doc_id, missing="文书")
    if issued:
        raise HTTPException(403, f"{case_id} 的 {doc_id} 已签发（档号 {issued}），不能再修改；更正请另行发文")
    doctype = await call(data.doctype, workspace, type_id, missing="文书类型")
    if request.method == "GET":
        return _guard(request) or _doc_form(request, doctype, values, case_id=case_id, doc_id=doc_id, new=False)
    return await _save_document(request, case_id, doc_id, type_id, new=False)


async def preview(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    doc_id = need_id(request.path_params["doc_id"], "文书")
    guard = _guard(request)
    if guard:
        return guard
    workspace = ws(request)
    type_id, _, issued = await call(data.document_info, workspace, case_id, doc_id, missing="文书")
    pdf = await call(data.preview, workspace, case_id, doc_id)
    pages = await call(data.page_count, pdf)
    return page(request, "preview.html", {"case_id": case_id, "doc_id": doc_id, "pages": pages, "issued": issued,
                                          "type_name": workspace.doctype(type_id).name})


async def preview_pdf(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    doc_id = need_id(request.path_params["doc_id"], "文书")
    clerk(request)
    pdf = await call(data.preview, ws(request), case_id, doc_id, missing="文书")
    return FileResponse(pdf, media_type="application/pdf", filename=pdf.name, content_disposition_type="inline")


async def preview_page(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    doc_id = need_id(request.path_params["doc_id"], "文书")
    clerk(request)
    workspace = ws(request)
    pdf = await call(data.preview, workspace, case_id, doc_id, missing="文书")
    png = await call(data.page_png, workspace, pdf, request.path_params["page"], missing="页")
    return FileResponse(png, media_type="image/png")


async def issue(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    doc_id = need_id(request.path_params["doc_id"], "文书")
    workspace = ws(request)
    if request.method == "GET":
        guard = _guard(request)
        if guard:
            return guard
        info = await call(data.next_number, workspace, case_id, doc_id, missing="文书")
        return page(request, "issue.html", {"case_id": case_id, "doc_id": doc_id, "info": info})
    who = clerk(request)
    form = await posted(request)
    expected = str(form.get("number", ""))
    info = await call(data.next_number, workspace, case_id, doc_id, missing="文书")
    if info["issued"]:
        raise HTTPException(400, f"{case_id} 的 {doc_id} 已签发，文号 {info['number']}")
    if expected != info["number"]:  # someone issued in between: confirm the new number
        return page(request, "issue.html", {"case_id": case_id, "doc_id": doc_id, "info": info,
                                            "changed": expected}, 409)
    try:
        done = await call(data.issue, workspace, case_id, doc_id, who.name)
    except HTTPException as exc:
        await _record(request, who, "签发失败", f"{case_id}/{doc_id}", str(exc.detail), ok=False)
        raise
    await _record(request, who, "签发", f"{case_id}/{doc_id}", f"{done['number']} 档号 {done['archive_id']}")
    return go(request, "item", item_id=done["archive_id"])


async def new_event(request):
    case_id = need_id(request.path_params["case_id"], "案卷号")
    workspace = ws(request)
    info = await call(data.case, workspace, case_id, today(request), missing="案卷")
    fields = data.event_fields()
    choices = [(d["item"], f"{d['item']}：{d['what']}（{'已办结' if not d['open'] else d['due'] + ' 到期'}）")
               for d in sorted(info["deadlines"], key=lambda d: not d["open"])]
    context = {"case_id": case_id, "info": info, "choices": choices}
    if request.method == "GET":
        guard = _guard(request)
        if guard:
            return guard
        form = forms.build(fields, {"date": today(request), "item": request.query_params.get("item")})
        return page(request, "event_form.html", {**context, "form": form, "general": []})
    who = clerk(request)
    submitted = await posted(request)
    row = forms.parse(fields, submitted)
    text = await call(data.event_text, workspace, case_id, row)
    shown = await call(data.relative_path, workspace, case_id, CASE_FILE)
    mine, _ = _split(await call(data.check_candidate, workspace, case_id, {CASE_FILE: text}), shown)
    if mine:
        form = forms.build(fields, row)
        count = len(info["events"]) + 1
        # the new row's problems name events[N]: show them beside this form's fields
        for p in mine:
            if p.field and p.field.startswith(f"events[{count}]."):
                p.field = p.field.split(".", 1)[1]
        general = forms.place(form, mine)
        return page(request, "event_form.html", {**context, "form": form, "general": general}, 400)
    await call(data.save, workspace, case_id, {CASE_FILE: text}, who.name,
               f"记录办理情况 {case_id}：{row.get('event')}（网页，{who.name}）")
    await _record(request, who, "记录办理情况", case_id, f"{row.get('date')} {row.get('event')}"
                  + (f"（办结 {row['item']}）" if row.get("item") else ""))
    return go(request, "case", case_id=case_id)
