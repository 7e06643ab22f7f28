import Foundation
import Testing

/// The import graph of the package (README, "Layout"): read from the sources themselves, so a new `import` that
/// crosses a boundary fails here, not in a review.
@Suite("module boundaries")
struct ModuleBoundaryTests {
    /// Every module's imports of this package's own modules, from its `.swift` files.
    static func imports() throws -> [String: Set<String>] {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { !$0.hasPrefix(".") }
        var graph: [String: Set<String>] = [:]
        for module in modules {
            let root = sources.appendingPathComponent(module)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            var imported: Set<String> = []
            for case let file as String in walker where file.hasSuffix(".swift") {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    let name = String(line.split(separator: " ").last ?? "")
                    if modules.contains(name) { imported.insert(name) }
                }
            }
            graph[module] = imported
        }
        return graph
    }

    @Test("only the executable imports Workers; the API imports neither Workers nor S3; Queue knows nothing of WB")
    func graph() throws {
        let graph = try Self.imports()
        #expect(graph["API"] != nil && graph["Workers"] != nil, "the sources were not found")
        for (module, imported) in graph where module != "joycity" && module != "FleetTesting" {
            #expect(!imported.contains("Workers"), "\(module) imports Workers")
            #expect(!imported.contains("API"), "\(module) imports API")
        }
        #expect(graph["API"]?.isDisjoint(with: ["Workers", "S3", "Scheduler", "FakeWB"]) == true, "API imports \(graph["API"] ?? [])")
        #expect(graph["Queue"]?.isSubset(of: ["FleetCore", "CHiredis"]) == true, "Queue imports \(graph["Queue"] ?? [])")
        for shared in [
            "FleetCore", "FleetHTTP", "FleetAuth", "FleetStore", "WBKit", "JobCatalog", "AvatarStorage", "Spreadsheet", "Assignments", "KPI",
            "Logistics",
        ] {
            #expect(
                graph[shared]?.isDisjoint(with: ["API", "Workers", "Scheduler", "ProxyEdge", "joycity"]) == true,
                "\(shared) imports a role module"
            )
        }
        #expect(graph["Spreadsheet"]?.isSubset(of: ["FleetCore"]) == true, "Spreadsheet imports \(graph["Spreadsheet"] ?? [])")
        // The logistics planner is pure: inputs in, a plan out.
        #expect(graph["Logistics"]?.isSubset(of: ["FleetCore"]) == true, "Logistics imports \(graph["Logistics"] ?? [])")
        // The proxy edge, when it lands, builds on the shared modules only.
        if let edge = graph["ProxyEdge"] { #expect(edge.isDisjoint(with: ["API", "Workers"]), "ProxyEdge imports \(edge)") }
    }
}
