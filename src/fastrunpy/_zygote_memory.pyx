# cython: language_level=3, embedsignature=True, freethreading_compatible=True
"""A spare's memory, made its own before its request comes (Linux).

A child forked from the zygote shares the zygote's memory until it writes
to it; then the kernel copies the page it wrote.  A run writes to a few
hundred such pages (reference counts of shared objects, mostly), and on
this project's machines each copy costs microseconds.  A spare waiting for
its request has nothing else to do: ``take_pages()`` has the kernel copy
every page still shared with the zygote (``MADV_POPULATE_WRITE``, Linux
5.14), and map the code pages it would otherwise fault in one by one
(``MADV_POPULATE_READ``), so that the run that follows finds them done.
It stops as soon as a descriptor becomes readable (the request has come):
what is left is copied on demand, as before.  Nothing here changes what
the program sees; it costs memory (the pages copied) and the idle CPU.
"""

from libc.stdint cimport uint64_t
from libc.stdio cimport FILE, fclose, fgets, fopen, sscanf


cdef extern from "<sys/mman.h>":
    int madvise(void *addr, size_t length, int advice) nogil

cdef extern from "<poll.h>":
    struct pollfd:
        int fd
        short events
        short revents
    int poll(pollfd *fds, unsigned long nfds, int timeout) nogil
    short POLLIN

cdef extern from "<fcntl.h>":
    int c_open "open" (const char *path, int flags) nogil
    int O_RDONLY
    int O_CLOEXEC

cdef extern from "<unistd.h>":
    ssize_t pread(int fd, void *buf, size_t count, long offset) nogil
    int c_close "close" (int fd) nogil

# Linux's values; an older kernel answers EINVAL, and nothing is done.
cdef int POPULATE_READ = 22
cdef int POPULATE_WRITE = 23
cdef int PAGE_SHIFT = 12
cdef int BATCH = 256  # pages between two looks at the stop descriptor
cdef uint64_t PRESENT = (<uint64_t>1) << 63
cdef uint64_t EXCLUSIVE = (<uint64_t>1) << 56  # mapped by this process alone


cdef bint request_came(int fd) noexcept nogil:
    cdef pollfd watched
    watched.fd = fd
    watched.events = POLLIN
    watched.revents = 0
    return poll(&watched, 1, 0) > 0


cdef long populate_shared(int pagemap, unsigned long start, unsigned long end, int stop_fd, bint *stopped) noexcept nogil:
    """Copy the pages of [start, end) still shared with another process; how many."""
    cdef uint64_t entries[256]
    cdef unsigned long address = start, page, run = 0, count, i
    cdef long copied = 0
    cdef ssize_t got
    while address < end:
        count = (end - address) >> PAGE_SHIFT
        if count > <unsigned long>BATCH:
            count = BATCH
        got = pread(pagemap, entries, count * 8, <long>((address >> PAGE_SHIFT) * 8))
        if got <= 0:
            return copied
        count = <unsigned long>got // 8
        run = 0
        for i in range(count):
            page = address + (i << PAGE_SHIFT)
            if (entries[i] & PRESENT) and not (entries[i] & EXCLUSIVE):
                if run == 0:
                    run = page
            elif run:
                madvise(<void *>run, page - run, POPULATE_WRITE)
                copied += (page - run) >> PAGE_SHIFT
                run = 0
        page = address + (count << PAGE_SHIFT)
        if run:
            madvise(<void *>run, page - run, POPULATE_WRITE)
            copied += (page - run) >> PAGE_SHIFT
        address = page
        if request_came(stop_fd):
            stopped[0] = True
            return copied
    return copied


def take_pages(int stop_fd):
    """Copy the pages shared with the parent, and map the code; stop once stop_fd is readable.

    Returns (pages copied, stopped early), or None where the kernel's page
    map cannot be read.
    """
    cdef FILE *maps
    cdef int pagemap
    cdef char line[4096]
    cdef char perms[8]
    cdef unsigned long start, end
    cdef list regions = []
    cdef long copied = 0
    cdef bint stopped = False
    maps = fopen(b"/proc/self/maps", b"re")
    if maps == NULL:
        return None
    # Read whole first: populating changes nothing in the list, but reading
    # it while the kernel splits regions could skip one.
    while fgets(line, sizeof(line), maps) != NULL:
        if sscanf(line, b"%lx-%lx %4s", &start, &end, perms) == 3:
            regions.append((start, end, perms[:4]))
    fclose(maps)
    pagemap = c_open(b"/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
    if pagemap < 0:
        return None
    try:
        # Private writable regions first: their copies cost the most.
        for start, end, kind in regions:
            if kind[1:2] == b"w" and kind[3:4] == b"p":
                with nogil:
                    copied += populate_shared(pagemap, start, end, stop_fd, &stopped)
                if stopped:
                    return copied, True
        for start, end, kind in regions:
            if kind[0:1] == b"r" and kind[2:3] == b"x" and kind[3:4] == b"p":
                with nogil:
                    madvise(<void *>start, end - start, POPULATE_READ)
                    stopped = request_came(stop_fd)
                if stopped:
                    return copied, True
    finally:
        c_close(pagemap)
    return copied, False
