import AsyncHTTPClient
import FleetCore
import FleetHTTP
import Foundation
import NIOCore
import NIOHTTP1

/// Has the proxy edge check portal credentials against WB before the API stores them (`API_PROXY_URL`,
/// `POST /__joycity__/validate` with the shared `X-Internal-Secret`): WB's session check must pass, and what comes
/// back — the cookies as WB rotated them and the access token — is what gets stored.
struct PortalCredentialsCheck: Sendable {
    let proxyURL: String
    let secret: String

    struct Answer: Decodable {
        var valid: Bool
        var reason: String?
        var cookies: String?
        var accessToken: String?
    }

    /// `credentials` as they are to be stored (the rotated cookies and the access token in place of the pasted ones).
    /// - Throws: ``APIError`` 422 `portal_credentials_invalid` with WB's reason, 503 when the proxy edge or WB cannot
    ///   be reached (nothing is stored either way).
    func check(_ credentials: PortalCredentials) async throws -> PortalCredentials {
        guard let cookies = credentials.cookies, !cookies.isEmpty else { return credentials }
        var request = HTTPClientRequest(url: proxyURL + "/__joycity__/validate")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Internal-Secret", value: secret)
        var body: [String: String] = ["cookies": cookies]
        if let token = credentials.accessToken { body["accessToken"] = token }
        request.body = .bytes(ByteBuffer(string: try JSONCoding.encode(body)))
        let answer: Answer
        let status: HTTPResponseStatus
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            status = response.status
            answer = try JSONCoding.decode(Answer.self, from: Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        } catch {
            throw APIError.unavailable("the proxy edge could not check the portal credentials (\(error)); is it running at API_PROXY_URL?")
        }
        guard answer.valid, let rotated = answer.cookies, let token = answer.accessToken else {
            let reason = answer.reason ?? "status \(status.code)"
            if status == .unprocessableEntity {
                throw APIError.unprocessable(
                    code: "portal_credentials_invalid",
                    "WB did not accept the portal session (\(reason)); sign in to the WB portal again and copy its cookies"
                )
            }
            throw APIError.unavailable("WB's portal could not check the credentials (\(reason)); try again shortly")
        }
        var checked = credentials
        checked.cookies = rotated
        checked.accessToken = token
        return checked
    }
}
