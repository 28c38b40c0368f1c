"""The launchers, evaluation and figures; they need the experiments extra.

A missing package of that extra ends the import with one line naming the
extra to install, not a traceback.
"""

import importlib.util

_NEEDS = {'ml_collections': 'ml-collections', 'absl': 'absl-py',
          'orbax.checkpoint': 'orbax-checkpoint', 'matplotlib': 'matplotlib',
          'mlxtend': 'mlxtend', 'sklearn': 'scikit-learn',
          'skimage': 'scikit-image', 'scipy': 'scipy'}


def _missing(module: str) -> bool:
  try:
    return importlib.util.find_spec(module) is None
  except ModuleNotFoundError:  # the parent package of a dotted name is missing
    return True


_MISSING = [package for module, package in _NEEDS.items() if _missing(module)]
if _MISSING:
  raise SystemExit(f'error: experiments/ needs the experiments extra '
                   f'({", ".join(_MISSING)} not installed): '
                   'pip install -e ".[experiments]"')
