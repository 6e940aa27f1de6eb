"""Parent-side harness: build a scenario twice, play it under stdlib runpy and fastrunpy, compare.

Each side gets its own fresh interpreter (``sys.executable``) and its own copy
of the scenario's files, so nothing one run leaves behind (bytecode files,
caches, sys state) can leak into the other.  The child driver reports JSON
observations (see ``_driver`` and ``_probe``); a difference in any of them
is a parity failure, shown as a diff of the two reports.

A scenario is a file tree plus steps.  Files are ``str`` (UTF-8 source),
``bytes``, ``Pyc`` (code compiled by this interpreter, written as a .pyc),
``Zip`` (an archive holding a nested tree) or ``DIR`` (an empty directory).
Steps are made with ``call`` (an API function) and ``op`` (a driver action).
"""

import difflib
import functools
import io
import json
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib.util import MAGIC_NUMBER
from typing import Any, Dict, List, Optional, Sequence, Tuple

import fastrunpy

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD_TIMEOUT = 120

# What user scripts put first so the driver learns what they saw (no name is bound).
PROBE_LINE = "__import__('_diffprobe').record(globals(), {label!r})\n"


def probe(label: str) -> str:
    return PROBE_LINE.format(label=label)


class Pyc(object):
    """A compiled file: ``source`` compiled as if it lived at ``dfile`` (tree-relative)."""

    def __init__(self, source: str, dfile: str) -> None:
        self.source = source
        self.dfile = dfile


class Zip(object):
    """A zip archive whose members are another file tree."""

    def __init__(self, files: Dict[str, Any]) -> None:
        self.files = files


DIR = object()


def path(rel: str = "") -> Dict[str, str]:
    return {"$path": rel}


def pathlib_path(rel: str) -> Dict[str, str]:
    return {"$pathlib": rel}


def bytes_path(rel: str) -> Dict[str, str]:
    return {"$bytes": rel}


def text(value: str) -> Dict[str, str]:
    """A string in which ``<TREE>`` becomes the child's scenario directory."""
    return {"$text": value}


def compiled(source: str, filename: str) -> Dict[str, Any]:
    return {"$compile": [source, filename]}


def fresh_dict(**items: Any) -> Dict[str, Any]:
    """A dict argument whose identity and later mutation the driver watches."""
    return {"$dict": items}


def call(func: str, *args: Any, expect: str = "ok", label: Optional[str] = None, **kwargs: Any) -> Dict[str, Any]:
    """An API call step.  ``expect`` is checked on the stdlib side, so a scenario
    that does not exercise what it claims fails instead of agreeing vacuously."""
    return {"call": func, "args": list(args), "kwargs": kwargs, "expect": expect,
            "label": label or func}


def op(name: str, arg: Any = None) -> Dict[str, Any]:
    return {"op": name, "arg": arg}


def _pyc_bytes(source: str, filename: str) -> bytes:
    code = compile(source, filename, "exec", dont_inherit=True)
    # Timestamp-style header with zero mtime: nothing here checks it against a source.
    header = MAGIC_NUMBER + (0).to_bytes(4, "little") + (0).to_bytes(4, "little") \
        + len(source.encode("utf-8")).to_bytes(4, "little")
    return header + marshal.dumps(code)


def _zip_bytes(files: Dict[str, Any], tree: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel, content in sorted(files.items()):
            info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))
            if content is DIR:
                archive.writestr(info.filename.rstrip("/") + "/", b"")
            else:
                archive.writestr(info, _file_bytes(content, tree))
    return buffer.getvalue()


def _file_bytes(content: Any, tree: str) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, bytes):
        return content
    if isinstance(content, Pyc):
        return _pyc_bytes(content.source, os.path.join(tree, content.dfile))
    if isinstance(content, Zip):
        return _zip_bytes(content.files, tree)
    raise TypeError("unknown file content %r" % (content,))


def build_tree(tree: str, files: Dict[str, Any]) -> None:
    os.makedirs(tree)
    for rel, content in files.items():
        target = os.path.join(tree, rel)
        if content is DIR:
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as stream:
            stream.write(_file_bytes(content, tree))


def child_env(impl: Any) -> Dict[str, str]:
    env = dict(impl.env)
    # The child must import the very fastrunpy this test process imported (installed or source tree).
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fastrunpy.__file__)))
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = package_parent + (os.pathsep + old if old else "")
    env.pop("PYTHONSAFEPATH", None)  # the driver is imported from sys.path[0]
    # Bytecode writing is part of what is compared; scenarios turn it off themselves when they want.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONSTARTUP", None)
    return env


_IMPORTS_SCRIPT = (
    "import sys, json\n"
    "before = set(sys.modules)\n"
    "import {0}\n"
    "print(json.dumps(sorted(set(sys.modules) - before)))\n"
)


@functools.lru_cache(maxsize=None)
def _import_time_modules(module: str, env_items: Tuple[Tuple[str, str], ...]) -> Tuple[str, ...]:
    out = subprocess.run([sys.executable, "-c", _IMPORTS_SCRIPT.format(module)], env=dict(env_items),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True).stdout
    return tuple(json.loads(out))


def preimports(env: Dict[str, str]) -> List[str]:
    """Modules either library brings in merely by being imported, minus the libraries themselves.

    Both children import all of them before the first step, so a step's
    sys.modules delta shows what that *call* imported, not that fastrunpy's
    own import already pulled in (say) typing, which runpy does not.
    """
    items = tuple(sorted(env.items()))
    union = set(_import_time_modules("runpy", items)) | set(_import_time_modules("fastrunpy", items))
    return sorted(name for name in union
                  if name != "runpy" and name.split(".")[0] != "fastrunpy" and not name.startswith("_frozen"))


def _prepare(root: str, module: str, impl_name: str, files: Dict[str, Any],
             steps: Sequence[Dict[str, Any]], argv: Optional[List[str]],
             preimport: List[str]) -> Tuple[str, str]:
    private = os.path.join(root, "_probe")
    os.makedirs(private)
    shutil.copyfile(os.path.join(HERE, "_probe.py"), os.path.join(private, "_diffprobe.py"))
    shutil.copyfile(os.path.join(HERE, "_driver.py"), os.path.join(private, "_diffdriver.py"))
    with open(os.path.join(private, "main.py"), "w", encoding="utf-8") as stream:
        stream.write("import _diffdriver\n_diffdriver.main()\n")
    tree = os.path.join(root, "tree")
    build_tree(tree, files)
    scenario = {"root": root, "module": module, "implementation": impl_name, "steps": list(steps),
                "preimport": preimport, "through": THROUGH[0]}
    if argv is not None:
        scenario["argv"] = argv
    scenario_file = os.path.join(root, "scenario.json")
    with open(scenario_file, "w", encoding="utf-8") as stream:
        json.dump(scenario, stream)
    return scenario_file, os.path.join(root, "observed.json")


SIDES = ("runpy", "fastrunpy")
# "calls": fastrunpy's side calls run_path / run_module as the scenario says;
# "handles": through prepared handles (see _driver).  Set per test by conftest.
THROUGH = ["calls"]


def observe_both(impl: Any, files: Dict[str, Any], steps: Sequence[Dict[str, Any]],
                 argv: Optional[List[str]] = None, sides: Sequence[str] = SIDES,
                 private_files: Optional[Dict[str, str]] = None) -> Tuple[Any, Any]:
    """(stdlib observations, fastrunpy observations), each from its own fresh interpreter.

    ``sides`` and ``private_files`` (modules importable by the driver) exist
    for the harness's own tests, which swap in deliberately wrong runpys.
    """
    env = child_env(impl)
    preimport = preimports(env)
    roots = []
    procs = []
    try:
        for module in sides:
            root = os.path.realpath(tempfile.mkdtemp(prefix="fastrunpy-diff-"))
            roots.append(root)
            scenario_file, output_file = _prepare(root, module, impl.name, files, steps, argv, preimport)
            for name, source in (private_files or {}).items():
                with open(os.path.join(root, "_probe", name), "w", encoding="utf-8") as stream:
                    stream.write(source)
            proc = subprocess.Popen(
                [sys.executable, os.path.join(root, "_probe", "main.py"), scenario_file, output_file],
                cwd=os.path.join(root, "tree"), env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            procs.append((module, proc, output_file))
        results = []
        for module, proc, output_file in procs:
            out, err = proc.communicate(timeout=CHILD_TIMEOUT)
            if proc.returncode != 0 or not os.path.exists(output_file):
                raise AssertionError(
                    "%s child failed (exit %s)\nstdout:\n%s\nstderr:\n%s"
                    % (module, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")))
            with open(output_file, encoding="utf-8") as stream:
                results.append(json.load(stream))
        return results[0], results[1]
    finally:
        for _, proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


def _outcome(observation: Dict[str, Any]) -> str:
    raised = observation.get("raised")
    return "ok" if raised is None else raised["type"]


def check_expectations(steps: Sequence[Dict[str, Any]], observed: Sequence[Dict[str, Any]]) -> None:
    for step, seen in zip(steps, observed):
        expect = step.get("expect")
        if expect is not None and _outcome(seen) != expect:
            raise AssertionError(
                "scenario does not do what it claims: step %r expected %s, stdlib gave %s\n%s"
                % (step["label"], expect, _outcome(seen), json.dumps(seen, indent=1, sort_keys=True)))


def assert_same(impl: Any, files: Dict[str, Any], steps: Sequence[Dict[str, Any]],
                argv: Optional[List[str]] = None, **options: Any) -> Any:
    """Play the scenario on both sides; fail with a diff unless every observation agrees."""
    stdlib, fast = observe_both(impl, files, steps, argv, **options)
    check_expectations(steps, stdlib)
    if stdlib != fast:
        left = json.dumps(stdlib, indent=1, sort_keys=True).splitlines()
        right = json.dumps(fast, indent=1, sort_keys=True).splitlines()
        diff = "\n".join(difflib.unified_diff(left, right, "stdlib runpy", "fastrunpy (%s)" % impl.name,
                                              lineterm="", n=6))
        raise AssertionError("fastrunpy differs from runpy:\n" + diff)
    return stdlib
