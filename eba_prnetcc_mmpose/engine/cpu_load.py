"""How much of the CPU a process gets: run-queue waits of its threads, load, cores, thread counts.

A thread that is ready to run but finds every core busy waits in the kernel's run queue; Linux
counts that time per thread in ``/proc/<pid>/task/<tid>/schedstat`` (ns on a CPU, ns waiting).
The fraction of runnable time spent waiting is a direct measure of oversubscription, whoever
causes it (this process's own threads, its data workers or another job), and it does not depend
on what a "normal" iteration time would be. Elsewhere (no ``/proc``) the meter reads nothing.
"""
import os
from typing import Dict, Optional, Tuple, Union


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> Optional[float]:
    """The 1-minute load average (runnable + uninterruptible tasks), or None where unknown."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def thread_schedstats(pid: Union[int, str] = 'self') -> Dict[int, Tuple[int, int]]:
    """``{tid: (ns on a CPU, ns runnable but waiting for a CPU)}`` for each thread of ``pid``.

    Empty where the kernel does not expose ``schedstat`` (non-Linux, ``CONFIG_SCHED_INFO`` off).
    """
    base = f'/proc/{pid}/task'
    stats = {}
    try:
        tids = os.listdir(base)
    except OSError:
        return stats
    for tid in tids:
        try:
            with open(f'{base}/{tid}/schedstat') as f:
                run_ns, wait_ns = f.read().split()[:2]
            stats[int(tid)] = (int(run_ns), int(wait_ns))
        except (OSError, ValueError):  # the thread ended while we listed them
            continue
    return stats


class CPUWaitMeter:
    """Fraction of runnable time the threads of one process waited for a core, between reads.

    Args:
        pid (int | str): The process; ``'self'`` (default) is the caller.
    """

    def __init__(self, pid: Union[int, str] = 'self'):
        self.pid = pid
        self._last = thread_schedstats(pid)

    @property
    def available(self) -> bool:
        """Whether this system reports per-thread run-queue waits."""
        return bool(self._last)

    def read(self) -> Optional[Tuple[float, float]]:
        """``(wait fraction, CPU seconds)`` of the process's threads since the previous read (or
        construction); None when nothing ran or the system does not report it."""
        now = thread_schedstats(self.pid)
        run = wait = 0
        for tid, (run_ns, wait_ns) in now.items():
            run0, wait0 = self._last.get(tid, (0, 0))  # a new thread: all of its time is new
            run += run_ns - run0
            wait += wait_ns - wait0
        self._last = now
        if run + wait <= 0:
            return None
        return wait / (run + wait), run / 1e9


def oversubscription_advice(wait: float, torch_threads: int, num_workers: int, cores: int,
                            load: Optional[float], sec_per_iter: Optional[float] = None,
                            iters: Optional[int] = None) -> str:
    """The one log line :class:`CPUThreadsHook` writes when the CPU is oversubscribed: what was
    measured and what to set."""
    what = (f'over the last {iters} iterations ({sec_per_iter:.2f} s each) '
            if iters and sec_per_iter else '')
    load_txt = f'1-min load {load:.1f}' if load is not None else 'load unknown'
    msg = (f'CPU oversubscribed: {what}this process\'s threads waited for a core {wait:.0%} of '
           f'the time they were ready to run ({load_txt} on {cores} cores; torch uses '
           f'{torch_threads} thread{"s" if torch_threads != 1 else ""}, {num_workers} data '
           'workers). ')
    if torch_threads > 1:
        msg += ('Set OMP_NUM_THREADS=1 for this job (or CPUThreadsHook num_threads=1 in the '
                'config) and for other torch jobs on this machine')
    else:
        msg += ('This job already runs torch on 1 thread: give other torch jobs on this machine '
                'OMP_NUM_THREADS=1 too')
    if torch_threads + num_workers > cores and num_workers > 0:
        msg += f', or lower train_dataloader.num_workers (now {num_workers})'
    return msg + ' (docs/train_test.md, "CPU threads on a shared machine").'
