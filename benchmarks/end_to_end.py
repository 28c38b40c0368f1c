r"""Where the wall time of a whole run goes: start-up, data, compile, both
training steps, judges, evaluation; with an empty user cache and a warm one.

  python -m benchmarks.end_to_end [--variants=tiny,default] [--caches=cold,warm]
      [--out=end_to_end.json]

Runs `python -m experiments.main --config=configs/synthetic.py[:VARIANT]` in a
fresh temporary workdir (nothing restored), first with an empty user cache
(`experiments.cache`, a temporary WYNER_JAX_CACHE_DIR: every program
compiled, the judges trained), then again in another fresh workdir with the
cache the first run filled ('warm'), and splits each wall time with the
timestamps of the launcher's own log lines:

  start-up      process start to the 'JAX …, devices' line (Python imports)
  data          to the 'data: …' line (loading and pairing the images)
  setup         to the start of the first joint step (model init, optimizer,
                checkpoint directory)
  compile       the first step of each training step ('first step (compile)')
  joint         the remaining joint steps
  marginal      from the end of the joint steps to the last marginal step
                (includes its setup and compile, printed separately)
  judges        from the last marginal step to the last 'judge cache' line
                (trained, or read from the cache) or shipped instrument read
  evaluation    from there to 'wrote …metrics.json' (held-out losses, label
                metrics, figures)
  exit          to the end of the process

and counts the process's compilations with JAX's monitoring events:
programs compiled, read from the persistent cache, and the seconds spent
tracing and lowering them and compiling them (or reading them back).
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time

from absl import app
from absl import flags

_VARIANTS = flags.DEFINE_list('variants', ['tiny', 'default'],
                              'Variants of configs/synthetic.py to run.')
_CACHES = flags.DEFINE_list('caches', ['cold', 'warm'],
                            'cold: an empty user cache; warm: a second run '
                            'with the cache the cold run filled.')
_OUT = flags.DEFINE_string('out', 'end_to_end.json', 'JSON output path.')

# The launcher, with JAX's compile events counted and printed at exit.
COUNTED_LAUNCH = textwrap.dedent('''
    import atexit, collections, json, runpy, sys
    import jax
    counts, seconds = collections.Counter(), collections.Counter()
    jax.monitoring.register_event_listener(
        lambda event, **kw: counts.update([event]))
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: seconds.update({event: duration}))
    atexit.register(lambda: print('COMPILE_EVENTS ' + json.dumps({
        'requests': counts['/jax/compilation_cache/compile_requests_use_cache'],
        'cache_hits': counts['/jax/compilation_cache/cache_hits'],
        'trace_lower_s': seconds['/jax/core/compile/jaxpr_trace_duration']
                         + seconds['/jax/core/compile/jaxpr_to_mlir_module_duration'],
        'compile_s': seconds['/jax/core/compile/backend_compile_duration']}),
        file=sys.stderr))
    sys.argv[0] = 'experiments.main'
    runpy.run_module('experiments.main', run_name='__main__', alter_sys=True)
''')

LOG_TIME = re.compile(r'^[IWE]\d{4} (\d\d:\d\d:\d\d\.\d+) ')


def _seconds_of_day(clock: str) -> float:
  t = datetime.datetime.strptime(clock, '%H:%M:%S.%f')
  return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def _marks(log: str) -> dict[str, float]:
  """Seconds of the day at which each marker line was logged (last match)."""
  patterns = {
      'devices': r'cli.py.*\] JAX .* devices:',
      'data': r'run.py.*\] data: ',
      'joint_first': r'joint: first step \(compile\) took',
      'joint_end': r'joint step (\d+)/\1 ',
      'marginal_first': r'marginal: first step \(compile\) took',
      'marginal_end': r'marginal step (\d+)/\1 ',
      'judges': r'judge cache: (built|read) |judge: read the shipped instrument',
      'evaluated': r'wrote .*metrics\.json',
  }
  marks, compile_s = {}, {}
  for line in log.splitlines():
    match = LOG_TIME.match(line)
    if not match:
      continue
    for name, pattern in patterns.items():
      if re.search(pattern, line):
        marks[name] = _seconds_of_day(match.group(1))
        took = re.search(r'\(compile\) took ([\d.]+)s', line)
        if took:
          compile_s[name.split('_')[0]] = float(took.group(1))
  missing = set(patterns) - set(marks)
  if missing:
    raise RuntimeError(f'the run log lacks the lines {sorted(missing)}:\n{log[-2000:]}')
  return {**marks, 'compile_joint': compile_s['joint'],
          'compile_marginal': compile_s['marginal']}


def time_run(variant: str, cache_root: str) -> dict[str, float]:
  """One launcher run in a fresh workdir with the user cache `cache_root`."""
  config = 'configs/synthetic.py' + ('' if variant == 'default' else f':{variant}')
  env = {k: v for k, v in os.environ.items()
         if not k.startswith('JAX_COMPILATION_CACHE')
         and not k.startswith('JAX_PERSISTENT_CACHE')}
  env['WYNER_JAX_CACHE_DIR'] = cache_root
  with tempfile.TemporaryDirectory() as workdir:
    start_clock = datetime.datetime.now()
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, '-c', COUNTED_LAUNCH, f'--config={config}',
         f'--workdir={workdir}'], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
  if result.returncode:
    raise RuntimeError(f'the run failed:\n{result.stderr[-3000:]}')
  events = json.loads(result.stderr.rsplit('COMPILE_EVENTS ', 1)[1])
  m = _marks(result.stderr)
  launch = _seconds_of_day(start_clock.strftime('%H:%M:%S.%f'))
  joint_start = m['joint_first'] - m['compile_joint']
  marginal_start = m['marginal_first'] - m['compile_marginal']
  return {
      'start-up': m['devices'] - launch,
      'data': m['data'] - m['devices'],
      'setup (joint)': joint_start - m['data'],
      'compile (joint)': m['compile_joint'],
      'joint steps': m['joint_end'] - m['joint_first'],
      'setup (marginal)': marginal_start - m['joint_end'],
      'compile (marginal)': m['compile_marginal'],
      'marginal steps': m['marginal_end'] - m['marginal_first'],
      'judges': m['judges'] - m['marginal_end'],
      'evaluation': m['evaluated'] - m['judges'],
      'exit': launch + wall - m['evaluated'],
      'total': wall,
      'programs compiled': events['requests'] - events['cache_hits'],
      'programs read from the cache': events['cache_hits'],
      'trace + lower (s)': events['trace_lower_s'],
      'compile or read back (s)': events['compile_s'],
  }


def main(argv):
  del argv
  if _CACHES.value not in (['cold'], ['cold', 'warm']):
    raise app.UsageError(f'--caches={",".join(_CACHES.value)}: give cold or '
                         'cold,warm (a warm run reads what the cold one wrote)')
  rows = {}
  for variant in _VARIANTS.value:
    with tempfile.TemporaryDirectory() as cache_root:
      for cache in _CACHES.value:  # cold fills the cache warm reads
        rows[f'{variant}, {cache}'] = time_run(variant, cache_root)
  print('| part | ' + ' | '.join(rows) + ' |')
  print('|---' * (len(rows) + 1) + '|')
  for part in next(iter(rows.values())):
    print(f'| {part} | ' + ' | '.join(f'{r[part]:.1f}' for r in rows.values()) + ' |')
  with open(_OUT.value, 'w') as f:
    json.dump(rows, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
