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
            var replacement = prefix
            let pathFollows = hostEnd < count && (text[hostEnd] == 0x2F || text[hostEnd] == 0x5C || text[hostEnd] == 0x25)
            if replacement.isEmpty && !pathFollows { replacement = "/" }
            switch slashes {
            case 4: replacement = replacement.replacingOccurrences(of: "/", with: "\\/")
            case 6: replacement = replacement.replacingOccurrences(of: "/", with: "%2F")
            default: break
            }
            out.append(contentsOf: replacement.utf8)
            index = hostEnd
            copied = hostEnd
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied..<count]))
        return out
    }

    static let schemes = [Array("https:".utf8), Array("http:".utf8)]
    static let encodedSchemes = [Array("https%3a".utf8), Array("http%3a".utf8)]

    /// The prefix of every named host (proxied, aliased and dropped), looked up without building strings for the
    /// hosts that are not WB's (most `//` in a body).
    static let named: [String: String] = {
        var named: [String: String] = [:]
        for entry in PortalHosts.entries { named[entry.host] = entry.prefix }
        for (alias, host) in PortalHosts.aliases { named[alias] = named[host] }
        for host in PortalHosts.dropped { named[host] = "\(droppedPrefix)/\(host)" }
        return named
    }()

    /// The prefix of a host written in a body (any case).
    static func prefix(of bytes: UnsafeBufferPointer<UInt8>) -> String? {
        // Every WB host ends in `.ru`: anything else is not looked up at all.
        guard bytes.count >= 4, bytes[bytes.count - 3] == 0x2E, bytes[bytes.count - 2] | 0x20 == 0x72, bytes[bytes.count - 1] | 0x20 == 0x75 else {
            return nil
        }
        return prefix(of: String(decoding: bytes, as: UTF8.self).lowercased())
    }

    /// A `Location` header value (absolute or relative) as the browser must see it.
    static func location(_ value: String) -> String { String(decoding: rewrite(Array(value.utf8)), as: UTF8.self) }

    /// The proxy path prefix of a host: its table prefix, its basket prefix, or the dropped prefix; nil for hosts that
    /// are not WB's portal hosts.
    static func prefix(of host: String) -> String? {
        if let prefix = named[host] { return prefix }
        guard let path = PortalHosts.proxyPath(host: host, path: "/") else { return nil }
        return String(path.dropLast())
    }

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
