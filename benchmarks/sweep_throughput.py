r"""Throughput of S models trained as one vmapped program vs. one at a time.

  python -m benchmarks.sweep_throughput [--models=1,4,8] [--variant=tiny]
      [--out=sweep_throughput.json]

Times the step-1 and step-2 train steps of the default model
(configs/synthetic.py:pixels, or another --variant) for stacks of S models (lambdas spread over
configs/lambda_sweep.py:pixels's grid, seeds 0..S-1): compile time separately, then
the median over repeats of `--steps` steps after warm-up. pairs/s counts the
pairs of all S models; S sequential runs train at the S = 1 rate, so the
speed-up of a sweep over sequential runs is pairs/s(S) / pairs/s(1).
"""

import json

from absl import app
from absl import flags
import jax

from benchmarks import common

_MODELS = flags.DEFINE_list('models', ['1', '4', '8'], 'Stack sizes S to time.')
_STEPS = flags.DEFINE_integer('steps', 50, 'Steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (median reported).')
_VARIANT = flags.DEFINE_string('variant', 'pixels',
                                'Variant of configs/synthetic.py, e.g. tiny.')
_OUT = flags.DEFINE_string('out', 'sweep_throughput.json', 'JSON output path.')


def measure(config, model, train_pairs, num_models, steps, repeats):
  rows = []
  for phase in ('joint', 'marginal'):
    step = common.JaxPhase(config, model, train_pairs, phase, num_models)
    compile_s, step_s = common.time_calls(step, steps, repeats)
    rows.append({'phase': phase, 'models': num_models, 'compile_s': compile_s,
                 'step_ms': 1e3 * step_s,
                 'pairs_per_s': num_models * config.batch_size / step_s})
  return rows


def main(argv):
  del argv
  config, model, train_pairs = common.setup(_VARIANT.value)
  rows = []
  for num_models in (int(m) for m in _MODELS.value):
    rows += measure(config, model, train_pairs, num_models, _STEPS.value,
                    _REPEATS.value)
  base = {r['phase']: r['pairs_per_s'] for r in rows if r['models'] == 1}
  print(f'config: synthetic:{_VARIANT.value}; '
        f'devices: {jax.devices()}; batch {config.batch_size} per model; '
        f'median of {_REPEATS.value} x {_STEPS.value} steps')
  print('| step | S | compile (s) | ms/step | pairs/s | vs. S sequential runs |')
  print('|---|---|---|---|---|---|')
  for r in rows:
    r['speedup_vs_sequential'] = (r['pairs_per_s'] / base[r['phase']]
                                  if r['phase'] in base else None)
    speedup = (f'{r["speedup_vs_sequential"]:.2f}x'
               if r['speedup_vs_sequential'] else 'n/a')
    print(f'| {r["phase"]} | {r["models"]} | {r["compile_s"]:.1f} | '
          f'{r["step_ms"]:.1f} | {r["pairs_per_s"]:.0f} | {speedup} |')
  with open(_OUT.value, 'w') as f:
    json.dump({'variant': _VARIANT.value, 'devices': [str(d) for d in jax.devices()],
               'batch_size': config.batch_size, 'rows': rows}, f, indent=2)


if __name__ == '__main__':
  app.run(main)
