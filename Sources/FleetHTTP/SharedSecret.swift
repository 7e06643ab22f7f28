import Crypto
import Foundation

/// Comparing a shared secret a caller sent (`X-Internal-Secret`) with the configured one.
public enum SharedSecret {
    /// Whether `given` equals `expected`, in time that does not depend on where they differ (both are MACed with a
    /// fresh key and the MACs compared).
    public static func equals(_ given: String, _ expected: String) -> Bool {
        let key = SymmetricKey(size: .bits256)
        let a = HMAC<SHA256>.authenticationCode(for: Data(given.utf8), using: key)
        let b = HMAC<SHA256>.authenticationCode(for: Data(expected.utf8), using: key)
        return a == b
    }
}
