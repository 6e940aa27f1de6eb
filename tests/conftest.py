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
from dataclasses import dataclass, field
from types import ModuleType
from typing import Dict

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
