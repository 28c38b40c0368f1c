"""Held-out objectives of both steps, computed over a whole pair set."""

import jax
import jax.numpy as jnp

from experiments.data import PairSet
from wyner_jax.kinds import Batch

EVAL_CHUNK = 1000  # pairs per jitted call; bounds memory on big test sets


def evaluate_loss(loss_fn, params, frozen, pairs: PairSet, rng: jax.Array,
                  tau: float, lam: float) -> dict[str, float]:
  """Example-weighted mean of `loss_fn`'s metrics over all pairs.

  Args:
    loss_fn: (params, batch: `wyner_jax.kinds.Batch`) -> (loss, metrics),
      as a phase's `loss` (`wyner_jax.phases`).
    rng: noise key; chunk i uses fold_in(rng, i), so the result is fixed.
    tau: temperature of the relaxed samples.

  Returns:
    {metric name: value}.
  """
  metrics_fn = jax.jit(
      lambda p, f, x, y, r: loss_fn(p, Batch(x, y, r, tau, lam, f))[1])
  totals: dict[str, float] = {}
  num = len(pairs.x)
  for i, start in enumerate(range(0, num, EVAL_CHUNK)):
    x = jnp.asarray(pairs.x[start:start + EVAL_CHUNK])
    y = jnp.asarray(pairs.y[start:start + EVAL_CHUNK])
    metrics = jax.device_get(metrics_fn(params, frozen, x, y,
                                        jax.random.fold_in(rng, i)))
    for k, v in metrics.items():
      totals[k] = totals.get(k, 0.0) + float(v) * len(x)
  return {k: v / num for k, v in totals.items()}
