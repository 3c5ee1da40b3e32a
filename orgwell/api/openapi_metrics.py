"""The metrics section of the OpenAPI document (the endpoints in orgwell/api/metrics.py)."""
from __future__ import annotations

from orgwell.api.openapi_parts import ERRORS, SLUG, error, json_body, nullable, ref

# ---------------------------------------------------------

_METRIC_FILTERS = [
    {
        "name": "team", "in": "query", "required": False,
        "description": "Only this clinic or team (its name); must be one you can see.",
        "schema": {"type": "string"},
    },
    {
        "name": "from", "in": "query", "required": False,
        "description": "Only waves opened on or after this date.",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "to", "in": "query", "required": False,
        "description": "Only waves opened on or before this date.",
        "schema": {"type": "string", "format": "date"},
    },
]
_SUPPRESSION_NOTE = (
    "Only closed waves are reported. A group is shown only when at least `threshold` people "
    "responded, and a group can also be hidden so that a smaller group cannot be worked out "
    "by subtraction; a hidden entry has `suppressed: true`, a `reason` and null numbers. "
    "Owners and consultants see the organisation (team null), every clinic and team; leaders "
    "only the clinics and teams they lead. Staff are refused (403)."
)


def _metric_entry(numbers: dict) -> dict:
    return {
        "type": "object",
        "required": ["wave", "team", "kind", *numbers, "suppressed"],
        "properties": {
            "wave": {"type": "string", "format": "date", "description": "The wave's date."},
            "wave_id": {"type": "integer", "description": "The wave's id: two campaigns' "
                        "waves may share a date."},
            "campaign": {"type": "string", "description": "The wave's campaign."},
            "team": nullable("string", description="Clinic or team name; null for the "
                              "organisation total."),
            "kind": {"enum": ["organisation", "clinic", "team"]},
            **numbers,
            "suppressed": {"type": "boolean"},
            "reason": {"type": "string", "description": "Why the entry is hidden."},
        },
    }


def _series(entry: str) -> dict:
    return {
        "type": "object",
        "required": ["threshold", "series"],
        "properties": {
            "threshold": {"type": "integer", "minimum": 1,
                          "description": "The confidentiality threshold k."},
            "series": {"type": "array", "items": ref(entry)},
        },
    }


def _paged(series: dict) -> dict:
    series["required"] = [*series["required"], "earlier_to"]
    series["properties"]["earlier_to"] = nullable(
        "string", format="date",
        description="More waves opened on or before this date (the range's earlier pages): "
        "pass it as `to` to get them; null when there are none.",
    )
    return series


METRIC_SCHEMAS = {
    "BurnoutEntry": _metric_entry({
        "n": nullable("integer", description="Respondents with a score on the scale."),
        "mean": nullable("number", description="Mean score (0-100)."),
        "sd": nullable("number"),
        "ci_low": nullable("number", description="95% confidence interval of the mean."),
        "ci_high": nullable("number"),
        "pct_high": nullable("number", description="Percent at or above the cut-off."),
    }),
    "ParticipationEntry": _metric_entry({
        "instrument": {"type": "string", "description": "The instrument of the wave."},
        "invited": nullable("integer"),
        "responded": nullable("integer"),
        "rate": nullable("number", description="responded / invited (0-1)."),
    }),
    "BurnoutSeries": _paged(_series("BurnoutEntry")),
    "ParticipationSeries": _series("ParticipationEntry"),
}


def _metric_operation(op_id: str, summary: str, schema: str, parameters: list) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "description": _SUPPRESSION_NOTE,
            "tags": ["metrics"],
            "parameters": [SLUG, *parameters, *_METRIC_FILTERS],
            "responses": {
                "200": json_body(ref(schema), "One entry per wave and group."),
                "400": error("A query parameter is missing, unknown or has a bad value."),
                **ERRORS,
            },
        }
    }


METRIC_PATHS = {
    "/api/v1/orgs/{slug}/metrics/burnout": _metric_operation(
        "getBurnoutMetrics", "Burnout scores per wave and group", "BurnoutSeries", [
            {"name": "instrument", "in": "query", "required": True,
             "description": "Instrument key, e.g. `cbi`.", "schema": {"type": "string"}},
            {"name": "scale", "in": "query", "required": True,
             "description": "Scale key, e.g. `work`.", "schema": {"type": "string"}},
            {"name": "waves", "in": "query", "required": False,
             "description": "Only the waves of the newest this many wave dates in the range "
             "(default 12); `earlier_to` in the answer pages back.",
             "schema": {"type": "integer", "minimum": 1, "maximum": 104, "default": 12}},
        ],
    ),
    "/api/v1/orgs/{slug}/metrics/participation": _metric_operation(
        "getParticipationMetrics", "Survey participation per wave and group",
        "ParticipationSeries", [
            {"name": "instrument", "in": "query", "required": False,
             "description": "Only waves of this instrument (default: every instrument).",
             "schema": {"type": "string"}},
        ],
    ),
}
