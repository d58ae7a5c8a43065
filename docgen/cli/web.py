"""Commands of the web application: serve, and user add (its accounts)."""

from __future__ import annotations

from pathlib import Path

import click

from docgen.cli.deadlines import DateType

users_option = click.option("--users", type=click.Path(dir_okay=False, path_type=Path), envvar="DOCGEN_USERS",
                            help="账户文件（不放在工作区的 git 仓库里）；默认 ~/.config/docgen/users.json，"
                                 "或环境变量 DOCGEN_USERS。")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址。默认只允许本机访问；用 0.0.0.0 让局域网访问（没有账户时只读）。")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口。")
@click.option("--read-only", is_flag=True, help="只读：任何人都不能修改（供督查、巡查查阅）。")
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
              help="工作进程数；检索是计算密集的，多人同时检索时可设为 CPU 核数。")
@click.option("--today", type=DateType(), default=None, help="以哪一天为“今天”计算期限（演示样例用 2021-12-01）。")
@users_option
@click.pass_context
def serve(ctx, host, port, read_only, workers, today, users):
    """启动网页：查阅档案、检索、案卷、期限；文书登录后可起草、预览、签发和记录办理情况。

    \b
    例：docgen serve                      本机浏览器打开 http://127.0.0.1:8000/
        docgen serve --host 0.0.0.0 --read-only   局域网内只读查阅
    """
    import os

    import uvicorn

    from docgen.web.app import CONFIG_ENV, Config, create_app
    from docgen.workspace import find_root

    root = find_root(ctx.obj.get("root"))
    _check_address(host, port)
    config = Config(root=root, users=users, host=host, read_only=read_only, today=today, warm=True)
    app = create_app(config)  # made here too: a bad setting is reported before any worker starts
    mode = "只读" if app.state.read_only else "可登录修改"
    click.echo(f"工作区 {root}，{mode}。请用浏览器打开 http://{host}:{port}/ （按 Ctrl+C 停止）")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    os.environ[CONFIG_ENV] = config.to_env()
    uvicorn.run("docgen.web.app:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level="warning")


def _check_address(host: str, port: int) -> None:
    """A port in use or an address not on this machine, said in Chinese before uvicorn starts."""
    import errno
    import socket

    from docgen.errors import DocgenError

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        why = {errno.EADDRINUSE: "端口已被占用，可用 --port 换一个，如 --port 8001",
               errno.EADDRNOTAVAIL: "本机没有这个地址，请检查 --host",
               errno.EACCES: "没有权限使用该端口（1024 以下的端口需要管理员权限）"}.get(exc.errno, exc.strerror)
        raise DocgenError(f"无法在 {host}:{port} 上启动网页：{why}") from None


@click.group()
def user():
    """网页账户：clerk（文书，可修改）和 inspector（查阅，只读）。"""


@user.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["clerk", "inspector"]), required=True,
              help="clerk 文书（起草、签发、记录办理情况）；inspector 查阅（只读）。")
@click.password_option("--password", prompt="密码", confirmation_prompt="再输入一次",
                       help="不给出时提示输入（不回显）。")
@users_option
def add(name, role, password, users):
    """新增账户 NAME（已有则重设密码和角色）。密码以加盐的 scrypt 散列保存。"""
    from docgen.web.auth import Accounts

    accounts = Accounts(users)
    accounts.add(name, role, password)
    click.echo(f"已保存账户 {name}（{'文书' if role == 'clerk' else '查阅'}）：{accounts.path}")
