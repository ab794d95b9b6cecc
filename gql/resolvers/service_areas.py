"""Service areas: GeoJSON Polygon / MultiPolygon, validated and normalised with shapely."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from gql.context import Context
from gql.resolvers.inputs import invalid
from gql.resolvers.writes import call

MAX_POLYGONS = 20
MAX_POSITIONS = 5000
FIELD = "areas"


def _ring(raw: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(raw, list) or len(raw) < 4:
        raise invalid(FIELD, f"{where}: a ring needs at least 4 positions (closed: last = first)")
    ring = []
    for position in raw:
        if (not isinstance(position, list) or len(position) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])):
            raise invalid(FIELD, f"{where}: positions are [longitude, latitude] numbers")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise invalid(FIELD, f"{where}: position {position[:2]} is out of range")
        ring.append((lon, lat))
    if ring[0] != ring[-1]:
        raise invalid(FIELD, f"{where}: the ring is not closed (its last position must equal its first)")
    return ring


def _polygon(rings: Any, where: str) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise invalid(FIELD, f"{where}: a polygon is a list of rings")
    shell = _ring(rings[0], f"{where}, exterior ring")
    holes = [_ring(r, f"{where}, hole {i + 1}") for i, r in enumerate(rings[1:])]
    polygon = Polygon(shell, holes)
    if not polygon.is_valid:
        raise invalid(FIELD, f"{where}: not a valid polygon ({explain_validity(polygon)})")
    if polygon.area <= 0:
        raise invalid(FIELD, f"{where}: the polygon has no area")
    return orient(polygon, sign=1.0)  # exterior counter-clockwise, holes clockwise


def parse_areas(geojson: Any) -> list[Polygon]:
    """The polygons of a GeoJSON Polygon or MultiPolygon (or null for none), normalised."""
    if geojson is None:
        return []
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise invalid(FIELD, 'areas must be a GeoJSON geometry of type "Polygon" or "MultiPolygon"')
    coordinates = geojson.get("coordinates")
    parts = [coordinates] if geojson["type"] == "Polygon" else coordinates
    if not isinstance(parts, list) or not parts:
        raise invalid(FIELD, "areas has no coordinates")
    if len(parts) > MAX_POLYGONS:
        raise invalid(FIELD, f"at most {MAX_POLYGONS} polygons")
    polygons = [_polygon(p, f"polygon {i + 1}") for i, p in enumerate(parts)]
    positions = sum(len(p.exterior.coords) + sum(len(h.coords) for h in p.interiors) for p in polygons)
    if positions > MAX_POSITIONS:
        raise invalid(FIELD, f"at most {MAX_POSITIONS} positions in all")
    if len(polygons) > 1 and not MultiPolygon(polygons).is_valid:
        raise invalid(FIELD, "the polygons overlap")
    return polygons


def _as_rows(polygons: list[Polygon]) -> list[dict[str, Any]]:
    return [{"exterior": [list(c) for c in p.exterior.coords],
             "holes": [[list(c) for c in h.coords] for h in p.interiors],
             "geojson": mapping(p)} for p in polygons]


async def set_areas(ctx: Context, business_id: UUID, geojson: Any) -> None:
    rows = _as_rows(parse_areas(geojson))
    # mapping() gives tuples; the JSON codec wants lists.
    for row in rows:
        row["geojson"] = {"type": "Polygon",
                          "coordinates": [[list(c) for c in ring] for ring in row["geojson"]["coordinates"]]}
    await call(ctx, "select api.set_service_areas($1, $2) as id", business_id, rows)


def as_geojson(rows: list[Any]) -> dict[str, Any] | None:
    """The service areas of one business as a GeoJSON MultiPolygon (null when none)."""
    if not rows:
        return None
    return {"type": "MultiPolygon", "coordinates": [r["geojson"]["coordinates"] for r in rows]}
