"""The Wyner VAE: which networks exist and how they connect.

    joint encoders (step 1)     q(z|x,y), q(u|x,y), q(v|x,y)
                                (local_encoder='z_side': q(u|z,x), q(v|z,y))
    decoders                    x(u, z), y(v, z)
    marginal encoders (step 2)  q(z|x), q(u|x)   and   q(z|y), q(v|y)

Parameters are a plain nested dict with three top-level groups, so the two
training steps can own disjoint parts of it:

    {'joint': {'z', 'u', 'v'}, 'decoders': {'x', 'y'},
     'marginal': {'z_x', 'u_x', 'z_y', 'v_y'}}

(with local_encoder='z_side', 'joint' holds {'z', 'u_x', 'v_y'}: an
encoder's name says the one side it sees;
with cross=True it also holds step 1's unimodal encoders {'z_x', 'z_y'})

and, with learned priors (`prior='learned'`), a fourth that step 1 trains
and step 2 keeps frozen: {'priors': {'z', 'u', 'v'}}, each prior's
parameters [*param_shape] (`wyner_jax.latents`; none for an empty latent,
whose KL is 0 under any prior). `wyner_jax.phases.wyner_phases` says which
groups each step trains or holds fixed.

X and Y may differ in size and kind (`x_dim`, `y_dim`, `x_bounded`,
`y_bounded`; `wyner_jax.sides`): the MLPs see each side flattened.

An empty latent (size (0, 0), or (0,) for Gaussian latents) has no network:
its entry is an empty dict and its parameters are a [B, 0, ...] array.
"""

import dataclasses
import functools
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax import latents
from wyner_jax import networks
from wyner_jax import sampling
from wyner_jax.errors import ArgumentError

Params = dict[str, Any]
Size = tuple[int, ...]
PRIORS = ('uniform', 'learned')
SIDES = ('x', 'y')
# The joint encoders of U and V: 'pair', the poster's q(u|x,y), q(v|x,y);
# 'z_side', the authors' later code's q(u|z,x), q(v|z,y) (u conditioned on
# the common latent's sample and its own side only).
LOCAL_ENCODERS = ('pair', 'z_side')
# How conditional generation takes z from q(z|condition): a sample, or its
# mode (the mean of a Gaussian), so that only the other side's local
# latent varies, as the authors' later code samples.
CONDITIONAL_Z = ('sample', 'mode')
CROSS_LOCALS = ('posterior', 'prior')
DTYPES = ('float32', 'bfloat16')


class CrossOutputs(NamedTuple):
  """Step 1's cross path (cross=True): z drawn from one side's encoder
  q~(z|x) or q~(z|y), decoded with the joint path's samples of u and v
  (with cross_locals='prior', the other side's local drawn from its prior:
  y(v ~ p(v), z~x), x(u ~ p(u), z~y))."""
  logits_z_x: jax.Array  # of q~(z|x)
  logits_z_y: jax.Array  # of q~(z|y)
  x_rec_from_x: jax.Array  # x(u, z~x)
  y_rec_from_x: jax.Array  # y(v, z~x): y from x's z
  x_rec_from_y: jax.Array  # x(u, z~y): x from y's z
  y_rec_from_y: jax.Array  # y(v, z~y)


class JointOutputs(NamedTuple):
  """Step-1 forward pass on a batch of pairs (latent parameters: logits
  [B, N, K] for categorical latents, [B, D, 2] for Gaussian ones)."""
  logits_z: jax.Array  # of q(z|x,y)
  logits_u: jax.Array  # of q(u|x,y)
  logits_v: jax.Array  # of q(v|x,y)
  x_rec: jax.Array  # [B, Dx] x(u, z)
  y_rec: jax.Array  # [B, Dy] y(v, z)
  cross: CrossOutputs | None = None  # with cross=True


class MarginalOutputs(NamedTuple):
  """Step-2 forward pass: each side encoded alone, decoded by the frozen decoders."""
  logits_z_x: jax.Array  # of q(z|x)
  logits_u: jax.Array  # of q(u|x)
  logits_z_y: jax.Array  # of q(z|y)
  logits_v: jax.Array  # of q(v|y)
  x_rec: jax.Array  # [B, Dx]
  y_rec: jax.Array  # [B, Dy]


@dataclasses.dataclass(frozen=True)
class WynerVAE:
  """Static description of a Wyner VAE; all methods are pure functions of params.

  Attributes:
    z, u, v: sizes of the common and local latents: (N, K) categoricals, or
      (D,) dimensions when `latent_type='gaussian'`; (0, 0) / (0,) for none.
    hidden: hidden width of every MLP.
    depth: number of hidden layers of every MLP.
    x_dim, y_dim: flattened size of one example of X and of Y (784 for
      MNIST, 3072 for SVHN; the sides may differ).
    x_bounded, y_bounded: the side's values lie in [0, 1] (pixels, codes):
      its decoder ends in a sigmoid; False: unbounded outputs (real data).
    logit_bound: encoder outputs pass through bound * tanh(out / bound);
      0 turns it off (the paper's literal model, which collapses;
      docs/method_choices.md).
    latent_type: 'categorical' (the paper) or 'gaussian'.
    local_type: the family of U and V when it differs from Z's ('' = the
      same as `latent_type`), e.g. 'gaussian' locals with a categorical Z.
    prior: 'uniform' (the families' fixed priors) or 'learned' (the
      poster's p_theta(z), p_theta(u), p_theta(v): parameters trained in
      step 1, starting at the fixed priors).
    dtype: the networks' computation type, 'float32' or 'bfloat16'
      (matmuls and activations; parameters, optimizer state, KLs and the
      loss stay float32, `wyner_jax.networks`).
    local_encoder: 'pair' (the poster's q(u|x,y), q(v|x,y): 'joint' params
      'u', 'v') or 'z_side' (q(u|z,x), q(v|z,y), fed the sample of z:
      'joint' params 'u_x', 'v_y'); step 2 is the same for both.
    conditional_z: how `conditional` takes z from q(z|condition), 'sample'
      (the poster's z ~ q(z|x)) or 'mode' (its mode or mean: only the local
      latent varies; the `z_mode` argument asks for it per call too).
    cross: step 1 also trains unimodal encoders q~(z|x), q~(z|y) ('joint'
      params 'z_x', 'z_y') whose samples of z decode both sides with the
      joint path's u and v (`joint_forward`'s `cross`): the subset bounds
      of `wyner_jax.phases.joint_loss_fn`, beyond the paper. z must then
      be what either side alone can give: the shared part.
    cross_locals: which local latent decodes the other side on the cross
      path: 'posterior' (the joint path's sample of q(v|x,y), as the
      shared/private models' cross reconstruction) or 'prior' (v ~ p(v)
      for y from x's z, u ~ p(u) for x from y's, as MMVAE+ decodes across
      modalities): y must then come from x's z whatever v is, which is
      how conditional generation decodes it, and a label V holds does not
      help the cross terms. Each side's own reconstruction keeps its
      posterior local.
  """
  # The sampling surface every model of a run shares
  # (`wyner_jax.baselines.base`): all of it; and 'carriers': joint
  # posteriors of z, u and v (`joint_posteriors`) and y decoded from them or
  # the priors (`carrier_samples`), what the latent-carrier metrics and code
  # entropies read.
  CAN: ClassVar[tuple[str, ...]] = ('joint', 'transfer', 'probe', 'style',
                                    'carriers')
  z: Size
  u: Size
  v: Size
  hidden: int = 512
  depth: int = 2
  x_dim: int = 784
  y_dim: int = 784
  x_bounded: bool = True
  y_bounded: bool = True
  logit_bound: float = 5.0
  latent_type: str = 'categorical'
  local_type: str = ''
  prior: str = 'uniform'
  dtype: str = 'float32'
  local_encoder: str = 'pair'
  conditional_z: str = 'sample'
  cross: bool = False
  cross_locals: str = 'posterior'

  def __post_init__(self):
    contracts.check_choice('local_encoder', self.local_encoder, LOCAL_ENCODERS)
    contracts.check_choice('conditional_z', self.conditional_z, CONDITIONAL_Z)
    contracts.check_choice('cross', self.cross, (False, True))
    contracts.check_choice('cross_locals', self.cross_locals, CROSS_LOCALS)
    contracts.check_choice('prior', self.prior, PRIORS)
    contracts.check_choice('dtype', self.dtype, DTYPES)
    contracts.check_choice('latent_type', self.latent_type, latents.LATENT_TYPES)
    contracts.check_choice('local_type', self.local_type, ('', *latents.LATENT_TYPES))
    for name in ('hidden', 'x_dim', 'y_dim'):
      contracts.check_count(name, getattr(self, name))
    contracts.check_count('depth', self.depth, minimum=0)
    contracts.check_non_negative_number('logit_bound', self.logit_bound)
    # The families refuse sizes they cannot be, now rather than at first use.
    _ = (self.latent_z, self.latent_u, self.latent_v)

  @property
  def latent_z(self) -> latents.LatentFamily:
    return latents.latent_family(self.latent_type, self.z)

  @property
  def latent_u(self) -> latents.LatentFamily:
    return latents.latent_family(self.local_type or self.latent_type, self.u)

  @property
  def latent_v(self) -> latents.LatentFamily:
    return latents.latent_family(self.local_type or self.latent_type, self.v)

  def _encoder(self, latent: latents.LatentFamily) -> networks.Encoder:
    return networks.Encoder(self.hidden, self.depth, latent.param_shape,
                            jnp.dtype(self.dtype))

  def _decoder(self, side: str) -> networks.Decoder:
    features, bounded = ((self.x_dim, self.x_bounded) if side == 'x' else
                         (self.y_dim, self.y_bounded))
    return networks.Decoder(self.hidden, self.depth, features,
                            jnp.dtype(self.dtype), bounded)

  def init(self, rng: jax.Array) -> Params:
    """Initialises every network of both steps."""
    one_x = jnp.zeros((1, self.x_dim), jnp.float32)
    one_y = jnp.zeros((1, self.y_dim), jnp.float32)

    def init_encoder(key, latent, *inputs):
      return {} if latent.is_empty else self._encoder(latent).init(key, *inputs)

    def sample(latent):
      return jnp.zeros((1, *latent.sample_shape), jnp.float32)

    z, u, v = self.latent_z, self.latent_u, self.latent_v
    keys = iter(jax.random.split(rng, 9))
    priors = {}
    if self.prior == 'learned':  # zeros: the fixed priors, where learning starts
      # An empty latent has none: a zero-size array cannot be checkpointed.
      priors = {'priors': {name: jnp.zeros(latent.param_shape, jnp.float32)
                           for name, latent in (('z', z), ('u', u), ('v', v))
                           if not latent.is_empty}}
    if self.local_encoder == 'pair':
      joint = {'z': init_encoder(next(keys), z, one_x, one_y),
               'u': init_encoder(next(keys), u, one_x, one_y),
               'v': init_encoder(next(keys), v, one_x, one_y)}
    else:
      joint = {'z': init_encoder(next(keys), z, one_x, one_y),
               'u_x': init_encoder(next(keys), u, one_x, sample(z)),
               'v_y': init_encoder(next(keys), v, one_y, sample(z))}
    if self.cross:  # keys of their own: the other networks start as without
      key_x, key_y = jax.random.split(jax.random.fold_in(rng, 1))
      joint |= {'z_x': init_encoder(key_x, z, one_x),
                'z_y': init_encoder(key_y, z, one_y)}
    return priors | {
        'joint': joint,
        'decoders': {
            'x': self._decoder('x').init(next(keys), [sample(u), sample(z)]),
            'y': self._decoder('y').init(next(keys), [sample(v), sample(z)]),
        },
        'marginal': {
            'z_x': init_encoder(next(keys), z, one_x),
            'u_x': init_encoder(next(keys), u, one_x),
            'z_y': init_encoder(next(keys), z, one_y),
            'v_y': init_encoder(next(keys), v, one_y),
        },
    }

  def priors(self, params: Params) -> dict[str, jax.Array | None]:
    """The prior parameters of 'z', 'u', 'v' from params of any groups that
    hold 'priors' (None: the fixed prior, as for an empty latent)."""
    if self.prior == 'uniform':
      return {'z': None, 'u': None, 'v': None}
    if 'priors' not in params:
      raise ArgumentError("prior='learned' needs the 'priors' group in params; "
                     f'got groups {sorted(params)}')
    return {name: params['priors'].get(name) for name in ('z', 'u', 'v')}

  def encode(self, params: Params, latent: latents.LatentFamily,
             *inputs: jax.Array) -> jax.Array:
    """Parameters [B, *latent.param_shape] of one encoder (bounded, see
    `logit_bound`); zeros for an empty latent."""
    if latent.is_empty:
      return jnp.zeros((inputs[0].shape[0], *latent.param_shape), jnp.float32)
    out = self._encoder(latent).apply(params, *inputs)
    return latents.bound_logits(out, self.logit_bound)

  def decode(self, params: Params, local: jax.Array, z: jax.Array,
             side: str) -> jax.Array:
    """x(u, z) (side 'x') or y(v, z) ('y'): latent samples [B, ...] (relaxed
    or exact) -> [B, D of the side]."""
    return self._decoder(side).apply(params, [local, z])

  def encode_local(self, joint: Params, name: str, x: jax.Array,
                   y: jax.Array, z_sample: jax.Array) -> jax.Array:
    """Parameters of the joint encoder of local latent `name` ('u' or 'v'):
    q(u|x,y), or with local_encoder='z_side' q(u|z,x) of `z_sample` (a
    sample of Z, relaxed or exact; unused with 'pair')."""
    latent = self.latent_u if name == 'u' else self.latent_v
    if self.local_encoder == 'pair':
      return self.encode(joint[name], latent, x, y)
    side = x if name == 'u' else y
    return self.encode(joint[f'{name}_{"x" if name == "u" else "y"}'], latent,
                       side, z_sample)

  def joint_posteriors(self, params: Params, x: jax.Array, y: jax.Array
                       ) -> dict[str, jax.Array]:
    """Parameters of the joint encoders' q(z|x,y), q(u|.), q(v|.) of pairs,
    by name (with local_encoder='z_side', the locals given the mode of
    q(z|x,y)): what the rates and the latent carriers read."""
    enc = params['joint']
    params_z = self.encode(enc['z'], self.latent_z, x, y)
    z_mode = self.latent_z.mode(params_z)
    return {'z': params_z, 'u': self.encode_local(enc, 'u', x, y, z_mode),
            'v': self.encode_local(enc, 'v', x, y, z_mode)}

  def joint_forward(self, params: Params, x: jax.Array, y: jax.Array,
                    rng: jax.Array, tau: jax.Array, hard: bool) -> JointOutputs:
    """Encodes pairs with the joint encoders, draws relaxed samples and
    decodes them."""
    enc = params['joint']
    z, u, v = self.latent_z, self.latent_u, self.latent_v
    logits_z = self.encode(enc['z'], z, x, y)
    key_z, key_u, key_v = jax.random.split(rng, 3)
    z_sample = z.relaxed_sample(key_z, logits_z, tau, hard)
    logits_u = self.encode_local(enc, 'u', x, y, z_sample)
    logits_v = self.encode_local(enc, 'v', x, y, z_sample)
    u_sample = u.relaxed_sample(key_u, logits_u, tau, hard)
    v_sample = v.relaxed_sample(key_v, logits_v, tau, hard)
    dec = params['decoders']
    cross = None
    if self.cross:
      cross = self._cross_forward(params, x, y, jax.random.fold_in(rng, 1),
                                  tau, hard, u_sample, v_sample)
    return JointOutputs(logits_z, logits_u, logits_v,
                        self.decode(dec['x'], u_sample, z_sample, 'x'),
                        self.decode(dec['y'], v_sample, z_sample, 'y'), cross)

  def _cross_forward(self, params, x, y, rng, tau, hard, u_sample, v_sample
                     ) -> CrossOutputs:
    enc, dec, z = params['joint'], params['decoders'], self.latent_z
    logits_z_x = self.encode(enc['z_x'], z, x)
    logits_z_y = self.encode(enc['z_y'], z, y)
    key_x, key_y = jax.random.split(rng)
    z_x = z.relaxed_sample(key_x, logits_z_x, tau, hard)
    z_y = z.relaxed_sample(key_y, logits_z_y, tau, hard)
    u_across, v_across = u_sample, v_sample
    if self.cross_locals == 'prior':  # keys of their own: 'posterior' unchanged
      key_u, key_v = jax.random.split(jax.random.fold_in(rng, 1))
      priors, batch = self.priors(params), x.shape[0]
      u_across = self.latent_u.sample_prior(key_u, batch, priors['u'])
      v_across = self.latent_v.sample_prior(key_v, batch, priors['v'])
    return CrossOutputs(logits_z_x, logits_z_y,
                        self.decode(dec['x'], u_sample, z_x, 'x'),
                        self.decode(dec['y'], v_across, z_x, 'y'),
                        self.decode(dec['x'], u_across, z_y, 'x'),
                        self.decode(dec['y'], v_sample, z_y, 'y'))

  def marginal_forward(self, marginal: Params, decoders: Params, x: jax.Array,
                       y: jax.Array, rng: jax.Array, tau: jax.Array,
                       hard: bool) -> MarginalOutputs:
    """Encodes each side alone with the step-2 encoders; decoders are given."""
    z, u, v = self.latent_z, self.latent_u, self.latent_v
    logits_z_x = self.encode(marginal['z_x'], z, x)
    logits_u = self.encode(marginal['u_x'], u, x)
    logits_z_y = self.encode(marginal['z_y'], z, y)
    logits_v = self.encode(marginal['v_y'], v, y)
    keys = jax.random.split(rng, 4)
    z_x, u_x, z_y, v_y = (latent.relaxed_sample(k, l, tau, hard)
                          for latent, k, l in zip(
                              (z, u, z, v), keys,
                              (logits_z_x, logits_u, logits_z_y, logits_v)))
    return MarginalOutputs(logits_z_x, logits_u, logits_z_y, logits_v,
                           self.decode(decoders['x'], u_x, z_x, 'x'),
                           self.decode(decoders['y'], v_y, z_y, 'y'))

  def dim(self, side: str) -> int:
    """The values per example of side 'x' or 'y' its encoders take."""
    return self.x_dim if side == 'x' else self.y_dim

  def check_data(self, **batches: jax.Array) -> None:
    """ShapeError unless each batch ('x=', 'y=') has its side's width."""
    for side, batch in batches.items():
      contracts.check_side(side, batch, side, self.dim(side))

  # The sampling surface of `wyner_jax.baselines.base`: the procedures of
  # `wyner_jax.sampling` with this model's networks ('decoders' and, for
  # conditional generation and style transfer, 'marginal').

  def conditional(self, params: Params, rng: jax.Array, condition: jax.Array,
                  given: str, num_samples: int, z_mode: bool = False
                  ) -> jax.Array:
    """Y ~ p(y|x) (given 'x': `sampling.generate_conditional` with q(z|x)
    and y(v, z)) or X ~ p(x|y) (given 'y'): [B, S, D]. z is drawn from the
    marginal encoder, or taken at its mode with z_mode=True or
    conditional_z='mode'; the other side's local latent from its prior."""
    contracts.check_choice('given', given, SIDES)
    contracts.check_side('condition', condition, given, self.dim(given))
    return _conditional(self, params, rng, condition, given, num_samples,
                        z_mode or self.conditional_z == 'mode')

  def joint(self, params: Params, rng: jax.Array, num: int
            ) -> tuple[jax.Array, jax.Array]:
    """Pairs from the priors (`sampling.generate_joint` with the decoders
    and the model's priors): x, y [num, D]."""
    return _joint(self, params, rng, num)

  def transfer(self, params: Params, rng: jax.Array, x_style: jax.Array,
               y_concept: jax.Array, grid: bool = True, z_mode: bool = False
               ) -> jax.Array:
    """`sampling.transfer_style` with q(u|x), q(z|y) and x(u, z): [R, C, D]
    (grid) or [R, D]."""
    contracts.check_side('x_style', x_style, 'x', self.dim('x'))
    contracts.check_side('y_concept', y_concept, 'y', self.dim('y'))
    return _transfer(self, params, rng, x_style, y_concept, grid, z_mode)

  def common_code(self, params: Params, rng: jax.Array, x: jax.Array
                  ) -> jax.Array:
    """z ~ q(z|x), exact, flattened: [B, F]."""
    self.check_data(x=x)
    return _common_code(self, params, rng, x)

  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    """Batch-mean KL of the joint posteriors (`joint_posteriors`) to their
    priors."""
    self.check_data(x=x, y=y)
    return _rates(self, params, x, y)

  def carrier_samples(self, params: Params, rng: jax.Array, x: jax.Array,
                      y: jax.Array, z_from_prior: jax.Array,
                      v_from_prior: jax.Array) -> jax.Array:
    """y(v, z) of pairs, with z and v each drawn exactly from the joint
    encoder or (the flags, traced: one program for every choice) the prior:
    [B, Dy]. Which latent carries the label ('carriers' in CAN)."""
    self.check_data(x=x, y=y)
    return _carrier_samples(self, params, rng, x, y, z_from_prior,
                            v_from_prior)


@functools.partial(jax.jit, static_argnames='model')
def _common_code(model: WynerVAE, params: Params, rng: jax.Array,
                 x: jax.Array) -> jax.Array:
  latent = model.latent_z
  sample = latent.sample(rng, model.encode(params['marginal']['z_x'], latent, x))
  return sample.reshape(x.shape[0], -1)


@functools.partial(jax.jit, static_argnames='model')
def _rates(model: WynerVAE, params: Params, x: jax.Array, y: jax.Array
           ) -> dict[str, jax.Array]:
  priors = model.priors(params)
  posteriors = model.joint_posteriors(params, x, y)
  return {name: jnp.mean(latent.kl(posteriors[name], priors[name]))
          for name, latent in (('z', model.latent_z), ('u', model.latent_u),
                               ('v', model.latent_v))}


@functools.partial(jax.jit, static_argnames='model')
def _carrier_samples(model: WynerVAE, params: Params, rng: jax.Array,
                     x: jax.Array, y: jax.Array, z_from_prior: jax.Array,
                     v_from_prior: jax.Array) -> jax.Array:
  key_z, key_v = jax.random.split(rng)
  posteriors = model.joint_posteriors(params, x, y)
  priors = model.priors(params)

  def draw(key, name, latent, from_prior):
    return jnp.where(from_prior,
                     latent.sample_prior(key, x.shape[0], priors[name]),
                     latent.sample(key, posteriors[name]))

  z = draw(key_z, 'z', model.latent_z, z_from_prior)
  v = draw(key_v, 'v', model.latent_v, v_from_prior)
  return model.decode(params['decoders']['y'], v, z, 'y')


def _encoder(model: WynerVAE, params: Params, name: str,
             latent: latents.LatentFamily) -> sampling.Encode:
  return functools.partial(model.encode, params['marginal'][name], latent)


def _decoder(model: WynerVAE, params: Params, side: str) -> sampling.Decode:
  return functools.partial(model.decode, params['decoders'][side], side=side)


@functools.partial(jax.jit, static_argnames=('model', 'given', 'num_samples'))
def _conditional(model: WynerVAE, params: Params, rng: jax.Array,
                 condition: jax.Array, given: str, num_samples: int,
                 z_mode: bool) -> jax.Array:
  target, local = ('y', 'v') if given == 'x' else ('x', 'u')
  return sampling.generate_conditional(
      rng, condition, num_samples,
      _encoder(model, params, f'z_{given}', model.latent_z),
      _decoder(model, params, target), z=model.latent_z,
      local=getattr(model, f'latent_{local}'), z_mode=z_mode,
      prior_local=model.priors(params)[local])


@functools.partial(jax.jit, static_argnames=('model', 'num'))
def _joint(model: WynerVAE, params: Params, rng: jax.Array,
           num: int) -> tuple[jax.Array, jax.Array]:
  priors = model.priors(params)
  return sampling.generate_joint(
      rng, num, _decoder(model, params, 'x'), _decoder(model, params, 'y'),
      z=model.latent_z, u=model.latent_u, v=model.latent_v,
      prior_z=priors['z'], prior_u=priors['u'], prior_v=priors['v'])


@functools.partial(jax.jit, static_argnames=('model', 'grid'))
def _transfer(model: WynerVAE, params: Params, rng: jax.Array,
              x_style: jax.Array, y_concept: jax.Array, grid: bool,
              z_mode: bool) -> jax.Array:
  return sampling.transfer_style(
      rng, x_style, y_concept, _encoder(model, params, 'u_x', model.latent_u),
      _encoder(model, params, 'z_y', model.latent_z),
      _decoder(model, params, 'x'), z=model.latent_z, u=model.latent_u,
      grid=grid, z_mode=z_mode)
