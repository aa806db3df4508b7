"""One benchmark line: a figure, the floor measured beside it, their ratio and the target."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

AT_MOST = "<="
AT_LEAST = ">="


@dataclass
class Result:
    """``ratio = figure / floor``; ``ok`` when the ratio meets ``target`` (``op`` ``bound``).

    ``figure`` and ``floor`` are in ``unit`` (seconds, requests per second, MB…)."""

    id: str
    name: str
    figure: float
    floor: float
    unit: str
    op: str
    bound: float
    floor_name: str = ""
    details: dict = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)  # extra conditions

    @property
    def ratio(self) -> float:
        return self.figure / self.floor if self.floor else float("inf")

    @property
    def ok(self) -> bool:
        meets = self.ratio <= self.bound if self.op == AT_MOST else self.ratio >= self.bound
        return meets and all(passed for _label, passed in self.checks)

    @property
    def target(self) -> str:
        text = f"ratio {'≤' if self.op == AT_MOST else '≥'} {self.bound:g}"
        return "; ".join([text, *(label for label, _passed in self.checks)])

    def as_dict(self) -> dict:
        data = asdict(self)
        data["checks"] = [{"check": label, "ok": passed} for label, passed in self.checks]
        data.update(ratio=round(self.ratio, 4), ok=self.ok, target=self.target)
        return data


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| # | Mesure | Valeur | Plancher | Ratio | Objectif | Tenu |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.id} | {r.name} | {_number(r.figure)} {r.unit} "
            f"| {_number(r.floor)} {r.unit} ({r.floor_name}) | {r.ratio:.3f} "
            f"| {r.target} | {'oui' if r.ok else '**NON**'} |"
        )
    return "\n".join(lines) + "\n"


def write(results: list[Result], directory: Path, meta: dict) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "results.json"
    md_path = directory / "results.md"
    payload = {**meta, "ok": all(r.ok for r in results), "results": [r.as_dict() for r in results]}
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown_table(results))
    return json_path, md_path
