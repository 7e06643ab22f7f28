/// Removes from a WB response everything about articles (nmId) the user is not assigned.
///
/// Ownership is read from the data itself, wherever it sits: an object with an article key (`nmId`, `nmID`,
/// `nm_id`, …) naming an unassigned article belongs to that article, and so does every object that contains it,
/// up to the nearest array — the array element goes (a funnel row whose `product.nmId` is not assigned goes with
/// its `statistic`), and so does an element that named only unassigned articles in its inner lists (a campaign whose
/// `nm_settings` all went). Lists of article ids (`nmIds: […]`) keep the assigned ones. An article key whose value is not
/// an id (`"abc"`, an object) makes its owner go too: what the filter cannot read does not pass. The response as a
/// whole belonging to an unassigned article is refused. JSON-RPC batches are filtered element by element, an
/// element whose result is refused becomes a JSON-RPC error, so the batch keeps its shape. A last pass over the
/// output checks that no unassigned article is mentioned anywhere; if one were, the response is refused.
///
/// Responses are filtered on their bytes (``apply(bytes:counters:cursors:)``, a token tape, what stays copied as WB
/// wrote it); the same rules on a parsed tree live with the tests as the reference the fast path is held to. Requests
/// are read into ``JSONNode`` trees (they are small): ``openCursors(_:)``, ``unassignedMentions(in:)``.
struct ArticleFilter: Sendable {
    /// The user's articles this month.
    let assigned: Set<Int64>
    /// Seals article ids in paging cursors (nil: cursor ids are removed).
    let seal: CursorSeal?

    init(assigned: Set<Int64>, seal: CursorSeal? = nil) {
        self.assigned = assigned
        self.seal = seal
    }

    /// Whether `key` names an article id or a list of them.
    static func isArticleKey(_ key: String) -> Bool {
        let folded = key.lowercased().filter { $0 != "_" && $0 != "-" }
        return folded == "nmid" || folded == "nmids"
    }

    /// An article id from a JSON number or a numeric string (`178231456`, `"178231456"`, `1.78231456E8`).
    static func articleID(_ node: JSONNode) -> Int64? {
        switch node {
        case .number(let text), .string(let text):
            if let value = Int64(text) { return value }
            if let value = Double(text), value.isFinite, value.rounded() == value, abs(value) < 9.0e15 { return Int64(value) }
            return nil
        default: return nil
        }
    }

    /// A request as WB must see it: sealed cursors the browser sends back opened again (an unknown seal is left as
    /// it is, and WB rejects it as a bad cursor).
    func openCursors(_ node: JSONNode) -> JSONNode {
        switch node {
        case .array(let items): return .array(items.map(openCursors))
        case .object(let pairs):
            return .object(
                pairs.map { pair in
                    if Self.isArticleKey(pair.key), case .string(let token) = pair.value, let id = seal?.open(token) {
                        return (pair.key, .number(String(id)))
                    }
                    return (pair.key, openCursors(pair.value))
                }
            )
        default: return node
        }
    }

    /// Every article a request names that the user is not assigned (a mutating request naming one is refused
    /// before it reaches WB).
    func unassignedMentions(in node: JSONNode) -> Set<Int64> {
        var found: Set<Int64> = []
        collect(node, into: &found)
        return found
    }

    private func collect(_ node: JSONNode, into found: inout Set<Int64>) {
        switch node {
        case .array(let items): for item in items { collect(item, into: &found) }
        case .object(let pairs):
            for pair in pairs {
                if Self.isArticleKey(pair.key) {
                    let ids: [JSONNode] = if case .array(let list) = pair.value { list } else { [pair.value] }
                    for id in ids where id != .null {
                        let value = Self.articleID(id) ?? -1
                        if !assigned.contains(value) { found.insert(value) }
                    }
                } else {
                    collect(pair.value, into: &found)
                }
            }
        default: break
        }
    }
}

/// A count in a response that must agree with what the filter left: `path` is set to the length of the array at
/// `of` (both as key paths from the response root, or from a JSON-RPC `result`).
struct Counter: Sendable, Equatable {
    let path: [String]
    let of: [String]

}

extension JSONNode {
    /// The value at a key path.
    func at(_ path: [String]) -> JSONNode? {
        var node: JSONNode? = self
        for key in path { node = node?[key] }
        return node
    }

}
