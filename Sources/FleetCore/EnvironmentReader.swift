#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads typed configuration values from environment variables.
///
/// Unlike a lenient reader, a value that is set but cannot be parsed is an error that names the variable,
/// so a typo in a deployment fails at start-up instead of silently running with a default.
///
/// ```swift
/// let env = EnvironmentReader()
/// let port = try env.int("API_PORT", default: 8080, range: 1...65535)
/// ```
public struct EnvironmentReader: Sendable {
    /// The variables this reader sees.
    public let values: [String: String]

    /// Creates a reader over the process environment, with `overrides` taking precedence.
    /// - Parameter overrides: values that win over the process environment (command-line options, tests).
    public init(overrides: [String: String] = [:]) {
        var values = EnvironmentReader.processEnvironment()
        values.merge(overrides) { _, new in new }
        self.values = values
    }

    /// Creates a reader over exactly these values (no process environment).
    public init(values: [String: String]) {
        self.values = values
    }

    /// The raw value of `name`, or `nil` when it is unset or empty. When `name` is unset and `<name>_FILE` names a
    /// readable file (a Docker/Swarm secret such as `/run/secrets/joycity_secret_keys`), the file's content is the
    /// value, trailing newlines and spaces trimmed.
    public func raw(_ name: String) -> String? {
        if let value = values[name]?.trimmingSpaces(), !value.isEmpty { return value }
        guard let path = values[name + "_FILE"]?.trimmingSpaces(), !path.isEmpty, let content = Self.readFile(path) else { return nil }
        let value = content.trimmingSpaces()
        return value.isEmpty ? nil : value
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
            if bytes.count > 1 << 20 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A string value.
    public func string(_ name: String, default defaultValue: String) -> String {
        raw(name) ?? defaultValue
    }

    /// An optional string value.
    public func string(_ name: String) -> String? {
        raw(name)
    }

    /// An integer value.
    /// - Throws: ``ConfigurationError`` when the value is not an integer or is outside `range`.
    public func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let text = raw(name) else { return defaultValue }
        guard let value = Int(text) else {
            throw ConfigurationError(variable: name, value: text, expected: "an integer")
        }
        if let range, !range.contains(value) {
            throw ConfigurationError(
                variable: name,
                value: text,
                expected: "an integer from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    /// A boolean value: `true/false`, `1/0`, `yes/no`, `on/off`.
    /// - Throws: ``ConfigurationError`` for anything else.
    public func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let text = raw(name) else { return defaultValue }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, value: text, expected: "true or false")
        }
    }

    /// A duration written as a number with a unit (`250ms`, `15s`, `5m`, `2h`, `1d`), or a bare number of
    /// `defaultUnit`s.
    /// - Throws: ``ConfigurationError`` when the value does not parse or is negative.
    public func duration(
        _ name: String,
        default defaultValue: Duration,
        defaultUnit: DurationParser.Unit = .milliseconds
    ) throws -> Duration {
        guard let text = raw(name) else { return defaultValue }
        guard let value = DurationParser.parse(text, defaultUnit: defaultUnit) else {
            throw ConfigurationError(
                variable: name,
                value: text,
                expected: "a duration such as 500ms, 15s, 5m or 2h"
            )
        }
        return value
    }

    private static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    public func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
