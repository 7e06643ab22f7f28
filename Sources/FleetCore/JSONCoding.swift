import Foundation

/// The one JSON encoder and decoder of the fleet: queue payloads and wire fields, cached session checks, API
/// bodies (sorted keys, unescaped slashes, ISO-8601 dates).
public enum JSONCoding {
    /// The shared encoder (sorted keys, unescaped slashes, ISO-8601 dates). `JSONEncoder` is thread-safe.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// The same settings, indented: what people read (CLI `--json`, the OpenAPI document).
    public static let prettyEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// The shared decoder (ISO-8601 dates).
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Encodes `value` as compact UTF-8 JSON text.
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Encodes `value` as UTF-8 JSON bytes.
    public static func data<T: Encodable>(_ value: T) throws -> Data {
        try encoder.encode(value)
    }

    /// Decodes `T` from JSON text.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    /// Decodes `T` from JSON bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder.decode(type, from: data)
    }

    /// What a decoding error says, in one line, naming the field: `'name' is required`, `'roles.[0]' has the
    /// wrong type`; `whole` names the document itself (`the body` of a request, `the value` of a field).
    public static func describe(_ error: DecodingError, whole: String = "the body") -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? whole : "'\(text)'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)) must not be null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "\(whole) is not valid JSON" : "\(path(context.codingPath)) is not valid: \(context.debugDescription)"
        @unknown default: return "\(whole) does not have the documented shape"
        }
    }

    /// Whether `text` is syntactically valid JSON.
    public static func isValid(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }
}
