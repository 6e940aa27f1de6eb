"""fastrunpy as the whole interpreter's runpy: install(), and the site hook.

Everything that runs code through runpy (``python -m`` itself, pdb, cProfile,
profile, trace, multiprocessing's spawn, IPython's ``%run -m``) looks runpy up
in ``sys.modules``; the interpreter's ``-m`` asks for
``runpy._run_module_as_main``.  Installing puts a stand-in module there: it is
named ``runpy`` and carries the standard module's spec, file and loader (so
``run_module("runpy")`` and ``importlib.util.find_spec("runpy")`` still find
the standard library's module, as without fastrunpy), and fastrunpy's
functions under runpy's names.  Modules that imported the standard runpy
earlier keep the module object they hold, so their code keeps working;
uninstall() puts back whatever ``sys.modules['runpy']`` held before.

For a whole environment, ``fastrunpy install-site`` writes a ``.pth`` file
into site-packages whose one line calls ``install_at_startup()`` while the
site module starts the interpreter.  The interpreter processes it exactly
when it processes any ``.pth`` file (not under ``-S``; under ``-I`` too, as
site-packages is still read), and ``FASTRUNPY_NO_INSTALL`` set to a
non-empty value skips it for one process.
"""

import importlib.util  # loaded already: runpy and fastrunpy's core import it
import os
import sys
from _thread import allocate_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional

PACKAGE = __name__.rpartition(".")[0]
HOOK_FILENAME = "fastrunpy-install.pth"

# One line, as .pth import lines must be.  A hook left behind after
# fastrunpy itself was uninstalled stays silent instead of printing an
# error at every start-up; any other import error is reported by site.
HOOK_LINE = (
    "import os; "
    "os.environ.get('FASTRUNPY_NO_INSTALL') or exec("
    "'try:\\n    import fastrunpy._install as hook\\n'"
    "'except ModuleNotFoundError as exc:\\n    if exc.name != \"fastrunpy\": raise\\n'"
    "'else:\\n    hook.install_at_startup()')\n"
)

_ABSENT: "Any" = object()  # sys.modules had no "runpy" when install() ran
_lock = allocate_lock()
# What sys.modules["runpy"] held before install(); empty while not installed.
_replaced: "List[Any]" = []


# What the stand-in carries: runpy's API (public, and the private names other
# standard modules use), then fastrunpy's own additions.
_RUNPY_NAMES = (
    "run_module",
    "run_path",
    "_run_module_as_main",
    "_run_module_code",
    "_run_code",
    "_get_module_details",
    "_get_main_module_details",
    "_Error",
    "_TempModule",
    "_ModifiedArgv0",
)
_OWN_NAMES = ("IMPLEMENTATION", "CacheInfo", "cache_info", "cache_clear", "cache_configure", "__version__")
_stand_in: "List[Any]" = []  # made once: every install() puts back the same object


def _package() -> "Any":
    return sys.modules[PACKAGE]


def _standard_spec() -> "Any":
    """The spec ``import runpy`` would find, ignoring what sys.modules holds."""
    held = sys.modules.get("runpy")
    spec = getattr(held, "__spec__", None)
    if held is not None and not (_stand_in and held is _stand_in[0]) and spec is not None:
        return spec
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is not None:
            spec = find_spec("runpy", None)
            if spec is not None:
                return spec
    return None


def _make_stand_in() -> "Any":
    package = _package()
    spec = _standard_spec()
    module: "Any"
    if spec is None:
        module = type(sys)("runpy")
    else:
        # The dunders an import of the standard module would set, by the
        # running interpreter's own rules.
        module = importlib.util.module_from_spec(spec)
    module.__doc__ = "fastrunpy standing in for the standard library's runpy."
    module.__all__ = list(package.__all__)
    for name in _RUNPY_NAMES + _OWN_NAMES:
        setattr(module, name, getattr(package, name))
    return module


def stand_in() -> "Any":
    """The module install() puts at ``sys.modules['runpy']``."""
    with _lock:
        if not _stand_in:
            _stand_in.append(_make_stand_in())
        return _stand_in[0]


def is_installed() -> bool:
    """True while ``import runpy`` gives fastrunpy."""
    return bool(_stand_in) and sys.modules.get("runpy") is _stand_in[0]


def install() -> None:
    """Make ``import runpy`` give fastrunpy, for the whole interpreter.

    Idempotent and safe to call from several threads at once.
    """
    module = stand_in()
    with _lock:
        current = sys.modules.get("runpy", _ABSENT)
        if current is module:
            return
        del _replaced[:]
        _replaced.append(current)
        sys.modules["runpy"] = module


def uninstall() -> None:
    """Undo install(): ``import runpy`` gives what it gave before.

    If runpy was not imported before install(), the next ``import runpy``
    imports the standard library's.  Does nothing while not installed.
    """
    with _lock:
        if _stand_in and sys.modules.get("runpy") is _stand_in[0]:
            previous = _replaced[0] if _replaced else _ABSENT
            if previous is _ABSENT:
                del sys.modules["runpy"]
            else:
                sys.modules["runpy"] = previous
        del _replaced[:]


def install_at_startup() -> None:
    """What the site hook calls (after checking FASTRUNPY_NO_INSTALL)."""
    install()


def standard_runpy() -> "Any":
    """The standard library's runpy module, whether or not fastrunpy is installed."""
    with _lock:
        installed = _stand_in and sys.modules.get("runpy") is _stand_in[0]
        previous = _replaced[0] if installed and _replaced else _ABSENT
    if not installed:
        import runpy

        return runpy
    if previous is not _ABSENT:
        return previous
    # Installed before anything imported runpy: load a private copy.
    spec = _stand_in[0].__spec__
    if spec is None or spec.loader is None:
        raise ImportError("the standard library's runpy cannot be found", name="runpy")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the site hook -------------------------------------------------------------------


def site_packages() -> str:
    """The current environment's site-packages (where pip installs pure packages)."""
    import sysconfig

    return sysconfig.get_path("purelib")


def install_site(directory: "Optional[str]" = None) -> str:
    """Write the hook into ``directory`` (default: site_packages()); returns its path."""
    path = os.path.join(directory or site_packages(), HOOK_FILENAME)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(HOOK_LINE)
    os.replace(temporary, path)  # never a half-written hook for a starting interpreter
    return path


def uninstall_site(directory: "Optional[str]" = None) -> "Optional[str]":
    """Remove the hook from ``directory``; returns its path, or None if there was none."""
    path = os.path.join(directory or site_packages(), HOOK_FILENAME)
    try:
        os.remove(path)
    except FileNotFoundError:
        return None
    return path
