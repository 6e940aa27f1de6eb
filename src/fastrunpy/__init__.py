"""fastrunpy: the standard library's runpy, with a compiled hot path and caches.

``import fastrunpy as runpy`` is meant to change nothing but speed.  This
module only chooses the implementation: the compiled core ``_core`` where it
was built, else the pure-Python twin ``_core_py``, imported when one of its
names is first used.  Setting ``FASTRUNPY_NO_EXTENSIONS`` to a non-empty
value before that forces the pure twin; interpreters other than CPython
always get it.

Importing the package must load no module that ``import runpy`` does not:
``python -m fastrunpy`` runs with the working directory at ``sys.path[0]``,
where a ``platform.py`` or ``typing.py`` would otherwise be picked up.  Hence
no ``platform`` and no runtime ``typing`` here (mypy treats the local
``TYPE_CHECKING`` like ``typing``'s).
"""

import os
import sys

from ._version import __version__

__all__ = ["run_module", "run_path"]

TYPE_CHECKING = False


def _want_extensions() -> bool:
    return not os.environ.get("FASTRUNPY_NO_EXTENSIONS") and (
        sys.implementation.name == "cpython"
    )


if TYPE_CHECKING:
    from typing import Any, List

    from ._install import install as install, is_installed as is_installed, uninstall as uninstall
    from ._isolation import isolated as isolated
    from ._core_py import (
        CacheInfo as CacheInfo,
        _Error as _Error,
        _get_main_module_details as _get_main_module_details,
        _get_module_details as _get_module_details,
        _ModifiedArgv0 as _ModifiedArgv0,
        _run_code as _run_code,
        _prepare_main as _prepare_main,
        _compile_program as _compile_program,
        _run_module_as_main as _run_module_as_main,
        _run_module_code as _run_module_code,
        _TempModule as _TempModule,
        cache_clear as cache_clear,
        cache_configure as cache_configure,
        cache_info as cache_info,
        run_module as run_module,
        run_path as run_path,
        prepare_module as prepare_module,
        prepare_path as prepare_path,
        PreparedModule as PreparedModule,
        PreparedPath as PreparedPath,
    )

    IMPLEMENTATION: str


# The implementation is imported on first use of any of its names, not by
# ``import fastrunpy``: where every interpreter start imports fastrunpy (the
# install-site hook), a process that never runs anything through it should
# not pay for loading it.
_CORE_NAMES = (
    "run_module",
    "run_path",
    "prepare_path",
    "prepare_module",
    "PreparedPath",
    "PreparedModule",
    "_run_module_as_main",
    "_get_module_details",
    "_get_main_module_details",
    "_run_code",
    "_prepare_main",  # for the command line
    "_compile_program",  # for the command line
    "_run_module_code",
    "_Error",
    "_TempModule",
    "_ModifiedArgv0",
    "CacheInfo",
    "cache_info",
    "cache_clear",
    "cache_configure",
)
# Whole-interpreter use and isolation, in modules of their own.
_LAZY = {
    "install": "._install",
    "uninstall": "._install",
    "is_installed": "._install",
    "isolated": "._isolation",
}


def _load_implementation() -> None:
    import importlib

    implementation = "python"
    if _want_extensions():
        try:
            core = importlib.import_module("._core", __name__)
        except ImportError:  # no wheel and no compiler: the twin does the same job
            core = importlib.import_module("._core_py", __name__)
        else:
            implementation = "cython"
    else:
        core = importlib.import_module("._core_py", __name__)
    namespace = globals()
    for name in _CORE_NAMES:
        namespace[name] = getattr(core, name)
    namespace["IMPLEMENTATION"] = implementation  # last: its presence means all are bound


def __getattr__(name: str) -> "Any":
    if name in _CORE_NAMES or name == "IMPLEMENTATION":
        _load_implementation()
        return globals()[name]
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> "List[str]":
    return sorted(set(globals()) | set(_CORE_NAMES) | set(_LAZY) | {"IMPLEMENTATION"})
