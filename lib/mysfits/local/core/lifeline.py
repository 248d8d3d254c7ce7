"""Run a command; kill it when the local cloud dies (where PR_SET_PDEATHSIG is not available).

Usage: python lifeline.py FD -- COMMAND... where FD is the read end of a pipe whose write end
only the local cloud holds, so end-of-file on it means the cloud is gone. Signals sent to this
process go to the command, and this process exits as the command did. Run as a script (no
package imports), so it costs an interpreter start and nothing more.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading


def _watch(fd: int, child: subprocess.Popen[bytes]) -> None:
    while os.read(fd, 1):
        continue  # nobody writes; only end-of-file matters
    child.kill()


def main(argv: list[str]) -> int:
    fd, separator, *command = argv
    if separator != "--" or not command:
        print("usage: lifeline.py FD -- COMMAND...", file=sys.stderr)
        return 2
    os.set_inheritable(int(fd), False)
    started: list[subprocess.Popen[bytes]] = []
    early: list[int] = []  # signals that came before the command started: sent once it has

    def forward(number: int, _frame: object) -> None:
        if started:
            started[0].send_signal(number)
        else:
            early.append(number)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    child = subprocess.Popen(
        command, close_fds=False
    )  # keeps the other descriptors the cloud passed
    started.append(child)
    for number in early:
        child.send_signal(number)
    threading.Thread(target=_watch, args=(int(fd), child), daemon=True).start()
    code = child.wait()
    if code < 0:  # die of the same signal, so whoever waits for us sees what the command saw
        try:
            signal.signal(-code, signal.SIG_DFL)
        except (OSError, ValueError):
            pass  # SIGKILL and SIGSTOP keep their default anyway
        os.kill(os.getpid(), -code)
        return 128 - code  # a signal whose default is not to end the process
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
