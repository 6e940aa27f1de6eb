"""fastrunpy: the standard library's runpy, with a compiled hot path and caches.

``import fastrunpy as runpy`` is meant to change nothing but speed.  This
module only chooses the implementation: the compiled core ``_core`` where it
was built, else the pure-Python twin ``_core_py``.  Setting
``FASTRUNPY_NO_EXTENSIONS`` to a non-empty value before import forces the
pure twin; interpreters other than CPython always get it.

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

TYPE_CHECKING = False


def _want_extensions() -> bool:
    return not os.environ.get("FASTRUNPY_NO_EXTENSIONS") and (
        sys.implementation.name == "cpython"
    )


if TYPE_CHECKING:
    from typing import Any

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
else:
    IMPLEMENTATION = "python"
    if _want_extensions():
        try:
            from . import _core as _impl
        except ImportError:  # no wheel and no compiler: the twin does the same job
            from . import _core_py as _impl
        else:
            IMPLEMENTATION = "cython"
    else:
        from . import _core_py as _impl

    run_module = _impl.run_module
    run_path = _impl.run_path
    prepare_path = _impl.prepare_path
    prepare_module = _impl.prepare_module
    PreparedPath = _impl.PreparedPath
    PreparedModule = _impl.PreparedModule
    _run_module_as_main = _impl._run_module_as_main
    _get_module_details = _impl._get_module_details
    _get_main_module_details = _impl._get_main_module_details
    _run_code = _impl._run_code
    _prepare_main = _impl._prepare_main  # for the command line
    _compile_program = _impl._compile_program  # for the command line
    _run_module_code = _impl._run_module_code
    _Error = _impl._Error
    _TempModule = _impl._TempModule
    _ModifiedArgv0 = _impl._ModifiedArgv0
    CacheInfo = _impl.CacheInfo
    cache_info = _impl.cache_info
    cache_clear = _impl.cache_clear
    cache_configure = _impl.cache_configure
    del _impl


# Imported on first use: most processes never touch them, and importing
# fastrunpy stays as cheap as importing runpy.
_LAZY = {
    "install": "._install",  # fastrunpy as the whole interpreter's runpy
    "uninstall": "._install",
    "is_installed": "._install",
    "isolated": "._isolation",  # runs that leave the interpreter as they found it
}


def __getattr__(name: str) -> "Any":
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
