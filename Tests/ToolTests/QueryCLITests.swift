import EventLog
import EventLogTesting
import Foundation
import Testing

@Suite("imr query, imr project and imr report")
struct QueryCLITests {
    /// The demo's command file (scripts/demo-commands.ndjson), imported into a fresh store.
    func demoStore() throws -> TemporaryStore {
        let tmp = try TemporaryStore()
        var r = try ToolRunner.run(["init", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        r = try ToolRunner.run(["import", tmp.path, root.appendingPathComponent("scripts/demo-commands.ndjson").path])
        #expect(r.status == 0, "\(r.stderr)")
        return tmp
    }

    @Test("Queries answer from the record: caseload, goals and participation as JSON, CSV and tables")
    func queries() throws {
        let tmp = try demoStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["query", "caseload", tmp.path, "--to", "2026-02-20", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        // One consumer enrolled (the other referral was declined), with pr-12 as primary.
        #expect(r.stdout.contains(#""individual":1"#))
        #expect(r.stdout.contains(#""practitioner":"pr-12""#))
        // CSV prints the main table: practitioners for a caseload.
        r = try ToolRunner.run(["query", "caseload", tmp.path, "--to", "2026-02-20", "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("practitioner,"), "\(r.stdout.prefix(80))")
        #expect(r.stdout.contains("pr-12,"))
        r = try ToolRunner.run(["query", "participation", tmp.path, "--to", "2026-03-31", "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        // The amended session counts 45 minutes, not the 50 first recorded.
        #expect(r.stdout.contains("c-7f3a9c,north,active,1,0.75,"))
        // An empty table in CSV is its header alone (nobody is active or enrolled in 2020).
        for (kind, header) in [("caseload", "practitioner,program,team,role,"), ("participation", "consumer,program,status,")] {
            r = try ToolRunner.run(["query", kind, tmp.path, "--to", "2020-01-31", "--format", "csv"])
            #expect(r.status == 0, "\(kind): \(r.stderr)")
            #expect(r.stdout.hasPrefix(header) && r.stdout.split(separator: "\n").count == 1, "\(kind): \(r.stdout)")
        }
        // A program the record does not hold is refused by every kind, not answered with empty tables.
        for kind in ["caseload", "goals", "participation", "fidelity"] {
            r = try ToolRunner.run(["query", kind, tmp.path, "--program", "nowhere", "--format", "csv"])
            #expect(r.status == 1 && r.stdout.isEmpty, "\(kind): \(r.stdout)")
            #expect(r.stderr.contains("program nowhere is not in the record"), "\(kind): \(r.stderr)")
        }
        r = try ToolRunner.run(["query", "goals", tmp.path, "--to", "2026-03-31"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Overdue"))
        // As of position 9 (before the enrollment), nobody is active.
        r = try ToolRunner.run(["query", "caseload", tmp.path, "--as-of", "9", "--to", "2026-02-20", "--format", "json"])
        #expect(r.stdout.contains(#""individual":0"#))
        r = try ToolRunner.run(["query", "caseload", tmp.path, "--as-of", "yesterday"])
        #expect(r.status == 64)
        // A position past the last event is refused, as the HTTP API refuses it, rather than
        // answered as of the end of the log (the demo store holds 17 events: 0 to 16).
        r = try ToolRunner.run(["query", "caseload", tmp.path, "--as-of", "16", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        for past in ["17", "18446744073709551615"] {
            r = try ToolRunner.run(["query", "caseload", tmp.path, "--as-of", past])
            #expect(r.status == 64, "--as-of \(past): \(r.stderr)")
            #expect(r.stderr.contains("--as-of position \(past) is beyond the end of the log (17 events)"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        // A period that ends before it starts is refused for every kind (fidelity used to trap
        // on it), with or without --to.
        for kind in ["fidelity", "participation", "goals"] {
            r = try ToolRunner.run(["query", kind, tmp.path, "--program", "north", "--from", "2026-03-01", "--to", "2026-02-01"])
            #expect(r.status == 64, "\(kind): \(r.stderr)")
            #expect(r.stderr.contains("--from must not be after --to: 2026-03-01 is after 2026-02-01"), "\(kind): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        r = try ToolRunner.run(["query", "fidelity", tmp.path, "--program", "north", "--from", "2026-03-01", "--as-of", "2026-02-01"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("2026-03-01 is after 2026-02-01"), "\(r.stderr)")
        r = try ToolRunner.run(["query", "fidelity", tmp.path, "--program", "north", "--from", "2026-02-01", "--to", "2026-02-01"])
        #expect(r.status == 0, "\(r.stderr)")
        // No scores for a program the record does not hold (the minimum score would pass for a
        // measured one).
        r = try ToolRunner.run(["query", "fidelity", tmp.path, "--program", "south"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("program south is not in the record"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("project verify, rebuild and status agree on every digest")
    func project() throws {
        let tmp = try demoStore()
        defer { tmp.remove() }
        var r = try ToolRunner.run(["project", "verify", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("verified: the views equal a replay of 17 events"))
        r = try ToolRunner.run(["project", "status", tmp.path])
        let status = Set(r.stdout.split(separator: "\n").filter { !$0.hasPrefix("position") })
        r = try ToolRunner.run(["project", "rebuild", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        let rebuilt = Set(r.stdout.split(separator: "\n").filter { !$0.hasPrefix("rebuilt") })
        #expect(status == rebuilt)
        #expect(status.count == 4)
    }

    @Test("report writes one self-contained page: no scripts, no links out, the audit verified")
    func report() throws {
        let tmp = try demoStore()
        defer { tmp.remove() }
        let out = tmp.path + "/report.html"
        let r = try ToolRunner.run(["report", tmp.path, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.contains("<svg"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || html.allOccurrences(of: "http://").allSatisfy { $0 == "http://www.w3.org/2000/svg" })
        #expect(!html.contains("https://"))
        #expect(html.contains(#"id="audit-status">verified"#))
    }

    @Test("imr demo replaces only a store the demo made: a store with other records is left alone (exit 73)")
    func demoLeavesOtherStoresAlone() throws {
        let tmp = try demoStore()
        defer { tmp.remove() }
        let before = try ToolRunner.run(["export", tmp.path]).stdout
        let r = try ToolRunner.run(["demo", "--store", tmp.path])
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.contains("holds a store imr demo did not make"), "\(r.stderr)")
        #expect(try ToolRunner.run(["export", tmp.path]).stdout == before)
        #expect(!before.isEmpty)
    }

    @Test("report to a file it cannot write: one line naming the file and the reason, exit 74")
    func reportToAnUnwritableFile() throws {
        let tmp = try demoStore()
        defer { tmp.remove() }
        let out = tmp.path + "/no-such-folder/report.html"
        let r = try ToolRunner.run(["report", tmp.path, "--out", out])
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr == "error: cannot write \(out): No such file or directory\n", "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("A file where the views folder belongs: one line naming it and the reason, exit 74")
    func viewsPathIsAFile() throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        #expect(try ToolRunner.run(["init", tmp.path]).status == 0)
        try "x".write(toFile: tmp.path + "/views", atomically: false, encoding: .utf8)
        for args in [["query", "caseload", tmp.path], ["project", "rebuild", tmp.path], ["project", "status", tmp.path]] {
            let r = try ToolRunner.run(args)
            #expect(r.status == 74, "\(args)")
            #expect(r.stderr == "error: storage: cannot create the views folder \(tmp.path)/views: Not a directory\n", "\(r.stderr)")
        }
    }

    @Test("report --out follows a symbolic link and writes a FIFO in place: neither is replaced by a regular file")
    func reportThroughLinksAndPipes() throws {
        let tmp = try demoStore()
        defer { tmp.remove() }
        let target = tmp.path + "/target.html", link = tmp.path + "/link.html"
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.html")
        var r = try ToolRunner.run(["report", tmp.path, "--out", link])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.html")
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        // A link to a file not there yet: the file is created, the link stays.
        let dangling = tmp.path + "/dangling.html"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "new-target.html")
        r = try ToolRunner.run(["report", tmp.path, "--out", dangling])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dangling) == "new-target.html")
        #expect(try String(contentsOfFile: tmp.path + "/new-target.html", encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        // A private file stays private when replaced.
        #expect(chmod(target, 0o600) == 0)
        r = try ToolRunner.run(["report", tmp.path, "--out", target])
        #expect(r.status == 0, "\(r.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
        #expect(mode == 0o600, "mode \(String(mode ?? 0, radix: 8))")

        let fifo = tmp.path + "/pipe.html"
        #expect(mkfifo(fifo, 0o600) == 0)
        nonisolated(unsafe) var received = Data()
        let reader = DispatchGroup()
        reader.enter()
        DispatchQueue.global().async {
            received = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
            reader.leave()
        }
        r = try ToolRunner.run(["report", tmp.path, "--out", fifo])
        #expect(reader.wait(timeout: .now() + 60) == .success, "the FIFO was never written")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(String(decoding: received, as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
        let type = try FileManager.default.attributesOfItem(atPath: fifo)[.type] as? FileAttributeType
        #expect(type != .typeRegular)

        // --out /dev/stdout with standard output appended to a file (`>> log`): written through
        // the descriptor, after what the file held, not by replacing the file.
        let log = tmp.path + "/reports.log"
        try "earlier report\n".write(toFile: log, atomically: false, encoding: .utf8)
        let fd = open(log, O_WRONLY | O_APPEND)
        #expect(fd >= 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ToolRunner.imr)
        p.arguments = ["report", tmp.path, "--out", "/dev/stdout"]
        p.standardOutput = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let appended = try String(contentsOfFile: log, encoding: .utf8)
        #expect(appended.hasPrefix("earlier report\n<!DOCTYPE html>"), "\(appended.prefix(60))")
    }
}

extension String {
    /// Every `http://…` URL prefix up to the next quote, for the no-network check.
    func allOccurrences(of prefix: String) -> [String] {
        var out: [String] = []
        var rest = self[...]
        while let r = rest.range(of: prefix) {
            let tail = rest[r.lowerBound...]
            out.append(String(tail.prefix { $0 != "\"" }))
            rest = rest[r.upperBound...]
        }
        return out
    }
}
