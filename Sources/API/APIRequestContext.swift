import FleetAuth
import FleetHTTP
import Hummingbird
import Logging
import NIOCore

/// The request context of every API route: the request id, the caller's address and, once authenticated, the
/// principal and how it proved itself.
public struct APIRequestContext: FleetRequestContext, RemoteAddressRequestContext {
    /// How the caller authenticated.
    public enum CredentialSource: Sendable { case bearer, cookie }

    public var coreContext: CoreRequestContextStorage
    /// The peer of the connection (a proxy's address behind one; see `API_TRUSTED_PROXIES`).
    public let remoteAddress: SocketAddress?
    /// The request id: the caller's `X-Request-Id` when it is sane, else a new one. In logs and responses.
    public var requestID: String = ""
    /// Who is calling, once an authenticated route checked.
    public var principal: Principal?
    /// How the principal authenticated.
    public var credentialSource: CredentialSource?
    /// The largest body `request.decode` collects (`API_MAX_BODY`).
    public var maxUploadSize: Int { maxBody }
    /// The body limit (set from `API_MAX_BODY` by ``RequestIDMiddleware``).
    public var maxBody: Int = 1 << 20

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
