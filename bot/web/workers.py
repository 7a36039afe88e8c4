"""Processes around `faqbot serve`: the one-off build before serving, and the worker processes.

A server that had to build its index (or export the model) on first start used to keep torch
loaded for good: 830 MB resident instead of ~320 MB. The build now runs in a child process that
exits when done; the server itself then opens the finished build with the ONNX encoder and
never imports torch.

With several workers, the parent takes the port, makes sure the build is done (so that workers
never race to build it), then forks the workers before loading anything: each opens the index
and serves on the same listening socket, and the kernel hands each new connection to one of
them. The parent only supervises: a worker that dies is replaced, and SIGTERM or SIGINT stops
them all.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from bot.config import Settings
from bot.errors import UserError

log = logging.getLogger("faqbot")
RESTART_DELAY = 1.0  # seconds before a dead worker is replaced (a crash loop must not spin)


class _BuildNeeded(UserError):
    """Raised by a stand-in encoder factory: the index is not fresh."""


def _needs_build(settings: Settings) -> bool:
    """Whether opening the bot would build the index or export the model (and so maybe import torch)."""
    from bot.engine import ensure_index

    if settings.query_encoder != "torch":
        from bot.encoders import onnx_encoder
        from bot.encoders.torch_encoder import resolve_model_path

        try:
            model_path = resolve_model_path(settings.model)
        except UserError:
            return False  # opening the bot reports it
        folder = onnx_encoder.export_folder(settings.exports_path, settings.model)
        if onnx_encoder.verified_record(folder, model_path, settings.model) is None:
            return True

    def refuse():
        raise _BuildNeeded("build needed")

    try:
        ensure_index(settings, refuse, log=lambda message: None, progress=False)
    except _BuildNeeded:
        return True
    except UserError:
        return False  # a corpus or index problem: opening the bot reports it, with its exit code
    return False


def _build(settings: Settings, log_level: int) -> None:
    from bot.engine import FAQBot

    if log_level <= logging.INFO:  # say what is built, as the parent would have
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(log_level)
        log.propagate = False
    try:
        FAQBot.open(settings, progress=False)
    except UserError:
        sys.exit(1)  # the parent opens the bot next and reports the problem itself


def prepare_index(settings: Settings) -> None:
    """Build the index and export the model, if either is needed, in a child process (a new
    interpreter: nothing of this process is copied into it), so that torch never enters this one."""
    if not _needs_build(settings):
        return
    # A plain child Python rather than multiprocessing's spawn, which leaves a resource-tracker
    # process behind for the server's lifetime.
    subprocess.run([sys.executable, "-m", "bot.web.workers"], check=False,
                   input=pickle.dumps((settings, log.getEffectiveLevel())))


def worker_count(setting: int) -> int:
    return setting if setting > 0 else (os.cpu_count() or 1)


def supervise(count: int, run_worker: Callable[[int], None]) -> None:
    """Run ``run_worker(i)`` in ``count`` forked processes until SIGTERM or SIGINT; replace any
    that dies meanwhile. Returns when every worker has exited."""
    workers: dict[int, int] = {}  # pid -> worker number
    stopping = False

    def start(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker: serve, then leave without running the parent's cleanup
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                run_worker(number)
            except KeyboardInterrupt:
                pass
            except BaseException:
                logging.getLogger("faqbot").exception(f"Worker {number} failed")
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        workers[pid] = number

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(workers):
            try:
                os.kill(pid, signal.SIGTERM)  # uvicorn's graceful shutdown: requests in flight finish
            except ProcessLookupError:
                pass

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for number in range(count):
            start(number)
        while workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            number = workers.pop(pid, None)
            if number is None or stopping:
                continue
            log.warning(f"Worker {number} (pid {pid}) exited ({_exit_reason(status)}); starting another")
            time.sleep(RESTART_DELAY)
            if not stopping:
                start(number)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


if __name__ == "__main__":  # the build child of prepare_index
    from bot import offline  # noqa: F401  (before any model library loads)

    _build(*pickle.loads(sys.stdin.buffer.read()))
