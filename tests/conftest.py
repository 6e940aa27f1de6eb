"""Shared fixtures: every test runs against both implementations.

The ``impl`` fixture is the one switch.  In-process tests use ``impl.module``
(``fastrunpy._core`` or ``fastrunpy._core_py``, each a complete runpy-compatible
API); tests that start a fresh interpreter pass ``impl.env`` to it, which makes
``import fastrunpy`` pick that implementation there.

``FASTRUNPY_NO_EXTENSIONS=1`` in the test run's own environment limits the
suite to the pure-Python twin (a no-compiler install).  Otherwise the compiled
core is expected: if it cannot be imported, its half of the suite errors
instead of being skipped, so a broken build cannot pass quietly.
"""

from __future__ import annotations

import importlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Dict, Iterator, List

try:
    import fcntl
except ImportError:  # not on Windows; nothing there takes inotify instances
    fcntl = None  # type: ignore[assignment]

import pytest

NO_EXTENSIONS = bool(os.environ.get("FASTRUNPY_NO_EXTENSIONS"))

_MODULES = {"cython": "fastrunpy._core", "python": "fastrunpy._core_py"}
IMPLEMENTATIONS = ["python"] if NO_EXTENSIONS else ["cython", "python"]


@dataclass(frozen=True)
class Impl:
    name: str  # "cython" or "python", as fastrunpy.IMPLEMENTATION reports it
    module: ModuleType
    env: Dict[str, str] = field(repr=False)  # full environment for a child interpreter


def _child_env(name: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("FASTRUNPY_NO_EXTENSIONS", None)
    if name == "python":
        env["FASTRUNPY_NO_EXTENSIONS"] = "1"
    return env


@pytest.fixture(scope="session", params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> Impl:
    name = request.param
    module = importlib.import_module(_MODULES[name])
    return Impl(name, module, _child_env(name))


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Leave out the pure twin's cases about the compiled core's io_uring ring.

    Cases parametrized "auto-epoll" or ``ring=False`` (auto without the
    ring) or using the ``ring_sandbox`` fixture have nothing to check in the
    twin, which has no ring; collecting them only to skip them would bury
    real skips.
    """
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        params = params.params if params is not None else {}
        about_the_ring = (
            params.get("validation") == "auto-epoll"
            or params.get("ring") is False
            or "ring_sandbox" in getattr(item, "fixturenames", ())
        )
        (dropped if about_the_ring and params.get("impl") == "python" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class InotifyInstances:
    """The user's inotify instances, a resource every test run of this user shares.

    One test takes every free instance to show that fastrunpy copes without
    one.  While it holds them, a test of another session running beside this
    one (the CI matrix runs two) could not open the instance it needs and
    would fail for a reason of the machine's.  So each test holds a shared
    lock on a file in the temporary directory, and the test that takes every
    instance holds it exclusively (``take_every_one()``).  A second file is
    the gate to the first: the test waiting for its exclusive lock holds the
    gate, so that tests starting meanwhile wait instead of keeping the shared
    lock held for ever between them.
    """

    def __init__(self) -> None:
        self._lock = self._open("lock")
        self._gate = self._open("gate")
        self._lock_through_gate(exclusive=False)

    @staticmethod
    def _open(kind: str) -> int:
        if fcntl is None:
            return -1
        path = os.path.join(tempfile.gettempdir(), "fastrunpy-tests-inotify-instances." + kind)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)

    def _lock_through_gate(self, exclusive: bool) -> None:
        if fcntl is None:
            return
        self._wait_for(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._wait_for(self._lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    @staticmethod
    def _wait_for(fd: int, how: int) -> None:
        # Bounded: a lock some stray process kept (a forked child inherits it)
        # must cost this test its protection, not hang the whole run.
        deadline = time.monotonic() + 120
        while True:
            try:
                fcntl.flock(fd, how | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)

    def take_every_one(self) -> None:
        self._lock_through_gate(exclusive=True)

    def release(self) -> None:
        for fd in (self._lock, self._gate):
            if fd >= 0:
                os.close(fd)  # closing drops the lock, whichever it was


@pytest.fixture(autouse=True)
def inotify_instances() -> Iterator[InotifyInstances]:
    instances = InotifyInstances()
    try:
        yield instances
    finally:
        instances.release()
