import FleetCore
import Foundation
import Logging
import PostgresNIO

/// Where PostgreSQL is and how many connections a process keeps.
///
/// - Configuration keys (environment):
///   - `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`): `postgres://user[:password]@host[:port]/database`.
///     TLS is not negotiated (`sslmode` other than `disable` is refused): keep PostgreSQL on a private network.
///   - `POSTGRES_MAX_CONNECTIONS` (int 1–200, default 10): connections per process.
public struct DatabaseConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var maxConnections: Int
    /// A role every connection switches to at start (`-c role=…`): the API serves as `joycity_api`, which owns no
    /// table, so the database's own guards apply to it. Nil: the login role.
    public var role: String?
    /// PostgreSQL's `statement_timeout` for every connection (`-c statement_timeout=…`): a statement running longer
    /// is cancelled by the server. Nil: the server's setting. The API sets its request deadline here.
    public var statementTimeout: Duration?

    /// The default URL.
    public static let defaultURL = "postgres://postgres@127.0.0.1:5432/postgres"

    /// Reads `DATABASE_URL` and `POSTGRES_MAX_CONNECTIONS`.
    /// - Throws: ``ConfigurationError`` naming the variable when a value is set but invalid.
    public init(environment: EnvironmentReader) throws {
        let url = environment.string("DATABASE_URL", default: Self.defaultURL)
        try self.init(url: url, variable: "DATABASE_URL")
        maxConnections = try environment.int("POSTGRES_MAX_CONNECTIONS", default: 10, range: 1...200)
    }

    /// Parses a `postgres://` URL.
    /// - Throws: ``ConfigurationError`` for anything that is not a usable PostgreSQL URL.
    public init(url: String, variable: String = "DATABASE_URL") throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql", let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: variable, value: url, expected: "a URL like postgres://user:password@127.0.0.1:5432/database")
        }
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value, mode != "disable" {
            throw ConfigurationError(
                variable: variable,
                value: url,
                expected: "no sslmode or sslmode=disable (TLS to PostgreSQL is not supported yet)"
            )
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.database = path.isEmpty ? "postgres" : path
        self.maxConnections = 10
    }

    /// Whether `name` can be given as ``role``: a plain lower-case PostgreSQL identifier.
    public static func isValidRole(_ name: String) -> Bool {
        guard let first = name.utf8.first, (first >= 97 && first <= 122) || first == 95, name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// `host:port/database`, for messages (never the password).
    public var displayName: String { "\(host):\(port)/\(database)" }

    /// The postgres-nio client configuration.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: .disable
        )
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        var options: [String] = []
        if let role { options.append("-c role=\(role)") }
        if let statementTimeout { options.append("-c statement_timeout=\(max(1, statementTimeout.milliseconds))") }
        if !options.isEmpty { configuration.options.additionalStartupParameters = [("options", options.joined(separator: " "))] }
        return configuration
    }

    /// A client for this database; run it as a `Service` (or inside `withClient`).
    public func makeClient(logger: Logger) -> PostgresClient {
        PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    }
}
