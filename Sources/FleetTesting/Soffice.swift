import Foundation

/// Runs LibreOffice headless with a profile of its own (so parallel runs and a user's open instance do not clash).
public func runSoffice(_ arguments: [String]) async throws {
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("joycity-lo-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: profile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["soffice", "-env:UserInstallation=file://\(profile.path)", "--headless", "--norestore"] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestSetupError("soffice \(arguments) exited \(process.terminationStatus)") }
}
