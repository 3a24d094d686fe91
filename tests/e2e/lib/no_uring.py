#!/usr/bin/env python3
"""Runs a command with io_uring_setup refused (EPERM), as a container seccomp
profile or kernel.io_uring_disabled would: a seccomp filter installed on this
process only, inherited by the exec'd program. Linux x86_64 and aarch64
(io_uring_setup is syscall 425 on both). Exits 77 where that cannot be done.

usage: no_uring.py PROGRAM [ARGS...]
"""
import ctypes
import os
import platform
import struct
import sys

if platform.machine() not in ("x86_64", "aarch64"):
    sys.exit(77)

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, EPERM = 0x7FFF0000, 0x00050000, 1
NR_IO_URING_SETUP = 425

# struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
prog = [
    (BPF_LD_W_ABS, 0, 0, 0),  # A = seccomp_data.nr
    (BPF_JEQ_K, 0, 1, NR_IO_URING_SETUP),
    (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM),
    (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
]
raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
buf = ctypes.create_string_buffer(raw)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


fprog = SockFprog(len(prog), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
    sys.exit(77)
if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
    sys.exit(77)
os.execv(sys.argv[1], sys.argv[1:])
