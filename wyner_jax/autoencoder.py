"""The paper's convolutional autoencoder wrapper (`config.model.wrapper='conv'`).

The workshop paper ran the Wyner VAE inside a convolutional autoencoder
pretrained on MNIST: the VAE models the autoencoder's short codes, and what it
generates is decoded to pixels by the autoencoder's decoder. Our run trains
the autoencoder first, as its own resumable training step on the training
images of both sides (`autoencoder_loss_fn`), then both Wyner steps on the
codes. Every model of a stacked run shares the one autoencoder of
`config.seed`, as a pretrained feature map would be shared.

Codes pass through a sigmoid, so they lie in (0, 1) as pixels do and the Wyner
decoders (sigmoid outputs) model them unchanged.

`PixelWynerVAE` is the composed model seen from pixels: its encoders encode
the autoencoder's codes of images, its decoders decode to images; the
samplers and evaluation use it with `pixel_params`.
"""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from wyner_jax import losses
from wyner_jax.model import Params, WynerVAE

IMAGE_SIDE = 28  # MNIST


class ConvEncoder(nn.Module):
  """[B, 784] images -> [B, code_size] codes in (0, 1)."""
  code_size: int

  @nn.compact
  def __call__(self, images: jax.Array) -> jax.Array:
    h = images.reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
    h = nn.relu(nn.Conv(16, (3, 3), strides=(2, 2))(h))  # 14 x 14
    h = nn.relu(nn.Conv(32, (3, 3), strides=(2, 2))(h))  # 7 x 7
    return nn.sigmoid(nn.Dense(self.code_size)(h.reshape(h.shape[0], -1)))


class ConvDecoder(nn.Module):
  """[B, code_size] codes -> [B, 784] images in (0, 1).

  Nearest-neighbour upsampling then a convolution, not a transposed
  convolution: with `nn.ConvTranspose` (4 x 4, stride 2) the same training
  stayed at the mean image's error for 400 steps; this reached a third of
  it (measured on the embedded MNIST subset, batch 128, Adam 1e-3).
  """

  @nn.compact
  def __call__(self, codes: jax.Array) -> jax.Array:
    h = nn.relu(nn.Dense(7 * 7 * 32)(codes)).reshape(-1, 7, 7, 32)
    h = _upsample(h)  # 14 x 14
    h = nn.relu(nn.Conv(16, (3, 3))(h))
    h = nn.Conv(1, (3, 3))(_upsample(h))  # 28 x 28
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
    code_size: C, the length of a code (the Wyner VAE's data dimension).
  """
  code_size: int

  def init(self, rng: jax.Array) -> Params:
    key_enc, key_dec = jax.random.split(rng)
    return {
        'encoder': ConvEncoder(self.code_size).init(
            key_enc, jnp.zeros((1, IMAGE_SIDE * IMAGE_SIDE), jnp.float32)),
        'decoder': ConvDecoder().init(
            key_dec, jnp.zeros((1, self.code_size), jnp.float32)),
    }

  def encode(self, params: Params, images: jax.Array) -> jax.Array:
    """[B, 784] -> [B, C]."""
    return ConvEncoder(self.code_size).apply(params['encoder'], images)

  def decode(self, params: Params, codes: jax.Array) -> jax.Array:
    """[B, C] -> [B, 784]."""
    return ConvDecoder().apply(params['decoder'], codes)


def autoencoder_loss_fn(autoencoder: ConvAutoencoder):
  """The autoencoder's training loss, in `wyner_jax.train`'s loss_fn form:
  the mean over the batch of the squared error summed over pixels, of x and
  of y (both sides' images); `frozen`, `rng`, `tau`, `lam` are unused."""
  def loss_fn(params, frozen, x, y, rng, tau, lam):
    del frozen, rng, tau, lam
    rec_x = jnp.mean(losses.squared_error(
        x, autoencoder.decode(params, autoencoder.encode(params, x))))
    rec_y = jnp.mean(losses.squared_error(
        y, autoencoder.decode(params, autoencoder.encode(params, y))))
    loss = 0.5 * (rec_x + rec_y)
    return loss, {'loss': loss, 'rec/x': rec_x, 'rec/y': rec_y}
  return loss_fn


@dataclasses.dataclass(frozen=True)
class PixelWynerVAE(WynerVAE):
  """A Wyner VAE on codes, seen from pixels: encoders take images, decoders
  return images. Its parameter groups are `pixel_params`' (each network's
  with the autoencoder's beside it); it is for sampling and evaluation, not
  for training (train `WynerVAE` on codes).

  Attributes:
    autoencoder: the wrapper whose codes the Wyner VAE models.
  """
  autoencoder: ConvAutoencoder | None = None

  def encode(self, params: Params, latent, *inputs: jax.Array) -> jax.Array:
    codes = [self.autoencoder.encode(params['autoencoder'], x) for x in inputs]
    return super().encode(params['network'], latent, *codes)

  def decode(self, params: Params, local: jax.Array, z: jax.Array) -> jax.Array:
    codes = super().decode(params['network'], local, z)
    return self.autoencoder.decode(params['autoencoder'], codes)


def pixel_model(model: WynerVAE, autoencoder: ConvAutoencoder) -> PixelWynerVAE:
  fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
  return PixelWynerVAE(**fields, autoencoder=autoencoder)


def pixel_params(params: Params, autoencoder_params: Params) -> Params:
  """`params` of a Wyner VAE on codes ({'joint', 'decoders', 'marginal'},
  any of them) with the autoencoder's parameters beside every network's, as
  `PixelWynerVAE` takes them."""
  return {group: networks if group == 'priors' else  # priors are no network
          {name: {'network': net, 'autoencoder': autoencoder_params}
           for name, net in networks.items()}
          for group, networks in params.items()}
