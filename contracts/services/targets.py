"""Targets entered as a relative change ("−60 %", "÷4"): the rule lives in the
indicators app (the region's 2050 goals are entered the same way)."""

from indicators.relative_change import (
    format_relative_change,
    parse_relative_change,
    target_from_relative,
)

__all__ = ["format_relative_change", "parse_relative_change", "target_from_relative"]
