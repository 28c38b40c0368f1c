"""The paper's convolutional autoencoder wrapper (`config.model.wrapper='conv'`).

The workshop paper ran the Wyner VAE inside a convolutional autoencoder
pretrained on MNIST: the VAE models the autoencoder's short codes, and what it
generates is decoded to pixels by the autoencoder's decoder. Our run trains
the autoencoders first, one per domain of the data (`wyner_jax.sides`: both
sides of Add-1 MNIST share one, MNIST-SVHN has two), each its own resumable
training step on the training images of its sides (`autoencoder_loss_fn`),
then both Wyner steps on the codes. Every model of a stacked run shares the
autoencoders of `config.seed`, as a pretrained feature map would be shared.

Codes pass through a sigmoid, so they lie in (0, 1) as pixels do and the Wyner
decoders (sigmoid outputs) model them unchanged.

`OnPixels` is any model on codes seen from pixels: images in, the
autoencoders' codes to the model, its outputs decoded to images; sampling and
evaluation use it (`on_pixels`).

Images are flat rows [B, H*W*C] of an (H, W, C) shape whose H and W divide
by 4 (28 x 28 x 1 MNIST, 32 x 32 x 3 SVHN).
"""

import dataclasses
import functools
import math
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from wyner_jax import contracts
from wyner_jax import losses
from wyner_jax import phases
from wyner_jax.errors import WynerError
from wyner_jax.model import SIDES, Params
from wyner_jax.sides import Side, domains

MNIST = (28, 28, 1)


class ConvEncoder(nn.Module):
  """[B, H*W*C] images -> [B, code_size] codes in (0, 1)."""
  code_size: int
  shape: tuple[int, int, int] = MNIST

  @nn.compact
  def __call__(self, images: jax.Array) -> jax.Array:
    h = images.reshape(-1, *self.shape)
    h = nn.relu(nn.Conv(16, (3, 3), strides=(2, 2))(h))  # H/2 x W/2
    h = nn.relu(nn.Conv(32, (3, 3), strides=(2, 2))(h))  # H/4 x W/4
    return nn.sigmoid(nn.Dense(self.code_size)(h.reshape(h.shape[0], -1)))


class ConvDecoder(nn.Module):
  """[B, code_size] codes -> [B, H*W*C] images in (0, 1).

  Nearest-neighbour upsampling then a convolution, not a transposed
  convolution: with `nn.ConvTranspose` (4 x 4, stride 2) the same training
  stayed at the mean image's error for 400 steps; this reached a third of
  it (measured on the embedded MNIST subset, batch 128, Adam 1e-3). Each
  upsampling and its convolution are one `UpsampledConv`.
  """

  shape: tuple[int, int, int] = MNIST

  @nn.compact
  def __call__(self, codes: jax.Array) -> jax.Array:
    height, width, channels = self.shape[0] // 4, self.shape[1] // 4, self.shape[2]
    h = nn.relu(nn.Dense(height * width * 32)(codes))
    h = h.reshape(-1, height, width, 32)
    # Named as the nn.Conv layers they replace, so autoencoders trained
    # before (checkpoints, caches) load unchanged.
    h = nn.relu(UpsampledConv(16, name='Conv_0')(h))  # H/2 x W/2
    h = UpsampledConv(channels, name='Conv_1')(h)  # H x W
    return nn.sigmoid(h).reshape(h.shape[0], -1)


# _PHASE_TAPS[phase, low, tap]: which of a 3-tap kernel's taps (rows or
# columns) fall on the input pixel at offset low - 1 when the output pixel
# 2i + phase is computed from the upsampled image. Phase 0 reads upsampled
# rows 2i - 1, 2i, 2i + 1, i.e. input rows i - 1, i, i; phase 1 reads
# 2i, 2i + 1, 2i + 2, i.e. input rows i, i, i + 1.
_PHASE_TAPS = np.zeros((2, 3, 3), np.float32)
_PHASE_TAPS[0, 0, 0] = _PHASE_TAPS[0, 1, 1] = _PHASE_TAPS[0, 1, 2] = 1
_PHASE_TAPS[1, 1, 0] = _PHASE_TAPS[1, 1, 1] = _PHASE_TAPS[1, 2, 2] = 1


class UpsampledConv(nn.Module):
  """Nearest-neighbour upsampling by 2, then a 3 x 3 'SAME' convolution
  (`nn.Conv`'s parameters and initialization), computed at the input's
  resolution: each of the 2 x 2 output phases is a 3 x 3 convolution of the
  input whose kernel sums the taps that land on the same input pixel, so one
  convolution with 4 x features outputs, then depth-to-space.

  Why: the same function (equal to float rounding: tests/test_wrapper.py),
  but XLA:CPU's convolution backward is slow at the upsampled resolution
  and few output channels (16 -> 1 at 28 x 28); at a quarter of the pixels
  and four times the channels the autoencoder's train step takes half the
  time (docs/performance.md §13).
  """
  features: int

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    batch, height, width, channels = h.shape
    kernel = self.param('kernel', nn.initializers.lecun_normal(),
                        (3, 3, channels, self.features))
    bias = self.param('bias', nn.initializers.zeros_init(), (self.features,))
    # [3, 3, C, 2, 2, F]: the kernel of output phase (a, b).
    phases = jnp.einsum('aiy,bjx,yxcf->ijcabf', _PHASE_TAPS, _PHASE_TAPS,
                        kernel).reshape(3, 3, channels, 4 * self.features)
    # As nn.Conv: inputs of another dtype (bfloat16) meet the parameters'.
    h, phases, bias = nn.dtypes.promote_dtype(h, phases, bias, dtype=None)
    out = jax.lax.conv_general_dilated(
        h, phases, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    out = out.reshape(batch, height, width, 2, 2, self.features)
    out = out.transpose(0, 1, 3, 2, 4, 5)  # rows i, phase a, columns j, phase b
    return out.reshape(batch, 2 * height, 2 * width, self.features) + bias


@dataclasses.dataclass(frozen=True)
class ConvAutoencoder:
  """Static description; params {'encoder', 'decoder'}.

  Attributes:
    code_size: the length of a code (the Wyner VAE's data dimension).
    shape: (H, W, C) of the images, H and W divisible by 4.
  """
  code_size: int
  shape: tuple[int, int, int] = MNIST

  def init(self, rng: jax.Array) -> Params:
    key_enc, key_dec = jax.random.split(rng)
    pixels = self.shape[0] * self.shape[1] * self.shape[2]
    return {
        'encoder': ConvEncoder(self.code_size, self.shape).init(
            key_enc, jnp.zeros((1, pixels), jnp.float32)),
        'decoder': ConvDecoder(self.shape).init(
            key_dec, jnp.zeros((1, self.code_size), jnp.float32)),
    }

  def encode(self, params: Params, images: jax.Array) -> jax.Array:
    """[B, H*W*C] -> [B, code_size]."""
    return ConvEncoder(self.code_size, self.shape).apply(params['encoder'],
                                                         images)

  def decode(self, params: Params, codes: jax.Array) -> jax.Array:
    """[B, code_size] -> [B, H*W*C]."""
    return ConvDecoder(self.shape).apply(params['decoder'], codes)


def autoencoder_loss_fn(autoencoder: ConvAutoencoder,
                        sides: tuple[str, ...] = ('x', 'y'),
                        group: str = 'autoencoder'):
  """The autoencoder's training loss, in `wyner_jax.phases`' loss_fn form,
  on params {group: ...}: the mean over `sides` ('x', 'y' or both: the
  sides of its domain) of the batch's mean squared error summed over
  pixels (it reads the batch's x and y alone)."""
  def loss_fn(params, batch: phases.Batch):
    net = params[group]
    rec = {side: jnp.mean(losses.squared_error(
        images, autoencoder.decode(net, autoencoder.encode(net, images))))
           for side, images in (('x', batch.x), ('y', batch.y))
           if side in sides}
    loss = sum(rec.values()) / len(rec)
    return loss, {'loss': loss, **{f'rec/{side}': r for side, r in rec.items()}}
  return loss_fn


class Wrapped(NamedTuple):
  """One autoencoder of the wrapper: its network, the sides of its domain
  and its training phase."""
  autoencoder: ConvAutoencoder
  sides: tuple[str, ...]
  phase: phases.Phase


def wrapper_phases(x: Side, y: Side, code_size: int) -> dict[str, Wrapped]:
  """{phase name: Wrapped}: one autoencoder per domain of the sides,
  'autoencoder' when both sides share one, else 'autoencoder_x' and
  'autoencoder_y'. Raises WynerError for a side that is not an image."""
  for name, side in (('x', x), ('y', y)):
    if not side.is_image:
      raise WynerError(
          f"model.wrapper='conv' needs images (H, W, C) with H and W "
          f'divisible by 4; side {name} has examples of shape {side.shape}: '
          "model the sides without the wrapper (the launchers' "
          "model.wrapper='none')")
  groups = domains(x, y)
  out = {}
  for sides in groups.values():
    name = 'autoencoder' if len(groups) == 1 else f'autoencoder_{sides[0]}'
    net = ConvAutoencoder(code_size, (x if sides[0] == 'x' else y).shape)
    out[name] = Wrapped(net, sides, phases.Phase(
        name, 'autoencoder', (name,), (),
        autoencoder_loss_fn(net, sides, name), relaxed=False))
  return out


@dataclasses.dataclass(frozen=True)
class OnPixels:
  """Any model on codes (the Wyner VAE or a baseline), seen from pixels: its
  sampling surface (`wyner_jax.baselines.base`) with images in and images
  out, and, for the Wyner VAE, what its metrics read (`joint_posteriors`,
  `carrier_samples`, the latent families). Params: {'model': the model's,
  'autoencoders': {'x': ..., 'y': ...}}, as `on_pixels` builds them. For
  sampling and evaluation, not for training (train the model on codes).

  Attributes:
    model: the model on codes.
    autoencoders: (('x', autoencoder of X's domain), ('y', ...)): the
      wrappers whose codes the model models (one object for both sides of
      one domain).
  """
  model: Any
  autoencoders: tuple[tuple[str, ConvAutoencoder], ...]

  @property
  def CAN(self) -> tuple[str, ...]:  # pylint: disable=invalid-name
    return self.model.CAN

  # The model's latent families (the rates' code entropies read them).
  latent_z = property(lambda self: self.model.latent_z)
  latent_u = property(lambda self: self.model.latent_u)
  latent_v = property(lambda self: self.model.latent_v)

  def dim(self, side: str) -> int:
    """The pixels per image of side 'x' or 'y'."""
    return math.prod(dict(self.autoencoders)[side].shape)

  # Each call: images encoded, the model's own (jitted) method on the codes,
  # its outputs decoded; the model decides what is static in its programs
  # (z_mode is traced for the Wyner VAE, static where it is refused).

  def _codes(self, params: Params, side: str, images: jax.Array,
             name: str) -> jax.Array:
    contracts.check_side(name, images, side, self.dim(side))
    return _encode(dict(self.autoencoders)[side], params['autoencoders'][side],
                   images)

  def _images(self, params: Params, side: str, codes: jax.Array) -> jax.Array:
    rows = codes.reshape(-1, codes.shape[-1])
    return _decode(dict(self.autoencoders)[side], params['autoencoders'][side],
                   rows)

  def conditional(self, params: Params, rng: jax.Array, condition: jax.Array,
                  given: str, num_samples: int, z_mode: bool = False
                  ) -> jax.Array:
    contracts.check_choice('given', given, SIDES)
    codes = self.model.conditional(
        params['model'], rng, self._codes(params, given, condition,
                                          'condition'),
        given, num_samples, z_mode)
    target = 'y' if given == 'x' else 'x'
    return self._images(params, target, codes).reshape(*codes.shape[:2], -1)

  def joint(self, params: Params, rng: jax.Array, num: int
            ) -> tuple[jax.Array, jax.Array]:
    x, y = self.model.joint(params['model'], rng, num)
    return self._images(params, 'x', x), self._images(params, 'y', y)

  def transfer(self, params: Params, rng: jax.Array, x_style: jax.Array,
               y_concept: jax.Array, grid: bool = True, z_mode: bool = False
               ) -> jax.Array:
    codes = self.model.transfer(
        params['model'], rng, self._codes(params, 'x', x_style, 'x_style'),
        self._codes(params, 'y', y_concept, 'y_concept'), grid, z_mode)
    return self._images(params, 'x', codes).reshape(*codes.shape[:-1], -1)

  def common_code(self, params: Params, rng: jax.Array, x: jax.Array
                  ) -> jax.Array:
    return self.model.common_code(params['model'], rng,
                                  self._codes(params, 'x', x, 'x'))

  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    return self.model.rates(params['model'], self._codes(params, 'x', x, 'x'),
                            self._codes(params, 'y', y, 'y'))

  def joint_posteriors(self, params: Params, x: jax.Array, y: jax.Array
                       ) -> dict[str, jax.Array]:
    """The Wyner VAE's joint posteriors of pairs of images."""
    return self.model.joint_posteriors(params['model'],
                                       self._codes(params, 'x', x, 'x'),
                                       self._codes(params, 'y', y, 'y'))

  def carrier_samples(self, params: Params, rng: jax.Array, x: jax.Array,
                      y: jax.Array, z_from_prior: jax.Array,
                      v_from_prior: jax.Array) -> jax.Array:
    """The Wyner VAE's `carrier_samples` of pairs of images, as images."""
    codes = self.model.carrier_samples(
        params['model'], rng, self._codes(params, 'x', x, 'x'),
        self._codes(params, 'y', y, 'y'), z_from_prior, v_from_prior)
    return self._images(params, 'y', codes)


@functools.partial(jax.jit, static_argnames='net')
def _encode(net: ConvAutoencoder, params: Params, images: jax.Array
            ) -> jax.Array:
  return net.encode(params, images)


@functools.partial(jax.jit, static_argnames='net')
def _decode(net: ConvAutoencoder, params: Params, codes: jax.Array
            ) -> jax.Array:
  return net.decode(params, codes)


def on_pixels(model: Any, params: Params,
              autoencoders: dict[str, ConvAutoencoder],
              autoencoder_params: dict[str, Params]) -> tuple[OnPixels, Params]:
  """(model, params) of any model on codes seen from pixels (`OnPixels`)."""
  return (OnPixels(model, tuple(sorted(autoencoders.items()))),
          {'model': params, 'autoencoders': dict(autoencoder_params)})
