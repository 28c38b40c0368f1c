"""What the benchmarks share: the library's real train steps, built as a run
builds them, and the timing protocol (compile separately, warm up, median)."""

import statistics
import time
from collections.abc import Callable

import jax
import numpy as np
import optax

from configs import synthetic
from experiments import run, sources
from experiments.data import PairSet
from wyner_jax import phases, sharding, stack, train
from wyner_jax.model import WynerVAE
from wyner_jax.sides import Side


def setup(variant: str = 'pixels'):
  """(config, model, train pairs) of configs/synthetic.py:variant, as a run
  loads them ('default': configs/synthetic.py itself).

  The benchmarks time the MLPs on pixels (`pixels`, 0.6.0's default, the
  model benchmarks/torch_wyner.py mirrors) unless told otherwise: the
  default's Wyner networks see 16-number codes and do far less work per pair.
  `codes` is those networks: the default config with uniform priors
  (torch_wyner has no learned ones; their KL is one [1, 100] softmax), on
  fixed random codes in (0, 1) of the autoencoder's code size, since the
  time of a step does not depend on the values."""
  if variant == 'codes':
    config = synthetic.get_config()
    config.model.prior = 'uniform'
    num = 4000  # the embedded subset's train pairs
    codes = np.random.default_rng(0).uniform(
        0.01, 0.99, (2, num, config.model.code_size)).astype(np.float32)
    ids = np.arange(num)
    side = Side((config.model.code_size,), 'codes', bounded=True)
    config.model.wrapper = 'none'
    return (config, phases.model_from_config(config, side, side),
            PairSet(codes[0], codes[1], ids % 10, (ids + 1) % 10, ids, ids))
  config = synthetic.get_config(None if variant == 'default' else variant)
  paired = sources.load(config.data)
  return (config, phases.model_from_config(config, paired.x, paired.y),
          paired.train.pairs())


def mnist_model(config) -> WynerVAE:
  """The model of `config` on Add-1 MNIST (both sides 28 x 28 gray digits)."""
  side = Side((28, 28, 1), 'mnist', bounded=True, digits=True)
  return phases.model_from_config(config, side, side)


def time_calls(call: Callable[[], object], steps: int, repeats: int,
               warmup: int = 3) -> tuple[float, float]:
  """(seconds of the first call, median seconds per call after warm-up).

  `call` returns something to wait on (jax arrays, or anything else, which is
  taken as already finished); the first call includes compilation.
  """
  start = time.perf_counter()
  jax.block_until_ready(call())
  first_s = time.perf_counter() - start
  for _ in range(warmup):
    out = call()
  jax.block_until_ready(out)
  per_call = []
  for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(steps):
      out = call()
    jax.block_until_ready(out)
    per_call.append((time.perf_counter() - start) / steps)
  return first_s, statistics.median(per_call)


class JaxPhase:
  """One training step ('joint' or 'marginal') of a stack of models, as
  `run.train_models` builds it (each pair its own table row); calling it
  applies one step in place."""

  def __init__(self, config, model: WynerVAE, train_pairs: PairSet, phase: str,
               num_models: int = 1):
    mesh = sharding.make_mesh()
    specs = [stack.ModelSpec(lam, seed) for seed, lam in
             enumerate(np.geomspace(1e3, 1e5, num_models))]
    keys = [run.RunKeys.from_seed(spec.seed) for spec in specs]
    initial = [model.init(k.init) for k in keys]
    self.stacked = sharding.stacked(mesh)
    rows = np.arange(len(train_pairs.x), dtype=np.int32)
    self.tables = sharding.place(
        train.PairTables(train_pairs.x, train_pairs.y, rows, rows),
        sharding.replicated(mesh))
    optimizer = optax.adam(config.learning_rate)
    chosen = {p.name: p for p in phases.wyner_phases(config, model)}[phase]
    params = stack.stack(initial)
    # Step 2 holds step 1's groups at their initial values (the time of a
    # step does not depend on them).
    self.frozen = (None if chosen.frozen(params) is None else
                   sharding.place(chosen.frozen(params), self.stacked))
    self.state = train.init_state(chosen.initial(params), specs,
                                  run.key_data([k.joint for k in keys]),
                                  optimizer, mesh)
    self.step_fn = train.make_train_step(chosen.loss, optimizer, mesh,
                                         config.batch_size, config.tau,
                                         config.learning_rate)

  def __call__(self):
    self.state, metrics = self.step_fn(self.state, self.frozen, self.tables)
    return metrics


def dense_layers(model: WynerVAE, phase: str):
  """(n_in, n_out, weights trained, input gradient needed) of every layer.

  Step 1 trains the joint encoders and decoders; step 2 trains the marginal
  encoders and back-propagates through the frozen decoders (input gradients
  only). No gradient is taken with respect to the data, so the first layer
  of every encoder has none.
  """
  def mlp(n_in, n_out, trained, input_grad):
    widths = [n_in] + [model.hidden] * model.depth + [n_out]
    return [(a, b, trained, input_grad or i > 0)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]))]

  flat = lambda size: size[0] * size[1]
  data_in = model.x_dim + model.y_dim if phase == 'joint' else model.x_dim
  encoders = ((model.z, model.u, model.v) if phase == 'joint'
              else (model.z, model.u, model.z, model.v))
  layers = []
  for size in encoders:
    layers += mlp(data_in, flat(size), True, False)
  for local in (model.u, model.v):
    layers += mlp(flat(local) + flat(model.z), model.x_dim,
                  phase == 'joint', True)
  return layers


def step_flops(model: WynerVAE, phase: str, batch: int) -> int:
  """Matmul FLOPs of one train step: 2 * batch * n_in * n_out per layer for
  the forward pass, again for the weight gradient of a trained layer and
  again for the input gradient where one is needed. Elementwise work
  (activations, Gumbel-softmax, KL, Adam) is not counted."""
  total = 0
  for n_in, n_out, trained, input_grad in dense_layers(model, phase):
    total += 2 * batch * n_in * n_out * (1 + trained + input_grad)
  return total


def dispatch_seconds(step, calls: int = 50) -> float:
  """Median host time of one step call (the step itself runs asynchronously)."""
  times = []
  for _ in range(calls):
    start = time.perf_counter()
    out = step()
    times.append(time.perf_counter() - start)
    jax.block_until_ready(out)  # so that each call finds an idle device
  return float(np.median(times))
