/// The article filter timed on one page against pass-through (what an endpoint without article data costs: the URL
/// rewriting pass over the same bytes), for `joycity bench proxy`.
public enum FilterBenchmark {
    /// One run's figures.
    public struct Timing: Sendable {
        /// The proxy's filter (read into a tape, filtered, counters fixed, cursor sealed, the final check) and the
        /// URL rewriting of what is left, per round.
        public var filter: [Duration]
        /// The URL rewriting pass, per round.
        public var passThrough: [Duration]
        /// Cards on the page, and cards left for the user.
        public var cards: Int
        public var kept: Int
    }

    /// A cards list page (`tableListv6` shape) of about `bytes` bytes; every `assignedEvery`-th card is the user's.
    public static func cardsPage(bytes target: Int, assignedEvery: Int) -> (body: [UInt8], assigned: Set<Int64>, cards: Int) {
        var body = Array(#"{"data":{"cards":["#.utf8)
        var assigned = Set<Int64>()
        var count = 0
        while body.count < target {
            let nm = 100_000_000 + Int64(count) * 7
            if count % assignedEvery == 0 { assigned.insert(nm) }
            if count > 0 { body.append(UInt8(ascii: ",")) }
            let card =
                #"{"nmID":\#(nm),"imtID":\#(nm + 3),"vendorCode":"KR-\#(count)","title":"Платье летнее \#(count)","brand":"Кристалл","#
                + #""photos":[{"big":"https://basket-01.wbbasket.ru/vol\#(count)/big/1.webp","small":"https://basket-01.wbbasket.ru/vol\#(count)/c246x328/1.webp"}],"#
                + #""sizes":[{"techSize":"42","skus":["46\#(nm)"],"price":"2490.00"},{"techSize":"44","skus":["47\#(nm)"],"price":2490}],"#
                + #""updatedAt":"2026-12-01T10:00:00Z","tags":[],"needKiz":false}"#
            body += Array(card.utf8)
            count += 1
        }
        body += Array(
            #"],"cursor":{"updatedAt":"2026-12-01T10:00:00Z","nmID":\#(100_000_000 + Int64(count - 1) * 7),"total":\#(count)}},"error":false,"errorText":"","additionalErrors":null}"#
                .utf8
        )
        return (body, assigned, count)
    }

    /// Times `rounds` filter passes and `rounds` pass-through passes over `body`, alternating.
    public static func measure(body: [UInt8], assigned: Set<Int64>, rounds: Int, key: [UInt8] = Array(repeating: 7, count: 32)) -> Timing {
        let filter = ArticleFilter(assigned: assigned, seal: CursorSeal(key: key))
        let rule = FilterRules.rule(method: "POST", host: "seller-content.wildberries.ru", path: "/ns/viewer/content-card/viewer/tableListv6")
        guard case .articles(let counters, let cursors, _)? = rule?.kind else { preconditionFailure("the cards rule is not an article rule") }
        let clock = ContinuousClock()
        var timing = Timing(filter: [], passThrough: [], cards: 0, kept: 0)
        for _ in 0..<rounds {
            var out: [UInt8] = []
            timing.filter.append(
                clock.measure {
                    // What the proxy does with an article answer: the fast path, then the URLs of what is left.
                    if case .filtered(let kept)? = try? filter.apply(bytes: body, counters: counters, cursors: cursors) {
                        out = URLRewriter.rewrite(kept)
                    }
                }
            )
            precondition(!out.isEmpty, "the benchmark page was refused")
            var rewritten: [UInt8] = []
            timing.passThrough.append(clock.measure { rewritten = URLRewriter.rewrite(body) })
            precondition(!rewritten.isEmpty)
        }
        if case .filtered(let kept)? = try? filter.apply(bytes: body, counters: counters, cursors: cursors),
            case .array(let cards)? = (try? JSONCodec.parse(kept))?.at(["data", "cards"])
        {
            timing.kept = cards.count
        }
        return timing
    }
}
