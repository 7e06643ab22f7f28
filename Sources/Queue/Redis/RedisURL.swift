import Foundation

/// A parsed `redis://[user:password@]host[:port][/db]` address.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port (default 6379).
    public var port: Int
    /// ACL user name, if any.
    public var user: String?
    /// Password, if any.
    public var password: String?
    /// Logical database number (default 0).
    public var database: Int

    /// Creates an address from parts.
    public init(host: String = "127.0.0.1", port: Int = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `text`.
    /// - Throws: ``RedisError`` with code `invalidURL` saying which part is wrong.
    public init(parsing text: String) throws {
        func fail(_ why: String) -> RedisError {
            RedisError(.invalidURL, "REDIS_URL \"\(RedisURL.redact(text))\" is not valid: \(why). Expected redis://[user:password@]host:port/db")
        }
        guard let schemeEnd = text.range(of: "://") else { throw fail("missing redis:// scheme") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" else {
            throw fail(scheme == "rediss" ? "TLS (rediss://) is not supported by this build's hiredis 0.14" : "unknown scheme \(scheme)")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = String(credentials[..<colon])
                user = name.isEmpty ? nil : RedisURL.percentDecode(name)
                password = RedisURL.percentDecode(String(credentials[credentials.index(after: colon)...]))
            } else if !credentials.isEmpty {
                password = RedisURL.percentDecode(String(credentials))
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...].prefix { $0 != "?" }
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let number = Int(db), number >= 0 else { throw fail("database \"\(db)\" is not a number") }
                database = number
            }
        }
        var host = String(rest)
        var port = 6379
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw fail("port is not a number from 1 to 65535") }
                port = p
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw fail("port is not a number from 1 to 65535")
            }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw fail("missing host") }
        self.init(host: host, port: port, user: user, password: password, database: database)
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var credentials = ""
        if user != nil || password != nil {
            credentials = (user ?? "") + (password != nil ? ":***" : "") + "@"
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "redis://\(credentials)\(hostPart):\(port)/\(database)"
    }

    /// `host:port`, for messages.
    public var endpoint: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.lastIndex(of: "@"), at > schemeEnd.upperBound else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    static func percentDecode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
