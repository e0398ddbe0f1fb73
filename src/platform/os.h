/* lanmsg platform layer, the operating system apart from sockets: clocks,
 * signals, the console, files, names and threads.
 *
 * One implementation per OS: os_posix.c, os_win32.c. Functions that work on
 * files follow the C runtime's convention (0, or -1 with errno set) so that
 * tools print the cause with strerror like everything else about files. */
#ifndef LANMSG_OS_H
#define LANMSG_OS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- clocks ---- */
/* Monotonic milliseconds and microseconds. */
uint64_t lm_now_ms(void);
uint64_t lm_now_us(void);
/* Monotonic nanoseconds, for timing loopback round trips of a few µs. */
uint64_t lm_now_ns(void);
/* The wall clock in UTC as ISO 8601 with milliseconds, for log lines:
 * "2026-11-28T02:25:09.123Z" (24 characters and a NUL). */
void lm_wall_clock(char *buf, size_t len);

/* ---- process ---- */
/* SIGINT/SIGTERM set *stop (Ctrl-C on Windows); SIGHUP sets *reload where it
 * exists. SIGPIPE is ignored. Either pointer may be NULL. */
void lm_signals_install(volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);
/* Raise the soft open-files limit as far as allowed; returns the new limit. */
long lm_raise_fd_limit(long want);
/* 1 when the file descriptor / handle behind stdin (stderr) is a terminal. */
int lm_stdin_is_tty(void);
int lm_stderr_is_tty(void);
/* Ask for a secret on the terminal without echoing it: prints `prompt` on
 * stderr, reads one line from the terminal into buf (without the newline).
 * 0, or -1 when there is no terminal or input ended. */
int lm_read_secret(const char *prompt, char *buf, size_t len);
/* The same with echo, for a question (y/N) asked on the terminal. */
int lm_read_tty_line(const char *prompt, char *buf, size_t len);
/* Text for a C runtime error code (errno), for messages about files. */
const char *lm_os_strerror(int code);
/* This machine's host name, NUL-terminated. 0, or -1 with errno set. */
int lm_host_name(char *buf, size_t len);

/* ---- threads ----
 * The one thread API of the project (POSIX threads, or Win32 threads), so
 * no other file depends on <pthread.h> or C11 <threads.h>. */
typedef struct lm_thread lm_thread;
typedef struct lm_mutex lm_mutex;
/* Start fn(arg) on a new thread. LM_OK (0) with *out set, or -1. */
int lm_thread_start(lm_thread **out, void (*fn)(void *arg), void *arg);
/* Wait for the thread to return, and free it. */
void lm_thread_join(lm_thread *t);
/* NULL when out of resources. */
lm_mutex *lm_mutex_new(void);
void lm_mutex_free(lm_mutex *m);
void lm_mutex_lock(lm_mutex *m);
void lm_mutex_unlock(lm_mutex *m);

/* ---- files ----
 * Each returns 0, or -1 with errno set. */
/* Mode bits of a file (POSIX permission bits), or -1 with one line in err. */
int lm_file_mode(const char *path, char *err, size_t errlen);
/* 1 when something has this name, even a dangling symbolic link. */
int lm_path_exists(const char *path);
/* Make one directory (mode bits where the system has them). */
int lm_make_dir(const char *path, int mode);
/* Create path exclusively (EEXIST if it exists) with exactly `mode` where
 * the system has modes, write data, flush it to disk and close. On failure
 * nothing is left behind. */
int lm_file_create(const char *path, const void *data, size_t len, int mode);
/* A second name for a file; fails with EEXIST if `to` exists. */
int lm_file_link(const char *from, const char *to);
/* Rename `from` over `to`, replacing it in one step. */
int lm_file_replace(const char *from, const char *to);
/* Open a file for appending, creating it readable by its owner only (0600
 * on POSIX): for secrets such as the TLS key log. NULL with errno set. */
FILE *lm_file_append_private(const char *path);

#endif
