"""Device mesh and placements for data-parallel training in the global view.

One ('data',) mesh axis over the devices; the batch is split along it
(P('data')), while parameters, optimizer state and the (small) data set are
replicated. jit inserts the gradient all-reduce; no pmap, no manual pmean.
"""

from collections.abc import Sequence

import jax
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec as P


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D ('data',) mesh over `devices` (default: all devices)."""
  devices = list(devices) if devices is not None else jax.devices()
  # Auto axes let jit propagate shardings from the batch constraint alone.
  return jax.make_mesh((len(devices),), ('data',),
                       axis_types=(AxisType.Auto,), devices=devices)


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P('data'))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  """Raises a clear error when the batch cannot be split evenly over the mesh."""
  devices = mesh.shape['data']
  if batch_size <= 0 or batch_size % devices:
    raise ValueError(f'batch_size={batch_size} must be a positive multiple of '
                     f'the number of data-parallel devices ({devices})')


def replicate(tree, mesh: Mesh):
  """Copies every leaf of `tree` to all devices of the mesh.

  Always a copy (never an alias of the input), so donating the result to a
  jitted step cannot delete the caller's arrays.
  """
  return jax.device_put(tree, replicated(mesh), may_alias=False)
