"""Reading /metrics the way Prometheus does (the text parser), not by substring."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of an exposition: (sample name, labels) -> value."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; KeyError (naming it) when the series is missing."""
    key = (name, frozenset(labels.items()))
    if key not in samples:
        raise KeyError(f"no sample {name}{labels}")
    return samples[key]


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much a series grew between two scrapes (a missing series counts as 0 before)."""
    key = (name, frozenset(labels.items()))
    return value(after, name, **labels) - before.get(key, 0.0)
