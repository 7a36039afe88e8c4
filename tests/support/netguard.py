"""Imported first by test child processes: refuses and records every network connection or
name lookup that is not to this machine, so tests can prove the product works offline.

Records go to the file named by $FAQBOT_NETGUARD_LOG, one line each.
"""

import ipaddress
import os
import sys

LOG = os.environ.get("FAQBOT_NETGUARD_LOG")
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


def _is_local(host) -> bool:
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _record(what: str) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as handle:
            handle.write(what + "\n")


def _hook(event: str, args) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and not _is_local(address[0]):
            _record(f"connect {address}")
            raise OSError(f"netguard: refused connection to {address}")
    elif event == "socket.getaddrinfo":
        if not _is_local(args[0]):
            _record(f"getaddrinfo {args[0]}")
            raise OSError(f"netguard: refused name lookup of {args[0]}")


sys.addaudithook(_hook)
