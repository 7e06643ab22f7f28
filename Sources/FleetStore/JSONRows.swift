import NIOCore
import PostgresNIO

/// A page of WB rows (a JSON array as WB sent it) split into its elements without decoding them, and sent to
/// PostgreSQL as one `text[]` parameter in binary format: each row's JSON text as it came.
///
/// Statements turn each element into `jsonb` (`unnest($n::text[])::jsonb`), so every row is parsed exactly once, by
/// PostgreSQL, which refuses the whole statement if any row is not valid JSON. Sending the page as one `json` value
/// instead costs a second parse and, with `json_array_elements`, a spill of the whole page to a temporary file.
///
/// The split only finds where top-level elements begin and end (strings, escapes and nesting are followed, nothing
/// else is checked); an input that is not a JSON array at all (truncated, an object, stray bytes after it) is refused
/// here with ``StoreError`` `malformedData`.
public struct JSONRows: PostgresNonThrowingEncodable, Sendable {
    /// The page as received.
    public let page: ByteBuffer
    /// Where each element lies in `page` (offsets from its reader index), whitespace around it excluded.
    public let ranges: [Range<Int>]

    /// How many rows the page holds.
    public var count: Int { ranges.count }

    /// Splits `page`, a JSON array.
    /// - Throws: ``StoreError`` `malformedData` naming what is wrong and where, when `page` is not a JSON array.
    public init(page: ByteBuffer) throws {
        self.page = page
        self.ranges = try page.withUnsafeReadableBytes { try Self.split($0) }
    }

    /// The JSON text of row `index`.
    public func row(_ index: Int) -> ByteBufferView {
        let range = ranges[index]
        return page.readableBytesView[page.readerIndex + range.lowerBound..<page.readerIndex + range.upperBound]
    }

    public static var psqlType: PostgresDataType { .textArray }
    public static var psqlFormat: PostgresFormat { .binary }

    /// The binary array format: dimensions, a null flag, the element type, then each element as length + bytes.
    public func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let bytes = ranges.reduce(0) { $0 + 4 + $1.count }
        buffer.reserveCapacity(minimumWritableBytes: 20 + bytes)
        buffer.writeInteger(Int32(ranges.isEmpty ? 0 : 1))  // dimensions (an empty array has none)
        buffer.writeInteger(Int32(0))  // no NULL elements
        buffer.writeInteger(PostgresDataType.text.rawValue)
        if ranges.isEmpty { return }
        buffer.writeInteger(Int32(ranges.count))
        buffer.writeInteger(Int32(1))  // lower bound
        for range in ranges {
            buffer.writeInteger(Int32(range.count))
            buffer.writeImmutableBuffer(page.getSlice(at: page.readerIndex + range.lowerBound, length: range.count)!)
        }
    }

    // MARK: - Splitting

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private static func malformed(_ what: String, at offset: Int) -> StoreError {
        StoreError(.malformedData, "the page is not a JSON array: \(what) at byte \(offset); nothing of it was stored")
    }

    /// The element ranges of the JSON array in `bytes`.
    static func split(_ bytes: UnsafeRawBufferPointer) throws -> [Range<Int>] {
        let end = bytes.count
        var i = 0
        while i < end, isSpace(bytes[i]) { i += 1 }
        guard i < end else { throw malformed("the body is empty", at: i) }
        guard bytes[i] == UInt8(ascii: "[") else { throw malformed("it does not start with '['", at: i) }
        i += 1
        var ranges: [Range<Int>] = []
        while true {
            while i < end, isSpace(bytes[i]) { i += 1 }
            guard i < end else { throw malformed("it ends before its closing ']' (truncated?)", at: i) }
            if bytes[i] == UInt8(ascii: "]"), ranges.isEmpty {
                i += 1
                break
            }
            // One element: up to a ',' or ']' outside strings and nested values.
            let start = i
            var depth = 0
            var inString = false
            scan: while i < end {
                let byte = bytes[i]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        i += 2
                        continue
                    }
                    if byte == UInt8(ascii: "\"") { inString = false }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        if depth == 0 {
                            if byte == UInt8(ascii: "]") { break scan }
                            throw malformed("an unmatched '}'", at: i)
                        }
                        depth -= 1
                    case UInt8(ascii: ","):
                        if depth == 0 { break scan }
                    default: break
                    }
                }
                i += 1
            }
            guard i < end else { throw malformed("it ends inside an element (truncated?)", at: min(i, end)) }
            var last = i
            while last > start, isSpace(bytes[last - 1]) { last -= 1 }
            guard last > start else { throw malformed("an empty element", at: start) }
            ranges.append(start..<last)
            i += 1
            if bytes[i - 1] == UInt8(ascii: "]") { break }
        }
        while i < end, isSpace(bytes[i]) { i += 1 }
        guard i == end else { throw malformed("bytes follow its closing ']'", at: i) }
        return ranges
    }
}
