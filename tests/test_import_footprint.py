"""``import fastrunpy`` and ``python -m fastrunpy`` load nothing runpy would not.

Two reasons.  Whatever the package imports is one more module in
``sys.modules`` than under ``import runpy``, and start-up time.  And
``python -m fastrunpy`` imports the package with the working directory at
``sys.path[0]``, so every stdlib module it loads can be replaced by a file of
the same name there (or, once ``sys.path[0]`` is the script's directory,
next to the script).

Every check runs fresh child interpreters (``sys.executable``) with
``impl.env``, so both the compiled core and the pure twin are covered.

"fastrunpy's own" modules, ignored in every comparison, are the package and
its submodules plus the two module objects every Cython extension registers
when it is loaded: ``cython_runtime`` and the shared ``_cython_3_*`` ABI
module.  Cython creates both in memory; no file on sys.path can stand in for
them, and they exist only because the compiled core does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, FrozenSet, List, Tuple

import pytest

# Stdlib modules a program's own file is most likely to shadow, and that the
# package once imported (warnings: runpy's own lazy import, for comparison).
SHADOWED = ["platform", "typing", "threading", "re", "enum", "warnings"]

# Prints the modules loaded when it runs, and the fastrunpy implementation in use.
REPORT = """\
import sys
modules = sorted(sys.modules)
package = sys.modules.get("fastrunpy")
import json
print(json.dumps({"modules": modules, "implementation": getattr(package, "IMPLEMENTATION", None)}))
"""

Result = Tuple[int, str, str]


# Python 3.9 keeps exit handlers per atexit module object and runs only the
# newest one's, so ``python -m fastrunpy`` must import the shared atexit
# module to register the handler that ends the process by SIGINT after an
# uncaught KeyboardInterrupt (see fastrunpy._cli._exit_handlers).  atexit is
# built into the interpreter: no file can shadow it.
LAUNCH_EXCEPTIONS = {"atexit"} if sys.version_info < (3, 10) else set()


def _is_own(name: str) -> bool:
    return (
        name == "fastrunpy"
        or name.startswith("fastrunpy.")
        or name == "cython_runtime"  # Cython's in-memory runtime module
        or name.startswith("_cython_3_")  # Cython's in-memory shared ABI module
    )


def _run(impl, args: List[str], cwd: Path) -> Result:
    done = subprocess.run(
        [sys.executable, *args], cwd=str(cwd), env=impl.env, capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def _report(impl, args: List[str], cwd: Path) -> Dict[str, object]:
    status, out, err = _run(impl, args, cwd)
    assert status == 0, err
    report: Dict[str, object] = json.loads(out.splitlines()[-1])
    return report


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def _extra(ours: object, baseline: object) -> List[str]:
    assert isinstance(ours, list) and isinstance(baseline, list)
    return sorted(name for name in set(ours) - set(baseline) if not _is_own(name))


# --- which modules get loaded -------------------------------------------------


def _added_by(impl, statement: str, cwd: Path) -> Dict[str, object]:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"{statement}\n"
        "added = sorted(set(sys.modules) - before)\n"
        "package = sys.modules.get('fastrunpy')\n"
        "import json\n"
        "print(json.dumps({'modules': added, 'implementation': getattr(package, 'IMPLEMENTATION', None)}))\n"
    )
    return _report(impl, ["-c", code], cwd)


def test_import_loads_nothing_runpy_does_not(impl, tmp_path: Path) -> None:
    runpy = _added_by(impl, "import runpy", tmp_path)
    ours = _added_by(impl, "import fastrunpy", tmp_path)
    assert ours["implementation"] == impl.name
    assert _extra(ours["modules"], runpy["modules"]) == []


def test_each_implementation_module_loads_nothing_runpy_does_not(impl, tmp_path: Path) -> None:
    # The implementation module itself, imported directly (as the tests do).
    module = impl.module.__name__
    runpy = _added_by(impl, "import runpy", tmp_path)
    ours = _added_by(impl, f"import {module}", tmp_path)
    assert _extra(ours["modules"], runpy["modules"]) == []


def _dash_m_baseline(impl, tmp_path: Path) -> Dict[str, object]:
    """What ``python -m MOD`` has loaded when MOD's code starts: the interpreter's and runpy's share."""
    _write(tmp_path / "emptymod.py", REPORT)
    return _report(impl, ["-m", "emptymod"], tmp_path)


def test_python_m_fastrunpy_script_loads_nothing_python_m_does_not(impl, tmp_path: Path) -> None:
    baseline = _dash_m_baseline(impl, tmp_path)
    _write(tmp_path / "script.py", REPORT)
    ours = _report(impl, ["-m", "fastrunpy", "script.py"], tmp_path)
    assert ours["implementation"] == impl.name
    assert _extra(ours["modules"], baseline["modules"]) == sorted(LAUNCH_EXCEPTIONS)


def test_python_m_fastrunpy_m_loads_nothing_python_m_does_not(impl, tmp_path: Path) -> None:
    baseline = _dash_m_baseline(impl, tmp_path)
    ours = _report(impl, ["-m", "fastrunpy", "-m", "emptymod"], tmp_path)
    assert ours["implementation"] == impl.name
    assert _extra(ours["modules"], baseline["modules"]) == sorted(LAUNCH_EXCEPTIONS)


# --- python -m fastrunpy leaves the implementation to first use ---------------

# Prints which implementation modules were loaded when the program started,
# then uses fastrunpy and reports what it got.
USES_FASTRUNPY = """\
import sys
loaded = sorted(name for name in ("fastrunpy._core", "fastrunpy._core_py") if name in sys.modules)
import fastrunpy, os, tempfile
with tempfile.TemporaryDirectory() as tmp:
    target = os.path.join(tmp, "target.py")
    with open(target, "w") as stream:
        stream.write("answer = 6 * 7\\n")
    answer = fastrunpy.run_path(target)["answer"]
print(loaded, fastrunpy.IMPLEMENTATION, answer, fastrunpy.run_path.__module__)
"""

# Where the interpreter keeps no copy of its own options (3.9), the package
# cannot tell ``python -m fastrunpy`` from other imports and loads eagerly.
_LAZY_UNDER_DASH_M = sys.version_info >= (3, 10)


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["-I"],
        ["-X", "dev"],
        ["-Xdev"],
        ["-W", "ignore"],
        ["-Wignore"],
        ["-bb", "-u"],
        ["-E", "-s"],
        ["--check-hash-based-pycs", "always"],
    ],
    ids=lambda options: " ".join(options) or "no options",
)
def test_python_m_fastrunpy_loads_the_implementation_when_the_program_uses_it(
    impl, tmp_path: Path, options: List[str]
) -> None:
    _write(tmp_path / "script.py", USES_FASTRUNPY)
    status, out, err = _run(impl, [*options, "-m", "fastrunpy", "script.py"], tmp_path)
    assert (status, err) == (0, "")
    loaded = [] if _LAZY_UNDER_DASH_M else [impl.module.__name__]
    assert out == f"{loaded} {impl.name} 42 {impl.module.__name__}\n"


def test_python_m_fastrunpy_with_options_joined_to_m(impl, tmp_path: Path) -> None:
    _write(tmp_path / "script.py", USES_FASTRUNPY)
    for args in (["-Im", "fastrunpy", "script.py"], ["-mfastrunpy", "script.py"], ["-Bmfastrunpy", "script.py"]):
        status, out, err = _run(impl, args, tmp_path)
        assert (status, err) == (0, ""), args
        loaded = [] if _LAZY_UNDER_DASH_M else [impl.module.__name__]
        assert out == f"{loaded} {impl.name} 42 {impl.module.__name__}\n", args


def test_dir_lists_the_implementation_before_it_loads(impl, tmp_path: Path) -> None:
    _write(
        tmp_path / "script.py",
        "import sys, fastrunpy\n"
        "names = dir(fastrunpy)\n"
        "print(all(n in names for n in ('run_path', 'run_module', 'IMPLEMENTATION', 'install', 'isolated')))\n"
        "print(sorted(n for n in ('fastrunpy._core', 'fastrunpy._core_py') if n in sys.modules))\n",
    )
    status, out, err = _run(impl, ["-m", "fastrunpy", "script.py"], tmp_path)
    assert (status, err) == (0, "")
    loaded = [] if _LAZY_UNDER_DASH_M else [impl.module.__name__]
    assert out == f"True\n{loaded}\n"


@pytest.mark.parametrize(
    "options, target",
    [
        (["-m", "fastrunpy", "x.py"], "fastrunpy"),
        (["-I", "-X", "importtime", "-mfastrunpy"], "fastrunpy"),
        (["-WX", "-m", "fastrunpy"], "fastrunpy"),  # -W's value is "X"; then -m
        (["--check-hash-based-pycs", "always", "-m", "fastrunpy"], "fastrunpy"),
        (["--version", "-m", "pkg"], "pkg"),
        (["-c", "pass", "-m", "fastrunpy"], None),
        (["script.py", "-m", "fastrunpy"], None),
        (["-", "-m", "fastrunpy"], None),
        (["--", "-m", "fastrunpy"], None),
        (["-m"], None),
        (["-W"], None),
    ],
)
def test_which_module_the_interpreter_options_run(options: List[str], target: object) -> None:
    """The parse of sys.orig_argv that decides when the package may load lazily (no implementation involved)."""
    import fastrunpy

    assert fastrunpy._dash_m_target(options) == target


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "import fastrunpy; import sys; print(sorted(n for n in sys.modules if n.startswith('fastrunpy._core')))"],
        ["-m", "usespkg"],  # a package of the user's that imports fastrunpy at ``python -m`` start-up
        ["-m", "usespkg", "-m", "fastrunpy"],  # arguments to the program, not the interpreter
    ],
    ids=["-c", "-m other package", "-m other package, program args"],
)
def test_every_other_import_loads_the_implementation_at_once(impl, tmp_path: Path, args: List[str]) -> None:
    _write(
        tmp_path / "usespkg" / "__init__.py",
        "import sys, fastrunpy\n"
        "print(sorted(n for n in sys.modules if n.startswith('fastrunpy._core')))\n",
    )
    _write(tmp_path / "usespkg" / "__main__.py", "")
    status, out, err = _run(impl, args, tmp_path)
    assert (status, err) == (0, "")
    assert out == f"{[impl.module.__name__]}\n"


# --- a program's file named like a stdlib module ------------------------------

# The shadowing file announces itself when imported; the program reports
# whether the name it imports is that file or the stdlib module.
SHADOW = 'print("SHADOW {name}")\nSHADOW = True\n'
PROGRAM = 'import {name}\nprint("program sees the shadow:", getattr({name}, "SHADOW", False))\n'

_preloaded_cache: Dict[str, FrozenSet[str]] = {}


def _loaded_by_python_m(impl, tmp_path: Path) -> FrozenSet[str]:
    """Modules ``python -m`` itself (runpy and its imports) loads, with no shadow around."""
    if impl.name not in _preloaded_cache:
        clean = tmp_path / "clean"
        clean.mkdir()
        report = _dash_m_baseline(impl, clean)
        modules = report["modules"]
        assert isinstance(modules, list)
        _preloaded_cache[impl.name] = frozenset(modules)
    return _preloaded_cache[impl.name]


_started_cache: Dict[str, FrozenSet[str]] = {}


def _loaded_at_start(impl, tmp_path: Path) -> FrozenSet[str]:
    """Modules loaded when a plain ``python SCRIPT`` starts, with no shadow around."""
    if impl.name not in _started_cache:
        clean = tmp_path / "clean-start"
        clean.mkdir()
        _write(clean / "report.py", REPORT)
        modules = _report(impl, [str(clean / "report.py")], clean)["modules"]
        assert isinstance(modules, list)
        _started_cache[impl.name] = frozenset(modules)
    return _started_cache[impl.name]


# 3.13+ adds "(consider renaming '.../threading.py' since it has the same name
# as the standard library module ...)" to an AttributeError on a module whose
# file sits in the directory the interpreter put first on sys.path *at
# start-up* (its configuration, not the live sys.path[0]).  Under
# ``python -m fastrunpy DIR/main.py`` that is the working directory, not DIR,
# and fastrunpy cannot change it: a known difference in an error message,
# unrelated to what fastrunpy imports, so it is left out of the comparison.
# The wording changed in 3.15 ("... and prevents importing that standard
# library module").
_SHADOW_HINT = re.compile(
    r" \(consider renaming '[^']*' since it has the same name as the standard library module named '[^']*'"
    r" and (?:the import system gives it precedence|prevents importing that standard library module)\)"
)


def _without_shadow_hint(result: Result) -> Result:
    status, out, err = result
    return status, out, _SHADOW_HINT.sub("", err)


@pytest.mark.parametrize("name", SHADOWED)
def test_shadow_next_to_script(impl, tmp_path: Path, name: str) -> None:
    """``python -m fastrunpy DIR/main.py`` from elsewhere: as ``python DIR/main.py``."""
    program = tmp_path / "program"
    _write(program / f"{name}.py", SHADOW.format(name=name))
    script = _write(program / "main.py", PROGRAM.format(name=name))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plain = _run(impl, [str(script)], elsewhere)
    ours = _run(impl, ["-m", "fastrunpy", str(script)], elsewhere)
    if name in _loaded_at_start(impl, tmp_path):
        # Loaded before any program runs (a virtualenv's start-up hook on 3.9
        # imports typing, re and enum): neither run can see the shadow.
        assert ours == plain
        assert plain[:2] == (0, "program sees the shadow: False\n")
    elif name in _loaded_by_python_m(impl, tmp_path):
        # Inherent to ``python -m``, not fastrunpy's doing: runpy and what it
        # imports are loaded before any -m module runs, while the script's
        # directory is not yet on sys.path, so the script's import finds the
        # stdlib module already loaded (e.g. warnings on 3.9-3.12, also
        # typing, re and enum on 3.9).
        assert plain[:2] == (0, f"SHADOW {name}\nprogram sees the shadow: True\n")
        assert ours == (0, "program sees the shadow: False\n", "")
    else:
        # (stderr may hold the interpreter's complaint about a shadowed
        # threading lacking _shutdown, in both runs alike)
        assert plain[:2] == (0, f"SHADOW {name}\nprogram sees the shadow: True\n")
        assert _without_shadow_hint(ours) == _without_shadow_hint(plain)


@pytest.mark.parametrize("name", SHADOWED)
def test_shadow_in_working_directory_script_there(impl, tmp_path: Path, name: str) -> None:
    """``python -m fastrunpy main.py`` beside the shadow: as ``python -m main``.

    With the working directory at sys.path[0] from the start, ``python -m``
    itself imports whatever shadows runpy's own imports, whatever module it
    then runs; ``python -m main`` shows that share, which fastrunpy must not add to.
    """
    _write(tmp_path / f"{name}.py", SHADOW.format(name=name))
    _write(tmp_path / "main.py", PROGRAM.format(name=name))
    plain = _run(impl, ["-m", "main"], tmp_path)
    ours = _run(impl, ["-m", "fastrunpy", "main.py"], tmp_path)
    assert ours == plain
    if name not in _loaded_by_python_m(impl, tmp_path):
        assert plain[:2] == (0, f"SHADOW {name}\nprogram sees the shadow: True\n")


@pytest.mark.parametrize("name", SHADOWED)
def test_shadow_in_working_directory_module(impl, tmp_path: Path, name: str) -> None:
    """``python -m fastrunpy -m mod`` beside the shadow: as ``python -m mod``."""
    _write(tmp_path / f"{name}.py", SHADOW.format(name=name))
    _write(tmp_path / "mod.py", PROGRAM.format(name=name))
    plain = _run(impl, ["-m", "mod"], tmp_path)
    ours = _run(impl, ["-m", "fastrunpy", "-m", "mod"], tmp_path)
    assert ours == plain
    if name not in _loaded_by_python_m(impl, tmp_path):
        assert plain[:2] == (0, f"SHADOW {name}\nprogram sees the shadow: True\n")


@pytest.mark.parametrize("name", SHADOWED)
def test_shadow_in_working_directory_script_elsewhere(impl, tmp_path: Path, name: str) -> None:
    """``python -m fastrunpy DIR/main.py`` from a directory holding the shadow.

    ``python DIR/main.py`` never has the working directory on sys.path;
    ``python -m`` does until fastrunpy hands sys.path[0] to the script.  So
    the expected result is ``python DIR/main.py``'s plus exactly what
    ``python -m`` alone does in that directory (``python -m emptymod``):
    nothing, unless runpy's own imports are shadowed.
    """
    _write(tmp_path / f"{name}.py", SHADOW.format(name=name))
    _write(tmp_path / "emptymod.py", "")
    script = _write(tmp_path / "program" / "main.py", PROGRAM.format(name=name))
    plain = _run(impl, [str(script)], tmp_path)
    launcher = _run(impl, ["-m", "emptymod"], tmp_path)
    ours = _run(impl, ["-m", "fastrunpy", str(script)], tmp_path)
    assert plain == (0, "program sees the shadow: False\n", "")
    if launcher[0] != 0:
        assert ours == launcher  # python -m fails before any module is looked up
    elif launcher[1]:
        # runpy's imports took the shadow; the script finds it loaded.
        assert launcher[:2] == (0, f"SHADOW {name}\n")
        assert ours == (0, f"SHADOW {name}\nprogram sees the shadow: True\n", launcher[2])
    else:
        assert ours == plain
