"""What the benchmarks share: the library's real train steps, built as a run
builds them, and the timing protocol (compile separately, warm up, median)."""

import statistics
import time
from collections.abc import Callable

import jax
import numpy as np
import optax

from wyner_jax import run, sharding, train
from wyner_jax.data import PairSet
from wyner_jax.lambda_sweep import ModelSpec
from wyner_jax.model import WynerVAE


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
  `run.train_models` builds it; calling it applies one step in place."""

  def __init__(self, config, model: WynerVAE, train_pairs: PairSet, phase: str,
               num_models: int = 1):
    mesh = sharding.make_mesh()
    specs = [ModelSpec(lam, seed) for seed, lam in
             enumerate(np.geomspace(1e3, 1e5, num_models))]
    keys = [run.RunKeys.from_seed(spec.seed) for spec in specs]
    initial = [model.init(k.init) for k in keys]
    stacked = sharding.stacked(mesh)
    self.data = sharding.place((train_pairs.x, train_pairs.y),
                               sharding.replicated(mesh))
    self.key_data = sharding.place(run.key_data([k.joint for k in keys]), stacked)
    self.lams = sharding.place(np.array([s.lam for s in specs], np.float32),
                               stacked)
    optimizer = optax.adam(config.learning_rate)
    hard, two_eps_sq = config.tau.hard, config.loss.two_eps_sq
    joint_params = train.stack([{'joint': p['joint'], 'decoders': p['decoders']}
                                for p in initial])
    if phase == 'joint':
      loss_fn, params, self.frozen = (
          train.joint_loss_fn(model, hard, two_eps_sq), joint_params, None)
    else:
      loss_fn, params = (train.marginal_loss_fn(model, hard, two_eps_sq),
                         train.stack([p['marginal'] for p in initial]))
      self.frozen = sharding.place(joint_params['decoders'], stacked)
    self.state = train.init_state(params, optimizer, mesh)
    self.step_fn = train.make_train_step(loss_fn, optimizer, mesh,
                                         config.batch_size, config.tau,
                                         config.learning_rate)

  def __call__(self):
    self.state, metrics = self.step_fn(self.state, self.frozen, *self.data,
                                       self.key_data, self.lams)
    return metrics
