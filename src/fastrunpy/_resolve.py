"""Resolution layer: from a module name or a path to (name, spec, code).

Everything here runs once per *new* target; the hot path (globals, dunders,
exec, sys save/restore) lives in the implementation modules ``_core`` and
``_core_py``.  Error types and messages are those of the running
interpreter's ``runpy``, version by version, because callers match on them.
"""

import importlib.machinery  # noqa: F401  (runpy imports it first, so must we: -m of importlib users)
import importlib.util
import io
import os
import sys

# Kept in the package, which the command line uses without this module.
from . import _SETS_CACHED, _backported_change

SETS_CACHED = _SETS_CACHED
backported_change = _backported_change

# No runtime typing: it would be one more module ``import runpy`` does not load.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple, Type

    ErrorType = Type[BaseException]
    Details = Tuple[str, Any, Any]

# 3.9 imports pkgutil when runpy is imported; later versions only on first use.
# Users can observe that through sys.modules, so follow the running version.
if sys.version_info < (3, 10):
    import pkgutil  # noqa: F401

_PY312 = sys.version_info >= (3, 12)
_PY313 = sys.version_info >= (3, 13)
# Python 3.15 passes the run name to compile().
_COMPILE_TAKES_MODULE = sys.version_info >= (3, 15)


# runpy's ImportErrors carry ``name``.
ERRORS_CARRY_NAME = backported_change((3, 13, 14), (3, 14, 5), (3, 15, 0, "beta", 1))

class _Error(Exception):
    """Error that _run_module_as_main() should report without a traceback"""


def lookup_error(error: "ErrorType", message: str, mod_name: str) -> BaseException:
    """``error(message)``, with ``name=mod_name`` where runpy sets it (ImportErrors only)."""
    if ERRORS_CARRY_NAME and issubclass(error, ImportError):
        return error(message, name=mod_name)
    return error(message)


def _warn_already_imported(mod_name: str, pkg_name: str) -> None:
    from warnings import warn

    warn(
        RuntimeWarning(
            f"{mod_name!r} found in sys.modules after import of package "
            f"{pkg_name!r}, but prior to execution of {mod_name!r}; "
            "this may result in unpredictable behaviour"
        )
    )


def import_parent(mod_name: str, warn: bool = True) -> None:
    """Import the parent package of a dotted name, as runpy does before finding it.

    A missing ancestor is left for find_spec() to report; any other failure
    (including an ImportError raised *inside* the package) propagates.
    ``warn=False`` leaves out runpy's warning about a module imported
    already: a prepared handle gives it when it runs, not when prepared.
    """
    pkg_name = mod_name.rpartition(".")[0]
    if not pkg_name:
        return
    try:
        __import__(pkg_name)
    except ImportError as exc:
        missing = exc.name
        if missing is None or (
            missing != pkg_name and not pkg_name.startswith(missing + ".")
        ):
            raise
    existing = sys.modules.get(mod_name)
    if warn and existing is not None and not hasattr(existing, "__path__"):
        _warn_already_imported(mod_name, pkg_name)


def find_spec(mod_name: str, error: "ErrorType") -> "Any":
    """importlib's find_spec, with runpy's translation of its failures."""
    try:
        spec = importlib.util.find_spec(mod_name)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        message = (
            f"Error while finding module specification for {mod_name!r} "
            f"({type(exc).__name__}: {exc})"
        )
        if mod_name.endswith(".py"):
            message += (
                f". Try using '{mod_name[:-3]}' instead of "
                f"'{mod_name}' as the module name."
            )
        raise lookup_error(error, message, mod_name) from exc
    if spec is None:
        raise lookup_error(error, f"No module named {mod_name}", mod_name)
    return spec


def plain_lookup(mod_name: str, error: "ErrorType") -> "Tuple[Any, Any]":
    """(spec, None): find the spec now; the code is fetched by the caller."""
    return find_spec(mod_name, error), None


def get_module_details(
    mod_name: str, error: "ErrorType" = ImportError, lookup: "Any" = plain_lookup, warn: bool = True
) -> "Details":
    """Return (name actually run, spec, code) for ``run_module(mod_name)``.

    ``lookup(name, error)`` gives (spec, code or None); the caches pass their
    own, and everything around it (parent imports, warnings, errors) is the
    same either way.
    """
    if mod_name.startswith("."):
        raise lookup_error(error, "Relative module names not supported", mod_name)
    import_parent(mod_name, warn)
    spec, code = lookup(mod_name, error)
    if spec.submodule_search_locations is not None:
        return _package_main_details(mod_name, error, lookup, warn)
    if code is None:
        code = code_from_loader(mod_name, spec, error)
    return mod_name, spec, code


def _package_main_details(pkg_name: str, error: "ErrorType", lookup: "Any", warn: bool) -> "Details":
    if pkg_name == "__main__" or pkg_name.endswith(".__main__"):
        raise lookup_error(error, "Cannot use package as __main__ module", pkg_name)
    try:
        return get_module_details(pkg_name + ".__main__", error, lookup, warn)
    except error as exc:
        if pkg_name not in sys.modules:
            raise  # nothing was imported, so "is a package" would mislead
        raise lookup_error(
            error, f"{exc}; {pkg_name!r} is a package and cannot be directly executed", pkg_name
        )


def code_from_loader(mod_name: str, spec: "Any", error: "ErrorType") -> "Any":
    loader = spec.loader
    if loader is None:
        raise lookup_error(error, f"{mod_name!r} is a namespace package and cannot be executed", mod_name)
    try:
        code = loader.get_code(mod_name)
    except ImportError as exc:
        raise lookup_error(error, format(exc), mod_name) from exc
    if code is None:
        raise lookup_error(error, f"No code object available for {mod_name}", mod_name)
    return code


def main_not_found(exc: "ImportError", error: "ErrorType") -> "Optional[BaseException]":
    """The friendlier error runpy gives when a dir or zip has no __main__."""
    if "__main__" in str(exc):
        return lookup_error(error, f"can't find '__main__' module in {sys.path[0]!r}", "__main__")
    return None


def path_importer(path_name: "Any") -> "Any":
    """The finder sys.path would use for ``path_name``, or None for a plain file.

    Goes through pkgutil so sys.path_importer_cache is filled exactly as by runpy.
    """
    from pkgutil import get_importer

    importer = get_importer(path_name)
    if not _PY312 and type(importer).__module__ == "imp":
        # imp.NullImporter meant "not a path entry" before 3.12.
        if type(importer).__name__ == "NullImporter":
            return None
    return importer


def script_path(path_name: "Any") -> "Any":
    """The value runpy uses for __file__, argv[0] and sys.path of a run_path target.

    3.13 decodes path-like and bytes paths to str; earlier versions keep the
    caller's object.
    """
    return os.fsdecode(path_name) if _PY313 else path_name


def code_from_file(path_name: "Any", run_name: str) -> "Tuple[Any, Optional[bytes]]":
    """(code, source) for a script, read as runpy reads it: first as bytecode, then as source.

    ``source`` is None for a compiled file.  The file is opened twice for
    source, as runpy does, so audit hooks see the same two opens.
    """
    full_path = os.path.abspath(os.fsdecode(path_name))
    with io.open_code(full_path) as stream:
        if stream.read(4) == importlib.util.MAGIC_NUMBER:
            import marshal

            stream.read(12)  # flags, then mtime and size or a hash
            return marshal.load(stream), None
    with io.open_code(full_path) as stream:
        source = stream.read()
    return compile_source(source, path_name, run_name), source


def compile_source(source: "Any", filename: "Any", run_name: "Optional[str]") -> "Any":
    # dont_inherit: this package's own __future__ flags must never reach user code.
    if _COMPILE_TAKES_MODULE:
        return compile(source, filename, "exec", dont_inherit=True, module=run_name)  # type: ignore[call-overload]
    return compile(source, filename, "exec", dont_inherit=True)


def compile_string(source: "Any") -> "Any":
    """What ``exec(source)`` would compile inside runpy, which has no __future__ imports."""
    return compile(source, "<string>", "exec", dont_inherit=True)

