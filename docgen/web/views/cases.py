"""Cases and deadlines: the front page, one case, the deadline report, the blacklist."""

from __future__ import annotations

from starlette.responses import FileResponse

from docgen.web import data
from docgen.web.views.base import call, date_param, int_param, need_id, page, read_allowed, ws


async def overview(request):
    read_allowed(request)
    on = date_param(request)
    info = await call(data.overview, ws(request), on)
    return page(request, "overview.html", {"on": on, **info})


async def due(request):
    read_allowed(request)
    on = date_param(request)
    within = int_param(request, "within", None, 0, 3650)
    rows = await call(data.due, ws(request), on, within)
    return page(request, "due.html", {"on": on, "within": within, "rows": rows,
                                      "overdue": sum(r["overdue"] for r in rows)})


async def blacklist(request):
    read_allowed(request)
    on = date_param(request)
    year = int_param(request, "year", on.year, 1900, 2999)
    info = await call(data.blacklist, ws(request), year, on)
    return page(request, "blacklist.html", {"on": on, "year": year, **info})


async def case_list(request):
    read_allowed(request)
    on = date_param(request)
    rows = await call(data.cases, ws(request), on)
    return page(request, "cases.html", {"on": on, "rows": rows})


async def case(request):
    read_allowed(request)
    case_id = need_id(request.path_params["case_id"], "案卷号")
    on = date_param(request)
    info = await call(data.case, ws(request), case_id, on, missing="案卷")
    return page(request, "case.html", {"on": on, "info": info})


async def bundle(request):
    read_allowed(request)
    case_id = need_id(request.path_params["case_id"], "案卷号")
    path = await call(data.bundle, ws(request), case_id, missing="案卷")
    return FileResponse(path, media_type="application/pdf", filename=path.name, content_disposition_type="inline")
