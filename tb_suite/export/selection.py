"""What an export holds: runs and tags matching regular expressions, steps matching a spec."""

from __future__ import annotations

import re
from dataclasses import dataclass


def parse_steps(spec: str | None) -> list[tuple[int, int | None, int]] | None:
    """`"10,20,100:200,0:1000:50"` as (start, stop or None, stride) ranges, stop inclusive; None for all.

    Example:
        >>> parse_steps("5,10:20:5")
        [(5, 5, 1), (10, 20, 5)]
    """
    if spec is None or spec.strip() == "":
        return None
    ranges = []
    for part in spec.split(","):
        fields = part.strip().split(":")
        try:
            if len(fields) == 1:
                ranges.append((int(fields[0]), int(fields[0]), 1))
            elif len(fields) in (2, 3):
                start = int(fields[0]) if fields[0] else 0
                stop = int(fields[1]) if fields[1] else None
                stride = int(fields[2]) if len(fields) == 3 and fields[2] else 1
                if stride < 1:
                    raise ValueError
                ranges.append((start, stop, stride))
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"steps: {part!r} is not N, A:B or A:B:S (non-negative integers, S >= 1)") from None
    return ranges


@dataclass(frozen=True)
class Selection:
    runs: str | None = None
    tags: str | None = None
    steps: str | None = None

    def __post_init__(self):
        for name in ("runs", "tags"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{name}: bad regular expression {pattern!r}: {exc}") from None
        object.__setattr__(self, "_ranges", parse_steps(self.steps))

    def run(self, name: str) -> bool:
        return self.runs is None or re.search(self.runs, name) is not None

    def tag(self, name: str) -> bool:
        return self.tags is None or re.search(self.tags, name) is not None

    def step(self, step: int) -> bool:
        ranges = self._ranges
        if ranges is None:
            return True
        return any(
            start <= step and (stop is None or step <= stop) and (step - start) % stride == 0
            for start, stop, stride in ranges
        )

    def filter_tags(self, tags: dict) -> dict:
        """The `/tags` answer cut to the selection (runs or tags left without steps are dropped)."""
        out: dict = {}
        for run, by_tag in tags.items():
            if not self.run(run):
                continue
            for tag, info in by_tag.items():
                steps = [s for s in info["steps"] if self.step(s)]
                if self.tag(tag) and steps:
                    out.setdefault(run, {})[tag] = {**info, "steps": steps}
        return out
