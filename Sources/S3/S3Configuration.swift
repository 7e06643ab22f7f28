import FleetCore

/// Where and how to reach an S3-compatible bucket.
///
/// | Variable | Default | Meaning |
/// |---|---|---|
/// | `S3_ENDPOINT` (or `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`) | `https://s3.<region>.amazonaws.com` | Base URL (MinIO, moto, Yandex Object Storage…) |
/// | `S3_REGION` (or `AWS_REGION`, `AWS_DEFAULT_REGION`) | `us-east-1` | Signing region |
/// | `S3_BUCKET` | — (required) | Bucket |
/// | `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY` (or `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) | — (required) | Credentials (`*_FILE` for secrets) |
/// | `S3_SESSION_TOKEN` (or `AWS_SESSION_TOKEN`) | — | Temporary-credential session token |
/// | `S3_FORCE_PATH_STYLE` | `true` with `S3_ENDPOINT`, else `false` | `endpoint/bucket/key` instead of `bucket.endpoint/key` |
/// | `S3_TIMEOUT` | `120s` | Deadline of one request (one part upload) |
public struct S3Configuration: Sendable, Equatable {
    /// The endpoint's scheme (`http` or `https`).
    public var scheme: String
    /// The endpoint's host.
    public var host: String
    /// The endpoint's port, if not the scheme's default.
    public var port: Int?
    public var region: String
    public var bucket: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var pathStyle: Bool
    public var timeout: Duration

    /// Creates a configuration.
    /// - Throws: ``S3Error`` (`configuration`) for an endpoint that is not an http(s) URL or an invalid bucket name.
    public init(
        endpoint: String,
        region: String = "us-east-1",
        bucket: String,
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        pathStyle: Bool = true,
        timeout: Duration = .seconds(120)
    ) throws {
        let lowered = endpoint.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw S3Error(.configuration, "S3 endpoint \"\(endpoint)\" must start with http:// or https:// (S3_ENDPOINT)")
        }
        scheme = lowered.hasPrefix("https://") ? "https" : "http"
        var authority = endpoint.dropFirst(scheme.count + 3)
        if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
        if let colon = authority.lastIndex(of: ":"), let number = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            port = number
        } else {
            host = String(authority)
            port = nil
        }
        guard !host.isEmpty else { throw S3Error(.configuration, "S3 endpoint \"\(endpoint)\" has no host (S3_ENDPOINT)") }
        guard bucket.count >= 3, bucket.count <= 63, bucket.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." })
        else {
            throw S3Error(.configuration, "S3 bucket \"\(bucket)\" is not a valid name: 3 to 63 lower-case letters, digits, '-' and '.' (S3_BUCKET)")
        }
        self.region = region
        self.bucket = bucket
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.pathStyle = pathStyle
        self.timeout = timeout
    }

    /// Reads the `S3_*` variables.
    /// - Throws: ``ConfigurationError`` naming a missing or unusable variable.
    public init(environment: EnvironmentReader) throws {
        // The AWS SDKs' standard names work as fallbacks, so existing credentials files and CI setups carry over.
        func value(_ name: String, or fallbacks: String...) -> String? {
            ([name] + fallbacks).lazy.compactMap { environment.string($0) }.first
        }
        let region = value("S3_REGION", or: "AWS_REGION", "AWS_DEFAULT_REGION") ?? "us-east-1"
        let explicit = value("S3_ENDPOINT", or: "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
        let endpoint = explicit ?? "https://s3.\(region).amazonaws.com"
        func required(_ name: String, _ fallback: String, _ what: String) throws -> String {
            guard let found = value(name, or: fallback) else { throw ConfigurationError(variable: name, value: "", expected: what) }
            return found
        }
        guard let bucket = environment.string("S3_BUCKET") else {
            throw ConfigurationError(variable: "S3_BUCKET", value: "", expected: "the bucket backups go to")
        }
        let key = try required("S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", "an access key id (or S3_ACCESS_KEY_ID_FILE, or AWS_ACCESS_KEY_ID)")
        let secret = try required(
            "S3_SECRET_ACCESS_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "a secret access key (or S3_SECRET_ACCESS_KEY_FILE, or AWS_SECRET_ACCESS_KEY)"
        )
        let pathStyle = try environment.bool("S3_FORCE_PATH_STYLE", default: explicit != nil)
        let timeout = try environment.duration("S3_TIMEOUT", default: .seconds(120), defaultUnit: .seconds)
        do {
            try self.init(
                endpoint: endpoint,
                region: region,
                bucket: bucket,
                accessKeyID: key,
                secretAccessKey: secret,
                sessionToken: value("S3_SESSION_TOKEN", or: "AWS_SESSION_TOKEN"),
                pathStyle: pathStyle,
                timeout: timeout
            )
        } catch let error as S3Error {
            let badBucket = error.message.contains("S3_BUCKET")
            throw ConfigurationError(variable: badBucket ? "S3_BUCKET" : "S3_ENDPOINT", value: badBucket ? bucket : endpoint, expected: error.message)
        }
    }

    /// `host[:port]` of the endpoint.
    var endpointAuthority: String { port.map { "\(host):\($0)" } ?? host }
}
