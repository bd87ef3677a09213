import ArgumentParser
import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import RecordCore

/// Who records, and under which source: shared by `record` and `import`.
struct RecorderOptions: ParsableArguments {
    @Option(help: "The recording user id.")
    var actor: String = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : "user:" + $0 } ?? "user:cli"

    @Option(help: "The recording user's role (lower-case letters).")
    var role: String = "practitioner"

    @Option(help: "The CloudEvents source of the events: the agency's IMR program.")
    var source: String = "/agencies/local/programs/imr"

    @Option(help: "Hours after which an entry counts as late (flagged, never refused).")
    var lateAfterHours: Double = 24

    func core(_ log: any EventLog) -> RecordCore {
        RecordCore(log: log, options: .init(source: source, lateEntries: .init(flagAfterSeconds: lateAfterHours * 3600)))
    }

    var who: Actor { Actor(user: actor, role: role) }

    func validate() throws {
        guard lateAfterHours.isFinite, lateAfterHours >= 0 else {
            throw ValidationError("--late-after-hours must be a number of hours, 0 or more")
        }
    }
}

/// Prints a refusal, one violation a line, on standard error.
func printRefusal(_ error: RecordError, prefix: String = "") {
    for v in error.violations {
        printError("\(prefix)refused: \(v.field.map { "\($0): " } ?? "")\(v.message) [\(v.rule)]")
    }
}

/// One line of output per event written.
func printEvents(_ result: CommandResult, line: Int? = nil) {
    for e in result.events {
        var o: [String: JSONValue] = [
            "position": .number(Double(e.position)), "id": .string(e.id), "type": .string(e.type), "stream": .string(e.stream),
        ]
        if result.wasDuplicate { o["duplicate"] = true }
        if let line { o["line"] = .number(Double(line)) }
        print(JSONValue.object(o).canonicalString)
    }
}

extension Imr {
    /// `imr record`: one clinical command, checked against the record and appended.
    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record one clinical command (validated against the record, then appended).",
            discussion: """
                COMMAND is one of: \(CommandCatalog.names.joined(separator: ", ")).

                --json is a JSON object: "occurred_at" (RFC 3339 UTC, when it happened), an \
                optional "command_id" (retrying with the same id is safe), and the command's \
                fields in snake_case (docs/EVENTS.md, or `imr schema`). Use --json @FILE to read \
                a file, --json - for standard input.

                Prints one JSON line per event written. A refused command writes nothing and \
                exits 1, with one line per broken rule on standard error: the field, the rule \
                and its code. Warnings (a late entry, a group over 8) go to standard error too.
                """)

        @OptionGroup var store: StoreArgument

        @Argument(help: "The command, e.g. record-session.")
        var command: String

        @Option(help: "The command as a JSON object, @FILE, or - for standard input.")
        var json: String

        @OptionGroup var recorder: RecorderOptions

        func validate() throws {
            guard CommandCatalog.names.contains(command) else {
                throw ValidationError("unknown command; one of: \(CommandCatalog.names.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let value: JSONValue
            do { value = try JSONValue(parsing: try readArgument(json)) } catch let error as JSONParseError {
                printError("refused: --json is not valid JSON (\(error.description)) [json.syntax]")
                throw ExitCode.failure
            }
            let request: CommandRequest
            do { request = try CommandRequest.parse(name: command, json: value) } catch {
                printRefusal(error)
                throw ExitCode.failure
            }
            try await runReporting {
                let core = recorder.core(try openStore(store.store))
                do {
                    let result = try await core.execute(request, by: recorder.who)
                    for w in result.warnings { printError("warning: \(w)") }
                    printEvents(result)
                } catch let error as RecordError {
                    printRefusal(error)
                    throw ExitCode.failure
                }
            }
        }
    }

    /// `imr import`: many commands from an NDJSON file.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import clinical commands from an NDJSON file, all or nothing.",
            discussion: """
                Each line is one command: {"command": NAME, "occurred_at": ..., fields...} (see \
                `imr record --help`). Each command is checked against the record as the lines \
                before it leave it. By default the import is all or nothing: if any line is \
                refused, every refusal is reported (line number, field, rule) and nothing is \
                written; otherwise all events commit in one atomic append (at most 10,000 events). \
                With --commit-valid, refused lines are reported and skipped, and the valid ones \
                are written in commits of --batch lines. Exits 1 when any line was refused, and \
                when the input holds no command at all (empty, or blank lines only): nothing is \
                written then, as imr append --ndjson refuses empty input.
                """)

        @OptionGroup var store: StoreArgument

        @Argument(help: "The NDJSON file, or - for standard input.")
        var file: String

        @Flag(help: "Write the valid lines and skip the refused ones (default: all or nothing).")
        var commitValid = false

        @Option(help: "Lines per commit with --commit-valid (1-10000).")
        var batch: Int = 1000

        func validate() throws {
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 10000") }
        }

        @Flag(help: "List every warning with its line (default: a count per rule).")
        var verbose = false

        @OptionGroup var recorder: RecorderOptions

        func run() async throws {
            var requests: [(line: Int, request: CommandRequest)] = []
            var refused = 0
            for (n, line) in ndjsonLines(try readInput(file)) {
                do {
                    let value = try JSONValue(parsing: line)
                    requests.append((n, try CommandRequest.parse(name: nil, json: value)))
                } catch let error as RecordError {
                    printRefusal(error, prefix: "line \(n): "); refused += 1
                } catch let error as JSONParseError {
                    printError("line \(n): refused: not valid JSON (\(error.description)) [json.syntax]"); refused += 1
                }
            }
            if requests.isEmpty && refused == 0 {
                // An empty file is most likely the wrong file, or an export that failed upstream:
                // say so rather than report a successful import of nothing.
                printError("error: no commands in \(file == "-" ? "standard input" : file) (it is empty or holds only blank lines); nothing was written")
                throw ExitCode.failure
            }
            if refused > 0 && !commitValid {
                // Nothing will be written; the lines that parsed are still checked, so that
                // every refusal of the file is reported at once.
                try await runReporting {
                    let core = recorder.core(try openStore(store.store))
                    do {
                        let outcome = try await core.executeBatch(requests.map(\.request), by: recorder.who, mode: .checkOnly)
                        for (i, l) in outcome.lines.enumerated() {
                            if case .failure(let e) = l { printRefusal(e, prefix: "line \(requests[i].line): "); refused += 1 }
                        }
                    } catch let error as RecordError {
                        // A refusal of the whole batch (a command id reused for another command).
                        printRefusal(error); refused += 1
                    }
                }
                printError("nothing written: \(refused) line(s) refused")
                throw ExitCode.failure
            }
            try await runReporting {
                let core = recorder.core(try openStore(store.store))
                let chunks = commitValid ? stride(from: 0, to: requests.count, by: max(1, batch)).map {
                    Array(requests[$0..<min($0 + max(1, batch), requests.count)])
                } : [requests]
                var written = 0, events = 0, retries = 0
                var warningCounts: [String: Int] = [:]
                for chunk in chunks where !chunk.isEmpty {
                    let outcome = try await core.executeBatch(chunk.map(\.request), by: recorder.who,
                                                              mode: commitValid ? .commitValid : .allOrNothing)
                    for (i, l) in outcome.lines.enumerated() {
                        switch l {
                        case .failure(let e): printRefusal(e, prefix: "line \(chunk[i].line): "); refused += 1
                        case .success(let r):
                            for w in r.warnings {
                                warningCounts[w.rule, default: 0] += 1
                                if verbose { printError("line \(chunk[i].line): warning: \(w)") }
                            }
                            if r.wasDuplicate {
                                // A retry: the original positions, marked duplicate.
                                printEvents(r, line: chunk[i].line); retries += 1
                            } else if outcome.wrote {
                                printEvents(r, line: chunk[i].line); written += 1; events += r.events.count
                            }
                        }
                    }
                }
                if refused > 0 && !commitValid {
                    printError("nothing written: \(refused) line(s) refused")
                    throw ExitCode.failure
                }
                if !warningCounts.isEmpty {
                    printError("warnings: " + warningCounts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
                               + (verbose ? "" : " (--verbose lists them by line)"))
                }
                printError("imported \(written) command(s), \(events) event(s)"
                           + (retries > 0 ? "; \(retries) already recorded (retries: their original positions are printed)" : "")
                           + (refused > 0 ? "; \(refused) line(s) refused and skipped" : ""))
                if refused > 0 { throw ExitCode.failure }
            }
        }
    }

    /// `imr schema`: the JSON Schema of every event type.
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema (2020-12) of every event's data, PHI fields marked x-phi.",
            discussion: "Without --out, prints one JSON object keyed by event type. With --out DIR, writes DIR/<type>.json.")

        @Option(help: "Write one file per event type into this directory.")
        var out: String?

        @Flag(help: "Print the event catalog as Markdown (docs/EVENTS.md) instead.")
        var markdown = false

        func run() throws {
            if markdown {
                print(try CatalogDocument.markdown(), terminator: "")
                return
            }
            var all: [String: JSONValue] = [:]
            for type in EventCatalog.all { all[type.eventType] = try SchemaGenerator.schema(of: type) }
            guard let out else {
                print(JSONValue.object(all).canonicalString)
                return
            }
            try createOutputFolder(out)
            for (name, schema) in all.sorted(by: { $0.key < $1.key }) {
                try writeOutput(Data(schema.canonicalBytes), to: out + "/" + name + ".json")
            }
            print("wrote \(all.count) schemas to \(out)")
        }
    }
}

/// The bytes of an option that may be `@FILE` or `-` (standard input). Input is kept as bytes
/// so that the JSON parser sees invalid UTF-8 and refuses it (decoding to a `String` would
/// replace it with U+FFFD and store changed text).
func readArgument(_ value: String) throws -> [UInt8] {
    if value == "-" { return try readInput("-") }
    if value.hasPrefix("@") { return try readInput(String(value.dropFirst())) }
    return Array(value.utf8)
}

/// Reads a whole file, or standard input for `-`, failing with exit 74 and a one-line message
/// when it cannot.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("error: cannot read \(path)")
        throw ExitCode(74)
    }
    return Array(data)
}

/// The lines of NDJSON input with their 1-based numbers, without the newline and surrounding
/// spaces, tabs and carriage returns; blank lines are left out.
func ndjsonLines(_ bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
    var out: [(Int, ArraySlice<UInt8>)] = []
    for (n, raw) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
        var line = raw
        while let f = line.first, isSpace(f) { line = line.dropFirst() }
        while let l = line.last, isSpace(l) { line = line.dropLast() }
        if !line.isEmpty { out.append((n + 1, line)) }
    }
    return out
}
