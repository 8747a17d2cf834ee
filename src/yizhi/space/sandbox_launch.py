"""Stage a Tier B sandbox's host paths and become the unprivileged sandbox user, then exec bubblewrap.

Run by the platform (as root) with ``python -I -S sandbox_launch.py SPEC_JSON``; standard library
only, nothing of the platform imported. Why it exists: bubblewrap, once it has made its user
namespace, can only bind host paths its user may reach — and the platform's interpreter
(``/root/.pyenv``) and data directory are not reachable by an unprivileged uid. Running bubblewrap
as root instead would leave the job's files checked against host uid 0 (a root-owned 0600 file
bound by mistake would be readable). So this launcher, still root, makes a private mount namespace,
bind-mounts each path bubblewrap needs into a fresh tmpfs that any uid may traverse, sets the job's
resource limits, drops to the sandbox uid/gid with no supplementary groups, and execs bubblewrap,
which then binds from the staging area. The staging mounts live in the launcher's private mount
namespace only and vanish with it; the host never sees them.
"""

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def stage(spec: dict) -> None:
    """Build the sandbox's /runtime, /project, /data and /output under the staging folder.

    Entries are (host source, path under the stage, writable); an empty source mounts a tmpfs (it
    hides the interpreter's own site-packages before the allow-listed packages are bound into it).
    Bubblewrap then binds the four top folders recursively: a handful of binds for it to make
    instead of a hundred (each of its binds re-reads the mount table).
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = spec["stage"]
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for source, relative, writable in spec["binds"]:
        target = os.path.join(root, relative)
        if not source:
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
            continue
        if not os.path.lexists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(source):
                os.mkdir(target)
            else:
                open(target, "w").close()
        _mount(source, target, None, MS_BIND | MS_REC)
        if not writable:
            _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for source, relative, _writable in spec["binds"]:
        if not source:  # the site-packages tmpfs: nothing more is mounted into it
            _mount(None, os.path.join(root, relative), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")


def limit(spec: dict) -> None:
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))


def drop(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def main() -> None:
    spec = json.loads(sys.argv[1])
    try:
        stage(spec)
        drop(spec["uid"])
        limit(spec)
    except OSError as exc:
        sys.stderr.write(f"yizhi-sandbox: cannot prepare the sandbox: {exc}\n")
        os._exit(125)
    for fd in spec.get("keep_fds", []):
        os.set_inheritable(fd, True)
    os.execv(spec["argv"][0], spec["argv"])


if __name__ == "__main__":
    main()
