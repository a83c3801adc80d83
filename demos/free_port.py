"""`python -m demos.free_port 6006` prints the first port from 6006 on that 127.0.0.1 can listen on
(`make demo` starts TensorBoard there), and says on stderr when it is not the one asked for."""

from __future__ import annotations

import socket
import sys


def free_port(start: int, attempts: int = 100) -> int:
    for port in range(start, start + attempts):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {start}..{start + attempts - 1}")


if __name__ == "__main__":
    wanted = int(sys.argv[1])
    port = free_port(wanted)
    if port != wanted:
        print(f"port {wanted} is taken: using {port}", file=sys.stderr)
    print(port)
