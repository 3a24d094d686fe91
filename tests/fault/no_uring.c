/* no_uring: runs a program with io_uring refused, as a container seccomp
 * profile or kernel.io_uring_disabled=2 would refuse it: io_uring_setup
 * (and io_uring_enter / io_uring_register) fail with EPERM. The filter is a
 * classic BPF program installed with prctl (no libseccomp), inherited by the
 * exec'd program and everything it starts.
 *
 *   no_uring [--engine-auto] PROGRAM [ARGS...]
 *
 * --engine-auto replaces the value of any "--engine X" / "--engine=X"
 * argument by "auto": a test suite that starts pricelaned with
 * "--engine uv" then runs every server through the automatic fallback
 * (auto → io_uring refused → libuv), and its checks that expect the libuv
 * engine still hold.
 *
 * If NO_URING_LOG names a file, a line "no_uring: ARGS..." (the arguments
 * as run) is appended to it for each launch, so a test can count them.
 *
 * Exit status: the program's; 77 when the filter cannot be installed here
 * (another architecture, no seccomp), 127 when the program cannot be run.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

/* The generic syscall numbers (the same on x86_64 and aarch64). */
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif

#define DENY(nr)                                                                                   \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                               \
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

int main(int argc, char **argv)
{
    int first = 1, engine_auto = 0;
    if (argc > 1 && strcmp(argv[1], "--engine-auto") == 0) {
        engine_auto = 1;
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: no_uring [--engine-auto] PROGRAM [ARGS...]\n");
        return 2;
    }
#ifndef ARCH
    fprintf(stderr, "no_uring: unsupported architecture\n");
    return 77;
#else
    struct sock_filter prog[] = {
        /* Another architecture's numbers mean other calls: allow them. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        DENY(__NR_io_uring_setup),
        DENY(__NR_io_uring_enter),
        DENY(__NR_io_uring_register),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = {.len = sizeof prog / sizeof prog[0], .filter = prog};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0) {
        fprintf(stderr, "no_uring: cannot install the seccomp filter: %s\n", strerror(errno));
        return 77;
    }
    if (engine_auto) {
        for (int i = first; i < argc; i++) {
            if (strcmp(argv[i], "--engine") == 0 && i + 1 < argc)
                argv[++i] = "auto";
            else if (strncmp(argv[i], "--engine=", 9) == 0)
                argv[i] = "--engine=auto";
        }
    }
    const char *logp = getenv("NO_URING_LOG");
    FILE *lf = logp && *logp ? fopen(logp, "a") : NULL;
    if (lf) {
        fputs("no_uring:", lf);
        for (int i = first; i < argc; i++)
            fprintf(lf, " %s", argv[i]);
        fputc('\n', lf);
        fclose(lf);
    }
    execvp(argv[first], argv + first);
    fprintf(stderr, "no_uring: %s: %s\n", argv[first], strerror(errno));
    return 127;
#endif
}
