"""Accounts of the web application: who may log in, with which role.

The accounts file is kept outside the workspace's git repository (default
~/.config/docgen/users.json, or DOCGEN_USERS / `--users`), readable by its owner only. A
password is stored as a salted scrypt hash (hashlib.scrypt), never in clear. The key that
signs session cookies lives beside it, made on first use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from docgen.errors import DocgenError
from docgen.fsio import atomic_write

ROLES = {"clerk": "文书（可起草、签发、记录办理情况）", "inspector": "查阅（只读）"}
NAME_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff_.\-]{0,31}$")
MIN_PASSWORD = 8
# scrypt cost: 16 MiB and about 50 ms a check on the office PC; stored with each hash so it can grow.
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def default_path() -> Path:
    explicit = os.environ.get("DOCGEN_USERS")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "docgen" / "users.json"


def hash_password(password: str, salt: bytes | None = None, n: int = SCRYPT["n"], r: int = SCRYPT["r"],
                  p: int = SCRYPT["p"]) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        again = hash_password(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


@dataclass
class User:
    name: str
    role: str

    @property
    def clerk(self) -> bool:
        return self.role == "clerk"

    @property
    def role_name(self) -> str:
        return "文书" if self.clerk else "查阅"


class Accounts:
    """The accounts file: {"users": {name: {"role", "password", "created"}}}."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_path()

    def _read(self) -> dict:
        if not self.path.is_file():
            return {"users": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DocgenError(f"账户文件 {self.path} 无法读取：{exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise DocgenError(f"账户文件 {self.path} 格式不对（应为 {{\"users\": {{…}}}}）")
        return data

    def names(self) -> dict[str, str]:
        return {name: entry.get("role", "") for name, entry in self._read()["users"].items()}

    def __bool__(self) -> bool:
        return bool(self.names())

    def add(self, name: str, role: str, password: str) -> None:
        """Add an account or set a new password and role for an existing one."""
        if not NAME_RE.match(name or ""):
            raise DocgenError(f"用户名「{name}」不合法：用字母、数字、汉字、_ . -，最长 32 个字符")
        if role not in ROLES:
            raise DocgenError(f"角色应为 clerk（文书）或 inspector（查阅），而不是「{role}」")
        if len(password) < MIN_PASSWORD:
            raise DocgenError(f"密码至少 {MIN_PASSWORD} 个字符")
        data = self._read()
        data["users"][name] = {"role": role, "password": hash_password(password),
                               "created": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        os.chmod(self.path, 0o600)

    def authenticate(self, name: str, password: str) -> User | None:
        entry = self._read()["users"].get(name)
        if entry is None:
            hash_password(password)  # same time spent for an unknown name as for a wrong password
            return None
        if not check_password(password, entry.get("password", "")):
            return None
        return User(name, entry["role"])

    def user(self, name: str) -> User | None:
        """The account behind a session: gone or demoted accounts lose their sessions' rights."""
        role = self.names().get(name)
        return User(name, role) if role in ROLES else None

    def secret_key(self) -> str:
        """The key signing session cookies, beside the accounts file (made once, mode 0600)."""
        path = self.path.with_name("session.key")
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(path, secrets.token_hex(32))
            os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
