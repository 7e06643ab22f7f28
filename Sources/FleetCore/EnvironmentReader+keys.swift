import Foundation

extension EnvironmentReader {
    /// Reads `name` as comma-separated `id:base64` keys (`JOYCITY_SECRET_KEYS`, `API_JWT_KEYS`); nil when unset.
    /// - Parameters:
    ///   - accepts: whether a key of that many bytes is acceptable.
    ///   - expected: what the error says is accepted.
    /// - Throws: ``ConfigurationError`` naming `name` (the value hidden) for an item that is not `id:base64` or a key
    ///   `accepts` refuses.
    public func keyList(_ name: String, accepts: (Int) -> Bool, expected: String) throws -> [(id: String, key: [UInt8])]? {
        guard let raw = string(name) else { return nil }
        var keys: [(id: String, key: [UInt8])] = []
        for item in raw.split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1).map { String($0).trimmingSpaces() }
            guard parts.count == 2, !parts[0].isEmpty, let data = Data(base64Encoded: parts[1]), accepts(data.count) else {
                throw ConfigurationError(variable: name, value: "(hidden)", expected: expected)
            }
            keys.append((parts[0], [UInt8](data)))
        }
        return keys
    }
}
