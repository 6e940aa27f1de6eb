"""Child-side driver: play one scenario against one runpy implementation, write what happened.

Copied as ``_diffdriver`` into a fresh interpreter's private directory, and
started by a two-line main script so that the real ``__main__`` namespace
(which ``_run_module_as_main`` takes over) holds nothing the driver needs.

Usage (by the harness): main.py SCENARIO_JSON OUTPUT_JSON.  The scenario says
which module to import as runpy ("runpy" or "fastrunpy"), the
implementation fastrunpy must report, and a list of steps: calls of the API
and plain actions (sys tweaks, file edits) between them.
"""

import importlib
import io
import json
import os
import pathlib
import sys
import time
import traceback
import warnings

import _diffprobe as probe

_STEP_SLEEP = 0.06  # past fastrunpy's 50 ms "too recent to trust stat()" margin


class _Call(object):
    def __init__(self):
        self.dicts = []  # (where, the dict object passed, snapshot of its items)


def _decode(value, call):
    """JSON step argument -> Python object; tagged single-key dicts are special."""
    if isinstance(value, list):
        return [_decode(v, call) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, arg), = value.items()
        if tag == "$path":
            return probe.path(arg)
        if tag == "$pathlib":
            return pathlib.Path(probe.path(arg))
        if tag == "$bytes":
            return os.fsencode(probe.path(arg))
        if tag == "$text":
            return arg.replace("<TREE>", probe.TREE)
        if tag == "$compile":
            source, filename = arg
            return compile(source, probe.path(filename), "exec", dont_inherit=True)
        if tag == "$tuple":
            return tuple(_decode(v, call) for v in arg)
        if tag == "$dict":
            made = {k: _decode(v, call) for k, v in arg.items()}
            call.dicts.append((made, list(made.items())))
            return made
    return {k: _decode(v, call) for k, v in value.items()}


def _tree_files():
    found = []
    for dirpath, dirnames, filenames in os.walk(probe.TREE):
        rel = os.path.relpath(dirpath, probe.TREE)
        for name in dirnames:
            found.append(os.path.normpath(os.path.join(rel, name)) + "/")
        for name in filenames:
            found.append(os.path.normpath(os.path.join(rel, name)))
    return set(found)


def _snapshot():
    return {
        "argv": list(sys.argv),
        "path": list(sys.path),
        "modules": set(sys.modules),
        "main": sys.modules.get("__main__"),
        "importer_cache": dict(sys.path_importer_cache),
        "meta_path": list(sys.meta_path),
        "files": _tree_files(),
    }


def _sys_delta(before, after):
    added_cache = sorted(set(after["importer_cache"]) - set(before["importer_cache"]), key=str)
    return {
        "argv": probe.describe(after["argv"]),
        "argv_changed": after["argv"] != before["argv"],
        "path": probe.describe(after["path"]),
        "modules_added": sorted(after["modules"] - before["modules"]),
        "modules_removed": sorted(before["modules"] - after["modules"]),
        "main_same": after["main"] is before["main"],
        "importer_cache_added": [
            [probe.describe(k), probe.describe(after["importer_cache"][k])] for k in added_cache
        ],
        "importer_cache_removed": sorted(
            probe.describe(k) for k in set(before["importer_cache"]) - set(after["importer_cache"])
        ),
        "meta_path_same": after["meta_path"] == before["meta_path"],
        "meta_path": [probe.type_name(type(f)) if not isinstance(f, type) else f.__qualname__
                      for f in after["meta_path"]],
        "files_added": sorted(probe.text(f) for f in after["files"] - before["files"]),
        "files_removed": sorted(probe.text(f) for f in before["files"] - after["files"]),
    }


def _frame_location(filename):
    """A traceback frame in user code as a scenario-relative name, else None."""
    if filename == "<string>":  # _run_code of a source string
        return filename
    for root in (probe.TREE, os.path.realpath(probe.TREE)):
        if filename.startswith(root + os.sep):
            return os.path.relpath(filename, root)
    return None


def _exception(exc):
    out = {
        "type": probe.type_name(type(exc)),
        "str": probe.text(str(exc)),
        "args": probe.describe(exc.args),
        "only": [probe.text(line) for line in traceback.format_exception_only(type(exc), exc)][-1:],
        "suppress_context": exc.__suppress_context__,
    }
    if isinstance(exc, SyntaxError):
        out["syntax"] = {
            "msg": exc.msg,
            "filename": probe.describe(exc.filename),
            "lineno": exc.lineno,
            "offset": exc.offset,
            "text": exc.text,
        }
    if isinstance(exc, SystemExit):
        out["code"] = probe.describe(exc.code)
    for link in ("__cause__", "__context__"):
        linked = getattr(exc, link)
        out[link] = None if linked is None else {
            "type": probe.type_name(type(linked)),
            "str": probe.text(str(linked)),
        }
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        where = _frame_location(frame.filename)
        if where is not None:
            frames.append([where, frame.lineno, frame.name])
    out["user_frames"] = frames
    return out


def _warning(message):
    where = _frame_location(message.filename)
    return {
        "category": probe.type_name(message.category),
        "message": probe.text(str(message.message)),
        # Where a warning points matters when it is the user's own code.  A
        # stacklevel that climbs out of it lands in runpy's frames under
        # stdlib and in run_path's caller under the compiled core (which has
        # no Python frames); users match warnings by category and message.
        "where": "<not scenario code>" if where is None else [where, message.lineno],
    }


def _result_facts(result, call, user_globals):
    facts = {"type": probe.type_name(type(result))}
    if isinstance(result, dict):
        facts["keys"] = [probe.describe(k) for k in result]
        facts["values"] = {str(k): probe.describe(v) for k, v in result.items()}
        main = sys.modules.get("__main__")
        facts["is_main_dict"] = main is not None and result is getattr(main, "__dict__", None)
        facts["is_user_globals"] = [result is g for g in user_globals]
    else:
        facts["value"] = probe.describe(result)
    facts["is_argument"] = [result is d for d, _ in call.dicts]
    return facts


def _argument_facts(call):
    facts = []
    for made, items in call.dicts:
        now = list(made.items())
        untouched = len(now) == len(items) and all(
            a[0] == b[0] and a[1] is b[1] for a, b in zip(now, items))
        facts.append({"untouched": untouched, "keys": [probe.describe(k) for k in made]})
    return facts


# Scenarios played "through handles": on the fastrunpy side every run_path /
# run_module call goes through a prepared handle, made at the first call with
# the same target and options and reused by every later one (init_globals
# is per run).  The stdlib side calls runpy as usual, so each handle run must
# do exactly what that call does at that moment.
_PARAMETERS = {
    "run_path": ("path_name", "init_globals", "run_name"),
    "run_module": ("mod_name", "init_globals", "run_name", "alter_sys"),
}
_PREPARE = {"run_path": "prepare_path", "run_module": "prepare_module"}
_handles = {}


def _through_handle(step, plain):
    names = _PARAMETERS[step["call"]]
    raw_args, raw_kwargs = step.get("args", []), step.get("kwargs", {})
    if not raw_args or len(raw_args) > len(names) or set(raw_kwargs) - set(names[1:]):
        return plain  # a bad call: its TypeError is run_path's own
    key = json.dumps([step["call"], raw_args[:1] + raw_args[2:], {k: v for k, v in raw_kwargs.items() if k != "init_globals"}], sort_keys=True)

    def run(*args, **kwargs):
        bound = dict(zip(names, args))
        bound.update(kwargs)
        init_globals = bound.pop("init_globals", None)
        handle = _handles.get(key)
        if handle is None:
            handle = getattr(probe.runpy, _PREPARE[step["call"]])(**bound)
            _handles[key] = handle
        return handle.run(init_globals)

    return run


def _do_call(step):
    call = _Call()
    func = getattr(probe.runpy, step["call"])
    if probe.THROUGH_HANDLES and step["call"] in _PARAMETERS:
        func = _through_handle(step, func)
    args = _decode(step.get("args", []), call)
    kwargs = _decode(step.get("kwargs", {}), call)
    first_record = len(probe.records)
    before = _snapshot()
    out_stream = io.StringIO()
    real_stdout = sys.stdout
    obs = {"step": step.get("label", step["call"])}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.stdout = out_stream
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from user code are observations
            obs["raised"] = _exception(exc)
            result = None
            raised = True
        else:
            raised = False
        finally:
            sys.stdout = real_stdout
    after = _snapshot()
    new_records = probe.records[first_record:]
    obs["user"] = [entry for entry, _ in new_records]
    if not raised:
        obs["returned"] = _result_facts(result, call, [g for _, g in new_records])
    obs["arguments"] = _argument_facts(call)
    obs["warnings"] = [_warning(w) for w in caught]
    obs["stdout"] = probe.text(out_stream.getvalue())
    obs["sys"] = _sys_delta(before, after)
    # Once the step is written down, user globals may go: later steps must not see them kept alive.
    del probe.records[first_record:]
    return obs


def _write(rel, data, keep_mtime):
    target = probe.path(rel)
    old = os.stat(target) if keep_mtime and os.path.exists(target) else None
    with open(target, "wb") as stream:
        stream.write(data.encode("utf-8") if isinstance(data, str) else bytes(data))
    if old is not None:
        os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))


def _do_action(step):
    op, arg = step["op"], step.get("arg")
    if op == "sys_path_insert":
        sys.path.insert(0, probe.path(arg))
    elif op == "sys_path_append":
        sys.path.append(probe.path(arg))
    elif op == "import":
        # Generated modules may fail on import; how they fail is itself compared.
        try:
            importlib.import_module(arg)
        except (Exception, SystemExit) as exc:
            return {"step": "op:import", "raised": probe.type_name(type(exc))}
    elif op == "forget":
        for name in [n for n in sys.modules if n == arg or n.startswith(arg + ".")]:
            del sys.modules[name]
    elif op == "chdir":
        os.chdir(probe.path(arg))
    elif op == "set_argv":
        sys.argv[:] = arg
    elif op == "write":
        _write(arg[0], arg[1], keep_mtime=False)
    elif op == "rewrite_keep_mtime":
        _write(arg[0], arg[1], keep_mtime=True)
    elif op == "remove":
        os.remove(probe.path(arg))
    elif op == "settle":
        time.sleep(_STEP_SLEEP)
    elif op == "invalidate_caches":
        importlib.invalidate_caches()
    elif op == "dont_write_bytecode":
        sys.dont_write_bytecode = bool(arg)
    elif op == "exec":
        # Setup a scenario cannot express as files: custom finders, path hooks, symlinks.
        namespace = {"__name__": "_diffsetup", "TREE": probe.TREE, "probe": probe}
        exec(compile(arg, "<setup>", "exec", dont_inherit=True), namespace)
    elif op == "cache_clear":
        if hasattr(probe.runpy, "cache_clear"):  # stdlib has no cache: nothing to clear
            probe.runpy.cache_clear()
    else:
        raise ValueError("unknown action %r" % (op,))
    return {"step": "op:" + op}


def main():
    scenario_file, output_file = sys.argv[1:3]
    with open(scenario_file, encoding="utf-8") as stream:
        scenario = json.load(stream)
    probe.ROOT = scenario["root"]
    probe.TREE = os.path.join(scenario["root"], "tree")
    runpy = importlib.import_module(scenario["module"])
    if scenario["module"] == "fastrunpy":
        assert runpy.IMPLEMENTATION == scenario["implementation"], (
            runpy.IMPLEMENTATION, scenario["implementation"])
    probe.runpy = runpy
    probe.THROUGH_HANDLES = scenario.get("through") == "handles" and scenario["module"] == "fastrunpy"
    for name in scenario["preimport"]:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Compiled modules register entries (cython_runtime, _cython_3_x) that no finder knows.
            if exc.name != name:
                raise
    sys.argv[:] = scenario.get("argv", ["<driver>", "--flag"])
    observations = []
    for step in scenario["steps"]:
        if "call" in step:
            observations.append(_do_call(step))
        else:
            observations.append(_do_action(step))
    with open(output_file, "w", encoding="utf-8") as stream:
        json.dump(observations, stream, indent=1, sort_keys=True)
