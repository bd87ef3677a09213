import ArgumentParser
import ClinicalRecord
import Dashboard
import EventLog
import Foundation
import Projections

extension Imr {
    /// `imr report`: the dashboard as one self-contained HTML file.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the program dashboard as one self-contained HTML page (inline SVG, no network).",
            discussion: """
                Fidelity per site over time (total and items), caseloads against the ratio rules, goal \
                follow-up compliance, the participation funnel, and the audit status with the latest \
                signed checkpoint. The chain is verified while the page is made. Prints well to PDF.
                """)

        @OptionGroup var store: StoreArgument

        @Option(help: "The output file.")
        var out: String = "report.html"

        @Option(help: "The day the report is about (YYYY-MM-DD; default: the last clinical date in the record, or today).")
        var date: String?

        @Option(help: "The page title.")
        var title: String = "IMR program dashboard"

        func validate() throws {
            if let date, LocalDate(date) == nil { throw ValidationError("--date must be YYYY-MM-DD") }
        }

        func run() throws {
            try runReportingSync {
                let (snapshot, views) = try openSnapshot(store.store, asOf: .now, progress: true)
                let day = try date.flatMap(LocalDate.init) ?? ReportPage.lastClinicalDate(views.log) ?? LocalDate(dayNumber: Int(Date().timeIntervalSince1970 / 86_400))
                let page = try ReportPage.gather(snapshot: snapshot, log: views.log, asOf: day, title: title)
                try writeOutput(Data(page.html().utf8), to: out)
                print("wrote \(out): \(page.sites.count) sites, \(page.audit.events) events, audit \(page.audit.verified ? "verified" : "NOT verified")")
                if !page.audit.verified { throw ExitCode.failure }
            }
        }
    }
}

