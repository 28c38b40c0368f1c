"""A model kind written outside the library, as a user would add one: a
joint autoencoder (one code of both sides, each side decoded from it), in
one module with its registry entry `KIND` (tests/test_train.py registers it
with one line)."""

import dataclasses

import jax
import jax.numpy as jnp

from wyner_jax import kinds, losses, networks

CODE = 4


@dataclasses.dataclass(frozen=True)
class JointAutoencoder:
  x_dim: int
  y_dim: int
  hidden: int
  depth: int

  def init(self, rng: jax.Array) -> dict:
    keys = jax.random.split(rng, 3)
    x, y = jnp.zeros((1, self.x_dim)), jnp.zeros((1, self.y_dim))
    code = jnp.zeros((1, CODE))
    return {'encoder': self._encoder().init(keys[0], x, y),
            'decoders': {'x': self._decoder(self.x_dim).init(keys[1], [code]),
                         'y': self._decoder(self.y_dim).init(keys[2], [code])}}

  def _encoder(self):
    return networks.Encoder(self.hidden, self.depth, (CODE,))

  def _decoder(self, features):
    return networks.Decoder(self.hidden, self.depth, features)

  def loss_fn(self, params, batch: kinds.Batch):
    x, y = batch.x, batch.y  # deterministic: no noise, no latent weights
    code = self._encoder().apply(params['encoder'], x, y)
    rec_x = jnp.mean(losses.squared_error(x, self._decoder(self.x_dim).apply(
        params['decoders']['x'], [code])))
    rec_y = jnp.mean(losses.squared_error(y, self._decoder(self.y_dim).apply(
        params['decoders']['y'], [code])))
    return rec_x + rec_y, {'loss': rec_x + rec_y, 'rec/x': rec_x, 'rec/y': rec_y}


def _build(config, networks_sizes) -> JointAutoencoder:
  return JointAutoencoder(networks_sizes['x_dim'], networks_sizes['y_dim'],
                          config.model.hidden, config.model.depth)


def _phases(config, model):
  del config
  return kinds.one_phase(model, model.loss_fn, ('encoder', 'decoders'))


# Tuned as every kind is: the learning rate and 2 eps^2 (it has no latent).
KIND = kinds.Kind(_build, _phases, kinds.SHARED_SPACE)
