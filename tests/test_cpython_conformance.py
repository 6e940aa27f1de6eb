"""CPython's own test_runpy, run against each fastrunpy implementation.

The running interpreter's ``test/test_runpy.py`` is read at test time (it is
never copied into this repository) and its imports of ``runpy`` are pointed
at the implementation under test, including inside the code strings its
tests execute in-process and in child interpreters.  Every unittest method
becomes one pytest test, so a parity regression is reported by name.
"""

import contextlib
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import types
import unittest
import warnings
from typing import Dict, List, Optional, Tuple

import pytest

STDLIB_TEST = os.path.join(sysconfig.get_paths()["stdlib"], "test", "test_runpy.py")

# "import runpy" as a whole statement word: leaves runpy_test, __runpy_pkg__
# and run_module("runpy") (which runs the stdlib module as a target) alone.
_IMPORT_RUNPY = re.compile(r"\bimport runpy\b(?!\.)")
_FROM_RUNPY = re.compile(r"\bfrom runpy import\b")
# Tests from here on start child interpreters with -E, whose code must import
# the implementation without help from the environment.
_CHILD_SECTION = "\nclass TestExit("


def _missing_test_package_reason() -> Optional[str]:
    if not os.path.isfile(STDLIB_TEST):
        return "this interpreter ships without test/test_runpy.py ({})".format(STDLIB_TEST)
    try:
        import test.support  # noqa: F401
    except ImportError as exc:
        return "this interpreter's test package is not importable: {}".format(exc)
    return None


def _read_stdlib_test() -> str:
    with open(STDLIB_TEST, encoding="utf-8") as stream:
        return stream.read()


def _child_import(target: str) -> str:
    """One line of code that imports ``target`` as runpy in a ``python -E`` child.

    A child started with -E ignores PYTHONPATH, so when the package under test
    is only reachable that way, its directory is put on the child's sys.path.
    The directory is spelled as byte values so that the line needs no quotes
    and fits inside any string literal of the test source.
    """
    package_dir = _package_parent()
    if _child_finds_same_package(package_dir):
        return "import {} as runpy".format(target)
    spelled = ",".join(str(b) for b in os.fsencode(package_dir))
    return "import sys, os; sys.path.insert(0, os.fsdecode(bytes(({},)))); import {} as runpy".format(
        spelled, target
    )


def _package_parent() -> str:
    import fastrunpy

    return os.path.dirname(os.path.dirname(os.path.realpath(fastrunpy.__file__)))


_child_lookup: Dict[str, bool] = {}


def _child_finds_same_package(package_dir: str) -> bool:
    if package_dir not in _child_lookup:
        with tempfile.TemporaryDirectory() as neutral:
            proc = subprocess.run(
                [sys.executable, "-E", "-c", "import fastrunpy, os; print(os.path.realpath(fastrunpy.__file__))"],
                cwd=neutral,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                universal_newlines=True,
            )
        found = proc.stdout.strip()
        _child_lookup[package_dir] = proc.returncode == 0 and (
            os.path.dirname(os.path.dirname(found)) == package_dir
        )
    return _child_lookup[package_dir]


def rewrite_source(source: str, target: str, child_import: str) -> Tuple[str, int]:
    """test_runpy's source with runpy imports redirected; also the number of rewrites."""
    in_process, marker, child = source.partition(_CHILD_SECTION)
    count = 0

    def redirect(text: str, import_line: str) -> str:
        nonlocal count
        text, n_from = _FROM_RUNPY.subn("from {} import".format(target), text)
        text, n_import = _IMPORT_RUNPY.subn(import_line, text)
        count += n_from + n_import
        return text

    rewritten = redirect(in_process, "import {} as runpy".format(target))
    if marker:
        rewritten += marker + redirect(child, child_import)
    return rewritten, count


def load_test_module(target: str, child_import: str) -> types.ModuleType:
    source = _read_stdlib_test()
    rewritten, _ = rewrite_source(source, target, child_import)
    # One line per line of the original, so tracebacks point at the right code.
    assert rewritten.count("\n") == source.count("\n")
    module = types.ModuleType("fastrunpy_conformance_" + target.replace(".", "_"))
    module.__file__ = STDLIB_TEST
    code = compile(rewritten, STDLIB_TEST, "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return module


def _collect_test_ids() -> List[object]:
    reason = _missing_test_package_reason()
    if reason is not None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-test-package")]
    # The unmodified module has the same classes and methods; loading it here
    # keeps collection independent of whether the compiled core was built.
    module = types.ModuleType("fastrunpy_conformance_collect")
    module.__file__ = STDLIB_TEST
    exec(compile(_read_stdlib_test(), STDLIB_TEST, "exec", dont_inherit=True), module.__dict__)
    suite = unittest.TestLoader().loadTestsFromModule(module)
    ids = []
    for case in _flatten(suite):
        ids.append("{}.{}".format(type(case).__name__, case._testMethodName))
    return sorted(ids)


def _flatten(suite: unittest.TestSuite) -> List[unittest.TestCase]:
    cases = []
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            cases.extend(_flatten(item))
        else:
            cases.append(item)
    return cases


TEST_IDS = _collect_test_ids()


@pytest.fixture(scope="session")
def conformance_module(impl):
    reason = _missing_test_package_reason()
    if reason is not None:
        pytest.skip(reason)
    target = impl.module.__name__
    return load_test_module(target, _child_import(target))


@contextlib.contextmanager
def _without_pytest_import_hooks():
    """Hide pytest's assertion-rewriting finder from the stdlib tests.

    It claims every module named like a test file, including the packages
    test_runpy builds (``runpy_test``), and its loader has no get_code(), so
    stdlib runpy fails on them under pytest just as fastrunpy would.
    """
    hidden = [(i, f) for i, f in enumerate(sys.meta_path) if type(f).__module__.startswith("_pytest.")]
    for _, finder in reversed(hidden):
        sys.meta_path.remove(finder)
    try:
        yield
    finally:
        for index, finder in hidden:
            sys.meta_path.insert(index, finder)


def _format_problems(problems: List[Tuple[unittest.TestCase, str]]) -> str:
    return "\n".join("{}\n{}".format(case.id(), trace) for case, trace in problems)


@pytest.mark.parametrize("test_id", TEST_IDS)
def test_stdlib_test_runpy(conformance_module, test_id):
    class_name, method_name = test_id.split(".")
    case = getattr(conformance_module, class_name)(method_name)
    result = unittest.TestResult()
    # unittest's own runner gives each run a private warnings state; the tests
    # set their own filters where they assert on warnings.
    with warnings.catch_warnings(), _without_pytest_import_hooks():
        case.run(result)
    problems = result.errors + result.failures
    if problems:
        pytest.fail(_format_problems(problems), pytrace=False)
    if result.unexpectedSuccesses:
        pytest.fail("unexpected success: {}".format(test_id), pytrace=False)
    assert result.testsRun == 1
    if result.skipped:
        pytest.skip("skipped by test_runpy itself: {}".format(result.skipped[0][1]))


def test_rewrite_targets_the_implementation(impl, conformance_module):
    """Guards against the conformance run silently testing stdlib runpy."""
    import runpy as stdlib_runpy

    module = conformance_module
    assert module.runpy is impl.module
    assert module.runpy is not stdlib_runpy
    for name in ("_run_code", "_run_module_code", "run_module", "run_path"):
        assert getattr(module, name) is getattr(impl.module, name)
    # example_source runs in-process and imports runpy itself.
    assert module.example_namespace["runpy"] is impl.module
    assert "import {} as runpy".format(impl.module.__name__) in module.example_source


def test_rewrite_leaves_other_names_alone(impl):
    source = _read_stdlib_test() if os.path.isfile(STDLIB_TEST) else None
    if source is None:
        pytest.skip(_missing_test_package_reason() or "no test_runpy.py")
    target = impl.module.__name__
    rewritten, count = rewrite_source(source, target, "CHILD_IMPORT")
    # Module imports, example_source, the recursion script, and the child code.
    assert count >= 5
    assert not re.search(r"\bimport runpy\b(?!\.)", rewritten)
    assert "from runpy import" not in rewritten
    for untouched in ('run_module("runpy")', "__runpy_pkg__", "runpy_test"):
        assert rewritten.count(untouched) == source.count(untouched)
    if _CHILD_SECTION in source:
        child_part = rewritten.partition(_CHILD_SECTION)[2]
        assert "CHILD_IMPORT" in child_part
        assert "CHILD_IMPORT" not in rewritten.partition(_CHILD_SECTION)[0]


def test_child_import_loads_the_implementation(impl, tmp_path):
    """The line given to -E children imports the very module tested in-process."""
    line = _child_import(impl.module.__name__)
    proc = subprocess.run(
        [sys.executable, "-E", "-c", line + "; print(runpy.__file__)"],
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert os.path.realpath(proc.stdout.strip()) == os.path.realpath(impl.module.__file__)
