"""Logging in and out, and the audit log of every write."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from docgen.web import audit as audit_log
from docgen.web.views.base import config, page, posted, read_allowed


def _next(value: str) -> str:
    # Only a path on this site: never an absolute URL someone slipped into the link.
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


async def login(request):
    target = _next(request.query_params.get("next", "/"))
    if request.method == "GET":
        return page(request, "login.html", {"next": target, "error": None})
    form = await posted(request)
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _next(str(form.get("next", "/")))
    who = await run_in_threadpool(request.app.state.accounts.authenticate, name, password)
    if who is None:
        await run_in_threadpool(audit_log.record, config(request).root, name or "（未填）", "登录失败", "", "", False)
        return page(request, "login.html", {"next": target, "error": "用户名或密码不对"}, 400)
    request.session.clear()  # a fresh session (and CSRF token) for the new identity
    request.session["user"] = who.name
    return RedirectResponse(target, 303)


async def logout(request):
    await posted(request)
    request.session.clear()
    return RedirectResponse("/", 303)


async def audit(request):
    read_allowed(request)
    entries, broken = await run_in_threadpool(audit_log.read, config(request).root)
    return page(request, "audit.html", {"entries": list(reversed(entries)), "broken": broken})
