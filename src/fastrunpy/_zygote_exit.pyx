# cython: language_level=3, embedsignature=True, freethreading_compatible=True
"""How a spawn()'s child leaves: as soon as nothing of its exit is left to see.

An interpreter's exit runs the program's threads down, its exit handlers,
flushes its output and tears its modules down; then it takes its own
objects apart one by one.  In a child forked from the zygote that last part
writes to memory shared with the zygote, so the kernel copies page after
page: about a fifth of a small program's run.  Nothing of it can be seen
from outside the process.

The hook here is a C-level audit hook.  The interpreter raises
``cpython.PyInterpreterState_Clear`` for the main interpreter once the
modules are torn down, just before that last part.  Once armed with the
exit status the process is due to end with, the hook ends it there with
C's ``exit()``, which still runs the C library's own exit handlers and
flushes its streams.

It stays disarmed, and the interpreter finishes as usual, whenever that
status is not known for sure (see ``_zygote._exit_status``), and for good
once the program adds an audit hook of its own: that hook must see the
events of the rest of the exit.
"""

from libc.string cimport strcmp


cdef extern from "Python.h":
    ctypedef struct PyObject
    ctypedef struct PyInterpreterState
    ctypedef int (*Py_AuditHookFunction)(const char *event, PyObject *args, void *data) noexcept
    int PySys_AddAuditHook(Py_AuditHookFunction hook, void *data)
    PyInterpreterState *PyInterpreterState_Get()
    PyInterpreterState *PyInterpreterState_Main()

cdef extern from *:
    """
    #if PY_VERSION_HEX >= 0x030D0000
    #define fastrunpy_finalizing() Py_IsFinalizing()
    #else
    #define fastrunpy_finalizing() _Py_IsFinalizing()
    #endif
    """
    int fastrunpy_finalizing() noexcept

cdef extern from "<stdlib.h>":
    void c_exit "exit" (int status) noexcept nogil

# -1: disarmed.  Otherwise the status the process ends with.
cdef int armed_status = -1
# Set for good once anything else adds an audit hook.
cdef bint others_hooked = False
cdef bint installed = False


cdef int exit_hook(const char *event, PyObject *args, void *data) noexcept:
    global armed_status, others_hooked
    if event[0] == b"s" and strcmp(event, b"sys.addaudithook") == 0:
        others_hooked = True
        armed_status = -1
    elif (
        armed_status >= 0
        and strcmp(event, b"cpython.PyInterpreterState_Clear") == 0
        and PyInterpreterState_Get() == PyInterpreterState_Main()
        and fastrunpy_finalizing()
    ):
        c_exit(armed_status)
    return 0


def install():
    """Add the hook (in the zygote, before any program runs; once)."""
    global installed
    if not installed:
        if PySys_AddAuditHook(exit_hook, NULL) < 0:
            raise RuntimeError("fastrunpy: the exit hook could not be added")
        installed = True


def arm(int status):
    """End the process with ``status`` (0-255) once its modules are torn down.

    False, and nothing armed, once anything else has added an audit hook.
    """
    global armed_status
    if not 0 <= status <= 255:
        raise ValueError("an exit status is 0-255")
    if others_hooked or not installed:
        return False
    armed_status = status
    return True


def armed():
    """The status the hook will end the process with, or None."""
    return None if armed_status < 0 else armed_status
