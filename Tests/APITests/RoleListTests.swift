import API
import FleetStore
import FleetTesting
import Foundation
import PostgresNIO
import Testing

/// The role list exists once: the database's `user_roles.role` check (what the migrations made) must accept
/// exactly the roles of ``UserRole``, so a role added on one side only fails here, not in production.
@Suite("Role list")
struct RoleListTests {
    @Test("the user_roles check accepts exactly UserRole's cases")
    func databaseMatchesTheEnum() async throws {
        try await TestPostgres.withDatabase { postgres, _ in
            var definition = ""
            let rows = try await postgres.query(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'user_roles'::regclass AND contype = 'c'",
                logger: TestRedis.logger
            )
            for try await text in rows.decode(String.self) where text.contains("role") { definition = text }
            #expect(!definition.isEmpty, "no check constraint on user_roles.role")
            // pg_get_constraintdef writes the list as 'ADMIN'::text, 'DIRECTOR'::text, …
            let regex = try NSRegularExpression(pattern: "'([A-Z_]+)'")
            let range = NSRange(definition.startIndex..., in: definition)
            let inDatabase = Set(
                regex.matches(in: definition, range: range).compactMap { Range($0.range(at: 1), in: definition).map { String(definition[$0]) } }
            )
            #expect(
                inDatabase == Set(UserRole.allCases.map(\.rawValue)),
                "database: \(inDatabase.sorted()), Swift: \(UserRole.allCases.map(\.rawValue))"
            )
        }
    }
}
