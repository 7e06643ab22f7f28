import FleetCore
import FleetTesting
import Foundation
import Queue
import Synchronization
import Testing

@Suite("Redis client")
struct RedisClientTests {
    @Test("parses redis:// URLs and rejects bad ones with the variable named")
    func urlParsing() throws {
        let full = try RedisURL(parsing: "redis://user:p%40ss@example.com:6390/3")
        #expect(full == RedisURL(host: "example.com", port: 6390, user: "user", password: "p@ss", database: 3))
        #expect(full.description == "redis://user:***@example.com:6390/3")
        let passwordOnly = try RedisURL(parsing: "redis://:secret@127.0.0.1")
        #expect(passwordOnly.user == nil && passwordOnly.password == "secret" && passwordOnly.port == 6379)
        #expect(try RedisURL(parsing: "redis://[::1]:7000/0").host == "::1")
        for bad in ["127.0.0.1:6379", "http://x", "redis://", "redis://host:notaport", "redis://host/db", "rediss://host"] {
            let error = #expect(throws: RedisError.self) { try RedisURL(parsing: bad) }
            #expect(error?.code == .invalidURL)
            #expect(error?.message.contains("REDIS_URL") == true)
        }
        let redacted = #expect(throws: RedisError.self) { try RedisURL(parsing: "redis://u:topsecret@host:x") }
        #expect(redacted?.message.contains("topsecret") == false)
    }

    @Test("a task waiting for a pooled connection stops waiting when it is cancelled")
    func waitingForAConnectionHonoursCancellation() async throws {
        try await TestRedis.withClient(poolSize: 1, commandTimeout: .seconds(10)) { client in
            let key = TestRedis.uniquePrefix("block")
            // The pool's only connection blocks for 3 s.
            let holder = Task { try await client.send(RedisCommand("BLPOP", key, "3")) }
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            let waiter = Task { try await client.send(RedisCommand("PING")) }
            try await Task.sleep(for: .milliseconds(100))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(ContinuousClock.now - start < .seconds(2), "the cancelled task waited for the connection")
            _ = try await holder.value
            #expect(try await client.send(RedisCommand("PING")).string == "PONG", "the pool still works")
        }
    }

    @Test("sends commands and pipelines binary-safe arguments")
    func commandsAndPipelines() async throws {
        try await TestRedis.withClient { client in
            let key = TestRedis.uniquePrefix("kv")
            let value = "line1\r\nline2 \u{0}zero ünïcödé"
            try await client.send(RedisCommand("SET", key, value))
            #expect(try await client.send(RedisCommand("GET", key)).string == value)
            // The protocol is written by the client itself: empty and large arguments, multi-digit lengths.
            try await client.send(RedisCommand("SET", key + ":empty", ""))
            #expect(try await client.send(RedisCommand("STRLEN", key + ":empty")).int == 0)
            let large = String(repeating: "0123456789abcdef\r\n", count: 68_587)  // 1,234,566 bytes
            try await client.send(RedisCommand("SET", key + ":large", large))
            #expect(try await client.send(RedisCommand("GET", key + ":large")).string == large)
            let replies = try await client.pipeline((0..<500).map { RedisCommand("RPUSH", key + ":list", String($0)) })
            #expect(replies.last?.int == 500)
            let wrongType = try await client.pipeline([RedisCommand("INCR", key)])
            if case .error(let message) = wrongType[0] { #expect(message.hasPrefix("ERR")) } else { Issue.record("expected an error reply") }
            await #expect(throws: RedisError.self) { try await client.send(RedisCommand("NOSUCHCOMMAND")) }
            try await client.send(RedisCommand("DEL", key, key + ":list", key + ":empty", key + ":large"))
        }
    }

    @Test("runs scripts by SHA and reloads them after SCRIPT FLUSH")
    func scriptsReloadAfterFlush() async throws {
        try await TestRedis.withClient { client in
            let script = RedisScript("return tonumber(ARGV[1]) + 1")
            #expect(try await client.evaluate(script, keys: [], arguments: ["41"]).int == 42)
            try await client.send(RedisCommand("SCRIPT", "FLUSH"))
            #expect(try await client.evaluate(script, keys: [], arguments: ["1"]).int == 2)
            let sha = try await client.send(RedisCommand("SCRIPT", "LOAD", script.source)).string
            #expect(sha == script.sha1)
        }
    }

    @Test("scripts keep working while another client flushes the script cache")
    func scriptsSurviveConcurrentFlushes() async throws {
        try await TestRedis.withClient(poolSize: 4) { client in
            let script = RedisScript("return 'flush-proof-' .. ARGV[1]")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await TestRedis.withClient { flusher in
                        for _ in 0..<30 {
                            try await flusher.send(RedisCommand("SCRIPT", "FLUSH"))
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
                for worker in 0..<3 {
                    group.addTask {
                        for round in 0..<100 {
                            let reply = try await client.evaluate(script, keys: [], arguments: ["\(worker)-\(round)"])
                            #expect(reply.string == "flush-proof-\(worker)-\(round)")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("an unreachable Redis gives a clear connection error")
    func unreachableRedis() async throws {
        let client = RedisClient(
            configuration: .init(url: RedisURL(host: "127.0.0.1", port: 1), connectTimeout: .seconds(1)),
            logger: TestRedis.logger
        )
        let error = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("refused the connection; is redis-server running? (REDIS_URL)") == true)
        await client.shutdown()
        await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
    }

    @Test("a wrong password gives an authentication error naming REDIS_URL")
    func wrongPassword() async throws {
        var url = try TestRedis.url()
        url.password = "wrong"
        let client = RedisClient(configuration: .init(url: url), logger: TestRedis.logger)
        let error = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.message.contains("REDIS_URL") == true)
        await client.shutdown()
    }

    @Test("blocking reads never starve the cooperative pool")
    func blockingReadsStayOffTheCooperativePool() async throws {
        try await TestRedis.withClient { client in
            let stream = TestRedis.uniquePrefix("block")
            let ticks = Atomic<Int>(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let connection = try client.dedicatedConnection(role: "block\(index)")
                        _ = try await connection.run {
                            try $0.execute(RedisCommand("XREAD", "BLOCK", "1500", "STREAMS", stream, "$"), timeout: .seconds(3))
                        }
                        await client.closeDedicated(connection)
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(1) {
                    try await Task.sleep(for: .milliseconds(40))
                    ticks.add(1, ordering: .relaxed)
                }
                try await group.waitForAll()
            }
            #expect(ticks.load(ordering: .relaxed) >= 20)
        }
    }

    @Test("reconnects after the server closes the connection")
    func reconnectsAfterKill() async throws {
        try await TestRedis.withClient(poolSize: 1) { client in
            try await client.send(RedisCommand("CLIENT", "SETNAME", "victim-conn"))
            let id = try await client.send(RedisCommand("CLIENT", "ID")).int!
            try await TestRedis.withClient { other in
                try await other.send(RedisCommand("CLIENT", "KILL", "ID", String(id)))
            }
            // The first command on the dead socket may fail; the client must recover without intervention.
            let recovered = await eventually(timeout: .seconds(5)) {
                (try? await client.send(RedisCommand("PING")).string) == "PONG"
            }
            #expect(recovered)
        }
    }
}
