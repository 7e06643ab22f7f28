extension RedisClient {
    /// Deletes every key matching `pattern` (`SCAN … MATCH` then `UNLINK`, 1000 at a time), without blocking Redis
    /// the way `KEYS` would. For maintenance, benchmarks and tests; keys written meanwhile may survive.
    /// - Returns: how many keys were deleted.
    @discardableResult
    public func deleteKeys(matching pattern: String) async throws -> Int {
        var cursor = "0"
        var deleted = 0
        repeat {
            let reply = try await send(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "1000"))
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string else {
                throw RedisError(.protocolError, "SCAN answered \(reply)")
            }
            cursor = next
            let keys = parts[1].array?.compactMap(\.string) ?? []
            if !keys.isEmpty { deleted += try await send(RedisCommand(arguments: ["UNLINK"] + keys)).int ?? 0 }
        } while cursor != "0"
        return deleted
    }
}
