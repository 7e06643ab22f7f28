import FleetHTTP
import Foundation
import Testing

/// The Swarm stack's edge: Traefik is the only published entry, the API believes `X-Forwarded-For` from the edge
/// network's range and nothing else, and the internal paths are never routed. (`scripts/test.sh` runs
/// `docker stack config` on the same file for its syntax.)
@Suite("Swarm stack edge")
struct StackTests {
    static let stack: [Substring] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent("helm-free-swarm/stack.yml"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false)
    }()

    /// The lines of each service (two-space keys under `services:`).
    static func services() -> [String: [Substring]] {
        var out: [String: [Substring]] = [:]
        var current: String?
        var inServices = false
        for line in stack {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                inServices = line == "services:"
                current = nil
                continue
            }
            guard inServices else { continue }
            if line.hasPrefix("  ") && !line.hasPrefix("   ") && line.hasSuffix(":") && !line.contains("#") {
                current = String(line.dropFirst(2).dropLast())
                out[current!] = []
            } else if let current {
                out[current]?.append(line)
            }
        }
        return out
    }

    @Test("only Traefik publishes ports, in host mode (it sees the clients' own addresses)")
    func onlyTraefikIsPublished() throws {
        let services = Self.services()
        #expect(services.keys.contains("api") && services.keys.contains("proxy") && services.keys.contains("traefik"), "\(services.keys)")
        let publishing = services.filter { $0.value.contains { $0.contains("published:") } }.map(\.key)
        #expect(publishing == ["traefik"])
        let traefik = try #require(services["traefik"])
        #expect(traefik.filter { $0.contains("published:") }.count == 2)
        #expect(traefik.filter { $0.contains("mode: host") }.count == 2)
    }

    @Test("API_TRUSTED_PROXIES defaults to the edge network's range, and that range holds the edge, not the internet")
    func trustedProxiesAreTheEdge() throws {
        let subnet = try #require(Self.stack.first { $0.contains("- subnet:") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces))
        let line = try #require(Self.stack.first { $0.contains("API_TRUSTED_PROXIES:") })
        #expect(line.contains("${API_TRUSTED_PROXIES:-\(subnet)}"), "\(line)")
        let trusted = try AddressSet(parsing: subnet)
        #expect(trusted.contains("10.231.0.7"))
        #expect(!trusted.contains("203.0.113.10") && !trusted.contains("10.0.0.2") && !trusted.contains("127.0.0.1"))
        let api = try #require(Self.services()["api"])
        #expect(api.contains { $0.contains("networks: [edge, fleet]") })
    }

    @Test("the app router never routes /internal or /metrics")
    func internalPathsAreNotRouted() throws {
        let rule = try #require(Self.stack.first { $0.contains("traefik.http.routers.app.rule:") })
        #expect(rule.contains("!PathPrefix(`/internal`)") && rule.contains("!PathPrefix(`/metrics`)"), "\(rule)")
        let proxy = try #require(Self.services()["proxy"])
        #expect(proxy.contains { $0.contains("traefik.http.routers.portal.rule: Host(`wb-seller.") })
    }
}
