/* A minimal assertion for the unit tests: on failure, say where and what,
 * then exit 1 so that CTest marks the program failed. No framework: each test
 * program is a main() that calls its cases in order. */
#ifndef LANMSG_TEST_CHECK_H
#define LANMSG_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#endif
