import Foundation

/// Rewrites absolute WB URLs in text bodies (HTML, JS, CSS, JSON) and in `Location` headers so the browser stays on
/// the proxy's one origin: `https://seller-content.wildberries.ru/ns/x` becomes `/__content__/ns/x`, protocol-relative
/// `//basket-12.wbbasket.ru/a.webp` becomes `/__basket__/12/a.webp`, JSON-escaped `https:\/\/…` the same way, and
/// URLs of dropped hosts (analytics, sentry) point to `/__dropped__/<host>`, which the proxy answers without
/// calling anyone. One pass over the bytes; a host only matches whole (`seller.wildberries.ru.example.com` is not
/// WB's). Bodies of `verbatim` hosts are never given to it.
enum URLRewriter {
    static let droppedPrefix = "/__dropped__"

    /// `text` with every proxied or dropped WB host's absolute URL made root-relative.
    static func rewrite(_ text: [UInt8]) -> [UInt8] {
        text.withUnsafeBufferPointer { rewrite($0) }
    }

    static func rewrite(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 64)
        let count = text.count
        var copied = 0  // text[copied..<index] is yet to be copied to out
        var index = 0
        while index < count {
            // Only `/`, `\` and `%` can start a URL's `//`: skip everything else without looking further.
            let byte = text[index]
            guard byte == 0x2F || byte == 0x5C || byte == 0x25 else {
                index += 1
                continue
            }
            // `//host`, the JSON-escaped `\/\/host`, or the percent-encoded `%2F%2Fhost` (an SSO `redirect_url`).
            let slashes: Int
            if byte == 0x2F, index + 1 < count, text[index + 1] == 0x2F {
                slashes = 2
            } else if byte == 0x5C, index + 3 < count, text[index + 1] == 0x2F, text[index + 2] == 0x5C, text[index + 3] == 0x2F {
                slashes = 4
            } else if byte == 0x25, index + 5 < count, text[index + 1] == 0x32, text[index + 2] | 0x20 == 0x66, text[index + 3] == 0x25,
                text[index + 4] == 0x32, text[index + 5] | 0x20 == 0x66
            {
                slashes = 6
            } else {
                index += 1
                continue
            }
            let hostStart = index + slashes
            var hostEnd = hostStart
            while hostEnd < count, isHostByte(text[hostEnd]) { hostEnd += 1 }
            guard hostEnd > hostStart, hostEnd == count || isBoundary(text[hostEnd]),
                let prefix = prefix(of: UnsafeBufferPointer(rebasing: text[hostStart..<hostEnd]))
            else {
                index = hostStart
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied..<index]))
            // Drop the scheme written just before (`https:`, `http:`).
            for scheme in slashes == 6 ? Self.encodedSchemes : Self.schemes {
                if out.count >= scheme.count, zip(out[(out.count - scheme.count)...], scheme).allSatisfy({ $0 | 0x20 == $1 }) {
                    out.removeLast(scheme.count)
                    break
                }
            }
            let pathFollows = hostEnd < count && (text[hostEnd] == 0x2F || text[hostEnd] == 0x5C || text[hostEnd] == 0x25)
            if prefix.isEmpty && !pathFollows {
                out.append(0x2F)
            } else {
                // `/` written as the escape in use: `\/` in JSON strings, `%2F` percent-encoded.
                for byte in prefix {
                    if byte == 0x2F && slashes == 4 {
                        out.append(contentsOf: [0x5C, 0x2F])
                    } else if byte == 0x2F && slashes == 6 {
                        out.append(contentsOf: [0x25, 0x32, 0x46])
                    } else {
                        out.append(byte)
                    }
                }
            }
            index = hostEnd
            copied = hostEnd
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied..<count]))
        return out
    }

    static let schemes = [Array("https:".utf8), Array("http:".utf8)]
    static let encodedSchemes = [Array("https%3a".utf8), Array("http%3a".utf8)]

    /// Every named host (proxied, aliased and dropped) with its prefix, bucketed by the host's length: a lookup
    /// compares bytes with the few names of that length, allocating nothing.
    static let named: [[(host: [UInt8], prefix: [UInt8])]] = {
        var pairs: [(host: [UInt8], prefix: [UInt8])] = []
        for entry in PortalHosts.entries { pairs.append((Array(entry.host.utf8), Array(entry.prefix.utf8))) }
        for (alias, host) in PortalHosts.aliases {
            if let entry = PortalHosts.entries.first(where: { $0.host == host }) { pairs.append((Array(alias.utf8), Array(entry.prefix.utf8))) }
        }
        for host in PortalHosts.dropped { pairs.append((Array(host.utf8), Array("\(droppedPrefix)/\(host)".utf8))) }
        var buckets = Array(repeating: [(host: [UInt8], prefix: [UInt8])](), count: (pairs.map(\.host.count).max() ?? 0) + 1)
        for pair in pairs { buckets[pair.host.count].append(pair) }
        return buckets
    }()

    static let numbered = PortalHosts.numbered.map { (Array($0.hostPrefix.utf8), Array($0.hostSuffix.utf8), Array($0.prefix.utf8)) }

    /// The prefix of a host written in a body (any case), without building strings; nil for hosts that are not WB's
    /// (most `//` in a body: every WB host ends in `.ru`, anything else is not looked up at all).
    static func prefix(of bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard bytes.count >= 4, bytes[bytes.count - 3] == 0x2E, bytes[bytes.count - 2] | 0x20 == 0x72, bytes[bytes.count - 1] | 0x20 == 0x75 else {
            return nil
        }
        @inline(__always) func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        if bytes.count < named.count {
            for pair in named[bytes.count] where zip(pair.host, bytes).allSatisfy({ $0 == lower($1) }) { return pair.prefix }
        }
        for (hostPrefix, hostSuffix, prefix) in numbered where bytes.count > hostPrefix.count + hostSuffix.count {
            guard zip(hostPrefix, bytes).allSatisfy({ $0 == lower($1) }),
                zip(hostSuffix, bytes[(bytes.count - hostSuffix.count)...]).allSatisfy({ $0 == lower($1) })
            else { continue }
            let number = bytes[hostPrefix.count..<(bytes.count - hostSuffix.count)]
            guard number.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return prefix + [0x2F] + number
        }
        return nil
    }

    /// A `Location` header value (absolute or relative) as the browser must see it.
    static func location(_ value: String) -> String { String(decoding: rewrite(Array(value.utf8)), as: UTF8.self) }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    /// What may follow a host in a URL: a path, port-less end of a string or attribute, a query, a fragment.
    private static func isBoundary(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "?"), UInt8(ascii: "#"),
            UInt8(ascii: ")"), UInt8(ascii: " "), UInt8(ascii: ">"), UInt8(ascii: "<"), UInt8(ascii: "`"), UInt8(ascii: ","),
            UInt8(ascii: ";"), UInt8(ascii: "%"), UInt8(ascii: "&"), 0x0A, 0x0D, 0x09:
            true
        default: false
        }
    }
}
