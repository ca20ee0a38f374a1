"""A lead's score history as the points of a small inline SVG line (drawn on the server: no script on the page)."""

from __future__ import annotations

from dataclasses import dataclass

from crm.models import ScoreSnapshot

WIDTH, HEIGHT, PAD = 240, 60, 4


@dataclass(frozen=True)
class ScoreChart:
    points: str  # "x,y x,y ..." for <polyline points>
    mql_y: float
    sql_y: float
    count: int
    width: int = WIDTH
    height: int = HEIGHT


def _y(score: int) -> float:
    return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * score / 100, 1)


def score_chart(snapshots: list[ScoreSnapshot], mql: int, sql: int) -> ScoreChart | None:
    """Oldest to newest, evenly spaced; None with fewer than two snapshots (no line to draw)."""
    if len(snapshots) < 2:
        return None
    step = (WIDTH - 2 * PAD) / (len(snapshots) - 1)
    points = " ".join(f"{round(PAD + i * step, 1)},{_y(s.score)}" for i, s in enumerate(snapshots))
    return ScoreChart(points=points, mql_y=_y(mql), sql_y=_y(sql), count=len(snapshots))
