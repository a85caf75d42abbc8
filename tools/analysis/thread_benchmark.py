"""Training iterations/s of the demo model, quiet and beside a competing torch process, for torch's
default threads against the configured setting; ratios measured in one run.

    python tools/analysis/thread_benchmark.py [--out benchmarks/threads_2core.json] [--quick]

Each setting ("arm") trains in a fresh process on the config's data pipeline and data workers:

- ``default``: torch's default threads in the main process (one per core), the config's data
  workers and ``env_cfg`` (what the config did before it set threads);
- ``configured``: the same plus the main-process threads that the config's ``CPUThreadsHook``
  sets (``num_threads``).

Each arm is timed in three conditions: ``quiet``; ``competitor`` (a second torch job at torch's
default threads training a small conv net: what another user's job does unless told otherwise);
``competitor_1thread`` (that job with ``OMP_NUM_THREADS=1``). The arms alternate over
``--reps`` repetitions and the medians are reported; ratios compare numbers from the same run.
Every phase also records how much of the time the trainer's threads waited for a core (what
``CPUThreadsHook`` judges) and the competitor's own steps/s. ``--quick`` runs the path in
seconds for the test (tiny data, batch 2, one iteration per phase, both arms in one process,
quiet and the default-threads competitor only); its numbers mean nothing. The full run takes
about ``reps x 2 x (20 s + 3 x phase-seconds)`` plus the slow iterations under contention.
"""
import argparse
import json
import os
import os.path as osp
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools import DEMO_CONFIG, REPO  # noqa: E402

CONDITIONS = ('quiet', 'competitor', 'competitor_1thread')
ARMS = ('default', 'configured')
_THREAD_VARS = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS')


def clean_env(**extra) -> dict:
    """The caller's environment without thread-count variables (torch's default), plus
    ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARS}
    env.update(PYTHONWARNINGS='ignore', **{k: str(v) for k, v in extra.items()})
    return env


# ---- competitor: another torch job --------------------------------------------------------------

def run_competitor(batch: int) -> None:
    """Build a small conv net, wait for 'go' on stdin, then train it on random data until
    SIGTERM (or until the parent is gone); print 'ready' after the first step and
    ``steps seconds`` (counted from 'ready') at the end."""
    import torch
    from torch import nn
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    parent = os.getppid()
    net = nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = torch.randn(batch, 3, 128, 96), torch.randint(0, 10, (batch, ))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    if sys.stdin.readline().strip() != 'go':  # the parent went away before this phase
        return
    step()
    print('ready', flush=True)
    steps, t0 = 0, time.perf_counter()
    while not stop and os.getppid() == parent and time.perf_counter() - t0 < 3600:
        step()
        steps += 1
    print(f'{steps} {time.perf_counter() - t0:.4f}', flush=True)


class Competitor:
    """A competitor process (``threads``: None = torch's default), started early so that its
    imports are done when its phase begins; it waits, using no CPU, until :meth:`start`."""

    def __init__(self, threads, batch: int):
        env = clean_env() if threads is None else clean_env(OMP_NUM_THREADS=threads)
        self.proc = subprocess.Popen(
            [sys.executable, osp.abspath(__file__), '--role', 'competitor',
             '--competitor-batch', str(batch)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def start(self) -> None:
        self.proc.stdin.write('go\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        if line != 'ready':
            raise RuntimeError(f'competitor did not start: {line!r}')

    def stop(self) -> float:
        """Stop it; its steps/s while it ran."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=120)
        steps, seconds = out.split()[-2:]
        return int(steps) / float(seconds) if float(seconds) > 0 else 0.0

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---- trainer: one arm, every condition --------------------------------------------------------

def configured_threads(cfg):
    """``num_threads`` of the config's ``CPUThreadsHook`` (None when it has none)."""
    for hook in cfg.get('custom_hooks', None) or []:
        if hook.get('type') == 'CPUThreadsHook':
            return hook.get('num_threads')
    return None


def run_trainer(args) -> None:
    """Time the demo model's training iterations in every condition, for each arm in turn (one
    process per arm in a full run); print one JSON line per arm."""
    threads = {'competitor': None, 'competitor_1thread': 1}
    competitors = {(arm, c): Competitor(threads[c], args.competitor_batch)
                   for arm in args.arm for c in args.conditions if c != 'quiet'}
    try:
        _time_arms(args, competitors)
    finally:
        for comp in competitors.values():
            comp.close()


def _time_arms(args, competitors) -> None:
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    from mmengine.utils.dl_utils import set_multi_processing
    from mmpose.registry import MODELS

    from eba_prnetcc_mmpose.engine.cpu_load import CPUWaitMeter
    from eba_prnetcc_mmpose.engine.hooks.cpu_threads_hook import apply_torch_threads
    from eba_tools.demo_job import set_data_root

    default_threads = torch.get_num_threads()  # no thread variables in this environment
    cfg = Config.fromfile(args.config)
    set_data_root(cfg, args.data_root)
    env_cfg = cfg.get('env_cfg', {})
    set_multi_processing(**env_cfg.get('mp_cfg', {}), distributed=False)  # as Runner.setup_env
    torch.manual_seed(0)
    DefaultScope.get_instance('thread_benchmark', scope_name='mmpose')
    loader_cfg = cfg.train_dataloader.copy()
    if args.batch_size:
        loader_cfg['batch_size'] = args.batch_size
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)

    def batches():
        while True:
            yield from loader

    data = batches()

    def step():
        model.train_step(next(data), optim_wrapper=optim)

    for arm in args.arm:
        torch.set_num_threads(default_threads)
        if arm == 'configured':
            apply_torch_threads(configured_threads(cfg))
        for _ in range(args.warmup):
            step()
        result = dict(arm=arm, torch_threads=torch.get_num_threads(),
                      batch_size=loader_cfg['batch_size'],
                      num_workers=loader_cfg.get('num_workers', 0), phases={})
        for cond in args.conditions:
            comp = competitors.get((arm, cond))
            if comp is not None:
                comp.start()
            meter = CPUWaitMeter()
            n, t0 = 0, time.perf_counter()
            while n < args.min_iters or time.perf_counter() - t0 < args.phase_seconds:
                step()
                n += 1
            elapsed = time.perf_counter() - t0
            wait = meter.read()
            phase = dict(iters=n, seconds=round(elapsed, 3), its_per_s=n / elapsed,
                         cpu_wait=None if wait is None else round(wait[0], 4))
            if comp is not None:
                phase['competitor_steps_per_s'] = comp.stop()
            result['phases'][cond] = phase
        print('RESULT ' + json.dumps(result), flush=True)


# ---- parent: arms x reps, ratios, JSON --------------------------------------------------------

def run_arms(arms, args, data_root: str) -> list:
    """One trainer process timing ``arms`` in turn; their results."""
    cmd = [sys.executable, osp.abspath(__file__), '--role', 'trainer', '--arm', *arms,
           '--config', args.config, '--data-root', data_root, '--warmup', str(args.warmup),
           '--min-iters', str(args.min_iters), '--phase-seconds', str(args.phase_seconds),
           '--competitor-batch', str(args.competitor_batch), '--conditions', *args.conditions]
    if args.batch_size:
        cmd += ['--batch-size', str(args.batch_size)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=3600)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith('RESULT ')]
    if res.returncode != 0 or len(lines) != len(arms):
        raise RuntimeError(f'trainer {arms} failed:\n{(res.stdout + res.stderr)[-3000:]}')
    return [json.loads(ln[len('RESULT '):]) for ln in lines]


def summarise(runs: dict, conditions=CONDITIONS) -> dict:
    """Medians over repetitions per arm and condition, and the ratios between them."""
    res = {}
    for arm, reps in runs.items():
        res[arm] = dict(torch_threads=reps[0]['torch_threads'], phases={})
        for cond in conditions:
            ph = [r['phases'][cond] for r in reps]
            entry = dict(its_per_s=statistics.median(p['its_per_s'] for p in ph),
                         its_per_s_runs=[round(p['its_per_s'], 4) for p in ph],
                         sec_per_iter=1 / statistics.median(p['its_per_s'] for p in ph))
            waits = [p['cpu_wait'] for p in ph if p['cpu_wait'] is not None]
            entry['cpu_wait'] = statistics.median(waits) if waits else None
            comp = [p['competitor_steps_per_s'] for p in ph if 'competitor_steps_per_s' in p]
            if comp:
                entry['competitor_steps_per_s'] = statistics.median(comp)
            res[arm]['phases'][cond] = entry
    d, c = res['default']['phases'], res['configured']['phases']
    ratios = dict(
        configured_over_default={k: c[k]['its_per_s'] / d[k]['its_per_s'] for k in conditions},
        speed_held={arm: {k: res[arm]['phases'][k]['its_per_s']
                          / res[arm]['phases']['quiet']['its_per_s']
                          for k in conditions if k != 'quiet'} for arm in res},
        competitor_configured_over_default={
            k: c[k]['competitor_steps_per_s'] / d[k]['competitor_steps_per_s']
            for k in conditions if d[k].get('competitor_steps_per_s')})
    return dict(arms=res, ratios=ratios)


def _r(x):
    return round(x, 4) if isinstance(x, float) else x


def _round(obj):
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return _r(obj)


def print_table(summary: dict, info: dict, conditions=CONDITIONS) -> None:
    print(f"\n{info['cpu']} ({info['cpu_count']} cores; flags {' '.join(info['cpu_flags'])}); "
          f"torch {info['torch']}")
    print(f"{'arm':<11}{'threads':>8}  " + ''.join(f'{c:>28}' for c in conditions))
    for arm, a in summary['arms'].items():
        cells = []
        for cond in conditions:
            p = a['phases'][cond]
            comp = (f" | {p['competitor_steps_per_s']:.1f}"
                    if 'competitor_steps_per_s' in p else '')
            cells.append(f"{p['its_per_s']:.2f} it/s w{p['cpu_wait'] or 0:.0%}{comp}")
        print(f"{arm:<11}{a['torch_threads']:>8}  " + ''.join(f'{c:>28}' for c in cells))
    r = summary['ratios']
    print('configured / default it/s: ' + ', '.join(
        f'{k} {v:.2f}x' for k, v in r['configured_over_default'].items()))
    for arm, held in r['speed_held'].items():
        print(f'{arm}: speed held beside a competitor: ' + ', '.join(
            f'{k} {v:.2f}' for k, v in held.items()))
    if r['competitor_configured_over_default']:
        print('competitor steps/s, configured / default: ' + ', '.join(
            f'{k} {v:.2f}x' for k, v in r['competitor_configured_over_default'].items()))
    print('(w = share of runnable time the trainer\'s threads waited for a core; '
          '| competitor steps/s)')


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--config', default=DEMO_CONFIG, help='training config (its model, data '
                   'pipeline, workers, env_cfg and CPUThreadsHook)')
    p.add_argument('--data-root', default=osp.join(REPO, 'data', 'synthetic_coco'),
                   help='synthetic COCO data (generated there if absent)')
    p.add_argument('--out', help='JSON result (default: benchmarks/threads_<N>core.json; with '
                   '--quick: work_dirs/thread_benchmark_quick.json)')
    p.add_argument('--reps', type=int, default=2, help='repetitions of each arm, alternating')
    p.add_argument('--phase-seconds', type=float, default=12.0,
                   help='least seconds timed per condition')
    p.add_argument('--min-iters', type=int, default=4, help='least iterations timed per condition')
    p.add_argument('--warmup', type=int, default=5, help='untimed iterations first')
    p.add_argument('--batch-size', type=int, help="override the config's batch size")
    p.add_argument('--competitor-batch', type=int, default=16, help="the competitor's batch")
    p.add_argument('--conditions', nargs='+', choices=CONDITIONS, default=list(CONDITIONS),
                   help="conditions timed ('quiet' first, it is the reference)")
    p.add_argument('--quick', action='store_true',
                   help='seconds-long smoke run (tiny data, batch 2): checks the path, not speed')
    p.add_argument('--role', choices=('parent', 'trainer', 'competitor'), default='parent',
                   help=argparse.SUPPRESS)
    p.add_argument('--arm', nargs='+', choices=ARMS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.role == 'competitor':
        return run_competitor(args.competitor_batch)
    if args.role == 'trainer':
        return run_trainer(args)
    if not osp.isfile(args.config):
        p.error(f'config file not found: {args.config}')
    if args.conditions[0] != 'quiet':
        p.error("--conditions: 'quiet' comes first (the reference of the ratios)")

    from eba_tools.machine import machine_info
    tmp = None
    if args.quick:
        from eba_tools.synthetic_coco import generate_synthetic_coco
        tmp = tempfile.TemporaryDirectory(prefix='thread_benchmark_')
        data_root = osp.join(tmp.name, 'data')
        generate_synthetic_coco(data_root, num_train=4, num_val=1, image_size=(128, 128), seed=0,
                                progress=False)
        args.reps, args.phase_seconds, args.min_iters, args.warmup = 1, 0.0, 1, 1
        args.batch_size, args.competitor_batch = args.batch_size or 2, 2
        args.conditions = ['quiet', 'competitor']
    else:
        from eba_tools.demo_job import ensure_synthetic_data
        data_root = args.data_root
        ensure_synthetic_data(data_root)
    info = machine_info()
    info['torch_threads_default'] = info.pop('torch_threads')
    if args.out is None:
        args.out = (osp.join(REPO, 'work_dirs', 'thread_benchmark_quick.json') if args.quick else
                    osp.join(REPO, 'benchmarks', f"threads_{info['cpu_count']}core.json"))
    t0 = time.perf_counter()
    runs = {arm: [] for arm in ARMS}
    for rep in range(args.reps):
        order = ARMS if rep % 2 == 0 else ARMS[::-1]  # alternate to even out drift
        groups = [order] if args.quick else [[arm] for arm in order]  # quick: one process
        for group in groups:
            for r in run_arms(group, args, data_root):
                runs[r['arm']].append(r)
                print(f"rep {rep + 1}/{args.reps} {r['arm']}: " + ', '.join(
                    f"{c} {r['phases'][c]['its_per_s']:.2f} it/s" for c in args.conditions),
                    flush=True)
    summary = summarise(runs, args.conditions)
    first = runs['default'][0]
    out = dict(
        what='training iterations/s of the config\'s model and data pipeline in a fresh process '
             'per arm; conditions: quiet, beside a torch job at default threads, beside that job '
             'with OMP_NUM_THREADS=1',
        config=osp.relpath(args.config, REPO), mode='quick' if args.quick else 'full',
        machine=info, load_avg_end=list(os.getloadavg()), batch_size=first['batch_size'],
        num_workers=first['num_workers'], reps=args.reps, phase_seconds=args.phase_seconds,
        min_iters=args.min_iters, warmup=args.warmup, competitor_batch=args.competitor_batch,
        wall_s=round(time.perf_counter() - t0, 1), **summary, runs=runs)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(_round(out), f, indent=2)
        f.write('\n')
    print_table(summary, info, args.conditions)
    print(f'written {args.out}')
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
