"""The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "the caller's mistake",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_ERRORS = {str(s): _ERROR for s in (400, 401, 403, 404, 409, 422, 429, 503)}


_POSITIVE = {"type": "integer", "minimum": 1}
_TYPES = {
    "integer": {"type": "integer", "minimum": 0},
    "offset": {"type": "integer", "minimum": 0, "maximum": 10_000},
    "year": {"type": "integer", "minimum": 1, "maximum": 9999},
    "positive": _POSITIVE,
    "string": {"type": "string"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    "version": {"type": "integer", "minimum": 1, "maximum": 10_000},
    "security": {"type": "string", "enum": ["0", "1", "2", "3", "4", "公开", "内部", "秘密", "机密", "绝密"]},
    # ISO 8601; a bare date means the end of that day, no zone means UTC (application/history.parse_moment).
    "time": {"type": "string", "format": "date-time"},
}


def _get(summary: str, params: list[tuple[str, str, bool]] = (), secured: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [{"name": n, "in": "query", "required": r, "schema": _TYPES[t]} for n, t, r in params],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, **_ERRORS},
    }
    if not secured:
        op["security"] = []
    return {"get": op}


def _post(summary: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": properties}}},
            },
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
                "201": {"description": "created", "content": {"application/json": {"schema": {"type": "object"}}}},
                **_ERRORS,
            },
        }
    }


_RECORD = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


# The answer to an appraisal (DESIGN §6 double appraisal): the 档号 once it takes effect, or the pending proposal.
_APPRAISAL = {
    "type": "object",
    "required": ["code", "awaiting_second_appraiser", "proposed_by"],
    "properties": {
        "code": {"type": ["string", "null"], "description": "the 档号 once the appraisal takes effect; null for a proposal"},
        "awaiting_second_appraiser": {
            "type": "boolean",
            "description": "recorded as a proposal; a second appraiser must confirm",
        },
        "proposed_by": {"type": ["string", "null"], "description": "the first appraiser's user name (null with one appraiser)"},
    },
}


def _answering(path_item: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A command whose 200 answer has a schema of its own."""
    for op in path_item.values():
        op["responses"]["200"] = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    return path_item


def _with_record(path_item: dict[str, Any]) -> dict[str, Any]:
    return _with_path(path_item, _RECORD)


def _with_id(name: str, path_item: dict[str, Any]) -> dict[str, Any]:
    """A path item under /…/{name}, a uuid (a transfer, an access request)."""
    return _with_path(path_item, {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}})


def _with_path(path_item: dict[str, Any], *params: dict[str, Any]) -> dict[str, Any]:
    for op in path_item.values():
        op["parameters"] = [*params, *op.get("parameters", [])]
    return path_item


def _no_body(summary: str) -> dict[str, Any]:
    """A command that takes nothing but its path."""
    return {
        "post": {
            "summary": summary,
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, **_ERRORS},
        }
    }


_VERSION = {"name": "version", "in": "path", "required": True, "schema": _TYPES["version"]}
_FILTERS = [
    ("state", "string", False),
    ("fonds", "string", False),
    ("category", "string", False),
    ("year", "year", False),
    ("org", "string", False),
    ("offset", "offset", False),
    ("limit", "limit", False),
]


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Records archive API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/ledger/checkpoint": _get("latest signed checkpoint (tree head)", secured=False),
        "/api/v1/ledger/keys": _get("public keys that sign events and checkpoints", secured=False),
        "/api/v1/ledger/entries": _get(
            "ledger entries start..end (at most 1000)", [("start", "positive", False), ("end", "positive", False)]
        ),
        "/api/v1/ledger/proof/inclusion": _get(
            "RFC 9162 inclusion proof", [("seq", "positive", True), ("size", "positive", True)]
        ),
        "/api/v1/ledger/proof/consistency": _get(
            "RFC 9162 consistency proof", [("first", "positive", True), ("second", "positive", True)]
        ),
        "/api/v1/search": _get(
            "full-text search within the caller's clearance",
            [
                ("q", "string", False),
                ("category", "string", False),
                ("year", "year", False),
                ("security", "security", False),
                ("offset", "offset", False),
                ("limit", "limit", False),
            ],
        ),
        "/api/v1/queues": _get("work queues with counts"),
        "/api/v1/records/{record_id}": _with_record(_get("a record's catalogue entry", [("purpose", "string", False)])),
        "/api/v1/records/{record_id}/history": _with_record(_get("a record's events with signature and ledger status")),
        "/api/v1/records": _post(
            "register (collect) a paper record, graded at once by the security level its office marked (default 公开)",
            ["title"],
            {
                "title": {"type": "string"},
                "source": {"type": "string"},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "security": {"type": "string", "description": "公开/内部/秘密/机密/绝密 or public … top_secret"},
            },
        ),
        "/api/v1/records/{record_id}/catalogue": _with_record(
            _post(
                "catalogue: allocate the 档号",
                ["fonds", "category", "year", "org"],
                {
                    "fonds": {"type": "string"},
                    "category": {"type": "string"},
                    "year": {"type": "integer"},
                    "org": {"type": "string"},
                    "classification": {"type": "string"},
                    "retention": {"type": "string"},
                },
            )
        ),
        "/api/v1/records/{record_id}/review": _with_record(
            _post(
                "review the catalogue entry",
                ["passed"],
                {"passed": {"type": "boolean"}, "findings": {"type": "array", "items": {"type": "string"}}},
            )
        ),
        "/api/v1/records/{record_id}/appraise": _with_record(
            _answering(
                _post(
                    "appraise: retention and security level. Where the fonds' scheme asks for two appraisers, the first "
                    "appraisal is recorded as a proposal (code null, awaiting_second_appraiser true) and takes effect when "
                    "a different appraiser gives the same values; other values replace the proposal",
                    ["retention", "security"],
                    {"retention": {"type": "string"}, "security": {"type": "string"}, "reason": {"type": "string"}},
                ),
                _APPRAISAL,
            )
        ),
        "/api/v1/records/{record_id}/pages": _with_record(
            {
                "post": {
                    "summary": "upload page images (multipart, field `pages`); processed and quality-checked at once",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["pages"],
                                    "properties": {"pages": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
                        **_ERRORS,
                    },
                }
            }
        ),
        "/api/v1/records/{record_id}/qc": _with_record(
            _post(
                "override a failed QC (with a reason) or send pages to rework",
                ["decision"],
                {
                    "decision": {"type": "string", "enum": ["override", "rework"]},
                    "reason": {"type": "string"},
                    "pages": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                },
            )
        ),
        "/api/v1/records/{record_id}/ocr": _with_record(_no_body("recognise the text of the pages (offline OCR)")),
        "/api/v1/records/{record_id}/ingest": _with_record(_no_body("seal the record's content into an archival package")),
        "/api/v1/records/{record_id}/versions/{version}": _with_path(
            _get("the record's state after a version (history readers only)"), _RECORD, _VERSION
        ),
        "/api/v1/records/{record_id}/as-of": _with_record(
            _get("the record's state at a moment (history readers only)", [("time", "time", True)])
        ),
        "/api/v1/records/{record_id}/diff": _with_record(
            _get(
                "field-by-field changes between two versions: field, old, new, version, who, when, why",
                [("from", "version", True), ("to", "version", True)],
            )
        ),
        "/api/v1/catalogue": _get("the catalogue list within the caller's clearance, with its total", _FILTERS),
        "/api/v1/catalogue/tree": _get("the classification tree (fonds, category, year, organisation) with counts"),
        "/api/v1/catalogue/as-of": _get(
            "the catalogue as it stood at a moment, replayed from the events",
            [("time", "time", True), ("offset", "offset", False), ("limit", "limit", False)],
        ),
        "/api/v1/compliance/access-log": _get(
            "the access log (views, downloads, denials), newest first", [("record_id", "string", False), ("user_id", "string", False)]
        ),
        "/api/v1/compliance/search-log": _get("the search log, newest first", [("user_id", "string", False)]),
        "/api/v1/compliance/usage": _get("use per day, category and user group"),
        "/api/v1/transfers": _post(
            "register a department's hand-over (移交) with the items it should contain",
            ["department", "expected"],
            {"department": {"type": "string"}, "expected": {"type": "array", "items": {"type": "string"}}},
        ),
        "/api/v1/transfers/{transfer_id}": _with_id("transfer_id", _get("a transfer: expected, received, missing")),
        "/api/v1/transfers/{transfer_id}/receive": _with_id(
            "transfer_id",
            _post(
                "record the items received (each becomes a collected record)",
                ["items"],
                {
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["item"],
                            "properties": {
                                "item": {"type": "string"},
                                "title": {"type": "string"},
                                "security": {"type": "string", "description": "the level the department marked"},
                            },
                        },
                    }
                },
            ),
        ),
        "/api/v1/transfers/{transfer_id}/check": _with_id("transfer_id", _no_body("check the receipt against the list")),
        "/api/v1/access-requests": _post(
            "ask to read a record at 秘密 or above, with a purpose",
            ["record_id", "purpose"],
            {"record_id": {"type": "string", "format": "uuid"}, "purpose": {"type": "string"}},
        ),
        "/api/v1/access-requests/pending": _get("undecided access requests on records the decider may see"),
        "/api/v1/access-requests/{request_id}/decision": _with_id(
            "request_id",
            _post(
                "approve or refuse an access request (a refusal gives its reason; never the asker)",
                ["approve"],
                {"approve": {"type": "boolean"}, "reason": {"type": "string"}},
            ),
        ),
    },
}
