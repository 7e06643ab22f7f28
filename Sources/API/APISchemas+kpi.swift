import KPI

/// The OpenAPI schemas of the KPI bodies (KPIController.swift and the KPI module's types).
extension APISchemas {
    static let number: OpenAPIValue = ["type": "number"]

    /// Every ``KPIFigure`` by name (₽ or units, up to four decimals).
    static let figures: OpenAPIValue = [
        "type": "object", "required": .array(KPIFigure.allCases.map { .string($0.name) }),
        "properties": .object(KPIFigure.allCases.map { ($0.name, number) }),
    ]

    static let kpiRow: OpenAPIValue = [
        "type": "object",
        "required": ["userId", "login", "name", "articles", "direct", "allocated", "total", "revenueShare", "costsMissing", "normalized", "targets"],
        "properties": [
            "userId": ["type": "integer", "format": "int64", "minimum": 0], "login": ["type": "string"], "name": ["type": "string"],
            "articles": ["type": "integer", "minimum": 0], "direct": figures, "allocated": figures, "total": figures,
            "revenueShare": ["type": "number", "minimum": 0, "maximum": 1], "costsMissing": nmIds, "buyoutRate": number, "margin": number,
            "score": ["type": "number", "minimum": 0, "maximum": 100], "rank": ["type": "integer", "minimum": 1],
            "normalized": ["type": "object", "additionalProperties": number],
            "targets": .arrayOf(
                [
                    "type": "object", "required": ["metric", "target"],
                    "properties": ["metric": ["type": "string"], "target": number, "value": number, "attainment": number],
                ]
            ),
        ],
    ]

    static let metricNames: OpenAPIValue = .array(KPIMetric.all.map { .string($0.name) })

    static let kpiSettings: OpenAPIValue = [
        "type": "object", "required": ["weights"],
        "properties": [
            "weights": [
                "type": "array", "minItems": 1, "maxItems": .int(KPIMetric.all.count),
                "items": [
                    "type": "object", "required": ["metric", "weight", "direction"],
                    "properties": [
                        "metric": ["type": "string", "enum": metricNames],
                        "weight": ["type": "number", "exclusiveMinimum": 0, "maximum": 1000],
                        "direction": ["type": "string", "enum": ["higher", "lower"]],
                    ],
                ],
            ]
        ],
    ]

    static let kpi: [(String, OpenAPIValue)] = [
        (
            "KPIRanking",
            [
                "type": "object", "required": ["accountId", "month", "closed", "computedAt", "sourceRows", "settings", "rows", "ranked"],
                "properties": [
                    "accountId": int64, "month": month, "closed": ["type": "boolean"], "computedAt": dateTime, "dataWatermark": dateTime,
                    "sourceRows": ["type": "object", "additionalProperties": ["type": "integer"]], "settings": kpiSettings,
                    "totals": figures, "rows": .arrayOf(kpiRow), "unassigned": kpiRow, "ranked": ["type": "integer", "minimum": 0],
                ],
            ]
        ),
        (
            "KPIBreakdown",
            [
                "type": "object", "required": ["accountId", "month", "computedAt", "row", "articles", "general", "allocationRule"],
                "properties": [
                    "accountId": int64, "month": month, "computedAt": dateTime, "row": kpiRow, "general": figures,
                    "allocationRule": ["type": "string"],
                    "articles": .arrayOf(
                        [
                            "type": "object", "required": ["nmId", "holders", "figures"],
                            "properties": [
                                "nmId": ["type": "integer", "format": "int64"], "holders": ["type": "integer", "minimum": 0], "figures": figures,
                                "costPrice": number,
                            ],
                        ]
                    ),
                ],
            ]
        ),
        (
            "KPISourcePage",
            [
                "type": "object", "required": ["source", "rows"],
                "properties": [
                    "source": ["type": "string", "enum": .array(KPISource.allCases.map { .string($0.rawValue) })], "next": ["type": "string"],
                    "rows": .arrayOf(
                        [
                            "type": "object", "required": ["key", "date", "nmId", "figures"],
                            "properties": [
                                "key": ["type": "string"], "date": ["type": "string"], "nmId": ["type": "integer", "format": "int64"],
                                "figures": ["type": "object", "additionalProperties": number],
                            ],
                        ]
                    ),
                ],
            ]
        ),
        (
            "KPIHistory",
            [
                "type": "object", "required": ["runs"],
                "properties": [
                    "runs": .arrayOf(
                        [
                            "type": "object", "required": ["computedAt", "durationMs", "trigger", "changed", "totals"],
                            "properties": [
                                "computedAt": dateTime, "dataWatermark": dateTime, "durationMs": ["type": "integer"], "trigger": ["type": "string"],
                                "jobId": ["type": "string"], "changed": ["type": "boolean"], "totals": figures,
                            ],
                        ]
                    )
                ],
            ]
        ),
        (
            "KPIRecomputeQueued",
            [
                "type": "object", "required": ["accountId", "month", "jobId", "alreadyQueued"],
                "properties": ["accountId": int64, "month": month, "jobId": ["type": "string"], "alreadyQueued": ["type": "boolean"]],
            ]
        ),
        ("KPISettings", kpiSettings),
        (
            "KPITargets",
            [
                "type": "object", "required": ["targets"],
                "properties": [
                    "targets": [
                        "type": "array", "maxItems": 10000,
                        "items": [
                            "type": "object", "required": ["userId", "metric", "target"],
                            "properties": [
                                "userId": id, "metric": ["type": "string", "enum": metricNames],
                                "target": ["type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000_000],
                            ],
                        ],
                    ]
                ],
            ]
        ),
        (
            "CostPrices",
            [
                "type": "object", "required": ["prices"],
                "properties": [
                    "prices": .arrayOf(
                        [
                            "type": "object", "required": ["nmId", "cost"],
                            "properties": ["nmId": id, "cost": ["type": "number", "minimum": 0, "maximum": 9_999_999_999]],
                        ]
                    )
                ],
            ]
        ),
        (
            "CostPriceImportReport",
            [
                "type": "object", "required": ["format", "rows", "problems", "added", "changed", "unchanged", "removed", "applied"],
                "properties": [
                    "format": ["type": "string", "enum": ["xlsx", "csv"]], "rows": ["type": "integer"],
                    "problems": .arrayOf(importProblem),
                    "added": ["type": "integer"], "changed": ["type": "integer"], "unchanged": ["type": "integer"],
                    "removed": ["type": "integer"], "applied": ["type": "boolean"],
                ],
            ]
        ),
        (
            "CostPriceChange",
            [
                "type": "object", "required": ["prices"],
                "properties": [
                    "prices": [
                        "type": "array", "maxItems": 100000,
                        "items": [
                            "type": "object", "required": ["nmId", "cost"],
                            "properties": ["nmId": id, "cost": ["type": "number", "minimum": 0, "maximum": 9_999_999_999]],
                        ],
                    ],
                    "replace": ["type": "boolean"], "remove": nmIds,
                ],
            ]
        ),
    ]
}
