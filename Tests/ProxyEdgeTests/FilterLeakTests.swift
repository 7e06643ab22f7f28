import FleetCore
import Foundation
import Testing

@testable import ProxyEdge

/// At least 10,000 generated responses of every documented shape, varied the way real responses vary: extra
/// nesting, missing fields, nulls, numbers as strings and in exponent form, JSON-RPC batches, empty and huge arrays.
/// Through the filter: no unassigned nmId in any output, and no assigned one lost.
@Suite("the article filter, by generation: 0 unassigned nmIds out, no assigned one lost")
struct FilterLeakTests {
    /// Article ids live in 500,000,000–500,000,999; every other number the generator writes is below 1,000,000, so
    /// an id can be found in the output text by its digits alone.
    static let universe: [Int64] = (0..<1000).map { 500_000_000 + $0 }

    struct Generator {
        var random: SplitMix64
        let assigned: Set<Int64>

        mutating func int(_ range: Range<Int>) -> Int { Int(random.next() % UInt64(range.count)) + range.lowerBound }
        mutating func chance(_ p: Double) -> Bool { random.unit() < p }

        mutating func id() -> Int64 { FilterLeakTests.universe[int(0..<FilterLeakTests.universe.count)] }

        /// An id written as WB might: a number, a numeric string, or exponent form.
        mutating func idNode(_ id: Int64) -> JSONNode {
            switch int(0..<4) {
            case 0: .string(String(id))
            case 1: .number(String(format: "%.8E", Double(id)))
            default: .number(String(id))
            }
        }

        mutating func key(_ names: [String]) -> String { names[int(0..<names.count)] }

        mutating func filler() -> JSONNode {
            switch int(0..<5) {
            case 0: .null
            case 1: .number(String(int(0..<999_999)))
            case 2: .string("t\(int(0..<1000))")
            case 3: .bool(chance(0.5))
            default: .object([("price", .number(String(int(0..<100_000)))), ("name", .string("Кристалл \(int(0..<99))"))])
            }
        }

        /// One element of a documented list, owned by `id`.
        mutating func element(_ id: Int64, shape: Int) -> JSONNode {
            var pairs: [(key: String, value: JSONNode)] = []
            for _ in 0..<int(0..<4) { pairs.append(("f\(int(0..<50))", filler())) }
            switch shape {
            case 0: pairs.append((key(["nmID", "nmId", "nm_id"]), idNode(id)))  // cards, prices, orders
            case 1: pairs.append(("product", .object([("nmId", idNode(id)), ("title", .string("x"))])))  // funnel
            case 2: pairs.append(("productDetails", .object([("nmId", idNode(id)), ("imtId", .number("7"))])))  // feedbacks
            default:
                // A campaign: several nm_settings, some maybe unassigned.
                var settings: [JSONNode] = [.object([("nm_id", idNode(id))])]
                for _ in 0..<int(0..<3) { settings.append(.object([("nm_id", idNode(self.id()))])) }
                pairs.append(("nm_settings", .array(settings)))
            }
            if chance(0.1) { pairs.append(("nmIds", .array((0..<int(0..<4)).map { _ in idNode(self.id()) }))) }
            pairs.shuffle(using: &random)
            return .object(pairs)
        }

        mutating func response() -> JSONNode {
            let shape = int(0..<4)
            let count = chance(0.02) ? int(500..<3000) : int(0..<40)
            var items: [JSONNode] = (0..<count).map { _ in element(self.id(), shape: shape) }
            if chance(0.05) { items.append(.null) }
            var body: JSONNode = .array(items)
            for _ in 0..<int(0..<4) {  // wrappers: data, result, nested levels
                body = .object([(key(["data", "result", "cards", "listGoods", "products", "adverts", "feedbacks"]), body), ("error", .bool(false))])
            }
            if chance(0.15) {
                let rpc: (JSONNode, Int) -> JSONNode = { result, n in
                    .object([("jsonrpc", .string("2.0")), ("id", .string("json-rpc_\(n)")), ("result", result)])
                }
                return .array((0..<int(1..<4)).map { n in rpc(n == 0 ? body : .object([("nmId", .number(String(500_000_000 + n)))]), n) })
            }
            return body
        }
    }

    /// Ids mentioned anywhere in `text`, found by their digits (or their exponent form).
    static func ids(in node: JSONNode) -> Set<Int64> {
        var found: Set<Int64> = []
        func walk(_ node: JSONNode) {
            switch node {
            case .array(let items): for item in items { walk(item) }
            case .object(let pairs): for pair in pairs { walk(pair.value) }
            case .number, .string:
                if let value = ArticleFilter.articleID(node), value >= 500_000_000, value < 500_001_000 { found.insert(value) }
            default: break
            }
        }
        walk(node)
        return found
    }

    /// Assigned ids the filter must keep: those of elements owned by an assigned id, and assigned ids in lists of
    /// kept elements.
    @Test("10,000 generated responses")
    func generated() throws {
        var random = SplitMix64(seed: 20_261_204)
        var leaks = 0
        var lost = 0
        var refused = 0
        var checked = 0
        var mismatches = 0
        for round in 0..<10_000 {
            let assigned = Set(Self.universe.filter { _ in random.unit() < 0.3 })
            var generator = Generator(random: SplitMix64(seed: random.next()), assigned: assigned)
            let input = generator.response()
            let filter = ArticleFilter(assigned: assigned, seal: nil)
            // Through the wire format too: what the proxy reads is bytes.
            let wire = JSONCodec.write(input)
            let parsed = try JSONCodec.parse(wire)
            // The fast path (what the proxy runs) answers exactly what the tree filter answers.
            let tree = filter.apply(parsed)
            let fast = try filter.apply(bytes: wire)
            switch (tree, fast) {
            case (.refused, .refused): break
            case (.filtered(let expected), .filtered(let bytes)):
                if try JSONCodec.parse(bytes) != expected {
                    mismatches += 1
                    Issue.record("round \(round): the fast path wrote \(String(decoding: bytes.prefix(300), as: UTF8.self))")
                }
            default:
                mismatches += 1
                Issue.record("round \(round): tree \(tree == .refused ? "refused" : "filtered"), fast the other")
            }
            switch tree {
            case .refused:
                refused += 1
            case .filtered(let output):
                checked += 1
                let out = Self.ids(in: try JSONCodec.parse(JSONCodec.write(output)))
                if !out.isSubset(of: assigned) {
                    leaks += 1
                    Issue.record("round \(round): unassigned \(out.subtracting(assigned).sorted().prefix(5)) in the output")
                }
                // Every element owned by an assigned id stays: its owning id is still there.
                let owners = Self.owners(parsed).filter { assigned.contains($0) }
                if !Set(owners).isSubset(of: out) {
                    lost += 1
                    Issue.record("round \(round): assigned \(Set(owners).subtracting(out).sorted().prefix(5)) lost")
                }
            }
            if leaks + lost + mismatches > 5 { break }
        }
        #expect(leaks == 0 && lost == 0 && mismatches == 0)
        #expect(checked > 8_000, "most generated responses are filtered, not refused (\(refused) refused)")
    }

    /// The ids that own the elements of every array in `node` (an element's own top-level article key, or that of its
    /// `product`/`productDetails`, or the first of its `nm_settings`).
    static func owners(_ node: JSONNode) -> [Int64] {
        var result: [Int64] = []
        func owner(_ element: JSONNode) -> Int64? {
            guard case .object(let pairs) = element else { return nil }
            for pair in pairs where ArticleFilter.isArticleKey(pair.key) && pair.key.lowercased().filter({ $0 != "_" }) == "nmid" {
                return ArticleFilter.articleID(pair.value)
            }
            if let inner = element["product"] ?? element["productDetails"], let id = inner["nmId"].flatMap(ArticleFilter.articleID) { return id }
            return nil
        }
        func walk(_ node: JSONNode, inRPCResult: Bool) {
            switch node {
            case .array(let items):
                for item in items {
                    // A JSON-RPC element's own result object may be owned at its root: then the element is refused.
                    if let id = owner(item), !(item["jsonrpc"] != nil) { result.append(id) }
                    walk(item, inRPCResult: inRPCResult)
                }
            case .object(let pairs):
                for pair in pairs where !ArticleFilter.isArticleKey(pair.key) { walk(pair.value, inRPCResult: inRPCResult) }
            default: break
            }
        }
        walk(node, inRPCResult: false)
        return result
    }
}
