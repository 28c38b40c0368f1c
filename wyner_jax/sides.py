"""One description per modality: what the model, the wrapper and evaluation
need to know of a side (X or Y), whatever its shape.

X and Y may differ in shape and type: a 28 x 28 gray digit and a 32 x 32
colour photograph, or two vectors of different widths. The MLP networks see
each side flattened (`dim`); the conv autoencoder wrapper needs images
(`is_image`); sides of one `domain` share one wrapper autoencoder (and, in
the application, one judge).
"""

import math
from typing import Any, NamedTuple


class Side(NamedTuple):
  """Static description of one modality."""
  shape: tuple[int, ...]  # one example, e.g. (28, 28, 1), (32, 32, 3), (D,)
  domain: str  # e.g. 'mnist'; sides of one domain share the wrapper and judges
  bounded: bool  # values in [0, 1]: the decoder ends in a sigmoid
  digits: bool = False  # gray 28 x 28 digits: Morpho-MNIST's slant, thickness

  @property
  def dim(self) -> int:
    return math.prod(self.shape)

  @property
  def is_image(self) -> bool:
    """(H, W, C) with H and W divisible by 4: the conv autoencoder applies."""
    return (len(self.shape) == 3 and self.shape[0] % 4 == 0
            and self.shape[1] % 4 == 0)

  def to_json(self) -> dict[str, Any]:
    return {'shape': list(self.shape), 'domain': self.domain,
            'bounded': self.bounded, 'digits': self.digits}

  @classmethod
  def from_json(cls, record: dict[str, Any]) -> 'Side':
    return cls(tuple(record['shape']), record['domain'], record['bounded'],
               record['digits'])


def domains(x: Side, y: Side) -> dict[str, tuple[str, ...]]:
  """{domain: the sides ('x', 'y') of it}, in the order x, y."""
  out: dict[str, tuple[str, ...]] = {}
  for name, side in (('x', x), ('y', y)):
    out[side.domain] = out.get(side.domain, ()) + (name,)
  return out
