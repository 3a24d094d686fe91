/* Random 64-bit numbers for identities and secret seeds: catalogue ids and
 * states, the seeds of hashes that face the network. */
#pragma once
#include <stdint.h>

/* The kernel's random bytes (getrandom); where the kernel refuses (an old
 * kernel, a seccomp filter), the realtime and monotonic clocks, the process
 * id and a per-process counter, mixed: never the same twice in a process,
 * unknown outside it, if weaker than the kernel's. Thread-safe. */
uint64_t pl_random_u64(void);
