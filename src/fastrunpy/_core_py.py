"""Pure-Python implementation of fastrunpy's hot path (twin of ``_core.pyx``).

Globals population, dunder setting, exec dispatch and the temporary changes
to ``sys`` live here; finding modules and code lives in ``_resolve``.

sys save/restore differs from stdlib in one deliberate way: runs that end out
of order (several threads) hand their saved value on to the run still active
above them, so once every run has finished, ``sys.argv[0]`` and ``sys.modules``
are what they were before the first began.  Runs that nest in one thread end
in order, and then every step is exactly stdlib's.

The compiled core includes this file, and importing it must cost no more
than importing runpy.  So this file has no generator expressions (Cython
builds a type for each, and one more for generators, at import: list
comprehensions or loops instead), and the core compiles its functions as
builtins, without code objects (see ``_core.pyx``).
"""

import builtins
import os
import sys
import importlib.machinery
import importlib.util

# Attribute access, never "from importlib.machinery import ...": that form
# asks the module for __path__, and from 3.14 its __getattr__ answers by
# importing warnings, a module ``import runpy`` does not load.
BuiltinImporter = importlib.machinery.BuiltinImporter
FileFinder = importlib.machinery.FileFinder
FrozenImporter = importlib.machinery.FrozenImporter
ModuleSpec = importlib.machinery.ModuleSpec
PathFinder = importlib.machinery.PathFinder
SourceFileLoader = importlib.machinery.SourceFileLoader
SourcelessFileLoader = importlib.machinery.SourcelessFileLoader
source_hash = importlib.util.source_hash

# _thread and time are loaded by every interpreter at start-up; threading,
# collections and typing are not, and ``import runpy`` does not load them.
# Neither may this module: ``python -m fastrunpy`` imports it with the
# working directory at sys.path[0], where a same-named file would win.
from _thread import RLock, allocate_lock as Lock
from time import time_ns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

from . import _resolve
from ._resolve import _Error as _Error  # re-exported: part of runpy's private API

__all__ = ["run_module", "run_path"]

ModuleType = type(sys)
_builtins_dict = vars(builtins)
_original_import = builtins.__import__
# Called through a name, never as exec(...): the compiled core would turn
# that into a direct evaluation that skips exec's "exec" audit event.
_builtin_exec = builtins.exec

_ABSENT: "Any" = object()  # "no such entry" for a saved sys.modules value
_ARGV0 = object()  # registry key for sys.argv[0]; sys.modules entries are keyed by name
_KEEP: "Any" = object()  # _pop()'s "another run holds the key still: put nothing back"

# One lock for the registry only; user code never runs while it is held, so
# nested runs and runs started from other threads cannot deadlock on it.
_lock = RLock()
# key -> the saved-value cells of the runs that currently override it, oldest first
_overrides: "Dict[Any, List[List[Any]]]" = {}


def _push(key: "Any", saved: "Any") -> "List[Any]":
    cell = [saved]
    stack = _overrides.get(key)
    if stack is None:
        _overrides[key] = [cell]
    else:
        stack.append(cell)
    return cell


def _pop(key: "Any", cell: "List[Any]") -> "Any":
    """Forget ``cell``: the value to put back when it was the newest override, else _KEEP."""
    stack = _overrides[key]
    if stack[-1] is cell:
        stack.pop()
        if not stack:
            del _overrides[key]
        return cell[0]
    # Ending out of order: the run above inherits what this one saved.
    index = [other is cell for other in stack].index(True)
    stack[index + 1][0] = cell[0]
    del stack[index]
    return _KEEP


def _overridden(key: "Any") -> bool:
    """Whether a run holds ``key`` now."""
    return bool(_overrides.get(key))


# The _swap_*/_unswap_* helpers expect _lock to be held by the caller.


def _swap_module(name: str, module: "Any") -> "List[Any]":
    """Put ``module`` (or _ABSENT: remove) at sys.modules[name]; return the restore cell."""
    modules = sys.modules
    saved = modules.get(name, _ABSENT)
    # Absent with no run overriding it (an empty stack, which the compiled
    # core keeps for reuse, overrides nothing): stdlib's lookup fails.
    if saved is _ABSENT and module is _ABSENT and not _overridden(name):
        raise KeyError(name)  # what stdlib's sys.modules[name] lookup raises
    cell = _push(name, saved)
    if module is _ABSENT:
        modules.pop(name, None)
    else:
        modules[name] = module
    return cell


def _unswap_module(name: str, cell: "List[Any]", missing_ok: bool) -> None:
    saved = _pop(name, cell)
    if saved is _KEEP:
        return
    modules = sys.modules
    if saved is not _ABSENT:
        modules[name] = saved
    elif missing_ok:
        modules.pop(name, None)
    else:
        del modules[name]  # KeyError if the run removed it, as in stdlib


def _swap_argv0(value: "Any") -> "List[Any]":
    argv = sys.argv
    saved = argv[0]
    argv[0] = value  # before the push: an argv that refuses it leaves no cell behind
    return _push(_ARGV0, saved)


def _unswap_argv0(cell: "List[Any]") -> None:
    saved = _pop(_ARGV0, cell)
    if saved is not _KEEP:
        sys.argv[0] = saved


def _enter_run(name: str, module: "Any", argv0: "Any") -> "Tuple[List[Any], List[Any]]":
    """_TempModule then _ModifiedArgv0, as runpy nests them.

    The lock is taken without ``with``: every run takes this path, and the
    two method lookups ``with`` adds are a measurable part of a cached run.
    """
    _lock.acquire()
    try:
        module_cell = _swap_module(name, module)
        try:
            argv_cell = _swap_argv0(argv0)
        except BaseException:
            _unswap_module(name, module_cell, False)
            raise
        return module_cell, argv_cell
    finally:
        _lock.release()


def _exit_run(name: str, cells: "Tuple[List[Any], List[Any]]") -> None:
    """_ModifiedArgv0's exit, then _TempModule's."""
    _lock.acquire()
    try:
        try:
            _unswap_argv0(cells[1])
        finally:
            _unswap_module(name, cells[0], False)
    finally:
        _lock.release()


class _TempModule(object):
    """Temporarily replace a module in sys.modules with an empty namespace"""

    def __init__(self, mod_name: str) -> None:
        self.mod_name = mod_name
        self.module = ModuleType(mod_name)
        self._cell: Optional[List[Any]] = None

    def __enter__(self) -> "_TempModule":
        with _lock:
            self._cell = _swap_module(self.mod_name, self.module)
        return self

    def __exit__(self, *args: object) -> None:
        cell, self._cell = self._cell, None
        if cell is not None:
            with _lock:
                _unswap_module(self.mod_name, cell, False)


class _ModifiedArgv0(object):
    def __init__(self, value: "Any") -> None:
        self.value = value
        self._cell: Optional[List[Any]] = None
        self._used = False

    def __enter__(self) -> None:
        if self._used:
            raise RuntimeError("Already preserving saved value")
        with _lock:
            self._cell = _swap_argv0(self.value)
        self._used = True

    def __exit__(self, *args: object) -> None:
        self.value = object()  # stdlib leaves a sentinel here too
        cell, self._cell = self._cell, None
        if cell is not None:
            with _lock:
                _unswap_argv0(cell)


# ---------------------------------------------------------------------------
# Caches.  A hit must give exactly what a fresh resolution would give now, so
# every entry records what its answer depended on and is checked on each use;
# anything the checks cannot vouch for is resolved afresh, as stdlib would.


class CacheInfo(tuple[int, int, int, int]):
    """cache_info()'s answer: a named tuple (hits, misses, maxsize, currsize).

    Written out by hand: collections.namedtuple and typing.NamedTuple would
    import modules that runpy does not.
    """

    __slots__ = ()
    _fields = ("hits", "misses", "maxsize", "currsize")
    __match_args__ = ("hits", "misses", "maxsize", "currsize")

    def __new__(cls, hits: int, misses: int, maxsize: int, currsize: int) -> "CacheInfo":
        return tuple.__new__(cls, (hits, misses, maxsize, currsize))

    @property
    def hits(self) -> int:
        return self[0]

    @property
    def misses(self) -> int:
        return self[1]

    @property
    def maxsize(self) -> int:
        return self[2]

    @property
    def currsize(self) -> int:
        return self[3]

    def __repr__(self) -> str:
        return "%s(hits=%r, misses=%r, maxsize=%r, currsize=%r)" % ((type(self).__name__,) + tuple(self))

    def __getnewargs__(self) -> "Tuple[int, int, int, int]":
        return (self[0], self[1], self[2], self[3])  # copy and pickle call __new__ with these

    @classmethod
    def _make(cls, iterable: "Any") -> "CacheInfo":
        return cls(*iterable)

    def _asdict(self) -> "Dict[str, int]":
        return dict(zip(self._fields, self))

    def _replace(self, **changes: int) -> "CacheInfo":
        values = self._asdict()
        unknown = [name for name in changes if name not in values]
        if unknown:
            raise ValueError(f"Got unexpected field names: {unknown!r}")
        values.update(changes)
        return type(self)(**values)


DEFAULT_MAXSIZE = 512
VALIDATION_MODES = ("auto", "timestamp", "checked-hash", "unchecked")
# The modes in which this implementation validates a hit by stat() alone.
_STAT_MODES = ("auto", "timestamp")
# stat() cannot tell apart two writes of the same size within one timestamp
# tick.  Content read that soon after the file's last change is confirmed by
# its hash on each hit until it is older.  A tick is a few ms where the
# filesystem keeps sub-second times (Linux's coarse clock is at most 10 ms),
# and up to 2 s where it keeps whole seconds (FAT, ext3, HFS+).
SETTLE_NS_FINE = 50_000_000
SETTLE_NS_COARSE = 2_000_000_000
# compile() here always uses the interpreter's optimization level and no flags.
_COMPILE_KEY = sys.flags.optimize
_MISSING: "Any" = object()

# Guards the entries and counters; held only around dict operations on our own keys.
_cache_lock = Lock()
# Plain dicts keep insertion order: the first key is the least recently used,
# and a hit moves its key to the end by taking it out and putting it back.
_entries: "Dict[Any, Any]" = {}
# Keys missed once.  An entry is recorded only on a target's second miss, so
# a target run once (the common case for one-off scripts) pays nothing for
# recording and takes no room among the entries.
_seen_once: "Dict[Any, None]" = {}
# [hits, misses], changed in place: rebinding a module global on every run
# would also empty the compiled core's cache of global-name lookups.
_counts = [0, 0]
# [the entry last moved to or put at the end of _entries]: moving it again
# would change nothing, so a run of hits on one target skips it.  Whatever
# drops that entry sets this to None: while set, it is in _entries (at the
# end, so trimming takes it only when it empties _entries).
_newest_cell: "List[Any]" = [None]
_maxsize = DEFAULT_MAXSIZE
# FASTRUNPY_VALIDATION picks the mode for a whole process (for users who cannot
# change the code that runs things); a value that is not a mode is ignored.
_validation = os.environ.get("FASTRUNPY_VALIDATION", "auto")
if _validation not in VALIDATION_MODES:
    _validation = "auto"
# Opt-in: a hit validated by stat() is trusted this many ns without another (0: off).
_revalidate_ns = 0


def _recently_checked(entry: "Any") -> bool:
    """Whether stat() validated the entry less than the revalidate window ago."""
    return _revalidate_ns > 0 and time_ns() - entry.checked_at < _revalidate_ns


def _checked_now(entry: "Any") -> None:
    if _revalidate_ns:
        entry.checked_at = time_ns()


def cache_info() -> "CacheInfo":
    """Hits, misses, maximum and current number of entries of this implementation's cache."""
    with _cache_lock:
        return CacheInfo(_counts[0], _counts[1], _maxsize, len(_entries))


def cache_clear() -> None:
    """Forget every cached script and module, and reset the counters."""
    with _cache_lock:
        _entries.clear()
        _seen_once.clear()
        _counts[0] = _counts[1] = 0
        _newest_cell[0] = None
    _stop_watching()


def cache_configure(
    *, maxsize: "Optional[int]" = None, validation: "Optional[str]" = None, revalidate_after: "Any" = _MISSING
) -> None:
    """Set the cache size (entries, LRU; 0 disables caching) and how hits are validated.

    validation: "auto" (default: the kernel reports changes where it can be
    trusted to, otherwise as "timestamp"), "timestamp" (stat signature,
    content hash while the file is very recent), "checked-hash" (hash the
    file on every hit; only the compile is saved), "unchecked" (trust the
    cache: for files that never change).

    revalidate_after: seconds (None: off, the default).  A hit that stat()
    validates is not stat()ed again for that long, so a change can go unseen
    for up to that long (as PHP OPcache's revalidate_freq).  Hits the kernel
    vouches for ("auto") are not affected.
    """
    _configure(maxsize, validation, revalidate_after)


# The work of cache_configure(), apart from its signature: the compiled core
# rebinds the public name, whose sentinel default only a cyfunction can show.
def _configure(maxsize: "Optional[int]", validation: "Optional[str]", revalidate_after: "Any") -> None:
    global _maxsize, _validation, _revalidate_ns
    if maxsize is not None and (type(maxsize) is not int or maxsize < 0):
        raise ValueError(f"maxsize must be an int >= 0, not {maxsize!r}")
    if validation is not None and validation not in VALIDATION_MODES:
        raise ValueError(f"validation must be one of {VALIDATION_MODES}, not {validation!r}")
    window = 0
    if revalidate_after is not _MISSING and revalidate_after is not None:
        if type(revalidate_after) not in (int, float) or not 0 <= revalidate_after < 10**9:
            raise ValueError(f"revalidate_after must be a number of seconds >= 0 or None, not {revalidate_after!r}")
        window = int(revalidate_after * 1_000_000_000)
    with _cache_lock:
        if revalidate_after is not _MISSING:
            _revalidate_ns = window
        if validation is not None:
            _validation = validation
        if maxsize is not None:
            _maxsize = maxsize
            _trim(_entries)
            _trim(_seen_once)
    if _validation != "auto" or not _maxsize:
        _stop_watching()


def _trim(mapping: "Dict[Any, Any]") -> None:
    """Drop the least recently used keys beyond _maxsize (caller holds _cache_lock)."""
    while len(mapping) > _maxsize:
        del mapping[next(iter(mapping))]
    if not _entries:
        _newest_cell[0] = None


def _cache_get(key: "Any") -> "Any":
    """The entry for key, counted as a hit; _cache_reject() turns that into a miss."""
    with _cache_lock:
        entry = _entries.get(key)
        if entry is None:
            _counts[1] += 1
        else:
            _count_hit_locked(key, entry)
        return entry


def _count_hit_locked(key: "Any", entry: "Any") -> None:
    """Count a hit of the entry at key, now the most recently used (caller holds _cache_lock)."""
    _counts[0] += 1
    if _newest_cell[0] is not entry:
        del _entries[key]
        _entries[key] = entry
        _newest_cell[0] = entry


def _cache_reject(key: "Any", entry: "Any") -> None:
    """An entry failed validation: drop it and count the lookup as a miss."""
    with _cache_lock:
        _counts[0] -= 1
        _counts[1] += 1
        if _entries.get(key) is entry:
            del _entries[key]
        if _newest_cell[0] is entry:
            _newest_cell[0] = None


def _second_miss(key: "Any") -> bool:
    """True when key was missed before; otherwise remember this first miss."""
    with _cache_lock:
        return _second_miss_locked(key)


def _second_miss_locked(key: "Any") -> bool:
    if key in _seen_once:
        del _seen_once[key]
        return True
    _seen_once[key] = None
    if len(_seen_once) > _maxsize:
        _trim(_seen_once)
    return False


def _cache_put(key: "Any", entry: "Any") -> None:
    with _cache_lock:
        _entries.pop(key, None)  # a replaced entry becomes the most recently used
        _entries[key] = entry
        _newest_cell[0] = entry
        _trim(_entries)


def _signature(path: str) -> "Any":
    """What stat() says about a file's identity and content, or None if it is gone."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled(signature: "Any", read_at_ns: int) -> bool:
    mtime_ns: int = signature[3]
    ctime_ns: int = signature[4]
    whole_seconds = mtime_ns % 1_000_000_000 == 0 and ctime_ns % 1_000_000_000 == 0
    margin = SETTLE_NS_COARSE if whole_seconds else SETTLE_NS_FINE
    return read_at_ns - max(mtime_ns, ctime_ns) > margin


def _read_bytes(path: str) -> "Optional[bytes]":
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def _content_unchanged(entry: "Any", path: str) -> bool:
    if entry.content_hash is None:
        return False
    data = _read_bytes(path)
    return data is not None and bool(source_hash(data) == entry.content_hash)


# --- kernel-notified validation ("auto") ---------------------------------
# An entry the kernel watches needs no stat() on a hit: it stays trusted
# until a change to a file or directory its answer depends on is reported.
# Only the compiled core can ask the kernel (inotify, on Linux); in this
# implementation "auto" validates as "timestamp" does, and these are the
# hooks the core replaces.  Trust begins before an entry is validated by
# stat(), so a change is either seen by that stat() or reported after it.


def _trusted(entry: "Any") -> bool:
    """True when the kernel vouches that nothing the entry depends on has changed."""
    return False


def _begin_trust(entry: "Any") -> "Any":
    """Watch what the entry depends on, before stat() validates it; a token for _confirm_trust(), or None."""
    return None


def _confirm_trust(entry: "Any", token: "Any") -> None:
    """The entry passed validation after _begin_trust(): trust it until a change is reported."""


def _stop_watching() -> None:
    """Drop every watch, and the kernel resources behind them."""


def _watch_state() -> "Tuple[bool, int, int]":
    """(watcher open, hits served on the kernel's word, watch sets begun): for tests and benchmarks."""
    return False, 0, 0


def _watched_paths(entry: "Any") -> "Tuple[Tuple[str, ...], Tuple[str, ...]]":
    """(files, directories) an entry's answer depends on; a directory's every change counts.

    A script depends on its file.  A module depends on its source and
    bytecode files and on each directory searched up to the one it was found
    in, where any new or removed name may change what a lookup finds.
    """
    if type(entry) is _ScriptEntry:
        return (entry.full_path,), ()
    if type(entry) is _WatchedFiles:
        return entry.files, entry.directories
    files = (entry.source,) if entry.bytecode is None else (entry.source, entry.bytecode)
    directories = tuple(
        [os.path.abspath(_finder_directory(finder)) for _, finder, _ in entry.probes if finder is not None]
    )
    return files, directories


class _WatchedFiles:
    """Files and directories whose changes count as one: what a spawn() zygote loaded."""

    __slots__ = ("files", "directories", "trust")

    def __init__(self, files: "Tuple[str, ...]", directories: "Tuple[str, ...]") -> None:
        self.files = files
        self.directories = directories  # (sys.path entries: every change counts)
        self.trust: "Any" = None


def _unchanged(watched: "_WatchedFiles", still_the_same: "Any") -> bool:
    """Whether nothing in ``watched`` changed: the kernel's word where it vouches, else still_the_same().

    still_the_same() is the stat() check; in "auto" it runs only until the
    kernel watches everything, and again after any change is reported.
    """
    if _validation != "auto":
        return bool(still_the_same())
    if _trusted(watched):
        return True
    token = _begin_trust(watched)
    if not still_the_same():
        return False
    if token is not None:
        _confirm_trust(watched, token)
    return True


# --- run_path of a plain script file -------------------------------------

_isabs = os.path.isabs
_POSIX_PATHS = os.path.__name__ == "posixpath"  # where isabs(path) is path.startswith("/")
_SETS_CACHED = _resolve.SETS_CACHED
_FILEFINDER_HOOK = "FileFinder.path_hook.<locals>.path_hook_for_FileFinder"
# sys.path_hooks as last seen: (hooks, only the import system's own, zipimporter among them)
_hooks_verdict: "Tuple[Tuple[Any, ...], bool, bool]" = ((), False, False)


def _known_path_hooks() -> bool:
    """True when sys.path_hooks holds only the import system's own hooks.

    Those reject a regular file that is not a zip archive, so a script seen
    once as "no importer" stays so while its stat signature is unchanged.
    """
    global _hooks_verdict
    hooks = tuple(sys.path_hooks)
    if hooks != _hooks_verdict[0]:
        import zipimport

        known = True
        for hook in hooks:
            if hook is not zipimport.zipimporter and getattr(hook, "__qualname__", None) != _FILEFINDER_HOOK:
                known = False
                break
        _hooks_verdict = (hooks, known, zipimport.zipimporter in hooks)
    return _hooks_verdict[1]


# --- audit events --------------------------------------------------------
# A hit skips the opens, reads and compile() a run would do, so it raises
# their audit events itself, in the same order and with the same arguments
# (PEP 578 hooks rely on seeing every execution).  exec() raises its own.

_audit = sys.audit
# The flags io.open_code() passes with its "open" event (FileIO, read-only).
if os.name == "nt":
    _READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0)
else:
    _READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def _open_event(path: str) -> "Tuple[str, Tuple[Any, ...]]":
    return ("open", (path, "r", _READ_FLAGS))


def _replay(events: "Tuple[Tuple[str, Tuple[Any, ...]], ...]") -> None:
    for event, args in events:
        _audit(event, *args)


# The compiled core binds its own C type to this name before including this file.
if "_ScriptEntry" not in globals():
    class _ScriptEntry(object):
        __slots__ = ("code", "full_path", "signature", "content_hash", "settled", "events", "trust", "checked_at")

        def __init__(
            self, code: "Any", full_path: str, signature: "Any", content_hash: "Optional[bytes]", settled: bool,
            events: "Tuple[Tuple[str, Tuple[Any, ...]], ...]",
        ) -> None:
            self.code = code
            self.full_path = full_path
            self.signature = signature
            self.content_hash = content_hash
            self.settled = settled
            self.events = events  # what reading and compiling the file raises
            self.trust: "Any" = None  # the compiled core's watch state (see _trusted())
            self.checked_at = -(1 << 62)  # when stat() last validated it (see _recently_checked())


def _script_key(path_name: "Any", run_name: str) -> "Any":
    """Cache key for a script path, or None when the path is not cacheable."""
    if type(path_name) is str:
        path = path_name
    elif type(path_name) is bytes:
        path = os.fsdecode(path_name)
    else:
        return None  # path-like objects: resolve afresh, their __fspath__ may vary
    where = _script_where(path)
    if where is None:
        return None
    # The type of path_name is part of the key: compile()'s audit event
    # passes the file name on as given.
    if _resolve.SETS_CACHED:
        return (where, _COMPILE_KEY, type(path_name))
    return (where, _COMPILE_KEY, type(path_name), run_name)  # compile() takes the module name


def _script_where(path: str, absolute: bool = False) -> "Any":
    """The file a script path names now: the path if absolute, else (cwd, path); None if not cacheable now.

    ``absolute``: the caller knows the path is absolute (a handle that saw it once).
    """
    if not path or path in sys.path_importer_cache or not _known_path_hooks():
        return None
    if absolute or _isabs(path):
        return path
    try:
        return (os.getcwd(), path)
    except OSError:
        return None


def _script_hit(key: "Any", path_name: "Any", run_name: str) -> "Any":
    """The cached code for a script, with the audit events reading it would raise; None on a miss."""
    entry = _cache_get(key)
    if entry is None:
        return None
    code, stale = _serve_script(entry, path_name, run_name)
    if stale:
        _cache_reject(key, entry)
        if code is not None:
            _second_miss(key)  # counts towards recording the new content, as any miss does
    return code


def _plain_script_hit(path: str, run_name: str) -> "Any":
    """The entry for a run_path() hit that one stat() vouches for, counted and its events raised; else None.

    Most cached runs are this case: an absolute path to a settled file, in
    "timestamp" mode or in "auto", which here is the same.  Served with a
    handful of calls instead of the general path's twenty-odd.  Anything
    else returns None having done nothing, and the general path takes it.
    The compiled core serves its hits by hand and does not use this.
    """
    if _validation not in _STAT_MODES or _revalidate_ns or not _maxsize or not path:
        return None
    hooks = _hooks_verdict
    if not hooks[1] or tuple(sys.path_hooks) != hooks[0] or path in sys.path_importer_cache:
        return None
    if not (path.startswith("/") if _POSIX_PATHS else _isabs(path)):
        return None
    key = (path, _COMPILE_KEY, str) if _SETS_CACHED else (path, _COMPILE_KEY, str, run_name)  # as _script_key()
    entry: "Any" = _entries.get(key)
    if entry is None or not entry.settled:
        return None
    try:
        st = os.stat(entry.full_path)
    except (OSError, ValueError):
        return None
    if (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != entry.signature:
        return None
    with _cache_lock:
        replaced = _entries.get(key) is not entry  # by another thread since the lookup
        if replaced:
            return None
        _count_hit_locked(key, entry)
    if hooks[2]:
        _audit("open", path, "r", _READ_FLAGS)  # as in _serve_script
    _replay(entry.events)
    return entry


def _run_script_hit(code: "Any", init_globals: "Any", run_name: str, path: "Any") -> "Dict[str, Any]":
    """_run_module_code() for a cached script, written out: what a cached run costs.

    ``path``: the script's name as runpy gives it to __file__ and sys.argv[0].
    """
    module = ModuleType(run_name)
    run_globals = module.__dict__
    if init_globals is not None:
        run_globals.update(init_globals)
    run_globals["__name__"] = run_name
    run_globals["__file__"] = path
    if _SETS_CACHED:
        run_globals["__cached__"] = None
    run_globals["__doc__"] = None
    run_globals["__loader__"] = None
    run_globals["__package__"] = run_name.rpartition(".")[0]
    run_globals["__spec__"] = None
    if "__builtins__" not in run_globals:
        run_globals["__builtins__"] = _builtins_dict  # as _exec() does
    cells = _enter_run(run_name, module, path)
    try:
        _builtin_exec(code, run_globals)
    finally:
        _exit_run(run_name, cells)
    return run_globals.copy()


def _serve_script(entry: "Any", path_name: "Any", run_name: str) -> "Tuple[Any, bool]":
    """(code, stale) for a script entry under the validation mode.

    (code, False): the entry holds; the events runpy's reads raise were raised.
    (None, True): it does not; nothing was read, resolve afresh.
    (new code, True): the content changed behind an unchanged stat(); the
    code is compiled from what the file holds now, as runpy would.
    """
    mode = _validation
    token = None
    if mode == "auto":
        if _trusted(entry):
            mode = "unchecked"
        else:
            token = _begin_trust(entry)
            mode = "timestamp"
    if mode == "timestamp" and token is None and entry.settled and _recently_checked(entry):
        mode = "unchecked"  # within the revalidate window (the kernel's word, when had, is better)
    reread = mode == "checked-hash" or (mode == "timestamp" and not entry.settled)
    if (mode == "timestamp" and _signature(entry.full_path) != entry.signature) or (
        reread and entry.content_hash is None
    ):
        return None, True
    if _hooks_verdict[2]:
        # pkgutil.get_importer() lets zipimporter look inside the file first.
        _audit("open", path_name if type(path_name) is str else os.fsdecode(path_name), "r", _READ_FLAGS)
    if not reread:
        if token is not None:
            _confirm_trust(entry, token)
        if mode == "timestamp":
            _checked_now(entry)
        _replay(entry.events)
        return entry.code, False
    # The content must be confirmed: read it where runpy reads the source,
    # so the read raises the event runpy's read would.
    _replay(entry.events[:1])
    return _script_confirmed(entry, path_name, run_name, mode == "timestamp", token)


def _script_confirmed(
    entry: "Any", path_name: "Any", run_name: str, by_timestamp: bool, token: "Any"
) -> "Tuple[Any, bool]":
    import io

    read_at = time_ns()
    with io.open_code(entry.full_path) as stream:
        source = stream.read()
    if source_hash(source) != entry.content_hash:
        return _resolve.compile_source(source, path_name, run_name), True
    _audit("compile", source, os.fsdecode(path_name))  # compile() reports the name decoded
    if by_timestamp and _settled(entry.signature, read_at):
        entry.settled = True
    if token is not None:
        # Read after the watches began: any later change will be reported.
        _confirm_trust(entry, token)
    return entry.code, False


def _script_code(path_name: "Any", run_name: str, key: "Any") -> "Any":
    """Load a script's code as runpy does, recording it for later runs when possible."""
    if key is None or not _maxsize or not _second_miss(key):
        return _resolve.code_from_file(path_name, run_name)[0]
    code, entry = _script_entry(path_name, run_name)
    if entry is not None:
        _cache_put(key, entry)
    return code


def _script_entry(path_name: "Any", run_name: str) -> "Tuple[Any, Any]":
    """(code, entry): load a script as runpy does, and what a later run needs to reuse it (or None)."""
    full_path = os.path.abspath(os.fsdecode(path_name))
    signature = _signature(full_path)
    read_at = time_ns()
    code, source = _resolve.code_from_file(path_name, run_name)
    if signature is None:
        return code, None
    events: "Tuple[Tuple[str, Tuple[Any, ...]], ...]"
    if source is None:  # compiled file: read_code() succeeded on the first open
        events = (_open_event(full_path), ("marshal.load", ()))
        content_hash = None
    else:
        # compile() reports its file name decoded, whatever type it was given.
        events = (_open_event(full_path), _open_event(full_path), ("compile", (source, os.fsdecode(path_name))))
        content_hash = source_hash(source)
    return code, _ScriptEntry(code, full_path, signature, content_hash, _settled(signature, read_at), events)


# --- module lookups (run_module, and __main__ of directories) -------------

_CACHEABLE_LOADERS = (SourceFileLoader, SourcelessFileLoader)
_PLAIN_FINDERS = (BuiltinImporter, FrozenImporter, PathFinder)


def _finder_is_known(finder: "Any", mod_name: str) -> bool:
    """Whether a meta path finder is one whose answer for mod_name we can predict."""
    if finder in _PLAIN_FINDERS:
        return True
    cls = type(finder)
    origin = cls.__module__
    if origin == "_distutils_hack" and cls.__name__ == "DistutilsMetaFinder":
        # setuptools' shim answers only for distutils, pip and some test.* names.
        return not mod_name.startswith("test.") and not hasattr(finder, "spec_for_" + mod_name)
    if origin == "_virtualenv" and cls.__name__ == "_Finder":
        # virtualenv's (tox, nox) answers only for the modules it patches, named in
        # its module; when that list is not where we expect it, assume nothing.
        patched = getattr(sys.modules.get(origin), "_DISTUTILS_PATCH", None)
        return type(patched) is tuple and all([type(name) is str for name in patched]) and mod_name not in patched
    return False


# The compiled core binds its own C type to this name before including this file.
if "_ModuleEntry" not in globals():
    class _ModuleEntry(object):
        """A module lookup's answer, and everything that answer depended on."""

        __slots__ = (
            "spec", "code", "parent", "prefix", "probes", "meta_path", "environment",
            "source", "source_signature", "bytecode", "bytecode_signature", "content_hash", "settled", "events",
            "trust", "checked_at",
        )

        def __init__(
            self, spec: "Any", code: "Any", parent: "Any", prefix: "List[Any]", probes: "Tuple[Any, ...]",
            meta_path: "Tuple[Any, ...]", environment: "Any", source: str, source_signature: "Any",
            bytecode: "Optional[str]", bytecode_signature: "Any", content_hash: "Optional[bytes]", settled: bool,
            events: "Tuple[Tuple[str, Tuple[Any, ...]], ...]",
        ) -> None:
            self.spec = spec
            self.code = code
            self.parent = parent
            self.prefix = prefix
            self.probes = probes
            self.meta_path = meta_path
            self.environment = environment
            self.source = source
            self.source_signature = source_signature
            self.bytecode = bytecode
            self.bytecode_signature = bytecode_signature
            self.content_hash = content_hash
            self.settled = settled
            self.events = events  # what the loader's get_code() raises: reads, then compile or unmarshal
            self.trust: "Any" = None  # the compiled core's watch state (see _trusted())
            self.checked_at = -(1 << 62)  # when stat() last validated it (see _recently_checked())


def _environment() -> "Any":
    # Where and whether get_code() writes bytecode.
    return (sys.dont_write_bytecode, sys.pycache_prefix)


def _search_path(mod_name: str) -> "Any":
    """(parent module or None, the path list find_spec would search), or None."""
    parent_name = mod_name.rpartition(".")[0]
    if not parent_name:
        return None, sys.path
    parent = sys.modules.get(parent_name)
    path = getattr(parent, "__path__", None)
    if type(path) is not list:
        return None  # namespace packages recompute __path__: resolve afresh
    return parent, path


def _module_key(mod_name: str, path: "Any") -> "Any":
    return (mod_name, path[0] if path else None, _COMPILE_KEY)


def _probe_entry(entry: "Any") -> "Any":
    """(sys.path_importer_cache key, finder) for a search path entry, or None if opaque."""
    if type(entry) is not str:
        return None
    key = entry
    if not entry:
        try:
            key = os.getcwd()
        except OSError:
            return None
    return key, sys.path_importer_cache.get(key, _MISSING)


def _finder_directory(finder: "Any") -> "Any":
    # The directory FileFinder stats to decide whether to re-list it.
    return finder.path or os.getcwd()


def _directory_mtime(path: str) -> "Optional[float]":
    """st_mtime as FileFinder compares it, or None if the stat fails."""
    try:
        return os.stat(path).st_mtime
    except (OSError, ValueError):
        return None


def _details_hit(mod_name: "Any") -> "Any":
    """(name run, spec, code) for run_module(mod_name) from the cache, or None having done nothing."""
    found = _entry_hit(mod_name)
    if found is None:
        return None
    name, entry = found
    return name, _spec_copy(entry), entry.code


def _entry_hit(mod_name: "Any") -> "Any":
    """(name run, cache entry) for run_module(mod_name), the hit counted and its events raised; or None having done nothing.

    Serves the hits that need no import and no warning: a top-level module,
    a submodule of a package already imported, or the __main__ of one.
    Anything else (and every miss) is left to _resolve.get_module_details,
    which does what runpy does and counts the lookup.
    """
    if not _maxsize or type(mod_name) is not str or mod_name.startswith("."):
        return None
    modules = sys.modules
    pkg_name = mod_name.rpartition(".")[0]
    if pkg_name:
        parent = modules.get(pkg_name)
        # runpy imports the parent first: a no-op only for one fully imported
        # through the usual __import__.
        if parent is None or _builtins_dict.get("__import__") is not _original_import:
            return None
        if getattr(getattr(parent, "__spec__", None), "_initializing", False):
            return None
    module = modules.get(mod_name, _MISSING)
    if module is not _MISSING:
        # Only a package runs when imported already (its __main__, below).
        spec = getattr(module, "__spec__", None)
        if spec is None or spec.submodule_search_locations is None or mod_name.rpartition(".")[2] == "__main__":
            return None
        return _entry_hit(mod_name + ".__main__")
    found = _search_path(mod_name)
    if found is None:
        return None
    parent, path = found
    key = _module_key(mod_name, path)
    entry = _entries.get(key)
    if entry is None or not _module_still_valid(entry, parent, path) or _cache_get(key) is not entry:
        return None
    _replay(entry.events)
    return mod_name, entry


def _module_details(mod_name: str, error: "Any" = ImportError) -> "Any":
    """_resolve.get_module_details() through the caches: (name run, spec, code)."""
    details = _details_hit(mod_name)
    if details is None:
        return _resolve.get_module_details(mod_name, error, _module_lookup)
    return details


def _module_hit(mod_name: str, parent: "Any", path: "Any", key: "Any") -> "Any":
    entry = _cache_get(key)
    if entry is None:
        return None
    if not _module_still_valid(entry, parent, path):
        _cache_reject(key, entry)
        return None
    _replay(entry.events)
    return _spec_copy(entry), entry.code


def _module_still_valid(entry: "Any", parent: "Any", path: "Any") -> bool:
    if entry.parent is not parent or path[: len(entry.prefix)] != entry.prefix:
        return False
    if tuple(sys.meta_path) != entry.meta_path or _environment() != entry.environment:
        return False
    for raw, finder, listed_mtime in entry.probes:
        probe = _probe_entry(raw)
        if probe is None or probe[1] is not finder:
            return False
        # FileFinder re-lists its directory when its mtime moves or after
        # importlib.invalidate_caches(); either way the answer may change.
        if finder is not None and finder._path_mtime != listed_mtime:
            return False
    mode = _validation
    token = None
    if mode == "auto":
        if _trusted(entry):
            return True
        token = _begin_trust(entry)
    if mode in ("auto", "timestamp") and token is None and entry.settled and _recently_checked(entry):
        return True  # within the revalidate window (the kernel's word, when had, is better)
    for _, finder, listed_mtime in entry.probes:
        if finder is not None and _directory_mtime(_finder_directory(finder)) != listed_mtime:
            return False
    if mode == "unchecked":
        return True
    if entry.bytecode is not None and _signature(entry.bytecode) != entry.bytecode_signature:
        return False  # get_code() would (re)write it
    if mode == "checked-hash":
        return entry.content_hash is not None and _content_unchanged(entry, entry.source)
    if _signature(entry.source) != entry.source_signature:
        return False
    if not entry.settled:
        # Too recent for stat() to vouch for: let the loader decide, as stdlib does.
        return False
    if token is not None:
        _confirm_trust(entry, token)
    _checked_now(entry)
    return True


def _worth_recording(mod_name: str, spec: "Any") -> bool:
    return (
        mod_name not in sys.modules
        and type(spec) is ModuleSpec
        and type(spec.loader) in _CACHEABLE_LOADERS
        and type(spec.origin) is str
    )


def _code_and_file_traffic(mod_name: str, spec: "Any", error: "Any") -> "Tuple[Any, Dict[str, bytes], Dict[str, bytes]]":
    """code_from_loader(), noting what the loader read and wrote, file by file.

    The loader's own get_data/set_data do the work (and raise their audit
    events); instance attributes shadow them for the duration of get_code().
    """
    loader = spec.loader
    reads: Dict[str, bytes] = {}
    writes: Dict[str, bytes] = {}
    get_data = loader.get_data
    set_data = getattr(loader, "set_data", None)

    def reading(path: str) -> bytes:
        data: bytes = get_data(path)
        reads[path] = data
        return data

    def writing(path: str, data: bytes, *args: "Any", **kwargs: "Any") -> "Any":
        writes[path] = data
        return set_data(path, data, *args, **kwargs)  # type: ignore[misc]

    loader.get_data = reading
    if set_data is not None:
        loader.set_data = writing
    try:
        code = _resolve.code_from_loader(mod_name, spec, error)
    finally:
        del loader.get_data
        if set_data is not None:
            del loader.set_data
    return code, reads, writes


def _loader_events(
    spec: "Any", reads: "Dict[str, bytes]", writes: "Dict[str, bytes]", bytecode_before: "Any"
) -> "Optional[Tuple[Tuple[str, Tuple[Any, ...]], ...]]":
    """The audit events get_code() will raise on the next run, or None if that cannot be known.

    Next time the loader either unmarshals a valid timestamp .pyc (read now,
    or written now) or, with bytecode writing off, reads and compiles the
    source after trying the .pyc.  Hash-based .pycs and failed writes make
    it do something else (read the source as well, retry the write).
    """
    origin = spec.origin
    if type(spec.loader) is SourcelessFileLoader:
        data = reads.get(origin)
        return None if data is None else (_open_event(origin), ("marshal.loads", (bytes(data[16:]),)))
    bytecode = spec.cached
    if origin not in reads:  # the .pyc was valid
        data = reads.get(bytecode)
    elif bytecode in writes and _signature(bytecode) != bytecode_before:
        data = writes[bytecode]  # written now, so valid next time
    elif sys.dont_write_bytecode:
        source_events = (_open_event(origin), ("compile", (reads[origin], origin)))
        return source_events if bytecode is None else (_open_event(bytecode),) + source_events
    else:
        return None
    if data is None or data[4:8] != b"\0\0\0\0":
        return None
    return (_open_event(bytecode), ("marshal.loads", (bytes(data[16:]),)))


def _record_module(
    mod_name: str, spec: "Any", code: "Any", parent: "Any", path: "Any", read_at: int, source_signature: "Any",
    events: "Tuple[Tuple[str, Tuple[Any, ...]], ...]",
) -> "Any":
    """A cache entry for a module found by the path finder, or None if its answer is not predictable.

    The caller has checked _worth_recording() before the loader ran.
    """
    meta_path = tuple(sys.meta_path)
    if PathFinder not in meta_path:
        return None
    for finder in meta_path:
        if not _finder_is_known(finder, mod_name):
            return None
    directory = os.path.dirname(spec.origin)
    probes: List[Tuple[Any, Any, Any]] = []
    for index, raw in enumerate(path):
        probe = _probe_entry(raw)
        if probe is None or probe[1] is _MISSING:
            return None
        finder = probe[1]
        if finder is None:
            probes.append((raw, None, None))
            continue
        if type(finder) is not FileFinder:
            return None  # zipimport and custom finders: resolve afresh
        # The mtime its listing was taken at: a hit needs the directory to still have it.
        probes.append((raw, finder, finder._path_mtime))  # type: ignore[attr-defined]
        if finder.path == directory:
            break
    else:
        return None
    # Reading .cached fills the spec's lazily computed value before the
    # template is copied, so hits do not recompute it; it depends only on
    # the origin and on sys.pycache_prefix, which every hit re-checks.
    cached = spec.cached
    bytecode = cached if type(spec.loader) is SourceFileLoader else None
    content_hash = None
    if _validation == "checked-hash":
        data = _read_bytes(spec.origin)
        if data is None:
            return None
        content_hash = source_hash(data)
    return _ModuleEntry(
        spec=_fresh_spec(spec),
        code=code,
        parent=parent,
        prefix=list(path[: index + 1]),
        probes=tuple(probes),
        meta_path=meta_path,
        environment=_environment(),
        source=spec.origin,
        source_signature=source_signature,
        bytecode=bytecode,
        bytecode_signature=_signature(bytecode) if bytecode else None,
        content_hash=content_hash,
        settled=_settled(source_signature, read_at),
        events=events,
    )


def _spec_copy(entry: "Any") -> "Any":
    """A copy of a cached module entry's spec for one run (the compiled core plans these per entry)."""
    return _fresh_spec(entry.spec)


def _fresh_spec(spec: "Any") -> "Any":
    """A copy of a cached spec (and its loader) that no earlier run can have touched."""
    copy = ModuleSpec.__new__(ModuleSpec)
    copy.__dict__.update(spec.__dict__)
    loader: Any = spec.loader
    loader_type: Any = type(loader)
    fresh_loader = loader_type.__new__(loader_type)
    fresh_loader.__dict__.update(loader.__dict__)
    copy.loader = fresh_loader
    for name, value in spec.__dict__.items():
        if type(value) is list:
            copy.__dict__[name] = list(value)
    return copy


def _module_lookup(mod_name: str, error: "Any") -> "Any":
    """The lookup _resolve.get_module_details uses: cached (spec, code) when still valid.

    A top-level module the cache has not got (every first run_module() of
    one) is counted and noted in one step, as the compiled core does: a
    first run must cost no more than runpy's.  Anything else: _cached_lookup().
    """
    if _maxsize and "." not in mod_name and mod_name not in sys.modules:
        path = sys.path
        key = (mod_name, path[0] if path else None, _COMPILE_KEY)  # _module_key(mod_name, path)
        with _cache_lock:
            if key in _entries:
                second = None  # cached: _cached_lookup() validates and counts it
            else:
                _counts[1] += 1
                second = _second_miss_locked(key)
        if second is not None:
            return _second_miss_lookup(mod_name, error) if second else _resolve.plain_lookup(mod_name, error)
    return _cached_lookup(mod_name, error)


def _cached_lookup(mod_name: str, error: "Any") -> "Any":
    """_module_lookup() for any module: its entry when still valid, else found afresh (and maybe recorded)."""
    if not _maxsize or mod_name in sys.modules:
        return _resolve.plain_lookup(mod_name, error)
    found = _search_path(mod_name)
    if found is None:
        return _resolve.plain_lookup(mod_name, error)
    key = _module_key(mod_name, found[1])
    hit = _module_hit(mod_name, found[0], found[1], key)
    if hit is not None:
        return hit
    if not _second_miss(key):
        return _resolve.plain_lookup(mod_name, error)
    return _second_miss_lookup(mod_name, error)


def _second_miss_lookup(mod_name: str, error: "Any") -> "Any":
    """(spec, code) of a module missed twice: looked up recording what it depends on, and cached."""
    spec, code, entry, path = _recording_lookup(mod_name, error)
    if entry is not None:
        _cache_put(_module_key(mod_name, path), entry)
    return spec, code


def _recording_lookup(mod_name: str, error: "Any") -> "Tuple[Any, Any, Any, Any]":
    """(spec, code, entry, search path): find and load a module, and record what the answer depended on.

    entry is None (and code may be) when the answer cannot be reused.
    """
    read_at = time_ns()
    spec = _resolve.find_spec(mod_name, error)
    if spec.submodule_search_locations is not None:
        return spec, None, None, None  # packages run their __main__, which is looked up itself
    # Stat the source before the loader reads it: an edit in between then
    # shows as a changed signature on the next run instead of going unseen.
    source_signature = _signature(spec.origin) if _worth_recording(mod_name, spec) else None
    if source_signature is None:
        return spec, _resolve.code_from_loader(mod_name, spec, error), None, None
    bytecode_before = _signature(spec.cached) if type(spec.loader) is SourceFileLoader else None
    code, reads, writes = _code_and_file_traffic(mod_name, spec, error)
    events = _loader_events(spec, reads, writes, bytecode_before)
    if events is not None:
        found = _search_path(mod_name)  # the search path the lookup actually used
        if found is not None:
            entry = _record_module(mod_name, spec, code, found[0], found[1], read_at, source_signature, events)
            if entry is not None:
                return spec, code, entry, found[1]
    return spec, code, None, None


def _exec(code: "Any", run_globals: "Dict[str, Any]") -> None:
    if isinstance(run_globals, dict):
        # exec() adds the builtins of the frame calling it, before anything
        # else: in runpy that frame is its own, so a run gets the
        # interpreter's builtins even when its caller has others.  Called from
        # compiled code, exec() would see the caller's frame instead.
        if not dict.__contains__(run_globals, "__builtins__"):
            dict.__setitem__(run_globals, "__builtins__", _builtins_dict)
        if isinstance(code, (str, bytes, bytearray)):
            # Compiled here so that exec() cannot pass on its caller's __future__ flags.
            code = _resolve.compile_string(code)
    _builtin_exec(code, run_globals)


def _run_code(
    code: "Any",
    run_globals: "Dict[str, Any]",
    init_globals: "Optional[Dict[str, Any]]" = None,
    mod_name: "Optional[str]" = None,
    mod_spec: "Any" = None,
    pkg_name: "Optional[str]" = None,
    script_name: "Any" = None,
) -> "Dict[str, Any]":
    """Helper to run code in nominated namespace"""
    _set_run_globals(run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    _exec(code, run_globals)
    return run_globals


def _set_run_globals(
    run_globals: "Dict[str, Any]",
    init_globals: "Optional[Dict[str, Any]]" = None,
    mod_name: "Optional[str]" = None,
    mod_spec: "Any" = None,
    pkg_name: "Optional[str]" = None,
    script_name: "Any" = None,
) -> None:
    """Everything _run_code does before it executes: init_globals, then the dunders."""
    if init_globals is not None:
        run_globals.update(init_globals)
    if mod_spec is None:
        loader = None
        fname = script_name
        cached = None
    else:
        loader = mod_spec.loader
        fname = mod_spec.origin
        cached = mod_spec.cached
        if pkg_name is None:
            pkg_name = mod_spec.parent
    run_globals["__name__"] = mod_name
    run_globals["__file__"] = fname
    if _resolve.SETS_CACHED:
        run_globals["__cached__"] = cached
    run_globals["__doc__"] = None
    run_globals["__loader__"] = loader
    run_globals["__package__"] = pkg_name
    run_globals["__spec__"] = mod_spec


def _run_module_code(
    code: "Any",
    init_globals: "Optional[Dict[str, Any]]" = None,
    mod_name: "Optional[str]" = None,
    mod_spec: "Any" = None,
    pkg_name: "Optional[str]" = None,
    script_name: "Any" = None,
) -> "Dict[str, Any]":
    """Helper to run code in new namespace with sys modified"""
    fname = script_name if mod_spec is None else mod_spec.origin
    module = ModuleType(mod_name)  # type: ignore[arg-type]
    mod_globals = module.__dict__
    cells = _enter_run(mod_name, module, fname)  # type: ignore[arg-type]
    try:
        _run_code(code, mod_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    finally:
        _exit_run(mod_name, cells)  # type: ignore[arg-type]
    # The temporary module may clear its dict when it goes away; hand back a copy.
    return mod_globals.copy()


def _get_module_details(mod_name: str, error: "Any" = ImportError) -> "Any":
    return _module_details(mod_name, error)


def _get_main_module_details(error: "Any" = ImportError) -> "Any":
    return _main_module_details(error)


def _main_module_details(error: "Any") -> "Any":
    # __main__ is hidden while searching so its __loader__ cannot answer for
    # the directory or zip being run.
    with _lock:
        cell = _swap_module("__main__", _ABSENT)
    try:
        return _module_details("__main__")
    except ImportError as exc:
        friendlier = _resolve.main_not_found(exc, error)
        if friendlier is None:
            raise
        raise friendlier from exc
    finally:
        with _lock:
            _unswap_module("__main__", cell, True)


def _run_module_as_main(mod_name: str, alter_argv: bool = True) -> "Dict[str, Any]":
    """Runs the designated module in the __main__ namespace

    This is what ``python -m`` uses: the module shares the real ``__main__``
    namespace, whose ``__name__``, ``__file__``, ``__cached__``, ``__loader__``
    and ``__package__`` are overwritten.
    """
    code, main_globals = _prepare_main(mod_name, alter_argv)
    _exec(code, main_globals)
    return main_globals


def _prepare_main(mod_name: str, alter_argv: bool) -> "Tuple[Any, Dict[str, Any]]":
    """Everything _run_module_as_main does before it executes: (code, __main__'s globals).

    The command line executes the code itself, in its own frame.
    """
    try:
        if alter_argv or mod_name != "__main__":  # the -m switch
            mod_name, mod_spec, code = _module_details(mod_name, _Error)
        else:  # a directory or zip file given to the interpreter
            mod_name, mod_spec, code = _get_main_module_details(_Error)
    except _Error as exc:
        sys.exit(f"{sys.executable}: {exc}")
    main_globals = sys.modules["__main__"].__dict__
    if alter_argv:
        sys.argv[0] = mod_spec.origin
    _set_run_globals(main_globals, None, "__main__", mod_spec)
    return code, main_globals


def run_module(
    mod_name: str,
    init_globals: "Optional[Dict[str, Any]]" = None,
    run_name: "Optional[str]" = None,
    alter_sys: bool = False,
) -> "Dict[str, Any]":
    """Execute a module's code without importing it, and return its globals.

    Same contract as ``runpy.run_module``: ``mod_name`` is an absolute module
    or package name (a package runs its ``__main__`` submodule);
    ``init_globals`` pre-populates the namespace and is never modified;
    ``run_name`` sets ``__name__`` (default: the name of the module run);
    ``alter_sys`` also points ``sys.argv[0]`` and ``sys.modules[__name__]`` at
    the run for its duration.
    """
    mod_name, mod_spec, code = _module_details(mod_name)
    if run_name is None:
        run_name = mod_name
    if alter_sys:
        return _run_module_code(code, init_globals, run_name, mod_spec)
    return _run_code(code, {}, init_globals, run_name, mod_spec)


def run_path(
    path_name: "Any",
    init_globals: "Optional[Dict[str, Any]]" = None,
    run_name: "Optional[str]" = None,
) -> "Dict[str, Any]":
    """Execute the code at a filesystem location, and return its globals.

    Same contract as ``runpy.run_path``: ``path_name`` is a script (source or
    compiled), or a directory or zip file with a top-level ``__main__``;
    ``init_globals`` pre-populates the namespace and is never modified;
    ``run_name`` sets ``__name__`` (default ``'<run_path>'``).
    """
    if run_name is None:
        run_name = "<run_path>"
    if type(path_name) is str and type(run_name) is str:
        entry = _plain_script_hit(path_name, run_name)
        if entry is not None:
            return _run_script_hit(entry.code, init_globals, run_name, path_name)
    return _run_path(path_name, init_globals, run_name)


def _run_path(path_name: "Any", init_globals: "Any", run_name: str) -> "Dict[str, Any]":
    """run_path() with its run name chosen, for every case _plain_script_hit() leaves."""
    pkg_name = run_name.rpartition(".")[0]
    key = _script_key(path_name, run_name) if _maxsize else None
    code = None if key is None else _script_hit(key, path_name, run_name)
    if code is None:
        importer = _resolve.path_importer(path_name)
        path_name = _resolve.script_path(path_name)
        if importer is not None:
            return _run_path_entry(path_name, init_globals, run_name, pkg_name)
        code = _script_code(path_name, run_name, key)
    else:
        path_name = _resolve.script_path(path_name)
    return _run_module_code(code, init_globals, run_name, pkg_name=pkg_name, script_name=path_name)


def _run_path_entry(path_name: "Any", init_globals: "Any", run_name: str, pkg_name: str) -> "Dict[str, Any]":
    """run_path of a directory or zip file: its __main__ is found through sys.path."""
    sys.path.insert(0, path_name)
    try:
        mod_name, mod_spec, code = _get_main_module_details()
        module = ModuleType(run_name)
        cells = _enter_run(run_name, module, path_name)
        try:
            return _run_code(code, module.__dict__, init_globals, run_name, mod_spec, pkg_name).copy()
        finally:
            _exit_run(run_name, cells)
    finally:
        try:
            sys.path.remove(path_name)
        except ValueError:
            pass


def _main_entry_details(path_name: "Any") -> "Any":
    """What run_path of a directory or zip file looks up, without running it."""
    sys.path.insert(0, path_name)
    try:
        return _get_main_module_details()
    finally:
        try:
            sys.path.remove(path_name)
        except ValueError:
            pass


# --- prepared handles ----------------------------------------------------
# For a target run many times: resolved once, then each run checks only
# what a cache hit checks (the validation mode's file checks, and whatever
# a lookup's answer depended on), without building a key or taking the
# cache's lock.  Whatever fails those checks is resolved afresh, exactly as
# run_path / run_module would at that moment.  The state is one tuple,
# replaced whole, so threads can share a handle.


def prepare_path(path_name: "Any", run_name: "Optional[str]" = None) -> "PreparedPath":
    """Resolve ``run_path(path_name, run_name=run_name)`` once; ``.run(init_globals)`` runs it.

    Raises now what run_path would raise for this target now.
    """
    return PreparedPath(path_name, run_name)


def prepare_module(mod_name: str, run_name: "Optional[str]" = None, alter_sys: bool = False) -> "PreparedModule":
    """Resolve ``run_module(mod_name, run_name=..., alter_sys=...)`` once; ``.run(init_globals)`` runs it.

    Raises now what run_module would raise for this target now (importing
    its parent packages, as run_module does).
    """
    return PreparedModule(mod_name, run_name, alter_sys)


class PreparedPath(object):
    """``run_path(path_name, run_name=run_name)``, resolved once (see prepare_path())."""

    __slots__ = ("path_name", "run_name", "_pkg_name", "_state")

    def __init__(self, path_name: "Any", run_name: "Optional[str]" = None) -> None:
        if run_name is None:
            run_name = "<run_path>"
        self._pkg_name = run_name.rpartition(".")[0]  # fails now for what run_path rejects
        self.path_name = path_name
        self.run_name = run_name
        # (key, entry, script name, path as str) of a plain script, or None: resolve on each run.
        self._state: "Any" = None
        key = _script_key(path_name, run_name)
        if _resolve.path_importer(path_name) is not None:
            _main_entry_details(_resolve.script_path(path_name))  # a directory or zip file needs a __main__
        elif key is None:
            _resolve.code_from_file(path_name, run_name)
        else:
            self._load(key)

    def _load(self, key: "Any") -> "Any":
        code, entry = _script_entry(self.path_name, self.run_name)
        # key[0] is where the path pointed (the path itself, the very object
        # kept here, when absolute); the rest of the key is fixed for a handle.
        path = key[0] if type(key[0]) is str else key[0][1]
        self._state = None if entry is None else (key, entry, _resolve.script_path(self.path_name), path)
        return code

    def run(self, init_globals: "Optional[Dict[str, Any]]" = None) -> "Dict[str, Any]":
        """What ``run_path(path_name, init_globals, run_name)`` returns now."""
        state = self._state
        if state is not None and _maxsize and _script_where(state[3], state[0][0] is state[3]) == state[0][0]:
            code, stale = _serve_script(state[1], self.path_name, self.run_name)
            if stale:
                self._state = None
            if code is not None:
                return _run_script_hit(code, init_globals, self.run_name, state[2])
        # Resolve afresh, in run_path's order.
        key = _script_key(self.path_name, self.run_name) if _maxsize else None
        importer = _resolve.path_importer(self.path_name)
        script_name = _resolve.script_path(self.path_name)
        if importer is not None:
            self._state = None
            return _run_path_entry(script_name, init_globals, self.run_name, self._pkg_name)
        if key is None:
            self._state = None
            code = _resolve.code_from_file(self.path_name, self.run_name)[0]
        else:
            code = self._load(key)
        return _run_module_code(code, init_globals, self.run_name, pkg_name=self._pkg_name, script_name=script_name)

    def __repr__(self) -> str:
        return f"<fastrunpy prepared run_path({self.path_name!r}, run_name={self.run_name!r})>"


class PreparedModule(object):
    """``run_module(mod_name, run_name=..., alter_sys=...)``, resolved once (see prepare_module())."""

    __slots__ = ("mod_name", "run_name", "alter_sys", "_state")

    def __init__(self, mod_name: str, run_name: "Optional[str]" = None, alter_sys: bool = False) -> None:
        self.mod_name = mod_name
        self.run_name = run_name
        self.alter_sys = alter_sys
        # (name run, entry, ancestors as (name, module) pairs, package spec or None), or None
        self._state: "Any" = None
        self._resolve(warn=False)  # warnings are for runs

    def _resolve(self, warn: bool = True) -> "Tuple[str, Any, Any]":
        recorded: "List[Tuple[str, Any]]" = []

        def lookup(name: str, error: "Any") -> "Any":
            if not _maxsize or name in sys.modules or _search_path(name) is None:
                return _resolve.plain_lookup(name, error)
            spec, code, entry, _ = _recording_lookup(name, error)
            recorded.append((name, entry))
            return spec, code

        self._state = None
        name, spec, code = _resolve.get_module_details(self.mod_name, ImportError, lookup, warn)
        if recorded and recorded[-1][0] == name and recorded[-1][1] is not None:
            parts = name.split(".")
            ancestor_names = [".".join(parts[:i]) for i in range(1, len(parts))]
            ancestors = tuple([(ancestor, sys.modules.get(ancestor)) for ancestor in ancestor_names])
            package_spec = None
            if name != self.mod_name:  # a package, running its __main__
                package_spec = getattr(sys.modules.get(self.mod_name), "__spec__", None)
                if package_spec is None:
                    return name, spec, code
            self._state = (name, recorded[-1][1], ancestors, package_spec)
        return name, spec, code

    def _still_resolves(self, state: "Any") -> bool:
        name, entry, ancestors, package_spec = state
        if name in sys.modules:
            return False  # run_module would warn about it
        modules = sys.modules
        for ancestor, module in ancestors:
            if modules.get(ancestor) is not module:
                return False  # run_module would import it (again)
        if package_spec is not None and getattr(modules[self.mod_name], "__spec__", None) is not package_spec:
            return False
        found = _search_path(name)
        return found is not None and _module_still_valid(entry, found[0], found[1])

    def run(self, init_globals: "Optional[Dict[str, Any]]" = None) -> "Dict[str, Any]":
        """What ``run_module(mod_name, init_globals, run_name, alter_sys)`` returns now."""
        state = self._state
        if state is not None and _maxsize and self._still_resolves(state):
            entry = state[1]
            _replay(entry.events)
            name, spec, code = state[0], _spec_copy(entry), entry.code
        else:
            name, spec, code = self._resolve()
        run_name = name if self.run_name is None else self.run_name
        if self.alter_sys:
            return _run_module_code(code, init_globals, run_name, spec)
        return _run_code(code, {}, init_globals, run_name, spec)

    def __repr__(self) -> str:
        return (
            f"<fastrunpy prepared run_module({self.mod_name!r}, run_name={self.run_name!r}, "
            f"alter_sys={self.alter_sys!r})>"
        )
