import Assignments

/// The OpenAPI schemas of the assignment bodies (AssignmentsController.swift and the Assignments module's types).
extension APISchemas {
    static let month: OpenAPIValue = ["type": "string", "pattern": "^2[0-9]{3}-(0[1-9]|1[0-2])$"]
    static let nmIds: OpenAPIValue = .arrayOf(["type": "integer", "format": "int64", "minimum": 1])
    static let comment: OpenAPIValue = ["type": "string", "maxLength": 1000]
    /// One problem of an imported file (assignments, cost prices), by row.
    static let importProblem: OpenAPIValue = [
        "type": "object", "required": ["row", "kind", "message"],
        "properties": [
            "row": ["type": "integer"], "column": nullable("string"), "kind": ["type": "string"], "message": ["type": "string"],
            "nmId": nullable("integer", [("format", "int64")]), "otherRow": nullable("integer"), "holder": nullable("string"),
        ],
    ]

    static let changeResult: OpenAPIValue = [
        "type": "object", "required": ["accountId", "month", "userId", "login", "added", "removed", "unchanged", "forced", "nmIds"],
        "properties": [
            "accountId": int64, "month": month, "userId": int64, "login": ["type": "string"], "added": nmIds, "removed": nmIds,
            "unchanged": ["type": "integer"], "forced": nmIds, "nmIds": nmIds,
        ],
    ]

    static let assignments: [(String, OpenAPIValue)] = [
        (
            "AssignmentMonthTable",
            [
                "type": "object", "required": ["accountId", "month", "users", "total"],
                "properties": [
                    "accountId": int64, "month": month, "total": ["type": "integer"],
                    "users": .arrayOf(
                        [
                            "type": "object", "required": ["userId", "login", "name", "nmIds", "count", "forced"],
                            "properties": [
                                "userId": int64, "login": ["type": "string"], "name": ["type": "string"], "nmIds": nmIds,
                                "count": ["type": "integer"], "forced": nmIds,
                            ],
                        ]
                    ),
                ],
            ]
        ),
        (
            "UserAssignments",
            [
                "type": "object", "required": ["accountId", "month", "userId", "nmIds"],
                "properties": ["accountId": int64, "month": month, "userId": int64, "nmIds": nmIds],
            ]
        ),
        (
            "AssignmentReplace",
            [
                "type": "object", "required": ["nmIds"],
                "properties": ["nmIds": nmIds, "force": ["type": "boolean"], "comment": comment],
            ]
        ),
        (
            "AssignmentDelta",
            [
                "type": "object",
                "properties": ["add": nmIds, "remove": nmIds, "force": ["type": "boolean"], "comment": comment],
            ]
        ),
        ("AssignmentChange", changeResult),
        (
            "AssignmentCopy",
            [
                "type": "object",
                "properties": ["from": month, "userId": id, "comment": comment, "dryRun": ["type": "boolean"]],
            ]
        ),
        (
            "AssignmentCopyResult",
            [
                "type": "object", "required": ["changes", "skipped", "applied"],
                "properties": ["changes": .arrayOf(changeResult), "skipped": .arrayOf(["type": "string"]), "applied": ["type": "boolean"]],
            ]
        ),
        (
            "AssignmentConflict",
            [
                "type": "object", "required": ["nmId", "userId", "login", "reason"],
                "properties": [
                    "nmId": int64, "userId": int64, "login": ["type": "string"],
                    "reason": ["type": "string", "enum": ["holderMovedAccount", "holderDisabled", "notInSyncedData"]],
                ],
            ]
        ),
        (
            "AssignmentAuditEntry",
            [
                "type": "object", "required": ["id", "at", "actor", "accountId", "month", "added", "removed", "forced", "source"],
                "properties": [
                    "id": int64, "at": dateTime, "actorId": nullable("integer", [("format", "int64")]), "actor": ["type": "string"],
                    "accountId": int64, "month": month, "userId": nullable("integer", [("format", "int64")]), "userLogin": nullable("string"),
                    "added": nmIds, "removed": nmIds, "forced": nmIds,
                    "source": ["type": "string", "enum": .array(AssignmentSource.allCases.map { .string($0.rawValue) })],
                    "comment": nullable("string"),
                ],
            ]
        ),
        (
            "AssignmentImportReport",
            [
                "type": "object", "required": ["format", "rows", "hiddenRows", "problems", "changes", "added", "removed", "unchanged", "applied"],
                "properties": [
                    "format": ["type": "string", "enum": ["xlsx", "csv"]], "rows": ["type": "integer"], "hiddenRows": ["type": "integer"],
                    "problems": .arrayOf(importProblem),
                    "changes": .arrayOf(changeResult), "added": ["type": "integer"], "removed": ["type": "integer"],
                    "unchanged": ["type": "integer"], "applied": ["type": "boolean"],
                ],
            ]
        ),
    ]
}
