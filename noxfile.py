"""Test matrix: the suite on every CPython 3.9-3.15 this machine has, and mypy.

Every interpreter found (see ``_interpreters``) gets its own session, named
after its exact release: ``tests-3.13.0``, ``tests-3.13.15``,
``tests-3.14.7t`` (the ``t`` marks a free-threaded build).  Two patch
releases of one minor version are two sessions.  ``nox -t tests`` runs them
all, ``nox -s tests-3.12.1`` one of them, ``nox -l`` lists what was found.

Each session installs the package non-editably, so the compiled core is built
for that interpreter (from the sdist named by ``FASTRUNPY_NOX_INSTALL`` when it
is set, which ``.ci/run`` does so that sessions run side by side never share a
build tree; from the checkout otherwise), checks that the compiled core is what gets imported and
runs pytest once: the suite itself covers both implementations.  Sessions on
a free-threaded build also check that importing and running with fastrunpy
leaves the GIL disabled.

Sessions are only made for interpreters that exist, so none is ever skipped;
``.ci/run`` compares what ran with what it expects.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
from typing import Dict, List, NamedTuple, Optional

import nox

MINORS = range(9, 16)  # CPython 3.9 to 3.15
TOOLS_CONSTRAINTS = ".ci/constraints-tools.txt"

nox.options.error_on_missing_interpreters = True
# Nothing but package registries is reachable: never try to fetch a Python.
nox.options.download_python = "never"


class Interpreter(NamedTuple):
    label: str  # "3.13.15", "3.14.7t", "3.15.0rc1": the session name's suffix
    path: str  # absolute path of the executable nox creates the venv from
    sort_key: tuple
    free_threaded: bool


# Run by each candidate executable: what it really is, whatever its name says.
_PROBE = """
import json, os, sys, sysconfig
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": list(sys.version_info),
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "executable": os.path.realpath(sys.executable),
}))
"""

_NAME = re.compile(r"python3\.(\d+)t?")


def _candidates() -> List[str]:
    """Executables named python3.N or python3.Nt: pyenv's versions, then PATH.

    pyenv's shims are on PATH whether or not a version is activated; probing a
    shim gives the real executable behind it, or nothing if none is active.
    """
    found: List[str] = []
    roots: List[str] = []
    for root in (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")):
        if root and os.path.realpath(root) not in roots:
            roots.append(os.path.realpath(root))
    for root in roots:
        found.extend(sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3.*"))))
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if directory:
            found.extend(sorted(glob.glob(os.path.join(directory, "python3.*"))))
    named = [(path, _NAME.fullmatch(os.path.basename(path))) for path in found]
    return [path for path, match in named if match and int(match.group(1)) in MINORS and os.access(path, os.X_OK)]


def _probe(path: str) -> Optional[Dict]:
    try:
        out = subprocess.run(
            [path, "-I", "-c", _PROBE],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout.decode())
    except ValueError:
        return None


_LEVELS = {"alpha": "a", "beta": "b", "candidate": "rc", "final": ""}


def _interpreters() -> List[Interpreter]:
    """Every distinct CPython 3.9-3.15 release found, oldest first.

    One per label: if the same release is installed twice, the first one found
    (pyenv before PATH) is used.  The order, and so the session list, depends
    only on which releases are installed.
    """
    by_label: Dict[str, Interpreter] = {}
    seen = set()
    for path in _candidates():
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        info = _probe(path)
        if info is None or info["implementation"] != "cpython":
            continue
        major, minor, micro, level, serial = info["version"]
        if major != 3 or minor not in MINORS or level not in _LEVELS:
            continue
        label = "%d.%d.%d%s%s%s" % (
            major,
            minor,
            micro,
            _LEVELS[level],
            serial if level != "final" else "",
            "t" if info["free_threaded"] else "",
        )
        key = (minor, micro, list(_LEVELS).index(level), serial, info["free_threaded"])
        by_label.setdefault(label, Interpreter(label, info["executable"], key, info["free_threaded"]))
    return sorted(by_label.values(), key=lambda interpreter: interpreter.sort_key)


INTERPRETERS = _interpreters()
_INSTALL_FROM = os.environ.get("FASTRUNPY_NOX_INSTALL") or "."

# Importing fastrunpy and running a script must not turn the GIL back on (an
# extension module not declared free-threading compatible would).
GIL_CHECK = """
import os, sys, tempfile
import fastrunpy
assert not sys._is_gil_enabled(), "the GIL was enabled by importing fastrunpy"
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "script.py")
    with open(script, "w") as stream:
        stream.write("x = sum(range(10))\\n")
    assert fastrunpy.run_path(script)["x"] == 45
assert not sys._is_gil_enabled(), "the GIL was enabled by fastrunpy.run_path"
print("GIL still disabled after import fastrunpy and run_path")
"""


def _make_tests_session(interpreter: Interpreter) -> None:
    # The interpreter is given to nox by absolute path (nox resolves a path
    # to exactly that executable); the session name carries the release.
    @nox.session(name="tests-" + interpreter.label, python=interpreter.path, tags=["tests"])
    def tests(session: nox.Session) -> None:
        # PYTHON_GIL=0 would hide an extension that turns the GIL back on.
        env = {"PYTHON_GIL": None}
        session.install(_INSTALL_FROM + "[test]", env=env)
        session.run(
            "python",
            "-c",
            "import sys, fastrunpy; print('fastrunpy', fastrunpy.__version__, "
            "fastrunpy.IMPLEMENTATION, 'on', sys.version.split()[0], sys.executable); "
            "sys.exit(fastrunpy.IMPLEMENTATION != 'cython')",
            env=env,
        )
        if interpreter.free_threaded:
            session.run("python", "-c", GIL_CHECK, env=env)
        session.run("python", "-m", "pytest", *session.posargs, env=env)


for _interpreter in INTERPRETERS:
    _make_tests_session(_interpreter)

# The newest stable release with the GIL, for the pure-Python run.
_STABLE = [i for i in INTERPRETERS if not i.free_threaded and re.fullmatch(r"[\d.]+", i.label)]


@nox.session(python=_STABLE[-1].path if _STABLE else None, default=False)
def tests_pure(session: nox.Session) -> None:
    """The suite against a build without the extension (``nox -s tests_pure``)."""
    env = {"FASTRUNPY_NO_EXTENSIONS": "1"}
    session.install(_INSTALL_FROM + "[test]", env=env)
    session.run(
        "python",
        "-c",
        "import sys, fastrunpy; sys.exit(fastrunpy.IMPLEMENTATION != 'python')",
        env=env,
    )
    session.run("python", "-m", "pytest", *session.posargs, env=env)


@nox.session
def mypy(session: nox.Session) -> None:
    # Settings (strict, files, target version) are in pyproject.toml.
    session.install("-c", TOOLS_CONSTRAINTS, "mypy")
    session.run("mypy", "--version")
    session.run("mypy", "--strict")
