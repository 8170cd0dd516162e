"""Ports on this computer: find a free one, or explain in plain words why one cannot be used.

Shared by every command that starts a server (``qilab lab``, ``qilab cases``), so each fails
early with the same one-line message instead of Jupyter's or Voila's traceback.
"""

from __future__ import annotations

import errno
import os
import socket

from qilab.errors import QilabError


def free_port(ip: str = "127.0.0.1") -> int:
    """Ask the operating system for a port nobody is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def check_port(port: int, ip: str = "127.0.0.1", command: str = "qilab lab") -> None:
    """Fail early, in plain words, if the port is taken (Jupyter would print a traceback).

    ``command`` is the command the person ran, so the hint shows them what to type next.
    """
    if not 0 < port < 65536:
        raise QilabError(f"Port {port} is not a valid port: use a number from 1024 to 65535.")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name != "nt":
            # As the servers themselves bind (Tornado, Node): a port whose last connections
            # are still in TIME_WAIT after a restart is free to listen on again. (Windows'
            # SO_REUSEADDR would let two servers share a port, so not there.)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise QilabError(
                    f"Port {port} is in use (is QI Lab already running?): stop the other server "
                    f"or choose another port, e.g. `{command} --port 0` for any free port."
                ) from exc
            raise QilabError(f"Cannot listen on {ip}:{port}: {exc.strerror}.") from exc
