"""Which implementation ``import fastrunpy`` selects, and what each one exposes.

A normal install must run the compiled core: a build that quietly fell back
to pure Python would pass every behavioural test and only be slow, so this
module is where that failure shows.
"""

import importlib.machinery
import inspect
import json
import os
import runpy
import subprocess
import sys
import types

import pytest

import fastrunpy

# The names every implementation module, and the package, expose (the contract).
PUBLIC = ["run_module", "run_path"]
PRIVATE_RUNPY = [
    "_run_module_as_main",
    "_get_module_details",
    "_get_main_module_details",
    "_run_code",
    "_run_module_code",
    "_Error",
    "_TempModule",
    "_ModifiedArgv0",
]
CACHE_API = ["cache_info", "cache_clear", "cache_configure"]
CONTRACT = PUBLIC + PRIVATE_RUNPY + CACHE_API

# Callables whose parameters users and tools rely on matching runpy's.
SIGNATURE_NAMES = [
    "run_module",
    "run_path",
    "_run_code",
    "_run_module_code",
    "_run_module_as_main",
    "_get_module_details",
    "_get_main_module_details",
    "_TempModule",
    "_ModifiedArgv0",
]

NO_EXTENSIONS = bool(os.environ.get("FASTRUNPY_NO_EXTENSIONS"))

_PROBE = """
import json, sys
import fastrunpy
names = {names!r}
print(json.dumps({{
    "implementation": fastrunpy.IMPLEMENTATION,
    "run_path_module": fastrunpy.run_path.__module__,
    "same_as_core_py": [n for n in names if getattr(fastrunpy, n) is getattr(sys.modules.get("fastrunpy._core_py"), n, None)],
    "compiled_loaded": "fastrunpy._core" in sys.modules,
    "compiled_file": getattr(sys.modules.get("fastrunpy._core"), "__file__", None),
}}))
"""


def _probe_child(env):
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(names=CONTRACT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _is_native_extension(path):
    return any(path.endswith(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def test_normal_install_runs_compiled_core(impl):
    if NO_EXTENSIONS:
        pytest.skip("FASTRUNPY_NO_EXTENSIONS is set: this run tests the pure-Python install")
    import fastrunpy._core as compiled

    assert fastrunpy.IMPLEMENTATION == "cython"
    assert _is_native_extension(compiled.__file__), compiled.__file__
    for name in CONTRACT:
        assert getattr(fastrunpy, name) is getattr(compiled, name), name
    # Compiled functions, not the twin's Python functions re-exported.
    assert not isinstance(compiled.run_path, types.FunctionType)
    assert not isinstance(compiled.run_module, types.FunctionType)
    import fastrunpy._core_py as pure

    assert compiled.run_path is not pure.run_path


def test_no_extensions_env_selects_pure_twin(impl):
    env = dict(impl.env, FASTRUNPY_NO_EXTENSIONS="1")
    report = _probe_child(env)
    assert report["implementation"] == "python"
    assert report["run_path_module"] == "fastrunpy._core_py"
    assert sorted(report["same_as_core_py"]) == sorted(CONTRACT)
    assert not report["compiled_loaded"]


def test_impl_env_selects_that_implementation(impl):
    report = _probe_child(impl.env)
    assert report["implementation"] == impl.name
    if impl.name == "python":
        assert sorted(report["same_as_core_py"]) == sorted(CONTRACT)
    else:
        assert report["run_path_module"] == "fastrunpy._core"
        assert _is_native_extension(report["compiled_file"]), report["compiled_file"]
        # Only the exception and context-manager classes may be shared with the twin.
        shared = set(report["same_as_core_py"])
        assert shared <= {"_Error", "_TempModule", "_ModifiedArgv0"}, shared


@pytest.mark.skipif(NO_EXTENSIONS, reason="FASTRUNPY_NO_EXTENSIONS is set: no compiled core to select")
def test_empty_no_extensions_value_does_not_force_pure(impl):
    report = _probe_child(dict(impl.env, FASTRUNPY_NO_EXTENSIONS=""))
    assert report["implementation"] == "cython"


def test_implementation_module_exposes_contract(impl):
    missing = [name for name in CONTRACT if not hasattr(impl.module, name)]
    assert missing == []
    assert impl.module.__all__ == PUBLIC
    assert issubclass(impl.module._Error, Exception)
    info = impl.module.cache_info()
    assert info._fields == ("hits", "misses", "maxsize", "currsize")
    assert all(type(value) is int for value in info)


def test_cache_info_is_a_named_tuple(impl):
    # Hand-written (namedtuple would import collections): the same surface.
    import copy
    import pickle

    info = impl.module.CacheInfo(1, 2, 512, 3)
    assert isinstance(info, tuple) and len(info) == 4
    assert info == (1, 2, 512, 3) and (1, 2, 512, 3) == info
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (1, 2, 512, 3)
    assert repr(info) == "CacheInfo(hits=1, misses=2, maxsize=512, currsize=3)"
    assert repr(impl.module.CacheInfo(0, 0, 512, 0)) == "CacheInfo(hits=0, misses=0, maxsize=512, currsize=0)"
    assert info._asdict() == {"hits": 1, "misses": 2, "maxsize": 512, "currsize": 3}
    assert info._replace(hits=5) == (5, 2, 512, 3)
    assert type(info._replace(hits=5)) is impl.module.CacheInfo
    with pytest.raises(ValueError):
        info._replace(size=1)
    assert impl.module.CacheInfo._make([4, 3, 2, 1]) == (4, 3, 2, 1)
    for clone in (copy.copy(info), copy.deepcopy(info), pickle.loads(pickle.dumps(info))):
        assert type(clone) is impl.module.CacheInfo and clone == info
    hits, misses, maxsize, currsize = info
    assert (hits, currsize) == (1, 3)
    with pytest.raises(AttributeError):
        info.hits = 7
    with pytest.raises(AttributeError):
        info.extra = 1  # no instance __dict__, as with namedtuple


def test_both_implementations_expose_same_names(impl):
    import fastrunpy._core_py as pure

    def contract_names(module):
        return {name for name in CONTRACT if hasattr(module, name)}

    assert contract_names(impl.module) == contract_names(pure) == set(CONTRACT)
    if not NO_EXTENSIONS:
        import fastrunpy._core as compiled

        assert contract_names(compiled) == set(CONTRACT)


def test_package_exports(impl):
    assert fastrunpy.__all__ == PUBLIC
    assert fastrunpy.IMPLEMENTATION in ("cython", "python")
    for name in CONTRACT:
        assert callable(getattr(fastrunpy, name)), name
    from importlib.metadata import version

    assert isinstance(fastrunpy.__version__, str) and fastrunpy.__version__ == version("fastrunpy")
    namespace = {}
    exec(compile("from fastrunpy import *", "<star>", "exec", dont_inherit=True), namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC


def _parameters(obj):
    """(name, kind, default) per parameter: annotations are the twin's own business."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(obj).parameters.values()]


@pytest.mark.parametrize("name", SIGNATURE_NAMES)
def test_signature_matches_stdlib(impl, name):
    expected = _parameters(getattr(runpy, name))
    assert _parameters(getattr(impl.module, name)) == expected
    assert _parameters(getattr(fastrunpy, name)) == expected


@pytest.mark.parametrize("name", ["prepare_path", "prepare_module", "cache_info", "cache_clear", "cache_configure"])
def test_signature_matches_twin(impl, name):
    """fastrunpy's own API: the compiled core, which makes most functions
    builtins, shows each one's signature (defaults included) as the twin does."""
    from fastrunpy import _core_py

    def parameters(module):
        # Each implementation has its own "argument not given" sentinel.
        return [
            (parameter, kind, "<missing>" if default is module._MISSING else default)
            for parameter, kind, default in _parameters(getattr(module, name))
        ]

    assert parameters(impl.module) == parameters(_core_py)


def test_traceback_frames_name_files_that_exist(impl, tmp_path):
    """Every fastrunpy frame in a traceback names a file a reader can open.

    The compiled core's frames carry the path Cython was given at build time;
    it must be one that resolves against the sys.path entry the package is
    installed in, never a build-tree path such as "src/fastrunpy/...".
    """
    script = tmp_path / "boom.py"
    script.write_text("def f():\n    raise ValueError('boom')\nf()\n")
    with pytest.raises(ValueError) as caught:
        impl.module.run_path(str(script))
    # Walked by hand: reading source lines (traceback.extract_tb) warns on 3.15
    # about the run's globals having no __spec__.loader, as runpy's would.
    frames = []
    tb = caught.value.__traceback__
    while tb is not None:
        frames.append(types.SimpleNamespace(filename=tb.tb_frame.f_code.co_filename, lineno=tb.tb_lineno))
        tb = tb.tb_next
    installed_in = os.path.dirname(os.path.dirname(os.path.abspath(fastrunpy.__file__)))
    own = [frame for frame in frames if "fastrunpy" in frame.filename and frame.filename != str(script)]
    assert own, "no fastrunpy frame at all: nothing was checked"
    for frame in own:
        path = frame.filename
        # Relative names resolve against the directory the package is
        # installed in (not against the working directory, which may be a
        # checkout holding src/).
        found = path if os.path.isabs(path) else os.path.join(installed_in, path)
        assert os.path.isfile(found), path
        with open(found, encoding="utf-8") as stream:
            assert len(stream.read().splitlines()) >= frame.lineno, (path, frame.lineno)


VERBOSE_RUNS = """
import gc, sys
runner = __import__(sys.argv[1])
for _ in range(3):  # the later runs are cache hits
    runner.run_path(sys.argv[2])
    runner.run_module("verbose_mod")
gc.collect()
"""


def test_verbose_interpreter_names_each_run_module_it_frees(impl, tmp_path):
    # Under -v the interpreter prints "# destroy NAME" as it frees a module,
    # from a name the module object keeps apart from its dict: a module made
    # for a run must keep it as runpy's does.
    script = tmp_path / "script.py"
    script.write_text("x = 1\n")
    (tmp_path / "verbose_mod.py").write_text("y = 2\n")
    env = dict(impl.env, PYTHONPATH=str(tmp_path))
    destroyed = {}
    for runner in ("runpy", "fastrunpy"):
        done = subprocess.run(
            [sys.executable, "-v", "-c", VERBOSE_RUNS, runner, str(script)],
            env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True,
        )
        lines = done.stderr.splitlines()
        destroyed[runner] = [line for line in lines if line in ("# destroy <run_path>", "# destroy verbose_mod")]
    assert destroyed["runpy"].count("# destroy <run_path>") == 3
    assert destroyed["fastrunpy"] == destroyed["runpy"]
