"""`zwbot run --workers N`: N processes serving one listening socket, kept running by their parent.

The parent binds the port and prepares everything once (migrations, the knowledge import, the model),
then forks the workers, which inherit the socket: the kernel hands each new connection to one of them.
A worker that dies (a crash, SIGKILL) is started again; the others serve on meanwhile, and its citizens'
conversations go on elsewhere (their state is in PostgreSQL, their locks expire in Redis). SIGTERM or
SIGINT to the parent stops every worker the graceful way (turns in flight finish) and then the parent.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

RESTART_PAUSE = 1.0  # seconds before a dead worker is started again (no tight crash loop)


def supervise(count: int, work: Callable[[], None]) -> None:
    """Run `work` in `count` forked workers until SIGTERM/SIGINT; restart any that dies meanwhile."""
    children: dict[int, int] = {}  # pid → worker number
    stopping = False

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker: default signal handling (its event loop installs its own)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                work()
            except KeyboardInterrupt:
                pass
            except BaseException as error:  # noqa: BLE001 - whatever it was, the parent starts a new one
                print(f"工作进程 {number} 出错退出：{error!r}", file=sys.stderr, flush=True)
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        children[pid] = number

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for first in range(1, count + 1):
        spawn(first)
    print(f"zwbot 已启动 {count} 个工作进程（进程号 {', '.join(map(str, children))}）", flush=True)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        number = children.pop(pid) if pid in children else None
        if number is None or stopping:
            continue
        how = f"信号 {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"退出码 {os.WEXITSTATUS(status)}"
        print(f"工作进程 {number}（进程号 {pid}）意外退出（{how}），正在重新启动", file=sys.stderr, flush=True)
        time.sleep(RESTART_PAUSE)
        if not stopping:
            spawn(number)
    print("zwbot 已停止：所有工作进程已退出。", flush=True)
