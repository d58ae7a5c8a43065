"""One warm LibreOffice for all the conversions of a process, and for the processes beside it.

Starting LibreOffice takes seconds; converting a document in a running one, a fraction of
one. So the first conversion of a process starts LibreOffice listening on a named pipe (local
to this user, no network port) and every later one reuses it. It is driven through UNO by a
small worker (docgen/unoworker.py) run with the Python that Debian's python3-uno serves — the
project's own Python cannot load LibreOffice's bridge — over JSON lines on its stdin/stdout.

- One per font configuration: LibreOffice reads its fonts once, at start, so it is started
  with the environment (FONTCONFIG_FILE) of the conversions it serves, and a different
  configuration (another workspace's fonts/) gets its own.
- Shared: while a process keeps one (`docgen serve` for all its life), it is registered
  under the configuration's key, and other docgen processes with the same fonts connect to it
  instead of starting their own: a `docgen render --pdf` beside a running server is warm.
- No orphans: the worker and LibreOffice form a process group of their own. The worker ends
  the group as soon as its stdin closes, whatever it is doing (starting LibreOffice,
  converting): that happens when this process closes it, exits, or is killed in any way. A
  timed-out conversion, or a start this process gives up (SIGTERM, Ctrl-C), kills the group
  too. The profile is a private folder (docgen.runtime), removed by close() or, after a
  kill -9, by the next docgen process, which also stops whatever might still run in it.
- A unoserver already running (DOCGEN_UNOSERVER=host:port) is used instead, through its
  XML-RPC API.
- Where none can run (no python3-uno, a LibreOffice that does not start) `shared` returns
  None and docgen.pdf converts with one LibreOffice run per call, as before.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
import xmlrpc.client
from pathlib import Path

from docgen import progress
from docgen import runtime

WORKER = Path(__file__).with_name("unoworker.py")
START_TIMEOUT = 90      # a first start on a loaded machine, profile creation included
CONNECT_TIMEOUT = 5     # to a LibreOffice another process registered
# DOCGEN_OFFICE=oneshot turns the warm LibreOffice off (one LibreOffice run per conversion call)
MODE = "DOCGEN_OFFICE"
# DOCGEN_UNOSERVER=host:port converts through a running unoserver instead
UNOSERVER = "DOCGEN_UNOSERVER"
UNOSERVER_API = "3"


class OfficeError(Exception):
    """The warm LibreOffice cannot serve; the caller converts another way."""


class OfficeTimeout(Exception):
    """A conversion took longer than allowed; the LibreOffice doing it has been killed."""


class Office:
    """A LibreOffice kept running: started (own=True) or found running (a pipe another process
    registered). `convert` is one document at a time, from any thread."""

    def __init__(self, env: dict, soffice: str, *, pipe: str | None = None):
        self.own = pipe is None
        self.pipe = pipe or f"docgen-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()
        self._buffer = b""
        self.profile = None
        args = [_uno_python(), str(WORKER), self.pipe]
        if self.own:
            self.profile = runtime.private_folder("office")
            args += [soffice, self.profile.as_uri()]
        try:
            self.worker = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        except OSError as exc:
            self._remove_profile()
            raise OfficeError(f"cannot start the UNO worker: {exc}") from exc
        try:
            ready = self._reply(time.monotonic() + (START_TIMEOUT if self.own else CONNECT_TIMEOUT))
        except (OfficeError, OfficeTimeout) as exc:
            self.close()
            raise OfficeError(f"LibreOffice did not start: {exc}") from exc
        except BaseException:  # SIGTERM or Ctrl-C while it starts: not registered yet, so end it here
            self.close()
            raise
        if not ready.get("ready"):
            self.close()
            raise OfficeError(ready.get("error", "LibreOffice did not start"))

    @property
    def alive(self) -> bool:
        return self.worker.poll() is None

    def convert(self, src: Path, dst: Path, deadline: float) -> str | None:
        """Convert one file to PDF/A-2b; None when done, else LibreOffice's complaint.
        Raises OfficeTimeout past `deadline` (time.monotonic()), OfficeError if it died."""
        with self._lock:
            if not self.alive:
                raise OfficeError("the worker has ended")
            try:
                self.worker.stdin.write(json.dumps({"src": str(src), "dst": str(dst)}).encode() + b"\n")
                self.worker.stdin.flush()
            except OSError as exc:
                self._kill()
                raise OfficeError(f"the worker is gone: {exc}") from exc
            try:
                reply = self._reply(deadline)
            except OfficeTimeout:
                self._kill()
                raise
            return None if reply.get("ok") else reply.get("error", "?")

    def _reply(self, deadline: float) -> dict:
        fd = self.worker.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OfficeTimeout()
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self._kill()
                    raise OfficeError("the worker ended")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def close(self) -> None:
        """End the worker and the LibreOffice it started (their process group; one another
        process started goes on), and remove the profile."""
        with self._lock:
            self._kill()
            self._remove_profile()

    def _kill(self) -> None:
        try:
            os.killpg(self.worker.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.worker.wait()
        for stream in (self.worker.stdin, self.worker.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _remove_profile(self) -> None:
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Unoserver:
    """A unoserver (from PyPI) already running on this machine, named by DOCGEN_UNOSERVER
    (host:port of its XML-RPC API, 127.0.0.1:2003 by default): docgen converts through it and
    neither starts nor stops it. Its LibreOffice has the fonts it was started with, so start it
    with docgen's font configuration (README); what it makes is checked like any other PDF."""

    own = False
    alive = True

    def __init__(self, address: str):
        host, _, port = address.rpartition(":")
        self.pipe = address
        self.url = f"http://{host or '127.0.0.1'}:{port}"
        try:
            info = self._proxy(CONNECT_TIMEOUT).info()
        except (OSError, xmlrpc.client.Error) as exc:
            raise OfficeError(f"no unoserver at {address}: {exc}") from exc
        if str(info.get("api")) != UNOSERVER_API:
            raise OfficeError(f"unoserver at {address} speaks API {info.get('api')}, docgen {UNOSERVER_API}")

    def _proxy(self, timeout: float):
        return xmlrpc.client.ServerProxy(self.url, allow_none=True, transport=_Transport(timeout))

    def convert(self, src: Path, dst: Path, deadline: float) -> str | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OfficeTimeout()
        try:  # inpath, indata, outpath, convert_to, filter, filter options, update index, input filter
            self._proxy(remaining).convert(str(src), None, str(dst), None, "writer_pdf_Export",
                                           ["SelectPdfVersion=2"], False, None)
        except TimeoutError:
            raise OfficeTimeout() from None
        except xmlrpc.client.Fault as fault:
            return fault.faultString.strip().splitlines()[-1]
        except (OSError, xmlrpc.client.Error) as exc:
            raise OfficeError(f"unoserver: {exc}") from exc
        return None

    def close(self) -> None:
        pass


class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


# ---------------------------------------------------------------- one per process and fonts

_offices: dict[str, Office] = {}
_failed: set[str] = set()
_registry_lock = threading.Lock()


def key(env: dict, soffice: str) -> str:
    """Which LibreOffice with which fonts, as a short digest: the executable, and the
    configuration file's content (it names the font folders) or the system's."""
    config = env.get("FONTCONFIG_FILE")
    content = Path(config).read_bytes() if config and Path(config).is_file() else b"system"
    return hashlib.sha256(os.path.realpath(soffice).encode() + b"\0" + content).hexdigest()[:16]


def shared(env: dict, soffice: str) -> Office | None:
    """This process's warm LibreOffice for the environment's fonts: the one it has, one another
    docgen process registered, or a new one (registered for the others); None if none can run.
    `env` must stay valid (its FONTCONFIG_FILE readable) while the process runs."""
    if os.environ.get(MODE) == "oneshot":
        return None
    name = key(env, soffice)
    with _registry_lock:
        address = os.environ.get(UNOSERVER)
        if address and f"unoserver {address}" not in _failed:
            office = _offices.get(f"unoserver {address}")
            if office is None:
                try:
                    office = _offices[f"unoserver {address}"] = Unoserver(address)
                except OfficeError:
                    _failed.add(f"unoserver {address}")  # not there: docgen's own, as without it
            if office is not None:
                return office
        office = _offices.get(name)
        if office is not None and office.alive:
            return office
        if name in _failed:
            return None
        office = _found(name, env, soffice)
        if office is None:
            progress.step("正在启动 LibreOffice（此后的转换不再等待启动）……")
            try:
                office = Office(env, soffice)
            except OfficeError:
                _failed.add(name)  # python3-uno missing, or LibreOffice broken: one-shot runs
                return None
            _register(name, office)
        _offices[name] = office
        return office


def forget(office: Office) -> None:
    """Drop an office that failed; the next conversion starts (or finds) another."""
    with _registry_lock:
        for name, known in list(_offices.items()):
            if known is office:
                del _offices[name]
                _unregister(name, office)
    office.close()


def close_all() -> None:
    """End every office this process started or joined (at exit); a later conversion starts
    afresh, trying the warm way again."""
    with _registry_lock:
        _failed.clear()
        for name, office in list(_offices.items()):
            _unregister(name, office)
            office.close()
        _offices.clear()


atexit.register(close_all)


def _entry(name: str) -> Path:
    return runtime.runtime_dir() / f"{name}.json"


def _found(name: str, env: dict, soffice: str) -> Office | None:
    try:
        entry = json.loads(_entry(name).read_text())
    except (OSError, ValueError):
        return None
    owner = int(entry.get("owner", 0))
    if owner == os.getpid():
        return None
    if not runtime.alive(owner):  # registered by a process that was killed: its office is gone too
        _entry(name).unlink(missing_ok=True)
        return None
    try:
        return Office(env, soffice, pipe=entry["pipe"])
    except OfficeError:
        return None


def _register(name: str, office: Office) -> None:
    entry = _entry(name)
    tmp = entry.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"pipe": office.pipe, "owner": os.getpid()}))
    os.replace(tmp, entry)


def _unregister(name: str, office: Office) -> None:
    if not office.own:
        return
    entry = _entry(name)
    try:
        if json.loads(entry.read_text()).get("pipe") == office.pipe:
            entry.unlink()
    except (OSError, ValueError):
        pass


def _uno_python() -> str:
    """A Python that can load LibreOffice's UNO bridge: DOCGEN_UNO_PYTHON, the one beside
    LibreOffice (official builds ship one), or the system's (Debian's python3-uno)."""
    configured = os.environ.get("DOCGEN_UNO_PYTHON")
    if configured:
        return configured
    soffice = shutil.which("soffice")
    beside = Path(os.path.realpath(soffice)).parent / "python" if soffice else None
    for candidate in (beside, Path("/usr/bin/python3")):
        if candidate is not None and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("python3") or sys.executable
