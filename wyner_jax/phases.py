"""The registry of model kinds, and the Wyner VAE's phases.

`REGISTRY` maps `config.model.kind` to its `wyner_jax.kinds.Kind` (how the
model is built from the config, its training phases): the Wyner VAE's here,
each baseline's in its module (`wyner_jax.baselines.KINDS`). A `Phase`
(`wyner_jax.kinds`, re-exported here) says what one training step trains and
holds fixed; one loop runs any phase (`wyner_jax.train.train_phases`). The
Wyner VAE's phases (`wyner_phases`):

  joint     trains 'joint', 'decoders' (and learned 'priors'): L1 on pairs
            (+ the cross path's bounds with loss.cross_weight > 0)
  marginal  trains 'marginal', holds 'joint', 'decoders', 'priors': L2x + L2y
            (+ the tie to q(z|x,y) with loss.marginal_tie > 0)

and the paper's wrapper adds one phase per domain before them
(`wyner_jax.autoencoder.autoencoder_phases`).
"""

from typing import TYPE_CHECKING, Any

from wyner_jax import baselines
from wyner_jax import contracts
from wyner_jax import kinds
from wyner_jax import latents
from wyner_jax import losses
from wyner_jax.errors import ArgumentError
from wyner_jax.kinds import Batch, LossFn, Phase, draws_relaxed_samples
from wyner_jax.model import WynerVAE
from wyner_jax.sides import Side

if TYPE_CHECKING:  # configs come from the launchers (the experiments extra)
  import ml_collections

__all__ = ['KINDS', 'Batch', 'LossFn', 'Phase', 'REGISTRY', 'WYNER',
           'draws_relaxed_samples', 'joint_loss_fn', 'kind_of',
           'marginal_loss_fn', 'model_from_config', 'model_phases',
           'wyner_phases']

# config.model.kind of the Wyner VAE; the others: wyner_jax.baselines.KINDS.
WYNER = 'wyner'


def model_from_config(config: 'ml_collections.ConfigDict', x: Side,
                      y: Side) -> Any:
  """The model of `config.model.kind` (`REGISTRY`) for data with sides x
  and y: on their values, or on the wrapper's codes (model.wrapper). A
  WynerVAE, or a model of `wyner_jax.baselines`."""
  m = config.model
  wrapped = m.wrapper != 'none'
  networks = dict(hidden=m.hidden, depth=m.depth,
                  x_dim=m.code_size if wrapped else x.dim,
                  y_dim=m.code_size if wrapped else y.dim,
                  x_bounded=wrapped or x.bounded,
                  y_bounded=wrapped or y.bounded,
                  logit_bound=m.logit_bound, dtype=m.dtype,
                  # .get: configs recorded by earlier versions lack it.
                  conditional_z=m.get('conditional_z', 'sample'))
  return kind_of(config).build(config, networks)


def model_phases(config: 'ml_collections.ConfigDict', model: Any,
                 total_variances: tuple[float, float] | None = None
                 ) -> tuple[Phase, ...]:
  """The training phases of the model `model_from_config` builds from
  `config`: its kind's (`REGISTRY`): the Wyner VAE's two (`wyner_phases`),
  a baseline's one, 'joint', over all of its networks, for joint.num_steps +
  marginal.num_steps steps, so every kind takes as many optimizer steps.

  Args:
    total_variances: (X's, Y's) total variance over the train pairs of what
      the model reconstructs, read where loss.two_eps_sq_unit is
      'total_variance' (`kinds.absolute_likelihood`); None there: the
      phases' losses have a NaN 2 eps^2 (their names and sections are
      right).
  """
  return kind_of(config).phases(
      kinds.absolute_likelihood(config, total_variances), model)


def kind_of(config: 'ml_collections.ConfigDict') -> kinds.Kind:
  """The registry entry of `config.model.kind` (ArgumentError if none)."""
  # .get: the configs recorded by 0.9.0's checkpoints have no model.kind.
  kind = config.model.get('kind', WYNER)
  if kind not in REGISTRY:
    raise ArgumentError(f'model.kind={kind!r} is not allowed; allowed: '
                        f'{", ".join(REGISTRY)}')
  return REGISTRY[kind]


def _build_wyner(config: 'ml_collections.ConfigDict',
                 networks: dict[str, Any]) -> WynerVAE:
  m = config.model
  # .get: fields that configs recorded by earlier versions lack.
  return WynerVAE(z=tuple(m.z), u=tuple(m.u), v=tuple(m.v),
                  latent_type=m.latent_type, local_type=m.local_type,
                  prior=m.prior, local_encoder=m.get('local_encoder', 'pair'),
                  cross=config.loss.get('cross_weight', 0.0) > 0,
                  cross_locals=config.loss.get('cross_locals', 'posterior'),
                  **networks)


def joint_loss_fn(model: WynerVAE, hard: bool, two_eps_sq: float,
                  local_aggregate_kl: float = 0.0,
                  two_eps_sq_y: float | None = None,
                  cross_weight: float = 0.0) -> LossFn:
  """Step-1 loss of params {'joint', 'decoders'} (and 'priors' when the
  model learns them); it reads the batch's x, y, rng, tau and lam.

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
      2021). With the model's cross_locals='prior' the other side's local
      is drawn from its prior there, and its rate leaves that bound
      (KL(p || p) = 0): the bound of q~(z|x) q(u|x,y) p(v) and of
      q~(z|y) p(u) q(v|x,y). Its terms enter the metrics as `cross/kl/z_x`,
      `cross/kl/z_y`, `cross/rec/y_from_x`, `cross/rec/x_from_y`.
  """
  contracts.check_non_negative_number('cross_weight', cross_weight)
  if (cross_weight > 0) != model.cross:
    raise ArgumentError(
        f'cross_weight={cross_weight} needs a model with cross='
        f'{cross_weight > 0} (its unimodal encoders of step 1); got '
        f'cross={model.cross}')

  def bound(params, logits_z, x_rec, y_rec, out, x, y, lam, from_prior=()):
    priors = model.priors(params)
    loss, metrics = losses.joint_loss(
        logits_z, out.logits_u, out.logits_v, x, x_rec, y, y_rec,
        lam, two_eps_sq, z=model.latent_z, u=model.latent_u,
        v=model.latent_v, prior_z=priors['z'], prior_u=priors['u'],
        prior_v=priors['v'], two_eps_sq_y=two_eps_sq_y)
    # A local drawn from its prior has no rate: KL(p || p) = 0.
    return loss - sum(metrics[f'kl/{name}'] for name in from_prior), metrics

  def loss_fn(params, batch: Batch):
    x, y, lam = batch.x, batch.y, batch.lam
    out = model.joint_forward(params, x, y, batch.rng, batch.tau, hard)
    loss, metrics = bound(params, out.logits_z, out.x_rec, out.y_rec, out, x,
                          y, lam)
    if cross_weight:
      c, prior_drawn = out.cross, model.cross_locals == 'prior'
      loss_x, from_x = bound(params, c.logits_z_x, c.x_rec_from_x,
                             c.y_rec_from_x, out, x, y, lam,
                             ('v',) if prior_drawn else ())
      loss_y, from_y = bound(params, c.logits_z_y, c.x_rec_from_y,
                             c.y_rec_from_y, out, x, y, lam,
                             ('u',) if prior_drawn else ())
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
  """Step-2 loss of {'marginal'}; the batch's `frozen` holds step 1's
  {'joint', 'decoders'} (and 'priors' when the model learns them), kept
  constant; its lam is unused (step 2 has no lambda term).

  Args:
    tie: weight t >= 0 of the tie of each marginal encoder of z to the
      joint one, t * (KL(q(z|x,y) || q(z|x)) + KL(q(z|x,y) || q(z|y)))
      (`losses.posterior_tie`, JMVAE-KL's), added to the poster's L2x + L2y;
      0 is the poster's step 2. Its values enter the metrics as `tie/x`,
      `tie/y`.
  """
  contracts.check_non_negative_number('tie', tie)
  def loss_fn(params, batch: Batch):
    x, y, frozen = batch.x, batch.y, batch.frozen
    out = model.marginal_forward(params['marginal'], frozen['decoders'], x, y,
                                 batch.rng, batch.tau, hard)
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
  hard = config.tau.hard
  two_eps_sq, two_eps_sq_y = kinds.likelihood_scales(config)
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


# What the tuning may change for the Wyner VAE: its latents, lambda, and the
# two options beyond the paper (the step-2 tie, the cross path).
SEARCH_SPACE = kinds.SHARED_SPACE + (
    ('latents', kinds.PRIVATE_LATENTS),
    ('lam', tuple({'loss.lam': v} for v in (0.0, 0.5, 1.0))),
    ('marginal_tie', tuple({'loss.marginal_tie': v} for v in (0.0, 1.0))),
    ('cross_weight', tuple({'loss.cross_weight': v} for v in (0.0, 1.0, 3.0))),
)

# config.model.kind -> how the model is built and trained: the Wyner VAE's
# and each baseline's (one module and one line here per kind).
REGISTRY: dict[str, kinds.Kind] = {
    WYNER: kinds.Kind(_build_wyner, wyner_phases, SEARCH_SPACE,
                      weighs_lambda=True),
    **baselines.KINDS}
KINDS = tuple(REGISTRY)
