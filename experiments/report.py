"""The application figures of a trained model (joint, conditional generation and style transfer), written as PNGs."""

import os

import jax
import numpy as np

from experiments import data
from experiments import plots
from wyner_jax.model import Params

SAMPLES_PER_CONDITION = 8
STYLE_REFERENCES = 6
JOINT_PAIRS = 32
CONDITIONS = 10  # rows of the conditional-generation figure


def one_per_digit(pairs: data.PairSet) -> np.ndarray:
  """Index of the first test pair whose x has label 0, 1, ..., 9 (the first
  CONDITIONS pairs when the data have no labels)."""
  if pairs.label_x is None:
    return np.arange(min(CONDITIONS, len(pairs.x)))
  return np.array([np.flatnonzero(pairs.label_x == l)[0]
                   for l in np.unique(pairs.label_x)[:CONDITIONS]])


def write_figures(model, params: Params, pairs: data.PairSet,
                  paired: data.PairedData, rng: jax.Array,
                  figure_dir: str) -> list[str]:
  """Writes conditional_generation.png, and style_transfer.png and
  joint_samples.png for a model that has them (its CAN).

  Args:
    model, params: any model kind, on the data (`autoencoder.on_pixels`).
    pairs: test pairs; conditions and references are taken from them.
    paired: the data (the sides' shapes).
    rng: the figures are a deterministic function of it.

  Returns:
    The paths written.
  """
  key_yx, key_xy, key_style, key_joint = jax.random.split(rng, 4)
  index = one_per_digit(pairs)
  x, y = pairs.x[index], pairs.y[index]  # row l: x of digit l, y of its pair
  y_samples = model.conditional(params, key_yx, x, 'x', SAMPLES_PER_CONDITION)
  x_samples = model.conditional(params, key_xy, y, 'y', SAMPLES_PER_CONDITION)
  shapes = (paired.x.shape, paired.y.shape)
  get = lambda a: np.asarray(jax.device_get(a))
  paths = [os.path.join(figure_dir, 'conditional_generation.png')]
  plots.conditional_generation(paths[0], x, get(y_samples), y, get(x_samples),
                               shapes, paired.joined)
  if 'transfer' in model.CAN:
    # Style references: x images of varied digits; concepts: one y of each digit.
    x_style = pairs.x[index[::2][:STYLE_REFERENCES]]
    y_concept = (y if pairs.label_y is None else
                 y[np.argsort(pairs.label_y[index], kind='stable')])
    grid = model.transfer(params, key_style, x_style, y_concept)
    paths.append(os.path.join(figure_dir, 'style_transfer.png'))
    plots.style_transfer(paths[-1], x_style, y_concept, get(grid), shapes)
  if 'joint' in model.CAN:
    joint_x, joint_y = model.joint(params, key_joint, JOINT_PAIRS)
    paths.append(os.path.join(figure_dir, 'joint_samples.png'))
    plots.joint_samples(paths[-1], get(joint_x), get(joint_y), shapes,
                        joined=paired.joined)
  return paths
