"""What every view shares: rendering a page, who is asking, the checks before a write, and
turning the library's Chinese errors into 400/404 pages."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse

from docgen.errors import DocgenError
from docgen.web import data
from docgen.web.auth import User


def config(request: Request):
    return request.app.state.config


def ws(request: Request):
    """The workspace, read afresh for each request (casefiles and declarations may change)."""
    return data.workspace(config(request).root)


def today(request: Request) -> dt.date:
    return config(request).today or dt.date.today()


def user(request: Request) -> User | None:
    name = request.session.get("user")
    return request.app.state.accounts.user(name) if name else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def page(request: Request, template: str, context: dict | None = None, status: int = 200,
         headers: dict | None = None):
    who = user(request)
    return request.app.state.templates.TemplateResponse(request, template, {
        "user": who, "read_only": request.app.state.read_only,
        "can_write": bool(who and who.clerk and not request.app.state.read_only),
        "csrf": csrf_token(request), "today": today(request), **(context or {})}, status_code=status,
        headers=headers)


def error_page(request: Request, status: int, message: str):
    if request.url.path.startswith("/api/"):
        return JSONResponse({"ok": False, "error": message}, status_code=status)
    return page(request, "error.html", {"status": status, "message": message}, status)


def not_found(what: str = "找不到该页面") -> HTTPException:
    return HTTPException(404, what)


def need_id(value: str, what: str) -> str:
    """Ids in URLs name archive items and cases, never paths: anything else is not found."""
    if not data.valid_id(value):
        raise not_found(f"{what}「{value[:40]}」不存在")
    return value


def need_year(value: str) -> int:
    if not data.YEAR_RE.match(value or ""):
        raise not_found(f"年度「{value[:10]}」不存在")
    return int(value)


def read_allowed(request: Request) -> None:
    """Reading needs a login only on a server reachable from other machines that has accounts."""
    if request.app.state.login_to_read and user(request) is None:
        raise HTTPException(401, "请先登录后查阅")


def login_redirect(request: Request):
    from urllib.parse import quote

    return RedirectResponse("/login?next=" + quote(request.url.path), 303)


def go(request: Request, name: str, **params):
    """After a write: see the result (a path on this site, whatever host the browser used)."""
    return RedirectResponse(request.url_for(name, **params).path, 303)


def clerk(request: Request) -> User:
    """The user making a write: logged in, a clerk, and the server not read-only."""
    who = user(request)
    if who is None:
        raise HTTPException(401, "请先以文书账户登录")
    if request.app.state.read_only:
        raise HTTPException(403, "本服务以只读方式运行，不能修改")
    if not who.clerk:
        raise HTTPException(403, f"账户 {who.name} 是查阅账户，只能查阅，不能修改")
    return who


async def posted(request: Request) -> dict:
    """The submitted form after the CSRF check (every form carries the session's token)."""
    form = await request.form()
    token = request.session.get("csrf", "")
    if not token or not hmac.compare_digest(str(form.get("csrf", "")), token):
        raise HTTPException(403, "表单已失效（安全校验未通过），请刷新页面后重新提交")
    return form


async def call(fn, *args, missing: str | None = None, **kwargs):
    """Run a library call off the event loop; its DocgenError becomes a 400 page (or 404 when
    the call looks something up, `missing` naming what)."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except DocgenError as exc:
        status = 404 if missing else 400
        raise HTTPException(status, "；".join(str(p) for p in exc.problems)) from None


def date_param(request: Request, name: str = "on") -> dt.date:
    value = request.query_params.get(name, "").strip()
    if not value:
        return today(request)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"日期应写作 2021-12-01，而不是「{value[:20]}」") from None


def int_param(request: Request, name: str, default: int | None, lo: int = 0, hi: int = 10 ** 6) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise HTTPException(400, f"参数 {name} 应为 {lo}–{hi} 的整数，而不是「{value[:20]}」")
    return int(value)
