"""Numbers compared as numbers: "31,231" = "31231" ≈ "31.2k", "80 %" = "0.8", "0.08 s" = "80 ms".

A number written in a cue never matches a different number ("15 ms" is not "185ms", "16 GB" is
not "1.6 GB"). Two written forms of one value match when the coarser one is the finer one rounded
and still keeps two significant digits ("0.67" for 0.667, "31.2k" for 31,231; not "1" for 0.667).
Units are compared by dimension after conversion, never fuzzed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MULTIPLIERS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9,
    "trillion": 1e12,
}  # fmt: skip
# unit word -> (dimension, scale to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "%": ("", 0.01), "percent": ("", 0.01), "pct": ("", 0.01),
    "x": ("x", 1.0), "times": ("x", 1.0), "fold": ("fold", 1.0), "-fold": ("fold", 1.0),
    "ns": ("s", 1e-9), "us": ("s", 1e-6), "usec": ("s", 1e-6), "microseconds": ("s", 1e-6),
    "ms": ("s", 1e-3), "msec": ("s", 1e-3), "millisecond": ("s", 1e-3),
    "milliseconds": ("s", 1e-3), "s": ("s", 1.0), "sec": ("s", 1.0), "secs": ("s", 1.0),
    "second": ("s", 1.0), "seconds": ("s", 1.0), "min": ("s", 60.0), "mins": ("s", 60.0),
    "minute": ("s", 60.0), "minutes": ("s", 60.0), "h": ("s", 3600.0), "hr": ("s", 3600.0),
    "hrs": ("s", 3600.0), "hour": ("s", 3600.0), "hours": ("s", 3600.0),
    "day": ("s", 86400.0), "days": ("s", 86400.0), "week": ("s", 604800.0),
    "weeks": ("s", 604800.0), "month": ("month", 1.0), "months": ("month", 1.0),
    "year": ("year", 1.0), "years": ("year", 1.0),
    "byte": ("byte", 1.0), "bytes": ("byte", 1.0), "kb": ("byte", 1e3), "mb": ("byte", 1e6),
    "gb": ("byte", 1e9), "tb": ("byte", 1e12), "pb": ("byte", 1e15), "kib": ("byte", 1024.0),
    "mib": ("byte", 1024.0**2), "gib": ("byte", 1024.0**3), "tib": ("byte", 1024.0**4),
    "bit": ("bit", 1.0), "bits": ("bit", 1.0),
    "qps": ("qps", 1.0), "rps": ("qps", 1.0), "tps": ("tps", 1.0),
    "usd": ("usd", 1.0), "dollars": ("usd", 1.0), "cents": ("usd", 0.01),
    "tokens": ("token", 1.0), "token": ("token", 1.0),
    "params": ("param", 1.0), "parameters": ("param", 1.0),
}  # fmt: skip
_PARTS = re.compile(
    r"(?P<mantissa>-?(?:\d[\d,]*(?:\.\d+)?|\.\d+))(?:e(?P<exp>-?\d+))?"
    r"(?:[ \t]?(?P<mult>k|m|b|bn|thousand|million|billion|trillion)\b)?"
    r"[ \t]?(?P<unit>%|-fold|[a-z]+)?$"
)
MAX_NUMBER_CHARS = 64
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)$")


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float  # in the dimension's base unit; percentages as fractions
    ulp: float  # one unit in the last written place, in the same scale (0 = exact)
    sig: int  # significant digits as written
    dim: str  # "" for a plain number, else "s", "byte", "x", ...
    written: float  # the number as written with its multiplier, before the unit ("80" of "80 ms")
    written_ulp: float


def parse_quantity(raw: str) -> Quantity | None:
    """The quantity a number token denotes, or None when the trailing word is not a unit."""
    raw = raw.strip()
    if len(raw) > MAX_NUMBER_CHARS:  # not a quantity anyone writes; int() of it would be costly
        return None
    frac = _FRACTION.match(raw)
    if frac:
        denominator = int(frac[2])
        if denominator == 0 or len(frac[1]) > 15 or len(frac[2]) > 15:
            return None
        value = int(frac[1]) / denominator
        return Quantity(value, 0.0, 99, "", value, 0.0)
    m = _PARTS.match(raw)
    if m is None:
        return None
    mantissa = m["mantissa"].replace(",", "")
    unit = m["unit"]
    dim, scale = ("", 1.0)
    if unit is not None:
        if unit not in _UNITS:
            return None
        dim, scale = _UNITS[unit]
    decimals = len(mantissa.partition(".")[2])
    digits = mantissa.lstrip("-").replace(".", "").lstrip("0")
    sig = len(digits if "." in mantissa else digits.rstrip("0")) or 1
    if m["exp"] and len(m["exp"].lstrip("-")) > 2:
        return None
    exponent = int(m["exp"]) if m["exp"] else 0
    if abs(exponent) > 30 or len(digits) > 30:
        return None
    multiplier = _MULTIPLIERS.get(m["mult"] or "", 1.0) * 10.0**exponent
    written = float(mantissa) * multiplier
    written_ulp = 10.0**-decimals * multiplier
    return Quantity(written * scale, written_ulp * scale, sig, dim, written, written_ulp)


def _close(a: float, a_ulp: float, a_sig: int, c: float, c_ulp: float, c_sig: int) -> bool:
    if abs(a - c) <= 1e-9 * max(1.0, abs(c)):
        return True
    ulp, sig = (a_ulp, a_sig) if a_ulp >= c_ulp else (c_ulp, c_sig)
    return sig >= 2 and abs(a - c) <= ulp / 2 * (1 + 1e-9)


def same_quantity(cue: Quantity, answer: Quantity) -> bool:
    """Does the answer's number say the cue's number?"""
    if cue.dim:
        return cue.dim == answer.dim and _close(
            answer.value, answer.ulp, answer.sig, cue.value, cue.ulp, cue.sig
        )
    if not answer.dim and _close(answer.value, answer.ulp, answer.sig, cue.value, cue.ulp, cue.sig):
        return True
    # A plain cue number also meets the same number written with a unit ("80" in "80 ms").
    return bool(answer.dim) and _close(
        answer.written, answer.written_ulp, answer.sig, cue.written, cue.written_ulp, cue.sig
    )
