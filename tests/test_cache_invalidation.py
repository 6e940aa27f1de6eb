"""The caches never change an answer: differential cases against stdlib runpy.

Each case changes the world in one way a cache could miss (file content
under an unchanged stat, renames, shadowing modules, sys.path and import
hooks, the working directory, validation modes) and then runs the same target
with fastrunpy and stdlib ``runpy`` alternately in this process.  Whatever
stdlib sees, fastrunpy must see, including stdlib's own staleness (its
directory listings and timestamp-checked bytecode).  Before each change the
target is run twice by fastrunpy and the second run must be a cache hit, so
the change is made against a populated cache, not an empty one.

The one documented difference is validation="unchecked", which trusts the
cache until cache_clear().
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import importlib.abc
import importlib.util
import json
import os
import py_compile
import re
import runpy
import shutil
import subprocess
import sys
import threading
import time
import types
import warnings
import zipfile
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

AGE_S = 60  # files dated this far back are past any "just written" grace period
SETTLE_S = 0.06  # past the implementations' 50 ms settle margin for fine-grained timestamps
_MISSING = "<missing>"


# --- sandbox ---------------------------------------------------------------


class Sandbox:
    """A temporary tree plus helpers to run its targets both ways and compare."""

    def __init__(self, impl: Any, root: str, watched: bool) -> None:
        self.impl = impl
        self.fast = impl.module
        self.root = root
        # True when hits must come to be served on the kernel's word (no stat()),
        # so that each change below is made against a watched entry.
        self.watched = watched
        # When the files written so far are past the settle margin (see
        # settle()); None once a test asked for a just-written file.
        self.settled_at: Optional[float] = 0.0

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def write(self, relative: str, text: str, age: Optional[float] = AGE_S) -> str:
        """Write a file; ``age`` seconds back dates it (None: leave it just written)."""
        path = self.path(relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        if age is not None:
            then = time.time_ns() - int(age * 1e9)
            os.utime(path, ns=(then, then))
            if self.settled_at is not None:
                self.settled_at = time.monotonic() + SETTLE_S
        else:
            self.settled_at = None
        return path

    def mkdir(self, relative: str) -> str:
        path = self.path(relative)
        os.makedirs(path, exist_ok=True)
        return path

    def on_path(self, relative: str, index: int = 0) -> str:
        path = self.mkdir(relative)
        sys.path.insert(index, path)
        return path

    def both(self, call: Callable[[Any], Dict[str, Any]]) -> Any:
        """Run ``call`` with fastrunpy, stdlib, then fastrunpy again; all must agree.

        fastrunpy goes both before stdlib (its cache decides while the shared
        import state is still as the change left it) and after (stdlib may
        have refreshed that state).
        """
        first = outcome(lambda: call(self.fast))
        reference = outcome(lambda: call(runpy))
        second = outcome(lambda: call(self.fast))
        assert first == reference
        assert second == reference
        return reference

    def assert_hit(self, call: Callable[[Any], Dict[str, Any]]) -> Any:
        """Run with fastrunpy and require exactly one more cache hit."""
        before = self.fast.cache_info()
        result = outcome(lambda: call(self.fast))
        after = self.fast.cache_info()
        assert (after.hits, after.misses) == (before.hits + 1, before.misses), result
        return result

    def settle(self) -> None:
        """Wait until the dated files written so far are settled.

        stat() vouches for a file only once its last change (ctime, which
        utime cannot date back) is older than the settle margin; until then
        each hit confirms the content by its hash.  Users' files are nearly
        always settled, so the changes each case makes must meet an entry
        validated by stat() alone, the path that serves most real hits.
        """
        if self.settled_at is not None:
            time.sleep(max(0.0, self.settled_at - time.monotonic()))

    def prime(self, call: Callable[[Any], Dict[str, Any]]) -> Any:
        """Compare once, then wait until fastrunpy serves the target from its cache.

        A cache may decline to keep an answer while the files behind it are
        too recent for stat() to vouch for (just written, or their directory
        just changed by the first run's bytecode); retrying for a few
        seconds lets any such grace period pass.
        """
        self.settle()
        reference = self.both(call)
        delay = 0.02
        for _ in range(8):
            before = self.fast.cache_info()
            result = outcome(lambda: call(self.fast))
            assert result == reference
            if self.fast.cache_info().hits == before.hits + 1:
                assert self.assert_hit(call) == reference
                if self.watched and self.fast._validation == "auto":
                    # Other processes creating files in a watched ancestor (another
                    # test session making its temporary directories under /tmp) can
                    # rightly cost the entry its trust once; trusted again, a hit
                    # must come on the kernel's word, without stat().
                    for _ in range(5):
                        served = self.fast._watch_state()[1]
                        assert self.assert_hit(call) == reference
                        if self.fast._watch_state()[1] == served + 1:
                            break
                    else:
                        raise AssertionError("a hit still needed stat()")
                return reference
            time.sleep(delay)
            delay *= 2
        raise AssertionError(f"never served from the cache: {self.fast.cache_info()}")


def summary(run_globals: Dict[str, Any]) -> Dict[str, Any]:
    """What a run left in its globals that a cache could get wrong."""
    spec = run_globals.get("__spec__")
    loader = run_globals.get("__loader__")
    seen = {
        name: run_globals.get(name, _MISSING)
        for name in ("__name__", "__file__", "__cached__", "__package__", "__doc__")
    }
    seen["keys"] = sorted(k for k in run_globals if k != "__builtins__")
    seen["values"] = {
        k: v
        for k, v in run_globals.items()
        if not k.startswith("__") and isinstance(v, (int, str, bytes, float, type(None), tuple, list, bool))
    }
    seen["loader"] = None if loader is None else type(loader).__name__
    if spec is not None:
        seen["spec"] = (
            spec.name,
            spec.origin,
            spec.cached,
            spec.parent,
            spec.has_location,
            spec.submodule_search_locations,
            type(spec.loader).__name__,
        )
    return seen


def outcome(call: Callable[[], Dict[str, Any]]) -> Any:
    try:
        run_globals = call()
    except (Exception, SystemExit) as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("ok", summary(run_globals))


def value(result: Any, name: str = "x") -> Any:
    assert result[0] == "ok", result
    return result[1]["values"].get(name, _MISSING)


def keep_stat_write(path: str, text: str) -> None:
    """Rewrite a file with same-size content and put its old timestamps back."""
    st = os.stat(path)
    assert len(text.encode()) == st.st_size
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def date_directory(directory: str, before: Any, notice: str) -> None:
    """After a file appeared in ``directory``, set its mtime so the import system
    either cannot notice ("stale-listing"), is told (``invalidate_caches``), or
    sees the directory change ("directory-mtime")."""
    mtime_ns = before.st_mtime_ns
    if notice == "directory-mtime":
        mtime_ns += 5_000_000_000
    os.utime(directory, ns=(before.st_atime_ns, mtime_ns))
    if notice == "invalidate_caches":
        importlib.invalidate_caches()


def pyc_bytes(source: str, where: str) -> bytes:
    """Bytecode of ``source`` as py_compile writes it (header and all)."""
    src = where + ".src.py"
    out = where + ".tmp.pyc"
    with open(src, "w", encoding="utf-8") as stream:
        stream.write(source)
    py_compile.compile(src, cfile=out, doraise=True)
    with open(out, "rb") as stream:
        data = stream.read()
    os.remove(src)
    os.remove(out)
    return data


def kernel_watches(impl: Any, directory: str) -> bool:
    """Whether the compiled core's "auto" mode should trust the kernel under ``directory``.

    Found independently of the core: Linux, and the filesystem holding the
    directory (the longest mount point above it in /proc/self/mountinfo) is
    one whose inotify events are complete.
    """
    if impl.name != "cython" or not sys.platform.startswith("linux"):
        return False
    real = os.path.realpath(directory)
    best, fstype = "", None
    with open("/proc/self/mountinfo", encoding="utf-8") as stream:
        for line in stream:
            fields = line.split()
            point = fields[4].replace("\\040", " ")
            after_separator = fields[fields.index("-") + 1]
            inside = real == point or real.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, fstype = point, after_separator
    return fstype in {"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs"}


@pytest.fixture(params=["auto", "auto-epoll", "timestamp"])
def validation(request: Any, impl: Any) -> Any:
    """Each case runs under kernel-notified validation and under stat() on every hit.

    "auto-epoll" is "auto" with the compiled core's io_uring ring turned off,
    so that hits ask epoll_wait() as they do in threads that do not own it.
    """
    if request.param != "auto-epoll":
        yield str(request.param)
        return
    if impl.name != "cython":
        pytest.skip("only the compiled core has a ring to do without")
    core = impl.module
    core._stop_watching()
    previous = core._use_ring(False)
    try:
        yield "auto"
    finally:
        core._use_ring(previous)
        core._stop_watching()


@contextlib.contextmanager
def isolated(impl: Any, tmp_path: Any, validation: str) -> Iterator[Sandbox]:
    """Isolate every piece of import state the cases touch, and the cache itself."""
    saved_path = list(sys.path)
    saved_meta_path = list(sys.meta_path)
    saved_hooks = list(sys.path_hooks)
    saved_importer_cache = dict(sys.path_importer_cache)
    saved_modules = dict(sys.modules)
    saved_argv = list(sys.argv)
    saved_cwd = os.getcwd()
    saved_dont_write = sys.dont_write_bytecode
    saved_prefix = sys.pycache_prefix
    maxsize = impl.module.cache_info().maxsize
    # fastrunpy resolves afresh behind meta path finders it cannot predict,
    # and pytest's assertion rewriter is one: left in place, no module lookup
    # would ever be cached here and the hit path would go untested.
    sys.meta_path[:] = [
        f for f in saved_meta_path if type(f).__module__ != "_pytest.assertion.rewrite"
    ]
    # Bytecode on disk is part of what stdlib's answers depend on (it trusts
    # it by recorded mtime and size), so write it whatever the environment
    # (PYTHONDONTWRITEBYTECODE) says; cases that want otherwise set it.
    sys.dont_write_bytecode = False
    impl.module.cache_clear()
    impl.module.cache_configure(validation=validation)
    try:
        yield Sandbox(impl, str(tmp_path), validation == "auto" and kernel_watches(impl, str(tmp_path)))
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.meta_path[:] = saved_meta_path
        sys.path_hooks[:] = saved_hooks
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(saved_importer_cache)
        for name in [n for n in sys.modules if n not in saved_modules]:
            del sys.modules[name]
        for name, module in saved_modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        sys.argv[:] = saved_argv
        sys.dont_write_bytecode = saved_dont_write
        sys.pycache_prefix = saved_prefix
        impl.module.cache_configure(maxsize=maxsize, validation="auto", revalidate_after=None)
        impl.module.cache_clear()
        importlib.invalidate_caches()


@pytest.fixture
def sandbox(impl: Any, tmp_path: Any, validation: str) -> Iterator[Sandbox]:
    with isolated(impl, tmp_path, validation) as box:
        yield box


@pytest.fixture
def ring_sandbox(impl: Any, tmp_path: Any) -> Iterator[Sandbox]:
    """A sandbox for the compiled core's "auto" mode where its kernel watching applies."""
    if impl.name != "cython" or not kernel_watches(impl, str(tmp_path)):
        pytest.skip("no kernel watching here")
    with isolated(impl, tmp_path, "auto") as box:
        yield box


def run_script(path: str) -> Callable[[Any], Dict[str, Any]]:
    return lambda runner: runner.run_path(path)


def run_mod(name: str, **kwargs: Any) -> Callable[[Any], Dict[str, Any]]:
    return lambda runner: runner.run_module(name, **kwargs)


# --- content changes that stat() may not show --------------------------------


@pytest.mark.parametrize("age", [AGE_S, None], ids=["dated", "just-written"])
def test_script_edit_keeping_size_and_mtime(sandbox: Sandbox, age: Optional[float]) -> None:
    script = sandbox.write("script.py", "x = 1\n", age=age)
    if age is None:
        sandbox.both(run_script(script))
    else:
        sandbox.prime(run_script(script))
    keep_stat_write(script, "x = 2\n")
    assert value(sandbox.both(run_script(script))) == 2


@pytest.mark.parametrize("age", [AGE_S, None], ids=["dated", "just-written"])
def test_module_edit_keeping_size_and_mtime(sandbox: Sandbox, age: Optional[float]) -> None:
    # stdlib trusts bytecode whose recorded mtime and size match the source,
    # so it may well keep running x = 1; fastrunpy must agree either way.
    sandbox.on_path("lib")
    module = sandbox.write("lib/frmod.py", "x = 1\n", age=age)
    if age is None:
        sandbox.both(run_mod("frmod"))
    else:
        sandbox.prime(run_mod("frmod"))
    keep_stat_write(module, "x = 2\n")
    sandbox.both(run_mod("frmod"))


@pytest.mark.parametrize("target", ["script", "module"])
def test_atomic_replace_by_rename(sandbox: Sandbox, target: str) -> None:
    sandbox.on_path("lib")
    path = sandbox.write("lib/frmod.py", "x = 1\n")
    call = run_script(path) if target == "script" else run_mod("frmod")
    sandbox.prime(call)
    st = os.stat(path)
    replacement = sandbox.write("lib/frmod.new", "x = 2\n")
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, path)
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 2


@pytest.mark.parametrize("target", ["script", "module"])
@pytest.mark.parametrize("same_mtime", [False, True], ids=["natural", "forced-same-mtime"])
def test_edits_within_one_clock_tick(sandbox: Sandbox, target: str, same_mtime: bool) -> None:
    sandbox.on_path("lib")
    path = sandbox.write("lib/frmod.py", "x = 1\n", age=None)
    call = run_script(path) if target == "script" else run_mod("frmod")
    sandbox.both(call)
    first = os.stat(path)
    for text in ("x = 2\n", "x = 3\n"):
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        if same_mtime:
            os.utime(path, ns=(first.st_atime_ns, first.st_mtime_ns))
        result = sandbox.both(call)
        if target == "script":
            assert value(result) == int(text[4])


# --- files disappearing or changing kind ------------------------------------


def test_deleted_script_gives_the_same_error(sandbox: Sandbox) -> None:
    script = sandbox.write("script.py", "x = 1\n")
    sandbox.prime(run_script(script))
    os.remove(script)
    result = sandbox.both(run_script(script))
    assert result[:2] == ("error", "FileNotFoundError")


@pytest.mark.parametrize("listing", ["fresh", "stale"])
def test_deleted_module_gives_the_same_error(sandbox: Sandbox, listing: str) -> None:
    lib = sandbox.on_path("lib")
    module = sandbox.write("lib/frmod.py", "x = 1\n")
    sandbox.prime(run_mod("frmod"))
    st = os.stat(lib)
    os.remove(module)
    shutil.rmtree(sandbox.path("lib", "__pycache__"))
    if listing == "stale":
        # The directory's finder keeps believing in frmod.py; stdlib then
        # fails inside the loader instead of at lookup.
        os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert sandbox.both(run_mod("frmod"))[0] == "error"


def test_script_replaced_by_bytecode(sandbox: Sandbox) -> None:
    script = sandbox.write("script.py", "x = 1\n")
    sandbox.prime(run_script(script))
    data = pyc_bytes("x = 2\ny = 'from bytecode'\n", sandbox.path("build"))
    with open(script, "wb") as stream:
        stream.write(data)
    result = sandbox.both(run_script(script))
    assert value(result) == 2 and value(result, "y") == "from bytecode"


def test_module_source_replaced_by_sourceless_bytecode(sandbox: Sandbox) -> None:
    lib = sandbox.on_path("lib")
    module = sandbox.write("lib/frmod.py", "x = 1\n")
    sandbox.prime(run_mod("frmod"))
    data = pyc_bytes("x = 2\n", sandbox.path("build"))
    os.remove(module)
    with open(os.path.join(lib, "frmod.pyc"), "wb") as stream:
        stream.write(data)
    importlib.invalidate_caches()
    result = sandbox.both(run_mod("frmod"))
    assert value(result) == 2
    assert result[1]["loader"] == "SourcelessFileLoader"


@pytest.mark.parametrize("kind", ["directory", "zip"])
def test_main_of_a_directory_or_zip_edited(sandbox: Sandbox, kind: str) -> None:
    if kind == "directory":
        target = sandbox.mkdir("app")
        main = sandbox.write("app/__main__.py", "x = 1\n")
    else:
        target = sandbox.path("app.zip")
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("__main__.py", "x = 1\n")
    for _ in range(2):
        assert value(sandbox.both(run_script(target))) == 1
    if kind == "directory":
        keep_stat_write(main, "x = 2\n")
        sandbox.both(run_script(target))
        sandbox.write("app/__main__.py", "x = 33\n", age=AGE_S / 2)
    else:
        replacement = sandbox.path("new.zip")
        with zipfile.ZipFile(replacement, "w") as archive:
            archive.writestr("__main__.py", "x = 33\n")
            archive.writestr("other.py", "")
        os.replace(replacement, target)
    sandbox.both(run_script(target))
    sandbox.both(run_script(target))


# --- changes the kernel must report ("auto"), and stat() must see ------------
# After prime(), an "auto" entry of the compiled core is served without any
# stat(): only the kernel's report can tell it that one of these happened.

TARGETS = ["script", "module"]


def _target(sandbox: Sandbox, target: str, text: str = "x = 1\n") -> Any:
    """(path, call) for a module file on sys.path, run as a script or as a module."""
    sandbox.on_path("lib")
    path = sandbox.write("lib/frmod.py", text)
    return path, run_script(path) if target == "script" else run_mod("frmod")


@pytest.mark.parametrize("target", TARGETS)
def test_truncate_and_rewrite_in_place(sandbox: Sandbox, target: str) -> None:
    path, call = _target(sandbox, target)
    sandbox.prime(call)
    with open(path, "r+", encoding="utf-8") as stream:
        stream.truncate(0)
        stream.write("x = 2\n")
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 2


@pytest.mark.parametrize("target", TARGETS)
def test_chmod_making_the_file_unreadable(sandbox: Sandbox, target: str) -> None:
    path, call = _target(sandbox, target)
    sandbox.prime(call)
    os.chmod(path, 0)
    try:
        sandbox.both(call)  # root still reads it: whatever stdlib sees
    finally:
        os.chmod(path, 0o644)
    sandbox.both(call)


@pytest.mark.parametrize("target", TARGETS)
def test_deleted_and_created_again(sandbox: Sandbox, target: str) -> None:
    path, call = _target(sandbox, target)
    sandbox.prime(call)
    os.remove(path)
    assert sandbox.both(call)[0] == "error"
    sandbox.write("lib/frmod.py", "x = 3\n")
    importlib.invalidate_caches()
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 3


def test_hard_link_edited_through_its_other_name(sandbox: Sandbox) -> None:
    script = sandbox.write("script.py", "x = 1\n")
    other = sandbox.path("other-name.py")
    os.link(script, other)
    sandbox.prime(run_script(script))
    keep_stat_write(other, "x = 2\n")
    assert value(sandbox.both(run_script(script))) == 2


@pytest.mark.parametrize("target", TARGETS)
def test_symlinked_ancestor_directory_swapped(sandbox: Sandbox, target: str) -> None:
    # The deployment pattern "current -> releases/N", switched atomically.
    sandbox.write("releases/1/frmod.py", "x = 1\n")
    sandbox.write("releases/2/frmod.py", "x = 2\n")
    current = sandbox.path("current")
    os.symlink(sandbox.path("releases", "1"), current)
    sys.path.insert(0, current)
    call = run_script(os.path.join(current, "frmod.py")) if target == "script" else run_mod("frmod")
    assert value(sandbox.prime(call)) == 1
    os.symlink(sandbox.path("releases", "2"), current + ".new")
    os.replace(current + ".new", current)
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 2


def test_relative_symlink_chain_retargeted_midway(sandbox: Sandbox) -> None:
    # link.py -> hop/inner.py, hop -> one: retargeting hop changes the file.
    sandbox.write("one/inner.py", "x = 1\n")
    sandbox.write("two/inner.py", "x = 2\n")
    os.symlink("one", sandbox.path("hop"))
    link = sandbox.path("link.py")
    os.symlink(os.path.join("hop", "inner.py"), link)
    sandbox.prime(run_script(link))
    os.symlink("two", sandbox.path("hop.new"))
    os.replace(sandbox.path("hop.new"), sandbox.path("hop"))
    assert value(sandbox.both(run_script(link))) == 2


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("editor", ["process", "thread"])
def test_edit_from_elsewhere(sandbox: Sandbox, target: str, editor: str) -> None:
    import threading

    path, call = _target(sandbox, target)
    sandbox.prime(call)
    if editor == "process":
        code = f"import os; p = {path!r}; st = os.stat(p); open(p, 'w').write('x = 2\\n'); os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))"
        subprocess.run([sys.executable, "-c", code], check=True)
    else:
        thread = threading.Thread(target=keep_stat_write, args=(path, "x = 2\n"))
        thread.start()
        thread.join()
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 2


def test_bytecode_in_pycache_replaced(sandbox: Sandbox) -> None:
    # stdlib trusts a .pyc whose header matches the source's mtime and size:
    # replacing only the .pyc changes what runs, and both must agree.
    path, call = _target(sandbox, "module")
    sandbox.prime(call)
    cached = importlib.util.cache_from_source(path)
    with open(cached, "rb") as stream:
        header = stream.read(16)
    body = pyc_bytes("x = 9\n", sandbox.path("build"))[16:]
    with open(cached, "wb") as stream:
        stream.write(header + body)
    assert value(sandbox.both(call)) == 9


@pytest.mark.parametrize("target", TARGETS)
def test_event_queue_overflow(sandbox: Sandbox, target: str) -> None:
    path, call = _target(sandbox, target)
    sandbox.prime(call)
    noise = sandbox.write("lib/noise.txt", "")
    try:
        with open("/proc/sys/fs/inotify/max_queued_events", encoding="ascii") as stream:
            limit = int(stream.read())
    except OSError:
        limit = 16384
    for _ in range(limit + 100):  # more events than the queue holds, unread
        os.utime(noise)
    keep_stat_write(path, "x = 2\n")
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 2
    sandbox.prime(call)  # and the watching starts over
    keep_stat_write(path, "x = 3\n")
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.parametrize("target", TARGETS)
def test_forked_child_edits_and_runs(sandbox: Sandbox, target: str) -> None:
    # The child inherits the parent's watches and queue: it must neither
    # trust them nor read the parent's events away.
    path, call = _target(sandbox, target)
    sandbox.prime(call)
    reading, writing = os.pipe()
    with warnings.catch_warnings():
        # A watchdog thread of the test run (faulthandler's) makes 3.12+ warn;
        # the child only runs fastrunpy, whose locks no other thread holds now.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        try:
            keep_stat_write(path, "x = 2\n")
            seen = [json.dumps(outcome(lambda: call(sandbox.fast))) for _ in range(3)]
            os.write(writing, "\n".join(seen).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as stream:
        child = [json.loads(line) for line in stream.read().decode().splitlines()]
    os.waitpid(pid, 0)
    reference = sandbox.both(call)
    assert child == [json.loads(json.dumps(reference))] * 3
    if target == "script":
        assert value(reference) == 2



@pytest.mark.parametrize("target", TARGETS)
def test_directory_mounted_over(sandbox: Sandbox, target: str) -> None:
    # A mount raises no inotify event in the directory it hides.
    if os.geteuid() != 0 or not sys.platform.startswith("linux") or not shutil.which("mount"):
        pytest.skip("needs root to mount")
    path, call = _target(sandbox, target)
    sandbox.write("other/frmod.py", "x = 2\n")
    sandbox.prime(call)
    lib = os.path.dirname(path)
    if subprocess.run(["mount", "--bind", sandbox.path("other"), lib], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        result = sandbox.both(call)
        if target == "script":
            assert value(result) == 2
    finally:
        subprocess.run(["umount", lib], check=True)
    result = sandbox.both(call)
    if target == "script":
        assert value(result) == 1


# --- the compiled core's io_uring ring ---------------------------------------
# In the thread that opened the kernel watcher, "auto" hits read a ring's
# flags instead of calling epoll_wait(); every other thread keeps epoll.


def ring_expected() -> bool:
    """Whether this kernel should let the compiled core keep a ring.

    Linux 6.3 or later, io_uring not turned off by sysctl, and no seccomp
    filter on this process (one may refuse io_uring).
    """
    if not sys.platform.startswith("linux"):
        return False
    numbers = re.match(r"(\d+)\.(\d+)", os.uname().release)
    if numbers is None or (int(numbers[1]), int(numbers[2])) < (6, 3):
        return False
    try:
        with open("/proc/sys/kernel/io_uring_disabled", encoding="ascii") as stream:
            if int(stream.read()) != 0:
                return False
    except OSError:
        pass
    with open("/proc/self/status", encoding="ascii") as stream:
        for line in stream:
            if line.startswith("Seccomp:") and line.split()[1] != "0":
                return False
    return True


def in_thread(call: Callable[[], Any]) -> Any:
    """call()'s result, from a thread of its own (which has ended on return)."""
    box: Dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def served_by(counter: Callable[[], int], sandbox: Sandbox, call: Callable[[Any], Dict[str, Any]]) -> None:
    """Require a hit that counter() counts (other processes' files in a watched
    ancestor such as /tmp may cost an entry its trust once: allow a few tries)."""
    for _ in range(5):
        before = counter()
        sandbox.assert_hit(call)
        if counter() == before + 1:
            return
    raise AssertionError("no hit was counted")


def test_ring_answers_in_its_own_thread_and_epoll_in_others(ring_sandbox: Sandbox) -> None:
    sandbox = ring_sandbox
    if not ring_expected():
        pytest.skip("this kernel gives no ring")
    path, call = _target(sandbox, "script")
    sandbox.prime(call)
    assert sandbox.fast._ring_state()[0] is True
    served_by(lambda: sandbox.fast._ring_state()[1], sandbox, call)
    # Another thread's hits come on epoll's word, not the ring's.
    ring_answers = sandbox.fast._ring_state()[1]
    in_thread(lambda: served_by(lambda: sandbox.fast._watch_state()[1], sandbox, call))
    assert sandbox.fast._ring_state()[1] == ring_answers
    # That thread reads the events of its own edit away: the ring's thread
    # must still see the change, and later ones.
    in_thread(lambda: keep_stat_write(path, "x = 2\n"))
    assert value(in_thread(lambda: sandbox.both(call))) == 2
    assert value(sandbox.both(call)) == 2
    sandbox.prime(call)
    keep_stat_write(path, "x = 3\n")
    assert value(sandbox.both(call)) == 3


def test_ring_of_a_thread_that_has_ended(ring_sandbox: Sandbox) -> None:
    sandbox = ring_sandbox
    path, call = _target(sandbox, "script")
    in_thread(lambda: sandbox.prime(call))  # that thread opened the watcher
    # Its ring goes with it, as the system thread ends: after join() on
    # interpreters whose join() waits only for the Python thread (3.12 and older).
    deadline = time.monotonic() + 10
    while sandbox.fast._ring_state()[0] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sandbox.fast._ring_state()[0] is False
    served_by(lambda: sandbox.fast._watch_state()[1], sandbox, call)
    keep_stat_write(path, "x = 2\n")
    assert value(sandbox.both(call)) == 2
    sandbox.fast.cache_clear()
    sandbox.prime(call)  # a new watcher, and a ring of this thread's
    assert sandbox.fast._ring_state()[0] is ring_expected()
    keep_stat_write(path, "x = 3\n")
    assert value(sandbox.both(call)) == 3


def test_ring_retired_from_another_thread(ring_sandbox: Sandbox) -> None:
    sandbox = ring_sandbox
    path, call = _target(sandbox, "script")
    sandbox.prime(call)
    assert sandbox.fast._ring_state()[0] is ring_expected()
    in_thread(sandbox.fast.cache_clear)  # this thread's ring can only be retired there
    assert sandbox.fast._ring_state()[0] is False
    keep_stat_write(path, "x = 2\n")
    assert value(sandbox.both(call)) == 2
    sandbox.prime(call)  # the retired ring destroyed, a new one made
    assert sandbox.fast._ring_state()[0] is ring_expected()
    keep_stat_write(path, "x = 3\n")
    assert value(sandbox.both(call)) == 3

_NO_INSTANCES_LEFT = """
import ctypes, errno, json, os, sys, time
import fastrunpy
libc = ctypes.CDLL(None, use_errno=True)
held = []


def take_every_instance():
    # Every inotify instance this user may have, taken again just before
    # each call: other processes of the same user (a test session running
    # beside this one) may close one at any time.
    while True:
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            return
        held.append(fd)


def run(path):
    take_every_instance()
    return fastrunpy.run_path(path)["x"]


path = sys.argv[1]
seen = []
for text in ("x = 1\\n", "x = 2\\n", "x = 3\\n"):
    st = os.stat(path)
    with open(path, "w") as stream:
        stream.write(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    seen.append([run(path) for _ in range(4)])
from fastrunpy import _core
print(json.dumps({"seen": seen, "held": len(held), "state": list(_core._watch_state())}))
"""


def test_no_inotify_instance_left(sandbox: Sandbox, inotify_instances: Any) -> None:
    if sandbox.impl.name != "cython" or not sys.platform.startswith("linux"):
        pytest.skip("only the compiled core on Linux watches")
    inotify_instances.take_every_one()  # no other test session needs one meanwhile
    script = sandbox.write("script.py", "x = 0\n")
    env = dict(sandbox.impl.env, FASTRUNPY_VALIDATION=sandbox.fast._validation)
    done = subprocess.run(
        [sys.executable, "-c", _NO_INSTANCES_LEFT, script], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout)
    assert report["seen"] == [[1] * 4, [2] * 4, [3] * 4]
    assert report["held"] > 0
    assert report["state"][0] is False  # it never got one, and said nothing


def test_filesystem_outside_the_allowlist(sandbox: Sandbox) -> None:
    """ramfs reports inotify events, but it is not on the list: stat() decides there."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux") or not shutil.which("mount"):
        pytest.skip("needs root to mount a ramfs")
    mount_point = sandbox.mkdir("ram")
    if subprocess.run(["mount", "-t", "ramfs", "none", mount_point], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a ramfs here")
    try:
        script = sandbox.write("ram/script.py", "x = 1\n")
        sandbox.watched = False  # prime() must not require kernel-served hits here
        sandbox.prime(run_script(script))
        served = sandbox.fast._watch_state()[1]
        keep_stat_write(script, "x = 2\n")
        assert value(sandbox.both(run_script(script))) == 2
        for _ in range(3):
            sandbox.assert_hit(run_script(script))
        assert sandbox.fast._watch_state()[1] == served
    finally:
        subprocess.run(["umount", mount_point], check=True)


# --- which file a module name finds ------------------------------------------


@pytest.mark.parametrize("notice", ["stale-listing", "invalidate_caches", "directory-mtime"])
def test_shadowing_module_earlier_on_sys_path(sandbox: Sandbox, notice: str) -> None:
    later = sandbox.on_path("later")
    early = sandbox.on_path("early")  # searched first
    assert sys.path.index(early) < sys.path.index(later)
    sandbox.write("later/frmod.py", "x = 'later'\n")
    assert value(sandbox.prime(run_mod("frmod"))) == "later"
    st = os.stat(early)
    sandbox.write("early/frmod.py", "x = 'early'\n")
    date_directory(early, st, notice)
    result = sandbox.both(run_mod("frmod"))
    if notice != "stale-listing":
        assert value(result) == "early"
    # Whatever was seen, it is seen again on the next (possibly cached) run.
    sandbox.both(run_mod("frmod"))


def test_module_becomes_a_package(sandbox: Sandbox) -> None:
    sandbox.on_path("lib")
    module = sandbox.write("lib/frmod.py", "x = 'module'\n")
    sandbox.prime(run_mod("frmod"))
    os.remove(module)
    sandbox.write("lib/frmod/__init__.py", "")
    sandbox.write("lib/frmod/__main__.py", "x = 'package main'\n")
    assert value(sandbox.both(run_mod("frmod"))) == "package main"


def test_parent_package_path_changed(sandbox: Sandbox) -> None:
    _package_tree(sandbox)
    sandbox.write("extra/sub/leaf.py", "x = 'extra leaf'\n")
    sandbox.write("extra/sub/__init__.py", "")
    sandbox.prime(run_mod("frpkg.sub.leaf"))
    package = importlib.import_module("frpkg")
    package.__path__.insert(0, sandbox.path("extra"))
    # frpkg.sub is already imported from lib: the leaf is still looked up there.
    sandbox.both(run_mod("frpkg.sub.leaf"))
    sub = importlib.import_module("frpkg.sub")
    sub.__path__.insert(0, sandbox.path("extra", "sub"))
    assert value(sandbox.both(run_mod("frpkg.sub.leaf"))) == "extra leaf"
    sub.__path__.pop(0)
    assert value(sandbox.both(run_mod("frpkg.sub.leaf"))) == "leaf"


def test_symlinked_script_retargeted(sandbox: Sandbox) -> None:
    one = sandbox.write("one.py", "x = 1\n")
    two = sandbox.write("two.py", "x = 2\n")
    link = sandbox.path("link.py")
    os.symlink(one, link)
    sandbox.prime(run_script(link))
    replacement = sandbox.path("link.new")
    os.symlink(two, replacement)
    os.replace(replacement, link)
    assert value(sandbox.both(run_script(link))) == 2


def test_sys_path_insert_remove_reorder(sandbox: Sandbox) -> None:
    first = sandbox.on_path("first")
    sandbox.write("first/frmod.py", "x = 'first'\n")
    assert value(sandbox.prime(run_mod("frmod"))) == "first"

    second = sandbox.on_path("second")
    sandbox.write("second/frmod.py", "x = 'second'\n")
    assert value(sandbox.both(run_mod("frmod"))) == "second"
    sandbox.prime(run_mod("frmod"))

    sys.path.remove(first)
    sys.path.insert(0, first)  # reorder: first is searched first again
    assert value(sandbox.both(run_mod("frmod"))) == "first"

    sys.path.remove(first)
    assert value(sandbox.both(run_mod("frmod"))) == "second"

    sys.path.remove(second)
    assert sandbox.both(run_mod("frmod"))[:2] == ("error", "ImportError")

    sys.path.append(first)  # back, at the end of the path this time
    assert value(sandbox.both(run_mod("frmod"))) == "first"


def test_sys_path_entry_mutated_in_place(sandbox: Sandbox) -> None:
    sandbox.on_path("one")
    sandbox.mkdir("two")
    sandbox.write("one/frmod.py", "x = 'one'\n")
    sandbox.write("two/frmod.py", "x = 'two'\n")
    sandbox.prime(run_mod("frmod"))
    sys.path[0] = sandbox.path("two")
    assert value(sandbox.both(run_mod("frmod"))) == "two"


class CodeLoader(importlib.abc.Loader):
    """Serves one module from a string: stands for any non-file import source."""

    def __init__(self, source: str, origin: str) -> None:
        self.source = source
        self.origin = origin

    def get_code(self, fullname: str) -> Any:
        return compile(self.source, self.origin, "exec", dont_inherit=True)

    def is_package(self, fullname: str) -> bool:
        return False

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        exec(self.get_code(module.__name__), module.__dict__)


class OneModuleFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        loader = CodeLoader(self.source, f"<{type(self).__name__}>")
        return importlib.util.spec_from_loader(fullname, loader, origin=loader.origin)


class OneModulePathFinder(importlib.abc.PathEntryFinder):
    """The path entry finder a custom hook hands out."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source

    def find_spec(self, fullname: str, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        loader = CodeLoader(self.source, "<hooked>")
        return importlib.util.spec_from_loader(fullname, loader, origin=loader.origin)

    def invalidate_caches(self) -> None:
        pass


@pytest.mark.parametrize("where", ["first", "last"])
def test_custom_meta_path_finder(sandbox: Sandbox, where: str) -> None:
    sandbox.on_path("lib")
    sandbox.write("lib/frmod.py", "x = 'file'\n")
    sandbox.prime(run_mod("frmod"))
    finder = OneModuleFinder("frmod", "x = 'meta'\n")
    if where == "first":
        sys.meta_path.insert(0, finder)
    else:
        sys.meta_path.append(finder)
    result = sandbox.both(run_mod("frmod"))
    assert value(result) == ("meta" if where == "first" else "file")
    sys.meta_path.remove(finder)
    assert value(sandbox.both(run_mod("frmod"))) == "file"


def test_virtualenv_finder_keeps_module_caching(sandbox: Sandbox, monkeypatch: Any) -> None:
    # Environments made by virtualenv (tox, nox) put a finder of their own on
    # sys.meta_path that answers only for the modules its _virtualenv module
    # lists.  Caching must survive it for every other module, and those it
    # lists must be resolved afresh each time, as the import system would.
    lib = sandbox.on_path("lib")
    sandbox.write("lib/frmod.py", "x = 'file'\n")
    sandbox.write("lib/frpatched.py", "x = 'file'\n")
    hooked = sandbox.write("hooked/frpatched.py", "x = 'hooked'\n")
    patching = types.ModuleType("_virtualenv")
    patching._DISTUTILS_PATCH = ("frpatched",)  # type: ignore[attr-defined]

    class _Finder:
        answer = True

        def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
            if fullname in patching._DISTUTILS_PATCH and self.answer:  # type: ignore[attr-defined]
                return importlib.util.spec_from_file_location(fullname, hooked)
            return None

    _Finder.__module__ = "_virtualenv"
    monkeypatch.setitem(sys.modules, "_virtualenv", patching)
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    sandbox.prime(run_mod("frmod"))
    for expected in ("hooked", "hooked", "file", "file", "hooked"):
        finder.answer = expected == "hooked"
        hits = sandbox.fast.cache_info().hits
        assert value(sandbox.both(run_mod("frpatched"))) == expected
        assert sandbox.fast.cache_info().hits == hits
    assert lib in sys.path


def test_path_hook_for_a_directory(sandbox: Sandbox) -> None:
    lib = sandbox.on_path("lib")
    sandbox.write("lib/frmod.py", "x = 'file'\n")
    sandbox.prime(run_mod("frmod"))

    def hook(entry: str) -> Any:
        if entry != lib:
            raise ImportError("not ours")
        return OneModulePathFinder("frmod", "x = 'hooked'\n")

    sys.path_hooks.insert(0, hook)
    # Hooks are only asked about entries without a cached finder.
    assert value(sandbox.both(run_mod("frmod"))) == "file"
    del sys.path_importer_cache[lib]
    assert value(sandbox.both(run_mod("frmod"))) == "hooked"
    sys.path_hooks.remove(hook)
    del sys.path_importer_cache[lib]
    assert value(sandbox.both(run_mod("frmod"))) == "file"


def test_path_hook_claiming_a_script_file(sandbox: Sandbox) -> None:
    script = sandbox.write("script.py", "x = 'file'\n")
    sandbox.prime(run_script(script))

    def hook(entry: str) -> Any:
        if entry != script:
            raise ImportError("not ours")
        return OneModulePathFinder("__main__", "x = 'hooked'\n")

    sys.path_hooks.insert(0, hook)
    result = sandbox.both(run_script(script))
    assert value(result) == "hooked"
    assert script not in sys.path
    sys.path_hooks.remove(hook)
    sys.path_importer_cache.pop(script, None)
    assert value(sandbox.both(run_script(script))) == "file"


def test_path_importer_cache_cleared(sandbox: Sandbox) -> None:
    sandbox.on_path("later")
    early = sandbox.on_path("early")
    sandbox.write("later/frmod.py", "x = 'later'\n")
    sandbox.prime(run_mod("frmod"))
    st = os.stat(early)
    sandbox.write("early/frmod.py", "x = 'early'\n")
    os.utime(early, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old finder cannot tell
    sandbox.both(run_mod("frmod"))
    sys.path_importer_cache.clear()  # new finders list the directory afresh
    assert value(sandbox.both(run_mod("frmod"))) == "early"


def test_cwd_change_with_empty_sys_path_entry(sandbox: Sandbox) -> None:
    one = sandbox.mkdir("one")
    two = sandbox.mkdir("two")
    sandbox.write("one/frmod.py", "x = 'one'\n")
    sandbox.write("two/frmod.py", "x = 'two'\n")
    sandbox.write("one/script.py", "x = 'script one'\n")
    sandbox.write("two/script.py", "x = 'script two'\n")
    sys.path.insert(0, "")
    os.chdir(one)
    assert value(sandbox.prime(run_mod("frmod"))) == "one"
    assert value(sandbox.prime(run_script("script.py"))) == "script one"
    os.chdir(two)
    assert value(sandbox.both(run_mod("frmod"))) == "two"
    assert value(sandbox.both(run_script("script.py"))) == "script two"
    os.chdir(one)
    assert value(sandbox.both(run_mod("frmod"))) == "one"
    assert value(sandbox.both(run_script("script.py"))) == "script one"


@pytest.mark.parametrize("notice", ["stale-listing", "invalidate_caches", "directory-mtime"])
def test_package_gaining_a_main(sandbox: Sandbox, notice: str) -> None:
    sandbox.on_path("lib")
    sandbox.write("lib/frpkg/__init__.py", "")
    package = sandbox.path("lib", "frpkg")
    sandbox.write("lib/frpkg/helper.py", "x = 'helper'\n")
    sandbox.prime(run_mod("frpkg.helper"))  # lists the package directory
    result = sandbox.both(run_mod("frpkg"))
    assert result[:2] == ("error", "ImportError")
    st = os.stat(package)
    sandbox.write("lib/frpkg/__main__.py", "x = 'main'\n")
    date_directory(package, st, notice)
    result = sandbox.both(run_mod("frpkg"))
    if notice != "stale-listing":
        assert value(result) == "main"
    importlib.invalidate_caches()
    assert value(sandbox.both(run_mod("frpkg"))) == "main"


# --- validation modes ----------------------------------------------------------


def test_checked_hash_sees_content_change_under_same_stat(sandbox: Sandbox) -> None:
    sandbox.fast.cache_configure(validation="checked-hash")
    sandbox.on_path("lib")
    script = sandbox.write("script.py", "x = 1\n")
    sandbox.write("lib/frmod.py", "x = 1\n")
    sandbox.prime(run_script(script))
    sandbox.prime(run_mod("frmod"))
    keep_stat_write(script, "x = 2\n")
    keep_stat_write(sandbox.path("lib", "frmod.py"), "x = 2\n")
    assert value(sandbox.both(run_script(script))) == 2
    sandbox.both(run_mod("frmod"))
    # Unchanged content is still served from the cache.
    sandbox.assert_hit(run_script(script))


def test_unchecked_trusts_the_cache_until_cleared(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    fast.cache_configure(validation="unchecked")
    sandbox.on_path("lib")
    script = sandbox.write("script.py", "x = 1\n")
    module = sandbox.write("lib/frmod.py", "x = 1\n")
    sandbox.prime(run_script(script))
    sandbox.prime(run_mod("frmod"))
    # A different size and a new mtime: any stat check would notice.
    sandbox.write("script.py", "x = 22\n", age=AGE_S / 2)
    sandbox.write("lib/frmod.py", "x = 22\n", age=AGE_S / 2)
    assert value(outcome(lambda: runpy.run_path(script))) == 22
    assert value(outcome(lambda: runpy.run_module("frmod"))) == 22
    # Documented: "unchecked" serves what it compiled before, without recompiling.
    assert value(sandbox.assert_hit(run_script(script))) == 1
    assert value(sandbox.assert_hit(run_mod("frmod"))) == 1
    assert os.path.exists(module)
    fast.cache_clear()
    assert value(sandbox.both(run_script(script))) == 22
    assert value(sandbox.both(run_mod("frmod"))) == 22


def test_switching_back_to_timestamp_validates_again(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    fast.cache_configure(validation="unchecked")
    script = sandbox.write("script.py", "x = 1\n")
    sandbox.prime(run_script(script))
    sandbox.write("script.py", "x = 22\n", age=AGE_S / 2)
    fast.cache_configure(validation="timestamp")
    assert value(sandbox.both(run_script(script))) == 22


def test_cache_configure_rejects_bad_values(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.fast.cache_configure(validation="sometimes")
    with pytest.raises(ValueError):
        sandbox.fast.cache_configure(maxsize=-1)
    for bad in (-1, "5", True, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            sandbox.fast.cache_configure(revalidate_after=bad)


@pytest.mark.parametrize("target", TARGETS)
def test_revalidate_window(sandbox: Sandbox, target: str) -> None:
    """Opt-in staleness: within the window a stat()-validated hit is not checked again."""
    window = 1.0
    sandbox.fast.cache_configure(validation="timestamp", revalidate_after=window)
    path, call = _target(sandbox, target)
    time.sleep(0.1)  # past the just-written grace period, where the content is hashed instead
    sandbox.prime(call)  # its last hit was validated by stat() just now
    keep_stat_write(path, "x = 2\n")
    changed_at = time.monotonic()
    stale = outcome(lambda: call(sandbox.fast))
    if time.monotonic() - changed_at < window / 2:  # surely still inside the window
        assert value(stale) == 1, "the window should have served the code it validated"
    time.sleep(window + 0.1)
    result = sandbox.both(call)  # past the window: checked again, as stdlib sees it
    if target == "script":
        assert value(result) == 2
    sandbox.fast.cache_configure(revalidate_after=None)
    keep_stat_write(path, "x = 3\n")
    result = sandbox.both(call)  # no window: every hit checked
    if target == "script":
        assert value(result) == 3


# --- compile settings -------------------------------------------------------------

OPT_SOURCE = '''\
"""module doc"""


def f():
    """function doc"""


try:
    assert False, "asserts kept"
    asserts = "stripped"
except AssertionError:
    asserts = "kept"
doc = f.__doc__
debug = __debug__
'''

CHILD = """
import json, runpy, sys
import fastrunpy
assert fastrunpy.IMPLEMENTATION == sys.argv[2], fastrunpy.IMPLEMENTATION
sys.path.insert(0, sys.argv[1])
script = sys.argv[1] + "/optscript.py"

def observe(call):
    try:
        g = call()
    except Exception as exc:
        return ["error", type(exc).__name__, str(exc)]
    return ["ok", g["asserts"], g["doc"], g["debug"], g["__doc__"], g.get("__cached__")]

seen = []
for runner in (fastrunpy, runpy, fastrunpy, fastrunpy, fastrunpy):
    seen.append([observe(lambda: runner.run_path(script)),
                 observe(lambda: runner.run_module("optmod"))])
print(json.dumps([sys.flags.optimize, fastrunpy.cache_info().hits, seen]))
"""


@pytest.mark.parametrize("flags", [[], ["-O"], ["-OO"]], ids=["no-O", "O", "OO"])
def test_optimization_level_of_the_interpreter(sandbox: Sandbox, flags: List[str]) -> None:
    sandbox.write("optscript.py", OPT_SOURCE)
    sandbox.write("optmod.py", OPT_SOURCE)
    sys.path.insert(0, sandbox.root)
    # A run at the test's own level first, so bytecode of that level exists.
    in_process = sandbox.both(run_mod("optmod"))
    proc = subprocess.run(
        [sys.executable, *flags, "-c", CHILD, sandbox.root, sandbox.impl.name],
        env=sandbox.impl.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    optimize, hits, seen = json.loads(proc.stdout)
    assert optimize == {"": 0, "-O": 1, "-OO": 2}["".join(flags)] and hits >= 2  # the repeated runs came from the cache
    reference = seen[1]
    assert all(runs == reference for runs in seen)
    expected_asserts = "stripped" if flags else "kept"
    expected_doc = None if flags == ["-OO"] else "function doc"
    for kind in reference:
        assert kind[0] == "ok" and kind[1:3] == [expected_asserts, expected_doc]
    # Back here, at this process's level, the other level's bytecode is not used.
    assert sandbox.both(run_mod("optmod")) == in_process
    assert value(in_process, "asserts") == "kept"


def test_future_flags_do_not_leak_between_cached_scripts(sandbox: Sandbox) -> None:
    # This module itself uses "from __future__ import annotations": if it
    # reached the compiled scripts, plain annotations would become strings.
    plain = sandbox.write("plain.py", "def f(a: int): pass\nkind = type(f.__annotations__['a']).__name__\n")
    future = sandbox.write(
        "future.py",
        "from __future__ import annotations\n"
        "def f(a: int): pass\nkind = type(f.__annotations__['a']).__name__\n",
    )
    for _ in range(2):
        assert value(sandbox.both(run_script(plain)), "kind") == "type"
        assert value(sandbox.both(run_script(future)), "kind") == "str"
    sandbox.assert_hit(run_script(plain))
    sandbox.assert_hit(run_script(future))


# --- cache_info counters, size bound and eviction -------------------------------


def _scripts(sandbox: Sandbox, count: int) -> List[str]:
    return [sandbox.write(f"s{i}.py", f"x = {i}\n") for i in range(count)]


def test_counters_count_hits_and_misses(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    a, b = _scripts(sandbox, 2)
    info = fast.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 0, 0)
    fast.run_path(a)  # a first miss is only remembered: one-off scripts take no entry
    assert fast.cache_info() == (0, 1, info.maxsize, 0)
    fast.run_path(a)  # the second miss records it
    assert fast.cache_info() == (0, 2, info.maxsize, 1)
    fast.run_path(a)
    assert fast.cache_info() == (1, 2, info.maxsize, 1)
    fast.run_path(b)
    fast.run_path(b)
    assert fast.cache_info() == (1, 4, info.maxsize, 2)
    for expected_hits in (2, 3, 4):
        fast.run_path(a if expected_hits % 2 else b)
        assert fast.cache_info() == (expected_hits, 4, info.maxsize, 2)
    fast.cache_clear()
    assert fast.cache_info() == (0, 0, info.maxsize, 0)
    fast.run_path(a)  # clearing also forgets the remembered first misses
    assert fast.cache_info() == (0, 1, info.maxsize, 0)


def test_the_newest_entry_is_one_the_cache_holds(sandbox: Sandbox) -> None:
    # A run of hits on one target skips looking its key up a second time
    # because the entry known as the newest is known to be cached: whatever
    # drops that entry (a failed validation, trimming, clearing) must also
    # forget it as the newest, or a hit could count, and serve, a dropped one.
    fast = sandbox.fast
    a, b = _scripts(sandbox, 2)
    info = fast.cache_info()

    def newest_is_cached() -> bool:
        newest = fast._newest_cell[0]
        return newest is None or any(entry is newest for entry in fast._entries.values())

    for _ in range(3):
        fast.run_path(a)
    assert fast._newest_cell[0] is not None and newest_is_cached()
    os.remove(a)  # the hit fails validation, and the miss after it puts nothing back
    with pytest.raises(OSError):
        fast.run_path(a)
    assert newest_is_cached()
    assert fast.cache_info().hits == 1
    fast.run_path(b)
    fast.run_path(b)
    assert fast._newest_cell[0] is not None and newest_is_cached()
    fast.cache_configure(maxsize=0)
    assert fast._newest_cell[0] is None
    fast.cache_configure(maxsize=info.maxsize)
    for _ in range(2):
        fast.run_path(b)  # the first two runs since it was trimmed miss
    hits = fast.cache_info().hits
    assert fast.run_path(b)["x"] == 1
    assert fast.cache_info().hits == hits + 1 and newest_is_cached()
    fast.cache_clear()
    assert fast._newest_cell[0] is None


def test_hits_passing_one_path_object_follow_the_cache(sandbox: Sandbox) -> None:
    # Hits passing the very path object of the last hit skip its key while
    # that entry is the cache's newest: another script's hit, a clear or
    # turning the cache off must each send the next hit back to the key.  Under
    # "unchecked" nothing else would notice a stale entry.
    fast = sandbox.fast
    fast.cache_configure(validation="unchecked")
    first = sandbox.write("first.py", "x = 'first 0'\n")
    other = sandbox.write("other.py", "x = 'other'\n")
    steps = [
        ("another script's hit", lambda: sandbox.assert_hit(run_script(other))),
        ("cache_clear()", fast.cache_clear),
        ("turning the cache off", lambda: fast.cache_configure(maxsize=0)),
    ]
    for number, (step, change) in enumerate(steps, 1):
        fast.cache_configure(maxsize=8)
        fast.cache_clear()
        sandbox.prime(run_script(other))
        sandbox.prime(run_script(first))
        sandbox.write("first.py", f"x = 'first {number}'\n")
        change()
        expected = f"first {number - 1}" if step == "another script's hit" else f"first {number}"
        assert value(outcome(lambda: fast.run_path(first))) == expected, step


def test_counters_for_module_runs(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    sandbox.on_path("lib")
    sandbox.write("lib/frmod.py", "x = 'm'\n")
    fast.run_module("frmod")
    first = fast.cache_info()
    assert first.hits == 0 and first.misses >= 1
    sandbox.prime(run_mod("frmod"))
    settled = fast.cache_info()
    assert settled.currsize >= 1
    for extra in (1, 2, 3):
        fast.run_module("frmod")
        assert fast.cache_info() == (settled.hits + extra, settled.misses, settled.maxsize, settled.currsize)


def test_lru_eviction_order(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    fast.cache_configure(maxsize=2)
    a, b, c = _scripts(sandbox, 3)

    def hit(path: str) -> bool:
        before = fast.cache_info()
        assert fast.run_path(path)["x"] == int(os.path.basename(path)[1:-3])
        after = fast.cache_info()
        assert after.currsize <= 2
        return after.hits == before.hits + 1

    def record(path: str) -> None:
        assert [hit(path), hit(path)] == [False, False]  # recorded on the second miss

    record(a)
    record(b)
    assert hit(a)
    record(c)  # evicts b, the least recently used
    assert hit(a)
    assert hit(c)
    assert not hit(b)
    assert fast.cache_info().currsize == 2


def test_currsize_stays_within_maxsize(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    fast.cache_configure(maxsize=3)
    scripts = _scripts(sandbox, 10)
    for count, script in enumerate(scripts, 1):
        fast.run_path(script)
        fast.run_path(script)  # recorded on its second miss
        assert fast.cache_info().currsize == min(count, 3)
    fast.cache_configure(maxsize=1)  # shrinking evicts at once
    assert fast.cache_info().currsize == 1
    assert fast.cache_info().maxsize == 1


def test_maxsize_zero_disables_caching(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    fast.cache_configure(maxsize=0)
    sandbox.on_path("lib")
    script = sandbox.write("script.py", "x = 1\n")
    sandbox.write("lib/frmod.py", "x = 1\n")
    for _ in range(3):
        sandbox.both(run_script(script))
        sandbox.both(run_mod("frmod"))
    info = fast.cache_info()
    assert (info.hits, info.maxsize, info.currsize) == (0, 0, 0)
    # Nothing cached means nothing stale, even for a change stat cannot see.
    keep_stat_write(script, "x = 2\n")
    assert value(sandbox.both(run_script(script))) == 2
    fast.cache_configure(maxsize=8)
    sandbox.prime(run_script(script))


# --- a hit has the side effects of a miss ---------------------------------------------


def _package_tree(sandbox: Sandbox) -> None:
    sandbox.on_path("lib")
    sandbox.write("lib/frpkg/__init__.py", "")
    sandbox.write("lib/frpkg/sub/__init__.py", "")
    sandbox.write("lib/frpkg/sub/leaf.py", "x = 'leaf'\n")
    sandbox.write("lib/frpkg/__main__.py", "x = 'main'\n")


def test_parent_packages_imported_on_every_run(sandbox: Sandbox) -> None:
    _package_tree(sandbox)
    call = run_mod("frpkg.sub.leaf")
    sandbox.prime(call)
    for runner in (sandbox.fast, runpy, sandbox.fast):
        for name in ("frpkg.sub", "frpkg"):
            del sys.modules[name]
        assert value(outcome(lambda: call(runner))) == "leaf"
        assert "frpkg" in sys.modules and "frpkg.sub" in sys.modules
        assert "frpkg.sub.leaf" not in sys.modules
    sandbox.assert_hit(call)  # parents untouched since: served from the cache


def test_already_imported_warning_on_every_run(sandbox: Sandbox) -> None:
    _package_tree(sandbox)
    call = run_mod("frpkg.sub.leaf")
    sandbox.prime(call)
    importlib.import_module("frpkg.sub.leaf")
    messages = []
    for runner in (sandbox.fast, runpy, sandbox.fast, sandbox.fast):
        with pytest.warns(RuntimeWarning, match="found in sys.modules") as caught:
            assert call(runner)["x"] == "leaf"
        assert len(caught) == 1
        messages.append(str(caught[0].message))
    assert len(set(messages)) == 1
    # Once the submodule is gone from sys.modules, no warning again.
    del sys.modules["frpkg.sub.leaf"]
    for runner in (sandbox.fast, runpy, sandbox.fast):
        assert call(runner)["x"] == "leaf"


MAIN_REPORTS_SYS = (
    "import sys\n"
    "path0 = sys.path[0]\n"
    "argv0 = sys.argv[0]\n"
    "path_len = len(sys.path)\n"
    "main_is_me = sys.modules['__main__'].__dict__ is globals()\n"
)


@pytest.mark.parametrize("kind", ["directory", "zip"])
def test_sys_path_entry_added_and_removed_on_every_run(sandbox: Sandbox, kind: str) -> None:
    if kind == "directory":
        target = sandbox.mkdir("app")
        sandbox.write("app/__main__.py", MAIN_REPORTS_SYS)
    else:
        target = sandbox.path("app.zip")
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("__main__.py", MAIN_REPORTS_SYS)
    path_before = list(sys.path)
    argv_before = list(sys.argv)
    main_before = sys.modules["__main__"]
    for run_name in (None, "__main__"):
        call: Callable[[Any], Dict[str, Any]] = lambda runner: runner.run_path(target, run_name=run_name)
        for _ in range(2):
            result = sandbox.both(call)
            assert value(result, "path0") == target
            assert value(result, "path_len") == len(path_before) + 1
            assert value(result, "argv0") == target
            assert sys.path == path_before
            assert sys.argv == argv_before
            assert sys.modules["__main__"] is main_before


def _bytecode_files(root: str) -> List[str]:
    found = []
    for top, _, files in os.walk(root):
        found += [os.path.join(top, f) for f in files if f.endswith(".pyc")]
    return sorted(found)


def _bytecode_targets(sandbox: Sandbox) -> List[Callable[[Any], Dict[str, Any]]]:
    sandbox.on_path("lib")
    app = sandbox.mkdir("app")
    sandbox.write("lib/frmod.py", "x = 1\n")
    sandbox.write("app/__main__.py", "x = 2\n")
    script = sandbox.write("script.py", "x = 3\n")
    return [run_mod("frmod"), run_script(app), run_script(script)]


def _apply(setting: str, prefix: str) -> None:
    sys.dont_write_bytecode = setting == "dont_write_bytecode"
    sys.pycache_prefix = prefix if setting == "pycache_prefix" else None


def test_bytecode_rewritten_on_every_run_that_misses_it(sandbox: Sandbox) -> None:
    calls = _bytecode_targets(sandbox)
    sandbox.prime(calls[0])
    sandbox.prime(calls[2])
    for call in calls:
        seen = []
        for runner in (sandbox.fast, runpy, sandbox.fast, sandbox.fast):
            for path in _bytecode_files(sandbox.root):
                os.remove(path)
            assert outcome(lambda: call(runner))[0] == "ok"
            seen.append(_bytecode_files(sandbox.root))
        assert all(after == seen[1] for after in seen), seen


@pytest.mark.parametrize(
    "before, after",
    [
        ("default", "dont_write_bytecode"),
        ("dont_write_bytecode", "default"),
        ("default", "pycache_prefix"),
        ("pycache_prefix", "default"),
    ],
)
def test_bytecode_follows_write_settings(sandbox: Sandbox, before: str, after: str) -> None:
    prefix = sandbox.path("prefix")
    _apply(before, prefix)
    calls = _bytecode_targets(sandbox)
    sandbox.prime(calls[0])
    sandbox.prime(calls[2])
    sandbox.both(calls[1])
    _apply(after, prefix)
    for call in calls:
        written = []
        for runner in (sandbox.fast, runpy, sandbox.fast):
            existing = set(_bytecode_files(sandbox.root))
            assert outcome(lambda: call(runner))[0] == "ok"
            new = sorted(set(_bytecode_files(sandbox.root)) - existing)
            for path in new:  # back to the same starting point for the next runner
                os.remove(path)
            written.append(new)
        assert written[0] == written[1] == written[2], written
        if after == "pycache_prefix" and call is calls[0]:
            assert written[1] and all(path.startswith(prefix) for path in written[1])


# --- every run is its own ------------------------------------------------------------


def test_each_run_gets_its_own_spec_and_globals(sandbox: Sandbox) -> None:
    _package_tree(sandbox)
    fast = sandbox.fast
    sandbox.prime(run_mod("frpkg.sub.leaf"))
    first = fast.run_module("frpkg.sub.leaf")
    second = fast.run_module("frpkg.sub.leaf")
    assert first is not second
    assert first["__spec__"] is not second["__spec__"]
    spec = first["__spec__"]
    spec.name = "mutated"
    spec.loader_state = "mutated"
    spec.origin = "mutated"
    first["__loader__"].name = "mutated"
    first["x"] = "mutated"
    third = fast.run_module("frpkg.sub.leaf")
    reference = runpy.run_module("frpkg.sub.leaf")
    assert summary(third) == summary(reference)
    assert third["__spec__"].loader_state == reference["__spec__"].loader_state
    assert third["__loader__"].name == "frpkg.sub.leaf"

    package_run = fast.run_module("frpkg")
    package_run["__spec__"].submodule_search_locations = ["mutated"]
    assert summary(fast.run_module("frpkg")) == summary(runpy.run_module("frpkg"))


def test_each_script_run_gets_fresh_globals(sandbox: Sandbox) -> None:
    fast = sandbox.fast
    script = sandbox.write("script.py", "counter = globals().get('counter', 0) + 1\nitems = []\nitems.append(1)\n")
    seed = {"seed": [1]}
    for run_name in (None, "__main__", "pkg.mod"):
        runs = [fast.run_path(script, init_globals=seed, run_name=run_name) for _ in range(3)]
        assert [r["counter"] for r in runs] == [1, 1, 1]
        assert [r["items"] for r in runs] == [[1], [1], [1]]
        assert len({id(r) for r in runs}) == 3
        runs[0]["items"].append("mutated")
        assert fast.run_path(script, run_name=run_name)["items"] == [1]
        assert summary(fast.run_path(script, run_name=run_name)) == summary(
            runpy.run_path(script, run_name=run_name)
        )
    assert set(seed) == {"seed"}


def test_runs_get_the_interpreters_builtins_whoever_calls(sandbox: Sandbox) -> None:
    # runpy's exec() gives a run the builtins of runpy's own module, not those
    # of the code calling run_path(): a caller exec'd with builtins of its own
    # (a sandbox, a shell) must not hand them to the runs it starts.
    body = "seen = __builtins__ is __import__('builtins').__dict__\n"
    script = sandbox.write("script.py", body)
    sandbox.write("lib/builtins_probe.py", body)
    sandbox.on_path("lib")
    app = os.path.dirname(sandbox.write("app/__main__.py", body))
    callers_builtins = dict(vars(builtins))

    def from_caller(runner: Any, source: str) -> Any:
        namespace = {"__builtins__": callers_builtins, "runner": runner, "script": script, "app": app}
        exec("result = " + source, namespace)
        result = namespace["result"]
        return result["__builtins__"] is vars(builtins), result["seen"]

    for source in (
        "runner.run_path(script)",
        "runner.run_module('builtins_probe')",
        "runner.run_module('builtins_probe', alter_sys=True)",
        "runner.run_path(app)",
    ):
        first = from_caller(sandbox.fast, source)
        sandbox.prime(lambda runner: eval(source, {"runner": runner, "script": script, "app": app}))
        assert from_caller(runpy, source) == (True, True)
        assert first == (True, True)
        hits = sandbox.fast.cache_info().hits
        assert from_caller(sandbox.fast, source) == (True, True)
        assert sandbox.fast.cache_info().hits == hits + 1


def test_script_hits_hold_the_objects_they_were_given(sandbox: Sandbox) -> None:
    # runpy's globals hold the very path and run name it was passed; hits
    # after hits with other (equal or different) ones must too.
    script = sandbox.write("script.py", "seen = (__name__, __file__, __package__)\n")
    for run_name in (None, "__main__", "pkg.sub.mod", "pkg.sub.mod", None, "<run_path>", "plain"):
        # (Where runpy sets no __cached__, the run name is part of the key.)
        sandbox.prime(lambda runner: runner.run_path(script, run_name=run_name))
        for runner in (sandbox.fast, runpy, sandbox.fast):
            path = "".join(list(script))  # equal to the last one, not the same object
            name = None if run_name is None else "".join(list(run_name))
            hits = sandbox.fast.cache_info().hits
            result = runner.run_path(path, run_name=name)
            if runner is sandbox.fast:
                assert sandbox.fast.cache_info().hits == hits + 1
            assert result["__file__"] is path
            if name is not None:
                assert result["__name__"] is name
            expected = "<run_path>" if name is None else name
            assert result["seen"] == (expected, path, expected.rpartition(".")[0])
            assert list(result) == list(runpy.run_path(path, run_name=name))


def test_module_hits_in_every_shape_keep_runpys_globals(sandbox: Sandbox) -> None:
    # One cached module run in a module (alter_sys) and in a plain dict, whose
    # keys runpy orders differently, and a directory's __main__, with names
    # that change between hits: each hit's globals as runpy's, key order,
    # the very run name given, and a spec and loader of its own.
    _package_tree(sandbox)
    app = os.path.dirname(sandbox.write("app/__main__.py", "x = 'app'\n"))
    module_calls = [
        lambda runner, name, alter: runner.run_module("frpkg.sub.leaf", run_name=name, alter_sys=alter),
        lambda runner, name, alter: runner.run_module("frpkg", run_name=name, alter_sys=alter),
        lambda runner, name, alter: runner.run_path(app, run_name=name),
    ]
    for call in module_calls:
        sandbox.prime(lambda runner: call(runner, None, False))
        sandbox.prime(lambda runner: call(runner, None, True))
        specs = []
        for run_name in (None, "__main__", "a.b", "a.b", None):
            for alter in (True, False, True):
                name = None if run_name is None else "".join(list(run_name))  # a new object each time
                hits = sandbox.fast.cache_info().hits
                fast = call(sandbox.fast, name, alter)
                assert sandbox.fast.cache_info().hits > hits
                reference = call(runpy, name, alter)
                assert list(fast) == list(reference)
                assert summary(fast) == summary(reference)
                if name is not None:
                    assert fast["__name__"] is name
                assert fast["__builtins__"] is reference["__builtins__"]
                specs.append(fast["__spec__"])
                assert fast["__loader__"] is fast["__spec__"].loader
        assert len({id(spec) for spec in specs}) == len(specs)


def test_alter_sys_restores_state_on_hits(sandbox: Sandbox) -> None:
    _package_tree(sandbox)
    argv_before = list(sys.argv)
    main_before = sys.modules["__main__"]
    for name in ("frpkg.sub.leaf", "frpkg"):
        call = run_mod(name, alter_sys=True)
        for _ in range(3):
            sandbox.both(call)
            assert sys.argv == argv_before
            assert sys.modules["__main__"] is main_before
            assert "frpkg.sub.leaf" not in sys.modules and "frpkg.__main__" not in sys.modules
