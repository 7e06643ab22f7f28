import FleetCore
import FleetHTTP
import FleetStore

/// Checks of user-supplied values, with messages that say what is accepted.
enum Validation {
    /// A display name: 1–200 characters after trimming, no control characters.
    static func name(_ text: String, what: String = "a name") throws -> String {
        let trimmed = text.trimmingSpaces()
        guard (1...200).contains(trimmed.count) else { throw APIError.invalid("\(what) must be 1 to 200 characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.invalid("\(what) cannot contain control characters")
        }
        return trimmed
    }

    /// A login name: 3–64 of `a-z 0-9 . _ -`, starting with a letter or digit (lower-cased first).
    static func login(_ text: String) throws -> String {
        let login = text.lowercased()
        let bytes = Array(login.utf8)
        func allowed(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 46 || b == 95 || b == 45 }
        guard (3...64).contains(bytes.count), bytes.allSatisfy(allowed), bytes[0] != 46, bytes[0] != 95, bytes[0] != 45 else {
            throw APIError.invalid("a login is 3 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
        }
        return login
    }

    /// An email address: something@something, at most 254 characters, no spaces or control characters.
    static func email(_ text: String?) throws -> String? {
        guard let text else { return nil }
        let email = text.trimmingSpaces()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else {
            throw APIError.invalid("'\(email.prefix(80))' is not an email address")
        }
        return email
    }

    /// An ИНН: 10 digits (company) or 12 (sole proprietor), checked by the store's own rule (before WB is asked
    /// about the token, which has a small budget).
    static func inn(_ text: String) throws -> String {
        do { try AccountStore.checkINN(text) } catch let error as StoreError { throw APIError.invalid(error.message) }
        return text
    }
}
