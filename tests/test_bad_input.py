"""Bad input: exactly stdlib runpy's error, and sys left as stdlib leaves it.

Each case calls the standard library's runpy and then the implementation
under test with the same arguments, in this process.  Compared: the
exception (type, message, args, cause and context, and the attributes
callers inspect: SyntaxError's location, ImportError's name and path,
OSError's errno and filenames), the warnings emitted, and the change each
call makes to sys.argv, sys.path, sys.meta_path, and the keys of sys.modules
and sys.path_importer_cache.  Between the two calls, the first call's changes
are undone, so both start from the same state; every case runs twice so a
second, possibly cached, attempt is checked too.
"""

import itertools
import os
import runpy as stdlib_runpy
import sys
import warnings
import zipfile
from collections import namedtuple

import pytest

Snapshot = namedtuple("Snapshot", "argv path meta_path modules importers")


def _snapshot():
    return Snapshot(
        list(sys.argv),
        list(sys.path),
        list(sys.meta_path),
        dict(sys.modules),
        dict(sys.path_importer_cache),
    )


def _changes(before, after):
    def changed_list(old, new):
        return None if old == new else new

    return {
        "argv": changed_list(before.argv, after.argv),
        "path": changed_list(before.path, after.path),
        "meta_path": changed_list(before.meta_path, after.meta_path),
        "modules added": sorted(after.modules.keys() - before.modules.keys()),
        "modules removed": sorted(before.modules.keys() - after.modules.keys()),
        "modules replaced": sorted(
            k for k in before.modules.keys() & after.modules.keys() if before.modules[k] is not after.modules[k]
        ),
        "importers added": sorted(map(repr, after.importers.keys() - before.importers.keys())),
        "importers removed": sorted(map(repr, before.importers.keys() - after.importers.keys())),
    }


def _restore(before):
    """Put sys back as it was in ``before`` (values included), in place."""
    sys.argv[:] = before.argv
    sys.path[:] = before.path
    sys.meta_path[:] = before.meta_path
    for key in sys.modules.keys() - before.modules.keys():
        del sys.modules[key]
    sys.modules.update(before.modules)
    for key in sys.path_importer_cache.keys() - before.importers.keys():
        del sys.path_importer_cache[key]
    sys.path_importer_cache.update(before.importers)


def _exception_summary(exc):
    if exc is None:
        return None
    summary = {"type": type(exc), "str": str(exc), "args": exc.args}
    if isinstance(exc, SyntaxError):
        for attr in ("msg", "filename", "lineno", "offset", "text", "end_lineno", "end_offset"):
            summary[attr] = getattr(exc, attr, None)
    if isinstance(exc, ImportError):
        summary["name"] = exc.name
        summary["path"] = exc.path
    if isinstance(exc, OSError):
        summary["errno"] = exc.errno
        summary["filename"] = exc.filename
        summary["filename2"] = exc.filename2
    return summary


def _outcome(call, module):
    """What call(module) raised and warned, and how it changed sys."""
    before = _snapshot()
    raised = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call(module)
        except Exception as exc:  # noqa: BLE001 - any error is the subject here
            raised = exc
    after = _snapshot()
    _restore(before)
    return {
        "exception": _exception_summary(raised),
        "cause": _exception_summary(raised.__cause__) if raised is not None else None,
        "context": _exception_summary(raised.__context__) if raised is not None else None,
        "suppress_context": raised.__suppress_context__ if raised is not None else None,
        "warnings": [(w.category, str(w.message)) for w in caught],
        "sys changes": _changes(before, after),
    }


def assert_same_as_stdlib(impl, call, expected):
    """call(runpy) and call(impl.module) fail alike; stdlib must raise exactly ``expected``.

    ``expected`` (a type, or a tuple where it differs between Python versions)
    keeps each case honest: it really is an error path.
    """
    expected = expected if isinstance(expected, tuple) else (expected,)
    for attempt in (1, 2):
        reference = _outcome(call, stdlib_runpy)
        assert reference["exception"] is not None, "stdlib runpy accepted this input"
        assert reference["exception"]["type"] in expected, reference["exception"]
        observed = _outcome(call, impl.module)
        assert observed == reference, "attempt {}".format(attempt)
    return reference


@pytest.fixture(scope="module", autouse=True)
def _warmed_up(impl, tmp_path_factory):
    """Let both runpys import what they import lazily, once, before any comparison.

    Otherwise the first call of a case would import (say) pkgutil and a later
    cached call would not, and undoing a case's changes would undo those
    imports too; neither says anything about bad input.
    """
    root = tmp_path_factory.mktemp("warm_up")
    (root / "warm_script.py").write_text("", encoding="utf-8")
    (root / "warm_dir").mkdir()
    (root / "warm_dir" / "__main__.py").write_text("", encoding="utf-8")
    with zipfile.ZipFile(str(root / "warm.zip"), "w") as zf:
        zf.writestr("__main__.py", "")
    (root / "warm_pkg").mkdir()
    (root / "warm_pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "warm_pkg" / "__main__.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        for module in (stdlib_runpy, impl.module):
            for target in ("warm_script.py", "warm_dir", "warm.zip"):
                module.run_path(str(root / target))
            module.run_module("warm_pkg")
            module.run_module("warm_pkg.__main__", alter_sys=True)
    finally:
        sys.path.remove(str(root))
        for name in ("warm_pkg", "warm_pkg.__main__"):
            sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def _isolated_sys(impl, _warmed_up):
    """Whatever a case does, the next one starts from the same sys."""
    before = _snapshot()
    yield
    _restore(before)


@pytest.fixture
def on_path(tmp_path, monkeypatch):
    """A fresh directory at the front of sys.path, for modules made by a test."""
    directory = tmp_path / "on_path"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    return directory


_serial = itertools.count()


def _unique(tmp_path, stem):
    # Module names must differ between tests: sys.modules and the import caches outlive them.
    return "{}_{}".format(stem, next(_serial))


# --- run_module -----------------------------------------------------------


@pytest.mark.parametrize(
    "mod_name",
    [
        "",
        ".",
        ".relative",
        "..relative",
        ".relative.name",
        "no_such_module_for_fastrunpy",
        "no_such_package_for_fastrunpy.sub",
        "no_such_module_for_fastrunpy.py",
        "json.py",
        "json.no_such_submodule",
        "a\0b",
        "os.path.join",
    ],
)
def test_run_module_bad_names(impl, mod_name):
    assert_same_as_stdlib(impl, lambda m: m.run_module(mod_name), ImportError)


@pytest.mark.parametrize("mod_name", [None, 1, b"x", ["x"]], ids=repr)
def test_run_module_non_str_names(impl, mod_name):
    expected = TypeError if isinstance(mod_name, bytes) else AttributeError
    assert_same_as_stdlib(impl, lambda m: m.run_module(mod_name), expected)


def test_run_module_py_suffix_hint(impl, on_path, tmp_path):
    name = _unique(tmp_path, "plain_module")
    (on_path / (name + ".py")).write_text("value = 1\n", encoding="utf-8")
    reference = assert_same_as_stdlib(impl, lambda m: m.run_module(name + ".py"), ImportError)
    assert "Try using" in reference["exception"]["str"]


def test_run_module_package_without_main(impl, on_path, tmp_path):
    name = _unique(tmp_path, "pkg_without_main")
    (on_path / name).mkdir()
    (on_path / name / "__init__.py").write_text("", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_module(name), ImportError)
    assert_same_as_stdlib(impl, lambda m: m.run_module(name, alter_sys=True), ImportError)


def test_run_module_namespace_package(impl, on_path, tmp_path):
    name = _unique(tmp_path, "namespace_pkg")
    (on_path / name / "inner").mkdir(parents=True)
    assert_same_as_stdlib(impl, lambda m: m.run_module(name), ImportError)
    assert_same_as_stdlib(impl, lambda m: m.run_module(name + ".inner"), ImportError)
    assert_same_as_stdlib(impl, lambda m: m.run_module(name + ".missing"), ImportError)


def test_run_module_package_as_main(impl, on_path, tmp_path):
    name = _unique(tmp_path, "pkg_main_is_pkg")
    (on_path / name / "__main__").mkdir(parents=True)
    (on_path / name / "__init__.py").write_text("", encoding="utf-8")
    (on_path / name / "__main__" / "__init__.py").write_text("", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_module(name), ImportError)
    assert_same_as_stdlib(impl, lambda m: m.run_module(name + ".__main__"), ImportError)


def test_run_module_submodule_of_plain_module(impl, on_path, tmp_path):
    name = _unique(tmp_path, "plain_parent")
    (on_path / (name + ".py")).write_text("", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_module(name + ".child"), ImportError)


@pytest.fixture
def good_module(on_path, tmp_path):
    name = _unique(tmp_path, "good_module")
    (on_path / (name + ".py")).write_text("value = __name__\n", encoding="utf-8")
    return name


NOT_MAPPINGS = {
    "int": (5, TypeError),
    "list-of-ints": ([1, 2], TypeError),
    "str": ("xy", ValueError),
    "triples": ([(1, 2, 3)], ValueError),
    "object": (object(), TypeError),
}


@pytest.mark.parametrize("kind", sorted(NOT_MAPPINGS))
@pytest.mark.parametrize("alter_sys", [False, True])
def test_run_module_init_globals_not_mapping(impl, good_module, kind, alter_sys):
    init_globals, expected = NOT_MAPPINGS[kind]
    assert_same_as_stdlib(
        impl, lambda m: m.run_module(good_module, init_globals=init_globals, alter_sys=alter_sys), expected
    )


@pytest.mark.parametrize("run_name", [1, b"x", object()], ids=["int", "bytes", "object"])
def test_run_module_alter_sys_run_name_not_str(impl, good_module, run_name):
    assert_same_as_stdlib(impl, lambda m: m.run_module(good_module, run_name=run_name, alter_sys=True), TypeError)


def test_run_module_alter_sys_with_empty_argv(impl, good_module, monkeypatch):
    monkeypatch.setattr(sys, "argv", [])
    assert_same_as_stdlib(impl, lambda m: m.run_module(good_module, alter_sys=True), IndexError)


def test_run_module_code_raises_restores_sys(impl, on_path, tmp_path):
    name = _unique(tmp_path, "raising_module")
    (on_path / (name + ".py")).write_text("import sys\nsys.path.append('x')\nraise KeyError(__name__)\n", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_module(name, alter_sys=True), KeyError)


def test_run_module_syntax_error(impl, on_path, tmp_path):
    name = _unique(tmp_path, "broken_module")
    (on_path / (name + ".py")).write_text("x = (\n", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_module(name), SyntaxError)


# --- run_path ---------------------------------------------------------------


@pytest.mark.parametrize("path_name", [None, 1, 1.5, ["x"]], ids=repr)
def test_run_path_non_path_objects(impl, path_name):
    assert_same_as_stdlib(impl, lambda m: m.run_path(path_name), TypeError)


def test_run_path_missing_file(impl, tmp_path):
    missing = tmp_path / "missing.py"
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(missing)), FileNotFoundError)
    assert_same_as_stdlib(impl, lambda m: m.run_path(os.fsencode(str(missing))), FileNotFoundError)
    assert_same_as_stdlib(impl, lambda m: m.run_path(missing), FileNotFoundError)


def test_run_path_missing_relative_file(impl, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_same_as_stdlib(impl, lambda m: m.run_path("missing_relative.py"), FileNotFoundError)


def test_run_path_embedded_null(impl, tmp_path):
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(tmp_path) + "/a\0b.py"), ValueError)


def test_run_path_directory_without_main(impl, tmp_path):
    directory = tmp_path / "no_main_dir"
    directory.mkdir()
    (directory / "other.py").write_text("", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(directory)), ImportError)
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(directory), run_name="pkg.name"), ImportError)
    # 3.10's runpy fails on a path-like directory with an AttributeError of its own.
    assert_same_as_stdlib(impl, lambda m: m.run_path(directory), (ImportError, AttributeError))


def test_run_path_directory_main_is_package(impl, tmp_path):
    directory = tmp_path / "main_pkg_dir"
    (directory / "__main__").mkdir(parents=True)
    (directory / "__main__" / "__init__.py").write_text("", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(directory)), ImportError)


def test_run_path_zip_without_main(impl, tmp_path):
    archive = tmp_path / "no_main.zip"
    with zipfile.ZipFile(str(archive), "w") as zf:
        zf.writestr("other.py", "value = 1\n")
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(archive)), ImportError)


def test_run_path_empty_zip(impl, tmp_path):
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(str(archive), "w"):
        pass
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(archive)), ImportError)


@pytest.fixture
def good_script(tmp_path):
    script = tmp_path / "good_script.py"
    script.write_text("value = __name__\n", encoding="utf-8")
    return str(script)


@pytest.fixture
def good_directory(tmp_path):
    directory = tmp_path / "good_dir"
    directory.mkdir()
    (directory / "__main__.py").write_text("value = __name__\n", encoding="utf-8")
    return str(directory)


@pytest.mark.parametrize("target", ["good_script", "good_directory"])
@pytest.mark.parametrize("kind", sorted(NOT_MAPPINGS))
def test_run_path_init_globals_not_mapping(impl, request, target, kind):
    path_name = request.getfixturevalue(target)
    init_globals, expected = NOT_MAPPINGS[kind]
    assert_same_as_stdlib(impl, lambda m: m.run_path(path_name, init_globals=init_globals), expected)


@pytest.mark.parametrize("target", ["good_script", "good_directory"])
@pytest.mark.parametrize("run_name", [1, b"x", object()], ids=["int", "bytes", "object"])
def test_run_path_run_name_not_str(impl, request, target, run_name):
    path_name = request.getfixturevalue(target)
    expected = TypeError if isinstance(run_name, bytes) else AttributeError
    assert_same_as_stdlib(impl, lambda m: m.run_path(path_name, run_name=run_name), expected)


@pytest.mark.parametrize("target", ["good_script", "good_directory"])
def test_run_path_with_empty_argv(impl, request, target, monkeypatch):
    path_name = request.getfixturevalue(target)
    monkeypatch.setattr(sys, "argv", [])
    assert_same_as_stdlib(impl, lambda m: m.run_path(path_name), IndexError)


def test_run_path_code_raises_restores_sys(impl, tmp_path):
    script = tmp_path / "raising.py"
    script.write_text("import sys\nsys.argv.append('x')\nraise KeyError(__name__)\n", encoding="utf-8")
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(script), run_name="a.b"), KeyError)


SOURCE_ERRORS = {
    "unknown-encoding": (b"# -*- coding: no-such-codec -*-\nx = 1\n", SyntaxError),
    "undecodable-utf8": (b"x = '\xff\xfe'\n", SyntaxError),
    "undecodable-declared": (b"# coding: ascii\nx = '\xe9'\n", SyntaxError),
    "bom-conflict": (b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", SyntaxError),
    "unclosed-paren": (b"x = (\n", SyntaxError),
    "bad-def": (b"def f(:\n    pass\n", SyntaxError),
    "return-outside-function": (b"x = 1\nreturn x\n", SyntaxError),
    "bad-indent": (b"if True:\nx = 1\n", IndentationError),
    "mixed-tabs": (b"if True:\n        x = 1\n\ty = 2\n", TabError),
    # compile() of bytes with a NUL raised ValueError before 3.12.
    "null-byte": (b"x = 1\0\n", (SyntaxError, ValueError)),
    "unterminated-string": (b"x = 'abc\n", SyntaxError),
}


@pytest.mark.parametrize("case", sorted(SOURCE_ERRORS))
@pytest.mark.parametrize("as_directory", [False, True], ids=["script", "directory"])
def test_run_path_source_errors(impl, tmp_path, case, as_directory):
    data, expected = SOURCE_ERRORS[case]
    if as_directory:
        path = tmp_path / "source_dir"
        path.mkdir()
        (path / "__main__.py").write_bytes(data)
    else:
        path = tmp_path / "source.py"
        path.write_bytes(data)
    assert_same_as_stdlib(impl, lambda m: m.run_path(str(path)), expected)
