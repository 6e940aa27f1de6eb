# cython: language_level=3, embedsignature=True, freethreading_compatible=True, auto_pickle=False
# cython: annotation_typing=False, binding=False, embedsignature.format=clinic
# distutils: define_macros=CYTHON_USE_MODULE_STATE=0
"""Compiled implementation of fastrunpy's hot path.

Resolution, misses and cache bookkeeping are the pure-Python twin's,
compiled as is: one source of truth means the two implementations cannot
drift apart, and the full test suite runs against both.
(``annotation_typing=False`` keeps Cython from turning the twin's type hints
into runtime type checks that runpy does not make.)  After it come the parts
of every hit written by hand against the C API, replacing the twin's
functions of the same names: stat(), the sys.modules/sys.argv[0] registry
(_push, _pop), the run itself (temporary module, dunders from the entry's
seed, exec, copy), the spec copy (_spec_copy) and the audit-event replay.
Three pieces of the miss bookkeeping are by hand too (_cache_get,
_second_miss, and a top-level module's miss in _module_lookup): a first run
must cost no more than runpy's, and their calls and lock protocol were most
of what the cache added to it.

Functions are compiled as builtins (``binding=False``): a cyfunction needs a
code object, made at import, and the twin's hundred functions made
``import fastrunpy`` allocate enough to set off one of the interpreter's
generation-1 collections (about 2 M instructions) that ``import runpy``
does not.  Python-visible functions that inspect must see as functions stay
cyfunctions: those bound as methods, and those whose defaults a builtin's
text signature cannot show.
"""

# --- Cache entries as C structs ----------------------------------------------
# The twin's two entry classes, with the same constructors and attributes,
# as extension types: the twin's code reads and writes the attributes as
# before, and a hit here reads them as struct fields.  Bound before the twin
# is included, which then skips its own classes: fewer objects made at
# import, and import is where fastrunpy must cost no more than runpy.

cimport cython


cdef class _ScriptEntryC:
    """A script's cached code and what it was read from (the twin's _ScriptEntry)."""
    cdef public object code, full_path, signature, content_hash, settled, events, trust
    cdef public long long checked_at
    cdef object seed  # a _RunSeed once a hit has made one; never replaced

    def __init__(self, code, full_path, signature, content_hash, settled, events):
        self.code = code
        self.full_path = full_path
        self.signature = signature
        self.content_hash = content_hash
        self.settled = settled
        self.events = events
        self.trust = None
        self.checked_at = -(1 << 62)


cdef class _ModuleEntryC:
    """A module lookup's answer and what it depended on (the twin's _ModuleEntry)."""
    cdef readonly object spec  # the cache's own copy, never changed: what a hit copies is planned from it
    cdef public object code, parent, prefix, probes, meta_path, environment
    cdef public object source, source_signature, bytecode, bytecode_signature, content_hash, settled, events, trust
    cdef public long long checked_at
    cdef object module_seed, dict_seed  # _RunSeeds for runs in a module and in a plain dict; never replaced
    # How a hit copies the spec, and what a run sets from it (see _c_plan_spec_copy)
    cdef bint spec_planned
    cdef dict spec_dict, loader_dict
    cdef object loader_type
    cdef tuple list_keys
    cdef object run_file, run_cached, run_package

    def __init__(self, spec, code, parent, prefix, probes, meta_path, environment, source, source_signature,
                 bytecode, bytecode_signature, content_hash, settled, events):
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
        self.events = events
        self.trust = None
        self.checked_at = -(1 << 62)
        self.spec_planned = _c_plan_spec_copy(self)


_ScriptEntry = _ScriptEntryC
_ModuleEntry = _ModuleEntryC


include "_core_py.py"

# A builtin's signature is text, and inspect reads only literal defaults in
# it: these three keep their signatures as cyfunctions, doing the twin's work.
_twin_cache_configure = cache_configure


@cython.binding(True)
def _get_module_details(mod_name, error=ImportError):
    return _module_details(mod_name, error)


@cython.binding(True)
def _get_main_module_details(error=ImportError):
    return _main_module_details(error)


@cython.binding(True)
def cache_configure(*, maxsize=None, validation=None, revalidate_after=_MISSING):
    _configure(maxsize, validation, revalidate_after)


cache_configure.__doc__ = _twin_cache_configure.__doc__

# --- Locks the C paths can take without a Python-level call ----------------
# The twin's two locks, replaced by these before anything uses them: its
# code keeps writing ``with _lock:``, and the hand-written paths below call
# take()/give() directly.  Taking one releases the GIL only when it has to
# wait, as _thread's locks do, so a thread holding it can always finish.
# Uncontended, taking and giving one is an atomic add: an interpreter lock,
# even one tried without waiting, reads the clock first, and a hit takes
# three of them.  Only a thread that finds the lock held waits on the
# interpreter lock, which the holder gives once per waiter.

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #include <intrin.h>
    #define fastrunpy_fetch_add(p, v) _InterlockedExchangeAdd((volatile long *)(p), (long)(v))
    #else
    #define fastrunpy_fetch_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_ACQ_REL)
    #endif
    """
    long fastrunpy_fetch_add(long *counter, long value) noexcept nogil


from cpython.pythread cimport (
    NOWAIT_LOCK, WAIT_LOCK, PyThread_acquire_lock, PyThread_allocate_lock, PyThread_free_lock,
    PyThread_get_thread_ident, PyThread_release_lock, PyThread_type_lock,
)


# (No shared base class: on 3.9 readying an extension type that has one
# imports gc, a module ``import runpy`` does not load.)

cdef PyThread_type_lock _new_waiting_room() except NULL:
    """An interpreter lock, taken: a holder gives it to wake one waiter."""
    cdef PyThread_type_lock handle = PyThread_allocate_lock()
    if handle == NULL:
        raise MemoryError()
    PyThread_acquire_lock(handle, NOWAIT_LOCK)
    return handle


cdef inline void _wait_for(PyThread_type_lock handle) noexcept:
    if not PyThread_acquire_lock(handle, NOWAIT_LOCK):
        with nogil:
            PyThread_acquire_lock(handle, WAIT_LOCK)


cdef class _CacheLock:
    """A plain lock (the cache's)."""
    cdef PyThread_type_lock _handle
    cdef long _wanted  # threads that hold it or wait for it

    def __cinit__(self):
        self._handle = _new_waiting_room()

    def __dealloc__(self):
        if self._handle != NULL:
            PyThread_free_lock(self._handle)

    cdef inline void take(self) noexcept:
        if fastrunpy_fetch_add(&self._wanted, 1) > 0:
            _wait_for(self._handle)

    cdef inline void give(self) noexcept:
        if fastrunpy_fetch_add(&self._wanted, -1) > 1:
            PyThread_release_lock(self._handle)

    def __enter__(self):
        self.take()

    def __exit__(self, *exc_info):
        self.give()


cdef class _RegistryLock:
    """A reentrant lock (the sys save/restore registry's): a run's own code may start another run."""
    cdef PyThread_type_lock _handle
    cdef long _wanted  # threads that hold it or wait for it
    cdef unsigned long _owner
    cdef Py_ssize_t _depth

    def __cinit__(self):
        self._handle = _new_waiting_room()

    def __dealloc__(self):
        if self._handle != NULL:
            PyThread_free_lock(self._handle)

    cdef inline void take(self) noexcept:
        cdef unsigned long me = PyThread_get_thread_ident()
        if self._depth and self._owner == me:
            self._depth += 1
            return
        if fastrunpy_fetch_add(&self._wanted, 1) > 0:
            _wait_for(self._handle)
        self._owner = me
        self._depth = 1

    cdef inline int give(self) except -1:
        if self._depth == 0 or self._owner != PyThread_get_thread_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._depth -= 1
        if self._depth == 0:
            self._owner = 0
            if fastrunpy_fetch_add(&self._wanted, -1) > 1:
                PyThread_release_lock(self._handle)
        return 0

    def __enter__(self):
        self.take()

    def __exit__(self, *exc_info):
        self.give()

    # The twin's _enter_run/_exit_run take the lock without ``with`` (fewer steps in Python).
    def acquire(self):
        self.take()
        return True

    def release(self):
        self.give()


_lock = _RegistryLock()
_cache_lock = _CacheLock()
cdef _RegistryLock _registry_lock = _lock
cdef _CacheLock _the_cache_lock = _cache_lock



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
    object PyEval_EvalCode(object code, object run_globals, object run_locals)
    int PySys_Audit(const char *event, const char *format, ...) except -1
    int PyDict_Contains(object d, object key) except -1
    const char *PyUnicode_AsUTF8(object text) except NULL


cdef extern from "Python.h":
    PyObject *PyDict_GetItemWithError(object mapping, object key) except? NULL  # borrowed
    object PyObject_GenericGetDict(object obj, void *context)

# sys's attributes, read from its dict with interned keys: PySys_GetObject()
# builds (and hashes) a new str from its C name on every call.
cdef dict _sysdict = sys.__dict__


cdef inline PyObject *_sys_get(str name):
    return PyDict_GetItemWithError(_sysdict, name)


cdef object _sys_attr(str name):
    """sys.<name>, raising what that raises when it is gone."""
    cdef PyObject *value = _sys_get(name)
    if value == NULL:
        return getattr(sys, name)
    return <object>value


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
cdef dict _interpreter_builtins = _builtins_dict
cdef bint _sets_cached = _resolve.SETS_CACHED
cdef object _absent = _ABSENT
cdef object _keep = _KEEP
cdef object _argv0_key = _ARGV0


# --- sys.modules and sys.argv[0] save/restore, by hand --------------------------
# The twin keeps, for each key, a list of one-item lists it searches when a
# run ends.  Here each run's hold on a key is a _Hold linked to the holds
# taken before and after it on that key, and the key's newest hold is kept
# in a _KeyHolds: a run ending finds its neighbours from its own hold, with
# no dict lookup, no list to search and no list to allocate.  The twin's
# _push/_pop/_overridden are replaced by these, so its own paths (the
# _TempModule and _ModifiedArgv0 classes among them) share one registry.

cdef class _Hold


@cython.final
cdef class _KeyHolds:
    """The runs holding one key (a sys.modules name, or sys.argv[0]): the newest of them, or None."""
    cdef _Hold newest


@cython.final
@cython.freelist(8)
cdef class _Hold:
    """One run's hold on a key: the value it saved there, and the holds taken before and after it."""
    cdef object saved
    cdef _Hold older, newer
    cdef _KeyHolds key_holds  # None once the hold is given back


cdef dict _holds_by_name = {}  # sys.modules name -> _KeyHolds
cdef _KeyHolds _argv0_holds = _KeyHolds.__new__(_KeyHolds)
# A name's _KeyHolds stays when its last run ends, for the next run of the
# same name (one dict insert and delete fewer per run), unless many have one.
cdef Py_ssize_t _KEEP_IDLE_NAMES = 64


cdef _Hold _c_push(object key, object saved):
    """A new hold on key, newest of its holds, remembering ``saved``; the registry lock is held."""
    cdef _KeyHolds holds
    if key is _argv0_key:
        holds = _argv0_holds
    else:
        found = _holds_by_name.get(key)
        if found is None:
            holds = _KeyHolds.__new__(_KeyHolds)
            _holds_by_name[key] = holds
        else:
            holds = <_KeyHolds>found
    cdef _Hold hold = _Hold.__new__(_Hold)
    hold.saved = saved
    hold.key_holds = holds
    hold.older = holds.newest
    if hold.older is not None:
        hold.older.newer = hold
    holds.newest = hold
    return hold


cdef object _c_pop(object key, _Hold hold):
    """The twin's _pop: the value to put back when ``hold`` was key's newest; otherwise _KEEP."""
    if hold is None or hold.key_holds is None:
        raise RuntimeError("fastrunpy: a run's saved value is missing from the registry")
    cdef _KeyHolds holds = hold.key_holds
    cdef _Hold older = hold.older
    cdef _Hold newer = hold.newer
    hold.key_holds = hold.older = hold.newer = None
    if older is not None:
        older.newer = newer
    if newer is not None:
        # Ending out of order: the run above inherits what this one saved.
        newer.older = older
        newer.saved = hold.saved
        return _keep
    holds.newest = older
    if older is None and holds is not _argv0_holds and len(_holds_by_name) > _KEEP_IDLE_NAMES:
        del _holds_by_name[key]
    return hold.saved


cdef bint _c_overridden(object key) except -1:
    if key is _argv0_key:
        return _argv0_holds.newest is not None
    found = _holds_by_name.get(key)
    return found is not None and (<_KeyHolds>found).newest is not None


def _push(key, saved):
    return _c_push(key, saved)


def _pop(key, cell):
    return _c_pop(key, <_Hold?>cell)


def _overridden(key):
    return _c_overridden(key)


cdef tuple _c_enter_run(str name, object module, object argv0, dict modules, list argv):
    """The twin's _enter_run, for a dict sys.modules and a non-empty list sys.argv."""
    cdef _Hold module_hold, argv_hold
    _registry_lock.take()
    try:
        module_hold = _c_push(name, modules.get(name, _absent))
        modules[name] = module
        argv_hold = _c_push(_argv0_key, argv[0])
        argv[0] = argv0
        return module_hold, argv_hold
    finally:
        _registry_lock.give()


cdef void _c_exit_run(str name, tuple holds) except *:
    """The twin's _exit_run: sys.argv[0], then sys.modules[name], each put back if this run is the newest."""
    _registry_lock.take()
    try:
        try:
            saved = _c_pop(_argv0_key, <_Hold>holds[1])
            if saved is not _keep:
                _sys_attr("argv")[0] = saved
        finally:
            saved = _c_pop(name, <_Hold>holds[0])
            if saved is not _keep:
                if saved is not _absent:
                    _sys_attr("modules")[name] = saved
                else:
                    del _sys_attr("modules")[name]  # KeyError if the run removed it, as in stdlib
    finally:
        _registry_lock.give()


cdef tuple _c_copied_spec_dunders(object mod_spec):
    """(loader, origin, cached, parent) of a cached spec's copy, or None unless it is a plain ModuleSpec.

    What ModuleSpec's properties would return, read from its __dict__
    without their Python-level frames: .cached is _cached once computed (a
    cached spec has it), .parent comes from the name and search locations.
    """
    if type(mod_spec) is not ModuleSpec:
        return None
    cdef dict spec_dict = <dict>PyObject_GenericGetDict(mod_spec, NULL)
    loader = spec_dict.get("loader", _absent)
    origin = spec_dict.get("origin", _absent)
    cached = spec_dict.get("_cached")
    name = spec_dict.get("name")
    locations = spec_dict.get("submodule_search_locations", _absent)
    if loader is _absent or origin is _absent or cached is None or type(name) is not str or locations is _absent:
        return None
    return loader, origin, cached, name if locations is not None else (<str>name).rpartition(".")[0]


cdef void _c_set_run_globals(dict run_globals, object init_globals, object mod_name, object mod_spec,
                             object pkg_name, object script_name, bint spec_is_copy=False,
                             bint module_dict=False) except *:
    """The twin's _set_run_globals.

    spec_is_copy: the spec is a cached one's copy, its __dict__ already built.
    module_dict: run_globals is the dict of a module just made with mod_name.
    """
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
        # (A spec fresh from the import system keeps its attributes inline;
        # asking for its __dict__ would build one, costing more than it saves.)
        dunders = _c_copied_spec_dunders(mod_spec) if spec_is_copy else None
        if dunders is not None:
            loader, fname, cached, parent = <tuple>dunders
            if pkg_name is None:
                pkg_name = parent
        else:
            loader = mod_spec.loader
            fname = mod_spec.origin
            cached = mod_spec.cached
            if pkg_name is None:
                pkg_name = mod_spec.parent
    # A new module's dict already holds __name__ (mod_name) and __doc__
    # (None), in the places runpy's update() would leave them; only
    # init_globals could have changed them.
    cdef bint names_set = module_dict and init_globals is None
    if not names_set:
        PyDict_SetItem(run_globals, "__name__", mod_name)
    PyDict_SetItem(run_globals, "__file__", fname)
    if _sets_cached:
        PyDict_SetItem(run_globals, "__cached__", cached)
    if not names_set:
        PyDict_SetItem(run_globals, "__doc__", None)
    PyDict_SetItem(run_globals, "__loader__", loader)
    PyDict_SetItem(run_globals, "__package__", pkg_name)
    PyDict_SetItem(run_globals, "__spec__", mod_spec)


cdef void _c_exec(object code, dict run_globals) except *:
    """exec(code, run_globals) for a code object without free variables; the twin's _exec otherwise."""
    if not PyCode_Check(code) or fastrunpy_code_has_free_variables(code):
        _exec(code, run_globals)
        return
    # The interpreter's builtins, as runpy's exec() gives from its own frame:
    # PyEval_GetBuiltins() would give the caller's.
    if not PyDict_Contains(run_globals, "__builtins__"):
        PyDict_SetItem(run_globals, "__builtins__", _interpreter_builtins)
    PySys_Audit("exec", "O", <PyObject *>code)
    PyEval_EvalCode(code, run_globals, run_globals)


@cython.binding(True)
def _run_code(code, run_globals, init_globals=None, mod_name=None, mod_spec=None, pkg_name=None, script_name=None):
    if type(run_globals) is not dict:
        return _twin_run_code(code, run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    _c_set_run_globals(<dict>run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    _c_exec(code, <dict>run_globals)
    return run_globals


@cython.binding(True)
def _run_module_code(code, init_globals=None, mod_name=None, mod_spec=None, pkg_name=None, script_name=None):
    return _c_run_module_code(code, init_globals, mod_name, mod_spec, pkg_name, script_name)


cdef extern from *:
    """
    static PyObject *fastrunpy_empty_module(void) {
        PyObject *no_args = PyTuple_New(0), *module;
        if (no_args == NULL)
            return NULL;
        module = PyModule_Type.tp_new(&PyModule_Type, no_args, NULL);
        Py_DECREF(no_args);
        return module;
    }
    """
    object fastrunpy_empty_module()


# The keys of a run's globals before its code runs, in the order runpy
# leaves them: a new module's five, then the two _run_code adds.
cdef dict _RUN_KEYS = dict.fromkeys(
    ("__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__")
    + (("__cached__",) if _sets_cached else ())
)
# The interpreter names a module as it frees it under -v: from a name only
# a module made by PyModule_NewObject() keeps.
cdef bint _verbose = sys.flags.verbose
# Before 3.11 ModuleType.__new__ leaves a module with no dict at all.
cdef bint _new_modules_have_dicts = sys.version_info >= (3, 11)


cdef object _c_module_starting_with(dict values):
    """ModuleType.__new__(ModuleType), without __init__, its empty dict then given a clone of ``values``."""
    module = fastrunpy_empty_module()
    PyDict_Update(<dict>PyModule_GetDict(module), values)
    return module


cdef object _c_new_run_module(str name, object init_globals):
    """PyModule_NewObject(name); without init_globals, one whose dict already holds every key a run sets.

    Growing a new module's dict from five keys to seven, one insert at a
    time, costs more than the rest of a hit's dunders: cloning a dict of
    the seven keys into an empty one, then replacing values, costs a
    fraction.  The order is runpy's; _c_set_run_globals sets the values.
    """
    if init_globals is not None or _verbose or not _new_modules_have_dicts:
        return PyModule_NewObject(name)
    module = _c_module_starting_with(_RUN_KEYS)
    PyDict_SetItem(<dict>PyModule_GetDict(module), "__name__", name)
    return module


# The keys of a run in a plain dict (run_module without alter_sys), in the
# order runpy's update() leaves them.
cdef dict _DICT_RUN_KEYS = dict.fromkeys(
    ("__name__", "__file__") + (("__cached__",) if _sets_cached else ())
    + ("__doc__", "__loader__", "__package__", "__spec__")
)


cdef class _RunSeed:
    """A hit's globals as its code first sees them, made from one run's name, file, package and cached.

    A hit clones them into its new dict (one copy of a table, where setting
    eight keys is eight lookups), then sets what differs from the run the
    seed was made for: the spec and loader of a module run, which are its
    own, and any value that is another object (runpy's globals hold the
    very objects it was given).  Never changed once made, and never
    replaced, so a hit reads it without a lock.
    """
    cdef dict values
    cdef object name, file, package, cached


cdef _RunSeed _c_new_seed(dict keys, object name, object file, object package, object cached):
    cdef dict values = dict(keys)
    values["__name__"] = name
    values["__package__"] = package
    values["__file__"] = file
    if _sets_cached:
        values["__cached__"] = cached
    values["__builtins__"] = _interpreter_builtins  # where exec() adds it
    cdef _RunSeed seed = _RunSeed.__new__(_RunSeed)
    seed.values, seed.name, seed.file, seed.package, seed.cached = values, name, file, package, cached
    return seed


cdef _RunSeed _c_seed_of(object entry, bint in_module, object name, object file, object package, object cached):
    """The entry's seed for runs in a module (or in a plain dict), made from this run's values if it has none."""
    cdef _RunSeed seed
    if type(entry) is _ScriptEntryC:
        seed = <_RunSeed>(<_ScriptEntryC>entry).seed
    elif in_module:
        seed = <_RunSeed>(<_ModuleEntryC>entry).module_seed
    else:
        seed = <_RunSeed>(<_ModuleEntryC>entry).dict_seed
    if seed is not None:
        return seed
    seed = _c_new_seed(_RUN_KEYS if in_module else _DICT_RUN_KEYS, name, file, package, cached)
    # The first one made stays: another thread may be reading it.
    _the_cache_lock.take()
    if type(entry) is _ScriptEntryC:
        if (<_ScriptEntryC>entry).seed is None:
            (<_ScriptEntryC>entry).seed = seed
    elif in_module:
        if (<_ModuleEntryC>entry).module_seed is None:
            (<_ModuleEntryC>entry).module_seed = seed
    elif (<_ModuleEntryC>entry).dict_seed is None:
        (<_ModuleEntryC>entry).dict_seed = seed
    _the_cache_lock.give()
    return seed


cdef object _c_seeded_namespace(object entry, bint in_module, object mod_name, object mod_spec, object pkg_name,
                                object script_name):
    """Where a hit without init_globals runs: its globals as _c_set_run_globals and exec() would leave them.

    in_module: a new module named mod_name, holding them; otherwise a plain
    dict.  None when the hit cannot be seeded.
    """
    if in_module and (_verbose or not _new_modules_have_dicts):
        return None
    cdef _ModuleEntryC module_entry
    if mod_spec is None:
        loader = None
        file = script_name
        cached = None
    elif type(entry) is _ModuleEntryC and (<_ModuleEntryC>entry).spec_planned:
        # mod_spec is this entry's copy: its values are the entry's, but for the loader.
        module_entry = <_ModuleEntryC>entry
        loader = (<dict>PyObject_GenericGetDict(mod_spec, NULL))["loader"]
        file = module_entry.run_file
        cached = module_entry.run_cached
        if pkg_name is None:
            pkg_name = module_entry.run_package
    else:
        dunders = _c_copied_spec_dunders(mod_spec)
        if dunders is None:
            return None
        loader, file, cached, parent = <tuple>dunders
        if pkg_name is None:
            pkg_name = parent
    cdef _RunSeed seed = _c_seed_of(entry, in_module, mod_name, file, pkg_name, cached)
    cdef dict run_globals
    if in_module:
        namespace = _c_module_starting_with(seed.values)
        run_globals = <dict>PyModule_GetDict(namespace)
    else:
        namespace = run_globals = PyDict_Copy(seed.values)
    if mod_name is not seed.name:
        PyDict_SetItem(run_globals, "__name__", mod_name)
    if pkg_name is not seed.package:
        PyDict_SetItem(run_globals, "__package__", pkg_name)
    if file is not seed.file:
        PyDict_SetItem(run_globals, "__file__", file)
    if _sets_cached and cached is not seed.cached:
        PyDict_SetItem(run_globals, "__cached__", cached)
    if mod_spec is not None:
        PyDict_SetItem(run_globals, "__loader__", loader)
        PyDict_SetItem(run_globals, "__spec__", mod_spec)
    return namespace


cdef object _c_run_module_code(object code, object init_globals, object mod_name, object mod_spec,
                               object pkg_name, object script_name, bint spec_is_copy=False,
                               object entry=None):
    """The twin's _run_module_code; ``entry``: the cache entry of a hit (whose spec, if any, is a copy)."""
    cdef PyObject *modules = _sys_get("modules")
    cdef PyObject *argv = _sys_get("argv")
    if (
        type(mod_name) is not str
        or modules == NULL or type(<object>modules) is not dict
        or argv == NULL or type(<object>argv) is not list or len(<list>argv) == 0
    ):
        return _twin_run_module_code(code, init_globals, mod_name, mod_spec, pkg_name, script_name)
    module = None
    if entry is not None and init_globals is None:
        module = _c_seeded_namespace(entry, True, mod_name, mod_spec, pkg_name, script_name)
    cdef bint seeded = module is not None
    if not seeded:
        module = _c_new_run_module(mod_name, init_globals)
    cdef dict mod_globals = <dict>PyModule_GetDict(module)
    if mod_spec is None:
        fname = script_name
    elif seeded:
        fname = mod_globals["__file__"]  # the spec's origin, without a call
    else:
        fname = mod_spec.origin
    cells = _c_enter_run(mod_name, module, fname, <dict>modules, <list>argv)
    try:
        if not seeded:
            _c_set_run_globals(mod_globals, init_globals, mod_name, mod_spec, pkg_name, script_name, spec_is_copy, True)
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
# epoll_wait() (see _kernel_watch.h), or in the thread that opened the
# watcher, one read of a ring's flags (_kernel_ring.h); queued events are
# read and mark the entries registered under their watch and name
# untrusted, and anything that makes the queue unreliable (overflow, a
# mount, a fork, a descriptor that is no longer ours) drops every trust at
# once.

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
    void frw_drain_begins()
    void frw_drain_ends()
    bint frw_drain_in_progress()
    int frw_ring_wanted
    int frw_ring_live
    long long frw_ring_answers
    Py_ssize_t frw_read(char *buffer, size_t size)
    int frw_watch(const char *path)
    Py_ssize_t frw_event_size(const char *event)
    int frw_event_wd(const char *event)
    unsigned int frw_event_mask(const char *event)
    const char *frw_event_name(const char *event)

from cpython.bytes cimport PyBytes_FromString

# An entry is trusted while its .trust is the current token; dropping every
# trust is replacing the token.  The last old tokens are kept alive, so that
# on the free-threaded build a thread still comparing against one never sees
# it freed (a comparison lasts nanoseconds; 128 resets take far longer).
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
    if len(_old_tokens) > 256:
        del _old_tokens[:128]
    _trust_token = object()
    _named_deps.clear()
    _self_deps.clear()
    _whole_deps.clear()
    frw_close()


def _stop_watching():
    if not frw_is_open() and not _self_deps and not _named_deps and not _whole_deps:
        return  # nothing watched, nothing trusted (trust needs an open watcher)
    with _watch_lock:
        _reset_locked()


cdef void _drain() except *:
    """Read every queued event and untrust the entries registered under it."""
    with _watch_lock:
        frw_drain_begins()
        try:
            _drain_locked()
        finally:
            frw_drain_ends()


cdef void _drain_locked() except *:
    """_drain() with the lock held and the drain announced."""
    cdef Py_ssize_t size, offset
    cdef const char *event
    cdef const char *name
    cdef unsigned int mask
    cdef int wd
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
    return _c_trusted(entry)


cdef inline bint _is_trusted(object entry) except -1:
    """Whether entry.trust is the current token, compared as pointers.

    Other threads replace .trust under _watch_lock and free what it held;
    reading it here as a new reference would, on the free-threaded build,
    increment the count of an object another thread may just have freed.
    The pointers alone are compared, and nothing is read through them: a
    token is never freed while it could still be current (see _old_tokens),
    and a pending mark is a list, which the free-threaded build allocates
    from another heap than a token's plain object().
    """
    cdef PyObject *trust
    if type(entry) is _ScriptEntryC:
        trust = <PyObject *>(<_ScriptEntryC>entry).trust
    elif type(entry) is _ModuleEntryC:
        trust = <PyObject *>(<_ModuleEntryC>entry).trust
    else:
        return entry.trust is _trust_token
    return trust == <PyObject *>_trust_token


cdef bint _c_trusted(object entry) except -1:
    global _kernel_hits
    if not _is_trusted(entry):
        return False
    status = frw_poll()
    if status == FRW_CHANGED_NOTHING:
        # Nothing queued now may mean another thread has read the events
        # away since the check above (free-threaded builds): wait for any
        # drain still untrusting what they concern, then look again.
        if frw_drain_in_progress():
            with _watch_lock:
                pass
        if not _is_trusted(entry):
            return False
        _kernel_hits += 1
        return True
    if status == FRW_EVENTS_QUEUED:
        _drain()
        if _is_trusted(entry):
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
        pending = []  # a list: see _is_trusted()
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


def _ring_state():
    """(a ring is live, hits it answered from memory): for tests and benchmarks."""
    return bool(frw_ring_live), frw_ring_answers


def _use_ring(wanted):
    """Whether watchers opened from now on get a ring; the previous setting.  For tests."""
    global frw_ring_wanted
    previous = bool(frw_ring_wanted)
    frw_ring_wanted = 1 if wanted else 0
    return previous


# --- Cache hits, by hand ----------------------------------------------------
# run_path and run_module first try to serve a hit here, with C calls only:
# the checks the twin's key building and validation make (path hooks, the
# importer cache, sys.path, sys.meta_path, finders), the kernel's word or a
# stat(), the counters, the audit replay and the run.  Anything that is not
# a clean hit returns None having changed nothing, and the twin's functions
# (compiled above) then do it all in runpy's order, counting as they go.

cdef dict _entries_by_key = _entries
cdef list _newest = _newest_cell
cdef list _hit_counts = _counts
cdef object _compile_key = _COMPILE_KEY
cdef bint _posix_paths = os.path.__name__ == "posixpath"
cdef str _AUTO = "auto"
cdef str _TIMESTAMP = "timestamp"
# The twin's general path: the core has served its hits by then.
_twin_run_path = _run_path
_twin_run_path_doc = run_path.__doc__
_twin_run_module = run_module
_twin_details_hit = _details_hit
_twin_entry_hit = _entry_hit
cdef str _READ_MODE = "r"
cdef object _read_flags = _READ_FLAGS


cdef inline void _c_count_found(object key, object entry) except *:
    """A hit on an entry known to be there: counted, and now the most recently used (lock held)."""
    if _newest[0] is not entry:
        del _entries_by_key[key]
        _entries_by_key[key] = entry
        _newest[0] = entry
    _hit_counts[0] += 1


cdef bint _c_count_hit(object key, object entry) except -1:
    """The twin's _cache_get for an entry known to be there: a hit, now the most recently used."""
    _the_cache_lock.take()
    try:
        if _newest[0] is entry:
            # Still in the cache (whatever drops the newest entry forgets it
            # as the newest), and already where a hit would move it: a run
            # of hits on one target hashes its key once, not twice.
            _hit_counts[0] += 1
            return True
        if _entries_by_key.get(key) is not entry:
            return False  # replaced or dropped meanwhile: let the twin look again
        _c_count_found(key, entry)
        return True
    finally:
        _the_cache_lock.give()


cdef dict _seen_once_keys = _seen_once


def _cache_get(key):
    """The entry for key, counted as a hit; _cache_reject() turns that into a miss."""
    # The twin's, with the cache lock taken in C (see the module's docstring).
    _the_cache_lock.take()
    try:
        entry = _entries_by_key.get(key)
        if entry is None:
            _hit_counts[1] += 1
        else:
            _c_count_found(key, entry)
        return entry
    finally:
        _the_cache_lock.give()


def _second_miss(key):
    """True when key was missed before; otherwise remember this first miss."""
    # The twin's, with the lock taken as in _cache_get above.
    _the_cache_lock.take()
    try:
        return _c_second_miss_locked(key)
    finally:
        _the_cache_lock.give()


cdef bint _c_second_miss_locked(object key) except -1:
    if key in _seen_once_keys:
        del _seen_once_keys[key]
        return True
    _seen_once_keys[key] = None
    if len(_seen_once_keys) > _maxsize:
        _trim(_seen_once_keys)
    return False


_twin_module_lookup = _cached_lookup  # the core does the top-level miss itself


def _module_lookup(mod_name, error):
    """The twin's _module_lookup; a top-level module's miss by hand.

    A first run_module() must cost no more than runpy's: for a module
    found on sys.path that the cache has not got, this is the twin's
    search-path, key, miss count and first-miss note in one step, without
    five Python-level calls.  Anything else is the twin's.
    """
    cdef PyObject *item = _sys_get("modules")
    if (
        not _maxsize or type(mod_name) is not str or "." in <str>mod_name
        or item == NULL or type(<object>item) is not dict or mod_name in <dict><object>item
    ):
        return _twin_module_lookup(mod_name, error)
    item = _sys_get("path")
    if item == NULL:
        return _twin_module_lookup(mod_name, error)
    path = <object>item
    key = (mod_name, path[0] if path else None, _compile_key)
    _the_cache_lock.take()
    try:
        if key in _entries_by_key:
            second = None  # a hit: the twin's to validate and count
        else:
            _hit_counts[1] += 1
            second = _c_second_miss_locked(key)
    finally:
        _the_cache_lock.give()
    if second is None:
        return _twin_module_lookup(mod_name, error)
    if second:
        return _second_miss_lookup(mod_name, error)
    return _resolve.plain_lookup(mod_name, error)


cdef void _c_replay(tuple events) except *:
    cdef tuple pair
    for item in events:
        pair = <tuple>item
        PySys_Audit(PyUnicode_AsUTF8(pair[0]), "O", <PyObject *>pair[1])


cdef bint _c_same_items(object current, tuple recorded) except -1:
    """list(current) == list(recorded), item by item as == compares them."""
    cdef Py_ssize_t i, n = len(recorded)
    if type(current) is not list or len(<list>current) != n:
        return False
    for i in range(n):
        a = (<list>current)[i]
        b = recorded[i]
        if a is not b and not (a == b):
            return False
    return True


cdef bint _c_path_hooks_known() except -1:
    """The twin's _known_path_hooks(), when sys.path_hooks is as last judged; False otherwise."""
    cdef PyObject *hooks = _sys_get("path_hooks")
    verdict = _hooks_verdict
    if hooks == NULL or not _c_same_items(<object>hooks, <tuple>verdict[0]):
        return False
    return verdict[1] is True


cdef bint _c_plain_file(str path) except -1:
    """True when run_path would treat ``path`` as a script without asking the path hooks again.

    That is: sys.path_importer_cache has no importer for it, and the path
    hooks are the ones last judged to turn a plain file down.
    """
    cdef PyObject *importer_cache = _sys_get("path_importer_cache")
    if importer_cache == NULL or type(<object>importer_cache) is not dict:
        return False
    return not PyDict_Contains(<object>importer_cache, path) and _c_path_hooks_known()


cdef object _c_serve_script(_ScriptEntryC entry, str path, object init_globals, object run_name,
                            object pkg_name, object script_name):
    """Run a validated script entry: the audit events a read would raise, then the code."""
    if _hooks_verdict[2]:
        # pkgutil.get_importer() lets zipimporter look inside the file first.
        PySys_Audit("open", "OOO", <PyObject *>path, <PyObject *>_READ_MODE, <PyObject *>_read_flags)
    _c_replay(<tuple>entry.events)
    return _c_run_module_code(entry.code, init_globals, run_name, None, pkg_name, script_name, False, entry)


# The last script hit's path and run name, as the very objects run_path()
# was given, and its entry: a run of hits on one script passes the same
# objects, and while the entry is still the cache's newest it is the one
# their key would find, without building the key and looking it up.
# Read and written with the cache lock held.
cdef object _last_hit_path = None
cdef object _last_hit_run_name = None
cdef object _last_hit_entry = None


cdef object _c_last_script_hit(str path, object run_name):
    """The entry of the last script hit, if it was on these objects and is still the newest entry; else None."""
    _the_cache_lock.take()
    entry = _newest[0]
    if entry is not _last_hit_entry or path is not _last_hit_path or run_name is not _last_hit_run_name:
        entry = None
    _the_cache_lock.give()
    return entry


cdef bint _c_count_last_hit(object entry) except -1:
    """Count a hit on the entry _c_last_script_hit() found, if it is the newest still."""
    _the_cache_lock.take()
    cdef bint newest = _newest[0] is entry
    if newest:
        _hit_counts[0] += 1
    _the_cache_lock.give()
    return newest


cdef void _c_remember_script_hit(str path, object run_name, object entry) except *:
    global _last_hit_path, _last_hit_run_name, _last_hit_entry
    _the_cache_lock.take()
    _last_hit_path, _last_hit_run_name, _last_hit_entry = path, run_name, entry
    _the_cache_lock.give()


cdef object _c_script_hit(str path, object init_globals, object run_name):
    """run_path(path) served from the cache, or None having done nothing."""
    cdef long long now[5]
    if not _posix_paths or not path or path[0] != "/" or not _maxsize:
        return None
    given_run_name = run_name
    if run_name is None:
        run_name = "<run_path>"
        pkg_name = ""
    else:
        pkg_name = (<str>run_name).rpartition(".")[0]
    if not _c_plain_file(path):
        return None
    key = None
    found = _c_last_script_hit(path, given_run_name)
    if found is None:
        key = (path, _compile_key, str) if _sets_cached else (path, _compile_key, str, run_name)
        found = _entries_by_key.get(key)
    if type(found) is not _ScriptEntryC:
        return None
    cdef _ScriptEntryC entry = <_ScriptEntryC>found
    mode = _validation
    if mode == _AUTO:
        if not _c_trusted(entry):
            return None
    elif mode == _TIMESTAMP:
        if entry.settled is not True or _revalidate_ns or _stat_into(path, now) != 0:
            return None  # (a revalidate window is the twin's to keep)
        if entry.signature != (now[0], now[1], now[2], now[3], now[4]):
            return None
    elif mode != "unchecked":
        return None
    if key is None:
        if not _c_count_last_hit(entry):
            return None
    else:
        if not _c_count_hit(key, entry):
            return None
        _c_remember_script_hit(path, given_run_name, entry)
    return _c_serve_script(entry, path, init_globals, run_name, pkg_name, path)


cdef bint _c_module_valid(_ModuleEntryC entry, object parent, list path) except -1:
    """The twin's _module_still_valid() where the kernel vouches for the files; False to let the twin decide."""
    cdef PyObject *item
    cdef Py_ssize_t i, n
    if _validation != _AUTO or entry.parent is not parent:
        return False
    prefix = <list>entry.prefix
    n = len(prefix)
    if len(path) < n:
        return False
    for i in range(n):
        a = path[i]
        b = prefix[i]
        if a is not b and not (a == b):
            return False
    item = _sys_get("meta_path")
    if item == NULL or not _c_same_items(<object>item, <tuple>entry.meta_path):
        return False
    environment = <tuple>entry.environment
    item = _sys_get("dont_write_bytecode")
    if item == NULL or <object>item is not environment[0]:
        return False
    item = _sys_get("pycache_prefix")
    if item == NULL or not (<object>item is environment[1] or <object>item == environment[1]):
        return False
    item = _sys_get("path_importer_cache")
    if item == NULL or type(<object>item) is not dict:
        return False
    importer_cache = <dict><object>item
    for probe in <tuple>entry.probes:
        raw, finder, listed_mtime = <tuple>probe
        if type(raw) is not str or not raw:
            return False  # '' stands for the working directory: the twin asks for it
        if importer_cache.get(raw, _MISSING) is not finder:
            return False
        if finder is not None and finder._path_mtime != listed_mtime:
            return False
    return _c_trusted(entry)


cdef object _c_module_attribute(object module, str name, object default):
    """getattr(module, name, default), read from a plain module's dict when the dict holds it.

    (ModuleType's class defines none of the names asked for here, so the
    dict's value is what getattr() would find, without its two lookups.)
    """
    cdef PyObject *value
    if type(module) is ModuleType:
        value = PyDict_GetItemWithError(<object>PyModule_GetDict(module), name)
        if value != NULL:
            return <object>value
    return getattr(module, name, default)


# name -> name + ".__main__", for packages run_module() has run: the same
# string for every hit, whose hash is computed once.
cdef dict _main_names = {}


cdef str _c_main_name(str name):
    found = _main_names.get(name)
    if found is not None:
        return <str>found
    main_name = name + ".__main__"
    if len(_main_names) >= 256:
        _main_names.clear()
    _main_names[name] = main_name
    return main_name


cdef object _c_details_hit(object mod_name):
    """The twin's _details_hit(), by hand for "auto", with the entry: (name, spec, code, entry); None having done nothing."""
    cdef PyObject *item
    cdef Py_ssize_t dot
    if type(mod_name) is not str or not _maxsize:
        return None
    name = <str>mod_name
    if not name or name[0] == "." or _validation != _AUTO:
        return None
    item = _sys_get("modules")
    if item == NULL or type(<object>item) is not dict:
        return None
    modules = <dict><object>item
    dot = name.rfind(".")
    if dot < 0:
        item = _sys_get("path")
        return _c_module_hit(name, modules, None, None if item == NULL else <object>item)
    parent = modules.get(name[:dot])
    if parent is None:
        return None
    return _c_submodule_hit(name, modules, parent, _c_module_attribute(parent, "__spec__", None))


cdef object _c_submodule_hit(str name, dict modules, object parent, object parent_spec):
    """_c_details_hit() for a submodule of ``parent``, imported already, whose __spec__ is ``parent_spec``."""
    if _interpreter_builtins.get("__import__") is not _original_import:
        return None
    if getattr(parent_spec, "_initializing", False):
        return None
    return _c_module_hit(name, modules, parent, _c_module_attribute(parent, "__path__", None))


cdef object _c_module_hit(str name, dict modules, object parent, object path):
    """_c_details_hit() once the parent is known: the module searched for on ``path``, or a package's __main__."""
    module = modules.get(name, _MISSING)
    if module is not _MISSING:
        spec = _c_module_attribute(module, "__spec__", None)
        if spec is None or spec.submodule_search_locations is None or name.endswith("__main__"):
            return None
        return _c_submodule_hit(_c_main_name(name), modules, module, spec)
    if type(path) is not list:
        return None
    key = (name, (<list>path)[0] if path else None, _compile_key)
    found = _entries_by_key.get(key)
    if type(found) is not _ModuleEntryC:
        return None
    cdef _ModuleEntryC entry = <_ModuleEntryC>found
    if not _c_module_valid(entry, parent, <list>path) or not _c_count_hit(key, entry):
        return None
    _c_replay(<tuple>entry.events)
    return name, _c_spec_copy(entry), entry.code, entry


cdef extern from "Python.h":
    object PySequence_List(object items)


cdef extern from *:
    """
    /* obj.__dict__ = dict.  On 3.13, PyObject_GenericSetDict() leaves an
       object's inline attribute values in use after it (attribute lookups
       then miss the new dict); __dict__'s own setter invalidates them. */
    static int fastrunpy_set_instance_dict(PyObject *obj, PyObject *dict, PyObject *dict_name) {
    #if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
        return PyObject_SetAttr(obj, dict_name, dict);
    #else
        (void)dict_name;
        return PyObject_GenericSetDict(obj, dict, NULL);
    #endif
    }
    """
    int fastrunpy_set_instance_dict(object obj, object dict, object dict_name) except -1


cdef extern from *:
    """
    /* cls.__new__(cls), for a class whose __new__ is object's. */
    static PyObject *fastrunpy_new_instance(PyObject *cls) {
        PyObject *args = PyTuple_New(0), *made;
        if (args == NULL) return NULL;
        made = ((PyTypeObject *)cls)->tp_new((PyTypeObject *)cls, args, NULL);
        Py_DECREF(args);
        return made;
    }
    """
    object fastrunpy_new_instance(object cls)


cdef bint _c_plan_spec_copy(_ModuleEntryC entry) except -1:
    """Work out once what every hit's copy of entry.spec takes; False to leave each copy to the twin's _fresh_spec.

    That is: the dicts a copy of the spec and of its loader start from, the
    values that are lists (each copy has its own), and the file, cached
    file and package a run of it sets.  Only for what the import system's
    file finders give: a plain ModuleSpec, a file loader (object's __new__),
    and a cached file computed.
    """
    spec = entry.spec
    if type(spec) is not ModuleSpec:
        return False
    cdef dict spec_dict = <dict>PyObject_GenericGetDict(spec, NULL)
    loader = spec_dict.get("loader")
    loader_type = type(loader)
    if loader_type is not SourceFileLoader and loader_type is not SourcelessFileLoader:
        return False
    dunders = _c_copied_spec_dunders(spec)
    if dunders is None:
        return False
    entry.spec_dict = spec_dict
    entry.loader_type = loader_type
    entry.loader_dict = <dict>PyObject_GenericGetDict(loader, NULL)
    entry.list_keys = tuple([key for key, value in spec_dict.items() if type(value) is list])
    _, entry.run_file, entry.run_cached, entry.run_package = <tuple>dunders
    return True


cdef object _c_spec_copy(_ModuleEntryC entry):
    """A copy of the entry's spec (and its loader) for one hit, as the twin's _fresh_spec makes it.

    Each copy's dict is a clone of the planned one, set in place of the
    empty one a new instance would make: merging into that costs several
    times more.
    """
    if not entry.spec_planned:
        return _fresh_spec(entry.spec)
    cdef dict spec_dict = entry.spec_dict
    cdef dict copy_dict = PyDict_Copy(spec_dict)
    fresh_loader = fastrunpy_new_instance(entry.loader_type)
    fastrunpy_set_instance_dict(fresh_loader, PyDict_Copy(entry.loader_dict), "__dict__")
    PyDict_SetItem(copy_dict, "loader", fresh_loader)
    for key in entry.list_keys:
        PyDict_SetItem(copy_dict, key, PySequence_List(spec_dict[key]))
    copy = fastrunpy_new_instance(ModuleSpec)
    fastrunpy_set_instance_dict(copy, copy_dict, "__dict__")
    return copy


def _spec_copy(entry):
    return _c_spec_copy(<_ModuleEntryC?>entry)


cdef _Hold _c_hide_module(dict modules, str name):
    """The twin's _swap_module(name, _ABSENT) for a dict sys.modules; the caller holds the registry lock."""
    saved = modules.get(name, _absent)
    if saved is _absent and not _c_overridden(name):
        raise KeyError(name)  # what stdlib's sys.modules[name] lookup raises
    hold = _c_push(name, saved)
    modules.pop(name, None)
    return hold


cdef void _c_unhide_module(str name, _Hold hold) except *:
    """The twin's _unswap_module(name, hold, True); the caller holds the registry lock."""
    cdef PyObject *modules = _sys_get("modules")
    if modules == NULL or type(<object>modules) is not dict:
        _unswap_module(name, hold, True)
        return
    saved = _c_pop(name, hold)
    if saved is _keep:
        return
    if saved is not _absent:
        (<dict><object>modules)[name] = saved
    else:
        (<dict><object>modules).pop(name, None)


cdef object _c_main_details_hit():
    """The twin's _get_main_module_details() when the cache serves __main__, with the entry; None having changed nothing."""
    cdef PyObject *modules = _sys_get("modules")
    _registry_lock.take()
    try:
        # Hidden while looking, as runpy does.
        if modules != NULL and type(<object>modules) is dict:
            cell = _c_hide_module(<dict><object>modules, "__main__")
        else:
            cell = _swap_module("__main__", _ABSENT)
    finally:
        _registry_lock.give()
    try:
        return _c_details_hit("__main__")
    finally:
        _registry_lock.take()
        try:
            _c_unhide_module("__main__", <_Hold>cell)
        finally:
            _registry_lock.give()


cdef object _c_run_path_entry(str path, object init_globals, str run_name):
    """The twin's _run_path_entry() for a directory or zip whose finder is cached, with __main__ from the cache when it can be."""
    cdef PyObject *modules
    cdef PyObject *argv
    pkg_name = run_name.rpartition(".")[0]
    sys_path = _sys_attr("path")
    sys_path.insert(0, path)
    try:
        details = _c_main_details_hit()
        spec_is_copy = details is not None
        if details is None:
            details = _get_main_module_details()
        entry = (<tuple>details)[3] if spec_is_copy else None
        mod_name, mod_spec, code = (<tuple>details)[:3]
        modules = _sys_get("modules")
        argv = _sys_get("argv")
        module = None
        if entry is not None and init_globals is None:
            module = _c_seeded_namespace(entry, True, run_name, mod_spec, pkg_name, None)
        seeded = module is not None
        if not seeded:
            module = _c_new_run_module(run_name, init_globals)
        by_hand = (
            modules != NULL and type(<object>modules) is dict
            and argv != NULL and type(<object>argv) is list and len(<list>argv) > 0
        )
        if by_hand:
            cells = _c_enter_run(run_name, module, path, <dict>modules, <list>argv)
        else:
            cells = _enter_run(run_name, module, path)
        try:
            mod_globals = <dict>PyModule_GetDict(module)
            if not seeded:
                _c_set_run_globals(mod_globals, init_globals, run_name, mod_spec, pkg_name, None, spec_is_copy, True)
            _c_exec(code, mod_globals)
            return PyDict_Copy(mod_globals)
        finally:
            if by_hand:
                _c_exit_run(run_name, <tuple>cells)
            else:
                _exit_run(run_name, cells)
    finally:
        try:
            sys_path = _sys_attr("path")
            sys_path.remove(path)
        except ValueError:
            pass


@cython.binding(True)
def run_path(path_name, init_globals=None, run_name=None):
    cdef PyObject *importer_cache
    cdef PyObject *modules
    if type(path_name) is str and (run_name is None or type(run_name) is str):
        result = _c_script_hit(<str>path_name, init_globals, run_name)
        if result is not None:
            return result
        # A directory or zip file whose finder is known: what run_path does
        # after pkgutil.get_importer() found it, when pkgutil is imported.
        importer_cache = _sys_get("path_importer_cache")
        modules = _sys_get("modules")
        if (
            _maxsize and importer_cache != NULL and type(<object>importer_cache) is dict
            and modules != NULL and type(<object>modules) is dict
            and (<dict><object>modules).get("pkgutil") is not None
            and (<dict><object>importer_cache).get(path_name) is not None
            and type((<dict><object>importer_cache)[path_name]).__module__ != "imp"  # NullImporter: a file
        ):
            return _c_run_path_entry(<str>path_name, init_globals, "<run_path>" if run_name is None else run_name)
    return _twin_run_path(path_name, init_globals, "<run_path>" if run_name is None else run_name)


@cython.binding(True)
def run_module(mod_name, init_globals=None, run_name=None, alter_sys=False):
    entry = None
    if _validation == _AUTO:
        details = _c_details_hit(mod_name)
        if details is not None:
            entry = (<tuple>details)[3]
    else:
        found = _twin_entry_hit(mod_name)  # validated by stat(), as its mode says
        if found is None:
            details = None
        else:
            entry = (<tuple>found)[1]
            details = (<tuple>found)[0], _c_spec_copy(<_ModuleEntryC?>entry), (<_ModuleEntryC?>entry).code
    cdef bint spec_is_copy = details is not None
    if details is None:
        details = _resolve.get_module_details(mod_name, ImportError, _module_lookup)
    name = (<tuple>details)[0]
    spec = (<tuple>details)[1]
    code = (<tuple>details)[2]
    if run_name is None:
        run_name = name
    return _c_run_module_hit(code, init_globals, run_name, spec, spec_is_copy, alter_sys, entry)


cdef object _c_run_module_hit(object code, object init_globals, object run_name, object spec,
                              bint spec_is_copy, object alter_sys, object entry):
    """run_module()'s run once the module is found; ``entry``: the cache entry it came from, if any."""
    if alter_sys:
        return _c_run_module_code(code, init_globals, run_name, spec, None, None, spec_is_copy, entry)
    run_globals = None
    if entry is not None and init_globals is None:
        run_globals = _c_seeded_namespace(entry, False, run_name, spec, None, None)
    if run_globals is None:
        run_globals = {}
        _c_set_run_globals(<dict>run_globals, init_globals, run_name, spec, None, None, spec_is_copy)
    _c_exec(code, <dict>run_globals)
    return run_globals


@cython.binding(True)
def _details_hit(mod_name):
    # "auto" hits are served here or not at all; other modes by the twin's.
    if _validation == _AUTO:
        details = _c_details_hit(mod_name)
        return None if details is None else (<tuple>details)[:3]
    return _twin_details_hit(mod_name)


run_path.__doc__ = _twin_run_path_doc
run_module.__doc__ = _twin_run_module.__doc__
_details_hit.__doc__ = _twin_details_hit.__doc__


# --- Prepared handles, by hand ------------------------------------------------
# A handle's run in "auto" mode when the kernel vouches for its entry: the
# checks the twin's run() makes, without the key or the cache.  Anything
# else is the twin's run().

_twin_prepared_path_run = PreparedPath.run
_twin_prepared_module_run = PreparedModule.run


@cython.binding(True)
def _prepared_path_run(self, init_globals=None):
    state = self._state
    if state is not None and _maxsize and _validation == _AUTO and type(self.path_name) is str:
        key, entry, script_name, path = <tuple>state
        if (
            type(entry) is _ScriptEntryC and (<tuple>key)[0] is path
            and _c_plain_file(<str>path) and _c_trusted(entry)
        ):
            return _c_serve_script(<_ScriptEntryC>entry, <str>path, init_globals, self.run_name,
                                   self._pkg_name, script_name)
    return _twin_prepared_path_run(self, init_globals)


cdef object _c_prepared_module_details(object handle, object state):
    """(name, spec, code, entry) for a handle whose entry still answers, from the kernel's word; else None."""
    cdef PyObject *item
    name, entry, ancestors, package_spec = <tuple>state
    if type(entry) is not _ModuleEntryC or type(name) is not str:
        return None
    item = _sys_get("modules")
    if item == NULL or type(<object>item) is not dict:
        return None
    modules = <dict><object>item
    if name in modules:
        return None
    for pair in <tuple>ancestors:
        if modules.get((<tuple>pair)[0]) is not (<tuple>pair)[1]:
            return None
    if package_spec is not None and getattr(modules.get(handle.mod_name), "__spec__", None) is not package_spec:
        return None
    parent_name = (<str>name).rpartition(".")[0]
    if parent_name:
        parent = modules.get(parent_name)
        path = getattr(parent, "__path__", None)
    else:
        parent = None
        item = _sys_get("path")
        path = None if item == NULL else <object>item
    if type(path) is not list or not _c_module_valid(<_ModuleEntryC>entry, parent, <list>path):
        return None
    _c_replay(<tuple>(<_ModuleEntryC>entry).events)
    return name, _c_spec_copy(<_ModuleEntryC>entry), (<_ModuleEntryC>entry).code, entry


@cython.binding(True)
def _prepared_module_run(self, init_globals=None):
    state = self._state
    if state is None or not _maxsize or _validation != _AUTO:
        return _twin_prepared_module_run(self, init_globals)
    details = _c_prepared_module_details(self, state)
    if details is None:
        return _twin_prepared_module_run(self, init_globals)
    name, spec, code, entry = <tuple>details
    run_name = name if self.run_name is None else self.run_name
    return _c_run_module_hit(code, init_globals, run_name, spec, True, self.alter_sys, entry)


_prepared_path_run.__doc__ = _twin_prepared_path_run.__doc__
_prepared_module_run.__doc__ = _twin_prepared_module_run.__doc__
_prepared_path_run.__name__ = _prepared_module_run.__name__ = "run"
PreparedPath.run = _prepared_path_run
PreparedModule.run = _prepared_module_run
