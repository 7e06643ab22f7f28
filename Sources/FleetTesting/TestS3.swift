import Foundation
import S3

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that talk to the local S3 (`moto_server`) scripts/with-services.sh starts with signature
/// checking on, named by `JOYCITY_TEST_S3_ENDPOINT`, `JOYCITY_TEST_S3_ACCESS_KEY_ID` and
/// `JOYCITY_TEST_S3_SECRET_ACCESS_KEY`.
public enum TestS3 {
    /// The endpoint and real credentials of the test S3.
    /// - Throws: when the variables are unset: run the tests with scripts/test.sh.
    public static func credentials() throws -> (endpoint: String, accessKeyID: String, secretAccessKey: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["JOYCITY_TEST_S3_ENDPOINT"], let key = environment["JOYCITY_TEST_S3_ACCESS_KEY_ID"],
            let secret = environment["JOYCITY_TEST_S3_SECRET_ACCESS_KEY"]
        else {
            throw TestSetupError("JOYCITY_TEST_S3_* are not set: run the tests with scripts/test.sh, which starts moto_server")
        }
        return (endpoint, key, secret)
    }

    /// A fresh bucket of its own on the test S3. → its configuration.
    public static func bucket(timeout: Duration = .seconds(30)) async throws -> S3Configuration {
        let (endpoint, key, secret) = try credentials()
        let configuration = try S3Configuration(
            endpoint: endpoint,
            bucket: "t-\(UUID().uuidString.prefix(12).lowercased())",
            accessKeyID: key,
            secretAccessKey: secret,
            timeout: timeout
        )
        try await S3Client(configuration: configuration).createBucket()
        return configuration
    }
}

/// A private `moto_server` (no signature checks) on a free port, for tests that make S3 unresponsive.
public final class PrivateMoto: @unchecked Sendable {
    /// Its port.
    public let port: Int
    private let process: Process

    /// Starts the server and waits for its port.
    public init() async throws {
        port = Int.random(in: 40_001...50_000)
        let executable = ProcessInfo.processInfo.environment["JOYCITY_TEST_MOTO_SERVER"] ?? "moto_server"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable, "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let port = self.port
        guard await eventually(timeout: .seconds(30), { PrivateRedis.canConnect(port: port) }) else {
            kill(process.processIdentifier, SIGKILL)
            throw TestSetupError("moto_server did not start on port \(port) (pip install 'moto[server]')")
        }
    }

    deinit {
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGKILL)
    }

    /// The endpoint URL.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Freezes the server (SIGSTOP): connections hang, requests time out.
    public func pause() { kill(process.processIdentifier, SIGSTOP) }

    /// Thaws it (SIGCONT).
    public func resume() { kill(process.processIdentifier, SIGCONT) }
}
