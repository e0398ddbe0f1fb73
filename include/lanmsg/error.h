/* lanmsg: one error convention for every layer.
 *
 * Functions that move bytes return a count (>= 0) or one of these negative
 * codes. Functions that only succeed or fail return LM_OK or a code. The
 * would-block pair is shared by the plain and TLS backends so that one event
 * loop drives both: a TLS read may want a write and vice versa, and the caller
 * waits for what was asked, not for what it was doing. */
#ifndef LANMSG_ERROR_H
#define LANMSG_ERROR_H

enum lm_status {
    LM_OK = 0,
    LM_ERR = -1,         /* generic failure; the object's last error says why */
    LM_WANT_READ = -2,   /* call again when the socket is readable */
    LM_WANT_WRITE = -3,  /* call again (same buffer) when it is writable */
    LM_ERR_TLS = -4,     /* TLS protocol failure (alert, bad record, ...) */
    LM_ERR_VERIFY = -5,  /* peer certificate failed verification */
    LM_ERR_NOT_TLS = -6, /* the peer answered, but not in TLS */
    LM_ERR_CONFIG = -7,  /* bad configuration: files, keys, options */
    LM_ERR_RESET = -8,   /* the peer vanished (reset, or EOF mid-record) */
    LM_ERR_NO_HOST = -9, /* a host name that does not resolve */
};

/* Exit codes shared by the programs. */
enum lm_exit {
    LM_EXIT_OK = 0,
    LM_EXIT_RUNTIME = 1, /* network or runtime failure */
    LM_EXIT_USAGE = 2,   /* usage or configuration error */
    LM_EXIT_TLS = 3,     /* TLS or certificate verification failure */
};

#endif
