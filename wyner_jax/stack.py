"""The stack of models a run trains together: the one place that knows its axis.

A run trains S models at once (S = 1 for a single run; several for a lambda
or seed sweep) that differ in lambda and seed only. Their train states are one
pytree whose every leaf has a leading model axis [S, ...], and each model's
lambda, seed and key are leaves of it (`wyner_jax.train.TrainState`), so a
stacked state says by itself which models it holds. The train step vmaps over
the axis (`wyner_jax.train.make_train_step`); everything else reads the stack
through `members` (name, lambda, seed and unstacked state of each model) and
`current_step`, and builds one with `stack`.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from wyner_jax import sharding
from wyner_jax.errors import ArgumentError


def model_name(lam: float | None, seed: int) -> str:
  """The name of a model in logs, directories and results: 'lam1000_seed0';
  'seed0' for a model without lambda (lam None: the baselines)."""
  return f'seed{seed}' if lam is None else f'lam{lam:g}_seed{seed}'


class ModelSpec(NamedTuple):
  """What differs between the models of one stack."""
  lam: float | None  # None: a model kind without lambda (its state holds NaN)
  seed: int

  @property
  def name(self) -> str:
    return model_name(self.lam, self.seed)


class Member(NamedTuple):
  """One model of a stack."""
  name: str
  lam: float | None  # None: a model kind without lambda
  seed: int
  state: Any  # its unstacked train state (or any tree of its arrays)


def stack(trees: Sequence[Any]) -> Any:
  """One tree with a leading model axis from S trees of the same structure:
  host arrays (stacking compiles nothing), or traced ones inside a trace
  (`jax.eval_shape` of an initialisation)."""
  def leaf(*leaves):
    traced = any(isinstance(a, jax.core.Tracer) for a in leaves)
    return jnp.stack(leaves) if traced else np.stack(leaves)
  return jax.tree.map(leaf, *trees)


def unstack(tree: Any) -> list[Any]:
  """The S trees of a stacked tree, as host arrays."""
  host = sharding.to_host(tree)
  size = len(jax.tree.leaves(host)[0])
  return [jax.tree.map(lambda leaf, i=i: leaf[i], host) for i in range(size)]


def members(state: Any, trees: Any = None) -> list[Member]:
  """Each model of a stacked train state: name, lambda, seed and its state.

  Args:
    state: a stacked `TrainState` (fields `lam` and `seed` [S]), on the
      devices or on the host.
    trees: optional stacked tree of the same models (e.g. the metrics of a
      step, or parameters of all groups) to hand out instead of the state.

  Returns:
    One Member per model, in stack order.
  """
  lams, seeds = sharding.to_host((state.lam, state.seed))
  parts = unstack(state if trees is None else trees)
  lams = [None if np.isnan(lam) else float(lam) for lam in lams]
  return [Member(model_name(lam, int(seed)), lam, int(seed), part)
          for lam, seed, part in zip(lams, seeds, parts)]


def named(specs: Sequence[ModelSpec], tree: Any) -> list[Member]:
  """One Member per spec, handing out its part of the stacked `tree`."""
  return [Member(spec.name, spec.lam, spec.seed, part)
          for spec, part in zip(specs, unstack(tree))]


def current_step(state: Any) -> int:
  """The step of a stacked state: every model of a stack is at the same step."""
  steps = np.unique(sharding.to_host(state.step))
  if len(steps) != 1:
    raise ArgumentError(f'the models of a stack are at different steps {steps}')
  return int(steps[0])
