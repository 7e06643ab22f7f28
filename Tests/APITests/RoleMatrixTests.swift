import API
import AsyncHTTPClient
import FakeWB
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@Suite("Every endpoint × every role", .serialized)
struct RoleMatrixTests {
    /// A concrete path for `endpoint` (ids that do not exist: the point is who gets past the gate).
    static func concretePath(_ endpoint: Endpoint) -> String {
        endpoint.path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            switch segment {
            case "{id}": "999999"
            case "{sessionId}": UUID().uuidString
            case "{jobId}": "01NOSUCHJOB0000000000000000"
            case "{queue}": "matrix"
            case "{file}": "swagger-ui.css"
            default: String(segment)
            }
        }.joined(separator: "/")
    }

    @Test("each role gets 403 exactly where the endpoint's rule leaves it out; public ones need no sign-in; internal ones hide")
    func matrix() async throws {
        try await APIHarness.run { api in
            var sessions: [String: APIHarness.Session] = ["ADMIN": try await api.admin()]
            for role in UserRole.allCases where role != .admin {
                sessions[role.rawValue] = try await api.user("r-\(role.rawValue.lowercased().replacingOccurrences(of: "_", with: "-"))", [role])
            }
            sessions["(none)"] = try await api.user("no-roles", [])
            var checked = 0
            var failures: [String] = []
            for endpoint in api.server.routes.endpoints {
                let path = Self.concretePath(endpoint)
                let method = HTTPMethod(rawValue: endpoint.method.rawValue)
                let json: String? = if case .json = endpoint.requestBody { "{}" } else { nil }
                let bytes: [UInt8]? =
                    switch endpoint.requestBody {
                    case .media, .files: [0x00]
                    default: nil
                    }
                switch endpoint.access {
                case .anyone:
                    let reply = try await api.call(method, path, json: json)
                    if reply.status == 403 || (reply.status == 401 && endpoint.operationID != "login" && endpoint.operationID != "refresh") {
                        failures.append("\(endpoint.method) \(endpoint.path) is public but answered \(reply.status) without credentials")
                    }
                case .internalSecret:
                    let reply = try await api.call(method, path, json: json)
                    if reply.status != 404 { failures.append("\(endpoint.method) \(endpoint.path) answered \(reply.status) without the secret") }
                case .signedIn, .roles:
                    let anonymous = try await api.call(method, path, json: json, bytes: bytes)
                    if anonymous.status != 401 {
                        failures.append("\(endpoint.method) \(endpoint.path) answered \(anonymous.status) without credentials")
                    }
                    for (name, session) in sessions.sorted(by: { $0.key < $1.key }) {
                        let roles = name == "(none)" ? [] : [UserRole(rawValue: name)!]
                        let reply = try await api.call(method, path, token: session.token, json: json, bytes: bytes)
                        let admitted = endpoint.access.admits(roles)
                        if admitted && (reply.status == 401 || reply.status == 403) {
                            failures.append("\(name) was refused \(endpoint.method) \(endpoint.path): \(reply.status) \(reply.text)")
                        }
                        if !admitted && !(reply.status == 403 && reply.errorMessage.hasPrefix("this needs one of the roles")) {
                            failures.append("\(name) was not refused \(endpoint.method) \(endpoint.path): \(reply.status) \(reply.text)")
                        }
                        checked += 1
                        if endpoint.operationID == "logout" && reply.status == 204 {
                            let login =
                                name == "ADMIN"
                                ? "root" : name == "(none)" ? "no-roles" : "r-\(name.lowercased().replacingOccurrences(of: "_", with: "-"))"
                            sessions[name] = try await api.login(login, name == "ADMIN" ? APIHarness.adminPassword : "user-password-1")
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            let guarded = api.server.routes.endpoints.filter { $0.access != .anyone && $0.access != .internalSecret }
            #expect(checked == guarded.count * sessions.count)
            #expect(guarded.count >= 35)
            #expect(UserRole.allCases.count >= 11)
        }
    }

    @Test("a head of sales places and assigns articles to managers only; an admin to anyone (the matrix by target user)")
    func headOfSalesByTarget() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let accountID = Int(try await api.account(admin))
            // A head of sales works in the account whose articles they assign.
            let head = try await api.user("head", [.headOfSales], accountID: Int64(accountID))
            var targets: [(String, Int64, Bool)] = []  // name, id, may a head of sales manage it
            for (name, roles, manageable) in [
                ("mgr", [UserRole.manager], true), ("dir", [.director], false), ("head2", [.headOfSales], false),
                ("ana", [.analyst], false), ("mixed", [.manager, .accountant], false), ("nobody", [], false),
            ] as [(String, [UserRole], Bool)] {
                targets.append((name, try await api.user(name, roles).userID, manageable))
            }
            targets.append(("root", admin.userID, false))
            for (name, id, manageable) in targets {
                let assign = try await api.call(.PUT, "/api/users/\(id)/account", token: head.token, json: #"{"accountId":\#(accountID)}"#)
                let read = try await api.call(.GET, "/api/users/\(id)/articles", token: head.token)
                let write = try await api.call(
                    .PUT,
                    "/api/users/\(id)/articles",
                    token: head.token,
                    json: #"{"nmIds":[1,2],"force":true,"comment":"matrix"}"#
                )
                let statuses = [assign.status, read.status, write.status]
                #expect(statuses == (manageable ? [200, 200, 200] : [403, 403, 403]), "head of sales → \(name): \(statuses)")
                if !manageable { #expect(assign.errorMessage.contains("managers only")) }
                let byAdmin = try await api.call(.PUT, "/api/users/\(id)/account", token: admin.token, json: #"{"accountId":\#(accountID)}"#)
                #expect(byAdmin.status == 200, "admin → \(name): \(byAdmin.status)")
            }
        }
    }
}
