import EventLog
import EventLogTesting
import Foundation
import Testing

@Suite("imr command line")
struct CLITests {
    func freshStore() throws -> TemporaryStore {
        let tmp = try TemporaryStore()
        let r = try ToolRunner.run(["init", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        return tmp
    }

    func size(_ tmp: TemporaryStore) throws -> Int {
        let r = try ToolRunner.run(["export", tmp.path])
        return r.stdout.split(separator: "\n").count
    }

    let good = ["--stream", "consumer-c-1", "--type", "com.example.ehr.visit.v1", "--time", "2026-03-02T15:00:00Z"]

    @Test("init, append, log, export and verify-chain work end to end")
    func endToEnd() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["append", tmp.path] + good + ["--expected-version", "no-stream", "--data", #"{"minutes":50,"note":"Zoë"}"#])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""position":0"#))
        r = try ToolRunner.run(
            ["append", tmp.path, "--ndjson"],
            input: """
                {"stream":"consumer-c-1","type":"com.example.ehr.note.v1","expectedVersion":1,"data":{"goalId":"g-1"}}
                {"stream":"consumer-c-2","type":"com.example.ehr.note.v1","id":"fixed-id","data":{"goalId":"g-2"}}

                """)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 2)
        r = try ToolRunner.run(["log", tmp.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("com.example.ehr.note.v1"))
        #expect(r.stdout.contains("3 of 3 events"))
        r = try ToolRunner.run(["log", tmp.path, "--format", "json", "--from", "1", "--limit", "1"])
        #expect(r.stdout.split(separator: "\n").count == 1)
        #expect(r.stdout.contains(#""position":1"#))
        r = try ToolRunner.run(["export", tmp.path])
        let log = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
        let stored = try log.readRaw(from: 0, limit: 10).map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(r.stdout == stored.joined(separator: "\n") + "\n")
        r = try ToolRunner.run(["verify-chain", tmp.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("verified: 3 events"))
        // A retry with the same id is safe.
        r = try ToolRunner.run(
            ["append", tmp.path, "--ndjson"],
            input: #"{"stream":"consumer-c-2","type":"com.example.ehr.note.v1","id":"fixed-id","time":"\#(stored[2].split(separator: "\"time\":\"")[1].prefix(20))","data":{"goalId":"g-2"}}"#)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""duplicate":true"#))
    }

    struct BadInput: Sendable, CustomStringConvertible {
        var desc: String
        var args: [String]
        var stdin: String?
        var wantInError: String
        var description: String { desc }
    }

    static let badInputs: [BadInput] = [
        BadInput(desc: "malformed JSON", args: ["--data", #"{"minutes": 50,"#], wantInError: "invalid --data"),
        BadInput(desc: "data not an object", args: ["--data", "[1,2]"], wantInError: "data"),
        BadInput(desc: "duplicate key", args: ["--data", #"{"a":1,"a":2}"#], wantInError: "invalid --data"),
        BadInput(desc: "integer too large", args: ["--data", #"{"n":9007199254740993}"#], wantInError: "invalid --data"),
        BadInput(desc: "bad time", args: ["--data", "{}", "--time", "2026-13-01T00:00:00Z"], wantInError: "time"),
        BadInput(desc: "bad type", args: ["--data", "{}", "--type", "session"], wantInError: "type"),
        BadInput(desc: "over the size limit", args: ["--data", #"{"t":"\#(String(repeating: "x", count: 70_000))"}"#], wantInError: "limit"),
        BadInput(desc: "wrong expected version", args: ["--data", "{}", "--expected-version", "5"], wantInError: "expected 5"),
        BadInput(desc: "bad expected version", args: ["--data", "{}", "--expected-version", "soon"], wantInError: "expected-version"),
    ]

    @Test("Bad input exits non-zero, says what is wrong, and writes nothing", arguments: badInputs)
    func badInput(_ probe: BadInput) throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        var args = ["append", tmp.path] + good
        // Later options win in ArgumentParser? No: repeated single options are an error, so replace.
        for (i, a) in probe.args.enumerated() where a.hasPrefix("--") {
            if let j = args.firstIndex(of: a) {
                args[j + 1] = probe.args[i + 1]
            } else {
                args += [a, probe.args[i + 1]]
            }
        }
        let r = try ToolRunner.run(args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(probe.wantInError), "stderr: \(r.stderr)")
        #expect(try size(tmp) == 0)
    }

    @Test("Invalid stream ids and missing attributes in NDJSON are refused per line, writing nothing")
    func badNDJSON() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        let r = try ToolRunner.run(
            ["append", tmp.path, "--ndjson"],
            input: """
                {"stream":"consumer-c-1","type":"com.example.ehr.note.v1","data":{}}
                {"stream":"has space","type":"com.example.ehr.note.v1","data":{}}
                {"stream":"consumer-c-1","data":{}}
                {"stream":"consumer-c-1","type":"com.example.ehr.note.v1","data":{},"colour":"red"}
                not json

                """)
        #expect(r.status != 0)
        #expect(r.stderr.contains("line 2:") && r.stderr.contains("subject"))
        #expect(r.stderr.contains("line 3:") && r.stderr.contains("type is required"))
        #expect(r.stderr.contains("line 4:") && r.stderr.contains("unknown field colour"))
        #expect(r.stderr.contains("line 5:"))
        #expect(!r.stderr.contains("line 1:"))
        #expect(try size(tmp) == 0)
    }

    @Test("The record's own types (org.imr.*) are refused by imr append, with --data and in NDJSON, and nothing is written")
    func reservedTypes() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["append", tmp.path, "--stream", "consumer-zz", "--type", "org.imr.goal.set.v1", "--data", #"{"goalId":"g-1"}"#])
        #expect(r.status == 1)
        #expect(r.stderr.contains("type: org.imr.* events are recorded through commands"), "\(r.stderr)")
        r = try ToolRunner.run(["append", tmp.path, "--ndjson"], input: """
            {"stream":"ehr-1","type":"com.example.ehr.note.v1","data":{}}
            {"stream":"consumer-zz","type":"org.imr.consumer.enrolled.v1","data":{"enrollmentId":"e-1"}}

            """)
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 2: type:"), "\(r.stderr)")
        #expect(try size(tmp) == 0)
    }

    @Test("Output that cannot be written (a full disk) is an I/O error, 74, never a crash or a silent 0")
    func unwritableOutput() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        _ = try ToolRunner.run(["append", tmp.path, "--stream", "ehr-1", "--type", "com.example.ehr.note.v1", "--data", "{}"])
        for (tool, args) in [("imr", ["export", tmp.path]), ("imr", ["key", tmp.path]), ("imr", ["log", tmp.path, "--format", "json"]),
                             ("imr", ["checkpoint", tmp.path]), ("imr-audit", ["verify", tmp.path])] {
            let r = try ToolProcess.run(tool, args, outputFile: "/dev/full")
            #expect(r.status == 74 && !r.crashed, "\(tool) \(args): \(r.status)")
            #expect(r.stderr.contains("error: cannot write standard output: "), "\(tool) \(args)")
        }
    }

    @Test("imr init with a bad origin is refused before anything is made: no folder is left behind")
    func initLeavesNothing() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        for origin in ["", "has+plus", "tab\there"] {
            let r = try ToolRunner.run(["init", tmp.path, "--origin", origin])
            #expect(r.status == 1 && r.stderr.contains("origin"), "\(origin): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: tmp.path), "\(origin)")
        }
    }

    @Test("A missing store is an I/O error (74) with a hint")
    func missingStore() throws {
        let r = try ToolRunner.run(["log", "/nonexistent/imr-store"])
        #expect(r.status == 74)
        #expect(r.stderr.contains("imr init"))
        // imr serve opens the store the same way, and gives the same hint.
        let s = try ToolRunner.run(["serve", "/nonexistent/imr-store", "--port", "0"])
        #expect(s.status == 74)
        #expect(s.stderr.contains("no IMR store found at /nonexistent/imr-store") && s.stderr.contains("imr init"), "\(s.stderr)")
    }

    @Test("An option refused while the command runs prints its message without imr's usage, exit 64; a parse error keeps its usage")
    func runTimeOptionErrors() throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        let cases: [(args: [String], message: String)] = [
            (["query", "caseload", tmp.path, "--as-of", "5"], "error: --as-of position 5 is beyond the end of the log (0 events)"),
            (["query", "goals", tmp.path, "--from", "2026-03-01", "--to", "2026-02-01"],
             "error: --from must not be after --to: 2026-03-01 is after 2026-02-01"),
            (["query", "participation", tmp.path, "--from", "2026-03-01", "--as-of", "2026-02-01"], "error: --from must not be after --to"),
        ]
        for c in cases {
            let r = try ToolRunner.run(c.args)
            #expect(r.status == 64, "\(c.args): \(r.stderr)")
            #expect(r.stderr.contains(c.message), "\(c.args): \(r.stderr)")
            #expect(!r.stderr.contains("Usage:") && !r.stderr.contains("--help"), "\(c.args): no usage text: \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        // A value ArgumentParser refuses while parsing still shows the usage of the command run.
        let parse = try ToolRunner.run(["query", "caseload", tmp.path, "--as-of", "yesterday"])
        #expect(parse.status == 64)
        #expect(parse.stderr.contains("Usage: imr query "), "\(parse.stderr)")
    }

    @Test("verify-chain finds a damaged event and exits 1")
    func verifyChainFindsDamage() async throws {
        let tmp = try freshStore()
        defer { tmp.remove() }
        for i in 0..<5 {
            let r = try ToolRunner.run(["append", tmp.path] + good + ["--data", #"{"i":\#(i),"marker":"MARKER-\#(i)"}"#])
            #expect(r.status == 0)
        }
        // Flip one byte of event 3's payload in the data file (same length, so LMDB stays readable).
        let file = LMDBEventLog.logDirectory(of: tmp.path) + "/data.mdb"
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        let marker = Data("MARKER-3".utf8)
        // LMDB is copy-on-write: older copies of the page may sit in free pages too, so change every copy.
        var found = 0
        var searchFrom = data.startIndex
        while let range = data.range(of: marker, in: searchFrom..<data.endIndex) {
            data[range.upperBound - 1] = UInt8(ascii: "9")
            searchFrom = range.upperBound
            found += 1
        }
        #expect(found > 0)
        try data.write(to: URL(fileURLWithPath: file))
        let r = try ToolRunner.run(["verify-chain", tmp.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("position 4: chain-break"), "\(r.stdout)")
        #expect(r.stdout.contains("position 3: merkle-mismatch"), "\(r.stdout)")
    }

    @Test("imr token: a missing store is refused by every subcommand, bad options are usage errors, an empty list says so")
    func tokenCommands() throws {
        for args in [["token", "list", "/nonexistent/imr-store"], ["token", "revoke", "/nonexistent/imr-store", "abc"],
                     ["token", "create", "/nonexistent/imr-store", "--role", "auditor"]] {
            let r = try ToolRunner.run(args)
            #expect(r.status == 74, "\(args)")
            #expect(r.stderr.contains("not-a-store") && r.stderr.contains("imr init"), "\(args): \(r.stderr)")
        }
        let tmp = try freshStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["token", "list", tmp.path])
        #expect(r.status == 0 && r.stdout.isEmpty)
        #expect(r.stderr.contains("no tokens"))
        for (option, value) in [("--program", "bad program"), ("--user", "a b"), ("--role", "nurse")] {
            r = try ToolRunner.run(["token", "create", tmp.path, "--role", "auditor", option, value])
            #expect(r.status == 64, "\(option)")
            #expect(r.stderr.contains(option), "\(option): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.path + "/tokens.json"))
        r = try ToolRunner.run(["token", "create", tmp.path, "--role", "auditor", "--program", "p1"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try ToolRunner.run(["token", "list", tmp.path])
        #expect(r.stdout.split(separator: "\n").count == 1 && r.stdout.contains("auditor") && r.stdout.contains("p1"))
    }
}

@Suite("Numbers out of range on the command line")
struct OutOfRangeCLITests {
    @Test("An NDJSON expectedVersion too large for an exact version, and a heartbeat that is not a finite number of seconds, are refused, not a crash")
    func outOfRange() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["init", tmp.path, "--origin", "imr.test/range"])
        #expect(r.status == 0, "\(r.stderr)")
        for version in ["1e+30", "9007199254740992"] {
            r = try ToolRunner.run(["append", tmp.path, "--ndjson"],
                                   input: #"{"stream":"ehr-1","type":"com.example.ehr.visit.v1","expectedVersion":"# + version + #","data":{"visit":2}}"# + "\n")
            #expect(r.status == 1, "\(version): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("expectedVersion"), "\(r.stderr)")
        }
        for heartbeat in ["nan", "inf", "1e300", "0"] {
            r = try ToolRunner.run(["serve", tmp.path, "--port", "0", "--heartbeat", heartbeat])
            #expect(r.status == 64, "\(heartbeat): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("--heartbeat"), "\(r.stderr)")
        }
        r = try ToolRunner.run(["log", tmp.path, "--format", "json"])
        #expect(r.stdout.isEmpty, "nothing was written")
    }
}

@Suite("imr key and checkpoint")
struct CheckpointCLITests {
    @Test("init makes a 0600 signer key; key prints the verifier key; checkpoint signs the head")
    func keyAndCheckpoint() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["init", tmp.path, "--origin", "imr.test/a1"])
        #expect(r.status == 0)
        let attrs = try FileManager.default.attributesOfItem(atPath: LMDBEventLog.signerKeyFile(of: tmp.path))
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        r = try ToolRunner.run(["key", tmp.path])
        let key = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("imr.test/a1+"))
        #expect(key.split(separator: "+", maxSplits: 2).count == 3)  // base64 may itself hold "+"
        r = try ToolRunner.run(["checkpoint", tmp.path, "--latest"])
        #expect(r.status != 0)
        for i in 0..<3 {
            r = try ToolRunner.run(["append", tmp.path, "--stream", "consumer-c-1", "--type", "com.example.ehr.note.v1", "--data", #"{"i":\#(i)}"#])
            #expect(r.status == 0)
        }
        r = try ToolRunner.run(["checkpoint", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "imr.test/a1")
        #expect(lines[1] == "3")
        #expect(lines[4].hasPrefix("— imr.test/a1 "))
        let log = try LMDBEventLog.open(at: tmp.path, options: .init(readOnly: true))
        let head = try log.currentHead()
        #expect(Data(base64Encoded: String(lines[2])) == Data(head.rootHash.bytes))
        r = try ToolRunner.run(["checkpoint", tmp.path, "--latest"])
        #expect(r.stdout.hasPrefix("imr.test/a1\n3\n"))
    }
}
