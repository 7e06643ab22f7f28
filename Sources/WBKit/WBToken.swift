import FleetCore
import Foundation

/// A WB API token decoded locally (WB's introspection endpoint is gone): the claims the fleet checks before it
/// spends a request, and the seller id its rate limits are keyed by. The signature is WB's and is not verified here.
public struct WBToken: Sendable, Equatable {
    /// Permission bits of the `s` claim.
    public struct Scope: OptionSet, Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public static let content = Scope(rawValue: 1 << 1)
        public static let analytics = Scope(rawValue: 1 << 2)
        public static let prices = Scope(rawValue: 1 << 3)
        public static let marketplace = Scope(rawValue: 1 << 4)
        public static let statistics = Scope(rawValue: 1 << 5)
        public static let promotion = Scope(rawValue: 1 << 6)
        public static let feedbacks = Scope(rawValue: 1 << 7)
        public static let supplies = Scope(rawValue: 1 << 10)
        public static let finance = Scope(rawValue: 1 << 13)
        public static let readOnly = Scope(rawValue: 1 << 30)
    }

    /// Token type (`acc`): rate limits depend on it.
    public enum Kind: Int, Sendable {
        case base = 1
        case test = 2
        case personal = 3
        case service = 4
    }

    /// The token id (`id`).
    public var id: String?
    /// The seller id (`sid`), the same for every token of one seller.
    public var sellerID: String
    public var scope: Scope
    public var expiresAt: Date?
    public var kind: Kind?
    /// `t`: a test (sandbox) token.
    public var isTest: Bool

    /// Decodes a token's payload.
    /// - Throws: ``WBError`` `tokenUnusable` with a reason for anything that is not a WB-shaped JWT.
    public init(_ token: String) throws {
        let raw = token.hasPrefix("Bearer ") ? String(token.dropFirst(7)) : token
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw WBError.tokenUnusable("the WB token is not a JWT (three dot-separated parts); copy it again from the seller portal")
        }
        guard let data = Base64URL.decode(parts[1]),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw WBError.tokenUnusable("the WB token's payload is not base64url JSON; copy it again from the seller portal") }
        guard let sid = claims["sid"] as? String, !sid.isEmpty else {
            throw WBError.tokenUnusable("the WB token has no seller id (sid claim); is it a WB API token?")
        }
        sellerID = sid
        id = claims["id"] as? String
        scope = Scope(rawValue: (claims["s"] as? NSNumber)?.uint64Value ?? 0)
        expiresAt = (claims["exp"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
        kind = (claims["acc"] as? NSNumber).flatMap { Kind(rawValue: $0.intValue) }
        isTest = (claims["t"] as? Bool) ?? (kind == .test)
    }

    /// Why this token cannot be used for `scope` at `now`, or nil when it can (WB-API.md §1.3: test tokens, `t: true`
    /// or `acc: 2`, work only against WB's sandbox, which this fleet never calls).
    public func problem(for needed: Scope, categoryName: String, now: Date = Date()) -> String? {
        if isTest || kind == .test {
            return
                "this is a test (sandbox) token, which production WB refuses; create a Base or Personal token in the seller portal (Settings → Access to API)"
        }
        if let expiresAt, expiresAt <= now {
            return
                "token expired on \(ISO8601DateFormatter().string(from: expiresAt)); create a new one in the seller portal (Settings → Access to API) and set it with `joycity accounts set-token`"
        }
        if !scope.contains(needed) {
            return "token scope not allowed: the token lacks the \(categoryName) category; create one with \(categoryName) access"
        }
        return nil
    }
}
