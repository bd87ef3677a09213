import ArgumentParser
import EventLog
import Foundation

/// `imr-audit report STORE`: verifies a store and writes a JSON report and an HTML page.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a store and write a JSON report and a printable HTML page.",
        discussion: """
            Runs the checks of verify. --out DIR writes DIR/report.json and DIR/report.html; --json and \
            --html name the files instead. Reports hold sizes, hashes, positions and checkpoint status, \
            never event data. Exits as verify does.
            """)

    @Argument(help: "The store directory.")
    var store: String

    @OptionGroup var keys: KeyOptions

    @Option(help: ArgumentHelp("Write report.json and report.html into this directory.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Write the JSON report to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Write the HTML report to this file.", valueName: "file"))
    var html: String?

    func validate() throws {
        if out != nil, json != nil || html != nil { throw ValidationError("give either --out or --json/--html") }
        if out == nil, json == nil, html == nil { throw ValidationError("give --out DIR, or --json FILE and/or --html FILE") }
    }

    func run() throws {
        try AuditExit.run {
            let result = try audit(store: store, keys: keys)
            var jsonPath = json
            var htmlPath = html
            if let out {
                do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                    throw AuditError.io("cannot create \(out): \(error.localizedDescription)")
                }
                jsonPath = out + "/report.json"
                htmlPath = out + "/report.html"
            }
            if let jsonPath {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try write(try encoder.encode(result) + Data("\n".utf8), to: jsonPath)
            }
            if let htmlPath { try write(Data(ReportPage(result: result).html.utf8), to: htmlPath) }
            result.printLines()
            if !result.isVerified { throw AuditExit.violation }
        }
    }

    private func write(_ data: Data, to path: String) throws {
        do { try OutputFile.write(Array(data), to: path) } catch { throw AuditError.io(error.description) }
    }
}
