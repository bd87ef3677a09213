import CanonicalJSON
import EventLog
import ProgramSimulator

/// The standard workload of DESIGN.md section 10: session notes of about 400 bytes of JSON
/// data, round-robin over 10,000 consumer streams, from a fixed seed.
struct Workload {
    static let streams = 10_000
    static let seed: UInt64 = 0x1AB5_2026
    let streamIDs: [StreamID]

    init() {
        streamIDs = (0..<Workload.streams).map { try! StreamID("consumer-c-\(String($0, radix: 16))") }
    }

    private static let topics = [
        "recovery-strategies", "practical-facts", "stress-vulnerability", "social-support", "using-medication",
        "drug-and-alcohol-use", "reducing-relapses", "coping-with-stress", "coping-with-symptoms", "getting-needs-met",
    ]
    private static let motivational = ["connect-to-goals", "promote-hope", "pros-and-cons", "reframe-positively"]
    private static let cbt = ["reinforcement", "shaping", "modeling", "role-playing", "cognitive-restructuring", "relaxation"]
    private static let words = [
        "practised", "breathing", "walk", "sister", "library", "sleep", "calmer", "voices", "plan", "week", "notice",
        "signs", "call", "doctor", "routine", "morning", "helped", "tried", "again", "small", "steps", "work",
    ]

    private static func sentence(_ rng: inout SplitMix64, words count: Int) -> String {
        (0..<count).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
    }

    /// The id of event `n`: a version 7 UUID made as the store makes them
    /// (``EventDraft/newID()``), but deterministic: event `n` is made in millisecond `n / 1000`
    /// after 2026-03-01T00:00:00Z, with `n % 1000` as the counter of RFC 9562's method 1 and
    /// `random` in the other 62 bits. So the ids ascend with `n`, as a program's ids made by one
    /// generator do, and are as long as the store's own (36 characters).
    static func eventID(_ n: Int, random: UInt64) -> String {
        EventDraft.versionSevenID(millis: UInt64(1_772_323_200_000 + n / 1000), counter: UInt16(n % 1000), random: random)
    }

    /// Event `n` of the workload (deterministic in `n`).
    func draft(_ n: Int) -> (StreamID, EventDraft) {
        var rng = SplitMix64(seed: Workload.seed ^ UInt64(n) &* 0x2545_F491_4F6C_DD1D)
        let stream = streamIDs[n % Workload.streams]
        let day = 1 + n / Workload.streams % 28
        let data: JSONValue = .object([
            "sessionId": .string("s-\(n)"),
            "format": .string(rng.next() % 3 == 0 ? "group" : "individual"),
            "minutes": .number(Double(45 + rng.next() % 46)),
            "topics": .array([.string(Self.topics[Int(rng.next() % 10)])]),
            "motivational": .array([.string(Self.motivational[Int(rng.next() % 4)])]),
            "cbt": .array([.string(Self.cbt[Int(rng.next() % 6)]), .string(Self.cbt[Int(rng.next() % 6)])]),
            "skills": .array([.string("coping-skill")]),
            "homework": .string(Self.sentence(&rng, words: 9)),
            "consumerView": .string(Self.sentence(&rng, words: 8)),
            "practitionerView": .string(Self.sentence(&rng, words: 8)),
            "nextPlan": .string(Self.sentence(&rng, words: 6)),
            "handoutsProvided": .bool(rng.next() % 2 == 0),
        ])
        let time = "2026-03-\(day < 10 ? "0" : "")\(day)T\(10 + n % 8):00:00Z"
        let draft = EventDraft(
            id: Self.eventID(n, random: rng.next()), source: "/agencies/bench/programs/imr", type: "org.imr.session.recorded.v1", time: time,
            data: data, recordedBy: "user:p-\(n % 97)", recordedRole: "practitioner")
        return (stream, draft)
    }
}
