"""Fixtures for the speed suite: generated targets and the three runners.

Every scenario is measured for the standard library's ``runpy`` and for
fastrunpy's compiled and pure cores in one process, on the same files, so
``benchmarks/report.py`` can divide one median by another.  Each scenario is
one ``benchmark.group``; within it the ``runner`` parameter tells the sides
apart.
"""

import importlib
import os
import runpy
import shutil
import sys
import tempfile
import time
from types import SimpleNamespace

import pytest

RUNNERS = {"stdlib": "runpy", "compiled": "fastrunpy._core", "pure": "fastrunpy._core_py"}

ONE_LINE = "x = 1\n"

# Small functions, as a generated or table-heavy script would have: most of
# stdlib's cost is compiling them, which a warm cache never repeats.
BIG_SCRIPT = "".join(
    f"def f{i}(a, b={i}):\n    return a + b\n" for i in range(500)
)

# Long enough to make compiling a real part of a first run, short enough that
# a cold run's extra bookkeeping (stat, hash, cache insert) would show.
SMALL_SCRIPT = """\
import os
import sys

LIMIT = 10


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


def total(values):
    result = 0
    for value in values:
        if value > LIMIT:
            break
        result += value
    return result


answer = total(range(5))
"""


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)


@pytest.fixture(scope="session")
def targets():
    """A directory of scripts and modules, first on sys.path for run_module."""
    root = tempfile.mkdtemp(prefix="fastrunpy-bench-")
    files = {
        "one.py": ONE_LINE,
        "big.py": BIG_SCRIPT,
        "top.py": ONE_LINE,
        "coldmod.py": SMALL_SCRIPT,
        os.path.join("pkg", "__init__.py"): "",
        os.path.join("pkg", "__main__.py"): ONE_LINE,
        os.path.join("pkg", "sub", "__init__.py"): "",
        os.path.join("pkg", "sub", "leaf.py"): ONE_LINE,
        os.path.join("app", "__main__.py"): ONE_LINE,
        os.path.join("far", "p9", "tenth.py"): ONE_LINE,
    }
    # Installed code is not edited while it runs; dating the files a minute
    # back measures the steady state, not the just-written grace period in
    # which a cache must re-read content that stat() cannot vouch for.
    past = time.time() - 60
    for i in range(9):
        os.makedirs(os.path.join(root, "far", f"p{i}"))
    for relative, text in files.items():
        path = os.path.join(root, relative)
        _write(path, text)
        os.utime(path, (past, past))
    sys.path.insert(0, root)
    try:
        yield SimpleNamespace(
            root=root,
            one=os.path.join(root, "one.py"),
            big=os.path.join(root, "big.py"),
            coldmod=os.path.join(root, "coldmod.py"),
            app=os.path.join(root, "app"),
            # Ten directories, the module in the last: run_module searches them all.
            far_path=[os.path.join(root, "far", f"p{i}") for i in range(10)],
            small_source=SMALL_SCRIPT,
        )
    finally:
        sys.path.remove(root)
        for name in [n for n in sys.modules if n == "pkg" or n.startswith("pkg.")]:
            del sys.modules[name]
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def plain_meta_path():
    """Measure with the import system a plain ``python`` has.

    pytest puts its assertion-rewriting finder first on sys.meta_path.
    fastrunpy cannot predict what an unknown finder answers, so it resolves
    modules afresh while one is there; left in place, that finder would
    make the run_module rows measure pytest rather than the cache.
    """
    saved = list(sys.meta_path)
    sys.meta_path[:] = [
        finder for finder in saved if type(finder).__module__ != "_pytest.assertion.rewrite"
    ]
    try:
        yield
    finally:
        sys.meta_path[:] = saved


@pytest.fixture(params=list(RUNNERS))
def runner(request):
    """The runpy-like module under measurement, with a cleared cache.

    fastrunpy validates hits in its default mode ("auto": the kernel reports
    changes where it can) unless the test is marked ``timestamp``, which
    measures stat() on every hit.
    """
    if request.param != "stdlib" and os.environ.get("FASTRUNPY_NO_EXTENSIONS"):
        if request.param == "compiled":
            pytest.skip("FASTRUNPY_NO_EXTENSIONS is set: no compiled core")
    module = importlib.import_module(RUNNERS[request.param])
    if module is not runpy:
        mode = "timestamp" if request.node.get_closest_marker("timestamp") else "auto"
        module.cache_configure(validation=mode)
        module.cache_clear()
        request.addfinalizer(lambda: module.cache_configure(validation="auto"))
    return module


@pytest.fixture
def runner_module():
    """runner name -> the fastrunpy core, cache cleared; skips the compiled one where it is not built."""

    def get(name):
        if name == "compiled" and os.environ.get("FASTRUNPY_NO_EXTENSIONS"):
            pytest.skip("FASTRUNPY_NO_EXTENSIONS is set: no compiled core")
        module = importlib.import_module(RUNNERS[name])
        module.cache_clear()
        return module

    return get


@pytest.fixture
def fresh_dir(tmp_path):
    """A directory for files that no runner has seen yet."""
    return str(tmp_path)


@pytest.fixture
def floor_run(targets):
    """The floor of a one-line run_path: its code run in a new dict holding the seven dunders."""
    with open(targets.one, "rb") as stream:
        code = compile(stream.read(), targets.one, "exec", dont_inherit=True)
    path = targets.one

    def floor():
        namespace = {
            "__name__": "<run_path>",
            "__file__": path,
            "__cached__": None,
            "__doc__": None,
            "__loader__": None,
            "__package__": "",
            "__spec__": None,
        }
        exec(code, namespace)
        return namespace

    assert floor()["x"] == 1
    return floor
