"""Re-identification risk of a table, from the sizes of its equivalence classes over the QIs.

Measures (El Emam, *Guide to the De-Identification of Personal Health Information*, 2013;
the same three attacker models ARX reports):

* prosecutor — the attacker knows the person is in the table: a record in a class of size f is
  re-identified with probability 1/f. ``prosecutor`` is the highest (1 / smallest class),
  ``prosecutor_average`` the mean over records (= classes / records).
* journalist — the attacker matches against the population the table was sampled from; each
  class's population size F is estimated as f / sampling fraction (at least f). Without a
  ``population_size`` the table is taken as the whole population and journalist = prosecutor.
* marketer — the attacker re-identifies as many records as possible: expected share re-identified,
  (1/n) * sum over classes of f / F.
* sample_uniques — share of records alone in their class.

Suppressed records are one class (every quasi-identifier '*') in the released table, and are
counted as such.
"""

from __future__ import annotations

import numpy as np


def risk_profile(class_sizes: np.ndarray, population_size: int | None = None) -> dict[str, float]:
    sizes = np.asarray(class_sizes, dtype=np.float64)
    sizes = sizes[sizes > 0]
    records = float(sizes.sum())
    if records == 0:
        return {name: 0.0 for name in _NAMES}
    if population_size and population_size > records:
        population = np.maximum(sizes * (population_size / records), sizes)
    else:
        population = sizes
    return {
        "prosecutor": float(1.0 / sizes.min()),
        "prosecutor_average": float(len(sizes) / records),
        "journalist": float(1.0 / population.min()),
        "marketer": float((sizes / population).sum() / records),
        "sample_uniques": float(sizes[sizes == 1].sum() / records),
        "classes": int(len(sizes)),
    }


_NAMES = ("prosecutor", "prosecutor_average", "journalist", "marketer", "sample_uniques", "classes")
