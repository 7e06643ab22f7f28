/// A JSON value written as a Swift literal: the OpenAPI document and its schemas are built from these.
public indirect enum OpenAPIValue: Sendable, Encodable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([OpenAPIValue])
    case object([(String, OpenAPIValue)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: OpenAPIValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, OpenAPIValue)...) { self = .object(elements) }

    public static func == (lhs: OpenAPIValue, rhs: OpenAPIValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    struct CodingName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case .object(let pairs):
            var container = encoder.container(keyedBy: CodingName.self)
            for (key, value) in pairs { try container.encode(value, forKey: CodingName(stringValue: key)) }
        }
    }

    /// The value of `key` in an object.
    public subscript(key: String) -> OpenAPIValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// `{"$ref": "#/components/schemas/<name>"}`.
    public static func ref(_ name: String) -> OpenAPIValue { ["$ref": .string("#/components/schemas/\(name)")] }

    /// `{"type": "array", "items": …}`.
    public static func arrayOf(_ items: OpenAPIValue) -> OpenAPIValue { ["type": "array", "items": items] }
}
