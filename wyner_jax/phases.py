"""Training phases as data: a model is its networks plus its phases.

A `Phase` says what one training step trains and what it holds fixed:

  name     its checkpoint directory WORKDIR/checkpoints/<name>/ and log prefix
  section  the config section of its training fields (`num_steps`: that
           section's, or the sum over `steps_of`)
  trains   the parameter groups it trains (its train state's params)
  holds    the groups it holds constant, trained by an earlier phase: they
           enter its loss as `frozen` and cannot change
  loss     loss_fn(params, frozen, x, y, rng, tau, lam) -> (loss, metrics)
  relaxed  its loss draws Gumbel-softmax samples at the temperature tau
           (logged as train/tau); False: tau is unused and not logged

One loop runs any phase (`wyner_jax.train.train_phases`); nothing else
builds one. The Wyner VAE's phases (`wyner_phases`):

  joint     trains 'joint', 'decoders' (and learned 'priors'): L1 on pairs
            (+ the cross path's bounds with loss.cross_weight > 0)
  marginal  trains 'marginal', holds 'joint', 'decoders', 'priors': L2x + L2y
            (+ the tie to q(z|x,y) with loss.marginal_tie > 0)

and the paper's wrapper adds one phase per domain before them
(`wyner_jax.autoencoder.autoencoder_phases`).
"""

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wyner_jax import baselines
from wyner_jax import contracts
from wyner_jax import latents
from wyner_jax import losses
from wyner_jax.errors import ArgumentError
from wyner_jax.model import Params, WynerVAE
from wyner_jax.sides import Side

if TYPE_CHECKING:  # configs come from the launchers (the experiments extra)
  import ml_collections

# loss_fn(params, frozen, x, y, rng, tau, lam) -> (loss, metrics)
LossFn = Callable[..., tuple[Any, dict[str, Any]]]


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

  def initial(self, params: Params) -> Params:
    """The groups this phase trains, from initial params of every group
    (a group the model lacks, e.g. 'priors' when fixed, is left out)."""
    return {group: params[group] for group in self.trains if group in params}

  def frozen(self, trained: Params) -> Params | None:
    """The groups this phase holds fixed, from those trained so far; None
    when it holds none."""
    held = {group: trained[group] for group in self.holds if group in trained}
    return held or None


# config.model.kind of the Wyner VAE; the others: wyner_jax.baselines.BASELINES.
WYNER = 'wyner'


def model_from_config(config: 'ml_collections.ConfigDict', x: Side,
                      y: Side) -> Any:
  """The model of `config.model.kind` for data with sides x and y: on their
  values, or on the wrapper's codes (model.wrapper). A WynerVAE, or a model
  of `wyner_jax.baselines`."""
  m = config.model
  wrapped = m.wrapper != 'none'
  networks = dict(hidden=m.hidden, depth=m.depth,
                  x_dim=m.code_size if wrapped else x.dim,
                  y_dim=m.code_size if wrapped else y.dim,
                  x_bounded=wrapped or x.bounded,
                  y_bounded=wrapped or y.bounded,
                  logit_bound=m.logit_bound, dtype=m.dtype)
  # .get: the configs recorded by 0.9.0's checkpoints have neither field.
  kind = m.get('kind', WYNER)
  if kind == WYNER:
    return WynerVAE(z=tuple(m.z), u=tuple(m.u), v=tuple(m.v),
                    latent_type=m.latent_type, local_type=m.local_type,
                    prior=m.prior,
                    local_encoder=m.get('local_encoder', 'pair'),
                    conditional_z=m.get('conditional_z', 'sample'),
                    cross=config.loss.get('cross_weight', 0.0) > 0, **networks)
  if kind not in baselines.BASELINES:
    raise ArgumentError(f'model.kind={kind!r} is not allowed; allowed: '
                        f'{", ".join(KINDS)}')
  cls = baselines.BASELINES[kind]
  if kind in ('mvae', 'mmvae'):  # Gaussian experts
    return cls(z=tuple(m.expert_z), **networks)
  if kind == 'cvae':
    return cls(z=tuple(m.z), latent_type=m.latent_type, **networks)
  if kind == 'jmvae':
    return cls(z=tuple(m.z), latent_type=m.latent_type, prior=m.prior,
               **networks)
  return cls(z=tuple(m.z), u=tuple(m.u), v=tuple(m.v),
             latent_type=m.latent_type, local_type=m.local_type,
             prior=m.prior, **networks)


KINDS = (WYNER, *baselines.BASELINES)


def draws_relaxed_samples(model: Any) -> bool:
  """Whether any non-empty latent of `model` is categorical (relaxed by
  Gumbel-softmax at the temperature tau in training)."""
  families = (getattr(model, name, None)
              for name in ('latent_z', 'latent_u', 'latent_v'))
  return any(isinstance(f, latents.Categorical) and not f.is_empty
             for f in families)


def model_phases(config: 'ml_collections.ConfigDict',
                 model: Any) -> tuple[Phase, ...]:
  """The training phases of any model `model_from_config` builds: the Wyner
  VAE's two (`wyner_phases`), a baseline's one, 'joint', over all of its
  networks, for joint.num_steps + marginal.num_steps steps: the Wyner VAE's
  two steps together, so every kind takes as many optimizer steps."""
  if isinstance(model, WynerVAE):
    return wyner_phases(config, model)
  two_eps_sq, y_weight = config.loss.two_eps_sq, config.loss.y_weight
  two_eps_sq_y = None if y_weight == 1.0 else two_eps_sq / y_weight
  if isinstance(model, (baselines.MVAE, baselines.MMVAE)):
    loss = model.loss_fn(two_eps_sq, two_eps_sq_y)
  elif isinstance(model, baselines.JMVAE):
    loss = model.loss_fn(config.tau.hard, two_eps_sq, two_eps_sq_y,
                         alpha=config.loss.get('alpha', 1.0))
  else:
    loss = model.loss_fn(config.tau.hard, two_eps_sq, two_eps_sq_y)
  return (Phase('joint', 'joint', ('encoders', 'decoders', 'priors',
                                   'y_given_x', 'x_given_y'), (), loss,
                steps_of=('joint', 'marginal'),
                relaxed=draws_relaxed_samples(model)),)


def joint_loss_fn(model: WynerVAE, hard: bool, two_eps_sq: float,
                  local_aggregate_kl: float = 0.0,
                  two_eps_sq_y: float | None = None,
                  cross_weight: float = 0.0) -> LossFn:
  """Step-1 loss of params {'joint', 'decoders'} (and 'priors' when the
  model learns them); `frozen` is unused.

  Args:
    local_aggregate_kl: weight w >= 0 of an extra term
      w * (KL(q_bar(u) || p(u)) + KL(q_bar(v) || p(v))) on the batch's
      aggregate local posteriors (`latents.aggregate_kl_to_uniform`;
      categorical latents only); 0 is the paper's objective. Its values
      enter the metrics as `agg_kl/u`, `agg_kl/v`.
    two_eps_sq_y: Y's 2 eps^2; None: `two_eps_sq`.
    cross_weight: weight c >= 0 of the cross path (a model built with
      cross=True, and only then, needs c > 0): c * (L1 with z ~ q~(z|x) +
      L1 with z ~ q~(z|y)), each `losses.joint_loss` with the unimodal
      encoder in place of q(z|x,y) and the same samples of u and v: the
      bounds of the subsets {x} and {y} beside the pair's, as MoPoE-VAE
      sums them (Sutter et al. 2021), each an upper bound on
      -log p(x, y) + lam I(X,Y;Z). Decoding y from x's z (and x from
      y's) leaves Z only what either side can give: the cross
      reconstruction of the shared/private models (DMVAE, Lee and Pavlovic
      2021). Its terms enter the metrics as `cross/kl/z_x`,
      `cross/kl/z_y`, `cross/rec/y_from_x`, `cross/rec/x_from_y`.
  """
  contracts.check_non_negative_number('cross_weight', cross_weight)
  if (cross_weight > 0) != model.cross:
    raise ArgumentError(
        f'cross_weight={cross_weight} needs a model with cross='
        f'{cross_weight > 0} (its unimodal encoders of step 1); got '
        f'cross={model.cross}')

  def bound(params, logits_z, x_rec, y_rec, out, x, y, lam):
    priors = model.priors(params)
    return losses.joint_loss(
        logits_z, out.logits_u, out.logits_v, x, x_rec, y, y_rec,
        lam, two_eps_sq, z=model.latent_z, u=model.latent_u,
        v=model.latent_v, prior_z=priors['z'], prior_u=priors['u'],
        prior_v=priors['v'], two_eps_sq_y=two_eps_sq_y)

  def loss_fn(params, frozen, x, y, rng, tau, lam):
    del frozen
    out = model.joint_forward(params, x, y, rng, tau, hard)
    loss, metrics = bound(params, out.logits_z, out.x_rec, out.y_rec, out, x,
                          y, lam)
    if cross_weight:
      c = out.cross
      loss_x, from_x = bound(params, c.logits_z_x, c.x_rec_from_x,
                             c.y_rec_from_x, out, x, y, lam)
      loss_y, from_y = bound(params, c.logits_z_y, c.x_rec_from_y,
                             c.y_rec_from_y, out, x, y, lam)
      loss = loss + cross_weight * (loss_x + loss_y)
      metrics = {**metrics, 'loss': loss, 'cross/kl/z_x': from_x['kl/z'],
                 'cross/kl/z_y': from_y['kl/z'],
                 'cross/rec/y_from_x': from_x['rec/y'],
                 'cross/rec/x_from_y': from_y['rec/x']}
    if local_aggregate_kl:
      agg_u = latents.aggregate_kl_to_uniform(out.logits_u)
      agg_v = latents.aggregate_kl_to_uniform(out.logits_v)
      loss = loss + local_aggregate_kl * (agg_u + agg_v)
      metrics = {**metrics, 'loss': loss, 'agg_kl/u': agg_u, 'agg_kl/v': agg_v}
    return loss, metrics
  return loss_fn


def marginal_loss_fn(model: WynerVAE, hard: bool, two_eps_sq: float,
                     two_eps_sq_y: float | None = None,
                     tie: float = 0.0) -> LossFn:
  """Step-2 loss of {'marginal'}; `frozen` holds step 1's {'joint',
  'decoders'} (and 'priors' when the model learns them), kept constant.

  Args:
    tie: weight t >= 0 of the tie of each marginal encoder of z to the
      joint one, t * (KL(q(z|x,y) || q(z|x)) + KL(q(z|x,y) || q(z|y)))
      (`losses.posterior_tie`, JMVAE-KL's), added to the poster's L2x + L2y;
      0 is the poster's step 2. Its values enter the metrics as `tie/x`,
      `tie/y`.
  """
  contracts.check_non_negative_number('tie', tie)
  def loss_fn(params, frozen, x, y, rng, tau, lam):
    del lam  # step 2 has no lambda term
    out = model.marginal_forward(params['marginal'], frozen['decoders'], x, y,
                                 rng, tau, hard)
    priors = model.priors(frozen)
    loss, metrics = losses.marginal_loss(
        *out[:4], x, out.x_rec, y, out.y_rec, two_eps_sq, z=model.latent_z,
        u=model.latent_u, v=model.latent_v, prior_z=priors['z'],
        prior_u=priors['u'], prior_v=priors['v'], two_eps_sq_y=two_eps_sq_y)
    if tie:
      joint_z = model.encode(frozen['joint']['z'], model.latent_z, x, y)
      tie_x = losses.posterior_tie(joint_z, out.logits_z_x, z=model.latent_z)
      tie_y = losses.posterior_tie(joint_z, out.logits_z_y, z=model.latent_z)
      loss = loss + tie * (tie_x + tie_y)
      metrics = {**metrics, 'loss': loss, 'tie/x': tie_x, 'tie/y': tie_y}
    return loss, metrics
  return loss_fn


def wyner_phases(config: 'ml_collections.ConfigDict',
                 model: WynerVAE) -> tuple[Phase, Phase]:
  """The Wyner VAE's two phases under `config` (module docstring)."""
  hard, two_eps_sq = config.tau.hard, config.loss.two_eps_sq
  # Y's likelihood weight w: Y's 2 eps^2 is X's / w (1: the paper's one eps).
  y_weight = config.loss.y_weight
  two_eps_sq_y = None if y_weight == 1.0 else two_eps_sq / y_weight
  return (
      Phase('joint', 'joint', ('joint', 'decoders', 'priors'), (),
            joint_loss_fn(model, hard, two_eps_sq,
                          config.loss.local_aggregate_kl, two_eps_sq_y,
                          config.loss.get('cross_weight', 0.0)),
            relaxed=draws_relaxed_samples(model)),
      Phase('marginal', 'marginal', ('marginal',),
            ('joint', 'decoders', 'priors'),
            marginal_loss_fn(model, hard, two_eps_sq, two_eps_sq_y,
                             config.loss.get('marginal_tie', 0.0)),
            relaxed=draws_relaxed_samples(model)))
