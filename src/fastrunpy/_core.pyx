# cython: language_level=3, embedsignature=True, freethreading_compatible=True
# cython: annotation_typing=False, binding=True
# distutils: define_macros=CYTHON_USE_MODULE_STATE=0
"""Compiled implementation of fastrunpy's hot path.

Resolution, misses and cache bookkeeping are the pure-Python twin's,
compiled as is: one source of truth means the two implementations cannot
drift apart, and the full test suite runs against both.
(``annotation_typing=False`` keeps Cython from turning the twin's type hints
into runtime type checks that runpy does not make.)  After it come the parts
of every hit written by hand against the C API, replacing the twin's
functions of the same names: stat(), the run itself (temporary module,
sys.argv[0], dunders, exec, copy) and the audit-event replay.
"""

include "_core_py.py"

from cpython.bytes cimport PyBytes_AS_STRING
from libc.string cimport strlen


cdef extern from *:
    """
    #include <sys/types.h>
    #include <sys/stat.h>
    /* stat() into five numbers: inode, device, size, mtime and ctime in ns.
       Returns 0, -1 (no such file / error) or -2 (not supported here). */
    static int fastrunpy_stat(const char *path, long long out[5]) {
    #if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__)
        struct stat st;
        if (stat(path, &st) != 0) return -1;
        out[0] = (long long)st.st_ino;
        out[1] = (long long)st.st_dev;
        out[2] = (long long)st.st_size;
    #  if defined(__APPLE__)
        out[3] = (long long)st.st_mtimespec.tv_sec * 1000000000LL + st.st_mtimespec.tv_nsec;
        out[4] = (long long)st.st_ctimespec.tv_sec * 1000000000LL + st.st_ctimespec.tv_nsec;
    #  else
        out[3] = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        out[4] = (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
    #  endif
        return 0;
    #else
        (void)path; (void)out;
        return -2;
    #endif
    }
    """
    int fastrunpy_stat(const char *path, long long out[5])


cdef extern from "Python.h":
    bytes PyUnicode_EncodeFSDefault(object text)


cdef int _stat_into(path, long long out[5]) except -3:
    """fastrunpy_stat() on a str path; -2 where os.stat() must decide instead."""
    cdef bytes encoded
    if type(path) is not str:
        return -2
    try:
        encoded = PyUnicode_EncodeFSDefault(path)  # what os.fsencode() does for a str
    except UnicodeError:
        return -2
    if strlen(PyBytes_AS_STRING(encoded)) != len(encoded):
        return -2  # a NUL byte: os.stat() raises ValueError for it
    return fastrunpy_stat(PyBytes_AS_STRING(encoded), out)


if os.path.__name__ == "posixpath":
    def _isabs(str path):
        """posixpath.isabs() of a str, without the Python-level call."""
        return path.startswith("/")


_os_signature = _signature
_os_directory_mtime = _directory_mtime


def _signature(path):
    """Same tuple as the twin's _signature, without building an os.stat_result."""
    cdef long long out[5]
    status = _stat_into(path, out)
    if status == -2:
        return _os_signature(path)
    if status != 0:
        return None
    return (out[0], out[1], out[2], out[3], out[4])


def _directory_mtime(path):
    """st_mtime as os.stat() computes it (seconds + ns * 1e-9, in double precision)."""
    cdef long long out[5]
    status = _stat_into(path, out)
    if status == -2:
        return _os_directory_mtime(path)
    if status != 0:
        return None
    return <double>(out[3] // 1000000000) + <double>(out[3] % 1000000000) * 1e-9


cdef extern from "Python.h":
    ctypedef struct PyCompilerFlags:
        int cf_flags
        int cf_feature_version
    int Py_file_input
    int PyCF_SOURCE_IS_UTF8
    int PY_MINOR_VERSION
    object Py_CompileStringObject(const char *source, object filename, int start,
                                  PyCompilerFlags *flags, int optimize)


_compile_with_compile = _compile_program


def _compile_program(bytes source, str filename):
    """compile(source, filename, "exec", dont_inherit=True), by the C API.

    The same call compile() makes for bytes, without the ast module's type
    set-up compile() does first (it checks whether it was given an AST).
    A NUL byte would end the C string early: compile() reports it instead.
    """
    cdef PyCompilerFlags flags
    if b"\0" in source:
        return _compile_with_compile(source, filename)
    flags.cf_flags = PyCF_SOURCE_IS_UTF8
    flags.cf_feature_version = PY_MINOR_VERSION
    return Py_CompileStringObject(PyBytes_AS_STRING(source), filename, Py_file_input, &flags, -1)


# --- The run itself, by hand ------------------------------------------------
# Everything a run does once its code is known, for every cache hit and
# handle run: a temporary module at sys.modules[name] and the script at
# sys.argv[0] (saved and restored through the twin's registry, under its
# lock, by its rules), the dunders, exec, the copy handed back.  The same
# steps in the same order as the twin's _run_module_code and _run_code, with
# C calls in place of Python-level ones.  Anything unusual (a name that is
# not a str, sys.modules or sys.argv replaced by other types, code that is
# not a code object) takes the twin's path, which raises what runpy raises.

from cpython.dict cimport PyDict_Copy, PyDict_SetItem, PyDict_Update
from cpython.module cimport PyModule_GetDict, PyModule_NewObject
from cpython.object cimport PyObject


cdef extern from "Python.h":
    PyObject *PySys_GetObject(const char *name)  # borrowed, NULL if missing
    bint PyCode_Check(object obj)
    object PyEval_EvalCode(object code, object globals, object locals)
    PyObject *PyEval_GetBuiltins() except NULL  # borrowed
    int PySys_Audit(const char *event, const char *format, ...) except -1
    int PyDict_Contains(object d, object key) except -1
    const char *PyUnicode_AsUTF8(object text) except NULL


cdef extern from *:
    """
    /* What exec() checks before it runs a code object. */
    static int fastrunpy_code_has_free_variables(PyObject *code) {
    #if PY_VERSION_HEX >= 0x030B0000
        return PyCode_GetNumFree((PyCodeObject *)code) > 0;
    #else
        return PyTuple_GET_SIZE(((PyCodeObject *)code)->co_freevars) > 0;
    #endif
    }
    """
    bint fastrunpy_code_has_free_variables(object code)


_twin_run_module_code = _run_module_code
_twin_run_code = _run_code
cdef object _registry_acquire = _lock.acquire
cdef object _registry_release = _lock.release
cdef dict _registry = _overrides
cdef bint _sets_cached = _resolve.SETS_CACHED


cdef list _c_push(object key, object saved):
    cdef list cell = [saved]
    stack = _registry.get(key)
    if stack is None:
        _registry[key] = [cell]
    else:
        (<list>stack).append(cell)
    return cell


cdef bint _c_pop(object key, list cell) except -1:
    """The twin's _pop: True when ``cell`` was the newest override, so it must restore."""
    cdef list stack = <list>_registry[key]
    cdef Py_ssize_t index
    if stack[-1] is cell:
        stack.pop()
        if not stack:
            del _registry[key]
        return True
    for index in range(len(stack)):
        if stack[index] is cell:
            (<list>stack[index + 1])[0] = cell[0]
            del stack[index]
            return False
    raise RuntimeError("fastrunpy: a run's saved value is missing from the registry")


cdef tuple _c_enter_run(str name, object module, object argv0, dict modules, list argv):
    """The twin's _enter_run, for a dict sys.modules and a non-empty list sys.argv."""
    cdef list module_cell, argv_cell
    _registry_acquire()
    try:
        module_cell = _c_push(name, modules.get(name, _ABSENT))
        modules[name] = module
        argv_cell = _c_push(_ARGV0, argv[0])
        argv[0] = argv0
        return module_cell, argv_cell
    finally:
        _registry_release()


cdef void _c_exit_run(str name, tuple cells) except *:
    """The twin's _exit_run: sys.argv[0], then sys.modules[name], each put back if this run is the newest."""
    cdef list module_cell = <list>cells[0]
    cdef list argv_cell = <list>cells[1]
    _registry_acquire()
    try:
        try:
            if _c_pop(_ARGV0, argv_cell):
                sys.argv[0] = argv_cell[0]
        finally:
            if _c_pop(name, module_cell):
                saved = module_cell[0]
                if saved is not _ABSENT:
                    sys.modules[name] = saved
                else:
                    del sys.modules[name]  # KeyError if the run removed it, as in stdlib
    finally:
        _registry_release()


cdef void _c_set_run_globals(dict run_globals, object init_globals, object mod_name, object mod_spec,
                             object pkg_name, object script_name) except *:
    if init_globals is not None:
        if type(init_globals) is dict:
            PyDict_Update(run_globals, init_globals)
        else:
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
    PyDict_SetItem(run_globals, "__name__", mod_name)
    PyDict_SetItem(run_globals, "__file__", fname)
    if _sets_cached:
        PyDict_SetItem(run_globals, "__cached__", cached)
    PyDict_SetItem(run_globals, "__doc__", None)
    PyDict_SetItem(run_globals, "__loader__", loader)
    PyDict_SetItem(run_globals, "__package__", pkg_name)
    PyDict_SetItem(run_globals, "__spec__", mod_spec)


cdef void _c_exec(object code, dict run_globals) except *:
    """exec(code, run_globals) for a code object without free variables; the twin's _exec otherwise."""
    if not PyCode_Check(code) or fastrunpy_code_has_free_variables(code):
        _exec(code, run_globals)
        return
    if not PyDict_Contains(run_globals, "__builtins__"):
        PyDict_SetItem(run_globals, "__builtins__", <object>PyEval_GetBuiltins())
    PySys_Audit("exec", "O", <PyObject *>code)
    PyEval_EvalCode(code, run_globals, run_globals)


def _run_code(code, run_globals, init_globals=None, mod_name=None, mod_spec=None, pkg_name=None, script_name=None):
    if type(run_globals) is not dict:
        return _twin_run_code(code, run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    _c_set_run_globals(<dict>run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    _c_exec(code, <dict>run_globals)
    return run_globals


def _run_module_code(code, init_globals=None, mod_name=None, mod_spec=None, pkg_name=None, script_name=None):
    cdef PyObject *modules = PySys_GetObject("modules")
    cdef PyObject *argv = PySys_GetObject("argv")
    if (
        type(mod_name) is not str
        or modules == NULL or type(<object>modules) is not dict
        or argv == NULL or type(<object>argv) is not list or len(<list>argv) == 0
    ):
        return _twin_run_module_code(code, init_globals, mod_name, mod_spec, pkg_name, script_name)
    fname = script_name if mod_spec is None else mod_spec.origin
    module = PyModule_NewObject(mod_name)
    cdef dict mod_globals = <dict>PyModule_GetDict(module)
    cells = _c_enter_run(mod_name, module, fname, <dict>modules, <list>argv)
    try:
        _c_set_run_globals(mod_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
        _c_exec(code, mod_globals)
    finally:
        _c_exit_run(mod_name, cells)
    # The temporary module may clear its dict when it goes away; hand back a copy.
    return PyDict_Copy(mod_globals)


def _replay(events):
    """The twin's _replay: each (event, args) raised as sys.audit(event, *args) would."""
    for event, args in events:
        # One "O" argument that is a tuple becomes the hooks' args as it is.
        PySys_Audit(PyUnicode_AsUTF8(event), "O", <PyObject *>args)


_run_code.__doc__ = _twin_run_code.__doc__
_run_module_code.__doc__ = _twin_run_module_code.__doc__


# --- Kernel-notified validation ("auto") -------------------------------------
# Replaces the twin's no-op hooks.  Trusting an entry means watching, with
# inotify, every directory the kernel looks in to resolve each path the
# entry depends on (so a rename, a new file or a swapped symlink anywhere
# along the way is reported), and each file itself (so is any write).
# Watches are added top-down, each directory before the name is looked up
# in it: whatever changes after a lookup is reported, whatever changed before
# it shows in the stat() validation that follows.  A hit then costs one
# epoll_wait() (see _kernel_watch.h); queued events are read and mark the
# entries registered under their watch and name untrusted, and anything that
# makes the queue unreliable (overflow, a mount, a fork, a descriptor that is
# no longer ours) drops every trust at once.

cdef extern from "_kernel_watch.h":
    int FRW_SUPPORTED
    int FRW_CHANGED_NOTHING
    int FRW_EVENTS_QUEUED
    unsigned int FRW_IN_Q_OVERFLOW
    unsigned int FRW_IN_IGNORED
    bint frw_is_open()
    void frw_close()
    int frw_open()
    int frw_poll()
    Py_ssize_t frw_read(char *buffer, size_t size)
    int frw_watch(const char *path)
    Py_ssize_t frw_event_size(const char *event)
    int frw_event_wd(const char *event)
    unsigned int frw_event_mask(const char *event)
    const char *frw_event_name(const char *event)

from cpython.bytes cimport PyBytes_FromString

# An entry is trusted while its .trust is the current token; dropping every
# trust is replacing the token.  Old tokens are kept alive (they are few: one
# per reset) so a thread still comparing against one never sees it freed.
cdef object _trust_token = object()
cdef list _old_tokens = []
# What each watch's events make untrusted: (wd, name) -> entries, for a name
# looked up in a watched directory; wd -> entries, for the watched object
# itself; wd -> entries, for any change in a directory searched for modules.
cdef dict _named_deps = {}
cdef dict _self_deps = {}
cdef dict _whole_deps = {}
# Beyond this many registrations the maps are rebuilt (they also hold
# entries the cache has since evicted).
cdef Py_ssize_t _MAX_REGISTRATIONS = 50000
cdef object _watch_lock = Lock()
cdef long long _open_failed_at = -(10 ** 12)
cdef char _event_buffer[65536]
cdef long long _kernel_hits = 0  # hits served on the kernel's word
cdef long long _watch_sets = 0  # entries whose watches were set up


cdef void _depend(dict deps, object key, object entry) except *:
    entries = deps.get(key)
    if entries is None:
        deps[key] = {entry}
    else:
        (<set>entries).add(entry)


cdef void _untrust(object entries) except *:
    if entries is not None:
        for entry in <set>entries:
            entry.trust = None


cdef void _reset_locked() except *:
    """Drop every trust and watch (the caller holds _watch_lock)."""
    global _trust_token
    _old_tokens.append(_trust_token)
    _trust_token = object()
    _named_deps.clear()
    _self_deps.clear()
    _whole_deps.clear()
    frw_close()


def _stop_watching():
    with _watch_lock:
        _reset_locked()


cdef void _drain() except *:
    """Read every queued event and untrust the entries registered under it."""
    cdef Py_ssize_t size, offset
    cdef const char *event
    cdef const char *name
    cdef unsigned int mask
    cdef int wd
    with _watch_lock:
        while True:
            size = frw_read(_event_buffer, sizeof(_event_buffer))
            if size == 0:
                return
            if size < 0:
                _reset_locked()
                return
            offset = 0
            while offset < size:
                event = _event_buffer + offset
                offset += frw_event_size(event)
                mask = frw_event_mask(event)
                if mask & FRW_IN_Q_OVERFLOW:
                    _reset_locked()  # events were lost
                    return
                wd = frw_event_wd(event)
                _untrust(_whole_deps.get(wd))
                name = frw_event_name(event)
                if name[0]:
                    _untrust(_named_deps.pop((wd, PyBytes_FromString(name)), None))
                else:
                    _untrust(_self_deps.pop(wd, None))
                if mask & FRW_IN_IGNORED:  # the watch is gone: so is what it vouched for
                    _untrust(_whole_deps.pop(wd, None))


def _trusted(entry):
    global _kernel_hits
    if entry.trust is not _trust_token:
        return False
    status = frw_poll()
    if status == FRW_CHANGED_NOTHING:
        _kernel_hits += 1
        return True
    if status == FRW_EVENTS_QUEUED:
        _drain()
        if entry.trust is _trust_token:
            _kernel_hits += 1
            return True
        return False
    _stop_watching()
    return False


cdef int _watch_directory(object entry, str path) except -2:
    """Watch a directory (a real path) for changes to itself; its watch descriptor, or -1."""
    cdef int wd = frw_watch(os.fsencode(path))
    if wd < 0:
        return -1  # cannot be watched, or not on a filesystem whose reports are complete
    _depend(_self_deps, wd, entry)
    return wd


cdef bint _watch_path(object entry, str path, bint whole) except -1:
    """Watch what resolving ``path`` (absolute) consults, for ``entry``; False if some of it cannot be.

    Symlinks are followed by hand, so the directory holding each link is
    watched for the link being replaced.  A name that does not exist is
    watched for appearing.  ``whole``: path is a directory whose every
    change counts (a module search directory).
    """
    cdef int wd, hops = 0
    if not path.startswith("/"):
        return False
    pending = path.split("/")
    pending.reverse()  # a stack: the next component is last
    current = "/"
    wd = _watch_directory(entry, current)
    while pending:
        if wd < 0:
            return False
        name = pending.pop()
        if not name or name == ".":
            continue
        if name == "..":
            current = os.path.dirname(current)  # current holds no symlinks
            wd = _watch_directory(entry, current)
            continue
        _depend(_named_deps, (wd, os.fsencode(name)), entry)
        candidate = current + name if current == "/" else current + "/" + name
        try:
            st = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            return True  # the name is watched for appearing
        kind = st.st_mode & 0o170000
        if kind == 0o120000:  # a symlink: resolve its target from here
            hops += 1
            if hops > 40:
                return False
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = "/"
                wd = _watch_directory(entry, current)
            more = target.split("/")
            more.reverse()
            pending.extend(more)
            continue
        if kind == 0o040000:
            current = candidate
            wd = _watch_directory(entry, current)
            continue
        if any(pending):
            return True  # a file in the middle of the path: resolving fails until its name changes
        wd = frw_watch(os.fsencode(candidate))
        if wd < 0:
            return False
        _depend(_self_deps, wd, entry)
        return True
    if wd < 0:
        return False
    if whole:
        _depend(_whole_deps, wd, entry)
    return True


def _begin_trust(entry):
    global _open_failed_at, _watch_sets
    with _watch_lock:
        if not frw_is_open():
            if not FRW_SUPPORTED or time_ns() - _open_failed_at < 1_000_000_000:
                return None
            if frw_open() != 0:
                _open_failed_at = time_ns()  # no instance to be had: retry later, not on every hit
                return None
        elif len(_named_deps) + len(_self_deps) + len(_whole_deps) > _MAX_REGISTRATIONS:
            _reset_locked()
            if frw_open() != 0:
                return None
        pending = object()
        entry.trust = pending
        token = (pending, _trust_token)
        files, directories = _watched_paths(entry)
        try:
            for path in files:
                if not _watch_path(entry, path, False):
                    entry.trust = None
                    return None
            for path in directories:
                if not _watch_path(entry, path, True):
                    entry.trust = None
                    return None
        except (OSError, ValueError, UnicodeError):
            entry.trust = None
            return None
        _watch_sets += 1
        return token


def _confirm_trust(entry, token):
    with _watch_lock:
        # Not if a change was reported since _begin_trust(), or another
        # thread began again, or every trust was dropped meanwhile.
        if entry.trust is token[0] and token[1] is _trust_token:
            entry.trust = _trust_token


def _watch_state():
    """(watcher open, hits served on the kernel's word, watch sets begun): for tests and benchmarks."""
    return bool(frw_is_open()), _kernel_hits, _watch_sets
