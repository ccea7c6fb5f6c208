"""The glossary of units and terms at the end of the report."""

from __future__ import annotations

from nexusmodel.report.formatting import esc

__all__ = ["GLOSSARY", "glossary_section"]

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "hm³ (hm3)",
        "cubic hectometre: one million cubic metres (10⁶ m³), the model's unit of volume.",
    ),
    (
        "km³ (km3)",
        "cubic kilometre: one billion cubic metres, 1,000 hm³. A flow of 1 km³ a year is about 32 m³/s.",
    ),
    ("GWh", "gigawatt-hour: one million kilowatt-hours of electricity."),
    ("kt", "kilotonne: 1,000 tonnes (of crops)."),
    (
        "Demand met (coverage)",
        "the share of the water asked for over the horizon that was delivered.",
    ),
    (
        "Reliability",
        "the share of months in which a user got at least 99 % of its demand (Hashimoto et al., 1982).",
    ),
    (
        "Resilience",
        "the chance that a month short of water is followed by a month without shortage.",
    ),
    (
        "Vulnerability",
        "how deep the shortages are: the mean share of the demand missing in the months that fall short.",
    ),
    (
        "Marginal value of water",
        "how much the basin's net benefit would rise with one more m³ of water at a place and month (USD/m³); 0 means water is not scarce there and then.",
    ),
    (
        "Net benefit (objective)",
        "what the model maximises, summed over the horizon: crop income, the value of water supplied to other users and electricity exports, minus the costs of thermal generation and imports and the penalties for unmet requirements.",
    ),
    (
        "Rule curve",
        "a storage level, by month, that reservoir operation should stay above (minimum) or below (maximum).",
    ),
    ("Dead storage", "the water below the lowest outlet of a dam, which cannot be released."),
    (
        "Environmental flow",
        "the flow kept in a river or delivered to a lake or wetland for nature.",
    ),
    (
        "Terminal lake",
        "a lake or sea with no outflow at the end of the river (in the Syr Darya example, the Northern Aral Sea).",
    ),
    (
        "Winter, summer",
        "October-March and April-September, the Central Asian power and irrigation seasons.",
    ),
    ("Baseline", "the first scenario of the report, against which the others are compared."),
    ("pp", "percentage points: the difference between two percentages (90 % to 85 % is -5 pp)."),
)


def glossary_section() -> str:
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in GLOSSARY)
    return f'<dl class="glossary">{items}</dl>'
