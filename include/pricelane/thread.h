/* Threads that take no signal. */
#pragma once
#include <pthread.h>

/* pthread_create(t, NULL, fn, arg) with every signal blocked in the new
 * thread: a process's signals belong to the thread that handles them (the
 * server's control loop), and a stop signal taken by any other thread
 * while the handler's thread blocks it for its teardown would end the
 * process by its default action. The caller's mask is left as it was.
 * Returns pthread_create's result. */
int pl_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
