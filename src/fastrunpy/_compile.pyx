# cython: language_level=3, embedsignature=True, freethreading_compatible=True
"""The command line's compile(): a program's code as ``python FILE`` makes it.

compile() readies the ast module's classes on its first call in a process,
to check whether it was handed a tree: about a quarter of a bare
interpreter's start-up, which ``python FILE`` never pays.  This makes the
call compile() itself makes for bytes, with the flags ``dont_inherit=True``
gives.  A module of its own, so that ``python -m fastrunpy script.py`` can
run the script without setting up the compiled core.  Where no extension
was built, the command line calls compile() instead.
"""

from cpython.bytes cimport PyBytes_AS_STRING


cdef extern from "Python.h":
    ctypedef struct PyCompilerFlags:
        int cf_flags
        int cf_feature_version
    int Py_file_input
    int PyCF_SOURCE_IS_UTF8
    int PY_MINOR_VERSION
    object Py_CompileStringObject(const char *source, object filename, int start,
                                  PyCompilerFlags *flags, int optimize)


def compile_program(bytes source, str filename):
    """compile(source, filename, "exec", dont_inherit=True), by the C API."""
    cdef PyCompilerFlags flags
    if b"\0" in source:
        # The C string would end early; compile() reports the NUL byte.
        return compile(source, filename, "exec", dont_inherit=True)
    flags.cf_flags = PyCF_SOURCE_IS_UTF8
    flags.cf_feature_version = PY_MINOR_VERSION
    return Py_CompileStringObject(PyBytes_AS_STRING(source), filename, Py_file_input, &flags, -1)
