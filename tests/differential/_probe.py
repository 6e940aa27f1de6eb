"""Child-side recorder: turns what a run can observe into comparable JSON values.

Copied next to the driver as ``_diffprobe`` in each child interpreter.  User
scripts of a scenario call ``record(globals(), label)`` to log what *they*
saw while running, and reach the implementation under test as ``runpy`` to
start nested runs.  Everything is normalised here so the stdlib and the
fastrunpy child produce identical values when they behave identically: the
child's temporary directory becomes ``<ROOT>``, object addresses disappear,
and library-internal names (``runpy`` / ``fastrunpy._resolve`` ...) become
``<runpy>`` because users can only tell them apart by module name.
"""

import builtins
import os
import re
import sys
import types

# Set by the driver before any scenario call.
runpy = None
ROOT = ""
TREE = ""
THROUGH_HANDLES = False  # set by the driver: see _driver._through_handle
records = []

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_LIBRARY_MODULES = ("runpy", "fastrunpy", "_frozen_importlib", "_frozen_importlib_external")
_MISSING = "<missing>"


def path(rel=""):
    """Absolute path of a scenario file, for scripts that start nested runs."""
    return os.path.join(TREE, rel) if rel else TREE


def _roots():
    roots = {ROOT, os.path.realpath(ROOT)}
    # Error messages quote paths with repr(), which doubles Windows backslashes.
    roots |= {repr(r)[1:-1] for r in roots}
    # sys.pycache_prefix mirrors absolute source paths below itself, minus the root separator.
    roots |= {r.lstrip("/") for r in roots}
    # Longest first so a realpath that extends ROOT is not half-replaced.
    return sorted((r for r in roots if r), key=len, reverse=True)


def text(value):
    for root in _roots():
        value = value.replace(root, "<ROOT>")
    return _ADDRESS.sub("", value)


def library_name(module_name):
    """Which implementation raised or warned is not part of the contract."""
    if module_name is None:
        return None
    head = module_name.split(".")[0]
    if head in ("runpy", "fastrunpy"):
        return "<runpy>"
    return module_name


def type_name(cls):
    module = library_name(getattr(cls, "__module__", None))
    if module == "builtins":
        return cls.__qualname__
    return "%s.%s" % (module, cls.__qualname__)


def _loader(loader):
    out = {"type": type_name(type(loader))}
    for attr in ("name", "path", "archive", "prefix"):
        if hasattr(loader, attr):
            out[attr] = describe(getattr(loader, attr), 1)
    return out


def spec(value):
    if value is None:
        return None
    locations = value.submodule_search_locations
    return {
        "spec": type_name(type(value)),
        "name": value.name,
        "origin": describe(value.origin, 1),
        "cached": describe(value.cached, 1),
        "parent": value.parent,
        "has_location": value.has_location,
        "submodule_search_locations": None if locations is None else [describe(p, 1) for p in locations],
        "loader": describe(value.loader, 1),
        "loader_state": describe(getattr(value, "loader_state", None), 1),
    }


def _is_spec(value):
    return type(value).__name__ == "ModuleSpec"


def _is_loader(value):
    return hasattr(value, "exec_module") or hasattr(value, "load_module") or hasattr(value, "get_code")


def describe(value, depth=0):
    """A JSON value standing for ``value``; equal descriptions mean indistinguishable values."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, bytes):
        return {"bytes": text(value.decode("utf-8", "backslashreplace"))}
    if value is builtins:
        return "<builtins module>"
    if value is builtins.__dict__:
        return "<builtins dict>"
    if depth > 3:
        return {"type": type_name(type(value))}
    if isinstance(value, types.ModuleType):
        return {"module": text(str(value.__name__))}
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return {"function": getattr(value, "__qualname__", repr(value)),
                "of": describe(getattr(value, "__module__", None), depth + 1)}
    if isinstance(value, type):
        return {"class": value.__qualname__, "of": describe(value.__module__, depth + 1)}
    if isinstance(value, types.CodeType):
        return {"code": value.co_name, "file": text(value.co_filename), "line": value.co_firstlineno}
    if _is_spec(value):
        return spec(value)
    if isinstance(value, os.PathLike):
        return {"pathlike": type_name(type(value)), "fspath": describe(os.fspath(value), depth + 1)}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [describe(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {"dict": [[describe(k, depth + 1), describe(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, BaseException):
        return {"exception": type_name(type(value)), "args": describe(value.args, depth + 1)}
    if _is_loader(value):
        return _loader(value)
    return {"object": type_name(type(value)), "repr": text(repr(value))}


def _sys_facts(name, g):
    modules = sys.modules
    main = modules.get("__main__")
    mine = modules.get(name) if isinstance(name, str) else None
    return {
        "argv": describe(list(sys.argv)),
        "path": describe(list(sys.path)),
        "name_in_modules": isinstance(name, str) and name in modules,
        "module_dict_is_globals": mine is not None and getattr(mine, "__dict__", None) is g,
        "main_dict_is_globals": main is not None and getattr(main, "__dict__", None) is g,
    }


def record(g, label):
    """Log what the running user code sees, as of this moment."""
    entry = {"label": label, "keys": list(g.keys())}
    for key in ("__name__", "__file__", "__cached__", "__package__", "__doc__", "__loader__", "__builtins__"):
        entry[key] = describe(g[key]) if key in g else _MISSING
    entry["__spec__"] = spec(g["__spec__"]) if g.get("__spec__") is not None else g.get("__spec__", _MISSING)
    entry["sys"] = _sys_facts(g.get("__name__"), g)
    records.append((entry, g))
