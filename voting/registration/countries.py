"""Countries for the registration form: the EU first, then the rest of Europe, then the world.

Names come from Babel's CLDR data, so they follow the interface language.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]
OTHER_EUROPE = [
    "AL",
    "AD",
    "AM",
    "AZ",
    "BA",
    "BY",
    "CH",
    "FO",
    "GB",
    "GE",
    "GI",
    "IS",
    "LI",
    "MC",
    "MD",
    "ME",
    "MK",
    "NO",
    "RS",
    "RU",
    "SM",
    "TR",
    "UA",
    "VA",
    "XK",
]
# CLDR territory codes that are regions, groupings or placeholders, not countries.
NOT_COUNTRIES = {
    "EU",
    "EZ",
    "UN",
    "QO",
    "ZZ",
    "XA",
    "XB",
    "AQ",
    "BV",
    "HM",
    "CP",
    "DG",
    "EA",
    "IC",
    "TA",
    "AC",
}


@cache
def _names(locale: str) -> dict[str, str]:
    """Return code -> country name in a language, for two-letter codes only."""
    territories = Locale.parse(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


def country_name(code: str, locale: str = "en") -> str:
    """Return a country's name, or the code itself when it is unknown."""
    return _names(locale).get(code, code)


def is_country(code: str) -> bool:
    """Say whether a two-letter code is a country the form offers."""
    return code in _names("en")


def grouped_countries(locale: str = "en") -> list[tuple[str, list[tuple[str, str]]]]:
    """Return (group label, [(code, name)]) for the EU, other Europe and the rest, each sorted."""
    names = _names(locale)

    def sort(codes) -> list[tuple[str, str]]:
        return sorted(((code, names[code]) for code in codes if code in names), key=lambda p: p[1])

    europe = set(EU) | set(OTHER_EUROPE)
    return [
        ("European Union", sort(EU)),
        ("Other European countries", sort(OTHER_EUROPE)),
        ("Rest of the world", sort(code for code in names if code not in europe)),
    ]


def code_for(text: str) -> str | None:
    """Return the code of a country given as a code or an English name (CSV import)."""
    value = str(text or "").strip()
    if value.upper() in _names("en"):
        return value.upper()
    folded = value.casefold()
    for code, name in _names("en").items():
        if name.casefold() == folded:
            return code
    return None
