"""The web application object: configuration, the route table, the Jinja environment, the
middleware (sessions, security headers) and the error pages.

`create_app(Config(root=...))` returns a Starlette app; tests call it through
starlette.testclient.TestClient, `docgen serve` runs it with uvicorn. Views live in
docgen/web/views/, one module per kind of page; all library calls go through docgen/web/data.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from docgen.web import data
from docgen.web.auth import Accounts
from docgen.web.throttle import Throttle

HERE = Path(__file__).resolve().parent
SESSION_HOURS = 8  # one working day

# No script or style from anywhere but this server, none inline; framed only by itself (the
# PDF shown inside an item's page).
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
                                 b"form-action 'self'"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass
class Config:
    root: Path
    users: Path | None = None        # accounts file; default auth.default_path()
    host: str = "127.0.0.1"
    read_only: bool = False
    today: dt.date | None = None     # the day pages count from (the demo's samples: 2021-12-01)
    warm: bool = False               # start LibreOffice once at start-up (for the first preview)

    def to_env(self) -> str:
        """The configuration as an environment value, for worker processes (from_env)."""
        import json

        return json.dumps({"root": str(self.root), "users": str(self.users) if self.users else None,
                           "host": self.host, "read_only": self.read_only, "warm": self.warm,
                           "today": self.today.isoformat() if self.today else None})

    @classmethod
    def from_env(cls, text: str) -> Config:
        import json

        raw = json.loads(text)
        return cls(root=Path(raw["root"]), users=Path(raw["users"]) if raw["users"] else None, host=raw["host"],
                   read_only=raw["read_only"], warm=raw["warm"],
                   today=dt.date.fromisoformat(raw["today"]) if raw["today"] else None)

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (pure ASGI, so streaming files pass through)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)
        await self.app(scope, receive, with_headers)


def _snippet(text: str) -> Markup:
    """A search snippet: escaped, with the query's matches marked."""
    start, end = data.MARKS
    return Markup(str(escape(text)).replace(start, "<mark>").replace(end, "</mark>"))


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["snippet"] = _snippet
    env.filters["cn_date"] = lambda v: (f"{v.year}年{v.month}月{v.day}日" if isinstance(v, dt.date)
                                        else _cn_date_text(v))
    env.filters["left"] = _left
    env.globals["retention_names"] = {"Y": "永久", "D30": "30年", "D10": "10年"}
    return templates


def _cn_date_text(value) -> str:
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value or "")
    return f"{d.year}年{d.month}月{d.day}日"


def _left(days: int) -> str:
    if days < 0:
        return f"已逾期{-days}天"
    return "今日到期" if days == 0 else f"还剩{days}天"


def create_app(config: Config) -> Starlette:
    from docgen.web.views import account, api, archive, cases, clerk

    accounts = Accounts(config.users)
    # Beyond this machine, without accounts nobody could be trusted to write: read only.
    read_only = config.read_only or (not config.loopback and not accounts)
    routes = [
        Route("/", cases.overview, name="overview"),
        Route("/search", archive.search, name="search"),
        Route("/items/{item_id}", archive.item, name="item"),
        Route("/items/{item_id}/files/{name}", archive.item_file, name="item_file"),
        Route("/items/{item_id}/pages/{page:int}.png", archive.item_page, name="item_page"),
        Route("/catalog", archive.catalog_index, name="catalog_index"),
        Route("/catalog/{year}", archive.catalog, name="catalog"),
        Route("/catalog/{year}/docx", archive.catalog_docx, name="catalog_docx"),
        Route("/due", cases.due, name="due"),
        Route("/blacklist", cases.blacklist, name="blacklist"),
        Route("/cases", cases.case_list, name="cases"),
        Route("/cases/new", clerk.new_case, methods=["GET", "POST"], name="new_case"),
        Route("/cases/{case_id}", cases.case, name="case"),
        Route("/cases/{case_id}/bundle.pdf", cases.bundle, name="bundle"),
        Route("/cases/{case_id}/edit", clerk.edit_case, methods=["GET", "POST"], name="edit_case"),
        Route("/cases/{case_id}/events/new", clerk.new_event, methods=["GET", "POST"], name="new_event"),
        Route("/cases/{case_id}/new", clerk.choose_type, name="choose_type"),
        Route("/cases/{case_id}/new/{type_id}", clerk.new_document, methods=["GET", "POST"], name="new_document"),
        Route("/cases/{case_id}/docs/{doc_id}/edit", clerk.edit_document, methods=["GET", "POST"],
              name="edit_document"),
        Route("/cases/{case_id}/docs/{doc_id}/preview", clerk.preview, name="preview"),
        Route("/cases/{case_id}/docs/{doc_id}/preview.pdf", clerk.preview_pdf, name="preview_pdf"),
        Route("/cases/{case_id}/docs/{doc_id}/preview/{page:int}.png", clerk.preview_page, name="preview_page"),
        Route("/cases/{case_id}/docs/{doc_id}/issue", clerk.issue, methods=["GET", "POST"], name="issue"),
        Route("/login", account.login, methods=["GET", "POST"], name="login"),
        Route("/logout", account.logout, methods=["POST"], name="logout"),
        Route("/audit", account.audit, name="audit"),
        Route("/api/search", api.search, name="api_search"),
        Route("/api/items/{item_id}", api.item, name="api_item"),
        Route("/api/due", api.due, name="api_due"),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=accounts.secret_key(), session_cookie="docgen_session",
                   max_age=SESSION_HOURS * 3600, same_site="strict", https_only=False),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={
        HTTPException: _http_error, Exception: _server_error})
    app.state.config = config
    app.state.accounts = accounts
    app.state.throttle = Throttle(config.root)
    app.state.read_only = read_only
    # Beyond this machine, with accounts, even reading needs a login.
    app.state.login_to_read = not config.loopback and bool(accounts)
    app.state.templates = _templates()
    if config.warm and not read_only:
        import threading

        threading.Thread(target=data.warm_up, args=(data.workspace(config.root),), daemon=True).start()
    return app


CONFIG_ENV = "DOCGEN_WEB_CONFIG"


def app_from_env() -> Starlette:
    """The app of one worker process of `docgen serve --workers N` (uvicorn imports this)."""
    import os

    return create_app(Config.from_env(os.environ[CONFIG_ENV]))


MESSAGES = {400: "请求有误", 401: "请先登录", 403: "无权进行此操作", 404: "找不到该页面", 405: "不支持此请求方式"}


async def _http_error(request: Request, exc: HTTPException):
    from docgen.web.views.base import error_page

    detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed") \
        else MESSAGES.get(exc.status_code, "请求失败")
    return error_page(request, exc.status_code, detail)


async def _server_error(request: Request, exc: Exception):
    import logging

    from docgen.web.views.base import error_page

    logging.getLogger("docgen.web").exception("内部错误：%s", request.url.path)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"ok": False, "error": "服务器内部错误，已记入日志"}, status_code=500)
    return error_page(request, 500, "服务器内部错误，已记入日志。请把出错的时间和操作告诉系统管理员。")
