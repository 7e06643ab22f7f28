import Crypto
import FleetCore
import Foundation

/// AWS Signature Version 4 for one request (header-based signing), as S3 and other AWS-compatible services check it.
///
/// ```swift
/// let signer = SigV4(accessKeyID: "AKIA…", secretAccessKey: "…", region: "us-east-1", service: "s3")
/// let headers = signer.sign(method: "PUT", host: "127.0.0.1:9000", path: "/bucket/key", query: [("partNumber", "1")],
///                           headers: [:], payloadSHA256: SigV4.hexSHA256(body), date: Date())
/// ```
public struct SigV4: Sendable {
    public let accessKeyID: String
    let secretAccessKey: String
    public let sessionToken: String?
    public let region: String
    public let service: String

    /// Creates a signer.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String, service: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// The SHA-256 of an empty payload.
    public static let emptySHA256 = hexSHA256([])

    /// Lower-case hex SHA-256.
    public static func hexSHA256<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Hex.lowercase(SHA256.hash(data: Array(bytes)))
    }

    /// Percent-encodes everything but the unreserved characters (and `/` when `keepSlash`), as SigV4 requires.
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// The canonical query string: pairs sorted by encoded name then value, `name=value` joined by `&`.
    /// - Parameter keepSlash: leave `/` in values unencoded. Send the query exactly like this (the server
    ///   canonicalizes what it receives): AWS accepts both forms, and S3 stand-ins such as moto only the raw `/`.
    public static func canonicalQuery(_ query: [(String, String)], keepSlash: Bool = false) -> String {
        let encoded: [(name: String, value: String)] = query.map { (encode($0.0), encode($0.1, keepSlash: keepSlash)) }
        let sorted = encoded.sorted { left, right in left.name == right.name ? left.value < right.value : left.name < right.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// Signs a request.
    /// - Parameters:
    ///   - path: the already-encoded path (`/bucket/key` with the key encoded by ``encode(_:keepSlash:)``).
    ///   - headers: headers to sign besides `host`, `x-amz-date` and `x-amz-content-sha256` (names any case).
    ///   - includeContentHash: send and sign `x-amz-content-sha256` (S3 requires it; other services do not).
    ///   - keepSlashInQuery: see ``canonicalQuery(_:keepSlash:)``; the query sent must be encoded the same way.
    /// - Returns: every header to send: the given ones plus `host`, `x-amz-date`, `x-amz-content-sha256`,
    ///   `x-amz-security-token` (with a session token) and `authorization`.
    public func sign(
        method: String,
        host: String,
        path: String,
        query: [(String, String)],
        headers: [(String, String)],
        payloadSHA256: String,
        date: Date,
        includeContentHash: Bool = true,
        keepSlashInQuery: Bool = false
    ) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
        all.append(("host", host))
        all.append(("x-amz-date", amzDate))
        if includeContentHash { all.append(("x-amz-content-sha256", payloadSHA256)) }
        if let sessionToken { all.append(("x-amz-security-token", sessionToken)) }
        all.sort { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let canonicalHeaders = all.map { "\($0.0):\($0.1)\n" }.joined()
        let canonicalRequest = [
            method, path.isEmpty ? "/" : path, Self.canonicalQuery(query, keepSlash: keepSlashInQuery), canonicalHeaders, signedHeaders,
            payloadSHA256,
        ]
        .joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8))].joined(separator: "\n")
        let signature = Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day)))
        all.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return all
    }

    func signingKey(day: String) -> SymmetricKey {
        func mac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
        }
        let dateKey = mac(SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8)), day)
        return mac(mac(mac(dateKey, region), service), "aws4_request")
    }

    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let day = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        return (day + String(format: "T%02d%02d%02dZ", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)), day)
    }
}
