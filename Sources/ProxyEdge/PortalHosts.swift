/// The one table of WB portal hosts and the path prefixes they are folded into on the proxy's single origin
/// (`wb-seller.{domain}`): `https://seller-content.wildberries.ru/ns/x` is served as `/__content__/ns/x`; the SPA
/// shell's host is the root. Hosts the portal does not need (analytics, tracking, sentry) are dropped; the anti-bot
/// host is proxied but its bodies are never rewritten. Facts: ../shared/wb/WB-API.md §4.1.
enum PortalHosts {
    /// How the proxy treats a host's traffic.
    enum Treatment: Equatable, Sendable {
        /// Proxied; URLs in its text bodies are rewritten and its data endpoints filtered.
        case proxied
        /// Proxied byte for byte (the anti-bot scripts break if modified).
        case verbatim
    }

    struct Entry: Equatable, Sendable {
        let host: String
        /// `""` for the SPA shell's host; otherwise `/__name__`.
        let prefix: String
        let treatment: Treatment
    }

    /// Every proxied host.
    static let entries: [Entry] = [
        Entry(host: "seller.wildberries.ru", prefix: "", treatment: .proxied),
        Entry(host: "seller-auth.wildberries.ru", prefix: "/__auth__", treatment: .proxied),
        Entry(host: "seller-services.wildberries.ru", prefix: "/__services__", treatment: .proxied),
        Entry(host: "seller-weekly-report.wildberries.ru", prefix: "/__weekly__", treatment: .proxied),
        Entry(host: "seller-content.wildberries.ru", prefix: "/__content__", treatment: .proxied),
        Entry(host: "seller-supply.wildberries.ru", prefix: "/__supply__", treatment: .proxied),
        Entry(host: "seller-communications.wildberries.ru", prefix: "/__comm__", treatment: .proxied),
        Entry(host: "cmp.wildberries.ru", prefix: "/__cmp__", treatment: .proxied),
        Entry(host: "seller-ads.wildberries.ru", prefix: "/__ads__", treatment: .proxied),
        Entry(host: "seller-analytics.wildberries.ru", prefix: "/__analytics__", treatment: .proxied),
        Entry(host: "discounts-prices.wildberries.ru", prefix: "/__prices__", treatment: .proxied),
        Entry(host: "suppliers-portal-api.wildberries.ru", prefix: "/__portalapi__", treatment: .proxied),
        Entry(host: "passport.wildberries.ru", prefix: "/__passport__", treatment: .proxied),
        Entry(host: "downloads-content-analytics.wildberries.ru", prefix: "/__downloads__", treatment: .proxied),
        Entry(host: "seller-callcenter.wildberries.ru", prefix: "/__callcenter__", treatment: .proxied),
        Entry(host: "seller-chat.wildberries.ru", prefix: "/__chat__", treatment: .proxied),
        Entry(host: "antibot.wildberries.ru", prefix: "/__antibot__", treatment: .verbatim),
    ]

    /// Card images and media: `basket-NN.wbbasket.ru` → `/__basket__/NN`, `static-basket-NN.wbbasket.ru` →
    /// `/__static-basket__/NN`.
    static let numbered: [(hostPrefix: String, hostSuffix: String, prefix: String)] = [
        ("basket-", ".wbbasket.ru", "/__basket__"),
        ("static-basket-", ".wbbasket.ru", "/__static-basket__"),
    ]

    /// Hosts whose requests the proxy drops (the portal works without them).
    static let dropped: Set<String> = ["a.wb.ru", "wbaaa.wb.ru", "marketplace-sentry.wb.ru", "splitter.wb.ru"]

    /// Aliases WB redirects to a proxied host.
    static let aliases: [String: String] = ["cmp.wb.ru": "cmp.wildberries.ru"]

    /// The proxy path of an upstream host and path (`nil`: the host is not proxied). One lookup with the URL
    /// rewriter's (``URLRewriter/prefix(of:)``).
    static func proxyPath(host: String, path: String) -> String? {
        guard !dropped.contains(host.lowercased()) else { return nil }
        let prefix = Array(host.utf8).withUnsafeBufferPointer { URLRewriter.prefix(of: $0) }
        return prefix.map { String(decoding: $0, as: UTF8.self) + (path.isEmpty ? "/" : path) }
    }

    /// The upstream host, path and treatment of a proxy path (`nil`: no host is folded there).
    static func upstream(proxyPath path: String) -> (host: String, path: String, treatment: Treatment)? {
        for rule in numbered where path.hasPrefix(rule.prefix + "/") {
            let rest = path.dropFirst(rule.prefix.count + 1)
            let number = rest.prefix { $0 != "/" }
            guard !number.isEmpty, number.allSatisfy(\.isNumber) else { return nil }
            let tail = rest.dropFirst(number.count)
            return (rule.hostPrefix + number + rule.hostSuffix, tail.isEmpty ? "/" : String(tail), .proxied)
        }
        for entry in entries where !entry.prefix.isEmpty && (path == entry.prefix || path.hasPrefix(entry.prefix + "/")) {
            let tail = path.dropFirst(entry.prefix.count)
            return (entry.host, tail.isEmpty ? "/" : String(tail), entry.treatment)
        }
        if path.hasPrefix("/__") { return nil }  // a prefix no host has: not the shell's path either
        return (entries[0].host, path, .proxied)
    }
}
