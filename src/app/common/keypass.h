/* lanmsg programs: the passphrase of an encrypted private key.
 *
 * From --key-pass-file when given (its first line; the file must be as
 * private as a key), otherwise asked on the terminal when the key is
 * encrypted and there is one. Without either, nothing is filled in and
 * loading the key says how to give one. */
#ifndef LANMSG_KEYPASS_H
#define LANMSG_KEYPASS_H

#include <stddef.h>

/* Fills buf and returns 1 when a passphrase was obtained, 0 when none is
 * needed or none could be asked for, -1 with one line in err when the
 * passphrase file is unusable. allow_loose: --allow-insecure-key-perms. */
int lm_key_pass_get(const char *key_file, const char *pass_file, int allow_loose, char *buf,
                    size_t len, char *err, size_t errlen);
/* Overwrite it once it has been handed over (the TLS layer keeps a copy). */
void lm_key_pass_wipe(char *buf, size_t len);

#endif
