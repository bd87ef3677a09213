import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import RecordCore
import RecordHTTP
import Testing

/// A small recorded program in a temporary store, a token per role, and a live server.
///
/// Programs p1 (team t1, practitioners pr1 and pr2, consumers c1 and c2) and p2 (team t2,
/// practitioner pr9, consumer c9). c1 has a goal g1 and sessions s1 and s2.
struct Fixture: Sendable {
    let tmp: TemporaryStore
    let log: LMDBEventLog
    /// An unscoped token per role.
    let tokens: [Role: String]
    /// Program-scoped tokens: "practitioner-p2", "integrator-p1".
    let scoped: [String: String]
    /// The user ids of the tokens, by role.
    let users: [Role: String]

    static let start = LocalDate("2025-01-06")!
    static func day(_ n: Int) -> LocalDate { start.adding(days: n) }
    static func at(_ d: LocalDate) -> Timestamp { Timestamp(microseconds: Int64(d.dayNumber) * 86_400_000_000 + 36_000_000_000) }

    static func make() async throws -> Fixture {
        let tmp = try TemporaryStore(prefix: "imr-server")
        let log = try tmp.create()
        var commands: [CommandRequest] = []
        var n = 0
        func add(_ e: any RecordEvent, _ d: LocalDate, id: String? = nil) {
            n += 1
            commands.append(CommandRequest(command: .record(e), occurredAt: at(d), commandId: id ?? "seed-\(n)"))
        }
        for (p, t, prs, cs) in [("p1", "t1", ["pr1", "pr2"], ["c1", "c2"]), ("p2", "t2", ["pr9"], ["c9"])] {
            let program = ProgramID(p)!, team = TeamID(t)!
            add(ProgramEstablished(programId: program, name: "Program \(p)", curriculum: .kit2009, fidelityScale: .kit2009, startDate: start), start)
            add(TeamFormed(teamId: team, programId: program, name: "Team \(t)", date: start), start)
            for pr in prs {
                add(PractitionerJoined(practitionerId: PractitionerID(pr)!, programId: program, teamId: team, role: .practitioner, startDate: start), start)
            }
            for c in cs {
                let cid = ConsumerID(c)!, rid = ReferralID("r-\(c)")!
                add(ReferralReceived(referralId: rid, consumerId: cid, programId: program, source: .treatmentTeam, reason: "wants help", date: day(1)), day(1))
                add(ReferralAccepted(referralId: rid, decidedBy: "u1", formatOffered: .individual, date: day(2)), day(2))
                add(ConsumerEnrolled(enrollmentId: EnrollmentID("e-\(c)")!, consumerId: cid, programId: program, referralId: rid, format: .individual,
                                     startDate: day(3), curriculum: .kit2009, scaleVersion: .kit2009), day(3))
                add(PractitionerAssigned(enrollmentId: EnrollmentID("e-\(c)")!, consumerId: cid, practitionerId: PractitionerID(prs[0])!, effectiveDate: day(3)), day(3))
            }
        }
        add(GoalSet(goalId: "g1", consumerId: "c1", text: "work part time", measurableCriterion: "two shifts a week", date: day(4)), day(4))
        let modules = CurriculumEdition.kit2009.modules
        add(SessionRecorded(sessionId: "s1", consumerId: "c1", format: .individual, date: day(10), durationMinutes: 50, practitioners: ["pr1"],
                            goalsFollowedUp: ["g1"], motivational: [.promoteHope], topics: [modules[0]], handoutsGiven: true), day(10), id: "session-s1")
        add(SessionRecorded(sessionId: "s2", consumerId: "c1", format: .individual, date: day(17), durationMinutes: 45, practitioners: ["pr1"],
                            goalsFollowedUp: [], motivational: [.promoteHope], topics: [modules[1]], handoutsGiven: false), day(17), id: "session-s2")
        let outcome = try await RecordCore(log: log).executeBatch(commands, by: Actor(user: "seed", role: "administrator"), mode: .allOrNothing)
        for line in outcome.lines { if case .failure(let e) = line { Issue.record("seed refused: \(e)") } }

        let store = TokenStore(store: tmp.path)
        var tokens: [Role: String] = [:], users: [Role: String] = [:]
        for role in Role.allCases {
            let user = "\(role.rawValue)-1"
            tokens[role] = try store.create(role: role, user: user).token
            users[role] = user
        }
        let scoped = [
            "practitioner-p2": try store.create(role: .practitioner, program: "p2", user: "prac-p2").token,
            "integrator-p1": try store.create(role: .integrator, program: "p1", user: "integ-p1").token,
            "auditor-p2": try store.create(role: .auditor, program: "p2", user: "aud-p2").token,
        ]
        return Fixture(tmp: tmp, log: log, tokens: tokens, scoped: scoped, users: users)
    }

    /// Test settings: quick heartbeats and polls, quiet logs.
    static let options = RecordServer.Options(host: "127.0.0.1", port: 0, heartbeatSeconds: 0.3, pollSeconds: 0.2, logLevel: .critical)

    /// Runs `body` against a live server on an ephemeral port of 127.0.0.1.
    func withServer<T: Sendable>(options: RecordServer.Options = Fixture.options,
                                 _ body: @Sendable (APIClient, RecordServer) async throws -> T) async throws -> T {
        let server = try RecordServer(store: tmp.path, log: log, options: options)
        let app = try server.makeApplication()
        return try await app.test(.live) { client in
            try await body(APIClient(port: client.port!, token: nil), server)
        }
    }

    func size() throws -> UInt64 { try log.currentHead().treeSize }

    /// The JSON of a command as `imr record` takes it.
    static func command(_ event: any RecordEvent, on d: LocalDate, id: String? = nil) throws -> [String: Any] {
        var value = try JSONValueEncoder().encode(event)
        if case .object(var o) = value {
            o["occurred_at"] = .string(at(d).description)
            if let id { o["command_id"] = .string(id) }
            value = .object(o)
        }
        return try JSONSerialization.jsonObject(with: Data(value.canonicalBytes)) as! [String: Any]
    }
}
