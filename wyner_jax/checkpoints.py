"""Orbax checkpoints, one CheckpointManager per training step.

WORKDIR/checkpoints/joint/ and WORKDIR/checkpoints/marginal/ each hold
`state` (the TrainState pytree) and `train_metrics` (JSON: the train metrics
of the saved step; not `metrics`, a name Orbax reserves and parses when it
opens the directory), written together and atomically by Orbax (a step
directory is renamed into place only when complete), so a step resumes, or is
skipped when finished, independently of the other.

Resuming (`restore_latest`) refuses checkpoints of another model shape with a
message, and falls back from a damaged checkpoint to the newest intact one.
"""

import os
from typing import Any

from absl import logging
import jax
import orbax.checkpoint as ocp


class CheckpointError(Exception):
  """The checkpoints in a directory cannot be used for this run; says why and what to do."""


def _key_name(key) -> str:
  for attribute in ('key', 'idx', 'name'):
    if hasattr(key, attribute):
      return str(getattr(key, attribute))
  return str(key)


def leaf_shapes(tree: Any) -> dict[str, tuple[int, ...]]:
  """{'params/joint/z/...': shape} of every array leaf (works on Orbax metadata too)."""
  return {'/'.join(_key_name(k) for k in path): tuple(leaf.shape)
          for path, leaf in jax.tree.leaves_with_path(tree)}


def shape_mismatch(saved: dict, expected: dict) -> str | None:
  """A one-line description of the first difference, or None when equal."""
  # Parameters first: their names say most about what changed.
  names = sorted(set(saved) | set(expected),
                 key=lambda n: (not n.startswith('params'), n))
  for name in names:
    if name not in saved:
      return f'{name} is missing there'
    if name not in expected:
      return f'{name} is there but not in this config'
    if saved[name] != expected[name]:
      return f'{name} has shape {saved[name]} there, {expected[name]} in this config'
  return None


class PhaseCheckpoints:
  """Saves and restores the train state of one training step (phase)."""

  def __init__(self, directory: str, max_to_keep: int = 2):
    self.directory = os.path.abspath(directory)
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True))

  def save(self, step: int, state: Any, metrics: dict) -> None:
    """Saves and waits, so a checkpoint reported saved is on disk."""
    if step in self._manager.all_steps():
      return  # Orbax would return False silently; the state there is the same.
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        train_metrics=ocp.args.JsonSave(metrics)))
    self._manager.wait_until_finished()

  def restore(self, step: int, like: Any) -> tuple[Any, dict]:
    """Restores `step` into the structure, shapes and shardings of `like`."""
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract),
        train_metrics=ocp.args.JsonRestore()))
    return restored.state, dict(restored.train_metrics)

  def _saved_shapes(self, step: int) -> dict[str, tuple[int, ...]]:
    path = os.path.join(self.directory, str(step), 'state')
    with ocp.StandardCheckpointer() as checkpointer:
      return leaf_shapes(checkpointer.metadata(path).item_metadata.tree)

  def restore_latest(self, like: Any) -> tuple[int, Any, dict] | None:
    """(step, state, metrics) of the newest intact checkpoint, None if there is none.

    Raises:
      CheckpointError: the checkpoints hold a model of another shape, or every
        checkpoint is damaged.
    """
    steps = sorted(self._manager.all_steps(), reverse=True)
    if not steps:
      return None
    expected = leaf_shapes(like)
    damaged = []
    for step in steps:
      # Orbax raises many error types for unreadable files (truncated,
      # missing, bad JSON); any of them means "damaged", so try an older step.
      try:
        mismatch = shape_mismatch(self._saved_shapes(step), expected)
      except Exception as e:  # pylint: disable=broad-except
        damaged.append((step, e))
        continue
      if mismatch:
        raise CheckpointError(
            f'{self.directory} holds checkpoints of a different model: '
            f'{mismatch} (model sizes or the number of models changed?). Use '
            'a new --workdir, or delete its checkpoints/ directory to start '
            'afresh.')
      try:
        state, metrics = self.restore(step, like)
      except Exception as e:  # pylint: disable=broad-except
        damaged.append((step, e))
        continue
      for bad_step, error in damaged:
        logging.warning('%s: checkpoint step %d is damaged (%s: %s); resuming '
                        'from step %d and deleting it', self.directory,
                        bad_step, type(error).__name__, str(error)[:200], step)
        self._manager.delete(bad_step)
      return step, state, metrics
    raise CheckpointError(
        f'no intact checkpoint in {self.directory}: steps '
        f'{", ".join(str(s) for s, _ in damaged)} are damaged (first error: '
        f'{type(damaged[0][1]).__name__}: {str(damaged[0][1])[:200]}). Delete '
        'the directory to train this step afresh.')

  def close(self) -> None:
    self._manager.close()
