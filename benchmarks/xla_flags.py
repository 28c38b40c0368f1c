r"""XLA:CPU's other paths for dot products, measured on the train steps.

  python -m benchmarks.xla_flags [--rounds=2] [--batches=64,256,1024]
      [--stack=8] [--out=xla_flags.json]

XLA_FLAGS is read once, when JAX starts its backend, so each setting runs in
its own process (this module with --worker); the settings run in
alternation, round after round, so that the machine's drift hits all alike.
Each process times both train steps of `configs/synthetic.py:pixels` at every
batch and a sweep of --stack stacked models at batch 128 (benchmarks/common.py
protocol), and records the loss after 5 steps from the same start, so that
each setting's results can be checked against the default's.

The settings (flag names and values as this jaxlib's own help states them:
fusion types are dot, eltwise and reduce):
"""

import json
import os
import statistics
import subprocess
import sys

from absl import app
from absl import flags
import numpy as np

SETTINGS = {
    'default': '',
    'onednn': '--xla_cpu_use_onednn=true',
    'onednn_fusion_dot': '--xla_cpu_experimental_onednn_fusion_type=dot',
    'xnnpack': '--xla_cpu_use_xnnpack=true',
    'xnn_fusion_dot': '--xla_cpu_experimental_xnn_fusion_type=dot',
    'xnn_fusion_all': '--xla_cpu_experimental_xnn_fusion_type=dot,eltwise,reduce',
    'ynn_fusion_dot': '--xla_cpu_experimental_ynn_fusion_type=dot',
    # The older fusion code generation; the tests use it (tests/conftest.py).
    'no_fusion_emitters': '--xla_cpu_use_fusion_emitters=false',
}
__doc__ += ''.join(f'\n  {name:18} {value or "(none)"}' for name, value in SETTINGS.items())

_ROUNDS = flags.DEFINE_integer('rounds', 2, 'Rounds over all settings.')
_BATCHES = flags.DEFINE_list('batches', ['64', '256', '1024'], 'Batch sizes.')
_STACK = flags.DEFINE_integer('stack', 8, 'Models of the sweep measurement.')
_STEPS = flags.DEFINE_integer('steps', 10, 'Steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 3, 'Timed repeats (median).')
_SETTINGS = flags.DEFINE_list('settings', list(SETTINGS), 'Settings to run.')
_OUT = flags.DEFINE_string('out', 'xla_flags.json', 'JSON output path.')
_WORKER = flags.DEFINE_bool('worker', False, 'Internal: measure in this process.')


def measure(batches, stack, steps, repeats) -> dict:
  """pairs/s and the loss after 5 steps of every (phase, batch) and the sweep."""
  from benchmarks import common  # pylint: disable=import-outside-toplevel
  config, model, train_pairs = common.setup()
  out = {}
  cases = [(phase, batch, 1) for batch in batches for phase in ('joint', 'marginal')]
  cases += [(phase, config.batch_size, stack) for phase in ('joint', 'marginal')]
  for phase, batch, num_models in cases:
    config.batch_size = batch
    step = common.JaxPhase(config, model, train_pairs, phase, num_models)
    losses = [float(np.asarray(step()['loss'])[0]) for _ in range(5)]
    _, step_s = common.time_calls(step, steps, repeats)
    out[f'{phase}/{batch}/{num_models}'] = {
        'pairs_per_s': num_models * batch / step_s, 'loss_after_5': losses[-1]}
  return out


def main(argv):
  del argv
  batches = [int(b) for b in _BATCHES.value]
  if _WORKER.value:
    print(json.dumps(measure(batches, _STACK.value, _STEPS.value,
                             _REPEATS.value)))
    return
  runs = {name: [] for name in _SETTINGS.value}
  for round_index in range(_ROUNDS.value):
    for name in _SETTINGS.value:
      env = dict(os.environ, XLA_FLAGS=SETTINGS[name])
      result = subprocess.run(
          [sys.executable, '-m', 'benchmarks.xla_flags', '--worker',
           f'--batches={",".join(_BATCHES.value)}',
           f'--stack={_STACK.value}', f'--steps={_STEPS.value}',
           f'--repeats={_REPEATS.value}'],
          env=env, capture_output=True, text=True, check=True)
      runs[name].append(json.loads(result.stdout.strip().splitlines()[-1]))
      print(f'round {round_index + 1}: {name} done', flush=True)
  cases = list(runs[_SETTINGS.value[0]][0])
  median = {name: {case: statistics.median(r[case]['pairs_per_s'] for r in rs)
                   for case in cases} for name, rs in runs.items()}
  print(f'\npairs/s, median of {_ROUNDS.value} rounds (each the median of '
        f'{_REPEATS.value} x {_STEPS.value} steps); in brackets: / default; '
        'loss after 5 steps: largest relative difference to the default')
  print('| setting | ' + ' | '.join(c.replace('/', ' ') for c in cases) + ' | loss diff |')
  print('|---|' + '---|' * (len(cases) + 1))
  for name in runs:
    cells = []
    for case in cases:
      ratio = (f' ({median[name][case] / median["default"][case]:.2f}x)'
               if 'default' in median else '')
      cells.append(f'{median[name][case]:.0f}{ratio}')
    if 'default' in runs:
      diff = max(abs(r[c]['loss_after_5'] - d[c]['loss_after_5'])
                 / abs(d[c]['loss_after_5'])
                 for r, d in zip(runs[name], runs['default']) for c in cases)
      cells.append(f'{diff:.1e}')
    else:
      cells.append('n/a')
    print(f'| {name} | ' + ' | '.join(cells) + ' |')
  with open(_OUT.value, 'w') as f:
    json.dump({'settings': {n: SETTINGS[n] for n in runs}, 'runs': runs,
               'median_pairs_per_s': median}, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
