import FleetStore

/// The OpenAPI schemas of the bodies in APIModels.swift and the types they embed.
enum APISchemas {
    static let roleNames: OpenAPIValue = .array(UserRole.allCases.map { .string($0.rawValue) })
    static let int64: OpenAPIValue = ["type": "integer", "format": "int64"]
    static let id: OpenAPIValue = ["type": "integer", "format": "int64", "minimum": 1]
    static let dateTime: OpenAPIValue = ["type": "string", "format": "date-time"]
    static func nullable(_ type: String, _ extra: [(String, OpenAPIValue)] = []) -> OpenAPIValue {
        .object([("type", [.string(type), "null"])] + extra)
    }

    static let all: [(String, OpenAPIValue)] = [
        (
            "Error",
            [
                "type": "object", "required": ["error"],
                "properties": [
                    "error": [
                        "type": "object", "required": ["code", "message"],
                        "properties": ["code": ["type": "string"], "message": ["type": "string"], "requestId": nullable("string")],
                    ]
                ],
            ]
        ),
        ("Role", ["type": "string", "enum": roleNames]),
        (
            "User",
            [
                "type": "object", "required": ["id", "login", "name", "roles", "disabled", "createdAt", "updatedAt"],
                "properties": [
                    "id": int64, "login": ["type": "string"], "email": nullable("string"), "name": ["type": "string"],
                    "roles": .arrayOf(.ref("Role")), "accountId": nullable("integer", [("format", "int64")]), "avatarUrl": nullable("string"),
                    "disabled": ["type": "boolean"], "createdAt": dateTime, "updatedAt": dateTime,
                ],
            ]
        ),
        (
            "LoginRequest",
            [
                "type": "object", "required": ["login", "password"],
                "properties": [
                    "login": ["type": "string", "minLength": 1, "maxLength": 254, "description": "login name or email"],
                    "password": ["type": "string", "minLength": 1, "maxLength": 1024], "device": nullable("string", [("maxLength", 200)]),
                    "includeRefreshToken": nullable("boolean"),
                ],
            ]
        ),
        (
            "TokenResponse",
            [
                "type": "object", "required": ["accessToken", "tokenType", "expiresAt", "user"],
                "properties": [
                    "accessToken": ["type": "string"], "tokenType": ["type": "string", "enum": ["Bearer"]], "expiresAt": dateTime,
                    "refreshToken": nullable("string"), "user": .ref("User"),
                ],
            ]
        ),
        (
            "RefreshRequest",
            [
                "type": "object",
                "properties": ["refreshToken": nullable("string"), "includeRefreshToken": nullable("boolean")],
            ]
        ),
        (
            "PasswordChange",
            [
                "type": "object", "required": ["currentPassword", "newPassword"],
                "properties": ["currentPassword": ["type": "string"], "newPassword": ["type": "string", "minLength": 10, "maxLength": 72]],
            ]
        ),
        (
            "ProfileUpdate",
            [
                "type": "object", "required": ["name"], "properties": ["name": ["type": "string", "minLength": 1, "maxLength": 200]],
            ]
        ),
        (
            "Session",
            [
                "type": "object", "required": ["id", "createdAt", "lastUsedAt", "expiresAt", "current"],
                "properties": [
                    "id": ["type": "string", "format": "uuid"], "device": nullable("string"), "ip": nullable("string"), "createdAt": dateTime,
                    "lastUsedAt": dateTime, "expiresAt": dateTime, "current": ["type": "boolean"],
                ],
            ]
        ),
        ("RevokedCount", ["type": "object", "required": ["revoked"], "properties": ["revoked": ["type": "integer"]]]),
        (
            "UserCreate",
            [
                "type": "object", "required": ["login", "name", "password", "roles"],
                "properties": [
                    "login": ["type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{2,63}$"], "email": nullable("string", [("maxLength", 254)]),
                    "name": ["type": "string", "minLength": 1, "maxLength": 200], "password": ["type": "string", "minLength": 10, "maxLength": 72],
                    "roles": .arrayOf(.ref("Role")), "accountId": nullable("integer", [("format", "int64")]),
                ],
            ]
        ),
        (
            "UserUpdate",
            [
                "type": "object",
                "properties": [
                    "name": ["type": "string", "minLength": 1, "maxLength": 200], "email": nullable("string", [("maxLength", 254)]),
                    "roles": .arrayOf(.ref("Role")), "disabled": ["type": "boolean"],
                ],
            ]
        ),
        (
            "AccountAssignment",
            [
                "type": "object", "required": ["accountId"], "properties": ["accountId": nullable("integer", [("format", "int64")])],
            ]
        ),
        (
            "ArticleList",
            [
                "type": "object", "required": ["nmIds"],
                "properties": [
                    "accountId": nullable("integer", [("format", "int64")]),
                    "nmIds": .arrayOf(["type": "integer", "format": "int64", "minimum": 1]),
                    "force": ["type": "boolean"], "comment": ["type": "string", "maxLength": 1000],
                ],
            ]
        ),
        (
            "PasswordReset",
            [
                "type": "object", "required": ["newPassword"], "properties": ["newPassword": ["type": "string", "minLength": 10, "maxLength": 72]],
            ]
        ),
        (
            "Account",
            [
                "type": "object", "required": ["id", "name", "inn", "reportSource", "syncEnabled", "tokenStatus", "hasToken"],
                "properties": [
                    "id": int64, "name": ["type": "string"], "inn": ["type": "string"], "wbSellerID": nullable("string"),
                    "tokenExpiresAt": nullable("string", [("format", "date-time")]),
                    "reportSource": ["type": "string", "enum": ["statistics", "finance"]],
                    "syncEnabled": ["type": "boolean"], "tokenStatus": ["type": "string", "enum": ["unchecked", "ok", "invalid"]],
                    "tokenError": nullable("string"), "lastSyncState": nullable("string"), "lastSyncError": nullable("string"),
                    "lastSyncAt": nullable("string", [("format", "date-time")]), "hasToken": ["type": "boolean"],
                    "syncIntervalSeconds": nullable("integer"), "tokenMasked": nullable("string"), "sharedArticles": ["type": "boolean"],
                    "portalSession": [
                        "type": "object", "required": ["state"],
                        "description": "What the proxy edge last learned of the account's WB portal session",
                        "properties": [
                            "state": ["type": "string", "enum": ["none", "unchecked", "valid", "invalid"]], "reason": nullable("string"),
                            "checkedAt": nullable("string", [("format", "date-time")]),
                        ],
                    ],
                ],
            ]
        ),
        (
            "AccountCreate",
            [
                "type": "object", "required": ["name", "inn", "token"],
                "properties": [
                    "name": ["type": "string", "minLength": 1, "maxLength": 200], "inn": ["type": "string", "pattern": "^([0-9]{10}|[0-9]{12})$"],
                    "token": ["type": "string", "writeOnly": true],
                    "syncIntervalSeconds": nullable("integer", [("minimum", 60), ("maximum", 604800)]),
                    "reportSource": ["type": "string", "enum": ["statistics", "finance"]], "syncEnabled": ["type": "boolean"],
                    "portalCredentials": .ref("PortalCredentials"),
                ],
            ]
        ),
        (
            "AccountUpdate",
            [
                "type": "object",
                "properties": [
                    "name": ["type": "string", "minLength": 1, "maxLength": 200], "token": ["type": "string", "writeOnly": true],
                    "syncIntervalSeconds": nullable("integer", [("minimum", 60), ("maximum", 604800)]),
                    "reportSource": ["type": "string", "enum": ["statistics", "finance"]], "syncEnabled": ["type": "boolean"],
                    "sharedArticles": ["type": "boolean"],
                ],
            ]
        ),
        (
            "PortalCredentials",
            [
                "type": "object",
                "properties": [
                    "login": nullable("string"), "password": nullable("string"), "cookies": nullable("string"),
                    "accessToken": nullable("string"),
                ],
            ]
        ),
        (
            "AccountSyncQueued",
            [
                "type": "object", "required": ["account", "jobs"],
                "properties": [
                    "account": int64,
                    "jobs": [
                        "type": "array",
                        "items": [
                            "type": "object", "required": ["dataset", "jobId", "alreadyQueued"],
                            "properties": [
                                "dataset": ["type": "string", "enum": ["orders", "sales", "report"]], "jobId": ["type": "string"],
                                "alreadyQueued": ["type": "boolean"],
                            ],
                        ],
                    ],
                ],
            ]
        ),
        (
            "BackupQueued",
            [
                "type": "object", "required": ["jobId", "alreadyRunning"],
                "properties": ["jobId": ["type": "string"], "alreadyRunning": ["type": "boolean"]],
            ]
        ),
        (
            "Backup",
            [
                "type": "object", "required": ["id", "key", "status", "bytes", "parts", "startedAt"],
                "properties": [
                    "id": int64, "jobId": nullable("string"), "key": ["type": "string"],
                    "status": ["type": "string", "enum": ["running", "succeeded", "failed", "deleted"]], "bytes": int64, "parts": ["type": "integer"],
                    "sha256": nullable("string"), "startedAt": dateTime, "finishedAt": nullable("string", [("format", "date-time")]),
                    "error": nullable("string"),
                ],
            ]
        ),
        (
            "QueueStats",
            [
                "type": "object", "required": ["name", "waiting", "pending", "delayed", "dead", "lagMs", "paused", "counters"],
                "properties": [
                    "name": ["type": "string"], "waiting": ["type": "integer"], "pending": ["type": "integer"], "delayed": ["type": "integer"],
                    "dead": ["type": "integer"], "lagMs": ["type": "integer"], "paused": ["type": "boolean"],
                    "counters": ["type": "object", "additionalProperties": ["type": "integer"]],
                ],
            ]
        ),
        (
            "QueueOverview",
            [
                "type": "object", "required": ["stats"],
                "properties": ["stats": .ref("QueueStats"), "processedPerSecond": nullable("number"), "failedPerSecond": nullable("number")],
            ]
        ),
        (
            "Worker",
            [
                "type": "object",
                "required": ["name", "host", "pid", "startedMs", "heartbeatMs", "queues", "concurrency", "running", "jobs", "processed", "failed"],
                "properties": [
                    "name": ["type": "string"], "host": ["type": "string"], "pid": ["type": "integer"], "startedMs": ["type": "integer"],
                    "heartbeatMs": ["type": "integer"], "queues": .arrayOf(["type": "string"]), "concurrency": ["type": "integer"],
                    "running": ["type": "integer"], "jobs": .arrayOf(["type": "string"]), "processed": ["type": "integer"],
                    "failed": ["type": "integer"],
                ],
            ]
        ),
        (
            "Job",
            [
                "type": "object", "required": ["id", "queue", "state"],
                "properties": [
                    "id": ["type": "string"], "queue": ["type": "string"], "state": ["type": "string"], "type": nullable("string"),
                    "payload": nullable("string"), "attempt": nullable("integer"), "maxAttempts": nullable("integer"),
                    "deliveries": nullable("integer"),
                    "worker": nullable("string"), "enqueuedMs": nullable("integer"), "runAtMs": nullable("integer"),
                    "finishedMs": nullable("integer"),
                    "errors": nullable("string"), "result": nullable("string"), "progress": nullable("string"), "entryId": nullable("string"),
                ],
            ]
        ),
        (
            "DeadLetter",
            [
                "type": "object", "required": ["entryId", "queue", "jobId", "type", "payload", "failedMs", "errors"],
                "properties": [
                    "entryId": ["type": "string"], "queue": ["type": "string"], "jobId": ["type": "string"], "type": ["type": "string"],
                    "payload": ["type": "string"], "failedMs": ["type": "integer"], "errors": ["type": "string"],
                ],
            ]
        ),
        (
            "DeadLetterSearch",
            [
                "type": "object", "required": ["letters", "scanned", "complete"],
                "properties": ["letters": .arrayOf(.ref("DeadLetter")), "scanned": ["type": "integer"], "complete": ["type": "boolean"]],
            ]
        ),
        ("RetryQueued", ["type": "object", "required": ["jobId"], "properties": ["jobId": ["type": "string"]]]),
        (
            "Health",
            [
                "type": "object", "required": ["status"],
                "properties": ["status": ["type": "string"], "checks": ["type": "object", "additionalProperties": ["type": "string"]]],
            ]
        ),
    ]
}
