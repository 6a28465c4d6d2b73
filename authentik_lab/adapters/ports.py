"""Is a TCP port on this machine free to publish? A bind test, the same thing Docker will try a moment later."""

from __future__ import annotations

import errno
import socket


def port_in_use(host: str, port: int) -> bool:
    """True only when something already listens there. Other bind errors (an address this machine does not have,
    no IPv6) are Docker's to report; SO_REUSEADDR keeps a port in TIME_WAIT after `authlab down` from counting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False
