"""Public holidays of a country or one of its subdivisions, for business calendars."""

from collections.abc import Iterable
from datetime import date

import holidays


def public_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> frozenset[date]:
    """The public holiday dates of `country` (ISO 3166 code, e.g. "DE") in `years`.

    `subdivision` narrows them to a state or region (e.g. "BY" for Bavaria); None gives the holidays
    observed nationwide.
    """
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    except NotImplementedError as error:
        supported = holidays.list_supported_countries()
        if country not in supported:
            raise ValueError(
                f"No public holidays are known for country code {country!r}; "
                "use an ISO 3166 alpha-2 code such as 'DE'."
            ) from error
        raise ValueError(
            f"{country!r} has no subdivision {subdivision!r}; "
            f"known ones are {', '.join(supported[country])}."
        ) from error
    return frozenset(calendar)
