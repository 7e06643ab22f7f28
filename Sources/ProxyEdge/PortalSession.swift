import Foundation

/// One account's WB portal session as the proxy keeps it (in Redis, sealed; never sent to a browser): WB's cookies
/// by domain, the access JWT (`authorizev3`) with when it was issued, the short LK token (`wb-seller-lk`) with its
/// end, the selected supplier, and — once WB refused it — why it is invalid.
struct PortalSession: Codable, Sendable, Equatable {
    /// A cookie WB set, for the hosts of `domain` (no leading dot; `wildberries.ru` is every portal host).
    struct Cookie: Codable, Sendable, Equatable {
        var name: String
        var value: String
        var domain: String
    }

    var cookies: [Cookie] = []
    var accessToken: String?
    /// Unix seconds.
    var accessIssuedAt: Double?
    var lkToken: String?
    /// Unix seconds (the `exp` WB answered).
    var lkExpiresAt: Double?
    var supplierID: String?
    /// Set when WB refused the session; the proxy then stops calling WB for the account until its credentials change.
    var invalid: String?

    /// The domain a pasted cookie belongs to: the refresh cookie to the SSO host (WB scopes it so), others to every
    /// portal host.
    static func domain(ofPasted name: String) -> String {
        name == "wbx-refresh" ? "seller-auth.wildberries.ru" : "wildberries.ru"
    }

    /// A session from the credentials an admin stored: `cookies` (`name=value; …` as copied from a browser), and
    /// optionally an access token; the supplier from the `x-supplier-id-external` cookie.
    init(pastedCookies: String, accessToken: String?) {
        for pair in pastedCookies.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            set(Cookie(name: name, value: value, domain: Self.domain(ofPasted: name)))
        }
        if let accessToken, !accessToken.isEmpty {
            self.accessToken = accessToken
            // A pasted token's age is unknown: treat it as issued now (a 401 slides at once anyway).
            accessIssuedAt = Date().timeIntervalSince1970
        }
        supplierID = cookies.first { $0.name == "x-supplier-id-external" }?.value
    }

    init() {}

    /// Adds or replaces a cookie (same name and domain).
    mutating func set(_ cookie: Cookie) {
        cookies.removeAll { $0.name == cookie.name && $0.domain == cookie.domain }
        cookies.append(cookie)
    }

    /// The `Cookie` header for a request to `host`: every cookie whose domain is the host or a parent of it.
    func cookieHeader(host: String) -> String {
        cookies.filter { host == $0.domain || host.hasSuffix("." + $0.domain) }.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    /// Takes in WB's `Set-Cookie` values of an answer from `host`: set, replaced, or removed (`Max-Age=0`, or an
    /// `Expires` in the past). Returns whether anything changed.
    @discardableResult
    mutating func absorb(setCookies: [String], host: String) -> Bool {
        var changed = false
        for line in setCookies {
            let attributes = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = attributes.first, let equals = first.firstIndex(of: "=") else { continue }
            let name = String(first[..<equals])
            let value = String(first[first.index(after: equals)...])
            guard !name.isEmpty else { continue }
            var domain = host
            var expired = false
            for attribute in attributes.dropFirst() {
                let pair = attribute.split(separator: "=", maxSplits: 1).map(String.init)
                let key = pair[0].lowercased()
                let argument = pair.count > 1 ? pair[1] : ""
                switch key {
                case "domain":
                    let stated = argument.hasPrefix(".") ? String(argument.dropFirst()) : argument
                    // A host may set cookies for itself and its parents only (as a browser allows).
                    if host == stated || host.hasSuffix("." + stated) { domain = stated.lowercased() }
                case "max-age": expired = (Int(argument) ?? 1) <= 0
                case "expires":
                    if let date = Self.httpDate(argument), date < Date() { expired = true }
                default: break
                }
            }
            let before = cookies
            cookies.removeAll { $0.name == name && $0.domain == domain }
            if !expired { cookies.append(Cookie(name: name, value: value, domain: domain)) }
            if name == "x-supplier-id-external", !expired { supplierID = value }
            changed = changed || before != cookies
        }
        return changed
    }

    /// The cookies as an admin pastes them (`name=value; …`), to store back: read again, each lands on the domain
    /// it has now (the refresh cookie on the SSO host, the others on every portal host).
    var pastedCookies: String { cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ") }

    /// Cookies that name things the portal shows anyway (the selected supplier, the language): not secrets.
    static let publicCookies: Set<String> = ["x-supplier-id-external", "x-supplier-id", "locale", "external-locale"]

    /// Every secret the session holds (the other cookies' values and the tokens): none may ever reach a browser.
    var secrets: [String] {
        cookies.filter { !Self.publicCookies.contains($0.name) }.map(\.value) + [accessToken, lkToken].compactMap { $0 }
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, dd-MMM-yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
