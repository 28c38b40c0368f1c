r"""What donating the train state buys: the library's step against the same
step compiled without donation, timed in alternation in one process.

  python -m benchmarks.donation [--batches=64,256,1024] [--models=1]
      [--rounds=10] [--steps=10] [--out=donation.json]

The library's train step donates its state, so XLA writes the new parameters
and Adam moments over the old ones. Without donation every step writes the
state (57 MB for the default model's step 1) to fresh buffers instead.
Per step and batch size this prints, for both variants: the bytes the
compiled program copies (HLO `copy` ops: an input still read after its
in-place update must be copied first) and its temporary memory, then the
median time over `--rounds` rounds; each round times `--steps` steps of one
variant, then of the other, so that the machine's drift hits both alike.
"""

import json
import re
import statistics
import time

from absl import app
from absl import flags
import jax
import numpy as np

from benchmarks import common

_BATCHES = flags.DEFINE_list('batches', ['64', '256', '1024'], 'Batch sizes.')
_MODELS = flags.DEFINE_integer('models', 1, 'Models in the stack (S).')
_ROUNDS = flags.DEFINE_integer('rounds', 10, 'Alternating rounds (median reported).')
_STEPS = flags.DEFINE_integer('steps', 10, 'Steps per variant and round.')
_OUT = flags.DEFINE_string('out', 'donation.json', 'JSON output path.')


def copied_bytes(hlo_text: str) -> int:
  """Bytes written by the `copy` ops of an optimized HLO module."""
  total = 0
  for dtype_bits, dims in re.findall(r'= [a-z]+(\d+)\[([0-9,]*)\]\S* copy\(',
                                     hlo_text):
    size = int(np.prod([int(d) for d in dims.split(',') if d]))
    total += size * int(dtype_bits) // 8
  return total


def measure(config, model, train_pairs, phase_name, num_models, rounds, steps):
  phase = common.JaxPhase(config, model, train_pairs, phase_name, num_models)
  stacked = phase.stacked  # the stacked-model sharding of the state
  variants = {
      'donated': phase.step_fn,
      # The same traced function, compiled without donation.
      'undonated': jax.jit(phase.step_fn.__wrapped__,
                           out_shardings=(stacked, stacked)),
  }
  args = lambda: (phase.state, phase.frozen, *phase.data)
  row = {'phase': phase_name, 'batch': config.batch_size, 'models': num_models}
  for name, step in variants.items():
    compiled = step.lower(*args()).compile()
    row[f'{name}_copied_mb'] = copied_bytes(compiled.as_text()) / 1e6
    row[f'{name}_temp_mb'] = compiled.memory_analysis().temp_size_in_bytes / 1e6
    for _ in range(3):  # compile and warm up
      phase.state, metrics = step(*args())
    jax.block_until_ready(metrics)
  times = {name: [] for name in variants}
  for _ in range(rounds):
    for name, step in variants.items():
      start = time.perf_counter()
      for _ in range(steps):
        phase.state, metrics = step(*args())
      jax.block_until_ready(metrics)
      times[name].append((time.perf_counter() - start) / steps)
  for name in variants:
    row[f'{name}_ms'] = 1e3 * statistics.median(times[name])
  row['speedup'] = row['undonated_ms'] / row['donated_ms']
  return row


def main(argv):
  del argv
  rows = []
  print('| step | batch | undonated ms | donated ms | speed-up | copied MB '
        '(undonated / donated) | temp MB (undonated / donated) |')
  print('|---|---|---|---|---|---|---|')
  config, model, train_pairs = common.setup()
  for batch in _BATCHES.value:
    config.batch_size = int(batch)
    for phase_name in ('joint', 'marginal'):
      row = measure(config, model, train_pairs, phase_name, _MODELS.value,
                    _ROUNDS.value, _STEPS.value)
      rows.append(row)
      print(f"| {phase_name} | {batch} | {row['undonated_ms']:.2f} | "
            f"{row['donated_ms']:.2f} | {row['speedup']:.2f}x | "
            f"{row['undonated_copied_mb']:.1f} / {row['donated_copied_mb']:.1f} | "
            f"{row['undonated_temp_mb']:.1f} / {row['donated_temp_mb']:.1f} |",
            flush=True)
  with open(_OUT.value, 'w') as f:
    json.dump({'devices': str(jax.devices()), 'rows': rows}, f, indent=1)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
