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

`PixelWynerVAE` is the composed model seen from pixels: its encoders encode
the autoencoders' codes of images, its decoders decode to images; the
samplers and evaluation use it with `pixel_params`.

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

from wyner_jax import losses
from wyner_jax import phases
from wyner_jax.errors import WynerError
from wyner_jax.model import Params, WynerVAE
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
  it (measured on the embedded MNIST subset, batch 128, Adam 1e-3).
  """

  shape: tuple[int, int, int] = MNIST

  @nn.compact
  def __call__(self, codes: jax.Array) -> jax.Array:
    height, width, channels = self.shape[0] // 4, self.shape[1] // 4, self.shape[2]
    h = nn.relu(nn.Dense(height * width * 32)(codes))
    h = _upsample(h.reshape(-1, height, width, 32))  # H/2 x W/2
    h = nn.relu(nn.Conv(16, (3, 3))(h))
    h = nn.Conv(channels, (3, 3))(_upsample(h))  # H x W
    return nn.sigmoid(h).reshape(h.shape[0], -1)


def _upsample(h: jax.Array) -> jax.Array:
  """Nearest-neighbour upsampling by 2, as `jax.image.resize(..., 'nearest')`
  (bitwise; trained, the same autoencoder bitwise: tests/test_wrapper.py).
  As a broadcast its gradient sums each 2 x 2 block instead of resize's
  scatter-add, which XLA:CPU runs slowly (docs/performance.md §9)."""
  batch, height, width, channels = h.shape
  blocks = jnp.broadcast_to(h[:, :, None, :, None, :],
                            (batch, height, 2, width, 2, channels))
  return blocks.reshape(batch, 2 * height, 2 * width, channels)


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
class PixelWynerVAE(WynerVAE):
  """A Wyner VAE on codes, seen from pixels: encoders take images, decoders
  return images. Its parameter groups are `pixel_params`' (each network's
  with the autoencoders of the sides it sees beside it); it is for sampling
  and evaluation, not for training (train `WynerVAE` on codes).

  Attributes:
    autoencoders: (('x', autoencoder of X's domain), ('y', ...)): the
      wrappers whose codes the Wyner VAE models (one object for both sides
      of one domain).
  """
  autoencoders: tuple[tuple[str, ConvAutoencoder], ...] = ()

  def _autoencoder(self, side: str) -> ConvAutoencoder:
    return dict(self.autoencoders)[side]

  def dim(self, side: str) -> int:
    """The pixels per image of side 'x' or 'y' (its encoders take images)."""
    return math.prod(self._autoencoder(side).shape)

  def encode(self, params: Params, latent, *inputs: jax.Array) -> jax.Array:
    # The sides an encoder sees are the keys of its autoencoders' params,
    # in the order of its inputs (x before y).
    # Inputs after them (a sample of z, local_encoder='z_side') pass as they are.
    sides = sorted(params['autoencoder'])
    codes = [self._autoencoder(side).encode(params['autoencoder'][side], x)
             for side, x in zip(sides, inputs)]
    return super().encode(params['network'], latent, *codes,
                          *inputs[len(sides):])

  def decode(self, params: Params, local: jax.Array, z: jax.Array,
             side: str) -> jax.Array:
    codes = super().decode(params['network'], local, z, side)
    return self._autoencoder(side).decode(params['autoencoder'][side], codes)


def pixel_model(model: WynerVAE,
                autoencoders: dict[str, ConvAutoencoder]) -> PixelWynerVAE:
  """`model` (on codes) seen from pixels, with each side's autoencoder."""
  fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
  return PixelWynerVAE(**fields, autoencoders=tuple(sorted(autoencoders.items())))




def pixel_params(params: Params, autoencoder_params: dict[str, Params]) -> Params:
  """`params` of a Wyner VAE on codes ({'joint', 'decoders', 'marginal'},
  any of them) with, beside every network's, the parameters of the
  autoencoders of the sides it sees ({'x': ..., 'y': ...}), as
  `PixelWynerVAE` takes them."""
  def sides(group, name):
    """The sides a network sees: a decoder its own; an encoder named
    '<latent>_x' ('_y') one side, any other encoder both."""
    if group == 'decoders':
      return (name,)
    return (name[-1],) if name[-2:] in ('_x', '_y') else ('x', 'y')

  return {group: networks if group == 'priors' else  # priors are no network
          {name: {'network': net,
                  'autoencoder': {s: autoencoder_params[s]
                                  for s in sides(group, name)}}
           for name, net in networks.items()}
          for group, networks in params.items()}


@dataclasses.dataclass(frozen=True)
class OnPixels:
  """A baseline model (`wyner_jax.baselines`) on codes, seen from pixels:
  its sampling surface (`wyner_jax.baselines.base`) with images in and
  images out. Params: {'model': the baseline's, 'autoencoders': {'x': ...,
  'y': ...}}, as `on_pixels` builds them. For sampling and evaluation, not
  for training (train the baseline on codes)."""
  model: Any
  autoencoders: tuple[tuple[str, ConvAutoencoder], ...]

  @property
  def CAN(self) -> tuple[str, ...]:  # pylint: disable=invalid-name
    return self.model.CAN

  def _codes(self, params: Params, side: str, images: jax.Array) -> jax.Array:
    return dict(self.autoencoders)[side].encode(params['autoencoders'][side],
                                               images)

  def _images(self, params: Params, side: str, codes: jax.Array) -> jax.Array:
    rows = codes.reshape(-1, codes.shape[-1])
    return dict(self.autoencoders)[side].decode(params['autoencoders'][side],
                                               rows)

  @functools.partial(jax.jit,
                     static_argnames=('self', 'given', 'num_samples', 'z_mode'))
  def conditional(self, params: Params, rng: jax.Array, condition: jax.Array,
                  given: str, num_samples: int, z_mode: bool = False
                  ) -> jax.Array:
    codes = self.model.conditional(params['model'], rng,
                                   self._codes(params, given, condition),
                                   given, num_samples, z_mode)
    target = 'y' if given == 'x' else 'x'
    return self._images(params, target, codes).reshape(*codes.shape[:2], -1)

  @functools.partial(jax.jit, static_argnames=('self', 'num'))
  def joint(self, params: Params, rng: jax.Array, num: int
            ) -> tuple[jax.Array, jax.Array]:
    x, y = self.model.joint(params['model'], rng, num)
    return self._images(params, 'x', x), self._images(params, 'y', y)

  @functools.partial(jax.jit, static_argnames=('self', 'grid'))
  def transfer(self, params: Params, rng: jax.Array, x_style: jax.Array,
               y_concept: jax.Array, grid: bool = True, z_mode: bool = False
               ) -> jax.Array:
    codes = self.model.transfer(params['model'], rng,
                                self._codes(params, 'x', x_style),
                                self._codes(params, 'y', y_concept), grid,
                                z_mode)
    return self._images(params, 'x', codes).reshape(*codes.shape[:-1], -1)

  @functools.partial(jax.jit, static_argnames='self')
  def common_code(self, params: Params, rng: jax.Array, x: jax.Array
                  ) -> jax.Array:
    return self.model.common_code(params['model'], rng,
                                  self._codes(params, 'x', x))

  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    return self.model.rates(params['model'], self._codes(params, 'x', x),
                            self._codes(params, 'y', y))


def on_pixels(model: Any, params: Params,
              autoencoders: dict[str, ConvAutoencoder],
              autoencoder_params: dict[str, Params]) -> tuple[Any, Params]:
  """(model, params) of any model on codes seen from pixels: the Wyner VAE's
  `pixel_model` and `pixel_params`, a baseline's `OnPixels`."""
  if isinstance(model, WynerVAE):
    return (pixel_model(model, autoencoders),
            pixel_params(params, autoencoder_params))
  return (OnPixels(model, tuple(sorted(autoencoders.items()))),
          {'model': params, 'autoencoders': dict(autoencoder_params)})
