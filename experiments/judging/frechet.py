"""Fréchet distance between two sets of features (the FID formula, on the
judging classifier's features; docs/running.md, "Label metrics").

    FD = ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2))

is the squared 2-Wasserstein distance between Gaussians fitted to the two
sets. It is biased upwards for finite sets, so values are only comparable at
equal set sizes: `experiments.judging.metrics` always compares sets of the same size
and the same label counts, and reports two halves of the real test images
(`eval/fd_real`) as the floor.
"""

import numpy as np


def gaussian_frechet_distance(mean_a: np.ndarray, cov_a: np.ndarray,
                              mean_b: np.ndarray, cov_b: np.ndarray) -> float:
  """FD of N(mean_a, cov_a) and N(mean_b, cov_b): [F] means, [F, F] covariances."""
  # Tr((C_a C_b)^(1/2)) = Tr((S C_b S)^(1/2)) with S = C_a^(1/2): the latter is
  # symmetric, so eigh applies and no complex sqrtm round-off appears.
  eigvals, eigvecs = np.linalg.eigh(cov_a)
  root_a = (eigvecs * np.sqrt(np.clip(eigvals, 0.0, None))) @ eigvecs.T
  middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
  trace_root = np.sqrt(np.clip(middle, 0.0, None)).sum()
  diff = mean_a - mean_b
  return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
  """FD of Gaussians fitted to [Na, F] and [Nb, F] features (Na, Nb >= 2)."""
  for name, feats in (('feats_a', feats_a), ('feats_b', feats_b)):
    if feats.ndim != 2 or len(feats) < 2:
      raise ValueError(f'{name} must be [N >= 2, F] features, got shape {feats.shape}')
  if feats_a.shape[1] != feats_b.shape[1]:
    raise ValueError(f'feature sizes differ: {feats_a.shape[1]} and {feats_b.shape[1]}')
  a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
  if len(b) < len(a):  # FD is symmetric: let `a` be the smaller set
    a, b = b, a
  if len(a) > a.shape[1]:
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False),
                                     b.mean(0), np.cov(b, rowvar=False))
  # Fewer examples than features (the per-condition FD: 50 samples of 256
  # features): C_a = A^T A with A the centred rows / sqrt(Na - 1), and the
  # non-zero eigenvalues of C_a C_b are those of A C_b A^T, [Na, Na]: one
  # small eigh in place of two [F, F] ones, the same value (to round-off).
  centred = (a - a.mean(0)) / np.sqrt(len(a) - 1)
  cov_b = np.cov(b, rowvar=False)
  middle = np.linalg.eigvalsh(centred @ cov_b @ centred.T)
  trace_root = np.sqrt(np.clip(middle, 0.0, None)).sum()
  diff = a.mean(0) - b.mean(0)
  return float(diff @ diff + np.sum(centred ** 2) + np.trace(cov_b)
               - 2.0 * trace_root)
