/* lanmsg programs: the passphrase of an encrypted private key. */
#include "keypass.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lanmsg/tls.h"
#include "platform/os.h"
#include "util/text.h"

int lm_key_pass_get(const char *key_file, const char *pass_file, int allow_loose, char *buf,
                    size_t len, char *err, size_t errlen)
{
    char prompt[600], modeerr[200];

    if (pass_file) {
        FILE *f = fopen(pass_file, "rb");
        int mode;
        if (!f) {
            lm_format(err, errlen, LM_M_KEYPASS_CANNOT_READ, pass_file, strerror(errno));
            return -1;
        }
        mode = lm_file_mode(pass_file, modeerr, sizeof modeerr);
        if (mode >= 0 && (mode & 077) && !allow_loose) {
            fclose(f);
            lm_format(err, errlen, LM_M_TLS_KEY_PERMS, pass_file, (unsigned)mode & 07777,
                      pass_file);
            return -1;
        }
        if (!fgets(buf, (int)len, f))
            buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
        return 1;
    }
    if (!key_file || !lm_tls_key_is_encrypted(key_file))
        return 0;
    lm_format(prompt, sizeof prompt, LM_M_KEYPASS_PROMPT, key_file);
    return lm_read_secret(prompt, buf, len) == 0 ? 1 : 0;
}

void lm_key_pass_wipe(char *buf, size_t len)
{
    volatile char *p = buf;
    while (len--)
        *p++ = 0;
}
