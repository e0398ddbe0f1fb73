/* Binary standard I/O for every lanmsg program on Windows.
 *
 * Compiled into each executable (CMake adds it as an interface source of
 * the library), because it must run before main whichever parts of the
 * library a program uses. In text mode the C runtime would add CR before
 * every LF of a message and stop reading piped input at a Ctrl-Z byte;
 * lanmsg passes bytes through unchanged, as it does on POSIX. */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void lm_win32_binary_stdio(void)
{
    _fmode = _O_BINARY; /* files opened later without 'b' or 't' */
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
}
