/// The filter's fast path: the same rules as ``ArticleFilter/apply(_:counters:cursors:)``, worked on a ``JSONTape``
/// and written by copying the bytes of what stays — subtrees without an article key in one copy each, numbers and
/// strings as WB wrote them. An element that goes is written, then cut off again. Counters are patched once the
/// array they count is written; cursors are sealed as they are written; the last check reads the output again.
extension ArticleFilter {
    /// What became of a body.
    enum BytesOutcome: Equatable {
        case filtered([UInt8])
        case refused
    }

    /// Filters a JSON body (paths of `counters` and `cursors` from the root, or from each JSON-RPC `result`).
    /// - Throws: ``JSONSyntaxError`` when the body is not JSON the filter can read (the caller refuses it).
    func apply(bytes: [UInt8], counters: [Counter] = [], cursors: [[String]] = []) throws -> BytesOutcome {
        let tape = try JSONTape(bytes)
        var writer = TapeWriter(tape: tape, filter: self, counters: counters, cursors: cursors)
        guard let out = writer.root() else { return .refused }
        // The last check, on what is about to leave.
        let check = try JSONTape(out)
        guard !TapeWriter.mentionsUnassigned(check, 0, filter: self) else { return .refused }
        return .filtered(out)
    }

    /// ``isArticleKey(_:)`` on a key's raw bytes (without quotes; an escaped key is decoded first), without
    /// allocating: `nmid` or `nmids`, case, `_` and `-` ignored.
    static func isArticleKey(bytes key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.count >= 4, key.count <= 16 else { return false }
        var matched = 0
        for byte in key {
            if byte == 0x5C {
                let quoted = [0x22] + Array(key) + [0x22]
                return isArticleKey((try? JSONCodec.parse(quoted)).flatMap(Self.text) ?? "")
            }
            if byte == 0x5F || byte == 0x2D { continue }
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            switch matched {
            case 0: guard lower == 0x6E else { return false }
            case 1: guard lower == 0x6D else { return false }
            case 2: guard lower == 0x69 else { return false }
            case 3: guard lower == 0x64 else { return false }
            case 4: guard lower == 0x73 else { return false }
            default: return false
            }
            matched += 1
        }
        return matched == 4 || matched == 5
    }

    static func text(_ node: JSONNode) -> String? {
        if case .string(let text) = node { return text }
        return nil
    }
}

/// Writes the filtered body from a tape.
struct TapeWriter {
    let tape: JSONTape
    let filter: ArticleFilter
    let counters: [Counter]
    let cursors: [[String]]
    var out: [UInt8] = []
    /// Per counter: where its number was written, and the kept length of the array it counts.
    var counterAt: [Int: Range<Int>] = [:]
    var counted: [Int: Int] = [:]
    /// Counter spots to patch, collected per JSON-RPC result (or the root) and applied at its end.
    var patches: [(range: Range<Int>, value: [UInt8])] = []
    /// Paths are followed only as deep as a counter or cursor reaches; below, no key is looked at.
    let trackedDepth: Int

    init(tape: JSONTape, filter: ArticleFilter, counters: [Counter], cursors: [[String]]) {
        self.tape = tape
        self.filter = filter
        self.counters = counters
        self.cursors = cursors
        trackedDepth = (counters.flatMap { [$0.path.count, $0.of.count] } + cursors.map(\.count)).max() ?? 0
        out.reserveCapacity(tape.bytes.count)
    }

    /// The path of a child: nil once deeper than any counter or cursor reaches.
    func child(_ path: [String]?, _ key: @autoclosure () -> String) -> [String]? {
        guard let path, path.count < trackedDepth else { return nil }
        return path + [key()]
    }

    struct Written {
        var kept: Bool
        /// An article key below named an article, in the input / in what was written.
        var namedIn: Bool
        var namedOut: Bool
    }

    /// The whole body; nil when it is refused as a whole.
    mutating func root() -> [UInt8]? {
        let tokens = tape.tokens
        if tokens[0].kind == .array, tokens[0].next > 1, children(0).allSatisfy({ isRPC($0) }) {
            out.append(0x5B)
            for (position, element) in children(0).enumerated() {
                if position > 0 { out.append(0x2C) }
                rpc(element)
            }
            out.append(0x5D)
        } else if isRPC(0) {
            rpc(0)
        } else {
            startResult()
            guard write(0, path: []).kept else { return nil }
            finishResult()
        }
        var result = out
        for patch in patches.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            result.replaceSubrange(patch.range, with: patch.value)
        }
        return result
    }

    /// The direct children of a container (an object's values' keys at even offsets: use ``members(_:)``).
    func children(_ index: Int) -> [Int] {
        var list: [Int] = []
        var child = index + 1
        let end = Int(tape.tokens[index].next)
        while child < end {
            list.append(child)
            child = Int(tape.tokens[child].next)
        }
        return list
    }

    /// An object's (key, value) token indices.
    func members(_ index: Int) -> [(key: Int, value: Int)] {
        var list: [(key: Int, value: Int)] = []
        var key = index + 1
        let end = Int(tape.tokens[index].next)
        while key < end {
            list.append((key: key, value: key + 1))
            key = Int(tape.tokens[key + 1].next)
        }
        return list
    }

    func keyText(_ key: Int) -> String {
        let token = tape.tokens[key]
        if token.flag, let node = try? JSONCodec.parse(Array(tape.bytes[Int(token.start)..<Int(token.end)])), let text = ArticleFilter.text(node) {
            return text
        }
        return String(decoding: tape.bytes[Int(token.start) + 1..<Int(token.end) - 1], as: UTF8.self)
    }

    func isArticleKey(_ key: Int) -> Bool {
        let token = tape.tokens[key]
        return tape.bytes.withUnsafeBufferPointer {
            ArticleFilter.isArticleKey(bytes: UnsafeBufferPointer(rebasing: $0[Int(token.start) + 1..<Int(token.end) - 1]))
        }
    }

    func isRPC(_ index: Int) -> Bool {
        tape.tokens[index].kind == .object && members(index).contains { keyText($0.key) == "jsonrpc" }
    }

    mutating func raw(_ index: Int) {
        let token = tape.tokens[index]
        out.append(contentsOf: tape.bytes[Int(token.start)..<Int(token.end)])
    }

    /// An article id from a number or string token (the same reading as ``ArticleFilter/articleID(_:)``).
    func articleID(_ index: Int) -> Int64? {
        let token = tape.tokens[index]
        switch token.kind {
        case .number:
            return ArticleFilter.fastID(tape.bytes, Int(token.start), Int(token.end))
                ?? ArticleFilter.articleID(.number(String(decoding: tape.bytes[Int(token.start)..<Int(token.end)], as: UTF8.self)))
        case .string:
            if !token.flag, let id = ArticleFilter.fastID(tape.bytes, Int(token.start) + 1, Int(token.end) - 1) { return id }
            guard let node = try? JSONCodec.parse(Array(tape.bytes[Int(token.start)..<Int(token.end)])) else { return nil }
            return ArticleFilter.articleID(node)
        default: return nil
        }
    }

    func isNull(_ index: Int) -> Bool {
        let token = tape.tokens[index]
        return token.kind == .literal && tape.bytes[Int(token.start)] == 0x6E
    }

    func isSealed(_ index: Int) -> Bool {
        let token = tape.tokens[index]
        guard token.kind == .string else { return false }
        if !token.flag { return tape.bytes[Int(token.start) + 1..<Int(token.end) - 1].starts(with: CursorSeal.prefix.utf8) }
        return (try? JSONCodec.parse(Array(tape.bytes[Int(token.start)..<Int(token.end)]))).map(CursorSeal.isSealed) ?? false
    }

    // MARK: JSON-RPC

    mutating func rpc(_ index: Int) {
        let mark = out.count
        let patchMark = patches.count
        guard let result = members(index).first(where: { keyText($0.key) == "result" }) else {
            startResult()
            if !write(index, path: []).kept {
                out.removeSubrange(mark...)
                patches.removeSubrange(patchMark...)
                refusedRPC(index)
            }
            return
        }
        out.append(0x7B)
        var first = true
        for member in members(index) {
            if !first { out.append(0x2C) }
            first = false
            raw(member.key)
            out.append(0x3A)
            if member.key == result.key {
                startResult()
                guard write(member.value, path: []).kept else {
                    out.removeSubrange(mark...)
                    patches.removeSubrange(patchMark...)
                    refusedRPC(index)
                    return
                }
                finishResult()
            } else {
                raw(member.value)
            }
        }
        out.append(0x7D)
    }

    mutating func refusedRPC(_ index: Int) {
        out += Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        if let id = members(index).first(where: { keyText($0.key) == "id" }) { raw(id.value) } else { out += Array("null".utf8) }
        out += Array(#","error":{"code":403,"message":"not one of your articles this month"}}"#.utf8)
    }

    mutating func startResult() {
        counterAt = [:]
        counted = [:]
    }

    /// Counters whose array was written get the kept length (as ``Counter/apply(_:to:)`` does after filtering).
    mutating func finishResult() {
        for (number, range) in counterAt {
            guard let count = counted[number] else { continue }
            patches.append((range, Array(String(count).utf8)))
        }
    }

    // MARK: Values

    /// Writes the value at `index` (at key `path` from the root or result), or cuts it off again when it goes.
    mutating func write(_ index: Int, path: [String]?) -> Written {
        let token = tape.tokens[index]
        switch token.kind {
        case .object: return object(index, path: path)
        case .array: return array(index, path: path)
        default:
            let start = out.count
            raw(index)
            if let path {
                for (number, counter) in counters.enumerated() where counter.path == path { counterAt[number] = start..<out.count }
            }
            return Written(kept: true, namedIn: false, namedOut: false)
        }
    }

    mutating func array(_ index: Int, path: [String]?) -> Written {
        let token = tape.tokens[index]
        var written = Written(kept: true, namedIn: false, namedOut: false)
        let counting = path.map { path in counters.indices.filter { counters[$0].of == path } } ?? []
        if !token.flag, counting.isEmpty {
            raw(index)
            return written
        }
        out.append(0x5B)
        var kept = 0
        for element in children(index) {
            let mark = out.count
            let patchMark = patches.count
            if kept > 0 { out.append(0x2C) }
            let item = tape.tokens[element]
            if item.kind != .object && item.kind != .array || !item.flag {
                raw(element)
                kept += 1
                continue
            }
            let inner = write(element, path: child(path, "[]"))
            // An element that was about articles, none of them assigned, goes too.
            if !inner.kept || (item.kind == .object && inner.namedIn && !inner.namedOut) {
                out.removeSubrange(mark...)
                patches.removeSubrange(patchMark...)
                // Either way the element named an article.
                written.namedIn = true
                continue
            }
            written.namedIn = written.namedIn || inner.namedIn
            written.namedOut = written.namedOut || inner.namedOut
            kept += 1
        }
        out.append(0x5D)
        for number in counting { counted[number] = kept }
        return written
    }

    mutating func object(_ index: Int, path: [String]?) -> Written {
        let token = tape.tokens[index]
        let sealing = path.map { cursors.contains($0) } ?? false
        let reachesCounter =
            path.map { path in
                counters.contains { $0.path.starts(with: path) && $0.path.count > path.count || $0.of.starts(with: path) && $0.of.count > path.count }
            } ?? false
        if !token.flag, !sealing, !reachesCounter {
            raw(index)
            return Written(kept: true, namedIn: false, namedOut: false)
        }
        let mark = out.count
        let patchMark = patches.count
        var written = Written(kept: true, namedIn: false, namedOut: false)
        func drop() -> Written {
            out.removeSubrange(mark...)
            patches.removeSubrange(patchMark...)
            return Written(kept: false, namedIn: true, namedOut: false)
        }
        out.append(0x7B)
        var first = true
        for member in members(index) {
            let memberMark = out.count
            if !first { out.append(0x2C) }
            if isArticleKey(member.key) {
                let value = tape.tokens[member.value]
                if sealing, let id = articleID(member.value) {
                    // A paging cursor's article id: sealed, or left out without a seal.
                    guard let seal = filter.seal else {
                        out.removeSubrange(memberMark...)
                        continue
                    }
                    raw(member.key)
                    out += Array(":\"\(seal.seal(id))\"".utf8)
                    written.namedIn = true
                    written.namedOut = true
                } else if isNull(member.value) {
                    raw(member.key)
                    out.append(0x3A)
                    raw(member.value)
                } else if isSealed(member.value) {
                    raw(member.key)
                    out.append(0x3A)
                    raw(member.value)
                    written.namedIn = true
                    written.namedOut = true
                } else if value.kind == .array {
                    var ids: [Int] = []
                    for id in children(member.value) {
                        guard let number = articleID(id) else { return drop() }  // not an id: unreadable, so not shown
                        if filter.assigned.contains(number) { ids.append(id) }
                    }
                    raw(member.key)
                    out += [0x3A, 0x5B]
                    for (position, id) in ids.enumerated() {
                        if position > 0 { out.append(0x2C) }
                        raw(id)
                    }
                    out.append(0x5D)
                    written.namedIn = written.namedIn || member.value + 1 < Int(value.next)
                    written.namedOut = written.namedOut || !ids.isEmpty
                } else {
                    guard let number = articleID(member.value), filter.assigned.contains(number) else { return drop() }
                    raw(member.key)
                    out.append(0x3A)
                    raw(member.value)
                    written.namedIn = true
                    written.namedOut = true
                }
            } else {
                raw(member.key)
                out.append(0x3A)
                let inner = write(member.value, path: child(path, keyText(member.key)))
                guard inner.kept else { return drop() }
                written.namedIn = written.namedIn || inner.namedIn
                written.namedOut = written.namedOut || inner.namedOut
            }
            first = false
        }
        out.append(0x7D)
        return written
    }

    // MARK: The last check

    /// Whether any article key at or below `index` names an unassigned (or unreadable) article.
    static func mentionsUnassigned(_ tape: JSONTape, _ index: Int, filter: ArticleFilter) -> Bool {
        let reader = TapeWriter(tape: tape, filter: filter, counters: [], cursors: [])
        return reader.unassigned(index)
    }

    func unassigned(_ index: Int) -> Bool {
        let token = tape.tokens[index]
        guard token.flag else { return false }
        if token.kind == .array { return children(index).contains { unassigned($0) } }
        for member in members(index) {
            if isArticleKey(member.key) {
                if isNull(member.value) || isSealed(member.value) { continue }
                if tape.tokens[member.value].kind == .array {
                    if children(member.value).contains(where: { articleID($0).map { !filter.assigned.contains($0) } ?? true }) { return true }
                } else {
                    guard let number = articleID(member.value), filter.assigned.contains(number) else { return true }
                }
            } else if tape.tokens[member.value].kind == .object || tape.tokens[member.value].kind == .array, unassigned(member.value) {
                return true
            }
        }
        return false
    }
}

extension ArticleFilter {
    /// A plain decimal id (`178231456`, up to 18 digits) read straight from bytes; nil for anything else (the slow
    /// reading decides those).
    static func fastID(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Int64? {
        guard end > start, end - start <= 18 else { return nil }
        var value: Int64 = 0
        for index in start..<end {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }
}
