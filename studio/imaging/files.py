"""Writing the user's files atomically, with the permissions any program's output has.

``tempfile.mkstemp`` makes files mode 0600 whatever the umask, and an ``os.replace``
keeps that mode: every exported image used to be private. Here the temporary file is
created with mode 0666 and the kernel applies the umask (and any default ACL) as it
would for ``open(path, "w")``, so an export is 0644 under the usual umask 022 and 0600
under 077. Nothing reads or changes the process umask (that would race other threads).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def new_temp(path: Path) -> Path:
    """Create an empty, uniquely named temporary file beside ``path`` (mode 0666 less
    the umask) and return its path; the caller fills it and renames it into place."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, _FLAGS, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"Could not make a temporary file beside {path.name}.")


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed onto ``path`` when the block
    ends without error, removed when it fails (no partial file is ever left)."""
    target = Path(path)
    tmp = new_temp(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
    target = Path(path)
    with replacing(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return target
