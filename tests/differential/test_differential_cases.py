"""Hand-written differential scenarios: stdlib runpy and fastrunpy must be indistinguishable.

Every test builds a small file tree and a list of steps, and ``assert_same``
plays them in two fresh interpreters (one importing ``runpy``, the other
``fastrunpy``), comparing everything the driver observes.  Each call step
also says what stdlib does (``expect``), so a scenario cannot pass by having
both sides fail the same trivial way.
"""

import sys

import pytest

from ._harness import (
    DIR,
    Pyc,
    Zip,
    assert_same,
    bytes_path,
    call,
    compiled,
    fresh_dict,
    op,
    path,
    pathlib_path,
    probe,
    text,
)

pytestmark = pytest.mark.usefixtures("through")  # calls, then prepared handles

PY313 = sys.version_info >= (3, 13)

MODULE_BODY = (
    '"""module docstring"""\n'
    "import sys\n"
    "value = 42\n"
    "def func():\n"
    "    return value\n"
    "class Klass:\n"
    "    pass\n"
    "seen_argv0 = sys.argv[0]\n"
    "seen_in_modules = __name__ in sys.modules\n"
)


def script(label, body=MODULE_BODY):
    return probe(label) + body


def package_tree():
    """pkg with a __main__, a plain module and a subpackage; ns is a namespace package."""
    return {
        "lib/pkg/__init__.py": script("pkg.__init__", "pkg_init_ran = True\n"),
        "lib/pkg/__main__.py": script("pkg.__main__", "from . import helper\nfrom .helper import VALUE\n" + MODULE_BODY),
        "lib/pkg/helper.py": "VALUE = 'helper'\n",
        "lib/pkg/mod.py": script("pkg.mod"),
        "lib/pkg/sub/__init__.py": "",
        "lib/pkg/sub/__main__.py": script("pkg.sub.__main__", "from .. import helper\nfrom . import leaf\n"),
        "lib/pkg/sub/leaf.py": script("pkg.sub.leaf"),
        "lib/nomain/__init__.py": "",
        "lib/nomain/mod.py": script("nomain.mod"),
        "lib/ns/mod.py": script("ns.mod"),
        "lib/ns/deeper/leaf.py": script("ns.deeper.leaf"),
        "lib/nsmain/__main__.py": script("nsmain.__main__"),
        "lib/top.py": script("top"),
        "lib/broken_init/__init__.py": "raise RuntimeError('package init failed')\n",
        "lib/broken_init/mod.py": "",
        "lib/bad_import_init/__init__.py": "import no_such_module_here\n",
        "lib/bad_import_init/mod.py": "",
        "lib/syntax_mod.py": "x = 1\ndef broken(:\n    pass\n",
        "lib/raises.py": script("raises", "def inner():\n    raise ValueError('from module', 7)\ninner()\n"),
    }


def on_lib(*steps):
    return [op("sys_path_insert", "lib")] + list(steps)


# --- run_path: scripts ---------------------------------------------------------


def test_script_defaults(impl):
    files = {"s.py": script("s")}
    assert_same(impl, files, [call("run_path", path("s.py"))])


@pytest.mark.parametrize("run_name", [None, "__main__", "pkg.sub.mod", "", "plain"])
def test_script_run_names(impl, run_name):
    files = {"s.py": script("s")}
    assert_same(impl, files, [call("run_path", path("s.py"), run_name=run_name)])


def test_script_relative_path_follows_cwd(impl):
    # The same relative name means a different file after chdir.
    files = {"a/s.py": script("a.s"), "b/s.py": script("b.s", "value = 'b'\n")}
    assert_same(impl, files, [
        op("chdir", "a"), call("run_path", "s.py"), op("settle"), call("run_path", "s.py"),
        op("chdir", "b"), call("run_path", "s.py"), call("run_path", "./s.py"),
    ])


def test_script_without_suffix(impl):
    files = {"bin/tool": script("tool")}
    assert_same(impl, files, [call("run_path", path("bin/tool"), run_name="__main__")])


def test_script_docstring_future_and_doc_override(impl):
    files = {"s.py": '"""the doc"""\nfrom __future__ import annotations\n' + script("s", "def f(x: Undefined) -> int: ...\n")}
    assert_same(impl, files, [call("run_path", path("s.py"), fresh_dict(__doc__="from init"))])


def test_script_compiled_pyc(impl):
    files = {
        "c.pyc": Pyc(script("pyc"), "c.py"),
        "noext": Pyc(script("pyc-noext"), "noext.py"),
    }
    assert_same(impl, files, [
        call("run_path", path("c.pyc")),
        call("run_path", path("noext"), run_name="__main__"),
    ])


def _null_byte_error() -> str:
    """What compile() raises for source with a NUL byte here (ValueError until a 3.11 patch release)."""
    try:
        compile(b"\x00", "<probe>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return type(exc).__name__
    raise AssertionError("compile() accepted a NUL byte")


def test_script_pyc_with_wrong_magic_is_read_as_source(impl):
    files = {"bad.pyc": b"\x00\x01\x02\x03" + b"\x00" * 12 + b"garbage"}
    assert_same(impl, files, [call("run_path", path("bad.pyc"), expect=_null_byte_error())])


def test_script_repeated_and_edited(impl):
    # Repeats may be served from fastrunpy's cache; edits must always show.
    files = {"s.py": script("s", "value = 1\n")}
    assert_same(impl, files, [
        call("run_path", path("s.py")),
        call("run_path", path("s.py")),
        op("settle"),
        call("run_path", path("s.py")),
        call("run_path", path("s.py")),
        op("write", ["s.py", script("s", "value = 2\n")]),
        call("run_path", path("s.py")),
        op("settle"),
        op("rewrite_keep_mtime", ["s.py", script("s", "value = 3\n")]),
        call("run_path", path("s.py")),
        op("remove", "s.py"),
        call("run_path", path("s.py"), expect="FileNotFoundError"),
    ])


def test_script_becomes_directory(impl):
    files = {"target": script("target-file"), "d/__main__.py": script("d-main")}
    assert_same(impl, files, [
        call("run_path", path("target")),
        op("settle"),
        op("remove", "target"),
        call("run_path", path("target"), expect="FileNotFoundError"),
        call("run_path", path("d")),
    ])


# --- run_path: directories and zip files ---------------------------------------


def test_directory_with_main(impl):
    files = {
        "app/__main__.py": script("app-main", "import sibling\nvalue = sibling.VALUE\n"),
        "app/sibling.py": "VALUE = 'sibling'\n",
    }
    assert_same(impl, files, [
        call("run_path", path("app")),
        call("run_path", path("app"), run_name="__main__"),
        call("run_path", path("app"), fresh_dict(extra=1, __name__="ignored"), "pkg.run"),
        op("settle"),
        call("run_path", path("app")),
        call("run_path", "app"),
        call("run_path", "app/"),
        call("run_path", path("app/")),
        op("chdir", "app"),
        call("run_path", "."),
        call("run_path", "__main__.py"),
    ])


def test_directory_when_sys_modules_lacks_main(impl):
    # runpy takes __main__ out of sys.modules while it finds a directory's
    # __main__, by indexing: KeyError when it is not there, even after an
    # earlier run under that name has come and gone.
    files = {"app/__main__.py": script("app-main"), "one.py": script("one")}
    assert_same(impl, files, [
        call("run_path", path("one.py"), run_name="__main__"),
        op("exec", "import sys\nsys.modules.pop('__main__')"),
        call("run_path", path("app"), expect="KeyError"),
        call("run_path", path("app"), expect="KeyError"),
        op("exec", "import sys, types\nsys.modules['__main__'] = types.ModuleType('__main__')"),
        call("run_path", path("app")),
        call("run_path", path("app")),
    ])


def test_directory_with_compiled_main(impl):
    files = {"app/__main__.pyc": Pyc(script("app-main-pyc"), "app/__main__.py")}
    assert_same(impl, files, [call("run_path", path("app"))])


def test_directory_without_main(impl):
    files = {"empty": DIR, "other/mod.py": "x = 1\n"}
    assert_same(impl, files, [
        call("run_path", path("empty"), expect="ImportError"),
        call("run_path", path("other"), expect="ImportError"),
    ])


def test_directory_main_is_a_package(impl):
    files = {"app/__main__/__init__.py": "x = 1\n"}
    assert_same(impl, files, [call("run_path", path("app"), expect="ImportError")])


def test_zip_with_main(impl):
    files = {
        "app.zip": Zip({"__main__.py": script("zip-main", "import zsibling\n"), "zsibling.py": "Z = 1\n"}),
        "app.pyz": Zip({"__main__.pyc": Pyc(script("zip-main-pyc"), "__main__.py")}),
    }
    assert_same(impl, files, [
        call("run_path", path("app.zip")),
        call("run_path", path("app.zip"), run_name="__main__"),
        call("run_path", path("app.pyz")),
    ])


def test_zip_without_main(impl):
    files = {"lib.zip": Zip({"mod.py": "x = 1\n"}), "empty.zip": Zip({})}
    assert_same(impl, files, [
        call("run_path", path("lib.zip"), expect="ImportError"),
        call("run_path", path("empty.zip"), expect=None),
    ])


def test_zip_main_syntax_error(impl):
    files = {"bad.zip": Zip({"__main__.py": "def (:\n"})}
    assert_same(impl, files, [call("run_path", path("bad.zip"), expect="SyntaxError")])


def test_empty_path_means_current_directory(impl):
    files = {"cwd/__main__.py": script("cwd-main")}
    assert_same(impl, files, [
        call("run_path", "", expect="ImportError"),
        op("chdir", "cwd"),
        call("run_path", ""),
    ])


# --- run_path: path types --------------------------------------------------------


def test_pathlib_and_bytes_paths(impl):
    # Before 3.13 a path-like directory reaches sys.path as is, and each
    # version fails its own way (ImportError, or AttributeError on 3.10).
    dir_outcome = "ok" if PY313 else None
    files = {"s.py": script("s"), "app/__main__.py": script("app"), "a.zip": Zip({"__main__.py": script("zip")})}
    assert_same(impl, files, [
        call("run_path", pathlib_path("s.py")),
        call("run_path", bytes_path("s.py")),
        call("run_path", pathlib_path("app"), expect=dir_outcome),
        call("run_path", bytes_path("app"), expect=dir_outcome),
        call("run_path", pathlib_path("a.zip"), run_name="__main__", expect=dir_outcome),
        op("settle"),
        call("run_path", pathlib_path("s.py")),
        call("run_path", bytes_path("s.py")),
    ])


def test_missing_paths(impl):
    files = {"dir": DIR}
    assert_same(impl, files, [
        call("run_path", path("nope.py"), expect="FileNotFoundError"),
        call("run_path", path("dir/nope"), expect="FileNotFoundError"),
        call("run_path", pathlib_path("nope.py"), expect="FileNotFoundError"),
        call("run_path", bytes_path("nope.py"), expect="FileNotFoundError"),
        call("run_path", path("missing_dir/"), expect="FileNotFoundError"),
    ])


# --- errors in user code ---------------------------------------------------------


def test_syntax_errors(impl):
    files = {
        "syn.py": "x = 1\ny = (2,\nz = 3 +\n",
        "indent.py": "if True:\nx = 1\n",
        "late.py": script("late", "def ok():\n    return 1\nok() ok()\n"),
    }
    assert_same(impl, files, [
        call("run_path", path("syn.py"), expect="SyntaxError"),
        call("run_path", path("indent.py"), expect="IndentationError"),
        call("run_path", path("late.py"), expect="SyntaxError"),
        op("sys_path_insert", ""),
        call("run_module", "syn", expect="SyntaxError"),
        call("run_module", "indent", alter_sys=True, expect="IndentationError"),
    ])


def test_bad_source_encodings(impl):
    files = {
        "latin.py": b"x = '\xe9'\n",
        "bogus.py": b"# -*- coding: bogus-enc -*-\nx = 1\n",
        "declared.py": b"# -*- coding: latin-1 -*-\n" + probe("declared").encode() + b"x = '\xe9'\n",
        "bom.py": b"\xef\xbb\xbf" + probe("bom").encode() + b"x = '\xc3\xa9'\n",
        "bom_conflict.py": b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
    }
    assert_same(impl, files, [
        call("run_path", path("latin.py"), expect="SyntaxError"),
        call("run_path", path("bogus.py"), expect="SyntaxError"),
        call("run_path", path("declared.py")),
        call("run_path", path("bom.py")),
        call("run_path", path("bom_conflict.py"), expect="SyntaxError"),
        op("sys_path_insert", ""),
        call("run_module", "latin", expect="SyntaxError"),
        call("run_module", "bogus", expect="SyntaxError"),
        call("run_module", "declared"),
    ])


def test_exceptions_point_at_user_code(impl):
    files = {
        "boom.py": script("boom", "def a():\n    b()\ndef b():\n    raise KeyError('k')\na()\n"),
        "chained.py": "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    raise LookupError('wrapped') from e\n",
        "implicit.py": "try:\n    {}['x']\nexcept KeyError:\n    undefined_name\n",
        "interrupt.py": "raise KeyboardInterrupt\n",
    }
    steps = [
        call("run_path", path("boom.py"), expect="KeyError"),
        call("run_path", path("chained.py"), expect="LookupError"),
        call("run_path", path("implicit.py"), expect="NameError"),
        call("run_path", path("interrupt.py"), expect="KeyboardInterrupt"),
        op("sys_path_insert", ""),
        call("run_module", "boom", expect="KeyError"),
        call("run_module", "boom", alter_sys=True, expect="KeyError"),
        call("_run_module_as_main", "chained", expect="LookupError"),
    ]
    assert_same(impl, files, steps)


@pytest.mark.parametrize("body,label", [
    ("import sys\nsys.exit(3)\n", "code"),
    ("import sys\nsys.exit('goodbye')\n", "message"),
    ("raise SystemExit\n", "bare"),
    ("import sys\nsys.exit(None)\n", "none"),
    ("raise SystemExit(1, 2)\n", "two-args"),
])
def test_system_exit_passes_through(impl, body, label):
    files = {"lib/ex.py": script(label, body), "app/__main__.py": body}
    assert_same(impl, files, on_lib(
        call("run_path", path("lib/ex.py"), expect="SystemExit"),
        call("run_path", path("app"), expect="SystemExit"),
        call("run_module", "ex", expect="SystemExit"),
        call("run_module", "ex", alter_sys=True, expect="SystemExit"),
        call("run_module", "ex", run_name="__main__", alter_sys=True, expect="SystemExit"),
        call("_run_module_as_main", "ex", expect="SystemExit"),
    ))


def test_user_warnings_are_attributed_to_user_code(impl):
    files = {"w.py": "import warnings\nwarnings.warn('careful', UserWarning)\nwarnings.warn('old', DeprecationWarning, 2)\n"}
    assert_same(impl, files, [
        call("run_path", path("w.py")),
        op("sys_path_insert", ""),
        call("run_module", "w"),
        call("run_module", "w", alter_sys=True),
    ])


# --- run_module ------------------------------------------------------------------


def test_run_module_targets(impl):
    assert_same(impl, package_tree(), on_lib(
        call("run_module", "top"),
        call("run_module", "pkg"),
        call("run_module", "pkg.mod"),
        call("run_module", "pkg.__main__"),
        call("run_module", "pkg.sub"),
        call("run_module", "pkg.sub.leaf"),
        call("run_module", "ns.mod"),
        call("run_module", "ns.deeper.leaf"),
        call("run_module", "nsmain"),
        call("run_module", "nomain.mod"),
    ))


@pytest.mark.parametrize("run_name", [None, "__main__", "custom.dotted.name"])
@pytest.mark.parametrize("alter_sys", [False, True])
def test_run_module_names_and_alter_sys(impl, run_name, alter_sys):
    assert_same(impl, package_tree(), on_lib(
        call("run_module", "pkg", run_name=run_name, alter_sys=alter_sys),
        call("run_module", "pkg.mod", run_name=run_name, alter_sys=alter_sys),
        call("run_module", "pkg.sub", fresh_dict(extra=[1, 2]), run_name, alter_sys),
        call("run_module", "top", run_name=run_name, alter_sys=alter_sys),
    ))


def test_run_module_errors(impl):
    assert_same(impl, package_tree(), on_lib(
        call("run_module", ".relative", expect="ImportError"),
        call("run_module", "missing_top", expect="ImportError"),
        call("run_module", "missing_top.sub", expect="ImportError"),
        call("run_module", "top.py", expect="ImportError"),
        call("run_module", "pkg.missing", expect="ImportError"),
        call("run_module", "pkg.helper.nothing", expect="ImportError"),
        call("run_module", "nomain", expect="ImportError"),
        call("run_module", "ns", expect="ImportError"),
        call("run_module", "ns.deeper", expect="ImportError"),
        call("run_module", "pkg.__main__.x", expect="ImportError"),
        call("run_module", "__main__", expect="ImportError"),
        call("run_module", "broken_init.mod", expect="RuntimeError"),
        call("run_module", "bad_import_init.mod", expect="ModuleNotFoundError"),
        call("run_module", "syntax_mod", expect="SyntaxError"),
        call("run_module", "raises", expect="ValueError"),
        call("run_module", "sys", expect="ImportError"),
        call("run_module", "", expect="ImportError"),
    ))


def test_run_module_package_named_main(impl):
    files = {"lib/outer/__main__/__init__.py": "", "lib/outer/__init__.py": ""}
    assert_same(impl, files, on_lib(
        call("run_module", "outer", expect="ImportError"),
        call("run_module", "outer.__main__", expect="ImportError"),
    ))


def test_run_module_relative_imports_in_main(impl):
    assert_same(impl, package_tree(), on_lib(
        call("run_module", "pkg", run_name="__main__"),
        call("run_module", "pkg.sub", run_name="__main__", alter_sys=True),
        call("run_path", path("lib/pkg"), expect="ImportError"),
        call("run_path", path("lib/pkg/__main__.py"), expect="ImportError"),
    ))


def test_already_imported_module_warns(impl):
    assert_same(impl, package_tree(), on_lib(
        op("import", "pkg.mod"),
        call("run_module", "pkg.mod"),
        call("run_module", "pkg.mod", alter_sys=True),
        call("_run_module_as_main", "pkg.mod"),
        op("import", "pkg.sub"),
        call("run_module", "pkg.sub"),
        op("import", "pkg.sub.leaf"),
        call("run_module", "pkg.sub.leaf", run_name="__main__"),
    ))


def test_run_module_repeated_with_bytecode_changes(impl):
    files = {"lib/m.py": script("m", "value = 1\n"), "lib/p/__init__.py": "", "lib/p/__main__.py": script("p")}
    assert_same(impl, files, on_lib(
        call("run_module", "m"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        call("run_module", "p"),
        op("settle"),
        call("run_module", "p"),
        op("remove", "lib/__pycache__/m.%s.pyc" % sys.implementation.cache_tag),
        call("run_module", "m"),
        op("write", ["lib/m.py", script("m", "value = 22\n")]),
        call("run_module", "m"),
        op("settle"),
        op("rewrite_keep_mtime", ["lib/m.py", script("m", "value = 33\n")]),
        call("run_module", "m"),
        op("dont_write_bytecode", True),
        op("remove", "lib/__pycache__/m.%s.pyc" % sys.implementation.cache_tag),
        call("run_module", "m"),
        op("remove", "lib/m.py"),
        call("run_module", "m", expect="ImportError"),
        op("invalidate_caches"),
        call("run_module", "m", expect="ImportError"),
    ))


def test_run_module_shadowed_by_new_file(impl):
    files = {"a": DIR, "b/m.py": script("b.m")}
    assert_same(impl, files, [
        op("sys_path_insert", "b"),
        op("sys_path_insert", "a"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("write", ["a/m.py", script("a.m")]),
        op("invalidate_caches"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
    ])


def test_run_module_sys_path_changes(impl):
    files = {"a/m.py": script("a.m"), "b/m.py": script("b.m")}
    assert_same(impl, files, [
        op("sys_path_insert", "a"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("sys_path_insert", "b"),
        call("run_module", "m"),
        op("forget", "m"),
        op("import", "m"),
        call("run_module", "m"),
    ])


def test_run_module_from_zip_on_path(impl):
    files = {"lib.zip": Zip({"zm.py": script("zm"), "zp/__init__.py": "", "zp/__main__.py": script("zp")})}
    assert_same(impl, files, [
        op("sys_path_insert", "lib.zip"),
        call("run_module", "zm"),
        call("run_module", "zp", alter_sys=True),
        op("settle"),
        call("run_module", "zm"),
    ])


# --- init_globals ----------------------------------------------------------------


DUNDERS = dict(__name__="n", __file__="f", __cached__="c", __doc__="d", __loader__="l",
               __package__="p", __spec__="s", other="kept", __custom__="kept too")


def test_init_globals_dunders_overridden_and_never_mutated(impl):
    files = {"s.py": script("s"), "lib/m.py": script("m"), "app/__main__.py": script("app")}
    assert_same(impl, files, on_lib(
        call("run_path", path("s.py"), fresh_dict(**DUNDERS)),
        call("run_path", path("app"), fresh_dict(**DUNDERS)),
        call("run_module", "m", fresh_dict(**DUNDERS)),
        call("run_module", "m", fresh_dict(**DUNDERS), alter_sys=True),
        call("run_module", "m", init_globals=fresh_dict()),
        call("_run_code", text("x = __name__\n"), fresh_dict(), fresh_dict(**DUNDERS), "code_name"),
    ))


def test_init_globals_key_order_and_value_identity(impl):
    files = {"s.py": script("s", "value = 1\nsecond = 2\n")}
    assert_same(impl, files, [
        call("run_path", path("s.py"), fresh_dict(value="init", zeta=1, alpha=[1])),
        call("run_path", path("s.py"), fresh_dict(__builtins_marker__=None, second="first")),
    ])


# --- scripts that change sys under runpy's feet -----------------------------------


def test_script_rebinds_sys_argv(impl):
    files = {"s.py": script("s", "import sys\nsys.argv = ['rebound', 'list']\n")}
    assert_same(impl, files, [
        call("run_path", path("s.py")),
        op("sys_path_insert", ""),
        call("run_module", "s", alter_sys=True),
    ])


def test_script_empties_sys_argv(impl):
    files = {"s.py": "import sys\ndel sys.argv[:]\n"}
    assert_same(impl, files, [call("run_path", path("s.py"), expect="IndexError")])


def test_script_replaces_its_sys_modules_entry(impl):
    files = {"s.py": script("s", "import sys\nsys.modules[__name__] = type(sys)('replacement')\n")}
    assert_same(impl, files, [
        call("run_path", path("s.py")),
        call("run_path", path("s.py"), run_name="__main__"),
        op("sys_path_insert", ""),
        call("run_module", "s", alter_sys=True),
    ])


def test_script_deletes_its_sys_modules_entry(impl):
    files = {"s.py": script("s", "import sys\ndel sys.modules[__name__]\n")}
    assert_same(impl, files, [
        call("run_path", path("s.py"), expect="KeyError"),
        call("run_path", path("s.py"), run_name="__main__"),
        op("sys_path_insert", ""),
        call("run_module", "s", alter_sys=True, expect="KeyError"),
        call("run_module", "s", expect="KeyError"),
    ])


def test_script_changes_sys_path(impl):
    files = {
        "s.py": "import sys\nsys.path.insert(0, 'added-by-script')\n",
        "app/__main__.py": "import sys\nsys.path.remove(sys.path[0])\n",
        "app2/__main__.py": "import sys\nsys.path.insert(0, sys.path[0])\n",
    }
    assert_same(impl, files, [
        call("run_path", path("s.py")),
        call("run_path", path("app")),
        call("run_path", path("app2")),
    ])


# --- nested runs -----------------------------------------------------------------


NESTED_OUTER = (
    "import _diffprobe, sys\n"
    "inner = _diffprobe.runpy.run_path(_diffprobe.path('inner.py'), {'depth': 1})\n"
    "inner_mod = _diffprobe.runpy.run_module('inner', run_name=__name__, alter_sys=True)\n"
    "__import__('_diffprobe').record(globals(), 'outer-after')\n"
)


def test_nested_runs(impl):
    files = {
        "outer.py": script("outer", NESTED_OUTER),
        "inner.py": script("inner", "import sys\nargv0 = sys.argv[0]\n"),
        "recurse.py": script("recurse", (
            "import _diffprobe\n"
            "depth = globals().get('depth', 0)\n"
            "if depth < 3:\n"
            "    _diffprobe.runpy.run_path(__file__, {'depth': depth + 1}, __name__)\n"
        )),
        "failing_outer.py": (
            "import _diffprobe\n"
            "_diffprobe.runpy.run_path(_diffprobe.path('raiser.py'))\n"
        ),
        "raiser.py": "raise ArithmeticError('inner failure')\n",
    }
    assert_same(impl, files, [
        op("sys_path_insert", ""),
        call("run_path", path("outer.py")),
        call("run_path", path("outer.py"), run_name="__main__"),
        call("run_module", "outer", alter_sys=True),
        call("run_path", path("recurse.py"), run_name="same.name"),
        call("run_path", path("failing_outer.py"), expect="ArithmeticError"),
    ])


# --- _run_module_as_main -------------------------------------------------------------


AS_MAIN = "import sys\nprint(sys.argv[0], __name__, __package__)\n"


def test_run_module_as_main(impl):
    files = {
        "lib/shower.py": script("shower", AS_MAIN),
        "lib/showpkg/__init__.py": "",
        "lib/showpkg/__main__.py": script("showpkg", AS_MAIN),
        "app/__main__.py": script("app-main", AS_MAIN),
        "app.zip": Zip({"__main__.py": script("zip-main", AS_MAIN)}),
    }
    assert_same(impl, files, on_lib(
        call("_run_module_as_main", "shower"),
        call("_run_module_as_main", "showpkg"),
        call("_run_module_as_main", "shower", False),
        call("_run_module_as_main", "missing_module", expect="SystemExit"),
        call("_run_module_as_main", ".rel", expect="SystemExit"),
        op("sys_path_insert", "app"),
        call("_run_module_as_main", "__main__", False),
        op("sys_path_insert", "app.zip"),
        call("_run_module_as_main", "__main__", alter_argv=False),
    ), argv=["-m", "arg"])


def test_run_module_as_main_without_main_on_path(impl):
    files = {"nomain": DIR, "nomain.zip": Zip({"mod.py": ""})}
    assert_same(impl, files, [
        call("_run_module_as_main", "__main__", False, expect="SystemExit"),
        op("sys_path_insert", "nomain"),
        call("_run_module_as_main", "__main__", False, expect="SystemExit"),
        op("sys_path_insert", "nomain.zip"),
        call("_run_module_as_main", "__main__", False, expect="SystemExit"),
        call("_run_module_as_main", "__main__", True, expect="SystemExit"),
    ])


# --- _run_code -------------------------------------------------------------------------


def test_run_code(impl):
    files = {"lib/m.py": "", "lib/p/__init__.py": "", "lib/p/__main__.py": ""}
    assert_same(impl, files, on_lib(
        call("_run_code", text("x = __name__\ny = __file__\n"), fresh_dict()),
        call("_run_code", text("x = 1\n"), fresh_dict(existing=1), fresh_dict(init=2), "the.name",
             None, None, text("<TREE>/script.py")),
        call("_run_code", compiled(script("compiled"), "code.py"), fresh_dict(), None, "named", None, "pkgname"),
        call("_run_code", text("raise RuntimeError('in string')\n"), fresh_dict(), expect="RuntimeError"),
        call("_run_code", {"$text": "from __future__ import annotations\nx: undefined = 1\n"}, fresh_dict()),
        call("_run_module_code", text("import sys\nx = sys.argv[0]\n"), fresh_dict(a=1), "temp.mod",
             None, "temp", text("<TREE>/fake.py")),
        call("_get_module_details", "m", label="details-m"),
        call("_get_module_details", "p", label="details-p"),
        call("_get_module_details", "nope", label="details-nope", expect="ImportError"),
    ))


def test_run_code_source_with_syntax_error(impl):
    # exec() puts __builtins__ into the namespace before it compiles a string.
    assert_same(impl, {}, [
        call("_run_code", text("def f(:\n"), fresh_dict(), expect="SyntaxError"),
        call("_run_code", text("x = (\n"), fresh_dict(a=1), fresh_dict(b=2), "n", expect="SyntaxError"),
    ])
