import EventLog
import EventLogTesting
import Foundation
import Testing

@Suite("imr record, imr import and imr schema")
struct RecordCLITests {
    func freshStore() throws -> TemporaryStore {
        let tmp = try TemporaryStore()
        let r = try ToolRunner.run(["init", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        return tmp
    }

    func size(_ tmp: TemporaryStore) throws -> UInt64 {
        try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true)).currentHead().treeSize
    }

    /// A program, a team, a trained practitioner, and an accepted referral for c1: NDJSON lines.
    let setup = """
        {"command":"establish-program","occurred_at":"2026-01-05T09:00:00Z","program_id":"p1","name":"North Clinic","curriculum":"imr-kit-2009","fidelity_scale":"imr-fidelity-kit-2009","start_date":"2026-01-05"}
        {"command":"form-team","occurred_at":"2026-01-05T09:00:00Z","team_id":"t1","program_id":"p1","name":"Team A","date":"2026-01-05"}
        {"command":"add-practitioner","occurred_at":"2026-01-05T09:00:00Z","practitioner_id":"pr1","program_id":"p1","team_id":"t1","role":"practitioner","start_date":"2026-01-05"}
        {"command":"record-training","occurred_at":"2026-01-06T09:00:00Z","practitioner_id":"pr1","course":"basic","hours":16,"date":"2026-01-06"}
        {"command":"receive-referral","occurred_at":"2026-01-07T09:00:00Z","referral_id":"r1","consumer_id":"c1","program_id":"p1","source":"treatment-team","reason":"PRIVATE-REASON","date":"2026-01-07"}
        {"command":"accept-referral","occurred_at":"2026-01-08T09:00:00Z","referral_id":"r1","decided_by":"u1","format_offered":"individual","date":"2026-01-08"}

        """

    @Test("An import commits every line in one append; record then checks commands against what it wrote")
    func importThenRecord() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["import", tmp.path, "-"], input: setup)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 6)
        #expect(r.stderr.contains("imported 6 command(s), 6 event(s)"))
        #expect(try size(tmp) == 6)

        let enroll = #"{"occurred_at":"2026-01-09T09:00:00Z","command_id":"enroll-c1","enrollment_id":"e1","consumer_id":"c1","program_id":"p1","referral_id":"r1","format":"individual","start_date":"2026-01-09","curriculum":"imr-kit-2009","scale_version":"imr-fidelity-kit-2009"}"#
        r = try ToolRunner.run(["record", tmp.path, "enroll-consumer", "--json", enroll, "--role", "supervisor"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""position":6"#))
        #expect(r.stdout.contains(#""stream":"consumer-c1""#))
        #expect(r.stdout.contains(#""id":"enroll-c1.0""#))
        // A retry with the same command id returns the original position and writes nothing.
        r = try ToolRunner.run(["record", tmp.path, "enroll-consumer", "--json", enroll])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""duplicate":true"#) && r.stdout.contains(#""position":6"#))
        #expect(try size(tmp) == 7)
        // So does an import of the same command: its original position, marked duplicate.
        r = try ToolRunner.run(["import", tmp.path, "-"], input: #"{"command":"enroll-consumer","# + enroll.dropFirst() + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""duplicate":true"#) && r.stdout.contains(#""position":6"#), "\(r.stdout)")
        #expect(r.stderr.contains("imported 0 command(s), 0 event(s); 1 already recorded"), "\(r.stderr)")
        #expect(try size(tmp) == 7)

        // The stored event: occurred-at from the command, recorded-at and role from the store.
        let stored = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true)).readEvents(from: 6, limit: 1)[0]
        #expect(stored.time == "2026-01-09T09:00:00Z")
        #expect(stored.recordedRole == "supervisor")
        #expect(stored.type == "org.imr.consumer.enrolled.v1")
        #expect(stored.data["curriculum"] == "imr-kit-2009")

        // A session whose topic is not in the curriculum is refused, names the field, and writes nothing.
        let note = #"{"occurred_at":"2026-01-12T10:00:00Z","session_id":"s1","consumer_id":"c1","format":"individual","date":"2026-01-12","duration_minutes":50,"practitioners":["pr1"],"goals_followed_up":[],"motivational":["promote-hope"],"topics":["healthy-lifestyle"],"educational_techniques":[],"cbt":[],"skills":[],"homework":"PRIVATE-HOMEWORK","handouts_given":true,"practitioner_signed":true,"consumer_signed":true}"#
        r = try ToolRunner.run(["record", tmp.path, "record-session", "--json", note])
        #expect(r.status == 1)
        #expect(r.stderr.contains("topics[0]") && r.stderr.contains("[session.topic-not-in-curriculum]"))
        #expect(!r.stderr.contains("PRIVATE"))
        #expect(try size(tmp) == 7)
        r = try ToolRunner.run(["record", tmp.path, "record-session", "--json", note.replacingOccurrences(of: "healthy-lifestyle", with: "recovery-strategies")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try size(tmp) == 8)
    }

    @Test("A refused import line reports its line, field and rule, and by default nothing is written")
    func importAllOrNothing() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        // Line 7 enrolls on a referral that was never accepted; line 8 misspells a field.
        let bad = setup
            + #"{"command":"enroll-consumer","occurred_at":"2026-01-09T09:00:00Z","enrollment_id":"e2","consumer_id":"c2","program_id":"p1","referral_id":"r9","format":"individual","start_date":"2026-01-09","curriculum":"imr-kit-2009","scale_version":"imr-fidelity-kit-2009"}"# + "\n"
            + #"{"command":"record-training","occurred_at":"2026-01-06T09:00:00Z","practitioner_id":"pr1","course":"basic","hours":16,"hourz":16,"date":"2026-01-06"}"# + "\n"
        var r = try ToolRunner.run(["import", tmp.path, "-"], input: bad)
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 8: refused: hourz: unknown field"))
        // The lines that parse are still checked: line 7's rule is reported too.
        #expect(r.stderr.contains("line 7: refused: referral_id: enrollment needs an accepted referral"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing written: 2 line(s) refused"))
        #expect(try size(tmp) == 0)
        // Without the malformed line, the state rule on line 7 is what refuses the import.
        let onlyInvariant = bad.split(separator: "\n").prefix(7).joined(separator: "\n") + "\n"
        r = try ToolRunner.run(["import", tmp.path, "-"], input: onlyInvariant)
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 7: refused: referral_id: enrollment needs an accepted referral [enrollment.requires-accepted-referral]"))
        #expect(try size(tmp) == 0)
        // --commit-valid writes the six valid lines and reports the refused one.
        r = try ToolRunner.run(["import", tmp.path, "-", "--commit-valid"], input: onlyInvariant)
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 7: refused"))
        #expect(r.stderr.contains("imported 6 command(s)"))
        #expect(try size(tmp) == 6)
    }

    @Test("A malformed command reports every broken field at once, and never repeats a member name that is not a field name")
    func everyFieldReported() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        let json = #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":5,"consumer_id":"c1","text":["x"],"steps":"x","in_consumers_words":"yes","date":"2026-13-45","extra":1,"Hears voices of J. Doe":2}"#
        let r = try ToolRunner.run(["record", tmp.path, "set-goal", "--json", json])
        #expect(r.status == 1)
        for field in ["goal_id: ", "text: ", "steps: ", "in_consumers_words: ", "date: ", "extra: ", "$: "] {
            #expect(r.stderr.contains("refused: " + field), "\(field) in \(r.stderr)")
        }
        #expect(!r.stderr.lowercased().contains("hears") && !r.stderr.contains("Doe"))
        // So are the envelope's: a bad occurred_at or command_id no longer hides the payload's.
        let envelope = try ToolRunner.run(["record", tmp.path, "set-goal", "--json", #"{"occurred_at":"2026-01-20","command_id":"has space","goal_id":5}"#])
        #expect(envelope.stderr.contains("occurred_at: ") && envelope.stderr.contains("command_id: ") && envelope.stderr.contains("goal_id: "),
                "\(envelope.stderr)")
        // A missing field is reported beside the others, and the command is refused whole.
        let missing = try ToolRunner.run(["record", tmp.path, "set-goal", "--json", #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":5}"#])
        #expect(missing.stderr.contains("goal_id: expected a string") && missing.stderr.contains("consumer_id: required field is missing"),
                "\(missing.stderr)")
        #expect(try ToolRunner.run(["export", tmp.path]).stdout.isEmpty)
    }

    @Test("Option values that make no sense are usage errors (64): --batch 0, a negative or NaN --late-after-hours")
    func badOptionValues() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        let file = tmp.path + "/empty.ndjson"
        try "".write(toFile: file, atomically: false, encoding: .utf8)
        for args in [["--batch", "0"], ["--batch=-1"], ["--late-after-hours", "nan"], ["--late-after-hours=-5"]] {
            let r = try ToolRunner.run(["import", tmp.path, file, "--commit-valid"] + args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
        }
    }

    @Test("Empty input is refused alike by imr import (a file or standard input) and imr append --ndjson: exit 1, nothing written")
    func emptyInputIsRefused() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        for (name, text) in [("empty.ndjson", ""), ("blank.ndjson", "\n  \r\n\t\n")] {
            let file = tmp.path + "/" + name
            try text.write(toFile: file, atomically: false, encoding: .utf8)
            for extra in [[], ["--commit-valid"]] {
                let r = try ToolRunner.run(["import", tmp.path, file] + extra)
                #expect(r.status == 1, "\(name) \(extra): \(r.stderr)")
                #expect(r.stderr.contains("error: no commands in \(file)") && r.stderr.contains("nothing was written"), "\(name): \(r.stderr)")
                #expect(!r.stderr.contains("imported"), "\(name): \(r.stderr)")
            }
            let piped = try ToolRunner.run(["import", tmp.path, "-"], input: text)
            #expect(piped.status == 1, "stdin \(name): \(piped.stderr)")
            #expect(piped.stderr.contains("error: no commands in standard input"), "\(piped.stderr)")
            let append = try ToolRunner.run(["append", tmp.path, "--ndjson"], input: text)
            #expect(append.status == 1, "append \(name): \(append.stderr)")
            #expect(append.stderr.contains("nothing was written"), "\(append.stderr)")
        }
        #expect(try size(tmp) == 0)
    }

    @Test("Invalid UTF-8 is refused by imr append --ndjson, imr import and imr record --json @FILE, never stored as U+FFFD")
    func invalidUTF8() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        let bad: [UInt8] = Array(#"{"stream":"ehr-1","type":"com.example.ehr.note.v1","data":{"a":""#.utf8) + [0xFF] + Array(#""}}"#.utf8) + [0x0A]
        var r = try ToolProcess.run("imr", ["append", tmp.path, "--ndjson"], inputBytes: bad)
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 1:") && r.stderr.contains("UTF-8"), "\(r.stderr)")
        let command = Array(#"{"command":"establish-program","occurred_at":"2025-01-06T09:00:00Z","program_id":"p1","name":"North"#.utf8)
            + [0xC3, 0x28] + Array(#"","agency":"a1","curriculum":"KIT-2009","established_on":"2025-01-06"}"#.utf8)
        let file = tmp.path + "/bad.ndjson"
        try Data(command + [0x0A]).write(to: URL(fileURLWithPath: file))
        r = try ToolRunner.run(["import", tmp.path, file])
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 1:") && r.stderr.contains("UTF-8"), "\(r.stderr)")
        r = try ToolRunner.run(["record", tmp.path, "establish-program", "--json", "@" + file])
        #expect(r.status == 1)
        #expect(r.stderr.contains("UTF-8"), "\(r.stderr)")
        #expect(try ToolRunner.run(["export", tmp.path]).stdout.isEmpty)
    }

    @Test("imr schema prints a JSON Schema per event type with PHI fields marked; unknown commands are usage errors")
    func schema() throws {
        var r = try ToolRunner.run(["schema"])
        #expect(r.status == 0)
        #expect(r.stdout.contains(#""org.imr.session.recorded.v2":{"#))
        #expect(r.stdout.contains(#""homework":{"type":"string","x-phi":true}"#))
        let tmp = try freshStore()
        defer { tmp.remove() }
        // Into a folder, one file per type; a folder that cannot be made is one line, exit 74.
        r = try ToolRunner.run(["schema", "--out", tmp.path + "/schemas"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: tmp.path + "/schemas/org.imr.session.recorded.v2.json"))
        r = try ToolRunner.run(["schema", "--out", tmp.path + "/schemas/org.imr.session.recorded.v2.json/sub"])
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr == "error: cannot create the folder \(tmp.path)/schemas/org.imr.session.recorded.v2.json/sub: Not a directory\n")
        r = try ToolRunner.run(["record", tmp.path, "make-coffee", "--json", "{}"])
        #expect(r.status == 64)
        r = try ToolRunner.run(["record", tmp.path, "set-goal", "--json", "{not json"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("[json.syntax]"))
    }
}
