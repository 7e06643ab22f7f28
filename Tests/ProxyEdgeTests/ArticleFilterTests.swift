import FleetCore
import Foundation
import Testing

@testable import ProxyEdge

@Suite("the article filter: documented WB shapes, JSON-RPC batches, cursors, counters, fail closed")
struct ArticleFilterTests {
    static let filter = ArticleFilter(assigned: [178_231_456, 231_906_114], seal: CursorSeal(key: Array(repeating: 9, count: 32)))

    /// Runs the proxy's fast path, and checks it against the tree filter (the reference): the same refusals, the same
    /// values (sealed cursors compared by what they open to: every seal has a fresh nonce).
    static func run(_ json: String, counters: [Counter] = [], cursors: [[String]] = []) throws -> String? {
        let node = try JSONCodec.parse(Array(json.utf8))
        let tree = filter.apply(node, counters: counters, cursors: cursors)
        let fast = try filter.apply(bytes: Array(json.utf8), counters: counters, cursors: cursors)
        switch (tree, fast) {
        case (.refused, .refused): return nil
        case (.filtered(let expected), .filtered(let bytes)):
            let got = try JSONCodec.parse(bytes)
            #expect(Self.opened(got) == Self.opened(expected), "fast \(String(decoding: bytes, as: UTF8.self))")
            return String(decoding: bytes, as: UTF8.self)
        default:
            Issue.record("the tree filter and the fast path disagree on \(json.prefix(80))")
            return nil
        }
    }

    /// `node` with every sealed cursor replaced by what it opens to.
    static func opened(_ node: JSONNode) -> JSONNode {
        switch node {
        case .array(let items): return .array(items.map(opened))
        case .object(let pairs): return .object(pairs.map { ($0.key, opened($0.value)) })
        case .string(let text) where CursorSeal.isSealed(node): return .string("opened:\(filter.seal?.open(text) ?? -1)")
        default: return node
        }
    }

    @Test("cards list: unassigned cards go, the total agrees, the cursor's nmID is sealed and opens again")
    func cards() throws {
        let json = """
            {"data":{"cards":[{"nmID":178231456,"vendorCode":"KR-PLAT-01","sizes":[{"chrtID":1,"skus":["460"]}]},
            {"nmID":209455871,"vendorCode":"KR-SWT-22"},{"nmID":231906114,"vendorCode":"KR-BAG-07"}],
            "cursor":{"updatedAt":"2026-12-01T10:00:00Z","nmID":209455871,"total":3}},"error":false}
            """
        let rule = try #require(
            FilterRules.rule(method: "POST", host: "seller-content.wildberries.ru", path: "/ns/viewer/content-card/viewer/tableListv6")
        )
        guard case .articles(let counters, let cursors, _) = rule.kind else {
            Issue.record("not an article rule")
            return
        }
        let out = try #require(try Self.run(json, counters: counters, cursors: cursors))
        #expect(!out.contains("209455871") && out.contains("178231456") && out.contains("231906114"))
        #expect(out.contains(#""total":2"#))
        let node = try JSONCodec.parse(Array(out.utf8))
        guard case .string(let token)? = node.at(["data", "cursor", "nmID"]) else {
            Issue.record("no sealed cursor in \(out)")
            return
        }
        #expect(Self.filter.seal?.open(token) == 209_455_871)
        // The browser sends the cursor back: WB gets the id again.
        let request = try JSONCodec.parse(Array(#"{"settings":{"cursor":{"limit":100,"nmID":"\#(token)"}}}"#.utf8))
        #expect(Self.filter.openCursors(request).at(["settings", "cursor", "nmID"]) == .number("209455871"))
        let forged = try JSONCodec.parse(Array(#"{"nmID":"nmc:forged"}"#.utf8))
        #expect(Self.filter.openCursors(forged).at(["nmID"]) == .string("nmc:forged"))
    }

    @Test("prices, funnel, feedbacks, questions, FBS orders: each element goes with its article; numbers as strings count")
    func documentedShapes() throws {
        let cases: [(String, [String], [String])] = [
            (
                #"{"data":{"listGoods":[{"nmID":178231456,"sizes":[{"price":1000}]},{"nmID":"209455871","sizes":[]}]}}"#,
                ["178231456"], ["209455871"]
            ),
            (
                #"{"data":{"products":[{"product":{"nmId":231906114,"title":"Сумка"},"statistic":{"selected":{"orderCount":3}}},{"product":{"nmId":209455871},"statistic":{"selected":{"orderSum":99999}}}]}}"#,
                ["231906114"], ["209455871", "99999"]
            ),
            (
                #"{"data":{"feedbacks":[{"id":"a","productDetails":{"nmId":209455871,"productName":"Свитер"}},{"id":"b","productDetails":{"nmId":178231456}}],"countUnanswered":2},"error":false}"#,
                ["178231456"], ["209455871", "Свитер"]
            ),
            (#"{"data":{"questions":[{"productDetails":{"nmId":1.78231456E8}},{"productDetails":{"nmId":"x"}}]}}"#, ["1.78231456E8"], ["\"x\""]),
            (#"{"orders":[{"nmId":209455871,"rid":"r1"},{"nmId":231906114,"rid":"r2"}],"next":5}"#, ["r2"], ["r1"]),
        ]
        for (json, kept, gone) in cases {
            let out = try #require(try Self.run(json), "\(json)")
            for text in kept { #expect(out.contains(text), "\(text) kept in \(out)") }
            for text in gone { #expect(!out.contains(text), "\(text) gone from \(out)") }
        }
    }

    @Test("ad campaigns: a campaign with no assigned nm_settings disappears; a mixed one keeps only its assigned ones")
    func campaigns() throws {
        let json = """
            {"adverts":[{"id":1,"nm_settings":[{"nm_id":209455871,"bids_kopecks":{"search":500}}]},
            {"id":2,"nm_settings":[{"nm_id":178231456},{"nm_id":209455871}]},{"id":3,"nm_settings":[]}]}
            """
        let out = try #require(try Self.run(json))
        let node = try JSONCodec.parse(Array(out.utf8))
        guard case .array(let adverts)? = node["adverts"] else {
            Issue.record("no adverts")
            return
        }
        // Campaign 1 belonged to an unassigned article only. Campaign 3 names none: it carries no article data.
        #expect(adverts.map { $0["id"] } == [.number("2"), .number("3")])
        #expect(!out.contains("209455871"))
    }

    @Test("JSON-RPC batches element by element: a refused result becomes an error with its id, the batch keeps its shape")
    func rpcBatch() throws {
        let json = """
            [{"jsonrpc":"2.0","id":"json-rpc_1","result":{"nmId":209455871,"price":5}},
             {"jsonrpc":"2.0","id":"json-rpc_2","result":{"cards":[{"nmID":178231456},{"nmID":209455871}]}}]
            """
        let out = try #require(try Self.run(json))
        let node = try JSONCodec.parse(Array(out.utf8))
        guard case .array(let items) = node else {
            Issue.record("not a batch: \(out)")
            return
        }
        #expect(items.count == 2)
        #expect(items[0]["id"] == .string("json-rpc_1") && items[0]["error"]?["code"] == .number("403") && items[0]["result"] == nil)
        #expect(items[1].at(["result", "cards"]) == .array([.object([("nmID", .number("178231456"))])]))
    }

    @Test("a response about one unassigned article is refused; lists of ids keep the assigned; requests naming others are caught")
    func wholeAndLists() throws {
        #expect(try Self.run(#"{"data":{"nmId":209455871,"title":"x"}}"#) == nil)
        #expect(try Self.run(#"{"nmIds":[209455871,178231456,"231906114"]}"#) == #"{"nmIds":[178231456,"231906114"]}"#)
        #expect(try Self.run(#"{"nmIds":[178231456,{"a":1}]}"#) == nil, "an id list with something else in it is not shown")
        let request = try JSONCodec.parse(Array(#"{"data":[{"nmID":178231456,"price":1},{"nmID":209455871,"price":2}]}"#.utf8))
        #expect(Self.filter.unassignedMentions(in: request) == [209_455_871])
        let unreadable = try JSONCodec.parse(Array(#"{"nmId":"abc"}"#.utf8))
        #expect(Self.filter.unassignedMentions(in: unreadable) == [-1])
    }

    @Test("bodies the filter cannot read are refused, never passed: truncated, not JSON, bad UTF-8, too deep")
    func unreadable() {
        for body in [
            #"{"data":{"cards":[{"nmID":1"#, "<html>", #"{"a":"\#u{1}"}"#, String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        ] {
            #expect(throws: JSONSyntaxError.self, "\(body.prefix(40))") { try JSONCodec.parse(Array(body.utf8)) }
            #expect(throws: JSONSyntaxError.self, "\(body.prefix(40))") { try JSONTape(Array(body.utf8)) }
        }
        #expect(throws: JSONSyntaxError.self) { try JSONCodec.parse([0x22, 0xFF, 0xFE, 0x22]) }
        #expect(throws: JSONSyntaxError.self) { try JSONTape([0x22, 0xFF, 0xFE, 0x22]) }
        // UTF-8 exactly as the standard library reads it: overlong, surrogate, past U+10FFFF, cut short — and good ones.
        for bytes: [UInt8] in [
            [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], [0x22, 0xD0, 0x9F, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x22],
            Array(#""Кристалл, ровно восемь+""#.utf8),
        ] {
            let stdlib = String(validating: bytes, as: UTF8.self) != nil
            let tape = (try? JSONTape(bytes)) != nil
            let codec = (try? JSONCodec.parse(bytes)) != nil
            #expect(tape == stdlib && codec == stdlib, "\(bytes)")
        }
        // The tape reads exactly what the codec reads: escapes, surrogates, numbers, literals, whitespace.
        for body in [
            #""\ud83d\ude00""#, #""\ud83d""#, #""\ude00""#, #""\x""#, #""\u12g4""#, "01", "-", "1.", "1e", "-0.5E+3", "tru", "nul", "[1,]",
            #"{"a":1,}"#, #"{"a" 1}"#, "[1 2]", " \n[\t1 ]\r", #"{"n\u006did":1}"#, "[]", "{}", "\"\u{7F}\"",
        ] {
            let codec = (try? JSONCodec.parse(Array(body.utf8))) != nil
            let tape = (try? JSONTape(Array(body.utf8))) != nil
            #expect(codec == tape, "\(body): codec \(codec), tape \(tape)")
        }
        // What passes unchanged is the same text (numbers as written, key order kept).
        let text = #"{"b":1.50,"a":[true,null,-0.0e+1,"\u00e9\n"]}"#
        let once = try? JSONCodec.parse(Array(text.utf8))
        #expect(once != nil && (try? JSONCodec.parse(JSONCodec.write(once!))) == once)
        let number = try? JSONCodec.parse(Array(#"{"b":1.50}"#.utf8))
        #expect(number.map { String(decoding: JSONCodec.write($0), as: UTF8.self) } == #"{"b":1.50}"#)
    }
}
