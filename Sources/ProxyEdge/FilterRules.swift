/// The one table of portal endpoints and what the proxy does with each: filter article data (responses, and
/// mutating requests that name an article), pass endpoints that carry no article data, or deny. An endpoint not in
/// the table is denied (fail closed). Matching is by host, method and the longest path prefix.
///
/// Where nmIds sit in each response is not listed per endpoint: ``ArticleFilter`` finds them by their keys at any
/// depth. What the table adds is which endpoints may pass at all, and the counters that must agree with what is
/// left. First version, from ../shared/wb/WB-API.md §3–§4.1; to be checked against the fake portal's endpoints.
enum FilterRules {
    enum Kind: Equatable, Sendable {
        /// Article data: responses filtered (counters fixed, paging cursors sealed); when `mutating`, a request that
        /// names an unassigned nmId is refused before it reaches WB (reads sent as POST, like the cards list, are not).
        case articles(counters: [Counter], cursors: [[String]] = [], mutating: Bool = false)
        /// Carries no article data: passed (URL rewriting still applies).
        case noArticleData
        /// Session plumbing the proxy answers itself, never WB: the LK token (the proxy keeps the real one server-side
        /// and adds it to every request) and logout (which would end the account's session for everyone).
        case sessionManaged
        /// The balance widget: answered by the proxy with the user's own balance (``PortalBalance``), never WB's.
        case balance
        /// Media named by article in its path (`/vol1782/part178231/178231456/images/…` on the baskets): passed only
        /// for an assigned nmId, refused otherwise.
        case articlePath
        /// Refused: a data area whose endpoints are not declared one by one.
        case denied

        /// Whether answering needs the user's articles (filtered data, or media named by article).
        var needsArticles: Bool {
            switch self {
            case .articles, .articlePath: true
            default: false
            }
        }
    }

    struct Rule: Equatable, Sendable {
        let host: String
        /// `nil`: any method.
        let methods: Set<String>?
        let pathPrefix: String
        let kind: Kind
    }

    static let any: Set<String>? = nil
    static let reads: Set<String>? = ["GET", "HEAD"]

    static let rules: [Rule] = [
        // The SPA shell and its session plumbing: pages, assets, auth, the seller list, the session check.
        Rule(host: "seller.wildberries.ru", methods: reads, pathPrefix: "/", kind: .noArticleData),
        Rule(host: "seller.wildberries.ru", methods: any, pathPrefix: "/ns/", kind: .denied),
        Rule(host: "seller.wildberries.ru", methods: any, pathPrefix: "/ns/suppliers-auth/", kind: .sessionManaged),
        Rule(host: "seller.wildberries.ru", methods: any, pathPrefix: "/ns/suppliers/suppliers-portal-core/suppliers", kind: .noArticleData),
        Rule(host: "seller.wildberries.ru", methods: any, pathPrefix: "/ns/passport-portal/", kind: .noArticleData),
        Rule(host: "seller.wildberries.ru", methods: any, pathPrefix: "/ns/abac/", kind: .noArticleData),
        // The SSO host logs in and refreshes: only the proxy talks to it (an answer there carries WB's tokens).
        Rule(host: "seller-auth.wildberries.ru", methods: any, pathPrefix: "/", kind: .denied),
        Rule(host: "seller-services.wildberries.ru", methods: any, pathPrefix: "/", kind: .noArticleData),
        Rule(host: "passport.wildberries.ru", methods: any, pathPrefix: "/", kind: .noArticleData),
        Rule(host: "antibot.wildberries.ru", methods: any, pathPrefix: "/", kind: .noArticleData),
        Rule(host: "seller-communications.wildberries.ru", methods: any, pathPrefix: "/ns/notifications/", kind: .noArticleData),
        // Article data.
        Rule(
            host: "seller-content.wildberries.ru",
            methods: any,
            pathPrefix: "/ns/viewer/content-card/",
            kind: .articles(counters: [Counter(path: ["data", "cursor", "total"], of: ["data", "cards"])], cursors: [["data", "cursor"]])
        ),
        Rule(
            host: "seller-content.wildberries.ru",
            methods: any,
            pathPrefix: "/ns/source/content-card/",
            kind: .articles(counters: [], mutating: true)
        ),
        Rule(
            host: "seller-content.wildberries.ru",
            methods: any,
            pathPrefix: "/ns/analytics-api/content-analytics/",
            kind: .articles(counters: [Counter(path: ["data", "total"], of: ["data", "products"])])
        ),
        Rule(host: "seller-weekly-report.wildberries.ru", methods: any, pathPrefix: "/ns/realization-reports/", kind: .articles(counters: [])),
        Rule(
            host: "seller-weekly-report.wildberries.ru",
            methods: reads,
            pathPrefix: "/ns/realization-reports/suppliers-portal-analytics/api/v1/balance",
            kind: .balance
        ),
        Rule(host: "seller-weekly-report.wildberries.ru", methods: any, pathPrefix: "/ns/shifts/", kind: .articles(counters: [])),
        Rule(host: "seller-supply.wildberries.ru", methods: any, pathPrefix: "/ns/", kind: .articles(counters: [], mutating: true)),
        Rule(
            host: "seller-supply.wildberries.ru",
            methods: any,
            pathPrefix: "/ns/sm-draft/supply-manager/api/v1/draft/listDrafts",
            kind: .articles(counters: [Counter(path: ["total"], of: ["drafts"])])
        ),
        Rule(host: "seller-communications.wildberries.ru", methods: any, pathPrefix: "/ns/", kind: .articles(counters: [])),
        Rule(
            host: "seller-communications.wildberries.ru",
            methods: reads,
            pathPrefix: "/ns/feedbacks/",
            kind: .articles(counters: [Counter(path: ["data", "countUnanswered"], of: ["data", "feedbacks"])])
        ),
        Rule(
            host: "seller-communications.wildberries.ru",
            methods: reads,
            pathPrefix: "/ns/questions/",
            kind: .articles(counters: [Counter(path: ["data", "countUnanswered"], of: ["data", "questions"])])
        ),
        Rule(host: "seller-analytics.wildberries.ru", methods: any, pathPrefix: "/", kind: .articles(counters: [])),
        Rule(host: "discounts-prices.wildberries.ru", methods: any, pathPrefix: "/", kind: .articles(counters: [], mutating: true)),
        Rule(host: "cmp.wildberries.ru", methods: any, pathPrefix: "/api/", kind: .articles(counters: [], mutating: true)),
        Rule(
            host: "cmp.wildberries.ru",
            methods: reads,
            pathPrefix: "/api/v5/adv/campaigns",
            kind: .articles(counters: [Counter(path: ["total"], of: ["adverts"])])
        ),
        Rule(host: "cmp.wildberries.ru", methods: reads, pathPrefix: "/", kind: .noArticleData),
        // Card images and media: every basket host (`basket-NN`, `static-basket-NN`), by the nmId in the path.
        Rule(host: Self.basketHost, methods: reads, pathPrefix: "/", kind: .articlePath),
        Rule(host: Self.staticBasketHost, methods: reads, pathPrefix: "/", kind: .articlePath),
    ]

    /// How the numbered basket hosts appear in the table.
    static let basketHost = "basket-NN.wbbasket.ru"
    static let staticBasketHost = "static-basket-NN.wbbasket.ru"

    /// The table's name of a host: numbered basket hosts by their pattern, others as they are.
    static func tableHost(_ host: String) -> String {
        for (hostPrefix, hostSuffix, _) in PortalHosts.numbered where host.hasPrefix(hostPrefix) && host.hasSuffix(hostSuffix) {
            let number = host.dropFirst(hostPrefix.count).dropLast(hostSuffix.count)
            if !number.isEmpty, number.allSatisfy(\.isNumber) { return hostPrefix + "NN" + hostSuffix }
        }
        return host
    }

    /// The nmId a media path names (`/vol{nm/100000}/part{nm/1000}/{nm}/…`), only when the three agree.
    static func articleInPath(_ path: String) -> Int64? {
        let parts = path.split(separator: "/")
        guard parts.count >= 3 else { return nil }
        for index in 0..<(parts.count - 2) where parts[index].hasPrefix("vol") && parts[index + 1].hasPrefix("part") {
            guard let vol = Int64(parts[index].dropFirst(3)), let part = Int64(parts[index + 1].dropFirst(4)), let nm = Int64(parts[index + 2]),
                nm > 0, vol == nm / 100_000, part == nm / 1000
            else { return nil }
            return nm
        }
        return nil
    }

    /// The rule for a request (`nil`: denied).
    static func rule(method: String, host: String, path: String) -> Rule? {
        let method = method.uppercased()
        let host = tableHost(host)
        let best =
            rules
            .filter { $0.host == host && path.hasPrefix($0.pathPrefix) && ($0.methods?.contains(method) ?? true) }
            .max { $0.pathPrefix.count < $1.pathPrefix.count }
        guard let best, best.kind != .denied else { return nil }
        return best
    }
}
