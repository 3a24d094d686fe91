/* Giving the CPU back during a long write. A batch applier that shares a
 * CPU with lookup workers holds it, once the kernel runs it, until the
 * kernel's next tick (4 ms at HZ=250): lookups that arrive meanwhile wait
 * that long. With pl_cpu_share_every(us) set, each pl_cpu_share() (called
 * between rows and between items) yields the CPU (sched_yield: another
 * runnable thread of this CPU runs first) once this thread has used `us`
 * microseconds of CPU since it last did; with nothing else runnable on
 * its CPU the yield returns at once. */
#pragma once

/* For this thread: yield every `us` microseconds of CPU; 0 (the default):
 * never. */
void pl_cpu_share_every(unsigned us);

/* A point where this thread may give the CPU back (see above). */
void pl_cpu_share(void);

/* Yields this thread has made (for tests and statistics). */
unsigned long pl_cpu_share_yields(void);
