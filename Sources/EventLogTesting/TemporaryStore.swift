public import EventLog
import CanonicalJSON
import Foundation

/// A store in a fresh temporary directory, removed by ``remove()``.
///
/// ```swift
/// let tmp = try TemporaryStore()
/// defer { tmp.remove() }
/// let log = try tmp.create()
/// ```
public struct TemporaryStore: Sendable {
    /// The store directory (inside a new temporary directory).
    public let path: String
    private let root: String

    /// Makes a new empty temporary directory for a store.
    public init(prefix: String = "imr-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        root = base + "/\(prefix)-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        path = root + "/store"
    }

    /// Creates the store.
    public func create(origin: String = "imr-test/log", options: LMDBEventLog.Options = .init()) throws -> LMDBEventLog {
        try LMDBEventLog.create(at: path, origin: origin, options: options)
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Realistic test events: IMR session notes of about 400 bytes.
public enum Fixtures {
    /// The source used by fixtures.
    public static let source = "/agencies/a1/programs/imr"

    /// A session-note draft for `consumer`, with a deterministic id from `n`.
    public static func sessionNote(_ n: Int, consumer: String = "c-0001", id: String? = nil) -> EventDraft {
        let data: JSONValue = .object([
            "sessionId": .string("s-\(n)"),
            "consumerId": .string(consumer),
            "format": .string(n % 3 == 0 ? "group" : "individual"),
            "minutes": .number(Double(45 + n % 4 * 15)),
            "topics": .array([.string("recovery-strategies"), .string("stress-vulnerability")]),
            "motivational": .array([.string("connect-to-goals"), .string("promote-hope")]),
            "cbt": .array([.string("reinforcement"), .string("role-playing")]),
            "skills": .array([.string("coping-skill")]),
            "homework": .string("Practise the breathing exercise twice a day and note what helped."),
            "consumerView": .string("Felt calmer; wants to try it at work — “small steps”."),
            "nextPlan": .string("Review homework; start module 3."),
            "handoutsProvided": .bool(true),
        ])
        return EventDraft(
            id: id ?? "evt-\(n)", source: source, type: "org.imr.session.recorded.v1",
            time: "2026-03-02T15:00:00Z", data: data, recordedBy: "user:p-12", recordedRole: "practitioner")
    }

    /// A stream id for consumer number `n`.
    public static func consumerStream(_ n: Int) -> StreamID {
        try! StreamID("consumer-c-\(n)")
    }
}
