r"""Steady-state speed of the two train steps: JAX vs. PyTorch, and vs. the machine.

  python -m benchmarks.train_step [--batches=64,256,1024] [--frameworks=jax,torch,torch_compile]
      [--variant=pixels|codes] [--out=train_step.json]

For the MLPs on pixels (`--variant=pixels`, configs/synthetic.py:pixels) or
the default's Wyner networks on 16-number codes (`--variant=codes`,
benchmarks/common.py) at each batch size: the step-1
(joint) and step-2 (marginal) train steps of wyner_jax, the same model and
loss in PyTorch eager and with `torch.compile` (benchmarks/torch_wyner.py),
all in this process, with the same number of threads. Each is timed the same
way: the first call (compilation) separately, 3 warm-up steps, then the
median over `--repeats` repeats of `--steps` steps (benchmarks/common.py).

The machine limit: the matmul FLOPs of one step, counted from the layer sizes
(`common.step_flops`), divided by the throughput of a large float32 matmul measured
here; the fraction of that limit each step reaches is printed. Also printed:
the host time of one JAX step call (Python and dispatch; the step runs
asynchronously) as a fraction of the step time.
"""

import json
import os

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import common
from wyner_jax.model import WynerVAE

_BATCHES = flags.DEFINE_list('batches', ['64', '256', '1024'], 'Batch sizes.')
_FRAMEWORKS = flags.DEFINE_list('frameworks', ['jax', 'torch', 'torch_compile'],
                                'What to time: jax, torch, torch_compile.')
_STEPS = flags.DEFINE_integer('steps', 20, 'Steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (median reported).')
_MATMUL = flags.DEFINE_integer('matmul_size', 2048,
                               'n of the n x n x n float32 matmul that measures '
                               'the machine limit.')
_VARIANT = flags.DEFINE_enum('variant', 'pixels', ['pixels', 'codes'],
                              'Which model (benchmarks/common.py setup).')
_OUT = flags.DEFINE_string('out', 'train_step.json', 'JSON output path.')

PHASES = ('joint', 'marginal')


def matmul_flops_per_s(n: int, steps: int, repeats: int) -> float:
  a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
  b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
  matmul = jax.jit(jnp.dot)
  _, seconds = common.time_calls(lambda: matmul(a, b), steps, repeats)
  return 2 * n ** 3 / seconds


def max_difference_to_torch(model: WynerVAE, x: np.ndarray, y: np.ndarray) -> float:
  """Loads one set of parameters into both implementations and returns the
  largest |difference| of every encoder's logits and both decoders' outputs
  (the deterministic parts; the Gumbel noise differs by construction)."""
  import torch  # pylint: disable=import-outside-toplevel
  from benchmarks import torch_wyner  # pylint: disable=import-outside-toplevel
  params = model.init(jax.random.key(0))
  torch_model = torch_model_of(model)

  def load(flax_tree, torch_net):
    dense = flax_tree['params']['MLP_0']
    linears = [m for m in torch_net.modules() if isinstance(m, torch.nn.Linear)]
    for i, linear in enumerate(linears):
      linear.weight.data = torch.from_numpy(np.asarray(dense[f'Dense_{i}']['kernel']).T.copy())
      linear.bias.data = torch.from_numpy(np.asarray(dense[f'Dense_{i}']['bias']).copy())

  for group in ('joint', 'decoders', 'marginal'):
    for name, tree in params[group].items():
      load(tree, getattr(torch_model, group)[name])
  tx, ty = torch.from_numpy(x), torch.from_numpy(y)
  diffs = []
  with torch.no_grad():
    for name, latent in (('z', model.latent_z), ('u', model.latent_u),
                         ('v', model.latent_v)):
      ours = model.encode(params['joint'][name], latent, x, y)
      diffs.append(np.abs(np.asarray(ours) - torch_model.joint[name](tx, ty).numpy()))
    for name, latent, side in (('z_x', model.latent_z, x), ('u_x', model.latent_u, x),
                               ('z_y', model.latent_z, y), ('v_y', model.latent_v, y)):
      ours = model.encode(params['marginal'][name], latent, side)
      theirs = torch_model.marginal[name](torch.from_numpy(side))
      diffs.append(np.abs(np.asarray(ours) - theirs.numpy()))
    z = model.latent_z.sample_prior(jax.random.key(1), len(x))
    for side, latent in (('x', model.latent_u), ('y', model.latent_v)):
      local = latent.sample_prior(jax.random.key(2), len(x))
      ours = model.decode(params['decoders'][side], local, z, side)
      theirs = torch_model.decoders[side](torch.from_numpy(np.asarray(local)),
                                          torch.from_numpy(np.asarray(z)))
      diffs.append(np.abs(np.asarray(ours) - theirs.numpy()))
  return float(max(d.max() for d in diffs))


def torch_model_of(model: WynerVAE):
  """The PyTorch mirror of `model` (its sizes)."""
  from benchmarks import torch_wyner  # pylint: disable=import-outside-toplevel
  return torch_wyner.WynerVAE(model.z, model.u, model.v, model.hidden,
                              model.depth, model.x_dim, model.logit_bound)


def time_torch(model, config, phase, batch, compiled, train_pairs, steps,
               repeats):
  import torch  # pylint: disable=import-outside-toplevel
  from benchmarks import torch_wyner  # pylint: disable=import-outside-toplevel
  torch.manual_seed(0)
  step = torch_wyner.TrainStep(torch_model_of(model), phase,
                               torch.from_numpy(train_pairs.x),
                               torch.from_numpy(train_pairs.y), batch,
                               learning_rate=config.learning_rate,
                               two_eps_sq=config.loss.two_eps_sq,
                               compiled=compiled)
  return common.time_calls(step, steps, repeats)


def main(argv):
  del argv
  threads = os.cpu_count()
  if {'torch', 'torch_compile'} & set(_FRAMEWORKS.value):
    import torch  # pylint: disable=import-outside-toplevel
    torch.set_num_threads(threads)  # XLA:CPU uses every core as well
  config, model, train_pairs = common.setup(_VARIANT.value)
  print(f'model: {_VARIANT.value} (data dimension {model.x_dim})')
  peak = matmul_flops_per_s(_MATMUL.value, 5, _REPEATS.value)
  print(f'devices: {jax.devices()}; {threads} threads; float32 matmul '
        f'{_MATMUL.value}^3: {peak / 1e9:.1f} GFLOP/s')
  if {'torch', 'torch_compile'} & set(_FRAMEWORKS.value):
    difference = max_difference_to_torch(model, train_pairs.x[:64],
                                         train_pairs.y[:64])
    print(f'same parameters in both: max |JAX - PyTorch| of encoder logits and '
          f'decoder outputs {difference:.1e}')

  rows = []
  for batch in (int(b) for b in _BATCHES.value):
    config.batch_size = batch
    for phase in PHASES:
      flops = common.step_flops(model, phase, batch)
      for framework in _FRAMEWORKS.value:
        if framework == 'jax':
          step = common.JaxPhase(config, model, train_pairs, phase)
          first_s, step_s = common.time_calls(step, _STEPS.value, _REPEATS.value)
          host_s = common.dispatch_seconds(step)
        elif framework in ('torch', 'torch_compile'):
          first_s, step_s = time_torch(model, config, phase, batch,
                                       framework == 'torch_compile', train_pairs,
                                       _STEPS.value, _REPEATS.value)
          host_s = None
        else:
          raise app.UsageError(f'--frameworks: {framework!r} is not one of '
                               'jax, torch, torch_compile')
        rows.append({'framework': framework, 'phase': phase, 'batch': batch,
                     'first_call_s': first_s, 'step_ms': 1e3 * step_s,
                     'pairs_per_s': batch / step_s, 'gflop_per_step': flops / 1e9,
                     'fraction_of_matmul_limit': flops / step_s / peak,
                     'host_ms_per_call': None if host_s is None else 1e3 * host_s})
        print(f'{framework:>13} {phase:>8} batch {batch:>4}: '
              f'{1e3 * step_s:7.2f} ms/step, {batch / step_s:8.0f} pairs/s, '
              f'{100 * flops / step_s / peak:5.1f}% of the matmul limit, '
              f'first call {first_s:.1f} s', flush=True)

  by_key = {(r['framework'], r['phase'], r['batch']): r for r in rows}
  print('\n| step | batch | JAX ms | PyTorch eager ms | torch.compile ms | JAX / eager '
        '| JAX / compile | JAX % of matmul limit | JAX host ms/call |')
  print('|---|---|---|---|---|---|---|---|---|')
  for batch in (int(b) for b in _BATCHES.value):
    for phase in PHASES:
      jax_row = by_key.get(('jax', phase, batch))
      cells = []
      for framework in ('jax', 'torch', 'torch_compile'):
        row = by_key.get((framework, phase, batch))
        cells.append(f'{row["step_ms"]:.2f}' if row else 'n/a')
      for framework in ('torch', 'torch_compile'):
        row = by_key.get((framework, phase, batch))
        # Speed ratio: how many times faster JAX is.
        cells.append(f'{row["step_ms"] / jax_row["step_ms"]:.2f}x'
                     if row and jax_row else 'n/a')
      cells.append(f'{100 * jax_row["fraction_of_matmul_limit"]:.1f}%'
                   if jax_row else 'n/a')
      cells.append(f'{jax_row["host_ms_per_call"]:.2f}' if jax_row else 'n/a')
      print(f'| {phase} | {batch} | ' + ' | '.join(cells) + ' |')
  with open(_OUT.value, 'w') as f:
    json.dump({'devices': [str(d) for d in jax.devices()], 'threads': threads,
               'matmul_gflop_per_s': peak / 1e9, 'rows': rows}, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
