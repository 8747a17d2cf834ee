"""Re-identification risk of a table, from the sizes of its equivalence classes over the QIs.

Measures (El Emam, *Guide to the De-Identification of Personal Health Information*, 2013;
the same three attacker models ARX reports):

* prosecutor — the attacker knows the person is in the table: a record in a class of size f is
  re-identified with probability 1/f. ``prosecutor`` is the highest (1 / smallest class),
  ``prosecutor_average`` the mean over records.
* journalist — the attacker matches against the population the table was sampled from; each
  class's population size F is estimated as f / sampling fraction (at least f). Without a
  ``population_size`` the table is taken as the whole population and journalist = prosecutor.
* marketer — the attacker re-identifies as many records as possible: expected share re-identified,
  (1/n) * sum over classes of f / F.
* sample_uniques — share of records alone in their class.

A suppressed record (every quasi-identifier '*') is consistent with every record of the table,
so it counts as matching all n of them (risk 1/n), not as a class of its own: a single suppressed
record is not a "unique".
"""

from __future__ import annotations

import numpy as np


def risk_profile(class_sizes: np.ndarray, population_size: int | None = None, suppressed: int = 0) -> dict:
    """Risk figures for released classes of ``class_sizes`` plus ``suppressed`` all-'*' records."""
    sizes = np.asarray(class_sizes, dtype=np.float64)
    sizes = sizes[sizes > 0]
    records = float(sizes.sum()) + suppressed
    if records == 0:
        return {name: 0.0 for name in _NAMES} | {"classes": 0}
    # Groups of records that look alike: (how many records, how many table records each matches).
    counts = np.append(sizes, float(suppressed)) if suppressed else sizes
    matches = np.append(sizes, records) if suppressed else sizes
    if population_size and population_size > records:
        population = np.maximum(matches * (population_size / records), matches)
    else:
        population = matches
    return {
        "prosecutor": float(1.0 / matches.min()),
        "prosecutor_average": float((counts / matches).sum() / records),
        "journalist": float(1.0 / population.min()),
        "marketer": float((counts / population).sum() / records),
        "sample_uniques": float(counts[matches == 1].sum() / records),
        "classes": int(len(sizes) + (1 if suppressed else 0)),
    }


_NAMES = ("prosecutor", "prosecutor_average", "journalist", "marketer", "sample_uniques")
