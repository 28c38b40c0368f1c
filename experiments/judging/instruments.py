"""The embedded MNIST subset's judges as fixed instruments, shipped with the
project.

The classifier and the feature autoencoder that judge samples of the
embedded subset (`data.source='embedded'` and the MNIST side of
'mnist_poly', at their default split and the default judge settings) are
files in experiments/judging/instruments/, built by

  python -m experiments.build_instruments

(bitwise the same files on one machine), and listed with their keys and
sha256 checksums in experiments/judging/instruments/MANIFEST.json. A judge whose key
(the checksum of the domain's train and test examples and labels, the
judge, its seed and steps) is listed there is read from its file, so every
version of the code and every machine measures with the same instrument, as
FID does with its fixed Inception network; a listed file whose bytes do not
match the manifest (damaged, or another file put in its place) is refused
(InstrumentError), never silently retrained. Every other judge is trained
and kept in the user cache (`experiments.cache`).
"""

import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

from absl import logging

from experiments import cache
from wyner_jax.errors import WynerError

DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'instruments')
MANIFEST = 'MANIFEST.json'
BUILD_COMMAND = 'python -m experiments.build_instruments'


class InstrumentError(WynerError, ValueError):
  """A shipped judge's file does not match its manifest."""


def normalized(key: dict[str, Any]) -> dict[str, Any]:
  """`key` as JSON reads it back (tuples as lists), for comparisons."""
  return json.loads(json.dumps(key, sort_keys=True))


def read_manifest(directory: str = DIRECTORY) -> dict[str, dict[str, Any]]:
  """{file name: {'key': its judge key, 'sha256': ..., 'built_with': ...}};
  {} when the directory has no manifest."""
  path = os.path.join(directory, MANIFEST)
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)


def sha256(path: str) -> str:
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


def load(key: dict[str, Any], target: Any,
         directory: str = DIRECTORY) -> Any | None:
  """The shipped judge for `key` (a pytree like `target`), or None when the
  manifest lists none.

  Raises:
    InstrumentError: the listed file is missing, or its bytes or contents
      differ from what the manifest says.
  """
  key = normalized(key)
  for name, entry in read_manifest(directory).items():
    if entry['key'] != key:
      continue
    path = os.path.join(directory, name)
    fix = (f'restore it (git checkout {os.path.relpath(path)}) or rebuild the '
           f'instruments with {BUILD_COMMAND}')
    if not os.path.exists(path):
      raise InstrumentError(f'the shipped judge {path} is missing; {fix}')
    if sha256(path) != entry['sha256']:
      raise InstrumentError(
          f'the shipped judge {path} does not match its sha256 in {MANIFEST} '
          f'(damaged, or another file in its place); {fix}')
    tree, why = cache.read_entry(path, key, target)
    if why is not None:
      raise InstrumentError(f'the shipped judge {path} is {why}; {fix}')
    logging.info('judge: read the shipped instrument %s', path)
    return tree
  return None


def load_or_build(path: str, key: dict[str, Any], target: Any,
                  build: Callable[[], Any]) -> Any:
  """The shipped judge for `key`, else the user cache's at `path`, else
  `build()`'s, then cached (`experiments.cache.load_or_build`)."""
  shipped = load(key, target)
  if shipped is not None:
    return shipped
  return cache.load_or_build(path, key, target, build)


def write(directory: str, name: str, key: dict[str, Any], tree: Any) -> None:
  """Writes the judge `tree` as `name` and lists it in the manifest
  (replacing an entry of that name)."""
  os.makedirs(directory, exist_ok=True)
  path = os.path.join(directory, name)
  cache.write_entry(path, normalized(key), tree)
  os.chmod(path, 0o644)  # a file of the repository, not a private cache entry
  manifest = read_manifest(directory)
  manifest[name] = {'key': normalized(key), 'sha256': sha256(path),
                    'built_with': cache.code_versions()}
  with open(os.path.join(directory, MANIFEST), 'w') as f:
    json.dump(manifest, f, indent=2, sort_keys=True)
    f.write('\n')
