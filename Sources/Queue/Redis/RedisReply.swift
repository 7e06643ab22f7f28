import CHiredis

/// A reply from Redis (RESP2).
public enum RedisReply: Sendable, Equatable {
    /// A bulk or simple string reply. Redis strings are bytes; this client reads them as UTF-8.
    case string(String)
    /// An integer reply.
    case integer(Int)
    /// An array reply (including multi-bulk replies of pub/sub and streams).
    case array([RedisReply])
    /// A null bulk or null array reply.
    case null
    /// An error reply, such as `ERR unknown command` or `NOSCRIPT No matching script`.
    case error(String)

    /// Converts a hiredis reply tree (does not free it).
    init(_ reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING, REDIS_REPLY_STATUS:
            self = .string(RedisReply.text(r.str, r.len))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(Int(r.elements))
            if let elements = r.element {
                for index in 0..<Int(r.elements) {
                    if let child = elements[index] { items.append(RedisReply(UnsafePointer(child))) } else { items.append(.null) }
                }
            }
            self = .array(items)
        case REDIS_REPLY_ERROR:
            self = .error(RedisReply.text(r.str, r.len))
        default:
            self = .null
        }
    }

    static func text(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// The string value, or `nil` for other kinds.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer value (an integer reply, or a string that holds an integer).
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .string(let value): return Int(value)
        default: return nil
        }
    }

    /// The elements of an array reply, or `nil` for other kinds.
    public var array: [RedisReply]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// Whether this is a null reply.
    public var isNull: Bool { self == .null }

    /// Throws an error reply as ``RedisError``; returns other replies unchanged.
    @discardableResult
    public func throwingError() throws -> RedisReply {
        if case .error(let message) = self { throw RedisError(.serverError, message) }
        return self
    }

    /// A flat array of `key value key value …` as pairs (HGETALL, stream entry fields).
    public var pairs: [(String, String)] {
        guard let items = array else { return [] }
        var result: [(String, String)] = []
        result.reserveCapacity(items.count / 2)
        var index = 0
        while index + 1 < items.count {
            result.append((items[index].string ?? "", items[index + 1].string ?? ""))
            index += 2
        }
        return result
    }
}
