import Foundation
import Testing

/// Outside tools the interoperability tests run (the age CLI, Python packages): a missing one is a
/// failure when `ARBOR_REQUIRE_PEERS=1` (scripts/test sets it, so an interoperability test cannot
/// pass in CI without running), otherwise a printed SKIPPED line that says why.
public enum Peers {
    public static var areRequired: Bool { ProcessEnvironment.value("ARBOR_REQUIRE_PEERS") == "1" }

    public static func missing(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if areRequired {
            Issue.record("\(reason), and ARBOR_REQUIRE_PEERS=1 requires it", sourceLocation: sourceLocation)
        } else {
            print("SKIPPED \(reason)")
        }
    }
}

enum ProcessEnvironment {
    static func value(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}
