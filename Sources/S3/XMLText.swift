import FleetCore
import Foundation

/// Just enough XML reading for S3's answers: the text of named elements, entities decoded. S3 answers are
/// flat and namespaced by default, so a tag scan is exact for the elements read here.
enum XMLText {
    /// The text of the first `<name>…</name>` in `xml`.
    static func first(_ name: String, in xml: Substring) -> String? {
        all(name, in: xml).first.map { decode($0) }
    }

    static func first(_ name: String, in xml: String) -> String? { first(name, in: xml[...]) }

    /// The raw contents of every `<name>…</name>` (or `<name attr…>…</name>`) in `xml`, in order.
    static func all(_ name: String, in xml: Substring) -> [Substring] {
        var result: [Substring] = []
        var rest = xml
        let close = "</\(name)>"
        while let open = rest.range(of: "<\(name)") {
            let after = rest[open.upperBound...]
            guard let first = after.first, first == ">" || first == " " || first == "/" else {
                rest = after
                continue
            }
            guard let end = after.firstIndex(of: ">") else { break }
            if end > after.startIndex, after[after.index(before: end)] == "/" {
                result.append(after[end..<end])
                rest = after[after.index(after: end)...]
                continue
            }
            let body = after[after.index(after: end)...]
            guard let closing = body.range(of: close) else { break }
            result.append(body[..<closing.lowerBound])
            rest = body[closing.upperBound...]
        }
        return result
    }

    static func decode(_ text: Substring) -> String { XMLEntities.decode(text) }

    static func escape(_ text: String) -> String { XMLEntities.escape(text) }
}
