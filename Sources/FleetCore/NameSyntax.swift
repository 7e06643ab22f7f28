/// The one check of the fleet's plain names: ASCII letters, digits and a few punctuation characters, up to a length.
/// Queue, prefix and group names, job ids, schedule ids and request ids are each one of these.
///
/// ```swift
/// NameSyntax.queueName.admits("wb-sync")     // true
/// NameSyntax.jobID.rule                      // "1 to 128 characters of A-Z a-z 0-9 - _ . :"
/// ```
public struct NameSyntax: Sendable {
    /// The most UTF-8 bytes a name may have.
    public let maxLength: Int
    /// The punctuation allowed besides letters and digits.
    public let punctuation: String
    private let extra: Set<UInt8>

    /// A syntax of letters, digits and `punctuation`, 1 to `maxLength` characters.
    public init(maxLength: Int, punctuation: String) {
        self.maxLength = maxLength
        self.punctuation = punctuation
        extra = Set(punctuation.utf8)
    }

    /// Queue, key-prefix and consumer-group names (they become Redis key parts): `. _ -`, at most 64.
    public static let queueName = NameSyntax(maxLength: 64, punctuation: "._-")
    /// Job ids: `- _ . :`, at most 128.
    public static let jobID = NameSyntax(maxLength: 128, punctuation: "-_.:")
    /// Schedule ids: `. - _ :`, at most 200.
    public static let scheduleID = NameSyntax(maxLength: 200, punctuation: ".-_:")
    /// Request ids a caller may choose (`X-Request-Id`): `- _ .`, at most 64.
    public static let requestID = NameSyntax(maxLength: 64, punctuation: "-_.")

    /// Whether `name` has this syntax.
    public func admits(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength
            && name.utf8.allSatisfy { byte in
                (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || extra.contains(byte)
            }
    }

    /// The rule in words, for error messages: `1 to 64 characters of A-Z a-z 0-9 . _ -`.
    public var rule: String {
        "1 to \(maxLength) characters of A-Z a-z 0-9 " + punctuation.map(String.init).joined(separator: " ")
    }
}
