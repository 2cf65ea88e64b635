"""Parse degree–minute–second coordinate text such as ``12°40'7.212"N`` or ``7° 55' 9.818" W``.

The DNACPN CSCOM sheet writes its coordinates by hand in several spellings:
with or without spaces between the parts, with zero-padded or bare minutes and
seconds, one to three decimals on the seconds, and stray leading or trailing
spaces. Typographic variants of the symbols (``º``, ``′``, ``″``, ``’``, two
apostrophes for seconds) are accepted as well, and the hemisphere letter may
come first or last. Southern and western values are negative.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from geo.errors import InvalidParameter

#: Typographic variants folded to the ASCII symbols the pattern expects.
_SYMBOLS = str.maketrans({"º": "°", "˚": "°", "′": "'", "’": "'", "‘": "'", "´": "'", "″": '"', "“": '"', "”": '"'})

_NUMBER = r"\d+(?:[.,]\d+)?"
_PATTERN = re.compile(
    rf"""
    ^(?P<pre>[NSEW])?\s*
    (?P<deg>{_NUMBER})\s*°\s*
    (?:(?P<min>{_NUMBER})\s*'\s*
       (?:(?P<sec>{_NUMBER})\s*(?:"|'')\s*)?
    )?
    (?P<post>[NSEW])?$
    """,
    re.VERBOSE,
)

#: Sign and axis of each hemisphere letter.
HEMISPHERES: dict[str, tuple[int, str]] = {"N": (1, "lat"), "S": (-1, "lat"), "E": (1, "lon"), "W": (-1, "lon")}
#: Largest absolute value allowed on each axis, in degrees.
AXIS_LIMITS: dict[str | None, float] = {"lat": 90.0, "lon": 180.0, None: 180.0}
_AXIS_WORDS = {"lat": "latitude", "lon": "longitude"}


class Dms(NamedTuple):
    """A parsed coordinate: signed decimal degrees and the axis its letter names (None without a letter)."""

    degrees: float
    axis: str | None


class LatLon(NamedTuple):
    """A parsed coordinate pair in decimal degrees (EPSG:4326 order lat, lon)."""

    lat: float
    lon: float
    swapped: bool  # True when the texts were given in (lon, lat) order and were swapped back


def _number(text: str | None) -> float:
    return float(text.replace(",", ".")) if text else 0.0


def parse_dms_axis(text: object) -> Dms:
    """Parse DMS text into signed decimal degrees and the axis named by its hemisphere letter.

    Parameters
    ----------
    text
        e.g. ``12°40'7.212"N``, ``7° 55' 9.818" W``, ``N 12°38'28.3"``, ``12°30'N``, ``12.5°N``.

    Returns
    -------
    Dms
        ``degrees`` (negative for S and W) and ``axis`` ("lat", "lon" or None).

    Raises
    ------
    InvalidParameter
        The text is not DMS, has two hemisphere letters, a decimal part before the
        last component, minutes or seconds of 60 or more, or is out of range
        (latitude above 90°, longitude above 180°).
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameter("dms", f"no coordinate text in {text!r}")
    folded = re.sub(r"\s+", " ", text.translate(_SYMBOLS)).strip().upper()
    match = _PATTERN.match(folded)
    if match is None:
        raise InvalidParameter("dms", f"cannot read {text!r} as degrees°minutes'seconds\" with a hemisphere letter")
    parts = match.groupdict()
    if parts["pre"] and parts["post"]:
        raise InvalidParameter("dms", f"{text!r} has two hemisphere letters")
    given = [parts[k] for k in ("deg", "min", "sec") if parts[k] is not None]
    if any(re.search(r"[.,]", p) for p in given[:-1]):
        raise InvalidParameter("dms", f"{text!r}: only the last component may have decimals")
    degrees, minutes, seconds = _number(parts["deg"]), _number(parts["min"]), _number(parts["sec"])
    if minutes >= 60 or seconds >= 60:
        raise InvalidParameter("dms", f"{text!r}: minutes and seconds must be below 60")
    letter = parts["pre"] or parts["post"]
    sign, axis = HEMISPHERES[letter] if letter else (1, None)
    value = degrees + minutes / 60 + seconds / 3600
    if value > AXIS_LIMITS[axis]:
        raise InvalidParameter("dms", f"{text!r}: {value:.6f}° is out of range for {axis or 'a coordinate'}")
    return Dms(sign * value, axis)


def parse_dms(text: object) -> float:
    """Return DMS text as signed decimal degrees (S and W negative).

    >>> round(parse_dms("12°40'7.212\\"N"), 6)
    12.66867
    >>> round(parse_dms("7° 55' 9.818\\" W"), 6)
    -7.919394

    Raises
    ------
    InvalidParameter
        See :func:`parse_dms_axis`.
    """
    return parse_dms_axis(text).degrees


def parse_lat_lon(lat_text: object, lon_text: object) -> LatLon:
    """Parse a latitude and a longitude text, swapping them back when given the wrong way round.

    The hemisphere letters decide: a "latitude" written with E/W and a
    "longitude" written with N/S are swapped. Without letters the given order
    is trusted.

    Returns
    -------
    LatLon
        ``lat``, ``lon`` in decimal degrees (EPSG:4326) and ``swapped``.

    Raises
    ------
    InvalidParameter
        Either text is unparseable, both name the same axis, or the latitude is above 90°.
    """
    first, second = parse_dms_axis(lat_text), parse_dms_axis(lon_text)
    axes = (first.axis, second.axis)
    swapped = axes in {("lon", "lat"), ("lon", None), (None, "lat")}
    if first.axis is not None and first.axis == second.axis:
        raise InvalidParameter("lat_lon", f"{lat_text!r} and {lon_text!r} both name a {_AXIS_WORDS[first.axis]}")
    lat, lon = (second, first) if swapped else (first, second)
    if abs(lat.degrees) > AXIS_LIMITS["lat"]:
        raise InvalidParameter("lat_lon", f"latitude {lat.degrees:.6f}° from {lat_text!r}/{lon_text!r} is above 90°")
    return LatLon(lat.degrees, lon.degrees, swapped)
