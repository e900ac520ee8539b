/* bench-util.h - what the benchmark clients (popbench, imapbench) share:
 * a monotonic clock and a fatal-error exit naming the program. Built by
 * bench/Makefile into each client; not part of the main build. */
#ifndef LOFT_BENCH_UTIL_H
#define LOFT_BENCH_UTIL_H

/* The name that prefixes bench_die()'s message ("imapbench"); each client
 * defines it. */
extern const char *const bench_progname;

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);
/* Prints "<progname>: <message>" on stderr and exits with status 2. */
void bench_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
