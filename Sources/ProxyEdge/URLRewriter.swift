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
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        let count = text.count
        while index < count {
            // `//host` or the JSON-escaped `\/\/host`.
            let slashes: Int
            if text[index] == UInt8(ascii: "/"), index + 1 < count, text[index + 1] == UInt8(ascii: "/") {
                slashes = 2
            } else if text[index] == UInt8(ascii: "\\"), index + 3 < count, text[index + 1] == UInt8(ascii: "/"),
                text[index + 2] == UInt8(ascii: "\\"), text[index + 3] == UInt8(ascii: "/")
            {
                slashes = 4
            } else if text[index] == UInt8(ascii: "%"), index + 5 < count,
                String(decoding: text[index..<index + 6], as: UTF8.self).uppercased() == "%2F%2F"
            {
                slashes = 6  // percent-encoded, as in an SSO `redirect_url`
            } else {
                out.append(text[index])
                index += 1
                continue
            }
            let hostStart = index + slashes
            var hostEnd = hostStart
            while hostEnd < count, isHostByte(text[hostEnd]) { hostEnd += 1 }
            let host = String(decoding: text[hostStart..<hostEnd], as: UTF8.self).lowercased()
            guard hostEnd > hostStart, hostEnd == count || isBoundary(text[hostEnd]), let prefix = prefix(of: host) else {
                out.append(contentsOf: text[index..<hostStart])
                index = hostStart
                continue
            }
            // Drop the scheme written just before (`https:`, `http:`).
            for scheme in slashes == 6 ? ["https%3a", "http%3a"] : ["https:", "http:"] {
                let bytes = Array(scheme.utf8)
                if out.count >= bytes.count, Array(out[(out.count - bytes.count)...]).map({ $0 | 0x20 }) == bytes.map({ $0 | 0x20 }) {
                    out.removeLast(bytes.count)
                    break
                }
            }
            var replacement = prefix
            let pathFollows =
                hostEnd < count
                && (text[hostEnd] == UInt8(ascii: "/") || text[hostEnd] == UInt8(ascii: "\\") || text[hostEnd] == UInt8(ascii: "%"))
            if replacement.isEmpty && !pathFollows { replacement = "/" }
            switch slashes {
            case 4: replacement = replacement.replacingOccurrences(of: "/", with: "\\/")
            case 6: replacement = replacement.replacingOccurrences(of: "/", with: "%2F")
            default: break
            }
            out.append(contentsOf: Array(replacement.utf8))
            index = hostEnd
        }
        return out
    }

    /// A `Location` header value (absolute or relative) as the browser must see it.
    static func location(_ value: String) -> String { String(decoding: rewrite(Array(value.utf8)), as: UTF8.self) }

    /// The proxy path prefix of a host: its table prefix, its basket prefix, or the dropped prefix; nil for hosts that
    /// are not WB's portal hosts.
    static func prefix(of host: String) -> String? {
        if PortalHosts.dropped.contains(host) { return "\(droppedPrefix)/\(host)" }
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
