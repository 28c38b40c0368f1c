r"""What one JAX train step of the default model spends its time on.

  python -m benchmarks.step_breakdown [--batches=64,256,1024] [--out=step_breakdown.json]

Times, each as its own jitted program on the same inputs (median of repeats,
benchmarks/common.py), for step 1 (joint) and step 2 (marginal):

  step           the library's train step (benchmarks/common.py JaxPhase)
  forward        the loss alone
  forward+grad   the loss and its gradient (no optimizer)
  matmuls        only the step's matrix products, forward and backward
                 (common.dense_layers), as plain jnp.dot
  torch matmuls  the same products in PyTorch (if installed), same threads
  adam           only the optimizer update of the trained parameters
  batch+noise    drawing the batch indices, gathering the batch and the
                 Gumbel noise of every latent
  host           the host time of one step call (Python and dispatch)

The parts overlap (forward+grad contains forward and the matmuls), so they are
read against each other, not summed: step - forward+grad is the optimizer and
the step's own bookkeeping; forward+grad - matmuls is the elementwise work
(activations, Gumbel-softmax, KL, squared error) and memory traffic.
"""

import json
import os

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import optax

from benchmarks import common
from wyner_jax import stack
from wyner_jax import phases

_BATCHES = flags.DEFINE_list('batches', ['64', '256', '1024'], 'Batch sizes.')
_STEPS = flags.DEFINE_integer('steps', 10, 'Calls per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (median reported).')
_OUT = flags.DEFINE_string('out', 'step_breakdown.json', 'JSON output path.')


def matmul_program(model, phase, batch):
  """The step's matrix products alone: for each layer the forward product,
  the weight gradient if trained and the input gradient if needed."""
  layers = common.dense_layers(model, phase)
  keys = jax.random.split(jax.random.key(0), 2 * len(layers))
  operands = [(jax.random.normal(k1, (batch, n_in)), jax.random.normal(k2, (n_in, n_out)))
              for (n_in, n_out, _, _), k1, k2 in zip(layers, keys[::2], keys[1::2])]

  @jax.jit
  def products(operands):
    total = 0.0
    for (a, w), (_, _, trained, input_grad) in zip(operands, layers):
      out = a @ w
      total += out.sum()
      if trained:  # dL/dW = a^T dout
        total += (a.T @ out).sum()
      if input_grad:  # dL/da = dout W^T
        total += (out @ w.T).sum()
    return total
  return lambda: products(operands)


def torch_matmul_program(model, phase, batch):
  """`matmul_program` in PyTorch (same shapes and products), or None without torch."""
  try:
    import torch  # pylint: disable=import-outside-toplevel
  except ImportError:
    return None
  layers = common.dense_layers(model, phase)
  operands = [(torch.randn(batch, n_in), torch.randn(n_in, n_out))
              for n_in, n_out, _, _ in layers]

  def products():
    total = 0.0
    for (a, w), (_, _, trained, input_grad) in zip(operands, layers):
      out = a @ w
      total += out.sum()
      if trained:
        total += (a.T @ out).sum()
      if input_grad:
        total += (out @ w.T).sum()
    return float(total)
  return products


def breakdown(config, model, train_pairs, phase, batch, steps, repeats):
  config.batch_size = batch
  step = common.JaxPhase(config, model, train_pairs, phase)
  loss_fn = {p.name: p.loss for p in phases.wyner_phases(config, model)}[phase]
  (first,) = stack.members(step.state)
  params = first.state.params
  frozen = None if step.frozen is None else stack.unstack(step.frozen)[0]
  x, y = (jnp.asarray(a[:batch]) for a in (train_pairs.x, train_pairs.y))
  rng, tau, lam = jax.random.key(1), jnp.float32(0.7), jnp.float32(0.0)

  fixed = phases.Batch(x, y, rng, tau, lam, frozen)
  forward = jax.jit(lambda p: loss_fn(p, fixed)[0])
  grad = jax.jit(jax.grad(lambda p: loss_fn(p, fixed)[0]))
  optimizer = optax.adam(config.learning_rate)
  opt_state = optimizer.init(params)
  grads = grad(params)

  @jax.jit
  def adam(params, opt_state):
    updates, opt_state = optimizer.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state

  latents = ((model.latent_z, model.latent_u, model.latent_v) if phase == 'joint'
             else (model.latent_z, model.latent_u, model.latent_z, model.latent_v))
  data_x, data_y = step.tables.images_x, step.tables.images_y

  @jax.jit
  def batch_and_noise(key):
    key_batch, key_noise = jax.random.split(key)
    index = jax.random.permutation(key_batch, data_x.shape[0])[:batch]
    noise = [jax.random.gumbel(k, (batch, *latent.param_shape))
             for k, latent in zip(jax.random.split(key_noise, len(latents)), latents)]
    return data_x[index], data_y[index], noise

  parts = {
      'step': step,
      'torch matmuls': torch_matmul_program(model, phase, batch),
      'forward': lambda: forward(params),
      'forward+grad': lambda: grad(params),
      'matmuls': matmul_program(model, phase, batch),
      'adam': lambda: adam(params, opt_state),
      'batch+noise': lambda: batch_and_noise(rng),
  }
  row = {'phase': phase, 'batch': batch,
         'gflop_per_step': common.step_flops(model, phase, batch) / 1e9}
  for name, call in parts.items():
    if call is not None:
      row[f'{name} ms'] = 1e3 * common.time_calls(call, steps, repeats)[1]
  row['host ms'] = 1e3 * common.dispatch_seconds(step)
  return row


def main(argv):
  del argv
  try:
    import torch  # pylint: disable=import-outside-toplevel
    torch.set_num_threads(os.cpu_count())
  except ImportError:
    pass
  config, model, train_pairs = common.setup()
  rows = []
  for batch in (int(b) for b in _BATCHES.value):
    for phase in ('joint', 'marginal'):
      rows.append(breakdown(config, model, train_pairs, phase, batch,
                            _STEPS.value, _REPEATS.value))
      print(rows[-1], flush=True)
  columns = [k for k in rows[0] if k.endswith(' ms')]
  print('\n| step | batch | ' + ' | '.join(columns) + ' |')
  print('|---' * (len(columns) + 2) + '|')
  for r in rows:
    print(f'| {r["phase"]} | {r["batch"]} | '
          + ' | '.join(f'{r[c]:.2f}' for c in columns) + ' |')
  with open(_OUT.value, 'w') as f:
    json.dump(rows, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
