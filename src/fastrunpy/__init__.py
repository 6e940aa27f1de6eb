"""fastrunpy: the standard library's runpy, with a compiled hot path and caches.

``import fastrunpy as runpy`` is meant to change nothing but speed.  This
module only chooses the implementation: the compiled core ``_core`` where it
was built, else the pure-Python twin ``_core_py``.  Setting
``FASTRUNPY_NO_EXTENSIONS`` to a non-empty value before import forces the
pure twin; interpreters other than CPython always get it.  The choice is
made at import, except when the interpreter imports the package for
``python -m fastrunpy``: then on first use (see ``_started_by_python_m``).

Importing the package must load no module that ``import runpy`` does not:
``python -m fastrunpy`` runs with the working directory at ``sys.path[0]``,
where a ``platform.py`` or ``typing.py`` would otherwise be picked up.  Hence
no ``platform`` and no runtime ``typing`` here (mypy treats the local
``TYPE_CHECKING`` like ``typing``'s).
"""

import os
import sys

# Here, not in a module of its own: one file fewer to find and load at every
# import (pyproject.toml reads it statically).
__version__ = "0.1.0"

__all__ = ["run_module", "run_path"]

# Facts about the running interpreter that both the implementations (through
# _resolve) and the command line use; here, so that ``python -m fastrunpy
# SCRIPT`` can run without importing the resolution layer.

# Python 3.15 stops setting __cached__.
_SETS_CACHED = sys.version_info < (3, 15)


def _backported_change(*first_releases: "Tuple[Any, ...]") -> bool:
    """Whether the running interpreter has a change that came in patch releases.

    ``first_releases`` holds the first release with the change in each
    minor line, oldest line first (as ``sys.version_info`` tuples, e.g.
    ``(3, 15, 0, "beta", 1)``).  Older lines lack it; newer ones have it.
    runpy's behaviour has changed this way, so it is decided on the exact
    version, never the minor one.
    """
    version = tuple(sys.version_info)
    for first in first_releases:
        if version[:2] == tuple(first[:2]):
            return version >= tuple(first)
    return version[:2] > tuple(first_releases[-1][:2])

TYPE_CHECKING = False


def _want_extensions() -> bool:
    return not os.environ.get("FASTRUNPY_NO_EXTENSIONS") and (
        sys.implementation.name == "cpython"
    )


if TYPE_CHECKING:
    from typing import Any, Tuple

    from ._install import install as install, is_installed as is_installed, uninstall as uninstall
    from ._isolation import isolated as isolated
    from ._spawn import Zygote as Zygote, run_process as run_process, spawn as spawn
    from ._core_py import (
        CacheInfo as CacheInfo,
        _Error as _Error,
        _get_main_module_details as _get_main_module_details,
        _get_module_details as _get_module_details,
        _ModifiedArgv0 as _ModifiedArgv0,
        _run_code as _run_code,
        _prepare_main as _prepare_main,
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

# What the chosen implementation provides, bound here by _load_implementation().
_IMPLEMENTATION_NAMES = (
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
    "_run_module_code",
    "_Error",
    "_TempModule",
    "_ModifiedArgv0",
    "CacheInfo",
    "cache_info",
    "cache_clear",
    "cache_configure",
)


def _load_implementation() -> None:
    global IMPLEMENTATION
    name = "python"
    implementation: "Any"
    if _want_extensions():
        try:
            from . import _core as implementation
        except ImportError:  # no wheel and no compiler: the twin does the same job
            from . import _core_py as implementation
        else:
            name = "cython"
    else:
        from . import _core_py as implementation
    namespace = globals()
    for attribute in _IMPLEMENTATION_NAMES:
        namespace[attribute] = getattr(implementation, attribute)
    IMPLEMENTATION = name


def _dash_m_target(options: "list[str]") -> "str | None":
    """The MOD of ``-m MOD`` in the interpreter's own options, if they have one."""
    index = 0
    while index < len(options):
        option = options[index]
        index += 1
        if option in ("-", "--") or not option.startswith("-"):
            return None  # a script, stdin or the end of the options: no -m
        if option.startswith("--"):
            index += option == "--check-hash-based-pycs"  # the one long option with a value
            continue
        for position in range(1, len(option)):
            letter = option[position]
            if letter in "cmWX":  # the options that take a value, attached or next
                value = option[position + 1 :]
                if not value and index < len(options):
                    value = options[index]
                    index += 1
                if letter == "c":
                    return None
                if letter == "m":
                    return value or None
                break
    return None


def _started_by_python_m() -> bool:
    """Whether the interpreter is importing this package for ``python -m fastrunpy``.

    It shows ``-m`` as sys.argv[0] while it does; sys.orig_argv (3.10+) says
    which module.
    """
    argv = getattr(sys, "argv", None)  # embedding applications may have none
    orig_argv = getattr(sys, "orig_argv", None)
    if not argv or argv[0] != "-m" or not orig_argv:
        return False
    return _dash_m_target(orig_argv[1:]) == __name__


# Loaded now, so that its imports happen here, as runpy's do at ``import
# runpy``, never in the middle of a first run.  Except under ``python -m
# fastrunpy``, where the command line runs a program next: a script needs
# nothing of the implementation (setting up the compiled core costs about a
# tenth of the interpreter's start-up), so it is loaded on first use, by a
# ``-m`` or directory target or by the program itself.
if not TYPE_CHECKING and not _started_by_python_m():
    _load_implementation()


# Imported on first use: most processes never touch them, and importing
# fastrunpy stays as cheap as importing runpy.
_LAZY = {
    "install": "._install",  # fastrunpy as the whole interpreter's runpy
    "uninstall": "._install",
    "is_installed": "._install",
    "isolated": "._isolation",  # runs that leave the interpreter as they found it
    "spawn": "._spawn",  # fresh processes forked from a warm one
    "run_process": "._spawn",
    "Zygote": "._spawn",
}


def __dir__() -> "list[str]":
    # Every name the package answers to, loaded yet or not.
    return sorted(set(globals()) | set(_IMPLEMENTATION_NAMES) | {"IMPLEMENTATION"} | set(_LAZY))


def __getattr__(name: str) -> "Any":
    if name == "IMPLEMENTATION" or name in _IMPLEMENTATION_NAMES:
        _load_implementation()
        return globals()[name]
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
