import FleetCore

/// What ``XMLScanner`` reports, in document order.
protocol XMLScanHandler {
    /// An element opens (`selfClosing`: it also ends here, and no `end` follows). `name` is the local name (any
    /// namespace prefix dropped).
    mutating func start(_ name: Substring, _ attributes: XMLAttributes, selfClosing: Bool) throws
    /// An element ends.
    mutating func end(_ name: Substring) throws
    /// Character data (entities not yet decoded; CDATA sections arrive already raw, with `isRaw` set).
    mutating func text(_ raw: Substring, isRaw: Bool) throws
}

/// The attributes of one start tag, values decoded on access.
struct XMLAttributes {
    fileprivate var pairs: [(name: Substring, value: Substring)] = []

    /// The decoded value of the attribute with local name `name`, if present.
    subscript(_ name: String) -> String? {
        for pair in pairs where pair.name == name { return XMLEntities.decode(pair.value) }
        return nil
    }
}

/// A forward-only scanner for the XML an .xlsx holds: elements, attributes, text, comments, processing instructions
/// and CDATA. It never builds a tree, never resolves anything, and refuses any document type declaration — so no
/// entity can expand, no external file or URL is read (the classic XXE and "billion laughs" files are refused).
struct XMLScanner {
    /// Scans `document`, calling `handler` for each element and text run.
    /// - Throws: ``SpreadsheetError`` (`forbiddenXML` for a DTD, `malformed` for broken markup), or the handler's error.
    static func scan<Handler: XMLScanHandler>(_ document: Substring, part: String, into handler: inout Handler) throws {
        let bytes = document.utf8
        var index = bytes.startIndex
        let end = bytes.endIndex
        // One attribute buffer for every tag: its storage is reused, not allocated per element.
        var attributes = XMLAttributes()
        while index < end {
            guard let open = bytes[index...].firstIndex(of: .lessThan) else {
                try handler.text(document[index..<end], isRaw: false)
                return
            }
            if open > index { try handler.text(document[index..<open], isRaw: false) }
            let second = bytes.index(after: open)
            guard second < end else { throw SpreadsheetError.malformed(part, "a stray < at the end") }
            switch bytes[second] {
            case .question:
                guard let close = document[open...].firstRange(of: "?>") else {
                    throw SpreadsheetError.malformed(part, "an unterminated processing instruction")
                }
                index = close.upperBound
            case .exclamation:
                let rest = document[open...]
                if rest.hasPrefix("<!--") {
                    guard let close = rest.firstRange(of: "-->") else { throw SpreadsheetError.malformed(part, "an unterminated comment") }
                    index = close.upperBound
                } else if rest.hasPrefix("<![CDATA[") {
                    let body = rest.dropFirst(9)
                    guard let close = body.firstRange(of: "]]>") else { throw SpreadsheetError.malformed(part, "an unterminated CDATA section") }
                    try handler.text(body[..<close.lowerBound], isRaw: true)
                    index = close.upperBound
                } else {
                    throw SpreadsheetError.forbiddenXML(part)
                }
            case .slash:
                guard let close = bytes[second...].firstIndex(of: .greaterThan) else {
                    throw SpreadsheetError.malformed(part, "an unterminated end tag")
                }
                var nameEnd = close
                while nameEnd > second, bytes[bytes.index(before: nameEnd)].isXMLSpace { nameEnd = bytes.index(before: nameEnd) }
                try handler.end(localName(document[bytes.index(after: second)..<nameEnd]))
                index = bytes.index(after: close)
            default:
                index = try startTag(document, at: open, part: part, attributes: &attributes, into: &handler)
            }
        }
    }

    /// Parses the start tag at `open`; returns the index after its `>`.
    private static func startTag<Handler: XMLScanHandler>(
        _ document: Substring,
        at open: Substring.Index,
        part: String,
        attributes: inout XMLAttributes,
        into handler: inout Handler
    ) throws -> Substring.Index {
        let bytes = document.utf8
        var index = bytes.index(after: open)
        let end = bytes.endIndex
        let nameStart = index
        while index < end, !bytes[index].isXMLSpace, bytes[index] != .greaterThan, bytes[index] != .slash { index = bytes.index(after: index) }
        let name = document[nameStart..<index]
        guard !name.isEmpty else { throw SpreadsheetError.malformed(part, "an empty tag name") }
        attributes.pairs.removeAll(keepingCapacity: true)
        while true {
            while index < end, bytes[index].isXMLSpace { index = bytes.index(after: index) }
            guard index < end else { throw SpreadsheetError.malformed(part, "an unterminated <\(name)> tag") }
            let byte = bytes[index]
            if byte == .greaterThan {
                try handler.start(localName(name), attributes, selfClosing: false)
                return bytes.index(after: index)
            }
            if byte == .slash {
                let next = bytes.index(after: index)
                guard next < end, bytes[next] == .greaterThan else { throw SpreadsheetError.malformed(part, "a stray / in <\(name)>") }
                try handler.start(localName(name), attributes, selfClosing: true)
                return bytes.index(after: next)
            }
            let attributeStart = index
            while index < end, bytes[index] != .equals, !bytes[index].isXMLSpace, bytes[index] != .greaterThan {
                index = bytes.index(after: index)
            }
            let attributeName = document[attributeStart..<index]
            while index < end, bytes[index].isXMLSpace { index = bytes.index(after: index) }
            guard index < end, bytes[index] == .equals else {
                throw SpreadsheetError.malformed(part, "attribute \(attributeName) of <\(name)> has no value")
            }
            index = bytes.index(after: index)
            while index < end, bytes[index].isXMLSpace { index = bytes.index(after: index) }
            guard index < end, bytes[index] == .doubleQuote || bytes[index] == .singleQuote else {
                throw SpreadsheetError.malformed(part, "attribute \(attributeName) of <\(name)> is not quoted")
            }
            let quote = bytes[index]
            let valueStart = bytes.index(after: index)
            guard let valueEnd = bytes[valueStart...].firstIndex(of: quote) else {
                throw SpreadsheetError.malformed(part, "attribute \(attributeName) of <\(name)> is not closed")
            }
            attributes.pairs.append((localName(attributeName), document[valueStart..<valueEnd]))
            index = bytes.index(after: valueEnd)
        }
    }

    private static func localName(_ name: Substring) -> Substring {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return name[name.index(after: colon)...]
    }
}

extension UInt8 {
    fileprivate static let lessThan = UInt8(ascii: "<")
    fileprivate static let greaterThan = UInt8(ascii: ">")
    fileprivate static let slash = UInt8(ascii: "/")
    fileprivate static let question = UInt8(ascii: "?")
    fileprivate static let exclamation = UInt8(ascii: "!")
    fileprivate static let equals = UInt8(ascii: "=")
    fileprivate static let doubleQuote = UInt8(ascii: "\"")
    fileprivate static let singleQuote = UInt8(ascii: "'")

    fileprivate var isXMLSpace: Bool { self == 0x20 || self == 0x0A || self == 0x09 || self == 0x0D }
}
