"""isolated(): two polluting scripts run one after the other each see a clean interpreter.

Runs in a fresh interpreter per implementation (``impl.env``): the scripts
change process-wide state (signal handlers, the environment, the working
directory) that the test process must not share.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# Changes every item isolated() restores.  NAME is "a" or "b"; the driver
# checks between the runs that nothing of the first is left for the second.
POLLUTER = '''\
import os, signal, sys, warnings
me = "NAME"
state = sys.modules["_isolation_state"]
import polluter_module_NAME                      # a new module
sys.modules["json"] = "replaced by NAME"          # a replaced entry
del sys.modules["_isolation_victim"]               # a removed entry
sys.path.append("/added/by/NAME")
sys.meta_path.insert(0, state.Finder())
sys.path_hooks.append(state.hook)
sys.path_importer_cache["/cached/by/NAME"] = None
sys.argv.append("NAME")
os.environ["ADDED_BY_NAME"] = "1"
os.environ["ISOLATION_CHANGED"] = "NAME"
del os.environ["ISOLATION_REMOVED"]
os.chdir(state.elsewhere)
sys.stdout = state.Sink()
sys.stderr = state.Sink()
sys.stdin = None
sys.excepthook = state.hook
sys.displayhook = state.hook
sys.unraisablehook = state.hook
warnings.simplefilter("ignore")
warnings.showwarning = state.hook
signal.signal(signal.SIGUSR1, state.hook)
signal.signal(signal.SIGINT, signal.SIG_IGN)
if me == "b":
    sys.path = ["rebound"]                          # rebinding, not just editing
    sys.path_importer_cache = {}
    os.environ = {}
'''

DRIVER = '''\
import os, signal, sys, types, warnings
import fastrunpy
impl = sys.argv[1]
assert fastrunpy.IMPLEMENTATION == impl, fastrunpy.IMPLEMENTATION
root = sys.argv[2]
sys.path.insert(0, root)
state = types.ModuleType("_isolation_state")
sys.modules["_isolation_state"] = state
sys.modules["_isolation_victim"] = types.ModuleType("_isolation_victim")
os.environ["ISOLATION_CHANGED"] = "initial"
os.environ["ISOLATION_REMOVED"] = "initial"
class Finder:
    def find_spec(self, *args):
        return None
class Sink:
    def write(self, text):
        return len(text)
    def flush(self):
        pass
def hook(*args):
    pass
state.Finder, state.Sink, state.hook = Finder, Sink, hook
state.elsewhere = os.path.join(root, "elsewhere")
def digest():
    return {
        "modules": {k: id(v) for k, v in sys.modules.items()},
        "path": (id(sys.path), list(sys.path)),
        "meta_path": (id(sys.meta_path), list(sys.meta_path)),
        "path_hooks": (id(sys.path_hooks), list(sys.path_hooks)),
        "importer_cache": (id(sys.path_importer_cache), {k: id(v) for k, v in sys.path_importer_cache.items()}),
        "argv": (id(sys.argv), list(sys.argv)),
        "environ": (id(os.environ), dict(os.environ)),
        "cwd": os.getcwd(),
        "hooks": [id(getattr(sys, n)) for n in ("stdin", "stdout", "stderr", "excepthook", "displayhook", "unraisablehook")],
        "warnings": (list(warnings.filters), id(warnings.showwarning)),
        "signals": {int(s): id(signal.getsignal(s)) for s in signal.valid_signals() if signal.getsignal(s) is not None},
    }
def diff():
    now = digest()
    return sorted(k for k in now if now[k] != state.initial[k])
state.digest, state.diff = digest, diff
with fastrunpy.isolated():  # the first use imports what isolated() itself needs
    pass
state.initial = digest()
run = getattr(fastrunpy, sys.argv[3])
for name in ("a", "b"):
    target = os.path.join(root, "polluter_" + name + ".py")
    with fastrunpy.isolated():
        if run is fastrunpy.run_path:
            run(target)
        else:
            run("polluter_" + name, alter_sys=True)
    assert digest() == state.initial, (name, diff())
# An exception from the body still restores, and propagates.
try:
    with fastrunpy.isolated():
        os.environ["FROM_THE_BODY"] = "1"
        sys.path.append("/from/the/body")
        raise KeyError("body")
except KeyError as exc:
    assert exc.args == ("body",)
assert digest() == state.initial, diff()
print("clean", impl)
'''


def _prepare(root: Path) -> None:
    (root / "elsewhere").mkdir()
    for name in ("a", "b"):
        (root / f"polluter_{name}.py").write_text(POLLUTER.replace("NAME", name))
        (root / f"polluter_module_{name}.py").write_text("")
    (root / "driver.py").write_text(DRIVER)


def _drive(impl, root: Path, how: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(root / "driver.py"), impl.name, str(root), how],
        cwd=str(root),
        env=impl.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_run_path_sees_a_clean_interpreter(impl, tmp_path: Path) -> None:
    _prepare(tmp_path)
    done = _drive(impl, tmp_path, "run_path")
    assert (done.returncode, done.stderr, done.stdout) == (0, "", f"clean {impl.name}\n")


def test_each_run_module_sees_a_clean_interpreter(impl, tmp_path: Path) -> None:
    _prepare(tmp_path)
    done = _drive(impl, tmp_path, "run_module")
    assert (done.returncode, done.stderr, done.stdout) == (0, "", f"clean {impl.name}\n")


def test_signals_left_alone_outside_the_main_thread(impl, tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import signal, threading, fastrunpy
        seen = []
        def worker():
            with fastrunpy.isolated():
                import os
                os.environ["FROM_THREAD"] = "1"
            seen.append(os.environ.get("FROM_THREAD"))
        t = threading.Thread(target=worker)
        t.start(); t.join()
        print(seen)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], env=impl.env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "[None]\n")


def test_not_reentrant_while_active(impl) -> None:
    code = textwrap.dedent(
        """
        import fastrunpy
        context = fastrunpy.isolated()
        with context:
            try:
                with context:
                    pass
            except RuntimeError as exc:
                print(exc)
        with context:  # again after it exited
            pass
        print(isinstance(context, fastrunpy.isolated))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], env=impl.env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "this isolated() context is already active\nTrue\n"
