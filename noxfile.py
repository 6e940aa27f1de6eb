"""Test matrix: the suite on every supported CPython this machine has, and mypy.

Each ``tests`` session installs the package non-editably, so the compiled core
is built for that interpreter, and runs pytest once: the suite itself covers
both implementations.  A missing interpreter skips its session instead of
failing the run; ``.ci/run`` reads the report and decides what that means.
"""

import glob
import os
import re
import shutil
import subprocess

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
TOOLS_CONSTRAINTS = ".ci/constraints-tools.txt"

nox.options.sessions = ["tests", "mypy"]
nox.options.error_on_missing_interpreters = False
# Nothing but package registries is reachable: never try to fetch a Python.
nox.options.download_python = "never"


def _reports_version(executable, version):
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.decode().strip() == version


def _patch_key(path, version):
    # Newest patch release first; "3.13.0t"-style free-threaded builds are not
    # what this matrix tests.
    match = re.search(re.escape(version) + r"\.(\d+)(t?)" + re.escape(os.sep), path)
    if match is None or match.group(2):
        return None
    return int(match.group(1))


def _pyenv_candidates(version):
    roots = []
    for root in (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv"), "/root/.pyenv"):
        if root and root not in roots:
            roots.append(root)
    found = []
    for root in roots:
        pattern = os.path.join(root, "versions", version + ".*", "bin", "python" + version)
        for path in glob.glob(pattern):
            key = _patch_key(path, version)
            if key is not None:
                found.append((key, path))
    return [path for _, path in sorted(found, reverse=True)]


def _locate(version):
    """A working pythonX.Y: from PATH, else from a pyenv tree.

    pyenv's shims are on PATH whether or not a version is activated, so a hit
    on PATH only counts if it really runs that version.
    """
    on_path = shutil.which("python" + version)
    if on_path and _reports_version(on_path, version):
        return on_path
    for candidate in _pyenv_candidates(version):
        if _reports_version(candidate, version):
            return candidate
    return None


def _expose_interpreters():
    # nox looks interpreters up on PATH; put the directories of any found
    # outside it in front, so "3.9" resolves to a real 3.9, not a shim.
    path = os.environ.get("PATH", "").split(os.pathsep)
    front = []
    for version in PYTHONS:
        found = _locate(version)
        if found is None:
            continue
        directory = os.path.dirname(found)
        if directory not in front and shutil.which("python" + version) != found:
            front.append(directory)
    if front:
        os.environ["PATH"] = os.pathsep.join(front + [p for p in path if p not in front])


_expose_interpreters()


@nox.session(python=PYTHONS)
def tests(session):
    session.install(".[test]")
    session.run(
        "python",
        "-c",
        "import sys, fastrunpy; print('fastrunpy', fastrunpy.__version__, "
        "fastrunpy.IMPLEMENTATION, 'on', sys.version.split()[0]); "
        "sys.exit(fastrunpy.IMPLEMENTATION != 'cython')",
    )
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHONS[-1], default=False)
def tests_pure(session):
    """The suite against a build without the extension (``nox -s tests_pure``)."""
    env = {"FASTRUNPY_NO_EXTENSIONS": "1"}
    session.install(".[test]", env=env)
    session.run(
        "python",
        "-c",
        "import sys, fastrunpy; sys.exit(fastrunpy.IMPLEMENTATION != 'python')",
        env=env,
    )
    session.run("python", "-m", "pytest", *session.posargs, env=env)


@nox.session
def mypy(session):
    # Settings (strict, files, target version) are in pyproject.toml.
    session.install("-c", TOOLS_CONSTRAINTS, "mypy")
    session.run("mypy", "--version")
    session.run("mypy", "--strict")
