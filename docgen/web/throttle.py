"""Throttling of failed logins, so a password cannot be guessed without limit.

Failures are counted per account name and per client address. NAME_LIMIT failures for one name
(or ADDRESS_LIMIT from one address, which may serve several clerks) within WINDOW lock that name
(address) for a delay that doubles with every lockout in a row (FIRST_DELAY, 2×, 4× … up to
MAX_DELAY); a day without failures forgets a key. While locked, no password is checked at all,
not even the right one. Names are counted whether or not such an account exists, so neither
the answer nor its timing tells whether an account exists.

Where the state lives: `docgen serve --workers N` runs N processes, and a count kept in one
process's memory would let a guesser spread attempts over the workers (N times the limit). So
the counts are a small JSON file in the workspace's .docgen/ (beside the audit log, out of git),
read and written under docgen.fsio.lock; a login is rare enough that a file per attempt costs
nothing worth noticing. Behind a reverse proxy every client has the proxy's address: then only
the per-name limit protects (docgen serve is meant to be reached directly).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from docgen import fsio

STATE_DIR = ".docgen"
STATE_FILE = "login-failures.json"
WINDOW = 15 * 60
NAME_LIMIT = 5
ADDRESS_LIMIT = 20
FIRST_DELAY = 15 * 60
MAX_DELAY = 24 * 3600
FORGET = 24 * 3600
MAX_NAME = 64  # longer names are counted by their first 64 characters (the file stays small)


@dataclass
class Attempt:
    """A login let through to the password check (counted as a failure until it proves right)."""
    name: str
    address: str
    at: float


@dataclass
class Refusal:
    """A login refused before checking the password: until when (epoch seconds)."""
    until: float
    seconds: int


class Throttle:
    """The counts of one workspace. `clock` gives the time in epoch seconds (tests set it)."""

    def __init__(self, root: Path, clock=time.time):
        self.path = Path(root) / STATE_DIR / STATE_FILE
        self.clock = clock

    @staticmethod
    def name_key(name: str) -> str:
        return "name:" + name[:MAX_NAME]

    @staticmethod
    def address_key(address: str) -> str:
        return "address:" + address

    def keys(self, name: str, address: str) -> dict[str, int]:
        return {self.name_key(name): NAME_LIMIT, self.address_key(address): ADDRESS_LIMIT}

    def _locked(self):
        return fsio.lock(self.path.with_suffix(".lock"), 10, "登录记录正被占用，请稍后再试")

    def _read(self, now: float) -> dict:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}  # missing or damaged: start counting afresh rather than lock everyone out
        if not isinstance(state, dict):
            return {}
        # A key is forgotten a day after its last failure or lockout.
        return {k: v for k, v in state.items() if isinstance(v, dict)
                and now - max([*v.get("failures", []), v.get("until", 0)]) < FORGET}

    def _write(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fsio.atomic_write(self.path, json.dumps(state, ensure_ascii=False, indent=1) + "\n")

    def begin(self, name: str, address: str) -> Attempt | Refusal:
        """Before the password is checked: the refusal if the name or the address is locked (or
        has `limit` attempts in the window still being checked), else the attempt, counted as
        a failure already so that simultaneous guesses cannot slip in between check and count."""
        now = self.clock()
        keys = self.keys(name, address)
        with self._locked():
            state = self._read(now)
            until = 0.0
            for key, limit in keys.items():
                entry = state.setdefault(key, {"failures": [], "strikes": 0, "until": 0})
                entry["failures"] = [t for t in entry["failures"] if now - t < WINDOW]
                crowded = entry["failures"][-limit] + WINDOW if len(entry["failures"]) >= limit else 0
                until = max(until, entry["until"], crowded)
            if until > now:
                return Refusal(until, math.ceil(until - now))
            for key in keys:
                state[key]["failures"].append(now)
            self._write(state)
        return Attempt(name, address, now)

    def failed(self, attempt: Attempt) -> tuple[int, Refusal | None]:
        """The password was wrong: (failures of the name within the window, the lockout this
        one starts, if any)."""
        now = self.clock()
        counted, started = 0, None
        with self._locked():
            state = self._read(now)
            for key, limit in self.keys(attempt.name, attempt.address).items():
                entry = state.setdefault(key, {"failures": [], "strikes": 0, "until": 0})
                entry["failures"] = [t for t in entry["failures"] if now - t < WINDOW]
                if key.startswith("name:"):
                    counted = len(entry["failures"])
                if len(entry["failures"]) >= limit:
                    # Locked: the next `limit` tries come only after the delay, which doubles.
                    delay = min(FIRST_DELAY * 2 ** entry["strikes"], MAX_DELAY)
                    entry.update(failures=[], strikes=entry["strikes"] + 1, until=now + delay)
                    if started is None or started.until < now + delay:
                        started = Refusal(now + delay, delay)
            self._write(state)
        return counted, started

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: the name's count starts again, and the attempt is no failure of
        the address (whose other failures stay: one's own account must not clear a guesser's)."""
        with self._locked():
            state = self._read(self.clock())
            state.pop(self.name_key(attempt.name), None)
            entry = state.get(self.address_key(attempt.address))
            if entry and attempt.at in entry["failures"]:
                entry["failures"].remove(attempt.at)
            self._write(state)
