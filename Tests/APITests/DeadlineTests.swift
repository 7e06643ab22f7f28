import FleetHTTP
import FleetStore
import FleetTesting
import Foundation
import PostgresNIO
import Testing

@testable import API

/// The request deadline is a structured race: the answer is what really happened to the work.
@Suite("Request deadline")
struct DeadlineTests {
    struct TimedOut: Error {}

    @Test("work that stops when cancelled answers the timeout error, at the deadline")
    func cancelledWorkTimesOut() async throws {
        let start = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.milliseconds(150), onTimeout: { TimedOut() }) {
                try await Task.sleep(for: .seconds(10))
                return 1
            }
        }
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test("work that still finishes after the deadline is reported as done, not as 'try again'")
    func finishedWorkIsReported() async throws {
        let value = try await withDeadline(.milliseconds(100), onTimeout: { TimedOut() }) { () async throws -> Int in
            // A commit that cannot be interrupted any more.
            let until = ContinuousClock.now + .milliseconds(300)
            while ContinuousClock.now < until { try? await Task.sleep(for: .milliseconds(20)) }
            return 42
        }
        #expect(value == 42)
        #expect(try await withDeadline(.seconds(5), onTimeout: { TimedOut() }) { 7 } == 7)
    }

    @Test("the API's connections carry a statement_timeout: PostgreSQL itself ends a statement past it")
    func statementTimeout() async throws {
        try await TestPostgres.withDatabase { _, database in
            var configuration = database
            configuration.statementTimeout = .milliseconds(500)
            try await TestPostgres.run(configuration) { client in
                var shown = ""
                for try await value in try await client.query("SHOW statement_timeout").decode(String.self) { shown = value }
                #expect(shown == "500ms")
                do {
                    for try await _ in try await client.query("SELECT pg_sleep(3)") {}
                    Issue.record("the statement outlived its timeout")
                } catch let error as PSQLError {
                    #expect(error.serverInfo?[.sqlState] == "57014")
                }
            }
        }
    }
}
