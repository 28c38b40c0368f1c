r"""The Adam update alone, on the parameters of the default model's step 1.

  python -m benchmarks.optimizer_update

The update is memory-bound: it reads the gradients, both moments and the
parameters and writes moments and parameters back (about 7 x 4 bytes per
parameter). Times optax.adam jitted (new output buffers each call, and with
the inputs donated so that XLA can update in place) against PyTorch's Adam
(foreach, the default; fused; and torch.compile of the foreach step), median
of repeats (benchmarks/common.py).
"""

import os

from absl import app
import jax
import numpy as np
import optax

from benchmarks import common
from configs import synthetic


def main(argv):
  del argv
  config = synthetic.get_config('pixels')
  model = common.mnist_model(config)
  params = model.init(jax.random.key(0))
  params = {'joint': params['joint'], 'decoders': params['decoders']}
  grads = jax.tree.map(lambda p: p * 0.5 + 1e-3, params)
  num = sum(p.size for p in jax.tree.leaves(params))
  optimizer = optax.adam(config.learning_rate)

  def update(params, opt_state):
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  rows = {}
  for name, jitted in (('optax.adam, jit', jax.jit(update)),
                       ('optax.adam, jit, donated', jax.jit(update, donate_argnums=(0, 1)))):
    state = [jax.tree.map(lambda p: p + 0, params), None]
    state[1] = optimizer.init(state[0])

    def call(jitted=jitted, state=state):
      state[0], state[1] = jitted(state[0], state[1])
      return state[0]
    rows[name] = common.time_calls(call, 20, 5)[1]

  try:
    import torch  # pylint: disable=import-outside-toplevel
  except ImportError:
    torch = None
  if torch is not None:
    torch.set_num_threads(os.cpu_count())
    for name, kwargs, compiled in (('torch Adam, foreach', {}, False),
                                   ('torch Adam, fused', {'fused': True}, False),
                                   ('torch Adam, foreach, torch.compile', {}, True)):
      tensors = [torch.nn.Parameter(torch.from_numpy(np.array(p)))
                 for p in jax.tree.leaves(params)]
      for t in tensors:
        t.grad = torch.full_like(t, 1e-3)
      adam = torch.optim.Adam(tensors, lr=config.learning_rate, **kwargs)
      step = torch.compile(adam.step) if compiled else adam.step
      rows[name] = common.time_calls(step, 20, 5)[1]

  print(f'{num:,} parameters (step 1 of the default model), '
        f'{os.cpu_count()} threads; {7 * 4 * num / 1e6:.0f} MB moved per update')
  print('| update | ms | GB/s |')
  print('|---|---|---|')
  for name, seconds in rows.items():
    print(f'| {name} | {1e3 * seconds:.2f} | {7 * 4 * num / seconds / 1e9:.1f} |')


if __name__ == '__main__':
  app.run(main)
