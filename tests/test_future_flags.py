"""The package's own ``__future__`` imports must never reach the code it runs.

``compile()`` and ``exec()`` of a string inherit the future flags of the code
that calls them unless told not to (``dont_inherit=True``).  runpy has no
future imports, so under runpy user code always gets plain semantics; the
package must give the same even if one of its modules (or, for the compiled
core, the Python code calling it) has ``from __future__ import annotations``.

Two probes, both built so that a leak shows as string annotations:

* a copy of the package's Python modules with that import inserted into
  each, run for real (and, as a control, a copy whose compile() calls inherit
  flags, which must leak);
* the real implementation modules called from a module that has the import.
"""

import __future__

import ast
import itertools
import sys
from pathlib import Path
from types import ModuleType

import pytest

import fastrunpy._core_py

# Future features that are not yet the default change semantics when inherited.
OPTIONAL_FUTURE_FLAGS = 0
for _name in __future__.all_feature_names:
    _feature = getattr(__future__, _name)
    _mandatory = _feature.getMandatoryRelease()
    if _mandatory is None or _mandatory > sys.version_info:
        OPTIONAL_FUTURE_FLAGS |= _feature.compiler_flag

USER_SOURCE = """\
import sys
def f(x: int) -> None:
    pass
ANNOTATIONS = f.__annotations__
CODE_FLAGS = sys._getframe().f_code.co_flags
"""

CALLER_SOURCE = """\
from __future__ import annotations

def call(function, *args, **kwargs):
    return function(*args, **kwargs)

def own(x: int) -> None:
    pass
"""


def _caller() -> ModuleType:
    module = ModuleType("future_annotations_caller")
    exec(compile(CALLER_SOURCE, "<future caller>", "exec", dont_inherit=True), module.__dict__)
    # The caller really has the flag; otherwise the probe proves nothing.
    assert module.own.__annotations__ == {"x": "int", "return": "None"}
    return module


def _assert_plain_semantics(namespace):
    assert namespace["ANNOTATIONS"] == {"x": int, "return": None}
    assert namespace["CODE_FLAGS"] & OPTIONAL_FUTURE_FLAGS == 0


def _with_future_annotations(source: str) -> str:
    """source with ``from __future__ import annotations`` after its docstring."""
    body = ast.parse(source).body
    line = 0
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        line = body[0].end_lineno
    lines = source.splitlines(keepends=True)
    return "".join(lines[:line]) + "from __future__ import annotations\n" + "".join(lines[line:])


def _copy_package(root: Path, name: str, leaky: bool) -> ModuleType:
    """Copy the package's Python modules into ``root/name``, each with future annotations.

    The package's ``__init__`` comes along (the other modules use what it
    defines); the copy holds no compiled core, so its selector picks the
    copied ``_core_py``.  ``leaky`` also makes every compile() inherit flags.
    """
    source_dir = Path(fastrunpy._core_py.__file__).parent
    target = root / name
    target.mkdir()
    rewrites = 0
    for path in sorted(source_dir.glob("*.py")):
        if path.name == "__main__.py":
            continue
        source = path.read_text(encoding="utf-8")
        if leaky:
            rewrites += source.count("dont_inherit=True")
            source = source.replace("dont_inherit=True", "dont_inherit=False")
        (target / path.name).write_text(_with_future_annotations(source), encoding="utf-8")
    if leaky:
        assert rewrites, "no compile(..., dont_inherit=True) found in the package"
    sys.path.insert(0, str(root))
    try:
        __import__(name + "._core_py")
    finally:
        sys.path.remove(str(root))
    core = sys.modules[name + "._core_py"]
    # The copy is really tainted: its own functions carry the flag.
    assert core._run_code.__code__.co_flags & __future__.annotations.compiler_flag
    assert sys.modules[name + "._resolve"].compile_source.__code__.co_flags & __future__.annotations.compiler_flag
    return core


def _forget_package(name: str) -> None:
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


@pytest.fixture(scope="module")
def tainted_copies(tmp_path_factory):
    root = tmp_path_factory.mktemp("future_probe")
    copies = {}
    try:
        copies["clean"] = _copy_package(root, "fastrunpy_future_probe", leaky=False)
        copies["leaky"] = _copy_package(root, "fastrunpy_future_probe_leaky", leaky=True)
        yield copies
    finally:
        _forget_package("fastrunpy_future_probe")
        _forget_package("fastrunpy_future_probe_leaky")


@pytest.fixture(params=["real", "tainted"])
def runner(request, impl, tainted_copies, monkeypatch):
    """The implementation to drive: the real module, or one with tainted Python parts.

    For the pure twin, "tainted" is the copied module itself.  The compiled
    core cannot be copied this way, so it is given the tainted resolution
    layer, which does its compiling of files.
    """
    if request.param == "real":
        return impl.module
    tainted_core = tainted_copies["clean"]
    if impl.name == "python":
        return tainted_core
    monkeypatch.setattr(impl.module, "_resolve", sys.modules[tainted_core.__package__ + "._resolve"])
    return impl.module


_serial = itertools.count()

ENTRY_POINTS = [
    "run_path-file",
    "run_path-directory",
    "run_module",
    "run_module-alter_sys",
    "_run_code-str",
    "_run_code-bytes",
    "_run_module_code-str",
]


def _run(entry, module, tmp_path, monkeypatch, call):
    """Run USER_SOURCE through one entry point of module, via call()."""
    mod_name = "future_probe_target_{}".format(next(_serial))
    if entry == "run_path-file":
        script = tmp_path / "script.py"
        script.write_text(USER_SOURCE, encoding="utf-8")
        return call(module.run_path, str(script))
    if entry == "run_path-directory":
        (tmp_path / "__main__.py").write_text(USER_SOURCE, encoding="utf-8")
        return call(module.run_path, str(tmp_path))
    if entry.startswith("run_module"):
        (tmp_path / (mod_name + ".py")).write_text(USER_SOURCE, encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        return call(module.run_module, mod_name, alter_sys=entry.endswith("alter_sys"))
    if entry == "_run_code-str":
        return call(module._run_code, USER_SOURCE, {})
    if entry == "_run_code-bytes":
        return call(module._run_code, USER_SOURCE.encode("utf-8"), {})
    if entry == "_run_module_code-str":
        return call(module._run_module_code, USER_SOURCE, mod_name=mod_name)
    raise AssertionError(entry)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_no_future_leak(impl, runner, entry, tmp_path, monkeypatch):
    caller = _caller()
    _assert_plain_semantics(_run(entry, runner, tmp_path, monkeypatch, caller.call))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_no_future_leak_direct_call(impl, entry, tmp_path, monkeypatch):
    def call(function, *args, **kwargs):
        return function(*args, **kwargs)

    _assert_plain_semantics(_run(entry, impl.module, tmp_path, monkeypatch, call))


@pytest.mark.parametrize("entry", ["run_path-file", "_run_code-str", "_run_module_code-str"])
def test_control_inherited_flags_do_leak(impl, tainted_copies, entry, tmp_path, monkeypatch):
    """The probe detects a leak when compile() inherits flags (so the tests above can fail)."""
    leaky = tainted_copies["leaky"]
    if impl.name == "cython":
        monkeypatch.setattr(impl.module, "_resolve", sys.modules[leaky.__package__ + "._resolve"])
        leaky = impl.module
    namespace = _run(entry, leaky, tmp_path, monkeypatch, _caller().call)
    assert namespace["ANNOTATIONS"] == {"x": "int", "return": "None"}
    assert namespace["CODE_FLAGS"] & __future__.annotations.compiler_flag


def test_future_insertion_keeps_docstring(impl):
    source = '"""doc"""\nimport os\n'
    rewritten = _with_future_annotations(source)
    assert rewritten == '"""doc"""\nfrom __future__ import annotations\nimport os\n'
    compile(rewritten, "<probe>", "exec", dont_inherit=True)
