@testable import ProxyEdge

/// The article filter's reference: the rules of ``ArticleFilter`` worked on a parsed tree, plainly. The proxy runs the
/// fast path (``ArticleFilter/apply(bytes:counters:cursors:)``); the tests hold it to this one, shape by shape and on
/// 10,000 generated responses.
extension ArticleFilter {
    /// What became of a response.
    enum Outcome: Equatable {
        /// The filtered value.
        case filtered(JSONNode)
        /// The response is about an unassigned article as a whole (or could not be shown safely).
        case refused
    }

    /// Seals the article ids of the paging cursors at `cursors` (key paths), filters `root`, then fixes the
    /// declared counters so totals agree with what is left.
    func apply(_ root: JSONNode, counters: [Counter] = [], cursors: [[String]] = []) -> Outcome {
        var root = root
        for path in cursors { root = sealCursor(root, at: path) }
        let filtered: JSONNode?
        if case .array(let items) = root, !items.isEmpty, items.allSatisfy({ $0["jsonrpc"] != nil }) {
            filtered = .array(items.map { rpc($0, counters: counters) })
        } else if root["jsonrpc"] != nil {
            filtered = rpc(root, counters: counters)
        } else {
            filtered = filter(root).map { Counter.apply(counters, to: $0) }
        }
        guard let filtered, !mentionsUnassigned(filtered) else { return .refused }
        return .filtered(filtered)
    }

    /// One JSON-RPC response: its `result` filtered, or an error in its place.
    func rpc(_ response: JSONNode, counters: [Counter]) -> JSONNode {
        guard case .object(var pairs) = response else { return response }
        guard let index = pairs.firstIndex(where: { $0.key == "result" }) else { return filter(response) ?? Self.refusedRPC(response) }
        guard let result = filter(pairs[index].value) else { return Self.refusedRPC(response) }
        pairs[index].value = Counter.apply(counters, to: result)
        return .object(pairs)
    }

    static func refusedRPC(_ response: JSONNode) -> JSONNode {
        .object([
            ("jsonrpc", .string("2.0")), ("id", response["id"] ?? .null),
            ("error", .object([("code", .number("403")), ("message", .string("not one of your articles this month"))])),
        ])
    }

    /// The cursor object at `path` (from the root, or from each JSON-RPC `result`) with its article ids sealed.
    func sealCursor(_ node: JSONNode, at path: [String]) -> JSONNode {
        if case .array(let items) = node, items.contains(where: { $0["jsonrpc"] != nil }) {
            return .array(items.map { sealCursor($0, at: path) })
        }
        if node["jsonrpc"] != nil, let result = node["result"] { return node.setting(["result"], to: sealCursor(result, at: path)) }
        guard case .object(let pairs)? = node.at(path) else { return node }
        let sealed: [(key: String, value: JSONNode)] = pairs.compactMap { pair in
            guard Self.isArticleKey(pair.key), let id = Self.articleID(pair.value) else { return pair }
            guard let seal else { return nil }
            return (pair.key, .string(seal.seal(id)))
        }
        return node.setting(path, to: .object(sealed))
    }

    /// The node with unassigned articles removed; nil when the node itself belongs to one.
    func filter(_ node: JSONNode) -> JSONNode? {
        switch node {
        case .array(let items):
            return .array(
                items.compactMap { item in
                    guard let kept = filter(item) else { return nil }
                    // An element that was about articles, none of them assigned (a campaign whose nm_settings all
                    // went), goes too.
                    if case .object = item, Self.mentionsArticles(item), !Self.mentionsArticles(kept) { return nil }
                    return kept
                }
            )
        case .object(let pairs):
            var kept: [(key: String, value: JSONNode)] = []
            kept.reserveCapacity(pairs.count)
            for pair in pairs {
                if Self.isArticleKey(pair.key) {
                    switch pair.value {
                    case .null:
                        kept.append(pair)
                    case _ where CursorSeal.isSealed(pair.value):
                        kept.append(pair)
                    case .array(let ids):
                        var assignedIDs: [JSONNode] = []
                        for id in ids {
                            guard let value = Self.articleID(id) else { return nil }  // not an id: unreadable, so not shown
                            if assigned.contains(value) { assignedIDs.append(id) }
                        }
                        kept.append((pair.key, .array(assignedIDs)))
                    default:
                        guard let value = Self.articleID(pair.value), assigned.contains(value) else { return nil }
                        kept.append(pair)
                    }
                } else {
                    guard let value = filter(pair.value) else { return nil }
                    kept.append((pair.key, value))
                }
            }
            return .object(kept)
        default:
            return node
        }
    }

    /// Whether any article key anywhere in `node` names an article (empty lists and nulls name none).
    static func mentionsArticles(_ node: JSONNode) -> Bool {
        switch node {
        case .array(let items): return items.contains { mentionsArticles($0) }
        case .object(let pairs):
            return pairs.contains { pair in
                if isArticleKey(pair.key) {
                    switch pair.value {
                    case .null: return false
                    case .array(let ids): return !ids.isEmpty
                    default: return true
                    }
                }
                return mentionsArticles(pair.value)
            }
        default: return false
        }
    }

    /// Whether any article key anywhere in `node` names an unassigned (or unreadable) article.
    func mentionsUnassigned(_ node: JSONNode) -> Bool {
        switch node {
        case .array(let items): return items.contains { mentionsUnassigned($0) }
        case .object(let pairs):
            for pair in pairs {
                if Self.isArticleKey(pair.key) {
                    switch pair.value {
                    case .null: continue
                    case _ where CursorSeal.isSealed(pair.value): continue
                    case .array(let ids):
                        if ids.contains(where: { Self.articleID($0).map { !assigned.contains($0) } ?? true }) { return true }
                    default:
                        guard let value = Self.articleID(pair.value), assigned.contains(value) else { return true }
                    }
                } else if mentionsUnassigned(pair.value) {
                    return true
                }
            }
            return false
        default: return false
        }
    }
}

extension Counter {
    static func apply(_ counters: [Counter], to node: JSONNode) -> JSONNode {
        var node = node
        for counter in counters {
            guard case .array(let items)? = node.at(counter.of), node.at(counter.path) != nil else { continue }
            node = node.setting(counter.path, to: .number(String(items.count)))
        }
        return node
    }
}

extension JSONNode {
    /// A copy with the value at an existing key path replaced.
    func setting(_ path: [String], to value: JSONNode) -> JSONNode {
        guard let first = path.first else { return value }
        guard case .object(var pairs) = self, let index = pairs.firstIndex(where: { $0.key == first }) else { return self }
        pairs[index].value = pairs[index].value.setting(Array(path.dropFirst()), to: value)
        return .object(pairs)
    }
}
