"""The seccomp filter of Tier B jobs: system calls a job never needs are refused with EPERM.

Built with libseccomp (through ``pyseccomp``, ctypes bindings with libseccomp's own Python API)
rather than hand-written BPF: libseccomp knows every architecture's syscall numbers, adds the
architecture check (a 32-bit or x32 system call from a 64-bit job kills it instead of slipping past
the table) and orders the comparisons. The compiled BPF program is handed to bubblewrap, which
installs it right before it starts the job (``bwrap --seccomp FD``).

Refused, beside the namespaces bubblewrap already unshared:
- the network: ``socket`` for every family but ``AF_UNIX`` (no network namespace route exists
  either; this also closes netlink and packet sockets to the kernel);
- looking into or steering other processes: ``ptrace``, ``process_vm_readv/writev``,
  ``pidfd_getfd``, ``kcmp``;
- changing the file system view or making new namespaces: ``mount`` and the new mount API,
  ``pivot_root``, ``chroot``, ``unshare``, ``setns``, ``clone`` with any ``CLONE_NEW*`` flag
  (``clone3`` answers ENOSYS so the C library falls back to ``clone``, whose flags can be read);
- kernel attack surface a data-analysis job has no use for: ``bpf``, ``keyctl``/``add_key``/
  ``request_key``, ``perf_event_open``, ``userfaultfd``, ``io_uring_*``, modules, ``kexec``,
  ``open_by_handle_at``, ``swapon``, ``reboot``, ``syslog``, clocks, ``iopl``/``ioperm``;
- typing into the terminal of whoever started the job: ``ioctl(TIOCSTI)``.
"""

from __future__ import annotations

import errno
import os
import tempfile

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "unshare", "setns",
    "bpf", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "syslog", "acct",
    "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm",
    "fanotify_init", "lookup_dcookie", "vhangup", "uselib", "sethostname", "setdomainname",
)
AF_UNIX = 1
TIOCSTI = 0x5412
TIOCLINUX = 0x541C
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
                   0x00000080)


def build_filter():
    """The libseccomp filter object (default: allow; the calls above: EPERM)."""
    import pyseccomp as seccomp

    refuse = seccomp.ERRNO(errno.EPERM)
    flt = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED:
        try:
            flt.add_rule(refuse, name)
        except (OSError, ValueError, RuntimeError):
            continue  # a call this kernel/libseccomp does not know cannot be made either
    flt.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    for flag in CLONE_NEW_FLAGS:
        flt.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for request in (TIOCSTI, TIOCLINUX):
        flt.add_rule(refuse, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    return flt


_BPF: bytes | None = None


def bpf_program() -> bytes:
    """The compiled classic-BPF program (built once per process)."""
    global _BPF
    if _BPF is None:
        with tempfile.TemporaryFile() as handle:
            build_filter().export_bpf(handle)
            handle.seek(0)
            _BPF = handle.read()
    return _BPF


def bpf_fd() -> int:
    """A readable file descriptor holding the program, positioned at its start (for ``--seccomp``)."""
    read_end, write_end = os.pipe()
    program = bpf_program()
    if len(program) > 60000:  # a pipe holds 64 KiB; the program is a few KiB
        raise RuntimeError("seccomp program larger than a pipe buffer")
    os.write(write_end, program)
    os.close(write_end)
    return read_end
