/// The engine's producer-facing scripts as a Redis Functions library (Redis 7 `FUNCTION LOAD`), so a client in any
/// language calls a documented name with `FCALL` instead of carrying our Lua text. Every worker loads it at start
/// (`REPLACE`, so an upgrade takes effect) and loads it again whenever it is missing (a Redis restart without
/// persistence). docs/wire-format.md documents each function's arguments and replies; the library's name carries
/// the wire version, so a future `joycity_v2` can sit beside it.
public enum QueueFunctions {
    /// The library's name.
    public static let libraryName = "joycity_v\(JobEnvelope.wireVersion)"

    /// The functions: their names and the scripts they run (the scripts' `ARGV` layout without the time).
    static let functions: [(name: String, script: RedisScript)] = [
        ("\(libraryName)_enqueue", QueueScripts.enqueue),
        ("\(libraryName)_cancel", AdminScripts.cancel),
    ]

    /// The name of the enqueue function: `FCALL joycity_v1_enqueue 0 <prefix> <group> <count> <job unit>…`.
    public static var enqueue: String { functions[0].name }
    /// The name of the cancel function: `FCALL joycity_v1_cancel 0 <prefix> <group> <job id> <record TTL ms>`.
    public static var cancel: String { functions[1].name }

    /// The library source: each script becomes the body of a function whose `ARGV` is the call's arguments with the
    /// scripts' time argument (`0`: Redis's `TIME`) put in third place, so a producer's call has no time in it.
    static var code: String {
        var lines = ["#!lua name=\(libraryName)"]
        for function in functions {
            lines.append(
                "redis.register_function('\(function.name)', function(KEYS, ARGV)\ntable.insert(ARGV, 3, '0')\n\(function.script.source)\nend)"
            )
        }
        return lines.joined(separator: "\n")
    }
}

extension StreamQueue {
    /// Loads the functions library (``QueueFunctions``) into Redis: always with `replace`, else only when it is
    /// missing. - Returns: whether it was loaded now.
    /// - Throws: ``RedisError``; Redis older than 7 answers that `FUNCTION` is an unknown command.
    @discardableResult
    public func loadFunctions(replace: Bool) async throws -> Bool {
        if !replace {
            let listed = try await redis.send(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", QueueFunctions.libraryName))
            if listed.array?.isEmpty == false { return false }
        }
        var command = RedisCommand("FUNCTION", "LOAD")
        if replace { command.append("REPLACE") }
        command.append(QueueFunctions.code)
        let reply = try await redis.pipeline([command])[0]
        if case .error(let message) = reply {
            // Another worker loaded it between the check and this call.
            if !replace && message.contains("already exists") { return false }
            throw RedisError(.serverError, message)
        }
        return true
    }
}
