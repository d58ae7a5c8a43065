"""JSON for tools: the same data and shapes as the CLI's --json."""

from __future__ import annotations

from starlette.responses import JSONResponse

from docgen.web import data
from docgen.web.views.archive import _library_filters, search_params
from docgen.web.views.base import call, date_param, int_param, need_id, read_allowed, ws


def _json(value, status: int = 200) -> JSONResponse:
    return JSONResponse(value, status_code=status, media_type="application/json; charset=utf-8")


async def search(request):
    """`docgen search --json`: {"total", "hits": [{archive_id, number, title, type, date, units,
    snippet, score, path}]}, snippets marked 【…】 as on the command line."""
    read_allowed(request)
    q, filters, sort = search_params(request)
    limit = int_param(request, "limit", 20, 1, 1000)
    result = await call(data.search, ws(request), q, **_library_filters(filters), sort=sort, limit=limit)
    for hit in result["hits"]:
        hit.pop("type_name", None)
    return _json(result)


async def item(request):
    """`docgen archive show ID --json`: the item's archival metadata."""
    read_allowed(request)
    item_id = need_id(request.path_params["item_id"], "档号")
    meta = await call(data.item, ws(request), item_id, missing="档号")
    meta.pop("downloads", None)
    return _json(meta)


async def due(request):
    """`docgen due --json [--on DATE] [--within DAYS]`."""
    read_allowed(request)
    on = date_param(request)
    within = int_param(request, "within", None, 0, 3650)
    return _json(await call(data.due, ws(request), on, within))
