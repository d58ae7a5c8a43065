"""Logging in and out, and the audit log of every write."""

from __future__ import annotations

import datetime as dt
import math

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from docgen.web import audit as audit_log
from docgen.web.throttle import WINDOW, Refusal
from docgen.web.views.base import config, page, posted, read_allowed


def _next(value: str) -> str:
    # Only a path on this site: never an absolute URL someone slipped into the link.
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def _until(refusal, now: float) -> str:
    """When a locked login may be tried again, in the server's local time, for the clerk."""
    until, today = dt.datetime.fromtimestamp(refusal.until).astimezone(), dt.datetime.fromtimestamp(now).astimezone()
    day = "" if until.date() == today.date() else f"{until.month}月{until.day}日 "
    return f"{day}{until:%H:%M}（约 {max(1, math.ceil(refusal.seconds / 60))} 分钟后）"


async def login(request):
    target = _next(request.query_params.get("next", "/"))
    if request.method == "GET":
        return page(request, "login.html", {"next": target, "error": None})
    form = await posted(request)
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _next(str(form.get("next", "/")))
    address = request.client.host if request.client else "未知地址"
    throttle, root = request.app.state.throttle, config(request).root
    # Checked before the password, and alike for every name: a locked login says nothing
    # about the password or whether the account exists.
    attempt = await run_in_threadpool(throttle.begin, name, address)
    if isinstance(attempt, Refusal):
        when = _until(attempt, throttle.clock())
        await run_in_threadpool(audit_log.record, root, name or "（未填）", "登录受限", "",
                                f"来自 {address}；失败次数过多，{when}前不受理", False)
        return page(request, "login.html", {
            "next": target, "error": f"登录失败次数过多，此用户名或您的网络地址暂停登录。请于 {when}再试。"}, 429,
            headers={"retry-after": str(attempt.seconds)})
    who = await run_in_threadpool(request.app.state.accounts.authenticate, name, password)
    if who is None:
        count, started = await run_in_threadpool(throttle.failed, attempt)
        detail = f"来自 {address}；{WINDOW // 60} 分钟内第 {count} 次"
        if started:
            detail += f"；自此暂停登录至 {_until(started, throttle.clock())}"
        await run_in_threadpool(audit_log.record, root, name or "（未填）", "登录失败", "", detail, False)
        return page(request, "login.html", {"next": target, "error": "用户名或密码不对"}, 400)
    await run_in_threadpool(throttle.succeeded, attempt)
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
