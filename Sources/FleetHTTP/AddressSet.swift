import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A set of IP addresses given as single addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`): the
/// reverse proxies whose `X-Forwarded-For` a server believes.
///
/// ```swift
/// let proxies = try AddressSet(parsing: "10.0.0.0/8, 127.0.0.1")
/// proxies.contains("10.0.3.7")   // true
/// ```
public struct AddressSet: Sendable, Equatable {
    /// One range: the network's bytes and how many leading bits must match.
    struct Range: Sendable, Equatable {
        let bytes: [UInt8]
        let prefix: Int
    }

    let ranges: [Range]

    /// No address at all.
    public init() { ranges = [] }

    /// Parses a comma-separated list of addresses and CIDR ranges (IPv4 or IPv6).
    /// - Throws: ``AddressSet/ParseError`` naming the entry that is neither.
    public init(parsing text: String) throws {
        var ranges: [Range] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.bytes(of: parts[0]) else { throw ParseError(entry: entry) }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...bytes.count * 8).contains(bits) else { throw ParseError(entry: entry) }
                prefix = bits
            }
            ranges.append(Range(bytes: bytes, prefix: prefix))
        }
        self.ranges = ranges
    }

    /// An entry of the list that is neither an IP address nor a CIDR range.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// The entry.
        public let entry: String
        public var description: String { "\"\(entry)\" is not an IP address or a CIDR range (10.0.0.0/8, fd00::/8)" }
    }

    /// Whether `address` (a textual IPv4 or IPv6 address) lies in one of the ranges.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address) else { return false }
        return ranges.contains { range in
            guard range.bytes.count == bytes.count else { return false }
            let whole = range.prefix / 8
            let rest = range.prefix % 8
            if whole > 0, range.bytes[0..<whole] != bytes[0..<whole] { return false }
            guard rest > 0 else { return true }
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - rest))
            return range.bytes[whole] & mask == bytes[whole] & mask
        }
    }

    /// Whether the set holds no address.
    public var isEmpty: Bool { ranges.isEmpty }

    /// The 4 or 16 bytes of a textual address (`inet_pton`), or nil.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
