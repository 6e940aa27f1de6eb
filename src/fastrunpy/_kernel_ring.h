/* The kernel's word without a system call, for _kernel_watch.h.
 *
 * epoll_wait() answers "has anything been queued?" in about 0.26 us, a third
 * of a hit.  An io_uring ring can answer it from memory: two multishot poll
 * requests, on the inotify descriptor (POLLIN) and on /proc/self/mountinfo
 * (POLLPRI), are woken by the same wake-ups as epoll.  With deferred task
 * running, a wake-up only queues work for the ring's own thread, and sets
 * IORING_SQ_TASKRUN in the ring's shared flags word: inside the system call
 * that queued the event, so before the call that changed a file returns.
 * While that flag is clear and no completion is waiting, nothing has been
 * queued since the last full check, and a hit needs no system call at all.
 *
 * Anything else (the flag set, a completion, a request that ended) is
 * handled by frw_ring_catch_up(), after which the caller makes the full
 * epoll check as before: the ring only ever says "nothing new", never
 * "all is well" on its own.
 *
 * Rules the kernel sets, and what they mean here:
 *   - a ring with deferred task running belongs to the thread that made it
 *     (IORING_SETUP_SINGLE_ISSUER): only that thread reads the flag; others
 *     keep using epoll_wait();
 *   - the ring's descriptor is registered with that thread and closed at
 *     once, so no descriptor number exists for other code to close or reuse
 *     (daemons close every descriptor); it is entered by registered index;
 *   - only that thread can unregister it: a reset on another thread retires
 *     the ring (hits stop reading it), and the owner destroys it at its next
 *     check or when it exits (a thread-specific destructor);
 *   - a forked child unmaps its copy and never uses it.
 *
 * Needs Linux 6.3 (registered-ring io_uring_register()); anywhere it cannot
 * be set up (older kernels, io_uring disabled by sysctl or seccomp), it is
 * simply absent.  The structures are declared here, not taken from
 * <linux/io_uring.h>, so that wheels built against old kernel headers still
 * carry it; they are the kernel's stable ABI.
 *
 * Its cost: one ring of 4 entries (two pages, charged to the process's
 * memory cgroup), and no descriptor.
 */
#ifndef FASTRUNPY_KERNEL_RING_H
#define FASTRUNPY_KERNEL_RING_H

#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* Wheels are built against old kernel headers (manylinux) that may predate
   io_uring; where the numbers are the common table's, say them here. */
#if !defined(__NR_io_uring_setup) && \
    ((defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__) || defined(__i386__) || defined(__arm__))
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif

#if defined(__NR_io_uring_setup) && defined(__NR_io_uring_enter) && defined(__NR_io_uring_register)
#define FRW_RING_SUPPORTED 1
#else
#define FRW_RING_SUPPORTED 0
#endif

struct frw_sq_offsets {
    uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
    uint64_t user_addr;
};
struct frw_cq_offsets {
    uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
    uint64_t user_addr;
};
struct frw_ring_params {
    uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3];
    struct frw_sq_offsets sq_off;
    struct frw_cq_offsets cq_off;
};
struct frw_sqe {
    uint8_t opcode, flags;
    uint16_t ioprio;
    int32_t fd;
    uint64_t off, addr;
    uint32_t len, poll32_events;
    uint64_t user_data;
    uint16_t buf_index, personality;
    int32_t file_index;
    uint64_t addr3, pad;
};
struct frw_cqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
};
struct frw_rsrc_update {
    uint32_t offset, resv;
    uint64_t data;
};
typedef char frw_sqe_is_64_bytes[sizeof(struct frw_sqe) == 64 ? 1 : -1];
typedef char frw_params_are_120_bytes[sizeof(struct frw_ring_params) == 120 ? 1 : -1];

#define FRW_SETUP_TASKRUN_FLAG (1U << 9)
#define FRW_SETUP_SINGLE_ISSUER (1U << 12)
#define FRW_SETUP_DEFER_TASKRUN (1U << 13)
#define FRW_FEAT_SINGLE_MMAP (1U << 0)
#define FRW_SQ_CQ_OVERFLOW (1U << 1)
#define FRW_SQ_TASKRUN (1U << 2)
#define FRW_ENTER_GETEVENTS (1U << 0)
#define FRW_ENTER_REGISTERED_RING (1U << 4)
#define FRW_OP_POLL_ADD 6
#define FRW_OP_ASYNC_CANCEL 14
#define FRW_ASYNC_CANCEL_ANY (1U << 2)
#define FRW_POLL_ADD_MULTI (1U << 0)
#define FRW_CQE_F_MORE (1U << 1)
#define FRW_REGISTER_RING_FDS 20
#define FRW_UNREGISTER_RING_FDS 21
#define FRW_REGISTER_USE_REGISTERED_RING (1U << 31)
#define FRW_OFF_SQ_RING 0ULL
#define FRW_OFF_SQES 0x10000000ULL

/* What each poll request's completions carry as user_data. */
#define FRW_RING_INOTIFY 1
#define FRW_RING_MOUNTS 2
#define FRW_RING_CANCEL 3

/* The ring, as its owner thread sees it.  frw_ring_live is what hits read
   first; everything else changes only under frw_ring_mutex, and the mapping
   is only ever unmapped by the owner (or a forked child, alone). */
static volatile int frw_ring_live = 0;
static unsigned frw_ring_generation = 0;     /* of the live or retired ring; 0: none */
static unsigned frw_ring_generations = 0;    /* rings made so far */
static __thread unsigned frw_ring_mine = 0;  /* the generation this thread made */
static int frw_ring_index = -1;              /* registered index, in the owner thread */
static void *frw_ring_memory = NULL, *frw_ring_sqes_memory = NULL;
static size_t frw_ring_size = 0, frw_ring_sqes_size = 0;
static int frw_ring_retired = 0;             /* mapped and registered, waiting for its owner */
static uint32_t *frw_ring_flags, *frw_ring_sq_tail, *frw_ring_sq_mask, *frw_ring_sq_array;
static uint32_t *frw_ring_cq_head, *frw_ring_cq_tail, *frw_ring_cq_mask;
static struct frw_cqe *frw_ring_cqes;
static struct frw_sqe *frw_ring_sqe_slots;
static pthread_mutex_t frw_ring_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t frw_ring_exit_key;
static int frw_ring_exit_key_made = 0;
static int frw_ring_wanted = 1;              /* tests turn it off to exercise epoll alone */
static long long frw_ring_answers = 0;       /* hits answered from the ring's memory */

#if FRW_RING_SUPPORTED

static long frw_ring_enter(unsigned to_submit, unsigned min_complete, unsigned flags) {
    long done;
    do {
        done = syscall(__NR_io_uring_enter, frw_ring_index, to_submit, min_complete,
                       flags | FRW_ENTER_REGISTERED_RING, NULL, 0);
    } while (done < 0 && errno == EINTR);
    return done;
}

static int frw_ring_register(int fd) {
    struct frw_rsrc_update update;
    memset(&update, 0, sizeof(update));
    update.offset = (uint32_t)-1;  /* any free slot */
    update.data = (uint64_t)fd;
    if (syscall(__NR_io_uring_register, fd, FRW_REGISTER_RING_FDS, &update, 1) != 1) return -1;
    frw_ring_index = (int)update.offset;
    return 0;
}

static int frw_ring_unregister(void) {
    struct frw_rsrc_update update;
    memset(&update, 0, sizeof(update));
    update.offset = (uint32_t)frw_ring_index;
    if (syscall(__NR_io_uring_register, frw_ring_index,
                FRW_UNREGISTER_RING_FDS | FRW_REGISTER_USE_REGISTERED_RING, &update, 1) != 1)
        return -1;
    frw_ring_index = -1;
    return 0;
}

static int frw_ring_add_poll(int fd, uint32_t events, uint64_t user_data) {
    uint32_t tail = *frw_ring_sq_tail, index = tail & *frw_ring_sq_mask;
    struct frw_sqe *sqe = &frw_ring_sqe_slots[index];
    memset(sqe, 0, sizeof(*sqe));
    sqe->opcode = FRW_OP_POLL_ADD;
    sqe->fd = fd;
    sqe->len = FRW_POLL_ADD_MULTI;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    events = (events << 16) | (events >> 16);  /* the kernel swaps the halves back */
#endif
    sqe->poll32_events = events;
    sqe->user_data = user_data;
    frw_ring_sq_array[index] = index;
    __atomic_store_n(frw_ring_sq_tail, tail + 1, __ATOMIC_RELEASE);
    return 1;
}

/* Unregister and unmap the ring made by this thread (mutex held).  Its poll
   requests are cancelled first, and waited for: each holds the inotify
   instance, which the kernel would otherwise free only once the ring's
   asynchronous teardown has run, and a burst of cache_clear() calls would
   meanwhile use up the user's inotify instances. */
static void frw_ring_destroy_locked(void) {
    if (frw_ring_index >= 0 && frw_ring_memory) {
        uint32_t tail = *frw_ring_sq_tail, index = tail & *frw_ring_sq_mask;
        struct frw_sqe *sqe = &frw_ring_sqe_slots[index];
        memset(sqe, 0, sizeof(*sqe));
        sqe->opcode = FRW_OP_ASYNC_CANCEL;
        sqe->fd = -1;
        sqe->poll32_events = FRW_ASYNC_CANCEL_ANY;  /* the cancel_flags field */
        sqe->user_data = FRW_RING_CANCEL;
        frw_ring_sq_array[index] = index;
        __atomic_store_n(frw_ring_sq_tail, tail + 1, __ATOMIC_RELEASE);
        if (frw_ring_enter(1, 1, FRW_ENTER_GETEVENTS) >= 0) frw_ring_enter(0, 0, FRW_ENTER_GETEVENTS);
    }
    if (frw_ring_index >= 0) frw_ring_unregister();
    if (frw_ring_sqes_memory) munmap(frw_ring_sqes_memory, frw_ring_sqes_size);
    if (frw_ring_memory) munmap(frw_ring_memory, frw_ring_size);
    frw_ring_memory = frw_ring_sqes_memory = NULL;
    frw_ring_live = frw_ring_retired = 0;
    frw_ring_generation = 0;
    frw_ring_index = -1;
}

/* A thread that made a ring is exiting: the ring cannot outlive it usefully. */
static void frw_ring_thread_exit(void *unused) {
    (void)unused;
    pthread_mutex_lock(&frw_ring_mutex);
    if (frw_ring_generation != 0 && frw_ring_mine == frw_ring_generation) frw_ring_destroy_locked();
    pthread_mutex_unlock(&frw_ring_mutex);
}

/* The owner destroys a ring another thread retired. */
static void frw_ring_tidy(void) {
    if (!frw_ring_retired || frw_ring_mine != frw_ring_generation) return;
    pthread_mutex_lock(&frw_ring_mutex);
    if (frw_ring_retired && frw_ring_mine == frw_ring_generation) frw_ring_destroy_locked();
    pthread_mutex_unlock(&frw_ring_mutex);
}

/* Make a ring watching inotify_fd and mounts_fd, owned by this thread.
   Failure of any kind leaves no ring (and epoll alone). */
static void frw_ring_open(int inotify_fd, int mounts_fd) {
    struct frw_ring_params params;
    struct frw_rsrc_update update;
    unsigned char *sq;
    int fd;
    if (!frw_ring_wanted) return;
    pthread_mutex_lock(&frw_ring_mutex);
    if (frw_ring_generation != 0) {  /* one retired ring at a time */
        if (frw_ring_mine != frw_ring_generation) goto out;
        frw_ring_destroy_locked();
    }
    if (!frw_ring_exit_key_made) {
        if (pthread_key_create(&frw_ring_exit_key, frw_ring_thread_exit) != 0) goto out;
        frw_ring_exit_key_made = 1;
    }
    memset(&params, 0, sizeof(params));
    params.flags = FRW_SETUP_SINGLE_ISSUER | FRW_SETUP_DEFER_TASKRUN | FRW_SETUP_TASKRUN_FLAG;
    fd = (int)syscall(__NR_io_uring_setup, 4, &params);
    if (fd < 0) goto out;
    if (!(params.features & FRW_FEAT_SINGLE_MMAP)) goto close_fd;
    frw_ring_size = params.sq_off.array + params.sq_entries * sizeof(uint32_t);
    if (params.cq_off.cqes + params.cq_entries * sizeof(struct frw_cqe) > frw_ring_size)
        frw_ring_size = params.cq_off.cqes + params.cq_entries * sizeof(struct frw_cqe);
    frw_ring_memory = mmap(NULL, frw_ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                           FRW_OFF_SQ_RING);
    if (frw_ring_memory == MAP_FAILED) { frw_ring_memory = NULL; goto close_fd; }
    frw_ring_sqes_size = params.sq_entries * sizeof(struct frw_sqe);
    frw_ring_sqes_memory = mmap(NULL, frw_ring_sqes_size, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_POPULATE, fd, FRW_OFF_SQES);
    if (frw_ring_sqes_memory == MAP_FAILED) { frw_ring_sqes_memory = NULL; goto unmap; }
    sq = (unsigned char *)frw_ring_memory;
    frw_ring_flags = (uint32_t *)(sq + params.sq_off.flags);
    frw_ring_sq_tail = (uint32_t *)(sq + params.sq_off.tail);
    frw_ring_sq_mask = (uint32_t *)(sq + params.sq_off.ring_mask);
    frw_ring_sq_array = (uint32_t *)(sq + params.sq_off.array);
    frw_ring_cq_head = (uint32_t *)(sq + params.cq_off.head);
    frw_ring_cq_tail = (uint32_t *)(sq + params.cq_off.tail);
    frw_ring_cq_mask = (uint32_t *)(sq + params.cq_off.ring_mask);
    frw_ring_cqes = (struct frw_cqe *)(sq + params.cq_off.cqes);
    frw_ring_sqe_slots = (struct frw_sqe *)frw_ring_sqes_memory;
    /* Registered twice: the first registration is dropped through its own
       index, which only Linux 6.3 and later can do.  A ring that could not
       be destroyed that way would outlive every reset, with the inotify
       instance its requests hold. */
    if (frw_ring_register(fd) != 0) goto unmap;
    if (frw_ring_unregister() != 0) {
        memset(&update, 0, sizeof(update));
        update.offset = (uint32_t)frw_ring_index;
        syscall(__NR_io_uring_register, fd, FRW_UNREGISTER_RING_FDS, &update, 1);
        goto unmap;
    }
    if (frw_ring_register(fd) != 0) goto unmap;
    close(fd);
    fd = -1;
    frw_ring_generation = ++frw_ring_generations ? frw_ring_generations : ++frw_ring_generations;
    frw_ring_mine = frw_ring_generation;
    pthread_setspecific(frw_ring_exit_key, (void *)1);  /* so the destructor runs */
    frw_ring_add_poll(inotify_fd, POLLIN, FRW_RING_INOTIFY);
    frw_ring_add_poll(mounts_fd, POLLPRI, FRW_RING_MOUNTS);
    if (frw_ring_enter(2, 0, 0) != 2 || *frw_ring_cq_tail != *frw_ring_cq_head) {
        frw_ring_destroy_locked();
        goto out;
    }
    frw_ring_live = 1;
    goto out;
unmap:
    if (frw_ring_sqes_memory) munmap(frw_ring_sqes_memory, frw_ring_sqes_size);
    if (frw_ring_memory) munmap(frw_ring_memory, frw_ring_size);
    frw_ring_memory = frw_ring_sqes_memory = NULL;
    frw_ring_index = -1;
close_fd:
    if (fd >= 0) close(fd);
out:
    pthread_mutex_unlock(&frw_ring_mutex);
}

/* True when this thread's ring says nothing was queued since its last
   catch-up: no task work pending, no completion waiting, no overflow. */
static inline int frw_ring_quiet(void) {
    if (!frw_ring_live || frw_ring_mine != frw_ring_generation) return 0;
    if (__atomic_load_n(frw_ring_flags, __ATOMIC_ACQUIRE) & (FRW_SQ_TASKRUN | FRW_SQ_CQ_OVERFLOW)) return 0;
    if (__atomic_load_n(frw_ring_cq_tail, __ATOMIC_ACQUIRE) != *frw_ring_cq_head) return 0;
    frw_ring_answers++;
    return 1;
}

/* Run the ring's pending work, read its completions and re-arm any request
   that ended, so that the ring is quiet again until the next wake-up.
   Returns 1 when a completion says the mount table changed (the mountinfo
   file reports that once, to whichever poll asks first), else 0.  The
   caller's epoll check comes after, and sees whatever was queued before. */
static int frw_ring_catch_up(void) {
    uint32_t head, tail;
    int mounts_changed = 0, rearm_inotify = 0, rearm_mounts = 0;
    unsigned to_submit = 0;
    if (!frw_ring_live || frw_ring_mine != frw_ring_generation) {
        frw_ring_tidy();
        return 0;
    }
    pthread_mutex_lock(&frw_ring_mutex);
    if (!frw_ring_live || frw_ring_mine != frw_ring_generation) goto out;
    if (frw_ring_enter(0, 0, FRW_ENTER_GETEVENTS) < 0) goto broken;
    head = *frw_ring_cq_head;
    tail = __atomic_load_n(frw_ring_cq_tail, __ATOMIC_ACQUIRE);
    for (; head != tail; head++) {
        struct frw_cqe *cqe = &frw_ring_cqes[head & *frw_ring_cq_mask];
        int ended = !(cqe->flags & FRW_CQE_F_MORE);
        if (cqe->user_data == FRW_RING_MOUNTS) {
            if (cqe->res > 0) mounts_changed = 1;
            rearm_mounts |= ended;
        } else {
            rearm_inotify |= ended;
        }
    }
    __atomic_store_n(frw_ring_cq_head, head, __ATOMIC_RELEASE);
    if (rearm_inotify) to_submit += frw_ring_add_poll(frw_inotify_fd, POLLIN, FRW_RING_INOTIFY);
    if (rearm_mounts) to_submit += frw_ring_add_poll(frw_mounts_fd, POLLPRI, FRW_RING_MOUNTS);
    if (to_submit && frw_ring_enter(to_submit, 0, 0) != (long)to_submit) goto broken;
    goto out;
broken:
    frw_ring_destroy_locked();
out:
    pthread_mutex_unlock(&frw_ring_mutex);
    return mounts_changed;
}

/* Every trust is being dropped: hits stop reading the ring now, and it is
   destroyed by its owner (now, if that is this thread). */
static void frw_ring_retire(void) {
    pthread_mutex_lock(&frw_ring_mutex);
    if (frw_ring_generation != 0) {
        frw_ring_live = 0;
        if (frw_ring_mine == frw_ring_generation) frw_ring_destroy_locked();
        else frw_ring_retired = 1;
    }
    pthread_mutex_unlock(&frw_ring_mutex);
}

/* In a forked child: the mapping is the parent's ring; let go of it unused. */
static void frw_ring_forget_after_fork(void) {
    if (frw_ring_sqes_memory) munmap(frw_ring_sqes_memory, frw_ring_sqes_size);
    if (frw_ring_memory) munmap(frw_ring_memory, frw_ring_size);
    frw_ring_memory = frw_ring_sqes_memory = NULL;
    frw_ring_live = frw_ring_retired = 0;
    frw_ring_generation = 0;
    frw_ring_mine = 0;
    frw_ring_index = -1;
    pthread_mutex_init(&frw_ring_mutex, NULL);
}

#else /* no io_uring system calls known */

static void frw_ring_open(int inotify_fd, int mounts_fd) { (void)inotify_fd; (void)mounts_fd; }
static inline int frw_ring_quiet(void) { return 0; }
static int frw_ring_catch_up(void) { return 0; }
static void frw_ring_retire(void) {}
static void frw_ring_forget_after_fork(void) {}

#endif /* FRW_RING_SUPPORTED */
#endif /* FASTRUNPY_KERNEL_RING_H */
