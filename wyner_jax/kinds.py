"""What a model kind is to the harness: how it is built from a config, and
its training phases.

A `Phase` says what one training step trains and what it holds fixed:

  name     its checkpoint directory WORKDIR/checkpoints/<name>/ and log prefix
  section  the config section of its training fields (`num_steps`: that
           section's, or the sum over `steps_of`)
  trains   the parameter groups it trains (its train state's params)
  holds    the groups it holds constant, trained by an earlier phase: they
           enter its loss as `frozen` and cannot change
  loss     loss_fn(params, batch) -> (loss, metrics): `params` the groups it
           trains, `batch` a `Batch`
  relaxed  its loss draws Gumbel-softmax samples at the temperature tau
           (logged as train/tau); False: tau is unused and not logged

A `Kind` is one entry of the registry of model kinds
(`wyner_jax.phases.REGISTRY`, keyed by `config.model.kind`): `build(config,
networks)` makes the model from the config's `model` section and the
networks' sizes every kind shares, `phases(config, model)` its phases,
`search_space` what the equal-budget tuning may change (a tuple of
dimensions (name, options), an option a dict {config path: value} set
together; `SHARED_SPACE` first: every kind tunes the learning rate and
2 eps^2, then its own latents and weights). Its sampling is the model's own
surface (`wyner_jax.baselines.base`). Each
kind declares its own in its module (`wyner_jax.phases` the Wyner VAE's,
each module of `wyner_jax.baselines` its `KIND`); adding a kind is one
module and one registry line. Nothing here imports a model, so every
model's module can declare its kind.
"""

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from wyner_jax import contracts
from wyner_jax import latents

if TYPE_CHECKING:  # configs come from the launchers (the experiments extra)
  import ml_collections

Params = dict[str, Any]


class Batch(NamedTuple):
  """What one training step's loss reads besides the parameters it trains.
  A loss reads the fields it needs (most do not read them all).

  Attributes:
    x, y: the pairs, [B, ...] each.
    rng: the step's noise key (latent samples).
    tau: the Gumbel-softmax temperature of relaxed samples.
    lam: the model's lambda, read by the Wyner VAE's step 1 alone (a kind
      without lambda gets NaN or None: its loss never reads it).
    frozen: the groups trained by earlier phases, held constant (the
      phase's `frozen`); None when it holds none.
  """
  x: Any
  y: Any
  rng: Any
  tau: Any = 1.0
  lam: Any = 0.0
  frozen: Params | None = None


# loss_fn(params, batch: Batch) -> (loss, metrics)
LossFn = Callable[[Params, Batch], tuple[Any, dict[str, Any]]]


@dataclasses.dataclass(frozen=True)
class Phase:
  """One training step (module docstring)."""
  name: str
  section: str
  trains: tuple[str, ...]
  holds: tuple[str, ...]
  loss: LossFn
  # Sections whose num_steps add up to this phase's ((): `section`'s alone).
  steps_of: tuple[str, ...] = ()
  relaxed: bool = True

  def num_steps(self, config: Any) -> int:
    """Its steps under `config` (a ConfigDict, or a record's dict of one)."""
    return sum(config[section]['num_steps']
               for section in self.steps_of or (self.section,))

  def learning_rate(self, config: Any) -> float:
    """Its Adam learning rate: its section's `learning_rate` where the
    config sets one (the wrapper's autoencoder, `autoencoder.learning_rate`:
    a pretrained feature map, not tuned with the model on it), else the
    config's `learning_rate`."""
    return config[self.section].get('learning_rate', config['learning_rate'])

  def initial(self, params: Params) -> Params:
    """The groups this phase trains, from initial params of every group
    (a group the model lacks, e.g. 'priors' when fixed, is left out)."""
    return {group: params[group] for group in self.trains if group in params}

  def frozen(self, trained: Params) -> Params | None:
    """The groups this phase holds fixed, from those trained so far; None
    when it holds none."""
    held = {group: trained[group] for group in self.holds if group in trained}
    return held or None


@dataclasses.dataclass(frozen=True)
class Kind:
  """One model kind of the registry (module docstring)."""
  # (config, networks: the sizes every kind shares) -> the model
  build: Callable[['ml_collections.ConfigDict', dict[str, Any]], Any]
  # (config, model) -> its phases, in training order
  phases: Callable[['ml_collections.ConfigDict', Any], tuple[Phase, ...]]
  # What the tuning may change (module docstring).
  search_space: 'SearchSpace' = ()
  # Its loss reads lambda (the Wyner VAE's): its models are named and
  # swept by lambda; the others' by seed alone ('seed0').
  weighs_lambda: bool = False


# (name, options) per dimension; an option {config path: value}.
SearchSpace = tuple[tuple[str, tuple[dict[str, Any], ...]], ...]

SHARED_SPACE: SearchSpace = (
    ('learning_rate', tuple({'learning_rate': v} for v in (3e-4, 1e-3, 3e-3))),
    # In absolute units, whatever the config's (loss.two_eps_sq_unit): the
    # values the tunings of docs/results.md drew.
    ('two_eps_sq', tuple({'loss.two_eps_sq_unit': 'absolute',
                          'loss.two_eps_sq': v} for v in (1e-3, 1e-2, 1e-1))),
)


def categorical_latents(z: tuple[int, int], local: tuple[int, ...] = (0, 0)
                        ) -> dict[str, Any]:
  """A search-space option: categorical latents z and u = v (`local`; left
  empty for models without local latents)."""
  return {'model.latent_type': 'categorical', 'model.local_type': '',
          'model.z': z, 'model.u': local, 'model.v': local}


def gaussian_latents(z: tuple[int], local: tuple[int] = (0,)
                     ) -> dict[str, Any]:
  """A search-space option: Gaussian latents z and u = v (`local`)."""
  return {'model.latent_type': 'gaussian', 'model.local_type': '',
          'model.z': z, 'model.u': local, 'model.v': local}


# Z, U and V of the models with private latents (the Wyner VAE,
# bi-VCCA-private): the paper's categoricals, the authors' later Gaussian
# sizes (z 16, u = v 8), Gaussian locals of less capacity, and a categorical
# Z with Gaussian locals.
PRIVATE_LATENTS = (
    categorical_latents((1, 100), (1, 10)),
    gaussian_latents((16,), (8,)),
    gaussian_latents((16,), (2,)),
    {**categorical_latents((1, 100), (8,)), 'model.local_type': 'gaussian'},
)


# loss.two_eps_sq_unit: what loss.two_eps_sq is measured in. 'absolute':
# it is 2 eps^2 itself (the paper's). 'total_variance': a fraction of each
# side's total variance over the train pairs (the sum of its values'
# variances, `experiments.data.Split.total_variances`), so 1 / two_eps_sq
# is what reconstructing a side exactly, rather than by its mean, is worth
# in nats, whatever the side's size and scale (pixels in [0, 1] or [0, 255],
# 16-number codes, standardised features).
TWO_EPS_SQ_UNITS = ('absolute', 'total_variance')


def likelihood_scales(config: 'ml_collections.ConfigDict'
                      ) -> tuple[float, float | None]:
  """(X's 2 eps^2, Y's or None for the same): Y's is X's / loss.y_weight
  (1: the paper's one eps). loss.two_eps_sq_unit must be 'absolute'
  (`absolute_likelihood` makes it so)."""
  if config.loss.get('two_eps_sq_unit', 'absolute') != 'absolute':
    raise ValueError('loss.two_eps_sq_unit is '
                     f'{config.loss.two_eps_sq_unit!r}: resolve it with the '
                     "data's total variances (absolute_likelihood) first")
  two_eps_sq, y_weight = config.loss.two_eps_sq, config.loss.y_weight
  return two_eps_sq, None if y_weight == 1.0 else two_eps_sq / y_weight


def absolute_likelihood(config: 'ml_collections.ConfigDict',
                        total_variances: tuple[float, float] | None
                        ) -> 'ml_collections.ConfigDict':
  """`config` with loss.two_eps_sq in the unit 'absolute' (TWO_EPS_SQ_UNITS):
  itself where it already is; otherwise a copy with X's 2 eps^2 =
  two_eps_sq * X's total variance and Y's = two_eps_sq * Y's total variance /
  y_weight (as loss.two_eps_sq and loss.y_weight).

  Args:
    total_variances: (X's, Y's) total variance of what the decoders
      reconstruct (the data, or the wrapper's codes of them) over the train
      pairs; None where not yet read (a run plans its phases before its
      wrapper's codes exist): 2 eps^2 is then NaN, so a loss built from it
      cannot pass for a trained one.
  """
  unit = config.loss.get('two_eps_sq_unit', 'absolute')
  if unit == 'absolute':
    return config
  contracts.check_choice('loss.two_eps_sq_unit', unit, TWO_EPS_SQ_UNITS)
  variances = []
  for side, variance in zip('xy', total_variances or (None, None)):
    if variance is not None:
      name = f"side {side}'s total variance"
      # One finite number of any real dtype (NaN refused), as the losses'
      # weights; then > 0, with what a constant side means.
      contracts.check_number(name, variance, 'a finite number', np.isfinite)
      if not variance > 0:
        raise ValueError(
            f'{name} over the train pairs is {variance}: it is constant, so '
            "a 2 eps^2 relative to it is 0; set loss.two_eps_sq_unit='absolute'")
    variances.append(float('nan') if variance is None else float(variance))
  variance_x, variance_y = variances
  resolved = config.copy_and_resolve_references()
  with resolved.unlocked():
    resolved.loss.two_eps_sq_unit = 'absolute'
    resolved.loss.two_eps_sq = config.loss.two_eps_sq * variance_x
    # Y's 2 eps^2 = two_eps_sq * variance_y / y_weight, as a weight on X's.
    resolved.loss.y_weight = config.loss.y_weight * variance_x / variance_y
  return resolved


def draws_relaxed_samples(model: Any) -> bool:
  """Whether any non-empty latent of `model` is categorical (relaxed by
  Gumbel-softmax at the temperature tau in training)."""
  families = (getattr(model, name, None)
              for name in ('latent_z', 'latent_u', 'latent_v'))
  return any(isinstance(f, latents.Categorical) and not f.is_empty
             for f in families)


def one_phase(model: Any, loss: LossFn,
              groups: tuple[str, ...]) -> tuple[Phase]:
  """The single phase of a model trained in one step: 'joint', over all of
  its `groups`, for joint.num_steps + marginal.num_steps steps (the Wyner
  VAE's two steps together, so every kind takes as many optimizer steps)."""
  return (Phase('joint', 'joint', groups, (), loss,
                steps_of=('joint', 'marginal'),
                relaxed=draws_relaxed_samples(model)),)
