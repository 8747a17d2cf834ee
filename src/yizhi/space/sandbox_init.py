"""Inside the sandbox: start the job's program, reap it and all it leaves behind, report its cost.

Standard library only; bound read-only into the sandbox and run by the sandbox's interpreter as
``init.py FD -- PROGRAM...``. Why: bubblewrap's outer process returns as soon as the job's exit code
is known and never reaps the sandbox's first process, so the platform's ``wait4`` sees none of the
job's CPU time or memory. This supervisor becomes the subreaper of everything the job starts, waits
for all of it, and writes ``{"exit": .., "signal": .., "cpu_seconds": .., "peak_memory_bytes": ..}``
to the pipe FD the platform passed in. It makes itself non-dumpable first, so the job (same uid, no
ptrace) cannot open the pipe through ``/proc/<pid>/fd``; the pipe is closed in the job's program.
If the job kills its supervisor the report is missing and the platform fails the job.
"""

import ctypes
import json
import os
import resource
import sys

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36


def main() -> None:
    report_fd = int(sys.argv[1])
    program = sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    os.set_inheritable(report_fd, False)
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(program[0], program)
        finally:
            os._exit(127)
    status = None
    while True:  # reap the job and every orphan it leaves, until none is left
        try:
            child, child_status = os.wait()
        except ChildProcessError:
            break
        if child == pid:
            status = child_status
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {"exit": os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
              "signal": os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
              "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
              "peak_memory_bytes": int(usage.ru_maxrss) * 1024}
    os.write(report_fd, json.dumps(report).encode())
    os.close(report_fd)
    code = report["exit"] if report["exit"] is not None else 128 + (report["signal"] or 0)
    os._exit(code)


if __name__ == "__main__":
    main()
