/// A configuration value that is set but unusable. Its description names the variable and what it expects.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The environment variable (or option) that holds the bad value.
    public let variable: String
    /// The value as given.
    public let value: String
    /// What would have been accepted.
    public let expected: String

    /// Creates an error for `variable`.
    public init(variable: String, value: String, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "\(variable)=\"\(value)\" is not valid: expected \(expected). Fix or unset \(variable)."
    }
}
