import Testing

@testable import ProxyEdge

@Suite("the portal's host table and endpoint table")
struct PortalTableTests {
    @Test("every host folds into its prefix and back; baskets by number; dropped and unknown hosts are not proxied")
    func hosts() throws {
        var prefixes = Set<String>()
        for entry in PortalHosts.entries {
            #expect(prefixes.insert(entry.prefix).inserted, "prefix \(entry.prefix) used twice")
            let path = try #require(PortalHosts.proxyPath(host: entry.host, path: "/ns/x?y=1"))
            let back = try #require(PortalHosts.upstream(proxyPath: path))
            #expect(back.host == entry.host && back.path == "/ns/x?y=1" && back.treatment == entry.treatment)
        }
        #expect(PortalHosts.proxyPath(host: "basket-12.wbbasket.ru", path: "/vol1/img.webp") == "/__basket__/12/vol1/img.webp")
        #expect(PortalHosts.upstream(proxyPath: "/__static-basket__/3/a.js")?.host == "static-basket-3.wbbasket.ru")
        #expect(PortalHosts.proxyPath(host: "basket-x.wbbasket.ru", path: "/") == nil)
        #expect(PortalHosts.proxyPath(host: "cmp.wb.ru", path: "/campaigns") == "/__cmp__/campaigns")
        for host in PortalHosts.dropped { #expect(PortalHosts.proxyPath(host: host, path: "/") == nil) }
        #expect(PortalHosts.proxyPath(host: "evil.example.com", path: "/") == nil)
        #expect(PortalHosts.upstream(proxyPath: "/__nope__/x") == nil)
        #expect(PortalHosts.upstream(proxyPath: "/supplies-management/warehouses-limits")?.host == "seller.wildberries.ru")
        #expect(PortalHosts.upstream(proxyPath: "/__antibot__/challenge.js")?.treatment == .verbatim)
    }

    @Test("endpoints not in the table are denied: unknown hosts, unknown data areas of the shell, writes where only reads pass")
    func rules() {
        #expect(FilterRules.rule(method: "GET", host: "seller.wildberries.ru", path: "/stock-control")?.kind == .noArticleData)
        #expect(FilterRules.rule(method: "POST", host: "seller.wildberries.ru", path: "/ns/unknown/thing") == nil)
        #expect(FilterRules.rule(method: "GET", host: "seller.wildberries.ru", path: "/ns/unknown/thing") == nil)
        #expect(FilterRules.rule(method: "POST", host: "seller.wildberries.ru", path: "/stock-control") == nil)
        // The LK token and the SSO host are the proxy's own business: answered locally or denied, never passed.
        #expect(
            FilterRules.rule(method: "POST", host: "seller.wildberries.ru", path: "/ns/suppliers-auth/suppliers-portal-core/auth/token")?.kind
                == .sessionManaged
        )
        #expect(FilterRules.rule(method: "POST", host: "seller-auth.wildberries.ru", path: "/auth/v2/auth/slide-v3") == nil)
        #expect(FilterRules.rule(method: "GET", host: "evil.example.com", path: "/") == nil)
        #expect(FilterRules.rule(method: "DELETE", host: "cmp.wildberries.ru", path: "/campaigns") == nil)
        guard case .articles(_, _, let mutating)? = FilterRules.rule(method: "POST", host: "cmp.wildberries.ru", path: "/api/v5/words-clusters")?.kind
        else {
            Issue.record("cmp's API is not an article endpoint")
            return
        }
        #expect(mutating)
        // The rewriter looks up only hosts ending in `.ru`: every host of the table must.
        for host in PortalHosts.entries.map(\.host) + PortalHosts.dropped + PortalHosts.aliases.keys + PortalHosts.numbered.map(\.hostSuffix) {
            #expect(host.hasSuffix(".ru"), "\(host)")
        }
        // Every rule's host is a proxied host (baskets by their pattern).
        for rule in FilterRules.rules {
            let basket = rule.host == FilterRules.basketHost || rule.host == FilterRules.staticBasketHost
            #expect(basket || PortalHosts.entries.contains { $0.host == rule.host }, "\(rule.host)")
        }
        // Card images pass by the nmId in their path, which must agree with its vol and part.
        #expect(
            FilterRules.rule(method: "GET", host: "basket-12.wbbasket.ru", path: "/vol1782/part178231/178231456/images/big/1.webp")?.kind
                == .articlePath
        )
        #expect(FilterRules.rule(method: "POST", host: "basket-12.wbbasket.ru", path: "/x") == nil)
        #expect(FilterRules.articleInPath("/vol1782/part178231/178231456/images/big/1.webp") == 178_231_456)
        #expect(FilterRules.articleInPath("/vol1782/part178231/209455871/images/big/1.webp") == nil)
        #expect(FilterRules.articleInPath("/static/logo.svg") == nil && FilterRules.articleInPath("/vol1/partx/1/") == nil)
    }
}
