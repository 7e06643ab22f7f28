import API
import FakeWB
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import Queue
import Testing
import WBKit

@Suite("Seller accounts through the API", .serialized)
struct AccountTests {
    @Test("create: the token is checked (shape, expiry, Statistics scope, WB's /ping), stored sealed and never returned")
    func createAndValidate() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let sid = try #require(api.fake.sellerIDs.first)
            func create(_ token: String, inn: String = "7701234567") async throws -> APIHarness.Reply {
                try await api.call(
                    .POST,
                    "/api/accounts",
                    token: admin.token,
                    json: APIHarness.jsonString(["name": "ООО Ромашка", "inn": inn, "token": token])
                )
            }
            let garbage = try await create("not-a-token")
            #expect(garbage.status == 422)
            #expect(garbage.errorCode == "wb_token_invalid")
            let expired = try await create(api.fake.token(seller: 1, expires: Date().addingTimeInterval(-3600)))
            #expect(expired.status == 422)
            #expect(expired.errorMessage.contains("expired"))
            let noScope = try await create(api.fake.token(seller: 1, scope: FakeWBTokens.finance))
            #expect(noScope.status == 422)
            #expect(noScope.errorMessage.contains("Statistics"))
            let forged = try await create(FakeWBTokens(secret: "someone-else").mint(sid: sid))
            #expect(forged.status == 422)
            #expect(forged.errorMessage.hasPrefix("WB refused the token"))
            #expect(try await api.call(.GET, "/api/accounts", token: admin.token).items.isEmpty, "nothing stored for refused tokens")

            let token = api.fake.token(seller: 1)
            let created = try await create(token + "\n")  // as pasted: stored without the newline
            #expect(created.status == 201, "\(created.text)")
            #expect(!created.text.contains(token))
            #expect(created.json["tokenMasked"] as? String == "••••" + String(token.suffix(4)))
            #expect(created.json["tokenStatus"] as? String == "ok")
            #expect(created.json["wbSellerID"] as? String == sid)
            let id = try #require((created.json["id"] as? NSNumber)?.int64Value)
            let listed = try await api.call(.GET, "/api/accounts", token: admin.token)
            #expect(listed.items.count == 1)
            #expect(!listed.text.contains(token))
            #expect(try await create(token).status == 409, "the INN is taken")
            #expect(try await create(token, inn: "12345").status == 400)

            let patched = try await api.call(
                .PATCH,
                "/api/accounts/\(id)",
                token: admin.token,
                json: #"{"name":"Ромашка","syncIntervalSeconds":900,"syncEnabled":false}"#
            )
            #expect(patched.status == 200)
            #expect(patched.json["syncIntervalSeconds"] as? Int == 900)
            #expect(patched.json["syncEnabled"] as? Bool == false)
            #expect(try await api.call(.PATCH, "/api/accounts/\(id)", token: admin.token, json: #"{"syncIntervalSeconds":5}"#).status == 400)
            #expect(try await api.call(.PATCH, "/api/accounts/\(id)", token: admin.token, json: #"{"token":"nope"}"#).status == 422)
            let reset = try await api.call(.PATCH, "/api/accounts/\(id)", token: admin.token, json: #"{"syncIntervalSeconds":null}"#)
            #expect(reset.json["syncIntervalSeconds"] == nil)
            // The stored token is the one given (the worker's read path).
            let stored = try await api.server.api.accounts.credentials(id: id)
            #expect(stored.token == token)
            #expect(try await api.call(.DELETE, "/api/accounts/\(id)", token: admin.token).status == 204)
            #expect(try await api.call(.GET, "/api/accounts/\(id)", token: admin.token).status == 404)
        }
    }

    @Test("sync now: one wb.sync per dataset, a second click returns the same jobs; no token or no account is refused")
    func syncNow() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let id = try await api.account(admin)
            let first = try await api.call(.POST, "/api/accounts/\(id)/sync", token: admin.token)
            #expect(first.status == 202, "\(first.text)")
            let jobs = try #require(first.json["jobs"] as? [[String: Any]])
            #expect(jobs.compactMap { $0["dataset"] as? String } == ["orders", "sales", "report"])
            #expect(jobs.allSatisfy { $0["alreadyQueued"] as? Bool == false })
            for job in jobs {
                let jobID = try #require(job["jobId"] as? String)
                let queued = try #require(try await api.server.api.queue.job(jobID))
                #expect(queued.type == "wb.sync" && queued.state == "queued")
                #expect(queued.payload?.contains("\"account\":\(id)") == true, "\(queued.payload ?? "")")
            }
            let second = try await api.call(.POST, "/api/accounts/\(id)/sync", token: admin.token)
            let again = try #require(second.json["jobs"] as? [[String: Any]])
            #expect(again.allSatisfy { $0["alreadyQueued"] as? Bool == true })
            #expect(again.compactMap { $0["jobId"] as? String } == jobs.compactMap { $0["jobId"] as? String })

            let bare = try await api.server.api.accounts.add(name: "No token", inn: "7707083893", token: nil, sellerID: nil, expiresAt: nil)
            let refused = try await api.call(.POST, "/api/accounts/\(bare.id)/sync", token: admin.token)
            #expect(refused.status == 409)
            #expect(refused.text.contains("no WB token"))
            #expect(try await api.call(.POST, "/api/accounts/999999/sync", token: admin.token).status == 404)
            let manager = try await api.user("mgr", [.manager], accountID: id)
            #expect(try await api.call(.POST, "/api/accounts/\(id)/sync", token: manager.token).status == 403)
        }
    }

    @Test("users: create, assign to one account at a time, articles, edit, delete; bad input gets a clear 400")
    func usersCRUD() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let token = api.fake.token(seller: 1)
            let account = try await api.call(
                .POST,
                "/api/accounts",
                token: admin.token,
                json: APIHarness.jsonString(["name": "A", "inn": "7701234567", "token": token])
            )
            let accountID = try #require((account.json["id"] as? NSNumber)?.int64Value)
            let created = try await api.call(
                .POST,
                "/api/users",
                token: admin.token,
                json: #"{"login":"Boris","email":"boris@example.test","name":"Boris","password":"boris-password","roles":["MANAGER"]}"#
            )
            #expect(created.status == 201)
            #expect(created.json["login"] as? String == "boris")
            let id = try #require((created.json["id"] as? NSNumber)?.int64Value)
            for (body, fragment) in [
                (#"{"login":"x","name":"X","password":"long-enough-1","roles":[]}"#, "login"),
                (#"{"login":"xavier","name":"X","password":"short","roles":[]}"#, "at least 10"),
                (#"{"login":"xavier","name":"X","password":"long-enough-1","roles":["KING"]}"#, "roles"),
                (#"{"login":"xavier","name":"X","email":"no-at-sign","password":"long-enough-1","roles":[]}"#, "email"),
                (#"{"login":"xavier","name":"  ","password":"long-enough-1","roles":[]}"#, "name"),
                (#"{"login":"xavier","password":"long-enough-1","roles":[]}"#, "'name' is required"),
                (#"not json"#, "JSON"),
            ] {
                let reply = try await api.call(.POST, "/api/users", token: admin.token, json: body)
                #expect(reply.status == 400, "\(body): \(reply.status) \(reply.text)")
                #expect(reply.errorMessage.contains(fragment), "\(body): \(reply.errorMessage)")
            }
            #expect(
                try await api.call(
                    .POST,
                    "/api/users",
                    token: admin.token,
                    json: #"{"login":"boris","name":"B2","password":"long-enough-1","roles":[]}"#
                ).status == 409
            )
            #expect(try await api.call(.POST, "/api/users", token: admin.token, json: "{}", contentType: "text/plain").status == 415)

            #expect(try await api.call(.PUT, "/api/users/\(id)/account", token: admin.token, json: #"{"accountId":424242}"#).status == 404)
            let assigned = try await api.call(.PUT, "/api/users/\(id)/account", token: admin.token, json: #"{"accountId":\#(accountID)}"#)
            #expect((assigned.json["accountId"] as? NSNumber)?.int64Value == accountID)
            let articles = try await api.call(
                .PUT,
                "/api/users/\(id)/articles",
                token: admin.token,
                json: #"{"nmIds":[178231456,209455871,178231456],"force":true,"comment":"not synced yet in this test"}"#
            )
            #expect(articles.status == 200)
            #expect((articles.json["nmIds"] as? [NSNumber])?.map(\.int64Value) == [178_231_456, 209_455_871])
            #expect(try await api.call(.PUT, "/api/users/\(id)/articles", token: admin.token, json: #"{"nmIds":[-1]}"#).status == 400)

            let edited = try await api.call(
                .PATCH,
                "/api/users/\(id)",
                token: admin.token,
                json: #"{"name":"Boris B","email":null,"roles":["MANAGER","ANALYST"]}"#
            )
            #expect(edited.status == 200)
            #expect(edited.json["email"] == nil)
            #expect(edited.json["roles"] as? [String] == ["MANAGER", "ANALYST"])
            let boris = try await api.login("boris", "boris-password")
            #expect(try await api.call(.GET, "/api/accounts", token: boris.token).status == 200, "ANALYST reads accounts")
            #expect(try await api.call(.PATCH, "/api/users/\(id)", token: admin.token, json: #"{"roles":["MANAGER"]}"#).status == 200)
            #expect(try await api.call(.GET, "/api/accounts", token: boris.token).status == 403, "a role taken away stops at once")
            #expect(try await api.call(.DELETE, "/api/users/\(id)", token: admin.token).status == 204)
            #expect(try await api.call(.GET, "/api/auth/me", token: boris.token).status == 401)
            #expect(try await api.call(.GET, "/api/users/\(id)", token: admin.token).status == 404)
        }
    }
}
