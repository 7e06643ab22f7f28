/// A JSON body read once into a flat tape of tokens over its bytes — no value is copied out — for the article
/// filter's fast path (``ArticleFilter/apply(bytes:counters:cursors:)``). The reader is as strict as ``JSONCodec``
/// (RFC 8259, UTF-8, nesting ≤ 256, truncation detected): a body one refuses, the other refuses too.
///
/// Layout: a container's token is followed by its children (an object's as key, value, key, value, …); `next` is
/// the index just past a token's whole subtree, so a subtree is skipped in one step. `articles` marks containers
/// holding an article key (``ArticleFilter/isArticleKey(bytes:)``) anywhere below: subtrees without one are copied
/// as they are.
struct JSONTape {
    enum Kind: UInt8 { case object, array, string, number, literal }

    struct Token {
        var kind: Kind
        /// The value's bytes: `[start, end)` (strings with their quotes).
        var start: Int32
        var end: Int32
        /// The index past this token's subtree.
        var next: Int32
        /// Strings: an escape inside. Containers: an article key somewhere below.
        var flag: Bool
    }

    let bytes: [UInt8]
    private(set) var tokens: [Token] = []

    /// Reads `bytes`.
    /// - Throws: ``JSONSyntaxError`` where the body stops being JSON the filter can read.
    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        if let offset = bytes.withUnsafeBufferPointer(Self.firstInvalidUTF8) {
            throw JSONSyntaxError(offset: offset, problem: "the body is not UTF-8")
        }
        tokens.reserveCapacity(bytes.count / 8)
        var tokens = self.tokens
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer, tokens: tokens)
            reader.skipSpace()
            _ = try reader.value(depth: 0)
            reader.skipSpace()
            guard reader.index == buffer.count else { throw JSONSyntaxError(offset: reader.index, problem: "text after the value") }
            tokens = reader.tokens
        }
        self.tokens = tokens
    }

    /// Where `bytes` stop being well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), or nil;
    /// eight ASCII bytes at a time, nothing allocated.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var index = 0
        while index < count {
            while index + 8 <= count, UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { index += 8 }
            guard index < count else { return nil }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: return index
            }
            guard index + length <= count, bytes[index + 1] >= low, bytes[index + 1] <= high else { return index }
            for next in (index + 2)..<(index + length) where bytes[next] < 0x80 || bytes[next] > 0xBF { return index }
            index += length
        }
        return nil
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var tokens: [Token]
        var index = 0

        func fail(_ problem: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, problem: problem) }

        mutating func skipSpace() {
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
                index += 1
            }
        }

        /// Reads one value; returns whether it is (or holds) an article key's container.
        mutating func value(depth: Int) throws -> Bool {
            guard depth < JSONCodec.maxDepth else { throw fail("nested deeper than \(JSONCodec.maxDepth)") }
            guard index < bytes.count else { throw fail("the body ends where a value should be (truncated)") }
            switch bytes[index] {
            case 0x7B: return try object(depth: depth)
            case 0x5B: return try array(depth: depth)
            case 0x22:
                try string()
                return false
            case 0x74: try literal([0x74, 0x72, 0x75, 0x65], "true")
            case 0x66: try literal([0x66, 0x61, 0x6C, 0x73, 0x65], "false")
            case 0x6E: try literal([0x6E, 0x75, 0x6C, 0x6C], "null")
            default: try number()
            }
            return false
        }

        mutating func object(depth: Int) throws -> Bool {
            let me = tokens.count
            tokens.append(Token(kind: .object, start: Int32(index), end: 0, next: 0, flag: false))
            index += 1
            var articles = false
            skipSpace()
            if index < bytes.count, bytes[index] == 0x7D {
                index += 1
            } else {
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x22 else { throw fail("an object key must be a string") }
                    let key = tokens.count
                    try string()
                    let token = tokens[key]
                    if ArticleFilter.isArticleKey(bytes: UnsafeBufferPointer(rebasing: bytes[Int(token.start) + 1..<Int(token.end) - 1]))
                        || token.flag
                    {
                        // An escaped key is judged by its decoded text in the filter; mark it as worth a look.
                        articles = true
                    }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x3A else { throw fail("a : must follow an object key") }
                    index += 1
                    skipSpace()
                    if try value(depth: depth + 1) { articles = true }
                    guard try more(closing: 0x7D, "an object", "}") else { break }
                }
            }
            close(me, articles: articles)
            return articles
        }

        mutating func array(depth: Int) throws -> Bool {
            let me = tokens.count
            tokens.append(Token(kind: .array, start: Int32(index), end: 0, next: 0, flag: false))
            index += 1
            var articles = false
            skipSpace()
            if index < bytes.count, bytes[index] == 0x5D {
                index += 1
            } else {
                while true {
                    skipSpace()
                    if try value(depth: depth + 1) { articles = true }
                    guard try more(closing: 0x5D, "an array", "]") else { break }
                }
            }
            close(me, articles: articles)
            return articles
        }

        /// After a member or element: `,` (true: another follows) or the closing bracket (false, consumed).
        mutating func more(closing: UInt8, _ container: String, _ bracket: String) throws -> Bool {
            skipSpace()
            guard index < bytes.count else { throw fail("\(container == "an object" ? "the object" : "the array") is not closed (truncated)") }
            if bytes[index] == 0x2C {
                index += 1
                return true
            }
            guard bytes[index] == closing else { throw fail("expected , or \(bracket) in \(container)") }
            index += 1
            return false
        }

        /// A container's token, completed once its last child is read.
        mutating func close(_ me: Int, articles: Bool) {
            tokens[me].end = Int32(index)
            tokens[me].next = Int32(tokens.count)
            tokens[me].flag = articles
        }

        mutating func literal(_ word: [UInt8], _ name: String) throws {
            guard index + word.count <= bytes.count, bytes[index..<index + word.count].elementsEqual(word) else {
                throw fail("an unknown word (expected \(name))")
            }
            tokens.append(Token(kind: .literal, start: Int32(index), end: Int32(index + word.count), next: Int32(tokens.count + 1), flag: false))
            index += word.count
        }

        mutating func number() throws {
            let start = index
            if index < bytes.count, bytes[index] == 0x2D { index += 1 }
            let digits = index
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
            guard index > digits else { throw fail("not a value") }
            if bytes[digits] == 0x30, index - digits > 1 { throw fail("a number with a leading zero") }
            if index < bytes.count, bytes[index] == 0x2E {
                index += 1
                let fraction = index
                while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
                guard index > fraction else { throw fail("a number ends in a dot") }
            }
            if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
                index += 1
                if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
                let exponent = index
                while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
                guard index > exponent else { throw fail("a number's exponent has no digits") }
            }
            tokens.append(Token(kind: .number, start: Int32(start), end: Int32(index), next: Int32(tokens.count + 1), flag: false))
        }

        mutating func string() throws {
            let start = index
            index += 1
            var escaped = false
            while true {
                guard index < bytes.count else { throw fail("a string is not closed (truncated)") }
                let byte = bytes[index]
                if byte == 0x22 {
                    index += 1
                    break
                }
                if byte < 0x20 { throw fail("a control character inside a string") }
                if byte != 0x5C {
                    index += 1
                    // Runs of plain bytes in one tight loop.
                    while index < bytes.count {
                        let next = bytes[index]
                        guard next != 0x22, next != 0x5C, next >= 0x20 else { break }
                        index += 1
                    }
                    continue
                }
                escaped = true
                index += 1
                guard index < bytes.count else { throw fail("a string ends in a backslash (truncated)") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: break
                case 0x75:
                    let scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else {
                            throw fail("a lone surrogate in a string")
                        }
                        index += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("a lone surrogate in a string") }
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw fail("an invalid \\u escape")
                    }
                default: throw fail("an unknown escape")
                }
            }
            tokens.append(Token(kind: .string, start: Int32(start), end: Int32(index), next: Int32(tokens.count + 1), flag: escaped))
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw fail("a \\u escape needs four hex digits")
                }
                value = value << 4 | digit
            }
            index += 4
            return value
        }
    }
}
