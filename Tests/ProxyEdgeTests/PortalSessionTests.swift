import Foundation
import NIOCore
import Testing

@testable import ProxyEdge

@Suite("the portal session's cookie jar and the last secret scan")
struct PortalSessionTests {
    @Test("pasted cookies are scoped (the refresh cookie to the SSO host); WB's Set-Cookie sets, replaces and removes by domain")
    func cookieJar() {
        var session = PortalSession(
            pastedCookies: " wbx-refresh=R1; wbx-seller-device-id=D; x-supplier-id-external=S-1 ;broken; =x",
            accessToken: nil
        )
        #expect(session.supplierID == "S-1" && session.accessToken == nil)
        #expect(session.cookieHeader(host: "seller-auth.wildberries.ru") == "wbx-refresh=R1; wbx-seller-device-id=D; x-supplier-id-external=S-1")
        #expect(session.cookieHeader(host: "seller.wildberries.ru") == "wbx-seller-device-id=D; x-supplier-id-external=S-1")
        #expect(session.cookieHeader(host: "evil-wildberries.ru").isEmpty)

        let changed = session.absorb(
            setCookies: [
                "wbx-refresh=R2; Domain=.seller-auth.wildberries.ru; Path=/; HttpOnly",
                "wbx-validation-key=V; Domain=.wildberries.ru; Secure",
                "cfidsw-wb=A; Path=/",
                "stolen=1; Domain=.example.com",
            ],
            host: "seller-auth.wildberries.ru"
        )
        #expect(changed)
        #expect(session.cookieHeader(host: "seller-auth.wildberries.ru").contains("wbx-refresh=R2"))
        #expect(!session.cookieHeader(host: "seller-auth.wildberries.ru").contains("R1"))
        #expect(session.cookieHeader(host: "seller-content.wildberries.ru").contains("wbx-validation-key=V"))
        // A host-only cookie stays with its host; a foreign Domain is taken as the answering host's own.
        #expect(!session.cookieHeader(host: "seller.wildberries.ru").contains("cfidsw-wb"))
        #expect(!session.cookieHeader(host: "seller.wildberries.ru").contains("stolen"))

        session.absorb(setCookies: ["wbx-validation-key=; Domain=.wildberries.ru; Max-Age=0"], host: "seller.wildberries.ru")
        #expect(!session.cookieHeader(host: "seller-content.wildberries.ru").contains("wbx-validation-key"))
        session.absorb(setCookies: ["cfidsw-wb=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], host: "seller-auth.wildberries.ru")
        #expect(!session.cookieHeader(host: "seller-auth.wildberries.ru").contains("cfidsw-wb"))
        let nothing = session.absorb(setCookies: [], host: "seller.wildberries.ru")
        #expect(!nothing)
    }

    @Test("the secret scan finds a token anywhere in a body, ignores short values, and finds nothing in clean bodies")
    func secretScan() {
        let token = "eyJhbGciOiJIUzI1NiJ9.payload.signature"
        #expect(SecretScan.leaks(ByteBuffer(string: #"{"x":"\#(token)"}"#), [token]))
        #expect(SecretScan.leaks(ByteBuffer(string: token), ["nothing-here", token]))
        #expect(!SecretScan.leaks(ByteBuffer(string: #"{"x":"eyJhbGciOiJIUzI1NiJ9.payload.signatur"}"#), [token]))
        #expect(!SecretScan.leaks(ByteBuffer(string: "short ab12 values"), ["ab12"]))
        #expect(!SecretScan.leaks(ByteBuffer(), [token]))
        // Partial matches before the real one do not hide it.
        #expect(SecretScan.leaks(ByteBuffer(string: "eyJhbGci eyJhbGciOiJIUzI1NiJ9.pay " + token), [token]))
    }
}
