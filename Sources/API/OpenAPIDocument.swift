import FleetCore
import FleetStore
import Foundation
import HTTPTypes

extension APIRoutes {
    /// The OpenAPI 3.1 document of every public endpoint registered (the `/internal` ones are left out: they are not
    /// routed publicly). Built from the same list the router was, so it cannot drift from the routes.
    public func document() -> OpenAPIValue {
        var paths: [(String, [(String, OpenAPIValue)])] = []
        for endpoint in endpoints where endpoint.access != .internalSecret {
            let operation = Self.operation(endpoint)
            if let index = paths.firstIndex(where: { $0.0 == endpoint.path }) {
                paths[index].1.append((endpoint.method.rawValue.lowercased(), operation))
            } else {
                paths.append((endpoint.path, [(endpoint.method.rawValue.lowercased(), operation)]))
            }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "JoyCity Fleet API",
                "version": "1.0.0",
                "description": """
                The API of JoyCity Fleet: sign-in and sessions, users and roles, WB seller accounts, backups and queue administration. \
                Authenticate with the `joycity_access` cookie that sign-in sets, or with `Authorization: Bearer <accessToken>`. \
                Errors are JSON: `{"error": {"code", "message", "requestId"}}`. Each operation's `x-roles` lists the roles it admits.
                """,
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths.map { ($0.0, .object($0.1)) }),
            "components": [
                "schemas": .object(APISchemas.all + APISchemas.assignments + APISchemas.kpi),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"],
                    "cookie": ["type": "apiKey", "in": "cookie", "name": .string(Authenticator.accessCookie)],
                ],
            ],
        ]
    }

    /// The document as JSON bytes.
    public func documentData() throws -> Data {
        try JSONCoding.prettyEncoder.encode(document())
    }

    static func operation(_ endpoint: Endpoint) -> OpenAPIValue {
        var fields: [(String, OpenAPIValue)] = [
            ("operationId", .string(endpoint.operationID)), ("summary", .string(endpoint.summary)), ("tags", [.string(endpoint.tag)]),
        ]
        switch endpoint.access {
        case .anyone, .internalSecret:
            fields.append(("security", []))
        case .signedIn:
            fields.append(("security", [["bearer": []], ["cookie": []]]))
            fields.append(("x-roles", ["any signed-in user"]))
        case .roles(let roles):
            fields.append(("security", [["bearer": []], ["cookie": []]]))
            fields.append(("x-roles", .array(roles.sorted().map { .string($0.rawValue) })))
        }
        var parameters: [OpenAPIValue] = endpoint.pathParameters.map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": pathSchema(name)]
        }
        parameters += endpoint.query.map { ["name": .string($0.name), "in": "query", "required": .bool($0.required), "schema": $0.schema] }
        if !parameters.isEmpty { fields.append(("parameters", .array(parameters))) }
        if let body = endpoint.requestBody {
            fields.append(("requestBody", ["required": true, "content": content(body)]))
        }
        var responses: [(String, OpenAPIValue)] = []
        let success: OpenAPIValue =
            if let body = endpoint.response { ["description": "success", "content": content(body)] } else { ["description": "success, no body"] }
        responses.append((String(endpoint.successStatus), success))
        let error: OpenAPIValue = ["description": "error", "content": ["application/json": ["schema": .ref("Error")]]]
        var codes: [String] = []
        if endpoint.requestBody != nil || !endpoint.pathParameters.isEmpty || !endpoint.query.isEmpty { codes.append("400") }
        if endpoint.access != .anyone { codes += ["401", "403"] }
        if endpoint.operationID == "login" || endpoint.operationID == "refresh" { codes += ["401", "403", "429"] }
        if !endpoint.pathParameters.isEmpty { codes.append("404") }
        if endpoint.requestBody != nil { codes += ["413", "415"] }
        for code in Array(Set(codes)).sorted() { responses.append((code, error)) }
        responses.append(("default", error))
        fields.append(("responses", .object(responses)))
        return .object(fields)
    }

    static func content(_ body: Endpoint.Body) -> OpenAPIValue {
        switch body {
        case .json(let schema): return ["application/json": ["schema": schema]]
        case .media(let type):
            let schema: OpenAPIValue = ["schema": ["type": "string", "format": "binary"]]
            return .object([(type, schema)])
        case .files(let types):
            let schema: OpenAPIValue = ["schema": ["type": "string", "format": "binary"]]
            return .object(types.map { ($0, schema) })
        }
    }

    static func pathSchema(_ name: String) -> OpenAPIValue {
        switch name {
        case "id", "user": ["type": "integer", "format": "int64", "minimum": 1]
        case "month": ["type": "string", "pattern": "^2[0-9]{3}-(0[1-9]|1[0-2])$"]
        case "sessionId": ["type": "string", "format": "uuid"]
        default: ["type": "string", "minLength": 1, "maxLength": 128]
        }
    }
}
