/// One Redis command: its name and arguments, sent binary-safe with `redisAppendCommandArgv`.
///
/// ```swift
/// let reply = try await client.send(RedisCommand("XADD", key, "*", "type", "demo"))
/// ```
public struct RedisCommand: Sendable, CustomStringConvertible {
    /// The command name followed by its arguments.
    public var arguments: [String]

    /// Creates a command from its words.
    public init(_ arguments: String...) {
        self.arguments = arguments
    }

    /// Creates a command from an array of words.
    public init(arguments: [String]) {
        self.arguments = arguments
    }

    /// Appends words.
    public mutating func append(_ words: String...) {
        arguments.append(contentsOf: words)
    }

    /// Appends words.
    public mutating func append<S: Sequence>(contentsOf words: S) where S.Element == String {
        arguments.append(contentsOf: words)
    }

    /// The command name and the number of arguments (values are left out: they may be secrets).
    public var description: String {
        "\(arguments.first ?? "") (\(arguments.count - 1) arguments)"
    }

    /// Lays the arguments out in one buffer and calls `body` with hiredis' argc, argv and argvlen.
    func withArgv<T>(
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) throws -> T
    ) rethrows -> T {
        var total = 0
        for argument in arguments { total += argument.utf8.count }
        var storage = [UInt8]()
        storage.reserveCapacity(total + 1)
        var lengths = [Int]()
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            lengths.append(argument.utf8.count)
            storage.append(contentsOf: argument.utf8)  // one copy of the string's bytes, not a loop over them
        }
        storage.append(0)
        return try storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers = [UnsafePointer<CChar>?]()
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return try pointers.withUnsafeMutableBufferPointer { argv in
                try lengths.withUnsafeBufferPointer { argvlen in
                    try body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
                }
            }
        }
    }
}
