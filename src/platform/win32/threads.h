/* The C11 <threads.h> mutex subset lanmsg uses, for Windows toolchains that
 * lack the header (mingw-w64 before version 12, older MSVC).
 *
 * CMake adds this directory to the include path only on Windows and only
 * when the compiler has no <threads.h> of its own, so the TLS backend keeps
 * its portable C11 code. A slim reader/writer lock is a plain, non-recursive
 * mutex that needs no destruction, which is exactly mtx_plain. */
#ifndef LANMSG_WIN32_THREADS_H
#define LANMSG_WIN32_THREADS_H

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

typedef SRWLOCK mtx_t;

enum { thrd_success = 0, thrd_error = 2 };
enum { mtx_plain = 0 };

static inline int mtx_init(mtx_t *m, int type)
{
    (void)type;
    InitializeSRWLock(m);
    return thrd_success;
}

static inline int mtx_lock(mtx_t *m)
{
    AcquireSRWLockExclusive(m);
    return thrd_success;
}

static inline int mtx_unlock(mtx_t *m)
{
    ReleaseSRWLockExclusive(m);
    return thrd_success;
}

static inline void mtx_destroy(mtx_t *m)
{
    (void)m;
}

#endif
