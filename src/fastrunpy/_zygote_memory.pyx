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

Copying every shared page costs more than a run needs: a small program
writes to about a third of them, and on a machine with two CPUs the spare
rarely finished before its request.  So runs teach the spares that follow:
each child, at its exit, lists the pages it holds as its own in a small
memory shared by the zygote and all its children (``note_written_pages``),
and a spare with such a list takes those pages alone.  The list is only a
guide: a spare takes a page of it only if the page lies in one of its own
private writable regions (a page it already holds alone costs the kernel a
page-table walk, no copy).
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint64_t
from libc.stdio cimport FILE, fclose, fgets, fopen, sscanf


cdef extern from "<sys/mman.h>":
    int madvise(void *addr, size_t length, int advice) nogil
    void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset) nogil
    void *MAP_FAILED
    int PROT_READ
    int PROT_WRITE
    int MAP_SHARED
    int MAP_ANONYMOUS

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

# The pages the last child to exit held as its own: [0] how many, then
# their addresses.  Shared (MAP_SHARED) by the zygote and its children.
DEF LIST_CAPACITY = 16384
cdef uint64_t *page_list = NULL


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


cdef list mapped_regions():
    """(start, end, permissions) of this process's mappings; None if they cannot be read."""
    cdef FILE *maps
    cdef char line[4096]
    cdef char perms[8]
    cdef unsigned long start, end
    cdef list regions = []
    maps = fopen(b"/proc/self/maps", b"re")
    if maps == NULL:
        return None
    # Read whole first: populating changes nothing in the list, but reading
    # it while the kernel splits regions could skip one.
    while fgets(line, sizeof(line), maps) != NULL:
        if sscanf(line, b"%lx-%lx %4s", &start, &end, perms) == 3:
            regions.append((start, end, perms[:4]))
    fclose(maps)
    return regions


def share_page_list():
    """In the zygote, before it forks: set up the list runs leave for later spares.  False if it cannot."""
    global page_list
    cdef void *memory
    if page_list == NULL:
        memory = mmap(NULL, (LIST_CAPACITY + 1) * 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        if memory == MAP_FAILED:
            return False
        page_list = <uint64_t *>memory
        page_list[0] = 0
    return True


def note_written_pages():
    """In a child at its exit: list the private writable pages it holds as its own; how many.

    0 where the zygote set up no list.
    """
    cdef int pagemap
    cdef uint64_t entries[256]
    cdef unsigned long start, end, address, count, i
    cdef ssize_t got
    cdef uint64_t noted = 0
    if page_list == NULL:
        return 0
    regions = mapped_regions()
    if regions is None:
        return 0
    pagemap = c_open(b"/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
    if pagemap < 0:
        return 0
    page_list[0] = 0  # a spare reading meanwhile sees a short list, never a torn count
    for start, end, kind in regions:
        if not (kind[1:2] == b"w" and kind[3:4] == b"p"):
            continue
        address = start
        with nogil:
            while address < end and noted < LIST_CAPACITY:
                count = (end - address) >> PAGE_SHIFT
                if count > <unsigned long>BATCH:
                    count = BATCH
                got = pread(pagemap, entries, count * 8, <long>((address >> PAGE_SHIFT) * 8))
                if got <= 0:
                    break
                count = <unsigned long>got // 8
                for i in range(count):
                    if (entries[i] & PRESENT) and (entries[i] & EXCLUSIVE) and noted < LIST_CAPACITY:
                        noted += 1
                        page_list[noted] = address + (i << PAGE_SHIFT)
                address += count << PAGE_SHIFT
    c_close(pagemap)
    page_list[0] = noted
    return noted


cdef Py_ssize_t region_holding(unsigned long *starts, unsigned long *ends, Py_ssize_t count, unsigned long address) noexcept nogil:
    """Index of the region holding address (regions sorted, disjoint), or -1."""
    cdef Py_ssize_t low = 0, high = count, middle
    while low < high:
        middle = (low + high) // 2
        if ends[middle] <= address:
            low = middle + 1
        else:
            high = middle
    if low < count and starts[low] <= address:
        return low
    return -1


cdef long take_listed(list regions, int stop_fd, bint *stopped):
    """Write-populate the listed pages that lie in this process's private writable regions; how many.

    No look at the page map first: populating a page this process already
    holds as its own costs a walk of its page table and nothing more, far
    less than reading the map for it, and a listed page the zygote never
    touched is one the last run wrote, so taking it now is work done ahead.
    """
    cdef uint64_t listed = page_list[0]
    cdef uint64_t index = 1, run_start, run_end
    cdef unsigned long page_size = 1UL << PAGE_SHIFT
    cdef unsigned long since_look = 0, end
    cdef long taken = 0
    cdef Py_ssize_t count = 0, at
    cdef unsigned long *starts
    cdef unsigned long *ends
    if listed > LIST_CAPACITY:
        return 0
    writable = [(start, stop) for start, stop, kind in regions if kind[1:2] == b"w" and kind[3:4] == b"p"]
    starts = <unsigned long *>PyMem_Malloc(len(writable) * 2 * sizeof(unsigned long) + 1)
    if starts == NULL:
        return 0
    ends = starts + len(writable)
    for region_start, region_end in writable:
        starts[count] = region_start
        ends[count] = region_end
        count += 1
    with nogil:
        while index <= listed and not stopped[0]:
            # A run of consecutive listed pages, one madvise() for each
            # region it lies in.  The list is sorted, unless a child was
            # rewriting it as it was read; the lookup copes either way.
            run_start = page_list[index]
            run_end = run_start + page_size
            index += 1
            while index <= listed and page_list[index] == run_end:
                run_end += page_size
                index += 1
            while run_start < run_end:
                at = region_holding(starts, ends, count, run_start)
                if at < 0:
                    run_start += page_size
                    continue
                end = ends[at] if ends[at] < run_end else run_end
                madvise(<void *>run_start, end - run_start, POPULATE_WRITE)
                taken += (end - run_start) >> PAGE_SHIFT
                since_look += (end - run_start) >> PAGE_SHIFT
                run_start = end
            if since_look >= <unsigned long>BATCH:
                since_look = 0
                stopped[0] = request_came(stop_fd)
    PyMem_Free(starts)
    return taken


def take_pages(int stop_fd):
    """Copy the pages shared with the parent, and map the code; stop once stop_fd is readable.

    With a list left by earlier runs (share_page_list), only the listed
    pages are copied.  Returns (pages copied, stopped early), or None where
    the kernel's page map cannot be read.
    """
    cdef int pagemap
    cdef unsigned long start, end
    cdef long copied = 0
    cdef bint stopped = False
    regions = mapped_regions()
    if regions is None:
        return None
    pagemap = c_open(b"/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
    if pagemap < 0:
        return None
    try:
        if page_list != NULL:
            copied = take_listed(regions, stop_fd, &stopped)
            if stopped:
                return copied, True
        else:
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
