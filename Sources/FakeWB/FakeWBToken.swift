import Crypto
import FleetCore
import Foundation

/// Tokens of the fake: WB-shaped JWT payloads (`id`, `s`, `sid`, `exp`, `acc`, `t`), signed HS256 with the fake's
/// secret so it can tell its own tokens from malformed ones.
public struct FakeWBTokens: Sendable {
    let key: SymmetricKey

    /// Scope bits (`s`).
    public static let statistics: UInt64 = 1 << 5
    public static let finance: UInt64 = 1 << 13
    public static let readOnly: UInt64 = 1 << 30

    /// The scope bits for comma-separated category names (`statistics`, `finance`), read-only bit included; nil
    /// when a name is not one of them.
    public static func scope(named names: String) -> UInt64? {
        var bits = readOnly
        for name in names.split(separator: ",") {
            switch name.trimmingCharacters(in: .whitespaces) {
            case "statistics": bits |= statistics
            case "finance": bits |= finance
            default: return nil
            }
        }
        return bits
    }

    public init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data(secret.utf8)))
    }

    /// Mints a token for seller `sid`.
    public func mint(
        sid: String,
        scope: UInt64 = statistics | finance | readOnly,
        expires: Date = Date().addingTimeInterval(180 * 86_400),
        kind: Int = 3,
        test: Bool = false
    ) -> String {
        let header = #"{"alg":"HS256","kid":"fake-wb-1","typ":"JWT"}"#
        let id = UUID().uuidString.lowercased()
        var payload = #"{"id":"\#(id)","s":\#(scope),"sid":"\#(sid)","exp":\#(Int64(expires.timeIntervalSince1970)),"acc":\#(kind),"ent":1"#
        if kind == 3 { payload += #","for":"self""# }
        payload += #","t":\#(test)}"#
        let signingInput = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(Data(payload.utf8))
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        return signingInput + "." + Base64URL.encode(Data(signature))
    }

    /// A verified token's claims.
    public struct Claims: Sendable {
        public var sid: String
        public var scope: UInt64
        public var expires: Date
        public var test: Bool
    }

    public enum Problem: Error {
        case malformed(String)
        case expired, scope
    }

    /// Checks the signature, expiry and `needed` scope bit.
    public func verify(_ header: String?, needed: UInt64?, now: Date = Date()) -> Result<Claims, Problem> {
        guard var token = header, !token.isEmpty else { return .failure(.malformed("token problem; empty token")) }
        if token.hasPrefix("Bearer ") { token.removeFirst(7) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.malformed("token problem; token is malformed: token contains an invalid number of segments")) }
        guard let signature = Base64URL.decode(parts[2]) else {
            return .failure(
                .malformed(
                    "token problem; token is malformed: could not base64 decode signature: illegal base64 data at input byte \(parts[0].count + parts[1].count + 2)"
                )
            )
        }
        let input = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: key) else {
            return .failure(.malformed("token problem; token is malformed: signature is invalid"))
        }
        guard let data = Base64URL.decode(parts[1]), let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let sid = claims["sid"] as? String
        else { return .failure(.malformed("token problem; token is malformed: invalid claims")) }
        let exp = (claims["exp"] as? NSNumber)?.doubleValue ?? 0
        if exp <= now.timeIntervalSince1970 { return .failure(.expired) }
        let scope = (claims["s"] as? NSNumber)?.uint64Value ?? 0
        let test = (claims["t"] as? Bool) == true || (claims["acc"] as? NSNumber)?.intValue == 2
        if test { return .failure(.scope) }  // the fake plays production hosts: test tokens are refused there
        if let needed, scope & needed == 0 { return .failure(.scope) }
        return .success(Claims(sid: sid, scope: scope, expires: Date(timeIntervalSince1970: exp), test: test))
    }
}
