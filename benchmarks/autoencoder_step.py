r"""The conv autoencoder's train step (model.wrapper='conv'): JAX against
PyTorch, and its decoder against 1.0's.

  python -m benchmarks.autoencoder_step [--batch=128] [--steps=10] [--repeats=5]
      [--frameworks=jax,jax_full_resolution,torch,torch_compile] [--out=autoencoder_step.json]

`jax` is the library's step as a run trains the wrapper (`train.make_train_step`
with `autoencoder.autoencoder_loss_fn`, both sides' images, donated state);
`jax_full_resolution` the same with 1.0's decoder, which upsamples and then
convolves at the upsampled resolution (the same function;
`autoencoder.UpsampledConv` computes it at the input's); `torch` and
`torch_compile` the same network, loss and Adam in PyTorch
(benchmarks/torch_wyner.py, 1.0's formulation), same threads. Each is timed as
benchmarks/common.py times every step: the first call, 3 warm-up steps, the
median of `--repeats` repeats of `--steps` steps.
"""

import json
import os
from unittest import mock

from absl import app
from absl import flags
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks import common
from experiments import run
from wyner_jax import autoencoder, sharding, stack, train

_BATCH = flags.DEFINE_integer('batch', 128, 'Pairs per step (both sides are '
                              'encoded and decoded, as in a run).')
_STEPS = flags.DEFINE_integer('steps', 10, 'Steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (median reported).')
_FRAMEWORKS = flags.DEFINE_list(
    'frameworks', ['jax', 'jax_full_resolution', 'torch', 'torch_compile'], 'What to time.')
_OUT = flags.DEFINE_string('out', 'autoencoder_step.json', 'JSON output path.')


class FullResolutionUpsampledConv(nn.Module):
  """1.0's decoder layer: nearest-neighbour upsampling, then the 3 x 3
  convolution at the upsampled resolution."""
  features: int

  @nn.compact
  def __call__(self, h):
    batch, height, width, channels = h.shape
    kernel = self.param('kernel', nn.initializers.lecun_normal(),
                        (3, 3, channels, self.features))
    bias = self.param('bias', nn.initializers.zeros_init(), (self.features,))
    h = jnp.broadcast_to(h[:, :, None, :, None, :],
                         (batch, height, 2, width, 2, channels))
    h = h.reshape(batch, 2 * height, 2 * width, channels)
    return jax.lax.conv_general_dilated(
        h, kernel, (1, 1), 'SAME',
        dimension_numbers=('NHWC', 'HWIO', 'NHWC')) + bias


class JaxAutoencoderStep:
  """One Adam step of the wrapper's autoencoder, built as run.train_wrapper
  builds it; calling it applies one step in place."""

  def __init__(self, config, train_pairs):
    net = autoencoder.ConvAutoencoder(config.model.code_size)
    mesh = sharding.make_mesh(1)
    learning_rate = config.autoencoder.learning_rate  # its own, as a run's
    optimizer = optax.adam(learning_rate)
    key = run.RunKeys.from_seed(config.seed).autoencoder
    rows = np.arange(len(train_pairs.x), dtype=np.int32)
    self.tables = sharding.place(
        train.PairTables(train_pairs.x, train_pairs.y, rows, rows),
        sharding.replicated(mesh))
    self.state = train.init_state(
        stack.stack([{'autoencoder': net.init(jax.random.fold_in(key, 0))}]),
        [stack.ModelSpec(0.0, config.seed)],
        run.key_data([jax.random.fold_in(key, 1)]), optimizer, mesh)
    self.step_fn = train.make_train_step(
        autoencoder.autoencoder_loss_fn(net), optimizer, mesh,
        config.batch_size, config.tau, learning_rate)

  def __call__(self):
    self.state, metrics = self.step_fn(self.state, None, self.tables)
    return metrics


def main(argv):
  del argv
  if {'torch', 'torch_compile'} & set(_FRAMEWORKS.value):
    import torch  # pylint: disable=import-outside-toplevel
    from benchmarks import torch_wyner  # pylint: disable=import-outside-toplevel
    torch.set_num_threads(os.cpu_count())  # XLA:CPU uses every core as well
  config, _, train_pairs = common.setup('default')
  config.batch_size = _BATCH.value
  steps = {}
  for framework in _FRAMEWORKS.value:
    if framework == 'jax':
      steps[framework] = JaxAutoencoderStep(config, train_pairs)
    elif framework == 'jax_full_resolution':
      with mock.patch.object(autoencoder, 'UpsampledConv',
                             FullResolutionUpsampledConv):
        step = JaxAutoencoderStep(config, train_pairs)
        step()  # traced and compiled with 1.0's decoder
      steps[framework] = step
    elif framework in ('torch', 'torch_compile'):
      torch.manual_seed(0)
      steps[framework] = torch_wyner.AutoencoderStep(
          torch_wyner.ConvAutoencoder(config.model.code_size),
          torch.from_numpy(train_pairs.x), torch.from_numpy(train_pairs.y),
          config.batch_size, config.autoencoder.learning_rate,
          compiled=framework == 'torch_compile')
    else:
      raise app.UsageError(f'--frameworks: {framework!r} is not one of jax, '
                           'jax_full_resolution, torch, torch_compile')
  rows = []
  for framework, step in steps.items():
    first_s, step_s = common.time_calls(step, _STEPS.value, _REPEATS.value)
    rows.append({'framework': framework, 'batch': config.batch_size,
                 'first_call_s': first_s, 'step_ms': 1e3 * step_s,
                 'steps_per_s': 1 / step_s})
    print(f'{framework:>13}: {1e3 * step_s:7.2f} ms/step ({1 / step_s:5.1f} '
          f'steps/s), first call {first_s:.1f} s', flush=True)
  base = {r['framework']: r['step_ms'] for r in rows}
  if 'jax' in base:
    print('\n| step | batch | ' + ' | '.join(f'{r["framework"]} ms' for r in rows)
          + ' | ' + ' | '.join(f'{r["framework"]} / jax' for r in rows
                               if r['framework'] != 'jax') + ' |')
    print('|---' * (2 + 2 * len(rows) - 1) + '|')
    print(f'| autoencoder | {config.batch_size} | '
          + ' | '.join(f'{r["step_ms"]:.2f}' for r in rows) + ' | '
          + ' | '.join(f'{r["step_ms"] / base["jax"]:.2f}x' for r in rows
                       if r['framework'] != 'jax') + ' |')
  with open(_OUT.value, 'w') as f:
    json.dump({'devices': [str(d) for d in jax.devices()],
               'threads': os.cpu_count(), 'rows': rows}, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
