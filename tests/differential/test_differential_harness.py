"""The harness's own tests: it must see small deviations, and see none between equals.

Each mutant below is stdlib runpy with one subtle behaviour changed, the
kind of slip an accelerated reimplementation could make.  Played against
stdlib, every mutant must be reported as different; stdlib played against
itself must not be, or the suite's passes would mean nothing.
"""

import pytest

from ._harness import assert_same, call, fresh_dict, op, path, probe, text

BASE = (
    "import runpy as _stdlib\n"
    "from runpy import *\n"
    "from runpy import _run_code, _run_module_as_main, _run_module_code, _get_module_details\n"
)

MUTANTS = {
    "argv0-not-restored": (
        "def run_path(*args, **kwargs):\n"
        "    try:\n"
        "        return _stdlib.run_path(*args, **kwargs)\n"
        "    finally:\n"
        "        import sys\n"
        "        sys.argv[0] = 'leaked'\n"
    ),
    "globals-reordered": (
        "def run_path(*args, **kwargs):\n"
        "    return dict(sorted(_stdlib.run_path(*args, **kwargs).items()))\n"
    ),
    "warning-swallowed": (
        "def run_module(*args, **kwargs):\n"
        "    import warnings\n"
        "    with warnings.catch_warnings():\n"
        "        warnings.simplefilter('ignore')\n"
        "        return _stdlib.run_module(*args, **kwargs)\n"
    ),
    "error-reworded": (
        "def run_module(*args, **kwargs):\n"
        "    try:\n"
        "        return _stdlib.run_module(*args, **kwargs)\n"
        "    except ImportError as exc:\n"
        "        raise ImportError(str(exc) + '.') from exc.__cause__\n"
    ),
    "module-left-behind": (
        "def run_path(*args, **kwargs):\n"
        "    import sys\n"
        "    sys.modules.setdefault('left_behind', sys)\n"
        "    return _stdlib.run_path(*args, **kwargs)\n"
    ),
    "run-globals-copied": (
        "def _run_code(code, run_globals, *args, **kwargs):\n"
        "    return dict(_stdlib._run_code(code, run_globals, *args, **kwargs))\n"
    ),
    "init-globals-mutated": (
        "def run_path(path_name, init_globals=None, run_name=None):\n"
        "    if init_globals is not None:\n"
        "        init_globals.setdefault('__name__', run_name)\n"
        "    return _stdlib.run_path(path_name, init_globals, run_name)\n"
    ),
    "traceback-replaced": (
        "def run_path(*args, **kwargs):\n"
        "    try:\n"
        "        return _stdlib.run_path(*args, **kwargs)\n"
        "    except KeyError as exc:\n"
        "        raise KeyError(*exc.args) from None\n"
    ),
    "relative-file": (
        "def run_path(path_name, *args, **kwargs):\n"
        "    import os\n"
        "    return _stdlib.run_path(os.path.relpath(path_name), *args, **kwargs)\n"
    ),
    "bytecode-not-written": (
        "def run_module(*args, **kwargs):\n"
        "    import sys\n"
        "    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True\n"
        "    try:\n"
        "        return _stdlib.run_module(*args, **kwargs)\n"
        "    finally:\n"
        "        sys.dont_write_bytecode = saved\n"
    ),
}

FILES = {
    "s.py": probe("s") + "value = 1\n",
    "boom.py": "def f():\n    raise KeyError('k')\nf()\n",
    "lib/pkg/__init__.py": "",
    "lib/pkg/mod.py": probe("pkg.mod") + "value = 2\n",
}

STEPS = [
    op("sys_path_insert", "lib"),
    call("run_path", path("s.py"), fresh_dict(a=1)),
    call("run_path", path("boom.py"), expect="KeyError"),
    call("_run_code", text("x = 1\n"), fresh_dict()),
    call("run_module", "pkg.mod"),
    op("import", "pkg.mod"),
    call("run_module", "pkg.mod"),
    call("run_module", "pkg.nothing", expect="ImportError"),
]


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_harness_reports_each_mutant(impl, mutant):
    with pytest.raises(AssertionError, match="fastrunpy differs from runpy"):
        assert_same(impl, FILES, STEPS, sides=("runpy", "mutant"),
                    private_files={"mutant.py": BASE + MUTANTS[mutant]})


def test_harness_sees_no_difference_between_equals(impl):
    assert_same(impl, FILES, STEPS, sides=("runpy", "runpy"))
