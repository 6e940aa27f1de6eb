# cython: language_level=3, embedsignature=True, freethreading_compatible=True
# cython: annotation_typing=False, binding=True
# distutils: define_macros=CYTHON_USE_MODULE_STATE=0
"""Compiled implementation of fastrunpy's hot path.

The logic is the pure-Python twin's, compiled as is: one source of truth
means the two implementations cannot drift apart, and the full test suite
runs against both.  (``annotation_typing=False`` keeps Cython from turning
the twin's type hints into runtime type checks that runpy does not make.)
After it come the C versions of the helpers that dominate a cache hit.
"""

include "_core_py.py"

from cpython.bytes cimport PyBytes_AS_STRING


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


cdef int _stat_into(path, long long out[5]) except -3:
    """fastrunpy_stat() on a str path; -2 where os.stat() must decide instead."""
    cdef bytes encoded
    if type(path) is not str:
        return -2
    try:
        encoded = os.fsencode(path)
    except UnicodeError:
        return -2
    if b"\0" in encoded:
        return -2
    return fastrunpy_stat(PyBytes_AS_STRING(encoded), out)


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
