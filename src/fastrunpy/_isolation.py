"""isolated(): put back what a run changed in the interpreter.

A task runner runs script after script in one process; each should start
from the interpreter the runner had, not from the one the last script left.
On exit the context restores, from a snapshot taken on entry:

- ``sys.modules``: entries added are removed, replaced or removed ones put back
- ``sys.path``, ``sys.meta_path``, ``sys.path_hooks``, ``sys.argv``: contents
  and the list objects themselves (a script may rebind them)
- ``sys.path_importer_cache``: contents and the dict object
- ``os.environ``: variables added, changed or removed (through
  ``os.environ``, so the process environment follows), and the object
- the working directory
- ``sys.stdin``, ``sys.stdout``, ``sys.stderr``, ``sys.excepthook``,
  ``sys.displayhook``, ``sys.unraisablehook``
- the warnings filters and ``warnings.showwarning`` (as
  ``warnings.catch_warnings`` does)
- signal handlers set from Python, when entered in the main thread

What no snapshot can undo is listed in the README: state inside modules that
were imported before (their globals, class attributes, caches), threads and
processes the script started, files it opened or wrote, ``os.putenv`` calls
that bypass ``os.environ``, and state kept in C (locale, umask, resource
limits, C-level signal handlers).
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

_LISTS = ("path", "meta_path", "path_hooks", "argv")
_HOOKS = ("stdin", "stdout", "stderr", "excepthook", "displayhook", "unraisablehook")


class isolated:
    """Context manager: the interpreter state a run can change is restored on exit.

    ``with fastrunpy.isolated(): fastrunpy.run_path("job.py")``.  Exceptions
    from the body propagate after the state has been restored.  One object
    can be entered again after it exited, but not while it is active.
    """

    def __init__(self) -> None:
        self._snapshot: "Optional[Dict[str, Any]]" = None
        self._warnings: "Any" = None

    def __enter__(self) -> "isolated":
        if self._snapshot is not None:
            raise RuntimeError("this isolated() context is already active")
        import signal
        import threading
        import warnings

        snapshot: "Dict[str, Any]" = {
            "modules": dict(sys.modules),
            "lists": {name: (getattr(sys, name), list(getattr(sys, name))) for name in _LISTS},
            "importer_cache": (sys.path_importer_cache, dict(sys.path_importer_cache)),
            "environ": (os.environ, dict(os.environ)),
            "cwd": os.getcwd(),
            "hooks": {name: getattr(sys, name) for name in _HOOKS if hasattr(sys, name)},
            "signals": None,
        }
        if threading.current_thread() is threading.main_thread():
            handlers = {}
            for number in signal.valid_signals():
                try:
                    handler = signal.getsignal(number)
                except (OSError, ValueError):
                    continue
                if handler is not None:  # None: set from C, not restorable from Python
                    handlers[number] = handler
            snapshot["signals"] = handlers
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        self._snapshot = snapshot
        return self

    def __exit__(self, exc_type: "Any", exc: "Any", tb: "Any") -> None:
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is None:
            raise RuntimeError("this isolated() context is not active")
        errors: "List[BaseException]" = []
        steps = (
            lambda: self._warnings.__exit__(None, None, None),
            lambda: _restore_signals(snapshot["signals"]),
            lambda: _restore_hooks(snapshot["hooks"]),
            lambda: _restore_lists(snapshot["lists"]),
            lambda: _restore_importer_cache(*snapshot["importer_cache"]),
            lambda: _restore_modules(snapshot["modules"]),
            lambda: _restore_environ(*snapshot["environ"]),
            lambda: os.chdir(snapshot["cwd"]),
        )
        # Every step runs even if one fails; the first failure is raised.
        for step in steps:
            try:
                step()
            except Exception as error:
                errors.append(error)
        self._warnings = None
        if errors and exc is None:
            raise errors[0]


def _restore_signals(handlers: "Optional[Dict[int, Any]]") -> None:
    if handlers is None:
        return
    import signal

    for number, handler in handlers.items():
        try:
            if signal.getsignal(number) is not handler:
                signal.signal(number, handler)
        except (OSError, ValueError, RuntimeError):
            pass  # not settable here (SIGKILL, SIGSTOP): it cannot have changed either


def _restore_hooks(hooks: "Dict[str, Any]") -> None:
    for name, value in hooks.items():
        if getattr(sys, name, None) is not value:
            setattr(sys, name, value)


def _restore_lists(lists: "Dict[str, Tuple[List[Any], List[Any]]]") -> None:
    for name, (original, contents) in lists.items():
        if original != contents:
            original[:] = contents
        if getattr(sys, name) is not original:
            setattr(sys, name, original)


def _restore_importer_cache(original: "Dict[str, Any]", contents: "Dict[str, Any]") -> None:
    _restore_dict(original, contents)
    if sys.path_importer_cache is not original:
        sys.path_importer_cache = original


def _restore_modules(contents: "Dict[str, Any]") -> None:
    # In place: the interpreter holds on to this very dict.
    _restore_dict(sys.modules, contents)


def _restore_dict(target: "Dict[str, Any]", contents: "Dict[str, Any]") -> None:
    for name in [name for name in target if name not in contents]:
        target.pop(name, None)
    for name, value in contents.items():
        if target.get(name, contents) is not value:
            target[name] = value


def _restore_environ(original: "Any", contents: "Dict[str, str]") -> None:
    if os.environ is not original:
        os.environ = original
    for name in [name for name in original if name not in contents]:
        del original[name]
    for name, value in contents.items():
        if original.get(name) != value:
            original[name] = value
