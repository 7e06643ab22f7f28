import Foundation

/// The two languages of every user-facing text, and which one a browser asks for.
public enum PreferredLanguage {
    /// `ru` or `en` from an `Accept-Language` value: the first of the two it names wins; `en` when it names neither.
    public static func from(acceptLanguage accept: String?) -> String {
        for part in (accept ?? "").lowercased().split(separator: ",") {
            let tag = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if tag.hasPrefix("ru") { return "ru" }
            if tag.hasPrefix("en") { return "en" }
        }
        return "en"
    }
}
