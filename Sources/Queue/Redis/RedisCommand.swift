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

    /// Appends the command in the Redis protocol (RESP: `*argc`, then `$length` and the bytes of each argument),
    /// binary safe, for `redisAppendFormattedCommand`. Written here rather than by hiredis' `printf`-style formatter:
    /// a worker sends a few hundred arguments per batch of finished jobs.
    func appendRESP(to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "*"))
        Self.appendDecimal(arguments.count, to: &buffer)
        for argument in arguments {
            buffer.append(UInt8(ascii: "$"))
            Self.appendDecimal(argument.utf8.count, to: &buffer)
            buffer.append(contentsOf: argument.utf8)
            buffer.append(0x0D)
            buffer.append(0x0A)
        }
    }

    /// The encoded size, for reserving a buffer once.
    var respSizeEstimate: Int {
        arguments.reduce(16) { $0 + $1.utf8.count + 16 }
    }

    private static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(value).utf8)  // a small string: no allocation
        buffer.append(0x0D)
        buffer.append(0x0A)
    }
}
