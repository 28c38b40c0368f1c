r"""One-shot accelerator benchmark: both train steps, both compute dtypes, sweeps.

  python -m benchmarks.accelerator [--out=accelerator.json] [--quick]
      [--batches=64,256,1024,4096] [--stacks=1,8,32] [--steps=20] [--repeats=5]

On the first JAX device (a GPU or TPU; the CPU works too, slowly, which is
how `--quick` checks the script before a device run): for the MLPs on pixels
(configs/synthetic.py:pixels, as the other benchmarks)

- pairs/s of step 1 (joint) and step 2 (marginal) at batch 64, 256, 1024 and
  4096, with `model.dtype` float32 and bfloat16, each with its compile time
  (the first call) and its fraction of the card's measured matmul peak in
  that dtype (the step's matmul FLOPs, `common.step_flops`, over the
  throughput of a large matmul measured here);
- the lambda sweep: S = 1, 8, 32 models stacked into one program at the
  default batch, against S sequential runs (S x the S = 1 time).

Every figure is timed as the other benchmarks time them (benchmarks/common.py:
the first call separately, warm-up, then the median over repeats). The train
pairs are tiled to cover a batch of 4096 (the embedded subset has 4,000);
the data's content does not change a step's speed.

Prints markdown tables and writes everything as JSON. Takes under 6 minutes
on one H100/H200. The GPU machines of our workplace lack ml-collections and
mlxtend: docs/performance.md ("Running the device benchmark") says how to bring them as wheels.
"""

import json
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import common

_OUT = flags.DEFINE_string('out', 'accelerator.json', 'JSON output path.')
_QUICK = flags.DEFINE_bool('quick', False, 'Small sizes and few steps: checks '
                           'that the script runs (e.g. with JAX_PLATFORMS=cpu); '
                           'its figures mean nothing. Overrides the flags below.')
_BATCHES = flags.DEFINE_list('batches', ['64', '256', '1024', '4096'],
                             'Batch sizes of the steps table.')
_STACKS = flags.DEFINE_list('stacks', ['1', '8', '32'],
                            'Numbers of stacked models S of the sweep table '
                            '(1 is always timed: the sequential rate).')
_STEPS = flags.DEFINE_integer('steps', 20, 'Steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (median reported).')

DTYPES = ('float32', 'bfloat16')


def matmul_flops_per_s(n: int, dtype: str, repeats: int) -> float:
  """Throughput of an n x n x n matmul in `dtype` on the default device."""
  a = jnp.ones((n, n), dtype)
  product = jax.jit(lambda a: a @ a)
  _, seconds = common.time_calls(lambda: product(a), 10, repeats)
  return 2 * n ** 3 / seconds


def tiled(pairs, batch: int):
  """`pairs` repeated until they hold at least `batch` pairs."""
  times = -(-batch // len(pairs.x))
  return pairs._make(np.concatenate([field] * times) for field in pairs)


def time_steps(config, train_pairs, batches, steps, repeats, peaks):
  rows = []
  for dtype in DTYPES:
    config.model.dtype = dtype
    model = common.mnist_model(config)
    for batch in batches:
      config.batch_size = batch
      for phase in ('joint', 'marginal'):
        step = common.JaxPhase(config, model, tiled(train_pairs, batch), phase)
        compile_s, step_s = common.time_calls(step, steps, repeats)
        flops = common.step_flops(model, phase, batch)
        rows.append({'dtype': dtype, 'phase': phase, 'batch': batch,
                     'compile_s': compile_s, 'step_ms': 1e3 * step_s,
                     'pairs_per_s': batch / step_s,
                     'fraction_of_peak': flops / step_s / peaks[dtype]})
        print(f'{dtype:>8} {phase:>8} batch {batch:>4}: {1e3 * step_s:7.3f} '
              f'ms/step, {batch / step_s:9.0f} pairs/s, '
              f'{100 * rows[-1]["fraction_of_peak"]:5.2f}% of peak, compile '
              f'{compile_s:.1f} s', flush=True)
  return rows


def time_sweeps(config, train_pairs, batch, stack_sizes, steps, repeats):
  config.model.dtype, config.batch_size = 'float32', batch
  model = common.mnist_model(config)
  rows = []
  for num_models in stack_sizes:
    for phase in ('joint', 'marginal'):
      step = common.JaxPhase(config, model, train_pairs, phase, num_models)
      compile_s, step_s = common.time_calls(step, steps, repeats)
      rows.append({'phase': phase, 'models': num_models,
                   'compile_s': compile_s, 'step_ms': 1e3 * step_s,
                   'pairs_per_s': num_models * config.batch_size / step_s})
      print(f'sweep S={num_models:>2} {phase:>8}: {1e3 * step_s:7.3f} ms/step, '
            f'compile {compile_s:.1f} s', flush=True)
  single = {r['phase']: r['pairs_per_s'] for r in rows if r['models'] == 1}
  for r in rows:
    r['speedup_vs_sequential'] = r['pairs_per_s'] / single[r['phase']]
  return rows


def main(argv):
  del argv
  start = time.perf_counter()
  quick = _QUICK.value
  device = jax.devices()[0]
  batches = (64,) if quick else tuple(int(b) for b in _BATCHES.value)
  stack_sizes = (1, 2) if quick else tuple(sorted({1, *map(int, _STACKS.value)}))
  steps, repeats = (2, 1) if quick else (_STEPS.value, _REPEATS.value)
  config, _, train_pairs = common.setup()
  default_batch = config.batch_size
  print(f'JAX {jax.__version__}, {device.platform}: {device.device_kind} '
        f'({jax.device_count()} device(s)); the first is used', flush=True)
  peaks = {dtype: matmul_flops_per_s(512 if quick else 8192, dtype,
                                     repeats) for dtype in DTYPES}
  print('matmul peak measured here: ' + ', '.join(
      f'{d} {p / 1e12:.1f} TFLOP/s' for d, p in peaks.items()), flush=True)
  step_rows = time_steps(config, train_pairs, batches, steps, repeats, peaks)
  sweep_rows = time_sweeps(config, train_pairs, default_batch, stack_sizes,
                           steps, repeats)

  print(f'\n{device.device_kind}, JAX {jax.__version__}; median of {repeats} '
        f'x {steps} steps')
  print('| step | batch | float32 pairs/s | bfloat16 pairs/s | bf16 / f32 '
        '| f32 % of peak | bf16 % of peak | compile f32 / bf16 (s) |')
  print('|---|---|---|---|---|---|---|---|')
  by_key = {(r['dtype'], r['phase'], r['batch']): r for r in step_rows}
  for batch in batches:
    for phase in ('joint', 'marginal'):
      f32, bf16 = by_key['float32', phase, batch], by_key['bfloat16', phase, batch]
      print(f'| {phase} | {batch} | {f32["pairs_per_s"]:.0f} | '
            f'{bf16["pairs_per_s"]:.0f} | '
            f'{bf16["pairs_per_s"] / f32["pairs_per_s"]:.2f}x | '
            f'{100 * f32["fraction_of_peak"]:.2f}% | '
            f'{100 * bf16["fraction_of_peak"]:.2f}% | '
            f'{f32["compile_s"]:.1f} / {bf16["compile_s"]:.1f} |')
  print('\n| step | S models | pairs/s | vs. S sequential runs | compile (s) |')
  print('|---|---|---|---|---|')
  for r in sweep_rows:
    print(f'| {r["phase"]} | {r["models"]} | {r["pairs_per_s"]:.0f} | '
          f'{r["speedup_vs_sequential"]:.2f}x | {r["compile_s"]:.1f} |')
  total_s = time.perf_counter() - start
  with open(_OUT.value, 'w') as f:
    json.dump({'jax': jax.__version__, 'platform': device.platform,
               'device_kind': device.device_kind,
               'device_count': jax.device_count(), 'quick': quick,
               'steps': steps, 'repeats': repeats,
               'matmul_peak_flop_per_s': peaks, 'steps_table': step_rows,
               'sweep_table': sweep_rows, 'total_s': total_s}, f, indent=2)
  print(f'wrote {_OUT.value} ({total_s:.0f} s in all)')


if __name__ == '__main__':
  app.run(main)
