"""The infrastructure-gap index: broadband, transport and access-to-services gaps, weighted by people.

Method (also shown on the /gap page):
1. Each input in data/gap_components.csv is normalised across Kent's wards as a percentile
   score, 0 = smallest gap in Kent, 1 = biggest (average ranks for ties), oriented by its
   ``gap_when`` column, which must agree with the catalogue's polarity and with the data.
2. A component (broadband, transport, services) is the weighted mean of its inputs' scores.
3. The index is the weighted mean of the components with the user's integer weights (0-10),
   times 100: 0 would be the smallest gap in Kent on every component, 100 the biggest.
4. Rank stability: each non-zero component weight is multiplied by a factor in
   [1 - WEIGHT_SPREAD, 1 + WEIGHT_SPREAD], DRAWS times, the factors taken from REPLICATES
   seeded, independently scrambled Sobol' sequences (quasi-random: they cover the range far more
   evenly than independent random draws, so a ward's share barely moves with the seed); each
   ward's band is the 5th-95th percentile of its Kent rank over the draws (widened to include its
   rank at the chosen weights in the rare case it falls outside; the count is reported), and its
   worst-ten share comes with a 95% margin from the spread of the replicates' shares. Only the
   three component weights move: the inputs' own weights within a component and the data do not.
Missing inputs are never filled: a ward missing an input of a weighted component has no index.
No Streamlit here; pages get ``compute``'s result through geo.explorer.gap_view.gap_result (run in the gap
worker process) and render it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo.config import KENT_CODE, REPO_ROOT

COMPONENTS_PATH = REPO_ROOT / "data" / "gap_components.csv"
COMPONENTS = ("broadband", "transport", "services")
PRESETS = {"balanced": (5, 5, 5), "broadband_led": (10, 3, 3), "transport_led": (3, 10, 3), "services_led": (3, 3, 10)}
PRESET_LABELS = {"balanced": "Balanced", "broadband_led": "Broadband-led", "transport_led": "Transport-led",
                 "services_led": "Services-led", "custom": "Custom"}
DEFAULT_PRESET = "balanced"
MAX_WEIGHT = 10
DRAWS = 2048
REPLICATES = 8  # independently scrambled sequences of DRAWS / REPLICATES weightings each
WEIGHT_SPREAD = 0.5
DEFAULT_SEED = 2026
WORST = 10  # "Kent's worst ten"
PERSISTENT_SHARE = 0.8  # in the worst ten under at least this share of weightings
MIN_CHECK_STRENGTH = 0.2  # |Spearman| a direction check must reach to count as evidence
NEED_INDICATORS = ("income_score", "employment_score")
# The IoD 2025 geographical-barriers sub-domain ranks LSOAs exactly opposite to the transport
# connectivity score: one measure, so the index counts it once (as transport connectivity).
SAME_MEASURE = ("geographical_barriers_score", "transport_connectivity_score")
INDEX_ID = "gap_index"
# Index values are compared at this many decimals so floating-point noise never breaks a real tie
# (e.g. two wards with the same percentile scores, combined with weights in a different order).
COMPARE_DECIMALS = 9


def preset_of(weights: tuple[int, ...]) -> str:
    """The name of the preset with these (broadband, transport, services) weights, or 'custom'."""
    return next((name for name, values in PRESETS.items() if values == tuple(weights)), "custom")


class GapWeightsError(ValueError):
    """Weights the index cannot be built from."""


class GapDirectionError(ValueError):
    """An input's direction disagrees with the catalogue or the data."""


@dataclass(frozen=True)
class Weights:
    """Integer weights 0-10 for the three components."""

    broadband: int
    transport: int
    services: int

    def __post_init__(self):
        for name in COMPONENTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= MAX_WEIGHT:
                raise GapWeightsError(f"The {name} weight must be a whole number from 0 to {MAX_WEIGHT}; got {value!r}.")
        if not any(self.as_tuple()):
            raise GapWeightsError("All three weights are zero, so there is nothing to combine: "
                                  "give at least one component a weight above 0.")

    def as_tuple(self) -> tuple[int, int, int]:
        """(broadband, transport, services)."""
        return tuple(int(getattr(self, name)) for name in COMPONENTS)

    def preset(self) -> str:
        """The preset these weights equal, or 'custom'."""
        return preset_of(self.as_tuple())

    @classmethod
    def of_preset(cls, name: str) -> "Weights":
        """The weights of a named preset."""
        return cls(*PRESETS[name])


@lru_cache(maxsize=2)
def load_components(path: Path = COMPONENTS_PATH) -> pd.DataFrame:
    """The component inputs table, checked: known components, directions, weights."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["input_weight"] = table.input_weight.astype(float)
    if set(table.component) != set(COMPONENTS):
        raise GapDirectionError(f"{path.name}: components must be {COMPONENTS}, found {sorted(set(table.component))}")
    if not table.gap_when.isin(["higher", "lower"]).all():
        raise GapDirectionError(f"{path.name}: gap_when must be 'higher' or 'lower'")
    if not table.check_expected.isin(["", "positive", "negative"]).all():
        raise GapDirectionError(f"{path.name}: check_expected must be 'positive', 'negative' or empty")
    if (table.input_weight <= 0).any():
        raise GapDirectionError(f"{path.name}: every input_weight must be positive")
    return table


def indicator_ids(components: pd.DataFrame | None = None) -> list[str]:
    """Every indicator the index, its checks and the need axis read."""
    components = load_components() if components is None else components
    ids = list(components.indicator_id) + [c for c in components.check_indicator if c] + list(NEED_INDICATORS)
    return list(dict.fromkeys(ids + list(SAME_MEASURE)))


def percentile_score(values: pd.Series, gap_when: str = "higher") -> pd.Series:
    """Kent percentile, 0 = smallest gap, 1 = biggest; missing stays missing."""
    ranks = values.rank(method="average")
    present = int(values.notna().sum())
    score = (ranks - 1) / (present - 1) if present > 1 else ranks * 0.0
    return 1 - score if gap_when == "lower" else score


def component_scores(ward_values: pd.DataFrame, components: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each ward's broadband, transport and services gap score, 0-1; missing if any input is."""
    components = load_components() if components is None else components
    scores = {}
    for component in COMPONENTS:
        inputs = components[components.component == component]
        weighted = [percentile_score(ward_values[row.indicator_id], row.gap_when) * row.input_weight
                    for row in inputs.itertuples()]
        scores[component] = pd.concat(weighted, axis=1).sum(axis=1, skipna=False) / inputs.input_weight.sum()
    return pd.DataFrame(scores, index=ward_values.index)


def _weighted_index(component_matrix: np.ndarray, weight_rows: np.ndarray) -> np.ndarray:
    """wards x weightings: 100 x the weighted mean of the components (columns match weight_rows' columns)."""
    return np.round(100 * (component_matrix @ weight_rows.T) / weight_rows.sum(axis=1), COMPARE_DECIMALS)


def index_values(scores: pd.DataFrame, weights: Weights) -> pd.Series:
    """The 0-100 gap index: the weighted mean of the components that carry weight."""
    w = np.array(weights.as_tuple(), dtype=float)
    active = w > 0
    combined = _weighted_index(scores.to_numpy()[:, active], w[None, active])[:, 0]
    return pd.Series(combined, index=scores.index, name=INDEX_ID)


def kent_ranks(index: pd.Series) -> pd.Series:
    """Rank 1 = biggest gap in Kent; ties share the better rank; missing has no rank."""
    from scipy.stats import rankdata  # scipy.stats on first use (0.9 s to import): most pages that import this never rank

    ranks = pd.Series(np.nan, index=index.index)
    present = index.notna()
    ranks[present] = rankdata(-index[present].to_numpy(), method="min")
    return ranks


def sampled_weights(weights: Weights, draws: int = DRAWS, seed: int = DEFAULT_SEED,
                    spread: float = WEIGHT_SPREAD) -> np.ndarray:
    """draws x 3 weight vectors around the chosen ones (zero weights stay zero), reproducible by seed: REPLICATES
    blocks (draws is rounded up to a multiple of REPLICATES), each a scrambled Sobol' sequence of its own."""
    from scipy.stats import qmc

    per_replicate = max(1, -(-draws // REPLICATES))
    power = int(np.ceil(np.log2(per_replicate)))  # Sobol' points come in powers of two; keep the first ones
    streams = np.random.SeedSequence(seed).spawn(REPLICATES)
    unit = np.vstack([qmc.Sobol(d=len(COMPONENTS), scramble=True, seed=np.random.default_rng(stream))
                      .random_base2(power)[:per_replicate] for stream in streams])
    return np.array(weights.as_tuple(), dtype=float) * (1 - spread + 2 * spread * unit)


def descending_ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each column within each row of values (draws x wards): 1 = largest, ties share the better rank
    (scipy's rankdata method "min", vectorised over the rows: one sort instead of one per draw)."""
    order = np.argsort(-values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    starts = np.ones(values.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(values.shape[1])[None, :], 0), axis=1)
    ranks = np.empty(values.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    return ranks


def rank_bands(scores: pd.DataFrame, weights: Weights, draws: int = DRAWS, seed: int = DEFAULT_SEED,
               spread: float = WEIGHT_SPREAD) -> pd.DataFrame:
    """Each ward's rank at the chosen weights, its 5th-95th percentile rank band over sampled weights,
    the share of samples that put it in Kent's worst ten and that share's 95% margin (from the replicates)."""
    rank_now = kent_ranks(index_values(scores, weights))
    present = rank_now.notna().to_numpy()
    samples = sampled_weights(weights, draws, seed, spread)
    active = samples.sum(axis=0) > 0
    matrix = scores.to_numpy()[present][:, active]
    sampled_ranks = descending_ranks(np.ascontiguousarray(_weighted_index(matrix, samples[:, active]).T))  # draws x wards
    low = np.quantile(sampled_ranks, 0.05, axis=0, method="inverted_cdf")
    high = np.quantile(sampled_ranks, 0.95, axis=0, method="inverted_cdf")
    in_worst = sampled_ranks <= WORST
    replicate_shares = in_worst.reshape(REPLICATES, -1, in_worst.shape[1]).mean(axis=1)
    chosen = rank_now.to_numpy()[present]
    out = pd.DataFrame(index=scores.index, columns=["rank", "band_low", "band_high", "worst_ten_share",
                                                    "worst_ten_margin", "band_widened"], dtype=float)
    out.loc[present, "rank"] = chosen
    out.loc[present, "band_low"] = np.minimum(low, chosen)
    out.loc[present, "band_high"] = np.maximum(high, chosen)
    out.loc[present, "worst_ten_share"] = in_worst.mean(axis=0)
    out.loc[present, "worst_ten_margin"] = 1.96 * replicate_shares.std(axis=0, ddof=1) / np.sqrt(REPLICATES)
    out.loc[present, "band_widened"] = ((chosen < low) | (chosen > high)).astype(float)
    return out


def need_score(ward_values: pd.DataFrame) -> pd.Series:
    """Need, 0-100: the mean Kent percentile of income and employment deprivation."""
    parts = [percentile_score(ward_values[i], "higher") for i in NEED_INDICATORS]
    return 100 * pd.concat(parts, axis=1).mean(axis=1, skipna=False)


def direction_checks(ward_values: pd.DataFrame, catalogue: pd.DataFrame,
                     components: pd.DataFrame | None = None) -> pd.DataFrame:
    """For every input: does its gap direction agree with the catalogue's polarity and with the data?"""
    from scipy.stats import spearmanr

    components = load_components() if components is None else components
    rows = []
    for row in components.itertuples():
        polarity = catalogue.loc[row.indicator_id, "polarity"]
        polarity_agrees = (row.gap_when == "higher") == (polarity == "higher_worse") and polarity != "neutral"
        rho = None
        if row.check_indicator:
            pair = ward_values[[row.indicator_id, row.check_indicator]].dropna()
            rho = float(spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic)
        data_agrees = rho is None or ((rho > 0) == (row.check_expected == "positive") and abs(rho) >= MIN_CHECK_STRENGTH)
        rows.append({"component": row.component, "indicator_id": row.indicator_id, "gap_when": row.gap_when,
                     "polarity": polarity, "check_indicator": row.check_indicator, "expected": row.check_expected,
                     "spearman": rho, "agrees": bool(polarity_agrees and data_agrees), "why": row.why})
    return pd.DataFrame(rows)


def same_measure_spearman(ward_values: pd.DataFrame) -> float:
    """Spearman correlation, across Kent's wards, of the two IoD measures that are one measure."""
    from scipy.stats import spearmanr

    pair = ward_values[list(SAME_MEASURE)].dropna()
    return float(spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic)


def quadrant(need: float, gap: float, need_median: float, gap_median: float) -> str:
    """Need x provision quadrant name, split at Kent's ward medians."""
    if pd.isna(need) or pd.isna(gap):
        return "No data"
    return ("Higher need" if need > need_median else "Lower need") + ", " + ("bigger gap" if gap > gap_median else "smaller gap")


@dataclass
class GapResult:
    """The index at one set of weights for all of Kent's wards, with bands, need and checks."""

    weights: Weights
    seed: int
    draws: int
    wards: pd.DataFrame  # one row per ward, ranked
    checks: pd.DataFrame
    same_measure_spearman: float
    notes: list[str] = field(default_factory=list)

    @property
    def widened_bands(self) -> int:
        """How many bands had to be widened to include the rank at the chosen weights."""
        return int(self.wards.band_widened.fillna(0).sum())

    def persistent_worst(self) -> pd.DataFrame:
        """Wards in Kent's worst ten under at least PERSISTENT_SHARE of the sampled weightings."""
        return self.wards[self.wards.worst_ten_share >= PERSISTENT_SHARE]

    def in_district(self, district_code: str | None) -> pd.DataFrame:
        """The ward rows of one district (all of Kent for None), in Kent rank order."""
        return self.wards if district_code is None else self.wards[self.wards.district_code == district_code]


def compute(ward_values: pd.DataFrame, catalogue: pd.DataFrame, weights: Weights, seed: int = DEFAULT_SEED,
            draws: int = DRAWS, components: pd.DataFrame | None = None) -> GapResult:
    """The gap index for every ward. ward_values: one row per ward (index ward_code) with
    ward_name, district_code, district_name and a column per indicator in indicator_ids();
    components: the inputs table (default data/gap_components.csv; the explorer passes the database's)."""
    checks = direction_checks(ward_values, catalogue, components)
    if not checks.agrees.all():
        bad = checks[~checks.agrees].iloc[0]
        raise GapDirectionError(f"file {COMPONENTS_PATH.name}, column 'gap_when', indicator {bad.indicator_id}: "
                                f"gap_when={bad.gap_when} disagrees with polarity {bad.polarity} "
                                f"or with the data (Spearman {bad.spearman} with {bad.check_indicator}).")
    scores = component_scores(ward_values, components)
    index = index_values(scores, weights)
    draws = REPLICATES * max(1, -(-draws // REPLICATES))  # as sampled_weights rounds it
    bands = rank_bands(scores, weights, draws, seed)
    need = need_score(ward_values)
    wards = pd.DataFrame({
        "ward_code": ward_values.index, "ward_name": ward_values.ward_name, "district_code": ward_values.district_code,
        "district_name": ward_values.district_name, INDEX_ID: index,
        **{f"{c}_gap": 100 * scores[c] for c in COMPONENTS}, "need_score": need,
    }).join(bands)
    need_median, gap_median = wards.need_score.median(), wards[INDEX_ID].median()
    wards["quadrant"] = [quadrant(n, g, need_median, gap_median) for n, g in zip(wards.need_score, wards[INDEX_ID])]
    wards = wards.sort_values(["rank", "ward_name"], na_position="last").reset_index(drop=True)
    notes = []
    missing = int(wards[INDEX_ID].isna().sum())
    if missing:
        notes.append(f"{missing} wards have no index: an input of a weighted component is missing there.")
    return GapResult(weights, seed, draws, wards, checks, same_measure_spearman(ward_values), notes)


# ------------------------------------------------------------------ the build's stored layer

def stored_layer_values(indicator_values: pd.DataFrame, ward_names: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Rows of indicator_values for gap_index at the default weights: wards as computed, districts and
    Kent as the resident-weighted mean of their wards (Census 2021, best-fit)."""
    wide = indicator_values[indicator_values.level == "ward"].pivot_table(
        index="area_code", columns="indicator_id", values="value", aggfunc="first")
    population = wide["population"]
    ward_values = ward_names.set_index("ward_code").join(wide[indicator_ids()], how="left")
    result = compute(ward_values, catalogue, Weights.of_preset(DEFAULT_PRESET)).wards.set_index("ward_code")
    ward_rows = pd.DataFrame({"area_code": result.index, "level": "ward", "value": result[INDEX_ID]})
    frame = result[[INDEX_ID, "district_code"]].join(population.rename("population"))
    present = frame[frame[INDEX_ID].notna()]
    weighted = present[INDEX_ID] * present.population
    district_rows = (weighted.groupby(present.district_code).sum() / present.population.groupby(present.district_code).sum())
    rows = pd.concat([
        ward_rows,
        pd.DataFrame({"area_code": district_rows.index, "level": "district", "value": district_rows.to_numpy()}),
        pd.DataFrame({"area_code": [KENT_CODE], "level": "county", "value": [weighted.sum() / present.population.sum()]}),
    ], ignore_index=True)
    sizes = indicator_values[indicator_values.indicator_id == "population"][["level", "area_code", "n_lsoas"]]
    rows = rows.merge(sizes, on=["level", "area_code"], how="left")
    rows["n_lsoas_with_value"] = rows.n_lsoas.where(rows.value.notna(), 0)
    return rows.assign(indicator_id=INDEX_ID, n_postcodes=np.nan)
