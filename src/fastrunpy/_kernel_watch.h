/* Kernel-notified validation for the compiled core (validation="auto").
 *
 * One inotify instance per process watches the files and directories that
 * cached entries depend on; _core.pyx keeps the map from watches to entries.
 * A hit asks, in one epoll_wait() with no timeout, whether the kernel queued
 * anything.  The epoll set holds two descriptors:
 *
 *   - the inotify descriptor: readable while events are queued;
 *   - /proc/self/mountinfo: always readable, so every wait must report it
 *     with our cookie (proof that the epoll number is still ours: code that
 *     closes every descriptor, as daemons do, may have handed it to someone
 *     else), and EPOLLPRI once the mount table has changed (a mount over a
 *     watched directory raises no inotify event).
 *
 * In the thread that opened them, the same question is usually answered
 * from memory instead (see _kernel_ring.h).
 *
 * A forked child shares its parent's queue: reading it would steal the
 * parent's events.  The child forgets the descriptors without closing them
 * (it may already have reused their numbers) and opens its own when needed.
 *
 * Everything here is Linux only; elsewhere frw_open() fails and "auto"
 * validates by stat(), as "timestamp" does.
 */
#ifndef FASTRUNPY_KERNEL_WATCH_H
#define FASTRUNPY_KERNEL_WATCH_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define FRW_CHANGED_NOTHING 0
#define FRW_EVENTS_QUEUED 1
#define FRW_TRUST_NOTHING 2

#if defined(__linux__)

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define FRW_SUPPORTED 1
/* What changes a file's content, metadata or name, or a directory's entries. */
#define FRW_MASK (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | \
                  IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

static int frw_epoll_fd = -1;
static int frw_inotify_fd = -1;
static int frw_mounts_fd = -1;
static uint64_t frw_cookie = 0;
static volatile sig_atomic_t frw_forked = 0;
static int frw_atfork_registered = 0;

#include "_kernel_ring.h"

static void frw_child_after_fork(void) { frw_forked = 1; }

static void frw_forget_after_fork(void) {
    frw_ring_forget_after_fork();
    frw_forked = 0;
    frw_epoll_fd = frw_inotify_fd = frw_mounts_fd = -1;
}

static int frw_is_open(void) { return frw_epoll_fd >= 0 && !frw_forked; }

static void frw_close(void) {
    if (frw_forked) {
        frw_forget_after_fork();
        return;
    }
    frw_ring_retire();
    if (frw_epoll_fd >= 0) close(frw_epoll_fd);
    if (frw_inotify_fd >= 0) close(frw_inotify_fd);
    if (frw_mounts_fd >= 0) close(frw_mounts_fd);
    frw_epoll_fd = frw_inotify_fd = frw_mounts_fd = -1;
}

/* 0, or -1 with errno set (no instance left, no /proc, ...). */
static int frw_open(void) {
    struct epoll_event event;
    struct timespec now;
    if (frw_forked) frw_forget_after_fork();
    if (frw_epoll_fd >= 0) return 0;
    if (!frw_atfork_registered) {
        if (pthread_atfork(NULL, NULL, frw_child_after_fork) != 0) return -1;
        frw_atfork_registered = 1;
    }
    frw_inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    frw_mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    frw_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (frw_inotify_fd < 0 || frw_mounts_fd < 0 || frw_epoll_fd < 0) goto fail;
    clock_gettime(CLOCK_MONOTONIC, &now);
    frw_cookie = ((uint64_t)now.tv_nsec << 32) ^ (uint64_t)now.tv_sec ^ ((uint64_t)getpid() << 16) ^
                 (uint64_t)(uintptr_t)&frw_cookie;
    frw_cookie &= ~(uint64_t)1;
    event.events = EPOLLIN;
    event.data.u64 = frw_cookie;
    if (epoll_ctl(frw_epoll_fd, EPOLL_CTL_ADD, frw_inotify_fd, &event) != 0) goto fail;
    event.events = EPOLLIN | EPOLLPRI;
    event.data.u64 = frw_cookie | 1;
    if (epoll_ctl(frw_epoll_fd, EPOLL_CTL_ADD, frw_mounts_fd, &event) != 0) goto fail;
    frw_ring_open(frw_inotify_fd, frw_mounts_fd);
    return 0;
fail:
    {
        int saved = errno;
        frw_close();
        errno = saved;
    }
    return -1;
}

/* FRW_CHANGED_NOTHING, FRW_EVENTS_QUEUED (read them with frw_read()) or
   FRW_TRUST_NOTHING (mounts changed, descriptors not ours, forked, error). */
static int frw_poll(void) {
    struct epoll_event ready[4];
    int count, i, seen_mounts = 0, queued = 0;
    if (frw_forked || frw_epoll_fd < 0) return FRW_TRUST_NOTHING;
    if (frw_ring_quiet()) return FRW_CHANGED_NOTHING;
    if (frw_ring_catch_up()) return FRW_TRUST_NOTHING;
    do {
        count = epoll_wait(frw_epoll_fd, ready, 4, 0);
    } while (count < 0 && errno == EINTR);
    if (count < 0) return FRW_TRUST_NOTHING;
    for (i = 0; i < count; i++) {
        if (ready[i].data.u64 == (frw_cookie | 1)) {
            if (ready[i].events & (EPOLLPRI | EPOLLERR)) return FRW_TRUST_NOTHING;
            seen_mounts = 1;
        } else if (ready[i].data.u64 == frw_cookie) {
            queued = 1;
        } else {
            return FRW_TRUST_NOTHING;
        }
    }
    if (!seen_mounts) return FRW_TRUST_NOTHING;
    return queued ? FRW_EVENTS_QUEUED : FRW_CHANGED_NOTHING;
}

/* How many threads are between reading events and untrusting what they
   concern.  A hit told "nothing queued" may be looking at a queue another
   thread has just emptied: it must then wait for that thread to finish
   before it believes an entry's trust (free-threaded builds; with the GIL
   the two never interleave). */
static int frw_draining = 0;
static void frw_drain_begins(void) { __atomic_add_fetch(&frw_draining, 1, __ATOMIC_SEQ_CST); }
static void frw_drain_ends(void) { __atomic_sub_fetch(&frw_draining, 1, __ATOMIC_SEQ_CST); }
static int frw_drain_in_progress(void) { return __atomic_load_n(&frw_draining, __ATOMIC_SEQ_CST) != 0; }

/* Bytes of queued events read into buffer (0: the queue is empty), or -1. */
static Py_ssize_t frw_read(char *buffer, size_t size) {
    ssize_t got;
    do {
        got = read(frw_inotify_fd, buffer, size);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return errno == EAGAIN ? 0 : -1;
    return (Py_ssize_t)got;
}

/* Filesystems whose inotify events cover every change to them: local ones,
   changed only through this kernel.  Network and FUSE filesystems report
   nothing of changes made elsewhere; overlay and others are left to stat(). */
static int frw_filesystem_reports_all(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return 0;
    switch ((unsigned long)info.f_type) {
    case 0xEF53UL:     /* ext2, ext3, ext4 */
    case 0x58465342UL: /* xfs */
    case 0x9123683EUL: /* btrfs */
    case 0x01021994UL: /* tmpfs */
    case 0xF2F52010UL: /* f2fs */
        return 1;
    default:
        return 0;
    }
}

/* The watch descriptor for path (following symlinks), -1 with errno set,
   or -2 when its filesystem is not one whose events can be trusted. */
static int frw_watch(const char *path) {
    if (!frw_filesystem_reports_all(path)) return -2;
    return inotify_add_watch(frw_inotify_fd, path, FRW_MASK);
}

#else /* not Linux */

#define FRW_SUPPORTED 0
static int frw_is_open(void) { return 0; }
static void frw_close(void) {}
static int frw_open(void) { errno = ENOSYS; return -1; }
static int frw_poll(void) { return FRW_TRUST_NOTHING; }
static void frw_drain_begins(void) {}
static void frw_drain_ends(void) {}
static int frw_drain_in_progress(void) { return 0; }
static int frw_ring_wanted = 0;
static long long frw_ring_answers = 0;
static volatile int frw_ring_live = 0;
static Py_ssize_t frw_read(char *buffer, size_t size) { (void)buffer; (void)size; return -1; }
static int frw_watch(const char *path) { (void)path; return -2; }

#endif

/* Parsing what frw_read() returned, without exposing struct inotify_event. */
#if defined(__linux__)
#define FRW_IN_Q_OVERFLOW IN_Q_OVERFLOW
#define FRW_IN_IGNORED IN_IGNORED
static Py_ssize_t frw_event_size(const char *event) {
    return (Py_ssize_t)(sizeof(struct inotify_event) + ((const struct inotify_event *)event)->len);
}
static int frw_event_wd(const char *event) { return ((const struct inotify_event *)event)->wd; }
static uint32_t frw_event_mask(const char *event) { return ((const struct inotify_event *)event)->mask; }
/* The name inside a watched directory the event is about, or "" for the watched object itself. */
static const char *frw_event_name(const char *event) {
    const struct inotify_event *e = (const struct inotify_event *)event;
    return e->len ? e->name : "";
}
#else
#define FRW_IN_Q_OVERFLOW 0x4000
#define FRW_IN_IGNORED 0x8000
static Py_ssize_t frw_event_size(const char *event) { (void)event; return 1; }
static int frw_event_wd(const char *event) { (void)event; return -1; }
static uint32_t frw_event_mask(const char *event) { (void)event; return FRW_IN_Q_OVERFLOW; }
static const char *frw_event_name(const char *event) { (void)event; return ""; }
#endif

#endif /* FASTRUNPY_KERNEL_WATCH_H */
