"""The archive: search, one item (metadata, fixity, the PDF), the year's catalogue."""

from __future__ import annotations

from starlette.responses import FileResponse, Response

from docgen.web import data
from docgen.web.views.base import (call, int_param, need_id, need_year, not_found, page, read_allowed,
                                   ws)

PER_PAGE = 20
MAX_PAGE = 50
FILTERS = ("type", "year", "unit", "from", "to")


def search_params(request) -> tuple[str, dict, str | None]:
    q = request.query_params.get("q", "").strip()[:500]
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in FILTERS}
    sort = request.query_params.get("sort", "").strip() or None
    return q, filters, sort


def _library_filters(filters: dict) -> dict:
    return {"type": filters["type"], "year": filters["year"], "unit": filters["unit"],
            "date_from": filters["from"], "date_to": filters["to"]}


async def search(request):
    read_allowed(request)
    q, filters, sort = search_params(request)
    number = int_param(request, "page", 1, 1, MAX_PAGE)
    workspace = ws(request)
    searched = bool(q or any(filters.values()))
    result, facets = {"total": 0, "hits": []}, {}
    names = data.types(workspace)
    if searched:
        result = await call(data.search, workspace, q, **_library_filters(filters), sort=sort,
                            limit=number * PER_PAGE, marks=data.MARKS, facets=("type_name", "year"))
        result["hits"] = result["hits"][(number - 1) * PER_PAGE:]
        # by the Chinese name, which the type filter also takes (imported items: 其他 …)
        facets = {"type": result["facets"]["type_name"],
                  "year": dict(sorted(result["facets"]["year"].items(), reverse=True))}
    pages = max(1, min(MAX_PAGE, -(-result["total"] // PER_PAGE)))
    return page(request, "search.html", {
        "q": q, "filters": filters, "sort": sort or "", "result": result, "searched": searched,
        "facets": facets, "type_names": names, "page": number, "pages": pages, "per_page": PER_PAGE,
        "voided": await call(data.voided, workspace) if result["hits"] else {}})


async def item(request):
    read_allowed(request)
    item_id = need_id(request.path_params["item_id"], "档号")
    workspace = ws(request)
    meta = await call(data.item, workspace, item_id, missing="档号")
    check = request.query_params.get("verify") == "1"
    problems = await call(data.verify_item, workspace, item_id) if check else None
    pdf = "document.pdf" if "document.pdf" in meta["files"] else next(
        (n for n in meta["files"] if n.endswith(".pdf")), None)
    pages = meta.get("pages") or 0
    return page(request, "item.html", {"meta": meta, "verified": check, "problems": problems, "pdf": pdf,
                                       "pages": pages})


async def item_file(request):
    read_allowed(request)
    item_id = need_id(request.path_params["item_id"], "档号")
    name = request.path_params["name"]
    if name not in ("document.pdf", "document.docx", "text.txt") and not name.startswith("original."):
        raise not_found(f"档案中没有文件「{name[:40]}」")
    path = await call(data.item_file, ws(request), item_id, name, missing="文件")
    download = request.query_params.get("download") == "1" or not name.endswith(".pdf")
    meta = await call(data.item, ws(request), item_id, missing="档号")
    filename = f"{item_id}-{meta.get('number') or meta['title']}{path.suffix}"
    return FileResponse(path, filename=filename, content_disposition_type="attachment" if download else "inline")


async def item_page(request):
    read_allowed(request)
    item_id = need_id(request.path_params["item_id"], "档号")
    workspace = ws(request)
    meta = await call(data.item, workspace, item_id, missing="档号")
    pdf = next((n for n in ("document.pdf", "original.pdf") if n in meta["files"]), None)
    if pdf is None:
        raise not_found("此件没有 PDF")
    path = await call(data.item_file, workspace, item_id, pdf, missing="文件")
    png = await call(data.page_png, workspace, path, request.path_params["page"], missing="页")
    return FileResponse(png, media_type="image/png")


async def catalog_index(request):
    read_allowed(request)
    years = await call(data.catalog_years, ws(request))
    return page(request, "catalog_index.html", {"years": years})


async def catalog(request):
    read_allowed(request)
    year = need_year(request.path_params["year"])
    workspace = ws(request)
    rows = await call(data.catalog, workspace, year)
    return page(request, "catalog.html", {"year": year, "rows": rows, "office": workspace.office,
                                          "years": await call(data.catalog_years, workspace),
                                          "voided": await call(data.voided, workspace)})


async def catalog_docx(request):
    read_allowed(request)
    year = need_year(request.path_params["year"])
    body = await call(data.catalog_docx, ws(request), year, missing="年度")
    from urllib.parse import quote

    name = quote(f"归档文件目录-{year}.docx")
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"content-disposition": f"attachment; filename*=utf-8''{name}"})
