@testable import EventLog
import Testing

/// The largest position (``EventLimits/maxPosition``, CloudEvents' 32-bit Integer) cannot be
/// reached by real appends in a test, so the rule is checked where both stages apply it:
/// ``StartingPoints/find(_:repeatsStream:eventCount:logSize:tail:)``.
@Suite("An append that would pass the largest position is refused as log-full")
struct LogFullTests {
    static let stream = try! StreamID("consumer-c-1")

    func failure(events: Int, logSize: UInt64, expected: ExpectedVersion = .any) -> EventLogError? {
        let parts = [PreparedAppend(stream: Self.stream, expected: expected, events: 0..<events)]
        return parts.withUnsafeBufferPointer { p in
            StartingPoints.find(p, repeatsStream: false, eventCount: events, logSize: logSize) { _ in nil }.failure
        }
    }

    @Test("The last position may be taken; one past it may not, and the refusal names the limit")
    func boundary() {
        let max = EventLimits.maxPosition
        #expect(failure(events: 2, logSize: max - 1) == nil)  // positions max-1 and max
        #expect(failure(events: 1, logSize: max) == nil)  // position max
        let refused = failure(events: 2, logSize: max)
        #expect(refused?.code == .logFull)
        #expect(refused?.message.contains("\(max)") == true)
        #expect(failure(events: 1, logSize: max + 1)?.code == .logFull)
    }

    @Test("A wrong expected version is reported before log-full, as every expectation is")
    func expectationFirst() {
        #expect(failure(events: 2, logSize: EventLimits.maxPosition, expected: .exact(3))?.code == .wrongExpectedVersion)
    }
}
