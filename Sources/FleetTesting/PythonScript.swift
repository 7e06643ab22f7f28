import Foundation

/// Runs `script` with the tests' Python (`JOYCITY_TEST_PYTHON`, set by scripts/with-services.sh to the interpreter
/// that has PyJWT, redis-py and schemathesis), for checks by independent implementations.
/// - Returns: the exit status and what it printed (standard output, then standard error).
public func runPython(_ script: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [ProcessInfo.processInfo.environment["JOYCITY_TEST_PYTHON"] ?? "python3", "-c", script] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
